//! The owner's miner methods: `ChangeWorkerAddress` (a new BLS worker
//! after the delay, control addresses at once), `ConfirmChangeWorkerAddress`,
//! and `WithdrawBalance` (what is neither locked nor owed, to the owner).

#![allow(missing_docs)]

mod common;

use common::*;
use fil_actor_miner_state::v17::{
    ChangeWorkerAddressParams, State as MinerState, WithdrawBalanceParams, WithdrawBalanceReturn,
};
use fvm_ipld_blockstore::MemoryBlockstore;
use fvm_ipld_encoding::RawBytes;
use fvm_shared::error::ExitCode;
use venus_chain::exec::actors::{
    CHANGE_WORKER_ADDRESS, CONFIRM_CHANGE_WORKER_ADDRESS, WITHDRAW_BALANCE,
};
use venus_chain::exec::{policy, ExecEnv};
use venus_chain::{Manifest, StateTree, Vm};
use venus_core::crypto::PrivateKey;
use venus_core::{Address, SignatureType, TokenAmount};

fn miner_state(vm: &Vm<&MemoryBlockstore>, id: u64) -> MinerState {
    let a = vm.tree().actor(id).expect("miner");
    vm.tree()
        .read_state(&a.state, "miner")
        .expect("miner state")
}

fn change_worker(
    from: Address,
    miner: Address,
    nonce: u64,
    worker: Address,
    control: Vec<Address>,
) -> venus_core::Message {
    msg(
        from,
        miner,
        nonce,
        CHANGE_WORKER_ADDRESS,
        RawBytes::serialize(ChangeWorkerAddressParams {
            new_worker: worker,
            new_control_addresses: control,
        })
        .expect("params"),
        TokenAmount::default(),
    )
}

#[test]
fn a_worker_change_waits_for_its_delay_and_only_the_owner_asks() {
    let n = net();
    let (mut vm, miner) = with_miner(&n);
    let id = miner.id().expect("id");
    // A second BLS key gets an account by receiving FIL.
    let bls2 = PrivateKey::generate(SignatureType::BLS)
        .address()
        .expect("address");
    let r = apply(
        &mut vm,
        &msg(
            n.owner,
            bls2,
            1,
            0,
            RawBytes::default(),
            TokenAmount::from_whole(1),
        ),
    );
    assert_eq!(r.receipt.exit_code, ExitCode::OK, "{:?}", r.error);

    // The worker may not; a secp256k1 worker may not be.
    let r = apply(&mut vm, &change_worker(n.bls, miner, 0, bls2, vec![]));
    assert_eq!(
        r.receipt.exit_code,
        ExitCode::USR_FORBIDDEN,
        "{:?}",
        r.error
    );
    let r = apply(&mut vm, &change_worker(n.owner, miner, 2, n.secp, vec![]));
    assert_eq!(
        r.receipt.exit_code,
        ExitCode::USR_ILLEGAL_ARGUMENT,
        "{:?}",
        r.error
    );

    let r = apply(
        &mut vm,
        &change_worker(n.owner, miner, 3, bls2, vec![n.secp]),
    );
    assert_eq!(r.receipt.exit_code, ExitCode::OK, "{:?}", r.error);
    let tree = vm.tree_mut();
    let (old_worker, new_worker, control) = (
        tree.lookup_id(&n.bls).expect("id").expect("bls"),
        tree.lookup_id(&bls2).expect("id").expect("bls2"),
        tree.lookup_id(&n.secp).expect("id").expect("secp"),
    );
    let info = miner_state(&vm, id)
        .get_info(vm.tree().store())
        .expect("info");
    assert_eq!(info.worker, Address::new_id(old_worker), "not yet");
    assert_eq!(
        info.control_addresses,
        [Address::new_id(control)],
        "controls change at once"
    );
    let pending = info.pending_worker_key.expect("pending");
    let delay = policy::devnet().worker_key_change_delay;
    assert_eq!(pending.new_worker, Address::new_id(new_worker));
    assert_eq!(pending.effective_at, EPOCH + delay);

    // Confirming early changes nothing; at the effective epoch it does.
    let confirm = |nonce| {
        msg(
            n.owner,
            miner,
            nonce,
            CONFIRM_CHANGE_WORKER_ADDRESS,
            RawBytes::default(),
            TokenAmount::default(),
        )
    };
    let r = apply(&mut vm, &confirm(4));
    assert_eq!(r.receipt.exit_code, ExitCode::OK, "{:?}", r.error);
    assert_eq!(
        miner_state(&vm, id)
            .get_info(vm.tree().store())
            .expect("info")
            .worker,
        Address::new_id(old_worker)
    );
    let root = vm.tree_mut().flush().expect("flush");
    let tree = StateTree::load(&n.store, &root).expect("load");
    let mut later = Vm::new(
        tree,
        Manifest::devnet(),
        ExecEnv::devnet(EPOCH + delay, TokenAmount::from_atto(100)),
    );
    let r = apply(&mut later, &confirm(5));
    assert_eq!(r.receipt.exit_code, ExitCode::OK, "{:?}", r.error);
    let info = miner_state(&later, id)
        .get_info(later.tree().store())
        .expect("info");
    assert_eq!(info.worker, Address::new_id(new_worker));
    assert!(info.pending_worker_key.is_none());
}

#[test]
fn withdrawal_pays_the_owner_what_is_not_locked() {
    let n = net();
    let (mut vm, miner) = with_miner(&n);
    let id = miner.id().expect("id");
    let withdraw = |from, nonce, amount: TokenAmount| {
        msg(
            from,
            miner,
            nonce,
            WITHDRAW_BALANCE,
            RawBytes::serialize(WithdrawBalanceParams {
                amount_requested: amount,
            })
            .expect("params"),
            TokenAmount::default(),
        )
    };
    let r = apply(&mut vm, &withdraw(n.bls, 0, TokenAmount::from_whole(1)));
    assert_eq!(
        r.receipt.exit_code,
        ExitCode::USR_FORBIDDEN,
        "only the owner: {:?}",
        r.error
    );
    let r = apply(&mut vm, &withdraw(n.owner, 1, TokenAmount::from_atto(-1)));
    assert_eq!(
        r.receipt.exit_code,
        ExitCode::USR_ILLEGAL_ARGUMENT,
        "{:?}",
        r.error
    );

    let st = miner_state(&vm, id);
    let balance = vm.tree().actor(id).expect("miner").balance;
    let available = &balance - &st.locked_funds;
    assert!(available.is_positive() && st.locked_funds.is_positive());
    let owner_id = vm
        .tree_mut()
        .lookup_id(&n.owner)
        .expect("id")
        .expect("owner");
    let owner_before = vm.tree().actor(owner_id).expect("owner").balance;

    // Asking for more than there is pays what is available.
    let r = apply(
        &mut vm,
        &withdraw(n.owner, 2, TokenAmount::from_whole(1_000)),
    );
    assert_eq!(r.receipt.exit_code, ExitCode::OK, "{:?}", r.error);
    let ret: WithdrawBalanceReturn =
        fvm_ipld_encoding::from_slice(r.receipt.return_data.bytes()).expect("return");
    assert_eq!(ret.amount_withdrawn, available);
    assert_eq!(
        vm.tree().actor(id).expect("miner").balance,
        st.locked_funds,
        "the deposit stays"
    );
    let paid = &r.gas.base_fee_burn + &r.gas.over_estimation_burn + &r.gas.miner_tip;
    assert_eq!(
        vm.tree().actor(owner_id).expect("owner").balance,
        owner_before + available - paid
    );
    // Nothing more to take.
    let r = apply(&mut vm, &withdraw(n.owner, 3, TokenAmount::from_whole(1)));
    assert_eq!(r.receipt.exit_code, ExitCode::OK, "{:?}", r.error);
    let ret: WithdrawBalanceReturn =
        fvm_ipld_encoding::from_slice(r.receipt.return_data.bytes()).expect("return");
    assert!(ret.amount_withdrawn.is_zero());
}
