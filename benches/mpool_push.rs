//! Pushing into the pool with every acceptance rule and the signature check,
//! 1,000 messages from one local sender per iteration, against the raw
//! signature verification of the same messages.

#![allow(missing_docs)] // criterion_group! generates undocumented pub fns.

use std::sync::Arc;

use async_trait::async_trait;
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use tokio::runtime::Runtime;
use venus_core::crypto::PrivateKey;
use venus_core::types::{message_cid, BlockHeader, BlockMessages, SignedMessage, TipSet, TxMeta};
use venus_core::{Address, Message, SignatureType, TokenAmount};
use venus_mpool::{MessagePool, MpoolConfig, MpoolProvider};

struct Rich;

#[async_trait]
impl MpoolProvider for Rich {
    async fn actor(&self, _: &Address, _: &TipSet) -> venus_core::Result<(u64, TokenAmount)> {
        Ok((0, TokenAmount::from_whole(1_000_000)))
    }
    async fn base_fee(&self, _: &TipSet) -> venus_core::Result<TokenAmount> {
        Ok(TokenAmount::from_atto(100))
    }
    async fn messages_in(&self, _: &TipSet) -> venus_core::Result<BlockMessages> {
        Ok(BlockMessages::default())
    }
}

fn head() -> TipSet {
    let root = TxMeta::build(&[], &[]).expect("meta").cid().expect("cid");
    TipSet::new(vec![BlockHeader {
        miner: Address::new_id(1000),
        ticket: None,
        election_proof: None,
        beacon_entries: vec![],
        win_post_proof: vec![],
        parents: vec![],
        parent_weight: 0.into(),
        height: 1,
        parent_state_root: root,
        parent_message_receipts: root,
        messages: root,
        bls_aggregate: None,
        timestamp: 0,
        block_sig: None,
        fork_signaling: 0,
        parent_base_fee: TokenAmount::from_atto(100),
    }])
    .expect("tipset")
}

fn signed(key: &PrivateKey, n: u64) -> SignedMessage {
    let message = Message {
        version: 0,
        from: key.address().expect("addr"),
        to: Address::new_id(1),
        sequence: n,
        value: TokenAmount::from_atto(1),
        method_num: 0,
        params: Default::default(),
        gas_limit: 1_000_000,
        gas_fee_cap: TokenAmount::from_atto(10_000),
        gas_premium: TokenAmount::from_atto(1_000),
    };
    let signature = key
        .sign(&message_cid(&message).expect("cid").to_bytes())
        .expect("sign");
    SignedMessage { message, signature }
}

fn push(c: &mut Criterion) {
    let rt = Runtime::new().expect("runtime");
    for t in [SignatureType::Secp256k1, SignatureType::BLS] {
        let key = PrivateKey::generate(t);
        let msgs: Vec<SignedMessage> = (0..1_000).map(|n| signed(&key, n)).collect();
        let mut g = c.benchmark_group(format!("mpool push, {t:?}, 1,000 messages"));
        g.sample_size(10).throughput(Throughput::Elements(1_000));
        g.bench_function("raw SignedMessage::verify", |b| {
            b.iter(|| msgs.iter().for_each(|m| m.verify().expect("valid")))
        });
        g.bench_function("MessagePool::add (all rules)", |b| {
            b.iter_batched(
                || MessagePool::new(Arc::new(Rich), head(), MpoolConfig::default()),
                |pool| {
                    rt.block_on(async {
                        for m in &msgs {
                            pool.add(m.clone(), true).await.expect("accepted");
                        }
                    })
                },
                BatchSize::PerIteration,
            )
        });
        g.finish();
    }
}

criterion_group!(benches, push);
criterion_main!(benches);
