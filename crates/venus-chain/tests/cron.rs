//! Tipsets as Lotus applies them (`apply_tipset`): each block's reward
//! reaches its miner through the reward actor (three quarters locked to
//! vest), cron runs every epoch (null rounds included), the reward
//! actor's minting state moves with it, and a genesis miner that never
//! proves loses its power when its deadline ends. FIL is conserved.

#![allow(missing_docs)]

mod common;

use common::{one_sector_miner, total};

use fil_actor_miner_state::v17::State as MinerState;
use fil_actor_power_state::v17::State as PowerState;
use fvm_ipld_blockstore::MemoryBlockstore;
use venus_chain::exec::{apply_tipset, policy, BlockToApply, ExecEnv};
use venus_chain::genesis::{MINER_START, POWER_ID, REWARD_ID};
use venus_chain::{GenesisBuilder, Manifest, StateTree};
use venus_core::crypto::PrivateKey;
use venus_core::types::BlockMessages;
use venus_core::{Address, SignatureType, TokenAmount};

fn read<T: serde::de::DeserializeOwned>(store: &MemoryBlockstore, root: &cid::Cid, id: u64) -> T {
    let tree = StateTree::load(store, root).expect("load");
    let a = tree.actor(id).expect("actor");
    tree.read_state(&a.state, "state").expect("decode")
}

#[test]
fn rewards_and_cron_over_epochs_and_a_missed_deadline_faults() {
    // A short proving period: 4 deadlines of 6 epochs.
    let p = policy::with_proving_period(policy::devnet(), 4, 6).expect("policy");
    let key = PrivateKey::generate(SignatureType::BLS)
        .address()
        .expect("address");
    let build = |store: &MemoryBlockstore| {
        GenesisBuilder::new("devnet")
            .policy(p.clone())
            .account(key, TokenAmount::from_whole(1000))
            .miner(one_sector_miner(key))
            .build(store)
    };
    let store = MemoryBlockstore::new();
    let genesis = build(&store).expect("genesis");
    let miner = Address::new_id(MINER_START);
    let fil = total(&store, &genesis.state_root);
    let empty = BlockMessages::default();
    let env = |epoch| ExecEnv {
        policy: p.clone(),
        ..ExecEnv::devnet(epoch, TokenAmount::from_atto(100))
    };
    let block = BlockToApply {
        miner,
        win_count: 1,
        messages: &empty,
    };

    // Epoch 1: one block of the miner.
    let reward0: fil_actor_reward_state::v17::State = read(&store, &genesis.state_root, REWARD_ID);
    let expected = venus_chain::exec::actors::block_reward(&reward0, 1);
    assert!(expected.is_positive());
    let m0 = StateTree::load(&store, &genesis.state_root)
        .expect("load")
        .actor(MINER_START)
        .expect("miner")
        .balance;
    let out = apply_tipset(
        &store,
        &genesis.state_root,
        0,
        &Manifest::devnet(),
        &env(1),
        None,
        &[block],
    )
    .expect("tipset 1");
    let tree = StateTree::load(&store, &out.state_root).expect("load");
    assert_eq!(
        tree.actor(MINER_START).expect("miner").balance,
        &m0 + &expected,
        "the block reward reaches the miner"
    );
    let st: MinerState = read(&store, &out.state_root, MINER_START);
    let locked_before: MinerState = read(&store, &genesis.state_root, MINER_START);
    assert_eq!(
        &st.locked_funds - &locked_before.locked_funds,
        (&expected * 3).div_floor(4),
        "three quarters of it vest"
    );
    let reward1: fil_actor_reward_state::v17::State = read(&store, &out.state_root, REWARD_ID);
    assert_eq!(reward1.total_storage_power_reward, expected);
    assert!(
        reward1.epoch > reward0.epoch,
        "cron moved the minting state"
    );
    assert_eq!(total(&store, &out.state_root), fil, "FIL is conserved");
    // The same tipset again, and on another blockstore from the same
    // genesis: the same state and receipts.
    let again = apply_tipset(
        &store,
        &genesis.state_root,
        0,
        &Manifest::devnet(),
        &env(1),
        None,
        &[block],
    )
    .expect("again");
    assert_eq!(
        (again.state_root, again.receipts_root),
        (out.state_root, out.receipts_root)
    );
    let other = MemoryBlockstore::new();
    let genesis2 = build(&other).expect("genesis");
    assert_eq!(genesis2.state_root, genesis.state_root);
    let elsewhere = apply_tipset(
        &other,
        &genesis2.state_root,
        0,
        &Manifest::devnet(),
        &env(1),
        None,
        &[block],
    )
    .expect("elsewhere");
    assert_eq!(elsewhere.state_root, out.state_root);

    // Then three null rounds and a block at epoch 5: cron ran for each.
    let out = apply_tipset(
        &store,
        &out.state_root,
        1,
        &Manifest::devnet(),
        &env(5),
        None,
        &[block],
    )
    .expect("tipset 5");
    let reward5: fil_actor_reward_state::v17::State = read(&store, &out.state_root, REWARD_ID);
    assert_eq!(
        reward5.epoch - reward1.epoch,
        4,
        "one minting step per epoch, null rounds included"
    );
    let power: PowerState = read(&store, &out.state_root, POWER_ID);
    let claim = power
        .get_claim(&store, &miner)
        .expect("claims")
        .expect("claim");
    assert_eq!(
        claim.raw_byte_power,
        2048.into(),
        "power until its deadline is missed"
    );

    // The miner never proves: within a proving period its deadline ends
    // and the partition faults.
    let mut root = out.state_root;
    let mut parent = 5;
    for epoch in 6..(6 + p.wpost_proving_period + p.wpost_challenge_window) {
        root = apply_tipset(
            &store,
            &root,
            parent,
            &Manifest::devnet(),
            &env(epoch),
            None,
            &[block],
        )
        .expect("tipset")
        .state_root;
        parent = epoch;
    }
    let power: PowerState = read(&store, &root, POWER_ID);
    let claim = power
        .get_claim(&store, &miner)
        .expect("claims")
        .expect("claim");
    assert_eq!(
        claim.raw_byte_power,
        0.into(),
        "the missed deadline took the power"
    );
    let st: MinerState = read(&store, &root, MINER_START);
    let (dl, part) = st.find_sector(&store, 0).expect("sector");
    let deadlines = st.load_deadlines(&store).expect("deadlines");
    let partition = deadlines
        .load_deadline(&store, dl)
        .expect("deadline")
        .load_partition(&store, part)
        .expect("partition");
    assert!(partition.faults.get(0), "sector 0 is faulty");
    assert!(st.deadline_cron_active, "the deadline cron keeps running");
    assert_eq!(total(&store, &root), fil, "FIL is conserved");
}
