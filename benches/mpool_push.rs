//! Pushing into the pool with every acceptance rule and the signature check,
//! 1,000 messages from one local sender per iteration, against the raw
//! signature verification of the same messages.

#![allow(missing_docs)] // criterion_group! generates undocumented pub fns.

use std::sync::Arc;

use async_trait::async_trait;
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use tokio::runtime::Runtime;
use venus_core::crypto::PrivateKey;
use venus_core::test_utils;
use venus_core::types::{BlockMessages, SignedMessage, TipSet, TipSetKey};
use venus_core::{Address, SignatureType, TokenAmount};
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
    async fn tipset(&self, _: &TipSetKey) -> venus_core::Result<TipSet> {
        Ok(head())
    }
}

fn head() -> TipSet {
    test_utils::tipset(1, 0)
}

fn signed(key: &PrivateKey, n: u64) -> SignedMessage {
    test_utils::signed(key, n)
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
