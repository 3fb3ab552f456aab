//! Sends through the native executor: nonces, balances, new accounts,
//! every pre-check's exit code and penalty, fees that conserve FIL, and
//! Lotus's message order in a tipset.

#![allow(missing_docs)]

mod common;

use common::total;

use fvm_ipld_blockstore::MemoryBlockstore;
use fvm_shared::error::ExitCode;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use venus_chain::exec::{apply_messages, BlockToApply, ExecEnv, Vm};
use venus_chain::genesis::{FIL_BASE, MINER_START};
use venus_chain::state::NETWORK_VERSION;
use venus_chain::{GenesisBuilder, Manifest, StateTree};
use venus_core::crypto::PrivateKey;
use venus_core::gas::on_chain_message_gas;
use venus_core::test_utils::sign;
use venus_core::types::BlockMessages;
use venus_core::{Address, Message, SignatureType, TokenAmount};

const BASE_FEE: u64 = 100;

fn env() -> ExecEnv {
    ExecEnv::devnet(10, TokenAmount::from_atto(BASE_FEE))
}

struct Net {
    store: MemoryBlockstore,
    root: cid::Cid,
    keys: Vec<PrivateKey>,
}

fn net(n: usize) -> Net {
    let store = MemoryBlockstore::new();
    let keys: Vec<PrivateKey> = (0..n)
        .map(|i| {
            PrivateKey::generate(if i % 2 == 0 {
                SignatureType::Secp256k1
            } else {
                SignatureType::BLS
            })
        })
        .collect();
    let mut g = GenesisBuilder::new("test");
    for k in &keys {
        g = g.account(k.address().expect("address"), TokenAmount::from_whole(1000));
    }
    let root = g.build(&store).expect("genesis").state_root;
    Net { store, root, keys }
}

/// A VM on the genesis state of `n`.
fn vm(n: &Net) -> Vm<&MemoryBlockstore> {
    let tree = StateTree::load(&n.store, &n.root).expect("load");
    Vm::new(tree, Manifest::devnet(), env())
}

fn addr(k: &PrivateKey) -> Address {
    k.address().expect("address")
}

fn send(from: Address, to: Address, nonce: u64, value: TokenAmount) -> Message {
    Message {
        version: 0,
        from,
        to,
        sequence: nonce,
        value,
        method_num: 0,
        params: Default::default(),
        gas_limit: 10_000_000,
        gas_fee_cap: TokenAmount::from_atto(1_000),
        gas_premium: TokenAmount::from_atto(10),
    }
}

fn len(m: &Message) -> usize {
    fvm_ipld_encoding::to_vec(m).expect("cbor").len()
}

#[test]
fn a_send_moves_value_bumps_the_nonce_and_splits_the_fees() {
    let n = net(2);
    let (a, b) = (addr(&n.keys[0]), addr(&n.keys[1]));
    let mut vm = vm(&n);
    let m = send(a, b, 0, TokenAmount::from_whole(5));
    let ret = vm.apply_message(&m, len(&m)).expect("apply");
    assert_eq!(ret.receipt.exit_code, ExitCode::OK);
    assert!(ret.receipt.gas_used > on_chain_message_gas(NETWORK_VERSION, len(&m)));
    let t = vm.tree_mut();
    let ida = t.lookup_id(&a).expect("id").expect("known");
    let idb = t.lookup_id(&b).expect("id").expect("known");
    let sender = t.actor(ida).expect("a");
    assert_eq!(sender.sequence, 1);
    let fees = &ret.gas.base_fee_burn + &ret.gas.over_estimation_burn + &ret.gas.miner_tip;
    assert_eq!(
        sender.balance,
        TokenAmount::from_whole(995) - &fees,
        "value and fees leave the sender, the refund comes back"
    );
    assert_eq!(
        t.actor(idb).expect("b").balance,
        TokenAmount::from_whole(1005)
    );
    assert_eq!(ret.miner_penalty, TokenAmount::default());
    let root = t.flush().expect("flush");
    assert_eq!(total(&n.store, &root), TokenAmount::from_whole(FIL_BASE));
}

#[test]
fn a_send_to_a_new_key_address_creates_its_account() {
    let n = net(1);
    let a = addr(&n.keys[0]);
    let fresh = addr(&PrivateKey::generate(SignatureType::BLS));
    let mut vm = vm(&n);
    let m = send(a, fresh, 0, TokenAmount::from_atto(7));
    let ret = vm.apply_message(&m, len(&m)).expect("apply");
    assert_eq!(ret.receipt.exit_code, ExitCode::OK);
    let t = vm.tree_mut();
    let id = t.lookup_id(&fresh).expect("lookup").expect("created");
    assert_eq!(id, MINER_START, "the init actor's next ID after genesis");
    let actor = t.actor(id).expect("actor");
    assert_eq!(actor.balance, TokenAmount::from_atto(7));
    assert_eq!(
        actor.code,
        Manifest::devnet().code(venus_chain::ActorKind::Account)
    );
    let st: fil_actor_account_state::v17::State =
        t.read_state(&actor.state, "account").expect("state");
    assert_eq!(st.address, fresh);
    // It survives a flush and a reload.
    let root = t.flush().expect("flush");
    let mut again = StateTree::load(&n.store, &root).expect("load");
    assert_eq!(again.lookup_id(&fresh).expect("lookup"), Some(id));
}

#[test]
fn pre_checks_refuse_with_lotus_exit_codes_and_penalise_the_miner() {
    let n = net(2);
    let (a, b) = (addr(&n.keys[0]), addr(&n.keys[1]));
    let stranger = addr(&PrivateKey::generate(SignatureType::Secp256k1));
    let mut vm = vm(&n);
    let fee = |gas: u64| TokenAmount::from_atto(BASE_FEE * gas);

    let mut low = send(a, b, 0, TokenAmount::default());
    low.gas_limit = 1000;
    let inclusion = on_chain_message_gas(NETWORK_VERSION, len(&low));
    let r = vm.apply_message(&low, len(&low)).expect("apply");
    assert_eq!(r.receipt.exit_code, ExitCode::SYS_OUT_OF_GAS);
    assert_eq!(r.miner_penalty, fee(inclusion));
    assert_eq!(r.receipt.gas_used, 0);

    let m = send(stranger, b, 0, TokenAmount::default());
    let r = vm.apply_message(&m, len(&m)).expect("apply");
    assert_eq!(r.receipt.exit_code, ExitCode::SYS_SENDER_INVALID);
    assert_eq!(r.miner_penalty, fee(m.gas_limit));

    let m = send(a, b, 3, TokenAmount::default());
    let r = vm.apply_message(&m, len(&m)).expect("apply");
    assert_eq!(
        r.receipt.exit_code,
        ExitCode::SYS_SENDER_STATE_INVALID,
        "wrong nonce"
    );

    let mut rich = send(a, b, 0, TokenAmount::default());
    rich.gas_fee_cap = TokenAmount::from_whole(1);
    let r = vm.apply_message(&rich, len(&rich)).expect("apply");
    assert_eq!(
        r.receipt.exit_code,
        ExitCode::SYS_SENDER_STATE_INVALID,
        "cannot pay for gas"
    );

    // A negative amount never reaches a valid block: executing one is an error.
    let mut neg = send(a, b, 0, TokenAmount::default());
    neg.gas_fee_cap = TokenAmount::from_atto(-5);
    assert!(vm.apply_message(&neg, len(&neg)).is_err());

    // None of them touched the sender.
    let t = vm.tree_mut();
    let ida = t.lookup_id(&a).expect("id").expect("known");
    let sender = t.actor(ida).expect("a");
    assert_eq!(sender.sequence, 0);
    assert_eq!(sender.balance, TokenAmount::from_whole(1000));
}

#[test]
fn failed_calls_charge_gas_bump_the_nonce_and_undo_the_rest() {
    let n = net(2);
    let (a, b) = (addr(&n.keys[0]), addr(&n.keys[1]));
    let mut vm = vm(&n);

    let m = send(a, b, 0, TokenAmount::from_whole(5000));
    let r = vm.apply_message(&m, len(&m)).expect("apply");
    assert_eq!(r.receipt.exit_code, ExitCode::SYS_INSUFFICIENT_FUNDS);
    assert!(r.receipt.gas_used > 0);

    let m = send(a, Address::new_id(4242), 1, TokenAmount::from_atto(1));
    let r = vm.apply_message(&m, len(&m)).expect("apply");
    assert_eq!(r.receipt.exit_code, ExitCode::SYS_INVALID_RECEIVER);

    let mut m = send(a, b, 2, TokenAmount::from_atto(1));
    m.method_num = 5;
    let r = vm.apply_message(&m, len(&m)).expect("apply");
    assert_eq!(r.receipt.exit_code, ExitCode::USR_UNHANDLED_MESSAGE);

    let mut m = send(a, b, 3, TokenAmount::default());
    m.method_num = 1;
    let r = vm.apply_message(&m, len(&m)).expect("apply");
    assert_eq!(
        r.receipt.exit_code,
        ExitCode::USR_FORBIDDEN,
        "constructors are system-only"
    );

    let mut m = send(a, b, 4, TokenAmount::default());
    m.method_num = 2;
    let r = vm.apply_message(&m, len(&m)).expect("apply");
    assert_eq!(r.receipt.exit_code, ExitCode::OK);
    let key: Address =
        fvm_ipld_encoding::from_slice(r.receipt.return_data.bytes()).expect("address");
    assert_eq!(key, b, "PubkeyAddress returns the key address");

    let mut m = send(a, b, 5, TokenAmount::default());
    m.gas_limit = on_chain_message_gas(NETWORK_VERSION, len(&m)) + 10;
    let r = vm.apply_message(&m, len(&m)).expect("apply");
    assert_eq!(r.receipt.exit_code, ExitCode::SYS_OUT_OF_GAS);
    assert_eq!(r.receipt.gas_used, m.gas_limit);

    let t = vm.tree_mut();
    let ida = t.lookup_id(&a).expect("id").expect("known");
    let idb = t.lookup_id(&b).expect("id").expect("known");
    assert_eq!(t.actor(ida).expect("a").sequence, 6);
    assert_eq!(
        t.actor(idb).expect("b").balance,
        TokenAmount::from_whole(1000),
        "no value moved"
    );
    let root = t.flush().expect("flush");
    assert_eq!(total(&n.store, &root), TokenAmount::from_whole(FIL_BASE));
}

fn block(bls: Vec<Message>, secp: Vec<venus_core::types::SignedMessage>) -> BlockMessages {
    BlockMessages {
        bls_messages: bls,
        secpk_messages: secp,
        cids: Vec::new(),
    }
}

#[test]
fn a_tipset_runs_each_message_once_in_nonce_order() {
    let n = net(2);
    let (ka, kb) = (&n.keys[0], &n.keys[1]); // secp, BLS
    let (a, b) = (addr(ka), addr(kb));
    let secp0 = sign(ka, send(a, b, 0, TokenAmount::from_atto(1)));
    let secp1 = sign(ka, send(a, b, 1, TokenAmount::from_atto(1)));
    let bls0 = send(b, a, 0, TokenAmount::from_atto(2));
    let bls_gap = send(b, a, 5, TokenAmount::from_atto(2));
    // Block 1: b's nonce 0, a's 0. Block 2: a's 0 again (dropped), a's 1,
    // b's 0 again (dropped), b's 5 (a gap: dropped).
    let b1 = block(vec![bls0.clone()], vec![secp0.clone()]);
    let b2 = block(vec![bls0, bls_gap], vec![secp0, secp1]);
    let miner = Address::new_id(1000);
    let blocks = [
        BlockToApply {
            miner,
            win_count: 1,
            messages: &b1,
        },
        BlockToApply {
            miner,
            win_count: 2,
            messages: &b2,
        },
    ];
    let out =
        apply_messages(&n.store, &n.root, &Manifest::devnet(), &env(), &blocks).expect("apply");
    assert_eq!(out.receipts.len(), 3);
    assert!(out.receipts.iter().all(|r| r.exit_code == ExitCode::OK));
    assert_eq!(out.rewards.len(), 2);
    assert!(
        out.rewards[1].gas_reward > TokenAmount::default(),
        "block 2 earned a's second message"
    );
    let mut t = StateTree::load(&n.store, &out.state_root).expect("load");
    let ida = t.lookup_id(&a).expect("id").expect("known");
    assert_eq!(t.actor(ida).expect("a").sequence, 2);
    // The receipts AMT holds the three receipts in order.
    let amt =
        fvm_ipld_amt::Amtv0::<fvm_shared::receipt::Receipt, _>::load(&out.receipts_root, &n.store)
            .expect("receipts");
    assert_eq!(amt.count(), 3);
    // The same tipset on another store gives the same roots.
    let other = net_copy(&n);
    let again =
        apply_messages(&other, &n.root, &Manifest::devnet(), &env(), &blocks).expect("apply");
    assert_eq!(
        (again.state_root, again.receipts_root),
        (out.state_root, out.receipts_root)
    );
}

/// A second blockstore holding only the genesis state's blocks.
fn net_copy(n: &Net) -> MemoryBlockstore {
    let mut g = GenesisBuilder::new("test");
    for k in &n.keys {
        g = g.account(addr(k), TokenAmount::from_whole(1000));
    }
    let store = MemoryBlockstore::new();
    let root = g.build(&store).expect("genesis").state_root;
    assert_eq!(root, n.root, "genesis is deterministic");
    store
}

#[test]
fn fil_is_conserved_over_random_message_sequences() {
    let n = net(6);
    let mut rng = StdRng::seed_from_u64(0x5eed);
    let mut root = n.root;
    let mut nonces = vec![0u64; n.keys.len()];
    let strangers: Vec<Address> = (0..3)
        .map(|_| addr(&PrivateKey::generate(SignatureType::Secp256k1)))
        .collect();
    let mut codes = std::collections::BTreeMap::new();
    for round in 0..20 {
        let mut blocks = Vec::new();
        for _ in 0..rng.gen_range(1..4) {
            let mut bls = Vec::new();
            let mut secp = Vec::new();
            for _ in 0..rng.gen_range(0..12) {
                let i = rng.gen_range(0..n.keys.len());
                let to = match rng.gen_range(0..4) {
                    0 => strangers[rng.gen_range(0..strangers.len())],
                    1 => Address::new_id(rng.gen_range(0..120)),
                    _ => addr(&n.keys[rng.gen_range(0..n.keys.len())]),
                };
                // Mostly right nonces; sometimes stale or ahead.
                let nonce = match rng.gen_range(0..10) {
                    0 => nonces[i].saturating_sub(1),
                    1 => nonces[i] + 2,
                    _ => nonces[i],
                };
                let mut m = send(
                    addr(&n.keys[i]),
                    to,
                    nonce,
                    TokenAmount::from_atto(rng.gen_range(0..2_000_000_000_000_000_000u128)),
                );
                m.gas_limit = rng.gen_range(100_000..20_000_000);
                let cap = rng.gen_range(0..2_000u64);
                m.gas_fee_cap = TokenAmount::from_atto(cap);
                m.gas_premium = TokenAmount::from_atto(rng.gen_range(0..=cap));
                m.method_num = if rng.gen_bool(0.1) {
                    rng.gen_range(1..4)
                } else {
                    0
                };
                if nonce == nonces[i] {
                    nonces[i] += 1;
                }
                if n.keys[i].key_type() == SignatureType::BLS {
                    bls.push(m);
                } else {
                    secp.push(sign(&n.keys[i], m));
                }
            }
            blocks.push(block(bls, secp));
        }
        let miner = Address::new_id(1000);
        let apply: Vec<BlockToApply> = blocks
            .iter()
            .map(|b| BlockToApply {
                miner,
                win_count: 1,
                messages: b,
            })
            .collect();
        let mut e = env();
        e.base_fee = TokenAmount::from_atto(rng.gen_range(100..1_500u64));
        let out = apply_messages(&n.store, &root, &Manifest::devnet(), &e, &apply).expect("apply");
        for r in &out.receipts {
            *codes.entry(r.exit_code.value()).or_insert(0usize) += 1;
        }
        root = out.state_root;
        assert_eq!(
            total(&n.store, &root),
            TokenAmount::from_whole(FIL_BASE),
            "round {round}"
        );
        // Resync the nonces with the chain (some messages were dropped or failed pre-checks).
        let mut t = StateTree::load(&n.store, &root).expect("load");
        for (i, k) in n.keys.iter().enumerate() {
            let id = t.lookup_id(&addr(k)).expect("id").expect("known");
            nonces[i] = t.actor(id).expect("actor").sequence;
        }
    }
    // The sequences exercised successes and several kinds of failure.
    assert!(codes.get(&0).copied().unwrap_or(0) > 20, "{codes:?}");
    assert!(codes.len() >= 4, "{codes:?}");
}
