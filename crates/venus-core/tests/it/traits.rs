//! One test per reference implementation of the backend traits.

use std::collections::HashSet;
use std::sync::Arc;

use futures::StreamExt;
use venus_core::crypto::PrivateKey;
use venus_core::test_utils;
use venus_core::traits::*;
use venus_core::types::*;
use venus_core::{json, Address, RegisteredSealProof, SignatureType};

use crate::vector;

fn genesis() -> TipSet {
    let case = &vector("serialization-vectors/block_headers.json")[0];
    TipSet::new(vec![
        json::from_value(case["block"].clone()).expect("header")
    ])
    .expect("tipset")
}

fn signed(key: &PrivateKey, nonce: u64) -> SignedMessage {
    test_utils::signed(key, nonce)
}

#[tokio::test]
async fn memory_chain_mines_a_block_and_notifies() {
    let chain = MemoryChain::new(genesis());
    let api: Arc<dyn ChainApi> = Arc::new(chain.clone());
    let head = api.head().await.expect("head");
    let mut changes = api.subscribe_head_changes().await.expect("subscribe");
    let first = changes.next().await.expect("current");
    assert_eq!(first[0].change_type, HeadChangeType::Current);
    assert_eq!(first[0].val, head);

    let bls = PrivateKey::generate(SignatureType::BLS);
    let secp = PrivateKey::generate(SignatureType::Secp256k1);
    let (m1, m2) = (signed(&bls, 0), signed(&secp, 0));
    api.push_message(m1.clone()).await.expect("push bls");
    api.push_message(m2.clone()).await.expect("push secp");
    let mut forged = signed(&secp, 1);
    forged.message.sequence = 2;
    assert!(
        api.push_message(forged).await.is_err(),
        "bad signature refused"
    );

    let selected = api.select_messages(head.key(), 0.9).await.expect("select");
    assert_eq!(selected.len(), 2);
    let worker = PrivateKey::generate(SignatureType::BLS);
    let template = test_utils::block_template(&head, selected);
    let mut block = api.create_block(template).await.expect("create");
    assert_eq!(
        block.bls_messages,
        vec![message_cid(&m1.message).expect("cid")]
    );
    assert_eq!(block.secpk_messages, vec![m2.cid().expect("cid")]);
    block.check_msg_root().expect("root matches");
    let agg = block.header.bls_aggregate.clone().expect("aggregate");
    let data = block.bls_messages[0].to_bytes();
    venus_core::crypto::verify_bls_aggregate(&agg.bytes, &[&data], &[m1.message.from])
        .expect("aggregate");

    assert!(
        api.submit_block(block.clone()).await.is_err(),
        "unsigned block refused"
    );
    test_utils::sign_block(&worker, &mut block.header);
    api.submit_block(block.clone()).await.expect("submit");

    let applied = changes.next().await.expect("apply");
    assert_eq!(applied[0].change_type, HeadChangeType::Apply);
    assert_eq!(api.head().await.expect("head").height(), head.height() + 1);
    assert!(
        chain.pending().is_empty(),
        "included messages leave the pool"
    );
    let back = api
        .tipset_by_height(head.height(), &TipSetKey::default())
        .await
        .expect("by height");
    assert_eq!(back.key(), head.key());
    assert!(api
        .tipset_by_height(head.height() + 5, &TipSetKey::default())
        .await
        .is_err());
}

#[tokio::test]
async fn default_multi_selection_keeps_senders_disjoint() {
    let chain = MemoryChain::new(genesis());
    let keys: Vec<PrivateKey> = (0..3)
        .map(|_| PrivateKey::generate(SignatureType::Secp256k1))
        .collect();
    for k in &keys {
        for n in 0..2 {
            chain.push_message(signed(k, n)).await.expect("push");
        }
    }
    let lists = chain
        .select_messages_multi(&TipSetKey::default(), &[0.9, 0.5])
        .await
        .expect("multi");
    assert_eq!(lists.len(), 2);
    let senders = |l: &Vec<SignedMessage>| l.iter().map(|m| m.message.from).collect::<HashSet<_>>();
    assert!(senders(&lists[0]).is_disjoint(&senders(&lists[1])));
    let cids: Vec<_> = lists
        .iter()
        .flatten()
        .map(|m| m.cid().expect("cid"))
        .collect();
    assert_eq!(
        cids.len(),
        cids.iter().collect::<HashSet<_>>().len(),
        "no message twice"
    );
}

#[tokio::test]
async fn memory_signer_checks_what_it_signs() {
    let signer: Arc<dyn RemoteSigner> = Arc::new(MemorySigner::new());
    let key = PrivateKey::generate(SignatureType::Secp256k1);
    let signer_impl = MemorySigner::new();
    let addr = signer_impl.add(key.clone()).expect("add");
    assert!(signer_impl.has(&addr).await.expect("has"));
    assert_eq!(signer_impl.list().await.expect("list"), vec![addr]);
    assert!(!signer.has(&addr).await.expect("has"));

    let msg = signed(&key, 0).message;
    let cid = message_cid(&msg).expect("cid").to_bytes();
    let meta = MsgMeta::message(&msg).expect("meta");
    let sig = signer_impl.sign(&addr, &cid, &meta).await.expect("sign");
    venus_core::crypto::verify(&sig, &cid, &addr).expect("valid");

    // Bytes that are not the message's CID.
    assert!(signer_impl
        .sign(&addr, b"something else", &meta)
        .await
        .is_err());
    // A block header called a message.
    let header = genesis().blocks()[0].clone();
    let block_bytes = header.signing_bytes().expect("bytes");
    let lie = MsgMeta {
        msg_type: MsgType::ChainMsg,
        extra: header.to_cbor().expect("cbor"),
    };
    assert!(signer_impl.sign(&addr, &block_bytes, &lie).await.is_err());
    // A message whose From is someone else.
    let other = PrivateKey::generate(SignatureType::Secp256k1);
    let theirs = signed(&other, 0).message;
    let their_cid = message_cid(&theirs).expect("cid").to_bytes();
    let err = signer_impl
        .sign(&addr, &their_cid, &MsgMeta::message(&theirs).expect("meta"))
        .await;
    assert!(err.is_err());
    // A block signed as a block is fine; unknown addresses are refused.
    signer_impl
        .sign(&addr, &block_bytes, &MsgMeta::block(&header).expect("meta"))
        .await
        .expect("block");
    assert!(signer.sign(&addr, &cid, &meta).await.is_err());
    // Market types cannot be checked here.
    let market = MsgMeta {
        msg_type: MsgType::DealProposal,
        extra: vec![],
    };
    assert!(signer_impl.sign(&addr, b"x", &market).await.is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nonce_store_hands_out_10000_nonces_to_64_tasks_without_gap_or_duplicate() {
    let store: Arc<dyn NonceStore> = Arc::new(MemoryNonceStore::new());
    let addr = Address::new_id(42);
    assert_eq!(store.reconcile(&addr, 7).await.expect("reconcile"), 7);
    assert_eq!(
        store.reconcile(&addr, 3).await.expect("reconcile"),
        7,
        "never lowered"
    );
    let total = 10_000u64;
    let tasks = 64u64;
    let handles: Vec<_> = (0..tasks)
        .map(|t| {
            let store = store.clone();
            let n = total / tasks + u64::from(t < total % tasks);
            tokio::spawn(async move {
                let mut got = Vec::new();
                for _ in 0..n {
                    got.push(store.next(&addr).await.expect("next"));
                }
                got
            })
        })
        .collect();
    let mut all = Vec::new();
    for h in handles {
        all.extend(h.await.expect("task"));
    }
    all.sort_unstable();
    let expected: Vec<u64> = (7..7 + total).collect();
    assert_eq!(all, expected);
    assert_eq!(store.peek(&addr).await.expect("peek"), 7 + total);
}

#[tokio::test]
async fn digest_prover_binds_miner_sectors_and_randomness() {
    let prover = DigestProver;
    let sectors = vec![ExtendedSectorInfo {
        seal_proof: RegisteredSealProof::StackedDRG2KiBV1P1,
        sector_number: 1,
        sector_key: None,
        sealed_cid: genesis().blocks()[0].messages,
    }];
    let miner = Address::new_id(1000);
    let rand = [7u8; 32];
    let proofs = prover
        .compute_winning_post(&miner, &sectors, &rand)
        .await
        .expect("prove");
    let verifier: &dyn ProofVerifier = &prover;
    assert!(verifier
        .verify_winning_post(&miner, &sectors, &rand, &proofs)
        .await
        .expect("verify"));
    assert!(!verifier
        .verify_winning_post(&miner, &sectors, &[8u8; 32], &proofs)
        .await
        .expect("verify"));
    assert!(!verifier
        .verify_winning_post(&Address::new_id(1001), &sectors, &rand, &proofs)
        .await
        .expect("verify"));
    assert!(prover
        .compute_winning_post(&miner, &[], &rand)
        .await
        .is_err());
}
