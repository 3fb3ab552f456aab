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

#[test]
fn the_genesis_block_is_lotus_shaped_and_reproducible() {
    use fvm_ipld_blockstore::Blockstore;
    use fvm_ipld_encoding::CborStore;
    use venus_chain::genesis::FILECOIN_GENESIS_PARENT;
    use venus_core::types::{BlockHeader, TxMeta};

    let build = |network: &str| {
        let store = MemoryBlockstore::new();
        let g = GenesisBuilder::new(network)
            .timestamp(1_700_000_000)
            .build(&store)
            .expect("genesis");
        (store, g)
    };
    let (store, g) = build("devnet");
    let h = &g.block;
    assert_eq!(h.height, 0);
    assert_eq!(h.miner, Address::new_id(0), "mined by the system actor");
    assert_eq!(h.parents.len(), 1);
    assert_eq!(h.parents[0].to_string(), FILECOIN_GENESIS_PARENT);
    assert_eq!(h.parent_state_root, g.state_root);
    assert_eq!(h.timestamp, 1_700_000_000);
    assert_eq!(h.parent_base_fee, TokenAmount::from_atto(100_000_000));
    assert_eq!(h.beacon_entries.len(), 1);
    assert_eq!(
        (
            h.beacon_entries[0].round,
            h.beacon_entries[0].data.as_slice()
        ),
        (0, &[0u8; 32][..])
    );
    assert!(h.block_sig.is_none() && h.bls_aggregate.is_none());
    // The header, its message meta and the empty AMT are in the store.
    let cid = h.cid().expect("cid");
    let stored: BlockHeader = store.get_cbor(&cid).expect("get").expect("stored");
    assert_eq!(&stored, h);
    let meta: TxMeta = store
        .get_cbor(&h.messages)
        .expect("get")
        .expect("meta stored");
    assert_eq!(
        meta.bls_message_root, h.parent_message_receipts,
        "empty roots"
    );
    assert_eq!(meta.secp_message_root, h.parent_message_receipts);
    assert!(store.has(&h.parent_message_receipts).expect("has"));
    // The same network builds the same block; another, another ticket.
    let (_, again) = build("devnet");
    assert_eq!(again.block.cid().expect("cid"), cid);
    let (_, other) = build("another");
    assert_ne!(other.block.ticket, h.ticket);
}

#[test]
fn a_lotus_genesis_template_is_read() {
    use venus_chain::genesis::Template;

    let owner = PrivateKey::generate(SignatureType::BLS)
        .address()
        .expect("owner");
    let template = |accounts: &str, miners: &str| -> Template {
        let json = format!(
            r#"{{"NetworkVersion": 27, "Accounts": [{accounts}], "Miners": [{miners}],
                "NetworkName": "localnet-7", "Timestamp": 1700000000,
                "VerifregRootKey": {{"Type": "account", "Balance": "0", "Meta": {{"Owner": "t080"}}}},
                "RemainderAccount": {{"Type": "account", "Balance": "0", "Meta": {{"Owner": "t090"}}}}}}"#
        );
        serde_json::from_str(&json).expect("template")
    };
    let account =
        format!(r#"{{"Type": "account", "Balance": "5000", "Meta": {{"Owner": "{owner}"}}}}"#);
    let store = MemoryBlockstore::new();
    let g = GenesisBuilder::from_template(&template(&account, ""))
        .expect("builder")
        .build(&store)
        .expect("genesis");
    assert_eq!(g.block.timestamp, 1_700_000_000);
    let mut tree = StateTree::load(&store, &g.state_root).expect("load");
    assert_eq!(tree.lookup_id(&owner).expect("lookup"), Some(100));
    assert_eq!(
        tree.actor(100).expect("account").balance,
        TokenAmount::from_atto(5000)
    );
    let (_, init) = tree.init_state().expect("init");
    assert_eq!(init.network_name, "localnet-7");

    // Multisigs are not supported; miners must be f01000 onwards.
    let msig = r#"{"Type": "multisig", "Balance": "1", "Meta": {}}"#;
    assert!(GenesisBuilder::from_template(&template(msig, "")).is_err());
    let miner = format!(
        r#"{{"ID": "t01001", "Owner": "{owner}", "Worker": "{owner}", "PeerId": "12D3KooWD9CTu9ngy3s6LJDBgXcqLR5pdcJb3YuS4FQxQ8jwXdyC",
            "MarketBalance": "0", "PowerBalance": "0", "SectorSize": 2048, "Sectors": []}}"#
    );
    let err = GenesisBuilder::from_template(&template(&account, &miner))
        .map(|_| ())
        .expect_err("wrong miner ID");
    assert!(err.to_string().contains("expected f01000"), "{err}");
}

#[test]
fn the_minting_schedule_is_a_setting() {
    let reward = |g: GenesisBuilder| {
        let store = MemoryBlockstore::new();
        let root = g.build(&store).expect("genesis").state_root;
        let tree = StateTree::load(&store, &root).expect("load");
        let a = tree.actor(2).expect("reward");
        let st: fil_actor_reward_state::v17::State =
            tree.read_state(&a.state, "reward").expect("state");
        st
    };
    let mainnet = reward(GenesisBuilder::new("devnet"));
    assert_eq!(mainnet.simple_total, TokenAmount::from_whole(330_000_000));
    let same = reward(GenesisBuilder::new("devnet").reward_schedule(
        TokenAmount::from_whole(330_000_000),
        TokenAmount::from_whole(770_000_000),
    ));
    assert_eq!(
        same.this_epoch_reward, mainnet.this_epoch_reward,
        "mainnet's schedule, set explicitly"
    );
    let double = reward(GenesisBuilder::new("devnet").reward_schedule(
        TokenAmount::from_whole(660_000_000),
        TokenAmount::from_whole(1_540_000_000),
    ));
    assert_eq!(double.simple_total, TokenAmount::from_whole(660_000_000));
    assert!(double.this_epoch_reward > mainnet.this_epoch_reward);
}
