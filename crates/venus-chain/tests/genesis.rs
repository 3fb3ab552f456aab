//! The genesis state: every actor Lotus's genesis has, each state decoding
//! through the `fil_actor_*_state` types, every Code CID the devnet
//! manifest's, and all the FIL there is.

#![allow(missing_docs)]

use fvm_ipld_blockstore::MemoryBlockstore;
use venus_chain::genesis::{FIL_BASE, INITIAL_REWARD_BALANCE};
use venus_chain::state::DEVNET_V17_MANIFEST;
use venus_chain::{ActorKind, ChainError, GenesisBuilder, Manifest, StateTree};
use venus_core::crypto::PrivateKey;
use venus_core::{Address, SignatureType, TokenAmount};

#[test]
fn genesis_holds_the_singletons_and_the_accounts_in_lotus_layout() {
    let store = MemoryBlockstore::new();
    let a = PrivateKey::generate(SignatureType::Secp256k1)
        .address()
        .expect("a");
    let b = PrivateKey::generate(SignatureType::BLS)
        .address()
        .expect("b");
    let g = GenesisBuilder::new("devnet-test")
        .account(a, TokenAmount::from_whole(10))
        .account(b, TokenAmount::from_whole(20))
        .build(&store)
        .expect("genesis");
    assert_eq!(g.account_ids, vec![100, 101]);
    let m = Manifest::devnet();
    let mut tree = StateTree::load(&store, &g.state_root).expect("load");

    let mut kinds = std::collections::BTreeMap::new();
    let mut sum = TokenAmount::default();
    tree.for_each(|id, actor| {
        let kind = m.kind_of(&actor.code).expect("a devnet Code CID");
        kinds.insert(id, kind);
        sum += &actor.balance;
        Ok(())
    })
    .expect("walk");
    assert_eq!(sum, TokenAmount::from_whole(FIL_BASE));
    use ActorKind::*;
    let want = [
        (0, System),
        (1, Init),
        (2, Reward),
        (3, Cron),
        (4, Power),
        (5, Market),
        (6, VerifiedRegistry),
        (7, Datacap),
        (10, Eam),
        (90, Account),
        (99, Account),
        (100, Account),
        (101, Account),
    ];
    assert_eq!(kinds.into_iter().collect::<Vec<_>>(), want);

    // Each state decodes as the real actor's.
    let head = |tree: &StateTree<&MemoryBlockstore>, id| tree.actor(id).expect("actor").state;
    let sys: fil_actor_system_state::v17::State =
        tree.read_state(&head(&tree, 0), "system").expect("system");
    let (manifest, data) = m.put(&store).expect("manifest");
    assert_eq!(manifest.to_string(), DEVNET_V17_MANIFEST);
    assert_eq!(sys.builtin_actors, data);
    let init: fil_actor_init_state::v17::State =
        tree.read_state(&head(&tree, 1), "init").expect("init");
    assert_eq!(
        (init.next_id, init.network_name.as_str()),
        (1000, "devnet-test")
    );
    assert_eq!(tree.lookup_id(&b).expect("lookup"), Some(101));
    let reward: fil_actor_reward_state::v17::State =
        tree.read_state(&head(&tree, 2), "reward").expect("reward");
    assert!(reward.this_epoch_reward > TokenAmount::default());
    assert_eq!(
        tree.actor(2).expect("reward").balance,
        TokenAmount::from_whole(INITIAL_REWARD_BALANCE)
    );
    let cron: fil_actor_cron_state::v17::State =
        tree.read_state(&head(&tree, 3), "cron").expect("cron");
    assert_eq!(cron.entries.len(), 2);
    let power: fil_actor_power_state::v17::State =
        tree.read_state(&head(&tree, 4), "power").expect("power");
    assert_eq!(power.miner_count, 0);
    let _: fil_actor_market_state::v17::State =
        tree.read_state(&head(&tree, 5), "market").expect("market");
    let vr: fil_actor_verifreg_state::v17::State = tree
        .read_state(&head(&tree, 6), "verifreg")
        .expect("verifreg");
    assert_eq!(vr.root_key, Address::new_id(80));
    let _: fil_actor_datacap_state::v17::State = tree
        .read_state(&head(&tree, 7), "datacap")
        .expect("datacap");
    let acct: fil_actor_account_state::v17::State = tree
        .read_state(&head(&tree, 100), "account")
        .expect("account");
    assert_eq!(acct.address, a);
}

#[test]
fn bad_genesis_input_is_refused() {
    let store = MemoryBlockstore::new();
    let a = PrivateKey::generate(SignatureType::Secp256k1)
        .address()
        .expect("a");
    let twice = GenesisBuilder::new("x")
        .account(a, TokenAmount::from_whole(1))
        .account(a, TokenAmount::from_whole(1))
        .build(&store);
    assert!(matches!(twice, Err(ChainError::Genesis(m)) if m.contains("twice")));
    let id = GenesisBuilder::new("x")
        .account(Address::new_id(5), TokenAmount::from_whole(1))
        .build(&store);
    assert!(matches!(id, Err(ChainError::Genesis(m)) if m.contains("key")));
    let too_much = GenesisBuilder::new("x")
        .account(a, TokenAmount::from_whole(FIL_BASE))
        .build(&store);
    assert!(matches!(too_much, Err(ChainError::Genesis(m)) if m.contains("more than")));
}
