//! The chain store: fork choice by Lotus's weight, head changes in order
//! (reverts from the old head down, applies up to the new one), tipsets by
//! height around null rounds, equivocations left out, messages stored and
//! read back, and a reopened store on the same head.

#![allow(missing_docs)]

mod common;

use std::sync::Arc;

use cid::Cid;
use fvm_ipld_blockstore::MemoryBlockstore;
use num_bigint::BigInt;
use venus_chain::chain::{weight, ChainStore, NullRound, TipsetResult};
use venus_chain::store::{MemoryMeta, MetaStore};
use venus_chain::GenesisBuilder;
use venus_core::crypto::PrivateKey;
use venus_core::types::{
    BlockHeader, ElectionProof, HeadChange, HeadChangeType, SignedMessage, Ticket, TipSet,
};
use venus_core::{Address, Message, SignatureType, TokenAmount};

struct Fixture {
    store: MemoryBlockstore,
    meta: Arc<MemoryMeta>,
    genesis: BlockHeader,
    state: Cid,
}

/// A genesis with one miner holding one sector, so the network has power
/// and tipsets have weight.
fn fixture() -> Fixture {
    let key = PrivateKey::generate(SignatureType::BLS)
        .address()
        .expect("address");
    let store = MemoryBlockstore::new();
    let g = GenesisBuilder::new("devnet")
        .account(key, TokenAmount::from_whole(1000))
        .miner(common::one_sector_miner(key))
        .build(&store)
        .expect("genesis");
    Fixture {
        store,
        meta: Arc::new(MemoryMeta::default()),
        state: g.state_root,
        genesis: g.block,
    }
}

fn open(f: &Fixture) -> ChainStore<&MemoryBlockstore> {
    ChainStore::open(&f.store, f.meta.clone(), &f.genesis).expect("open")
}

/// A header on `parent` by miner `miner` (its ticket from `tag`).
fn block(
    chain: &ChainStore<&MemoryBlockstore>,
    f: &Fixture,
    parent: &TipSet,
    height: i64,
    miner: u64,
    tag: u8,
) -> BlockHeader {
    BlockHeader {
        miner: Address::new_id(miner),
        ticket: Some(Ticket {
            vrf_proof: vec![tag; 96],
        }),
        election_proof: Some(ElectionProof {
            win_count: 1,
            vrf_proof: vec![tag; 96],
        }),
        beacon_entries: vec![],
        win_post_proof: vec![],
        parents: parent.key().cids().to_vec(),
        parent_weight: chain.weight(parent).expect("weight"),
        height,
        parent_state_root: f.state,
        parent_message_receipts: f.genesis.parent_message_receipts,
        messages: f.genesis.messages,
        bls_aggregate: None,
        timestamp: height as u64,
        block_sig: None,
        fork_signaling: 0,
        parent_base_fee: TokenAmount::from_atto(100),
    }
}

fn ts(blocks: &[&BlockHeader]) -> TipSet {
    TipSet::new(blocks.iter().map(|b| (*b).clone()).collect()).expect("tipset")
}

fn kinds(changes: &[HeadChange]) -> Vec<(HeadChangeType, Vec<Cid>)> {
    changes
        .iter()
        .map(|c| (c.change_type, c.val.key().cids().to_vec()))
        .collect()
}

use HeadChangeType::{Apply, Current, Revert};

#[test]
fn weight_is_lotus_formula_over_the_parent_state_power() {
    let f = fixture();
    let chain = open(&f);
    let g = chain.genesis().clone();
    // One 2 KiB sector: QA power 2048, so log2P = 11.
    let w0 = chain.weight(&g).expect("genesis weight");
    assert_eq!(w0, BigInt::from(11 << 8));
    let a = block(&chain, &f, &g, 1, 1000, 1);
    let b = block(&chain, &f, &g, 1, 1001, 2);
    let one = weight(&f.store, &ts(&[&a])).expect("weight");
    let two = weight(&f.store, &ts(&[&a, &b])).expect("weight");
    // parent + 11·256 + 11·256·wins / 10 (integer division).
    assert_eq!(one, &w0 + 11 * 256 + 11 * 256 / 10);
    assert_eq!(two, &w0 + 11 * 256 + 11 * 256 * 2 / 10);
}

#[test]
fn heavier_forks_take_the_head_and_subscribers_see_reverts_then_applies() {
    let f = fixture();
    let chain = open(&f);
    let g = chain.genesis().clone();
    let mut sub = chain.subscribe();
    let first = sub.try_recv().expect("current");
    assert_eq!(kinds(&first), vec![(Current, g.key().cids().to_vec())]);

    let a1 = block(&chain, &f, &g, 1, 1000, 1);
    let b1 = block(&chain, &f, &g, 1, 1001, 2);
    let changes = chain.add_block(&a1).expect("add").expect("head moved");
    let ta1 = ts(&[&a1]);
    assert_eq!(kinds(&changes), vec![(Apply, ta1.key().cids().to_vec())]);

    // A second block at the same height on the same parents: the fuller
    // tipset is heavier and replaces the head.
    let changes = chain.add_block(&b1).expect("add").expect("head moved");
    let tab1 = ts(&[&a1, &b1]);
    assert_eq!(
        kinds(&changes),
        vec![
            (Revert, ta1.key().cids().to_vec()),
            (Apply, tab1.key().cids().to_vec())
        ]
    );
    assert_eq!(chain.head().key(), tab1.key());

    // C2 builds on {A1} alone: one more epoch outweighs one more block.
    let c2 = block(&chain, &f, &ta1, 2, 1000, 3);
    let tc2 = ts(&[&c2]);
    let changes = chain.add_block(&c2).expect("add").expect("head moved");
    assert_eq!(
        kinds(&changes),
        vec![
            (Revert, tab1.key().cids().to_vec()),
            (Apply, ta1.key().cids().to_vec()),
            (Apply, tc2.key().cids().to_vec()),
        ]
    );

    // D2 builds on {A1, B1}: heavier than C2, so the head goes back.
    let d2 = block(&chain, &f, &tab1, 2, 1001, 4);
    let td2 = ts(&[&d2]);
    assert!(chain.weight(&td2).expect("w") > chain.weight(&tc2).expect("w"));
    let changes = chain.add_block(&d2).expect("add").expect("head moved");
    assert_eq!(
        kinds(&changes),
        vec![
            (Revert, tc2.key().cids().to_vec()),
            (Revert, ta1.key().cids().to_vec()),
            (Apply, tab1.key().cids().to_vec()),
            (Apply, td2.key().cids().to_vec()),
        ]
    );

    // A lighter block changes nothing: one on genesis, over a null round.
    let x2 = block(&chain, &f, &g, 2, 1002, 5);
    assert!(chain.weight(&ts(&[&x2])).expect("w") < chain.weight(&td2).expect("w"));
    assert!(chain.add_block(&x2).expect("add").is_none());
    assert_eq!(chain.head().key(), td2.key());

    // The subscriber saw every batch, in order.
    let mut seen = Vec::new();
    while let Ok(batch) = sub.try_recv() {
        seen.push(kinds(&batch));
    }
    assert_eq!(seen.len(), 4);
    assert_eq!(seen[3][0], (Revert, tc2.key().cids().to_vec()));
}

#[test]
fn tipsets_by_height_around_a_null_round_on_and_off_the_head_chain() {
    let f = fixture();
    let chain = open(&f);
    let g = chain.genesis().clone();
    let a1 = block(&chain, &f, &g, 1, 1000, 1);
    chain.add_block(&a1).expect("add");
    let t1 = ts(&[&a1]);
    let a2 = block(&chain, &f, &t1, 2, 1000, 2);
    chain.add_block(&a2).expect("add");
    let t2 = ts(&[&a2]);
    // Epoch 3 is a null round.
    let a4 = block(&chain, &f, &t2, 4, 1000, 3);
    chain.add_block(&a4).expect("add");
    let t4 = ts(&[&a4]);
    assert_eq!(chain.head().key(), t4.key());

    let at = |h, null| chain.tipset_by_height(h, None, null).expect("by height");
    assert_eq!(at(3, NullRound::Below).key(), t2.key());
    assert_eq!(at(3, NullRound::Above).key(), t4.key());
    assert_eq!(at(2, NullRound::Above).key(), t2.key());
    assert_eq!(at(0, NullRound::Below).key(), g.key());
    let err = chain
        .tipset_by_height(5, None, NullRound::Below)
        .expect_err("above the head");
    assert!(
        err.to_string().contains("greater than start point"),
        "{err}"
    );

    // A fork off the head's chain, also with a null round at 3.
    let b2 = block(&chain, &f, &t1, 2, 1001, 9);
    let b4 = block(&chain, &f, &ts(&[&b2]), 4, 1001, 8);
    chain.put_header(&b2).expect("put");
    chain.put_header(&b4).expect("put");
    let fork = ts(&[&b4]);
    let below = chain
        .tipset_by_height(3, Some(&fork), NullRound::Below)
        .expect("fork");
    assert_eq!(below.key(), ts(&[&b2]).key());
    let above = chain
        .tipset_by_height(3, Some(&fork), NullRound::Above)
        .expect("fork");
    assert_eq!(above.key(), fork.key());
    // Below the fork point the walk joins the head's chain.
    let one = chain
        .tipset_by_height(1, Some(&fork), NullRound::Below)
        .expect("fork");
    assert_eq!(one.key(), t1.key());

    // A fork that leaves the head's chain at t1 and skips epochs 2 and 3:
    // height 2 on it is a null round, whatever the head's chain holds there.
    let d4 = block(&chain, &f, &t1, 4, 1003, 7);
    chain.put_header(&d4).expect("put");
    let fork = ts(&[&d4]);
    let below = chain
        .tipset_by_height(2, Some(&fork), NullRound::Below)
        .expect("fork");
    assert_eq!(below.key(), t1.key());
    let above = chain
        .tipset_by_height(2, Some(&fork), NullRound::Above)
        .expect("fork");
    assert_eq!(above.key(), fork.key());
}

#[test]
fn two_blocks_by_one_miner_at_one_height_are_both_left_out() {
    let f = fixture();
    let chain = open(&f);
    let g = chain.genesis().clone();
    let a1 = block(&chain, &f, &g, 1, 1000, 1);
    let b1 = block(&chain, &f, &g, 1, 1001, 2);
    chain.add_block(&a1).expect("add");
    chain.add_block(&b1).expect("add");
    assert_eq!(chain.head().blocks().len(), 2);
    // Miner 1000 equivocates at height 1: its blocks drop out, the head
    // shrinks to B1's alone.
    let a1x = block(&chain, &f, &g, 1, 1000, 3);
    let changes = chain.add_block(&a1x).expect("add").expect("head moved");
    let tb1 = ts(&[&b1]);
    assert_eq!(chain.head().key(), tb1.key());
    assert_eq!(
        kinds(&changes),
        vec![
            (Revert, ts(&[&a1, &b1]).key().cids().to_vec()),
            (Apply, tb1.key().cids().to_vec())
        ]
    );
}

#[test]
fn a_reopened_store_has_the_head_its_chain_and_the_tipset_results() {
    let f = fixture();
    let (head, t1, result) = {
        let chain = open(&f);
        let g = chain.genesis().clone();
        let a1 = block(&chain, &f, &g, 1, 1000, 1);
        chain.add_block(&a1).expect("add");
        let t1 = ts(&[&a1]);
        let a3 = block(&chain, &f, &t1, 3, 1000, 2);
        chain.add_block(&a3).expect("add");
        let result = TipsetResult {
            state_root: f.state,
            receipts_root: f.genesis.parent_message_receipts,
        };
        chain
            .put_tipset_result(&t1.key().clone(), &result)
            .expect("put");
        (chain.head(), t1, result)
    };
    let chain = open(&f);
    assert_eq!(chain.head(), head);
    let found = chain
        .tipset_by_height(2, None, NullRound::Below)
        .expect("by height");
    assert_eq!(found.key(), t1.key());
    assert_eq!(chain.tipset_result(t1.key()).expect("get"), Some(result));
    assert_eq!(chain.tipset_result(head.key()).expect("get"), None);

    // Another genesis on the same store is refused, by name.
    let other = fixture();
    let err = ChainStore::open(&f.store, f.meta.clone(), &other.genesis).expect_err("refused");
    assert!(
        err.to_string().contains("holds the chain of genesis"),
        "{err}"
    );
    // A head the store does not hold is a clear error, not a panic.
    f.meta
        .put_meta(b"head", &[1, 2, 3])
        .expect("corrupt the head");
    assert!(ChainStore::open(&f.store, f.meta.clone(), &f.genesis).is_err());
}

#[test]
fn block_messages_come_back_as_stored() {
    let f = fixture();
    let chain = open(&f);
    let bls_key = PrivateKey::generate(SignatureType::BLS);
    let secp_key = PrivateKey::generate(SignatureType::Secp256k1);
    let msg = |from: Address, nonce| Message {
        version: 0,
        from,
        to: Address::new_id(100),
        sequence: nonce,
        value: TokenAmount::from_atto(1),
        method_num: 0,
        params: Default::default(),
        gas_limit: 1_000_000,
        gas_fee_cap: TokenAmount::from_atto(100),
        gas_premium: TokenAmount::from_atto(1),
    };
    let bls = vec![msg(bls_key.address().expect("a"), 0)];
    let secp_msg = msg(secp_key.address().expect("a"), 0);
    let cid = venus_core::types::message_cid(&secp_msg).expect("cid");
    let signature = secp_key.sign(&cid.to_bytes()).expect("sign");
    let secp = vec![SignedMessage {
        message: secp_msg,
        signature,
    }];
    let meta = chain.put_messages(&bls, &secp).expect("put");
    let mut header = block(&chain, &f, &chain.genesis().clone(), 1, 1000, 1);
    header.messages = meta.cid().expect("cid");
    let got = chain.block_messages(&header).expect("messages");
    assert_eq!(got.bls_messages, bls);
    assert_eq!(got.secpk_messages, secp);
    assert_eq!(got.cids.len(), 2);
    assert_eq!(chain.message(&got.cids[0]).expect("bls"), bls[0]);
    assert_eq!(chain.message(&got.cids[1]).expect("secp"), secp[0].message);
}
