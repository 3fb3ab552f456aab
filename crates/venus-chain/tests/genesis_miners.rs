//! Genesis with two miners from real 2 KiB pre-seals, through our
//! pre-seal manifests (`pre-seal-t0100N.json`): every state the miners
//! leave decodes through the `fil_actor_*_state` types, sectors sit in
//! deadlines and partitions as the real actor assigns them, power is
//! claimed, cron is enrolled, and every actor's code is the devnet
//! manifest's.

#![allow(missing_docs)]

mod common;

use std::sync::Arc;

use fil_actor_miner_state::v17::{SectorOnChainInfoFlags, State as MinerState};
use fil_actor_power_state::v17::State as PowerState;
use fvm_ipld_blockstore::MemoryBlockstore;
use fvm_shared::sector::{RegisteredPoStProof, RegisteredSealProof, StoragePower};
use venus_chain::exec::policy;
use venus_chain::genesis::{
    read_preseal_manifest, GenesisMiner, GenesisSector, MINER_START, POWER_ID,
};
use venus_chain::state::ActorKind;
use venus_chain::{GenesisBuilder, Manifest, StateTree};
use venus_core::crypto::PrivateKey;
use venus_core::{Address, SignatureType, TokenAmount};
use venus_sealer_lib::params::ParamCache;
use venus_sealer_lib::{preseal, LocalSectorStore, PreSealConfig, PreSealMiner, ProofPool, Prover};

const SEAL: RegisteredSealProof = RegisteredSealProof::StackedDRG2KiBV1P1;

#[test]
fn two_miners_from_real_presealed_sectors() {
    let dir = tempfile::tempdir().expect("tempdir");
    // The parameter cache is opened before any runtime starts (it may set
    // an environment variable).
    let params = ParamCache::from_env().expect("parameter cache");
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let prover = Prover::new(Arc::new(params), ProofPool::new(2));
    let store = LocalSectorStore::new(dir.path());
    let mut entries = Vec::new();
    let mut manifests = Vec::new();
    let mut keys = Vec::new();
    for miner in [MINER_START, MINER_START + 1] {
        let config = PreSealConfig::new(miner, SEAL, 2);
        let sectors = rt
            .block_on(preseal(&prover, &store, &config, &|_, _| {}))
            .expect("pre-seal");
        let key = PrivateKey::generate(SignatureType::BLS);
        let path = PreSealMiner::new(miner, &key, SEAL, sectors)
            .expect("entry")
            .write(dir.path(), miner)
            .expect("write");
        entries.push(PreSealMiner::read(dir.path(), miner).expect("read back"));
        manifests.push(std::fs::read(path).expect("manifest"));
        keys.push(key.address().expect("address"));
    }

    // Genesis from the manifests as written, read as Lotus's JSON.
    let build = |bs: &MemoryBlockstore| {
        let mut g = GenesisBuilder::new("devnet");
        for k in &keys {
            g = g.account(*k, TokenAmount::from_whole(50_000_000));
        }
        for m in &manifests {
            g = g
                .add_template_miners(&read_preseal_manifest(m).expect("manifest"))
                .expect("miners");
        }
        g.build(bs).expect("genesis")
    };
    let bs = MemoryBlockstore::new();
    let genesis = build(&bs);
    assert_eq!(genesis.miner_ids, [MINER_START, MINER_START + 1]);

    let manifest = Manifest::devnet();
    let p = policy::devnet();
    let mut tree = StateTree::load(&bs, &genesis.state_root).expect("load");
    let power_actor = tree.actor(POWER_ID).expect("power");
    let power: PowerState = tree
        .read_state(&power_actor.state, "power")
        .expect("power state");
    assert_eq!(power.miner_count, 2);
    assert_eq!(power.miner_above_min_power_count, 2);
    assert_eq!(power.total_raw_byte_power, StoragePower::from(4 * 2048));
    assert_eq!(power.this_epoch_raw_byte_power, power.total_raw_byte_power);
    assert_eq!(
        power.this_epoch_quality_adj_power,
        StoragePower::from(4 * 2048)
    );

    for (i, (entry, key)) in entries.iter().zip(&keys).enumerate() {
        let id = MINER_START + i as u64;
        let actor = tree.actor(id).expect("miner");
        assert_eq!(actor.code, manifest.code(ActorKind::Miner));
        let st: MinerState = tree.read_state(&actor.state, "miner").expect("miner state");
        let info = st.get_info(tree.store()).expect("info");
        let key_id = tree.lookup_id(key).expect("lookup").expect("key account");
        assert_eq!(
            info.owner,
            Address::new_id(key_id),
            "owner is the worker key, as Lotus sets it"
        );
        assert_eq!(info.worker, Address::new_id(key_id));
        assert_eq!(
            info.window_post_proof_type,
            RegisteredPoStProof::StackedDRGWindow2KiBV1P1
        );
        assert!(st.deadline_cron_active);

        // Both sectors, activated at 0, expiring where Lotus puts them.
        let expiration = (p.max_sector_expiration_extension / p.wpost_proving_period - 1)
            * p.wpost_proving_period
            + st.proving_period_start
            - 1;
        for s in &entry.sectors {
            let on_chain = st
                .get_sector(tree.store(), s.sector.number)
                .expect("sectors")
                .expect("the sector");
            assert_eq!(on_chain.sealed_cid, s.sector.sealed_cid);
            assert_eq!(on_chain.seal_proof, SEAL);
            assert_eq!(on_chain.activation, 0);
            assert_eq!(on_chain.expiration, expiration);
            assert_eq!(on_chain.flags, SectorOnChainInfoFlags::SIMPLE_QA_POWER);
            assert_eq!(on_chain.initial_pledge, TokenAmount::from_atto(1));
        }
        assert_eq!(st.initial_pledge, TokenAmount::from_atto(2));
        assert!(
            st.locked_funds.is_positive(),
            "the create-miner deposit vests"
        );

        // Both sectors in one deadline's one partition (2 KiB partitions
        // hold 2), live, proven, not faulty.
        let deadlines = st.load_deadlines(tree.store()).expect("deadlines");
        let mut found = Vec::new();
        deadlines
            .for_each(tree.store(), |idx, dl| {
                if dl.live_sectors > 0 {
                    let parts = dl.partitions_amt(tree.store())?;
                    parts.for_each(|_, part| {
                        assert!(part.unproven.is_empty(), "proven at genesis");
                        assert!(part.faults.is_empty());
                        found.push((idx, part.sectors.len()));
                        Ok(())
                    })?;
                }
                Ok(())
            })
            .expect("walk deadlines");
        assert_eq!(found.len(), 1, "one partition: {found:?}");
        assert_eq!(found[0].1, 2);

        let claim = power
            .get_claim(tree.store(), &Address::new_id(id))
            .expect("claims")
            .expect("claim");
        assert_eq!(claim.raw_byte_power, StoragePower::from(2 * 2048));
        assert_eq!(claim.quality_adj_power, StoragePower::from(2 * 2048));
    }

    // One proving-deadline cron event per miner, at the end of the
    // deadline it was in at epoch 0.
    for id in &genesis.miner_ids {
        let actor = tree.actor(*id).expect("miner");
        let st: MinerState = tree.read_state(&actor.state, "miner").expect("miner state");
        let at = st.deadline_info(&p, 0).last();
        let events = common::cron_events(tree.store(), &power, at);
        assert!(
            events.iter().any(|e| e == &(Address::new_id(*id), 1)),
            "f0{id} at {at}: {events:?}"
        );
    }

    // Every actor runs devnet code.
    tree.flush().expect("flush");
    tree.for_each(|id, a| {
        assert!(
            manifest.kind_of(&a.code).is_some(),
            "f0{id} has code {}",
            a.code
        );
        Ok(())
    })
    .expect("walk");

    // The same input builds the same root on another store.
    assert_eq!(
        build(&MemoryBlockstore::new()).state_root,
        genesis.state_root
    );
}

#[test]
fn genesis_refuses_miners_it_cannot_set_up() {
    let owner = PrivateKey::generate(SignatureType::Secp256k1)
        .address()
        .expect("address");
    let worker = PrivateKey::generate(SignatureType::BLS)
        .address()
        .expect("address");
    // A CommR-shaped CID: fil-commitment-sealed, poseidon-bls12_381-a2-fc1.
    let comm_r = |n: u64| {
        cid::Cid::new_v1(
            0xf102,
            cid::multihash::Multihash::wrap(0xb401, &[n as u8 + 1; 32]).expect("multihash"),
        )
    };
    let sector = |n: u64| GenesisSector {
        number: n,
        proof: SEAL,
        sealed_cid: comm_r(n),
    };
    let miner = |sectors| GenesisMiner {
        owner,
        worker,
        peer_id: vec![],
        sectors,
    };
    let build = |m: GenesisMiner, worker_funds: u64| {
        GenesisBuilder::new("devnet")
            .account(owner, TokenAmount::from_whole(1000))
            .account(worker, TokenAmount::from_whole(worker_funds))
            .miner(m)
            .build(&MemoryBlockstore::new())
            .map(|_| ())
            .expect_err("refused")
            .to_string()
    };
    // The accepted case, so each refusal below is the one change.
    GenesisBuilder::new("devnet")
        .account(owner, TokenAmount::from_whole(1000))
        .account(worker, TokenAmount::from_whole(1000))
        .miner(miner(vec![sector(0)]))
        .build(&MemoryBlockstore::new())
        .expect("one 2 KiB sector is enough power on a devnet");

    let e = build(miner(vec![]), 1000);
    assert!(e.contains("no sectors"), "{e}");
    let e = build(miner(vec![sector(0), sector(0)]), 1000);
    assert!(e.contains("twice"), "{e}");
    // A sector size the devnet does not run: the constructor refuses it.
    let mut m = miner(vec![sector(0)]);
    m.sectors[0].proof = RegisteredSealProof::StackedDRG32GiBV1P1;
    let e = build(m, 1000);
    assert!(e.contains("not allowed for new miner actors"), "{e}");
    // A second sector of another size than the miner's.
    let mut m = miner(vec![sector(0), sector(1)]);
    m.sectors[1].proof = RegisteredSealProof::StackedDRG8MiBV1P1;
    let e = build(m, 1000);
    assert!(e.contains("does not match"), "{e}");
    // A CommR that is not a sealed-sector CID.
    let mut m = miner(vec![sector(0)]);
    m.sectors[0].sealed_cid = cid::Cid::new_v1(
        0x71,
        cid::multihash::Multihash::wrap(0xb220, &[1; 32]).expect("mh"),
    );
    let e = build(m, 1000);
    assert!(e.contains("not a sealed-sector CID"), "{e}");
    // A worker too poor for its sector's deposit and pledge.
    let e = build(miner(vec![sector(0)]), 0);
    assert!(e.contains("must pay"), "{e}");
    // An owner that is not a genesis account cannot create the miner.
    let mut m = miner(vec![sector(0)]);
    m.owner = PrivateKey::generate(SignatureType::BLS)
        .address()
        .expect("address");
    let e = build(m, 1000);
    assert!(e.contains("creating miner f01000"), "{e}");
}
