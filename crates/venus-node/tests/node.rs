//! The node keeps chain, head changes and message pool in step:
//! `SyncSubmitBlock` validates, stores and moves the head; the pool drops
//! what a block included and takes back what a reorg reverted;
//! `ChainNotify` tells reverts and applies in order; a bad block changes
//! nothing.

#![allow(missing_docs)]

mod common;

use common::*;
use futures::StreamExt;
use venus_chain::consensus::BlockError;
use venus_core::traits::{ChainRead, MessageApi, StateRead};
use venus_core::types::{HeadChange, HeadChangeType};
use venus_core::validate::ValidationError;
use venus_mpool::Origin;
use venus_node::NodeError;

fn kinds(batch: &[HeadChange]) -> Vec<(&'static str, i64)> {
    batch
        .iter()
        .map(|c| {
            let kind = match c.change_type {
                HeadChangeType::Current => "current",
                HeadChangeType::Revert => "revert",
                HeadChangeType::Apply => "apply",
            };
            (kind, c.val.height())
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn submitted_blocks_move_the_head_and_the_pool_follows() {
    let n = net();
    let mut notify = n.node.subscribe_head_changes().await.expect("notify");
    assert_eq!(
        kinds(&notify.next().await.expect("first")),
        vec![("current", 0)]
    );

    let m0 = send(&n.secp, 0);
    let m1 = send(&n.bls, 0);
    let c0 = n
        .node
        .push(m0.clone(), Origin::Local)
        .await
        .expect("push secp");
    let c1 = n
        .node
        .push(m1.clone(), Origin::Local)
        .await
        .expect("push bls");
    assert_eq!(n.node.mpool().len().await, 2);

    // The miner takes the pool's selection, as sophon-miner does.
    let g = n.node.head().await.expect("head");
    let picked = n.node.select_messages(g.key(), 0.9).await.expect("select");
    assert_eq!(picked.len(), 2, "both messages are selected");
    let b1 = mine(&n, &g, 1, picked).await;
    let changes = n
        .node
        .submit_block(b1.clone())
        .await
        .expect("block 1 is valid")
        .expect("the head moved");
    assert_eq!(kinds(&changes), vec![("apply", 1)]);
    assert_eq!(n.node.head().await.expect("head").height(), 1);
    assert_eq!(
        kinds(&notify.next().await.expect("apply")),
        vec![("apply", 1)]
    );
    assert!(
        n.node.mpool().is_empty().await,
        "included messages left the pool"
    );

    // Not executed until a tipset sits on top of block 1.
    assert!(n.node.search_message(&c0).await.expect("search").is_none());
    let t1 = n.node.head().await.expect("head");
    let b2 = mine(&n, &t1, 2, vec![]).await;
    n.node
        .submit_block(b2)
        .await
        .expect("block 2")
        .expect("head");
    for c in [c0, c1] {
        let found = n
            .node
            .search_message(&c)
            .await
            .expect("search")
            .expect("executed");
        assert_eq!(found.height, 2);
        assert!(found.receipt.exit_code.is_success(), "{:?}", found.receipt);
    }
    // The sender's nonce moved on, in the state and in the pool.
    let actor = n
        .node
        .actor(&n.secp.address().expect("a"), &Default::default())
        .await
        .expect("actor");
    assert_eq!(actor.nonce, 1);
    assert_eq!(
        n.node
            .mpool()
            .next_nonce(&n.secp.address().expect("a"))
            .await
            .expect("nonce"),
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_block_that_fails_a_check_changes_nothing() {
    let n = net();
    let m0 = send(&n.secp, 0);
    n.node.push(m0.clone(), Origin::Local).await.expect("push");
    let g = n.node.head().await.expect("head");

    // Signed by another key.
    let mut bad = mine(&n, &g, 1, vec![m0.clone()]).await;
    let bytes = bad.header.signing_bytes().expect("bytes");
    bad.header.block_sig = Some(n.bls.sign(&bytes).expect("sign"));
    match n.node.submit_block(bad).await {
        Err(NodeError::InvalidBlock(e)) => assert!(
            matches!(*e, BlockError::Header(ValidationError::BlockSignature(_))),
            "{e}"
        ),
        other => panic!("expected a refusal, got {other:?}"),
    }
    // A message the node has never seen.
    let mut unknown = mine(&n, &g, 1, vec![]).await;
    let stranger = send(&n.secp, 7);
    unknown.secpk_messages.push(stranger.cid().expect("cid"));
    match n.node.submit_block(unknown).await {
        Err(NodeError::MissingMessage(m)) => assert_eq!(m.message, stranger.cid().expect("cid")),
        other => panic!("expected a missing message, got {other:?}"),
    }
    assert_eq!(n.node.head().await.expect("head").height(), 0);
    assert_eq!(n.node.mpool().len().await, 1, "the pool kept its message");

    // The correct block still goes in.
    let good = mine(&n, &g, 1, vec![m0]).await;
    n.node
        .submit_block(good)
        .await
        .expect("valid")
        .expect("head");
    assert_eq!(n.node.head().await.expect("head").height(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_heavier_fork_reverts_and_the_pool_takes_back_its_messages() {
    let n = net();
    let g = n.node.head().await.expect("head");
    let m0 = send(&n.secp, 0);
    let c0 = n.node.push(m0.clone(), Origin::Local).await.expect("push");

    // Fork A: block 1 includes the message.
    let a1 = mine(&n, &g, 1, vec![m0]).await;
    n.node.submit_block(a1).await.expect("a1").expect("head");
    assert!(n.node.mpool().is_empty().await);
    let mut notify = n.node.subscribe_head_changes().await.expect("notify");
    notify.next().await.expect("current");

    // Fork B: null round 1, then blocks 2 and 3 without it: heavier
    // (block 2 alone may or may not outweigh block 1, by win counts).
    let b2 = mine(&n, &g, 2, vec![]).await;
    n.node.submit_block(b2.clone()).await.expect("b2");
    let t2 = venus_core::types::TipSet::new(vec![b2.header.clone()]).expect("tipset");
    let b3 = mine(&n, &t2, 3, vec![]).await;
    n.node
        .submit_block(b3)
        .await
        .expect("b3")
        .expect("the heavier fork wins");
    assert_eq!(n.node.head().await.expect("head").height(), 3);
    let mut seen = Vec::new();
    while seen.last() != Some(&("apply", 3)) {
        seen.extend(kinds(&notify.next().await.expect("reorg")));
    }
    assert_eq!(seen, vec![("revert", 1), ("apply", 2), ("apply", 3)]);
    let pending = n.node.mpool().pending().await;
    assert_eq!(pending.len(), 1, "the reverted message is pending again");
    assert_eq!(pending[0].cid().expect("cid"), c0);
    assert!(
        n.node.search_message(&c0).await.expect("search").is_none(),
        "not on the new chain"
    );
}
