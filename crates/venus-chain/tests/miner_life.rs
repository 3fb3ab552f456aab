//! A miner's life on a chain that runs every epoch as Lotus runs it
//! (`apply_tipset`: messages, rewards, cron), with real 2 KiB proofs and
//! a short proving period (4 deadlines of 6 epochs):
//!
//! 1. `CreateMiner`; a sector sealed with the ticket and the seed the
//!    chain's randomness gives; `PreCommitSectorBatch2`;
//!    `ProveCommitSectors3`, the seal proof verified by venus-sealer-lib.
//! 2. The first window PoSt in the sector's deadline brings its power.
//! 3. The next occurrence passes without a proof: cron faults the
//!    partition and the power goes.
//! 4. `DeclareFaultsRecovered`, then a window PoSt at the next
//!    occurrence, verified for real because it recovers power, restores
//!    it; a wrong proof there is refused.
//!
//! On the way, a proof too early, a wrong seal proof, pieces that are not
//! the declared data, another deadline, another chain and a stranger are
//! refused with the real actor's exit codes.

#![allow(missing_docs)]

mod common;

use std::sync::Arc;

use common::*;
use fil_actor_miner_state::v17::{
    max_prove_commit_duration, CompactCommD, DeclareFaultsRecoveredParams, PieceActivationManifest,
    PoStPartition, PreCommitSectorBatchParams2, ProveCommitSectors3Params, RecoveryDeclaration,
    SectorActivationManifest, SectorPreCommitInfo, State as MinerState, SubmitWindowedPoStParams,
};
use fil_actor_power_state::v17::{CreateMinerReturn, State as PowerState};
use fil_actors_shared::v17::runtime::Policy;
use fvm_ipld_blockstore::MemoryBlockstore;
use fvm_ipld_encoding::RawBytes;
use fvm_shared::error::ExitCode;
use fvm_shared::piece::PaddedPieceSize;
use fvm_shared::randomness::Randomness as Rand;
use fvm_shared::receipt::Receipt;
use fvm_shared::sector::{PoStProof, RegisteredPoStProof, RegisteredSealProof};
use venus_chain::exec::actors::{
    DECLARE_FAULTS_RECOVERED, PRE_COMMIT_SECTOR_BATCH2, PROVE_COMMIT_SECTORS3, SUBMIT_WINDOWED_POST,
};
use venus_chain::exec::{apply_tipset, policy, BlockToApply, ExecEnv, Externs, Randomness};
use venus_chain::genesis::{MINER_START, POWER_ID};
use venus_chain::{Manifest, StateTree};
use venus_core::crypto::{draw_randomness_from_digest, DomainSeparationTag};
use venus_core::encoding::blake2b_256;
use venus_core::types::BlockMessages;
use venus_core::{Address, Message, TokenAmount};
use venus_sealer_lib::params::ParamCache;
use venus_sealer_lib::types::{comm_r, sealed_cid, unsealed_cid};
use venus_sealer_lib::{LocalSectorStore, PostSector, ProofPool, Prover, SectorRef, SectorStore};

const SEAL: RegisteredSealProof = RegisteredSealProof::StackedDRG2KiBV1P1;
const PRE_COMMIT_EPOCH: i64 = 10;

/// Randomness as a test chain gives it: a digest per epoch.
struct TestChain;

impl Randomness for TestChain {
    fn chain_randomness(&self, epoch: i64) -> anyhow::Result<[u8; 32]> {
        Ok(blake2b_256(format!("ticket {epoch}").as_bytes()))
    }
    fn beacon_randomness(&self, epoch: i64) -> anyhow::Result<[u8; 32]> {
        Ok(blake2b_256(format!("beacon {epoch}").as_bytes()))
    }
}

fn ticket(tag: DomainSeparationTag, epoch: i64, entropy: &[u8]) -> [u8; 32] {
    let digest = TestChain.chain_randomness(epoch).expect("ticket");
    draw_randomness_from_digest(&digest, tag, epoch, entropy)
}

fn beacon(tag: DomainSeparationTag, epoch: i64, entropy: &[u8]) -> [u8; 32] {
    let digest = TestChain.beacon_randomness(epoch).expect("beacon");
    draw_randomness_from_digest(&digest, tag, epoch, entropy)
}

/// The chain: a state at an epoch, advanced one tipset at a time.
struct Chain<'a> {
    store: &'a MemoryBlockstore,
    root: cid::Cid,
    epoch: i64,
    policy: Policy,
    externs: Externs,
}

impl Chain<'_> {
    /// The tipset at `epoch` holding `msgs`: one block by the test's miner
    /// (f01000), which takes its reward; no block when there are none.
    fn tipset(&self, epoch: i64, msgs: &[Message]) -> (cid::Cid, Vec<Receipt>) {
        let messages = BlockMessages {
            bls_messages: msgs.to_vec(),
            secpk_messages: vec![],
            cids: vec![],
        };
        let blocks: Vec<BlockToApply> = if msgs.is_empty() {
            vec![]
        } else {
            vec![BlockToApply {
                miner: Address::new_id(MINER_START),
                win_count: 1,
                messages: &messages,
            }]
        };
        let env = ExecEnv {
            policy: self.policy.clone(),
            ..ExecEnv::devnet(epoch, TokenAmount::from_atto(100))
        };
        let out = apply_tipset(
            self.store,
            &self.root,
            self.epoch,
            &Manifest::devnet(),
            &env,
            Some(self.externs.clone()),
            &blocks,
        )
        .expect("tipset");
        (out.state_root, out.receipts)
    }

    /// Applies `msgs` at `epoch` (cron runs for the epochs between) and
    /// moves the chain there.
    fn run(&mut self, epoch: i64, msgs: &[Message]) -> Vec<Receipt> {
        let (root, receipts) = self.tipset(epoch, msgs);
        self.root = root;
        self.epoch = epoch;
        receipts
    }

    /// What `m` would do at `epoch`, leaving the chain where it is.
    fn try_at(&self, epoch: i64, m: Message) -> ExitCode {
        self.tipset(epoch, &[m]).1[0].exit_code
    }

    /// Runs empty epochs up to `epoch`.
    fn advance_to(&mut self, epoch: i64) {
        if epoch > self.epoch {
            self.run(epoch, &[]);
        }
    }

    fn read<T: serde::de::DeserializeOwned>(&self, id: u64) -> T {
        let tree = StateTree::load(self.store, &self.root).expect("load");
        let a = tree.actor(id).expect("actor");
        tree.read_state(&a.state, "state").expect("decode")
    }

    fn raw_power(&self, miner: &Address) -> fvm_shared::sector::StoragePower {
        let p: PowerState = self.read(POWER_ID);
        p.get_claim(self.store, miner)
            .expect("claims")
            .expect("claim")
            .raw_byte_power
    }
}

#[test]
fn a_sector_gains_loses_and_regains_its_power_with_real_proofs() {
    let params = ParamCache::from_env().expect("parameter cache");
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let prover = Prover::new(Arc::new(params), ProofPool::new(2));
    let p = policy::with_proving_period(policy::devnet(), 4, 6).expect("policy");

    let n = net();
    let mut chain = Chain {
        store: &n.store,
        root: n.root,
        epoch: 0,
        policy: p.clone(),
        externs: Externs {
            randomness: Arc::new(TestChain),
            verifier: Arc::new(prover.clone()),
        },
    };

    // 1. The miner, made at epoch 1.
    let r = chain.run(
        1,
        &[create_miner_msg(
            n.owner,
            n.bls,
            RegisteredPoStProof::StackedDRGWindow2KiBV1P1,
            0,
            TokenAmount::from_whole(10),
        )],
    );
    assert_eq!(r[0].exit_code, ExitCode::OK);
    let ret: CreateMinerReturn =
        fvm_ipld_encoding::from_slice(r[0].return_data.bytes()).expect("return");
    let miner = ret.id_address;
    let id = miner.id().expect("id");
    let entropy = fvm_ipld_encoding::to_vec(&miner).expect("cbor");

    // Seal sector 0 with the ticket of the epoch before the pre-commit.
    let dir = tempfile::tempdir().expect("tempdir");
    let sectors = LocalSectorStore::new(dir.path());
    let sector = SectorRef::new(id, 0);
    let paths = sectors.prepare(sector).expect("prepare");
    let seal_rand_epoch = PRE_COMMIT_EPOCH - 1;
    let seal_ticket = ticket(
        DomainSeparationTag::SealRandomness,
        seal_rand_epoch,
        &entropy,
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
        .block_on(prover.pc1(SEAL, &paths, seal_ticket, vec![piece.clone()]))
        .expect("pc1");
    let pre = rt.block_on(prover.pc2(pc1, &paths)).expect("pc2");
    let comm_d = unsealed_cid(&pre.comm_d).expect("CommD");
    let comm_r_cid = sealed_cid(&pre.comm_r).expect("CommR");

    let expiration = PRE_COMMIT_EPOCH
        + max_prove_commit_duration(&p, SEAL).expect("duration")
        + p.min_sector_expiration
        + 100;
    let precommit = msg(
        n.bls,
        miner,
        0,
        PRE_COMMIT_SECTOR_BATCH2,
        RawBytes::serialize(PreCommitSectorBatchParams2 {
            sectors: vec![SectorPreCommitInfo {
                seal_proof: SEAL,
                sector_number: 0,
                sealed_cid: comm_r_cid,
                seal_rand_epoch,
                deal_ids: vec![],
                expiration,
                unsealed_cid: CompactCommD::of(comm_d),
            }],
        })
        .expect("params"),
        TokenAmount::default(),
    );
    chain.advance_to(PRE_COMMIT_EPOCH - 1);
    assert_eq!(
        chain.run(PRE_COMMIT_EPOCH, &[precommit])[0].exit_code,
        ExitCode::OK
    );

    // Prove it after the challenge delay, with the seed of its end.
    let seed_epoch = PRE_COMMIT_EPOCH + p.pre_commit_challenge_delay;
    let seed = beacon(
        DomainSeparationTag::InteractiveSealChallengeSeed,
        seed_epoch,
        &entropy,
    );
    let c1 = rt
        .block_on(prover.c1(&paths, seal_ticket, seed, pre, vec![piece.clone()]))
        .expect("c1");
    let proof = rt.block_on(prover.c2(c1, sector)).expect("c2");
    let pieces = vec![PieceActivationManifest {
        cid: unsealed_cid(&piece.commitment).expect("piece CID"),
        size: PaddedPieceSize(2048),
        verified_allocation_key: None,
        notify: vec![],
    }];
    let prove =
        |from: Address, nonce: u64, pieces: Vec<PieceActivationManifest>, proof: Vec<u8>| {
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
                    require_activation_success: true,
                    require_notification_success: false,
                })
                .expect("params"),
                TokenAmount::default(),
            )
        };
    chain.advance_to(seed_epoch - 1);
    assert_eq!(
        chain.try_at(seed_epoch, prove(n.bls, 1, pieces.clone(), proof.clone())),
        ExitCode::USR_FORBIDDEN,
        "too early"
    );
    chain.advance_to(seed_epoch);
    let at = seed_epoch + 1;
    let mut wrong = proof.clone();
    wrong[0] ^= 1;
    assert_eq!(
        chain.try_at(at, prove(n.bls, 1, pieces.clone(), wrong)),
        ExitCode::USR_ILLEGAL_ARGUMENT
    );
    let mut other = pieces.clone();
    other[0].cid = CompactCommD::empty().get_cid(SEAL).expect("zero CommD");
    assert_eq!(
        chain.try_at(at, prove(n.bls, 1, other, proof.clone())),
        ExitCode::USR_ILLEGAL_ARGUMENT
    );
    assert_eq!(
        chain.try_at(at, prove(n.secp, 0, pieces.clone(), proof.clone())),
        ExitCode::USR_FORBIDDEN
    );
    assert_eq!(
        chain.run(at, &[prove(n.bls, 1, pieces, proof)])[0].exit_code,
        ExitCode::OK
    );
    let st: MinerState = chain.read(id);
    let s = st
        .get_sector(chain.store, 0)
        .expect("sectors")
        .expect("sector 0 is active");
    assert_eq!((s.activation, s.expiration), (at, expiration));
    assert!(s.initial_pledge.is_positive());
    assert!(st.pre_commit_deposits.is_zero(), "the deposit is released");
    assert_eq!(
        chain.raw_power(&miner),
        0.into(),
        "power waits for the first window PoSt"
    );

    // 2. The first window PoSt of the sector's deadline.
    let (dl_idx, part_idx) = st.find_sector(chain.store, 0).expect("assigned");
    let post_sector = PostSector {
        number: 0,
        proof: SEAL,
        comm_r: comm_r(&comm_r_cid).expect("CommR"),
    };
    let next_open = |chain: &Chain, after: i64| {
        let st: MinerState = chain.read(id);
        let mut dl = st.deadline_info(&p, after);
        while dl.index != dl_idx || dl.open <= after {
            dl = st.deadline_info(&p, dl.close);
        }
        dl
    };
    let window_post = |dl: &fil_actor_miner_state::v17::DeadlineInfo| -> Vec<PoStProof> {
        let challenge = beacon(
            DomainSeparationTag::WindowedPoStChallengeSeed,
            dl.challenge,
            &entropy,
        );
        rt.block_on(prover.generate_window_post(&sectors, id, &[post_sector], &challenge))
            .expect("window PoSt")
    };
    let submit = |deadline: u64,
                  commit_epoch: i64,
                  rand: [u8; 32],
                  proofs: Vec<PoStProof>,
                  from: Address,
                  nonce: u64| {
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
                proofs,
                chain_commit_epoch: commit_epoch,
                chain_commit_rand: Rand(rand.to_vec()),
            })
            .expect("params"),
            TokenAmount::default(),
        )
    };
    let dl = next_open(&chain, at);
    chain.advance_to(dl.open);
    let commit = ticket(DomainSeparationTag::PoStChainCommit, dl.open, &[]);
    let proofs = window_post(&dl);
    let now = dl.open + 1;
    let refusals = [
        (
            "another deadline",
            submit(
                (dl_idx + 1) % p.wpost_period_deadlines,
                dl.open,
                commit,
                proofs.clone(),
                n.bls,
                2,
            ),
            ExitCode::USR_ILLEGAL_ARGUMENT,
        ),
        (
            "another chain",
            submit(dl_idx, dl.open, [7; 32], proofs.clone(), n.bls, 2),
            ExitCode::USR_ILLEGAL_ARGUMENT,
        ),
        (
            "a stranger",
            submit(dl_idx, dl.open, commit, proofs.clone(), n.secp, 0),
            ExitCode::USR_FORBIDDEN,
        ),
    ];
    for (what, m, code) in refusals {
        assert_eq!(chain.try_at(now, m), code, "{what}");
    }
    assert_eq!(
        chain.run(now, &[submit(dl_idx, dl.open, commit, proofs, n.bls, 2)])[0].exit_code,
        ExitCode::OK
    );
    assert_eq!(
        chain.raw_power(&miner),
        2048.into(),
        "power grows with the first proof"
    );

    // 3. The next occurrence passes with no proof: cron faults it.
    let missed = next_open(&chain, now);
    chain.advance_to(missed.close);
    assert_eq!(
        chain.raw_power(&miner),
        0.into(),
        "the missed deadline took the power"
    );
    let faulty = |chain: &Chain| {
        let st: MinerState = chain.read(id);
        let part = st
            .load_deadlines(chain.store)
            .expect("deadlines")
            .load_deadline(chain.store, dl_idx)
            .expect("deadline")
            .load_partition(chain.store, part_idx)
            .expect("partition");
        (part.faults.get(0), part.recoveries.get(0))
    };
    assert_eq!(faulty(&chain), (true, false));

    // 4. Recovery, declared before the next occurrence's cutoff, then a
    // proof there, verified because it recovers power.
    let recover = msg(
        n.bls,
        miner,
        3,
        DECLARE_FAULTS_RECOVERED,
        RawBytes::serialize(DeclareFaultsRecoveredParams {
            recoveries: vec![RecoveryDeclaration {
                deadline: dl_idx,
                partition: part_idx,
                sectors: fvm_ipld_bitfield::BitField::try_from_bits([0u64]).expect("bitfield"),
            }],
        })
        .expect("params"),
        TokenAmount::default(),
    );
    assert_eq!(
        chain.run(missed.close + 1, &[recover])[0].exit_code,
        ExitCode::OK
    );
    assert_eq!(faulty(&chain), (true, true));
    let dl = next_open(&chain, chain.epoch);
    chain.advance_to(dl.open);
    let commit = ticket(DomainSeparationTag::PoStChainCommit, dl.open, &[]);
    let mut proofs = window_post(&dl);
    let now = dl.open + 1;
    let mut bad = proofs.clone();
    bad[0].proof_bytes[0] ^= 1;
    assert_eq!(
        chain.try_at(now, submit(dl_idx, dl.open, commit, bad, n.bls, 4)),
        ExitCode::USR_ILLEGAL_ARGUMENT,
        "a recovering proof is verified, and this one does not verify"
    );
    let r = chain.run(
        now,
        &[submit(
            dl_idx,
            dl.open,
            commit,
            std::mem::take(&mut proofs),
            n.bls,
            4,
        )],
    );
    assert_eq!(r[0].exit_code, ExitCode::OK);
    assert_eq!(
        chain.raw_power(&miner),
        2048.into(),
        "recovery and the next proof restore it"
    );
    assert_eq!(faulty(&chain), (false, false));
}
