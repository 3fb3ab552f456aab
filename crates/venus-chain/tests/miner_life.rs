//! A sector's way to power with real 2 KiB proofs: sealed with the ticket
//! and the seed the chain's randomness gives, pre-committed, proven with
//! `ProveCommitSectors3` (the proof verified by venus-sealer-lib) and
//! activated with its pledge, then its first window PoSt in its deadline
//! brings its power; a declared fault takes it away and a declared
//! recovery is recorded. A wrong proof, a proof too early, pieces that are not
//! the declared data, another deadline, another chain and a stranger are
//! refused with the real actor's exit codes.

#![allow(missing_docs)]

mod common;

use std::sync::Arc;

use common::*;
use fil_actor_miner_state::v17::{
    max_prove_commit_duration, CompactCommD, DeclareFaultsParams, DeclareFaultsRecoveredParams,
    FaultDeclaration, PieceActivationManifest, PoStPartition, PreCommitSectorBatchParams2,
    ProveCommitSectors3Params, RecoveryDeclaration, SectorActivationManifest, SectorPreCommitInfo,
    State as MinerState, SubmitWindowedPoStParams,
};
use fvm_ipld_blockstore::MemoryBlockstore;
use fvm_ipld_encoding::RawBytes;
use fvm_shared::error::ExitCode;
use fvm_shared::piece::PaddedPieceSize;
use fvm_shared::sector::RegisteredSealProof;
use venus_chain::exec::actors::{
    DECLARE_FAULTS, DECLARE_FAULTS_RECOVERED, PRE_COMMIT_SECTOR_BATCH2, PROVE_COMMIT_SECTORS3,
    SUBMIT_WINDOWED_POST,
};
use venus_chain::exec::{policy, ExecEnv, Externs, Randomness};
use venus_chain::{Manifest, StateTree, Vm};
use venus_core::crypto::{draw_randomness_from_digest, DomainSeparationTag};
use venus_core::encoding::blake2b_256;
use venus_core::{Address, TokenAmount};
use venus_sealer_lib::params::ParamCache;
use venus_sealer_lib::types::{sealed_cid, unsealed_cid};
use venus_sealer_lib::{LocalSectorStore, PostSector, ProofPool, Prover, SectorRef, SectorStore};

const SEAL: RegisteredSealProof = RegisteredSealProof::StackedDRG2KiBV1P1;
const PRE_COMMIT_EPOCH: i64 = 10;

/// Randomness as a test chain would give it: a digest per epoch.
struct TestChain;

impl Randomness for TestChain {
    fn chain_randomness(&self, epoch: i64) -> anyhow::Result<[u8; 32]> {
        Ok(blake2b_256(format!("ticket {epoch}").as_bytes()))
    }
    fn beacon_randomness(&self, epoch: i64) -> anyhow::Result<[u8; 32]> {
        Ok(blake2b_256(format!("beacon {epoch}").as_bytes()))
    }
}

fn entropy(miner: Address) -> Vec<u8> {
    fvm_ipld_encoding::to_vec(&miner).expect("cbor")
}

/// A VM at `epoch` over `root`, with real proof verification.
fn vm_at<'a>(
    store: &'a MemoryBlockstore,
    root: &cid::Cid,
    epoch: i64,
    prover: &Prover,
) -> Vm<&'a MemoryBlockstore> {
    let tree = StateTree::load(store, root).expect("load");
    Vm::new(
        tree,
        Manifest::devnet(),
        ExecEnv::devnet(epoch, TokenAmount::from_atto(100)),
    )
    .with_externs(Externs {
        randomness: Arc::new(TestChain),
        verifier: Arc::new(prover.clone()),
    })
}

fn prove_msg(
    from: Address,
    miner: Address,
    nonce: u64,
    pieces: Vec<PieceActivationManifest>,
    proof: Vec<u8>,
    all: bool,
) -> venus_core::Message {
    msg(
        from,
        miner,
        nonce,
        PROVE_COMMIT_SECTORS3,
        RawBytes::serialize(ProveCommitSectors3Params {
            sector_activations: vec![SectorActivationManifest {
                sector_number: 0,
                pieces,
            }],
            sector_proofs: vec![RawBytes::new(proof)],
            aggregate_proof: RawBytes::default(),
            aggregate_proof_type: None,
            require_activation_success: all,
            require_notification_success: false,
        })
        .expect("params"),
        TokenAmount::default(),
    )
}

#[test]
fn a_real_seal_proof_activates_the_sector() {
    let params = ParamCache::from_env().expect("parameter cache");
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let prover = Prover::new(Arc::new(params), ProofPool::new(2));

    // A miner, made at epoch 5, and its state flushed.
    let n = net();
    let (mut vm, miner) = with_miner(&n);
    let root = vm.tree_mut().flush().expect("flush");
    let id = miner.id().expect("id");
    let store = &n.store;

    // Seal sector 0 with the ticket the chain gives at the pre-commit's
    // randomness epoch.
    let dir = tempfile::tempdir().expect("tempdir");
    let sectors = LocalSectorStore::new(dir.path());
    let sector = SectorRef::new(id, 0);
    let paths = sectors.prepare(sector).expect("prepare");
    let seal_rand_epoch = PRE_COMMIT_EPOCH - 1;
    let ticket = draw_randomness_from_digest(
        &TestChain.chain_randomness(seal_rand_epoch).expect("ticket"),
        DomainSeparationTag::SealRandomness,
        seal_rand_epoch,
        &entropy(miner),
    );
    let data: Vec<u8> = (0..2032u32).map(|i| (i * 13 % 251) as u8).collect();
    let piece = rt
        .block_on(prover.add_piece(
            SEAL,
            std::io::Cursor::new(data),
            2032,
            paths.unsealed.clone(),
            vec![],
        ))
        .expect("add piece");
    let pc1 = rt
        .block_on(prover.pc1(SEAL, &paths, ticket, vec![piece.clone()]))
        .expect("pc1");
    let pre = rt.block_on(prover.pc2(pc1, &paths)).expect("pc2");
    let comm_d = unsealed_cid(&pre.comm_d).expect("CommD");
    let pre_comm_r = pre.comm_r;

    // Pre-commit it at epoch 10.
    let p = policy::devnet();
    let mut vm = vm_at(store, &root, PRE_COMMIT_EPOCH, &prover);
    let expiration = PRE_COMMIT_EPOCH
        + max_prove_commit_duration(&p, SEAL).expect("duration")
        + p.min_sector_expiration
        + 100;
    let precommit = SectorPreCommitInfo {
        seal_proof: SEAL,
        sector_number: 0,
        sealed_cid: sealed_cid(&pre.comm_r).expect("CommR"),
        seal_rand_epoch,
        deal_ids: vec![],
        expiration,
        unsealed_cid: CompactCommD::of(comm_d),
    };
    let r = apply(
        &mut vm,
        &msg(
            n.bls,
            miner,
            0,
            PRE_COMMIT_SECTOR_BATCH2,
            RawBytes::serialize(PreCommitSectorBatchParams2 {
                sectors: vec![precommit],
            })
            .expect("params"),
            TokenAmount::default(),
        ),
    );
    assert_eq!(r.receipt.exit_code, ExitCode::OK, "{:?}", r.error);
    let root = vm.tree_mut().flush().expect("flush");

    // The seed: the beacon at the end of the challenge delay.
    let seed_epoch = PRE_COMMIT_EPOCH + p.pre_commit_challenge_delay;
    let seed = draw_randomness_from_digest(
        &TestChain.beacon_randomness(seed_epoch).expect("seed"),
        DomainSeparationTag::InteractiveSealChallengeSeed,
        seed_epoch,
        &entropy(miner),
    );
    let c1 = rt
        .block_on(prover.c1(&paths, ticket, seed, pre, vec![piece.clone()]))
        .expect("c1");
    let proof = rt.block_on(prover.c2(c1, sector)).expect("c2");
    let pieces = vec![PieceActivationManifest {
        cid: unsealed_cid(&piece.commitment).expect("piece CID"),
        size: PaddedPieceSize(2048),
        verified_allocation_key: None,
        notify: vec![],
    }];

    // Too early: the seed's epoch has not passed.
    let mut early = vm_at(store, &root, seed_epoch, &prover);
    let r = apply(
        &mut early,
        &prove_msg(n.bls, miner, 1, pieces.clone(), proof.clone(), true),
    );
    assert_eq!(
        r.receipt.exit_code,
        ExitCode::USR_FORBIDDEN,
        "{:?}",
        r.error
    );

    let at = seed_epoch + 1;
    // A wrong proof, one sector and activation required, then not.
    let mut wrong = proof.clone();
    wrong[0] ^= 1;
    for all in [true, false] {
        let mut vm = vm_at(store, &root, at, &prover);
        let r = apply(
            &mut vm,
            &prove_msg(n.bls, miner, 1, pieces.clone(), wrong.clone(), all),
        );
        assert_eq!(
            r.receipt.exit_code,
            ExitCode::USR_ILLEGAL_ARGUMENT,
            "{:?}",
            r.error
        );
    }
    // Pieces that are not what the pre-commit declared.
    let mut other = pieces.clone();
    other[0].cid = comm_d_of_zeros();
    let mut vm = vm_at(store, &root, at, &prover);
    let r = apply(
        &mut vm,
        &prove_msg(n.bls, miner, 1, other, proof.clone(), true),
    );
    assert_eq!(
        r.receipt.exit_code,
        ExitCode::USR_ILLEGAL_ARGUMENT,
        "{:?}",
        r.error
    );
    // Neither owner nor worker.
    let mut vm = vm_at(store, &root, at, &prover);
    let r = apply(
        &mut vm,
        &prove_msg(n.secp, miner, 0, pieces.clone(), proof.clone(), true),
    );
    assert_eq!(
        r.receipt.exit_code,
        ExitCode::USR_FORBIDDEN,
        "{:?}",
        r.error
    );

    // The real proof, on time, by the worker.
    let mut vm = vm_at(store, &root, at, &prover);
    let pledge_before = power(&vm).total_pledge_collateral;
    let r = apply(&mut vm, &prove_msg(n.bls, miner, 1, pieces, proof, true));
    assert_eq!(r.receipt.exit_code, ExitCode::OK, "{:?}", r.error);
    let a = vm.tree().actor(id).expect("miner");
    let st: MinerState = vm.tree().read_state(&a.state, "miner").expect("state");
    let s = st
        .get_sector(vm.tree().store(), 0)
        .expect("sectors")
        .expect("sector 0 is active");
    assert_eq!(s.activation, at);
    assert_eq!(s.expiration, expiration);
    assert!(s.initial_pledge.is_positive());
    assert!(s.deal_weight > 0.into(), "its piece counts as deal space");
    assert!(st
        .get_precommitted_sector(vm.tree().store(), 0)
        .expect("precommits")
        .is_none());
    assert!(st.pre_commit_deposits.is_zero(), "the deposit is released");
    assert_eq!(st.initial_pledge, s.initial_pledge);
    assert_eq!(
        power(&vm).total_pledge_collateral,
        pledge_before + &s.initial_pledge,
        "the pledge reaches the power actor"
    );
    // Power waits for the first window PoSt.
    let claim = power(&vm)
        .get_claim(vm.tree().store(), &miner)
        .expect("claims")
        .expect("claim");
    assert_eq!(claim.raw_byte_power, 0.into());

    // The first window PoSt of the sector's deadline brings its power.
    let root = vm.tree_mut().flush().expect("flush");
    let (dl_idx, part_idx) = st.find_sector(vm.tree().store(), 0).expect("assigned");
    let mut open = st.proving_period_start + dl_idx as i64 * p.wpost_challenge_window;
    while open <= at {
        open += p.wpost_proving_period;
    }
    let dl = st.deadline_info(&p, open);
    assert_eq!((dl.index, dl.open), (dl_idx, open));
    let now = open + 1;
    let commit_epoch = open;
    let commit_rand = draw_randomness_from_digest(
        &TestChain.chain_randomness(commit_epoch).expect("ticket"),
        DomainSeparationTag::PoStChainCommit,
        commit_epoch,
        &[],
    );
    let challenge = draw_randomness_from_digest(
        &TestChain.beacon_randomness(dl.challenge).expect("beacon"),
        DomainSeparationTag::WindowedPoStChallengeSeed,
        dl.challenge,
        &entropy(miner),
    );
    let post_sector = PostSector {
        number: 0,
        proof: SEAL,
        comm_r: pre_comm_r,
    };
    let proofs = rt
        .block_on(prover.generate_window_post(&sectors, id, &[post_sector], &challenge))
        .expect("window PoSt");
    let post = |deadline: u64, rand: [u8; 32], from: Address, nonce: u64| {
        msg(
            from,
            miner,
            nonce,
            SUBMIT_WINDOWED_POST,
            RawBytes::serialize(SubmitWindowedPoStParams {
                deadline,
                partitions: vec![PoStPartition {
                    index: part_idx,
                    skipped: Default::default(),
                }],
                proofs: proofs.clone(),
                chain_commit_epoch: commit_epoch,
                chain_commit_rand: fvm_shared::randomness::Randomness(rand.to_vec()),
            })
            .expect("params"),
            TokenAmount::default(),
        )
    };
    let wdpost_refusals = [
        (
            "another deadline",
            post(
                (dl_idx + 1) % p.wpost_period_deadlines,
                commit_rand,
                n.bls,
                2,
            ),
            ExitCode::USR_ILLEGAL_ARGUMENT,
        ),
        (
            "another chain",
            post(dl_idx, [7u8; 32], n.bls, 2),
            ExitCode::USR_ILLEGAL_ARGUMENT,
        ),
        (
            "a stranger",
            post(dl_idx, commit_rand, n.secp, 0),
            ExitCode::USR_FORBIDDEN,
        ),
    ];
    for (what, m, code) in wdpost_refusals {
        let mut vm = vm_at(store, &root, now, &prover);
        let r = apply(&mut vm, &m);
        assert_eq!(r.receipt.exit_code, code, "{what}: {:?}", r.error);
    }
    let mut vm = vm_at(store, &root, now, &prover);
    let r = apply(&mut vm, &post(dl_idx, commit_rand, n.bls, 2));
    assert_eq!(r.receipt.exit_code, ExitCode::OK, "{:?}", r.error);
    let pw = power(&vm);
    let claim = pw
        .get_claim(vm.tree().store(), &miner)
        .expect("claims")
        .expect("claim");
    assert_eq!(
        claim.raw_byte_power,
        2048.into(),
        "power grows with the first proof"
    );
    assert_eq!(claim.quality_adj_power, 2048.into());
    assert_eq!(pw.total_bytes_committed, 2048.into());

    // Faults: too late for this deadline once it is open; after it
    // closes, for its next occurrence, the power goes at once.
    let root = vm.tree_mut().flush().expect("flush");
    let declare = |method: u64, from: Address, nonce: u64| {
        let sectors = fvm_ipld_bitfield::BitField::try_from_bits([0u64]).expect("bitfield");
        let params = if method == DECLARE_FAULTS {
            RawBytes::serialize(DeclareFaultsParams {
                faults: vec![FaultDeclaration {
                    deadline: dl_idx,
                    partition: part_idx,
                    sectors,
                }],
            })
        } else {
            RawBytes::serialize(DeclareFaultsRecoveredParams {
                recoveries: vec![RecoveryDeclaration {
                    deadline: dl_idx,
                    partition: part_idx,
                    sectors,
                }],
            })
        };
        msg(
            from,
            miner,
            nonce,
            method,
            params.expect("params"),
            TokenAmount::default(),
        )
    };
    let mut vm = vm_at(store, &root, now, &prover);
    let r = apply(&mut vm, &declare(DECLARE_FAULTS, n.bls, 3));
    assert_eq!(
        r.receipt.exit_code,
        ExitCode::USR_ILLEGAL_ARGUMENT,
        "late: {:?}",
        r.error
    );
    let after = dl.close;
    let mut vm = vm_at(store, &root, after, &prover);
    let r = apply(&mut vm, &declare(DECLARE_FAULTS, n.secp, 0));
    assert_eq!(
        r.receipt.exit_code,
        ExitCode::USR_FORBIDDEN,
        "{:?}",
        r.error
    );
    let r = apply(&mut vm, &declare(DECLARE_FAULTS, n.bls, 3));
    assert_eq!(r.receipt.exit_code, ExitCode::OK, "{:?}", r.error);
    let claim = power(&vm)
        .get_claim(vm.tree().store(), &miner)
        .expect("claims")
        .expect("claim");
    assert_eq!(
        claim.raw_byte_power,
        0.into(),
        "a declared fault loses its power"
    );
    let faulty = |vm: &Vm<&MemoryBlockstore>| {
        let a = vm.tree().actor(id).expect("miner");
        let st: MinerState = vm.tree().read_state(&a.state, "miner").expect("state");
        let dls = st.load_deadlines(vm.tree().store()).expect("deadlines");
        let d = dls
            .load_deadline(vm.tree().store(), dl_idx)
            .expect("deadline");
        let part = d
            .load_partition(vm.tree().store(), part_idx)
            .expect("partition");
        (part.faults.get(0), part.recoveries.get(0))
    };
    assert_eq!(faulty(&vm), (true, false));
    // The recovery is recorded; its power waits for the next proof.
    let r = apply(&mut vm, &declare(DECLARE_FAULTS_RECOVERED, n.bls, 4));
    assert_eq!(r.receipt.exit_code, ExitCode::OK, "{:?}", r.error);
    assert_eq!(faulty(&vm), (true, true));
    let claim = power(&vm)
        .get_claim(vm.tree().store(), &miner)
        .expect("claims")
        .expect("claim");
    assert_eq!(claim.raw_byte_power, 0.into());
}

/// The CommD of an all-zero 2 KiB sector: a valid piece CID, not ours.
fn comm_d_of_zeros() -> cid::Cid {
    CompactCommD::empty().get_cid(SEAL).expect("zero CommD")
}
