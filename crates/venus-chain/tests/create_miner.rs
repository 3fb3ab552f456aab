//! Power's `CreateMiner` through init's `Exec` and the miner's
//! constructor: the miner's ID and robust address, its state as the real
//! actor writes it, the deposit it locks, the claim power gives it, and
//! each refusal with the real actor's exit code, undone whole.

#![allow(missing_docs)]

use fil_actor_miner_state::v17::{initial_pledge_for_power, State as MinerState};
use fil_actor_power_state::v17::{CreateMinerReturn, State as PowerState};
use fvm_ipld_blockstore::MemoryBlockstore;
use fvm_ipld_encoding::RawBytes;
use fvm_shared::error::ExitCode;
use fvm_shared::sector::{RegisteredPoStProof, StoragePower};
use venus_chain::exec::actors::{CREATE_MINER, EXEC};
use venus_chain::exec::{circulating_supply, policy, ExecEnv, Vm};
use venus_chain::genesis::{MINER_START, POWER_ID};
use venus_chain::state::{ActorKind, INIT_ACTOR_ID};
use venus_chain::{GenesisBuilder, Manifest, StateTree};
use venus_core::crypto::PrivateKey;
use venus_core::{Address, Message, SignatureType, TokenAmount};

mod common;

use common::*;

#[test]
fn create_miner_makes_a_miner_that_the_state_crates_read() {
    let n = net();
    let mut vm = vm(&n);
    let value = TokenAmount::from_whole(10);
    let m = create_miner_msg(
        n.owner,
        n.bls,
        RegisteredPoStProof::StackedDRGWindow2KiBV1P1,
        0,
        value.clone(),
    );
    let supply = circulating_supply(vm.tree()).expect("supply");
    let r = apply(&mut vm, &m);
    assert_eq!(r.receipt.exit_code, ExitCode::OK, "{:?}", r.error);
    let ret: CreateMinerReturn =
        fvm_ipld_encoding::from_slice(r.receipt.return_data.bytes()).expect("return");
    assert_eq!(ret.id_address, Address::new_id(MINER_START));
    // The FVM's next actor address: the origin's CBOR, nonce 0, none created before.
    let mut seed = fvm_ipld_encoding::to_vec(&n.owner).expect("cbor");
    seed.extend_from_slice(&0u64.to_be_bytes());
    seed.extend_from_slice(&0u64.to_be_bytes());
    assert_eq!(ret.robust_address, Address::new_actor(&seed));
    let tree = vm.tree_mut();
    assert_eq!(
        tree.lookup_id(&ret.robust_address).expect("lookup"),
        Some(MINER_START)
    );

    let actor = tree.actor(MINER_START).expect("miner");
    assert_eq!(actor.code, Manifest::devnet().code(ActorKind::Miner));
    assert_eq!(actor.balance, value);
    let st: MinerState = tree.read_state(&actor.state, "miner").expect("miner state");
    let info = st.get_info(tree.store()).expect("info");
    let owner_id = tree.lookup_id(&n.owner).expect("id").expect("owner");
    let worker_id = tree.lookup_id(&n.bls).expect("id").expect("worker");
    assert_eq!(info.owner, Address::new_id(owner_id));
    assert_eq!(info.worker, Address::new_id(worker_id));
    assert_eq!(info.peer_id, b"peer".to_vec());
    assert_eq!(
        info.window_post_proof_type,
        RegisteredPoStProof::StackedDRGWindow2KiBV1P1
    );
    assert_eq!(info.sector_size as u64, 2048);
    let p = policy::devnet();
    assert!(
        st.proving_period_start <= EPOCH
            && st.proving_period_start > EPOCH - p.wpost_proving_period
    );
    assert_eq!(
        st.current_deadline,
        ((EPOCH - st.proving_period_start) / p.wpost_challenge_window) as u64
    );
    assert!(!st.deadline_cron_active);

    // The deposit: the pledge of 204 bytes (a tenth of the devnet's 2 KiB
    // minimum), from the genesis reward and power estimates.
    let reward_actor = tree.actor(2).expect("reward");
    let reward: fil_actor_reward_state::v17::State = tree
        .read_state(&reward_actor.state, "reward")
        .expect("reward state");
    let genesis_power = PowerState::new(&MemoryBlockstore::new()).expect("power");
    let expected = initial_pledge_for_power(
        &StoragePower::from(204),
        &reward.this_epoch_baseline_power,
        &reward.this_epoch_reward_smoothed,
        &genesis_power.this_epoch_qa_power_smoothed,
        &supply,
        EPOCH,
        0,
    );
    assert!(expected.is_positive());
    assert_eq!(st.locked_funds, expected);

    let pw = power(&vm);
    assert_eq!(pw.miner_count, 1);
    let claim = pw
        .get_claim(vm.tree().store(), &ret.id_address)
        .expect("claims")
        .expect("a claim");
    assert_eq!(claim.raw_byte_power, StoragePower::from(0));
    assert_eq!(
        claim.window_post_proof_type,
        RegisteredPoStProof::StackedDRGWindow2KiBV1P1
    );

    // A second miner from the same sender: the next ID, another address.
    let m2 = create_miner_msg(
        n.owner,
        n.bls,
        RegisteredPoStProof::StackedDRGWindow2KiBV1P1,
        1,
        value,
    );
    let r2 = apply(&mut vm, &m2);
    assert_eq!(r2.receipt.exit_code, ExitCode::OK, "{:?}", r2.error);
    let ret2: CreateMinerReturn =
        fvm_ipld_encoding::from_slice(r2.receipt.return_data.bytes()).expect("return");
    assert_eq!(ret2.id_address, Address::new_id(MINER_START + 1));
    assert_ne!(ret2.robust_address, ret.robust_address);
    assert_eq!(power(&vm).miner_count, 2);
}

/// Applies `m` on a fresh VM and checks it failed with `code` and left
/// nothing behind but the nonce and the gas.
fn refused(n: &Net, m: Message, code: ExitCode) {
    let mut vm = vm(n);
    let r = apply(&mut vm, &m);
    assert_eq!(r.receipt.exit_code, code, "{:?}", r.error);
    let tree = vm.tree_mut();
    assert!(
        tree.get_actor(MINER_START).expect("get").is_none(),
        "no miner"
    );
    let (_, init) = tree.init_state().expect("init");
    assert_eq!(init.next_id, MINER_START, "no ID taken");
    let from = tree.lookup_id(&m.from).expect("id").expect("sender");
    let sender = tree.actor(from).expect("sender");
    assert_eq!(sender.sequence, m.sequence + 1);
    assert_eq!(
        sender.balance,
        TokenAmount::from_whole(1000)
            - &r.gas.base_fee_burn
            - &r.gas.over_estimation_burn
            - &r.gas.miner_tip,
        "the value came back; only gas was paid"
    );
    assert_eq!(power(&vm).miner_count, 0);
}

#[test]
fn create_miner_refusals_carry_the_real_exit_codes_and_undo_everything() {
    let n = net();
    let to = Address::new_id(POWER_ID);
    let ten = TokenAmount::from_whole(10);
    let p2k = RegisteredPoStProof::StackedDRGWindow2KiBV1P1;
    // The worker must have a BLS key.
    refused(
        &n,
        create_miner_msg(n.owner, n.secp, p2k, 0, ten.clone()),
        ExitCode::USR_ILLEGAL_ARGUMENT,
    );
    // A worker with no actor.
    let nobody = PrivateKey::generate(SignatureType::BLS)
        .address()
        .expect("address");
    refused(
        &n,
        create_miner_msg(n.owner, nobody, p2k, 0, ten.clone()),
        ExitCode::USR_ILLEGAL_ARGUMENT,
    );
    // A proof type the devnet does not run.
    refused(
        &n,
        create_miner_msg(
            n.owner,
            n.bls,
            RegisteredPoStProof::StackedDRGWindow32GiBV1P1,
            0,
            ten.clone(),
        ),
        ExitCode::USR_ILLEGAL_ARGUMENT,
    );
    // No value for the deposit.
    refused(
        &n,
        create_miner_msg(n.owner, n.bls, p2k, 0, TokenAmount::default()),
        ExitCode::USR_INSUFFICIENT_FUNDS,
    );
    // No parameters at all: the dispatcher refuses before the method runs.
    refused(
        &n,
        msg(
            n.owner,
            to,
            0,
            CREATE_MINER,
            RawBytes::default(),
            ten.clone(),
        ),
        ExitCode::USR_ILLEGAL_ARGUMENT,
    );
    // Parameters that are not CreateMinerParams.
    refused(
        &n,
        msg(
            n.owner,
            to,
            0,
            CREATE_MINER,
            RawBytes::new(vec![0x83, 0x01]),
            ten.clone(),
        ),
        ExitCode::USR_SERIALIZATION,
    );
    // An account may not exec a miner through init directly.
    let exec = RawBytes::serialize(fil_actor_init_state::v17::ExecParams {
        code_cid: Manifest::devnet().code(ActorKind::Miner),
        constructor_params: RawBytes::default(),
    })
    .expect("params");
    refused(
        &n,
        msg(
            n.owner,
            Address::new_id(INIT_ACTOR_ID),
            0,
            EXEC,
            exec,
            ten.clone(),
        ),
        ExitCode::USR_FORBIDDEN,
    );
    // Too little gas for the work: nothing of it stays.
    let mut m = create_miner_msg(n.owner, n.bls, p2k, 0, ten);
    m.gas_limit = 3_000_000;
    refused(&n, m, ExitCode::SYS_OUT_OF_GAS);
}

#[test]
fn create_miner_gives_the_same_state_root_on_two_stores() {
    let roots: Vec<cid::Cid> = (0..2)
        .map(|_| {
            // Fixed keys, so both runs start from the same genesis.
            let store = MemoryBlockstore::new();
            let owner = Address::new_secp256k1(&[4u8; 65]).expect("addr");
            let bls = Address::new_bls(&[5u8; 48]).expect("addr");
            let root = GenesisBuilder::new("test")
                .account(owner, TokenAmount::from_whole(1000))
                .account(bls, TokenAmount::from_whole(1))
                .build(&store)
                .expect("genesis")
                .state_root;
            let tree = StateTree::load(&store, &root).expect("load");
            let mut vm = Vm::new(
                tree,
                Manifest::devnet(),
                ExecEnv::devnet(EPOCH, TokenAmount::from_atto(100)),
            );
            let m = create_miner_msg(
                owner,
                bls,
                RegisteredPoStProof::StackedDRGWindow2KiBV1P1,
                0,
                TokenAmount::from_whole(10),
            );
            let r = apply(&mut vm, &m);
            assert_eq!(r.receipt.exit_code, ExitCode::OK, "{:?}", r.error);
            vm.tree_mut().flush().expect("flush")
        })
        .collect();
    assert_eq!(roots[0], roots[1]);
}
