//! Miner `PreCommitSectorBatch2`: what a pre-commit leaves in the miner's
//! and the power actor's state, and each refusal with the real actor's
//! exit code, undone whole.

#![allow(missing_docs)]

mod common;

use common::*;
use fil_actor_miner_state::v17::{
    max_prove_commit_duration, CompactCommD, PreCommitSectorBatchParams2, SectorPreCommitInfo,
    State as MinerState,
};
use fvm_ipld_encoding::RawBytes;
use fvm_shared::error::ExitCode;
use fvm_shared::sector::RegisteredSealProof;
use venus_chain::exec::actors::PRE_COMMIT_SECTOR_BATCH2;
use venus_chain::exec::policy;
use venus_core::{Address, Message, TokenAmount};

const SEAL: RegisteredSealProof = RegisteredSealProof::StackedDRG2KiBV1P1;

fn comm(codec: u64, hash: u64, seed: u8) -> cid::Cid {
    cid::Cid::new_v1(
        codec,
        cid::multihash::Multihash::wrap(hash, &[seed; 32]).expect("multihash"),
    )
}

/// A well-formed pre-commit of sector `n`.
fn precommit(n: u64) -> SectorPreCommitInfo {
    let p = policy::devnet();
    let activation = EPOCH + max_prove_commit_duration(&p, SEAL).expect("duration");
    SectorPreCommitInfo {
        seal_proof: SEAL,
        sector_number: n,
        sealed_cid: comm(0xf102, 0xb401, n as u8 + 1),
        seal_rand_epoch: EPOCH - 1,
        deal_ids: vec![],
        expiration: activation + p.min_sector_expiration + 100,
        unsealed_cid: CompactCommD::of(comm(0xf101, 0x1012, n as u8 + 1)),
    }
}

fn batch(from: Address, to: Address, nonce: u64, sectors: Vec<SectorPreCommitInfo>) -> Message {
    msg(
        from,
        to,
        nonce,
        PRE_COMMIT_SECTOR_BATCH2,
        RawBytes::serialize(PreCommitSectorBatchParams2 { sectors }).expect("params"),
        TokenAmount::default(),
    )
}

fn miner_state(
    vm: &venus_chain::Vm<&fvm_ipld_blockstore::MemoryBlockstore>,
    id: u64,
) -> MinerState {
    let a = vm.tree().actor(id).expect("miner");
    vm.tree()
        .read_state(&a.state, "miner")
        .expect("miner state")
}

#[test]
fn a_precommit_is_recorded_with_its_deposit_and_enrolls_cron() {
    let n = net();
    let (mut vm, miner) = with_miner(&n);
    let id = miner.id().expect("id");
    let before = miner_state(&vm, id);
    assert!(!before.deadline_cron_active);

    // The worker pre-commits two sectors (the owner created the miner).
    let r = apply(
        &mut vm,
        &batch(n.bls, miner, 0, vec![precommit(0), precommit(1)]),
    );
    assert_eq!(r.receipt.exit_code, ExitCode::OK, "{:?}", r.error);
    let st = miner_state(&vm, id);
    assert!(st.deadline_cron_active);
    assert!(st.pre_commit_deposits.is_positive());
    let store = vm.tree().store();
    for s in 0..2 {
        let pc = st
            .get_precommitted_sector(store, s)
            .expect("precommits")
            .expect("pre-committed");
        assert_eq!(pc.info, precommit(s));
        assert_eq!(pc.pre_commit_epoch, EPOCH);
        assert_eq!(&pc.pre_commit_deposit * 2, st.pre_commit_deposits);
    }
    // The deadline cron, at the end of the deadline the miner is in.
    let at = st.deadline_info(&policy::devnet(), EPOCH).last();
    assert_eq!(cron_events(store, &power(&vm), at), [(miner, 1)]);

    // A second batch reuses a number: refused, nothing changes.
    let r = apply(
        &mut vm,
        &batch(n.bls, miner, 1, vec![precommit(2), precommit(1)]),
    );
    assert_eq!(
        r.receipt.exit_code,
        ExitCode::USR_ILLEGAL_ARGUMENT,
        "{:?}",
        r.error
    );
    let after = miner_state(&vm, id);
    assert_eq!(after.pre_commit_deposits, st.pre_commit_deposits);
    assert!(after
        .get_precommitted_sector(vm.tree().store(), 2)
        .expect("precommits")
        .is_none());
}

#[test]
fn precommit_refusals_carry_the_real_exit_codes() {
    let n = net();
    type Change = Box<dyn Fn(&mut SectorPreCommitInfo)>;
    let cases: Vec<(&str, Change, ExitCode)> = vec![
        (
            "CommR prefix",
            Box::new(|p| p.sealed_cid = comm(0xf101, 0x1012, 9)),
            ExitCode::USR_ILLEGAL_ARGUMENT,
        ),
        (
            "CommD prefix",
            Box::new(|p| p.unsealed_cid = CompactCommD::of(comm(0xf102, 0xb401, 9))),
            ExitCode::USR_ILLEGAL_ARGUMENT,
        ),
        (
            "ticket from now",
            Box::new(|p| p.seal_rand_epoch = EPOCH),
            ExitCode::USR_ILLEGAL_ARGUMENT,
        ),
        (
            "ticket too old",
            Box::new(|p| p.seal_rand_epoch = EPOCH - 10_000),
            ExitCode::USR_ILLEGAL_ARGUMENT,
        ),
        (
            "too short",
            Box::new(|p| p.expiration = EPOCH + 100),
            ExitCode::USR_ILLEGAL_ARGUMENT,
        ),
        (
            "32 GiB on a devnet",
            Box::new(|p| p.seal_proof = RegisteredSealProof::StackedDRG32GiBV1P1),
            ExitCode::USR_ILLEGAL_ARGUMENT,
        ),
        (
            "a deal that does not exist",
            Box::new(|p| p.deal_ids = vec![7]),
            ExitCode::USR_NOT_FOUND,
        ),
    ];
    for (what, change, code) in cases {
        let (mut vm, miner) = with_miner(&n);
        let mut pc = precommit(0);
        change(&mut pc);
        let r = apply(&mut vm, &batch(n.bls, miner, 0, vec![pc]));
        assert_eq!(r.receipt.exit_code, code, "{what}: {:?}", r.error);
        let st = miner_state(&vm, miner.id().expect("id"));
        assert!(st.pre_commit_deposits.is_zero(), "{what}: nothing recorded");
        assert!(!st.deadline_cron_active, "{what}");
    }

    // Neither owner nor worker.
    let (mut vm, miner) = with_miner(&n);
    let r = apply(&mut vm, &batch(n.secp, miner, 0, vec![precommit(0)]));
    assert_eq!(
        r.receipt.exit_code,
        ExitCode::USR_FORBIDDEN,
        "{:?}",
        r.error
    );
    // An empty batch.
    let r = apply(&mut vm, &batch(n.bls, miner, 0, vec![]));
    assert_eq!(
        r.receipt.exit_code,
        ExitCode::USR_ILLEGAL_ARGUMENT,
        "{:?}",
        r.error
    );
    // The same number twice in one batch.
    let r = apply(
        &mut vm,
        &batch(n.bls, miner, 1, vec![precommit(0), precommit(0)]),
    );
    assert_eq!(
        r.receipt.exit_code,
        ExitCode::USR_ILLEGAL_ARGUMENT,
        "{:?}",
        r.error
    );
}
