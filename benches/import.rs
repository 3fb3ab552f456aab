//! Importing a chain (issue 15): 1,000 tipsets of 5 blocks each, read
//! from one node's store and submitted to a fresh node over the same
//! genesis, as a syncer without a network would (the blocks of a tipset
//! validated together with every check of Lotus's `ValidateBlock`, the
//! parent executed once for them, then the next tipset), in tipsets/s.
//!
//! The chain: 12 miners of equal power. An epoch where at least five of
//! them win is a tipset of the first five winners' blocks, each with 10
//! secp256k1 transfers from its miner's own sender; an epoch where fewer
//! win is a null round (cron still runs for it on import). Winning PoSts
//! are `DigestProver`'s, which the node checks as a digest over the same
//! inputs as a real proof; `benches/proofs.rs` measures the real 2 KiB
//! winning PoSt verification to add per block.
//!
//! Building the chain takes about as long as one import. Set
//! `VENUS_BENCH_TIPSETS` for a shorter chain.

use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion, SamplingMode, Throughput};
use futures::future::try_join_all;
use venus_core::crypto::PrivateKey;
use venus_core::traits::ChainRead;
use venus_core::types::{FullBlock, SignedMessage, TipSetKey};
use venus_core::SignatureType;
use venus_node::testing::{key, send, Net, NetBuilder};

const MINERS: usize = 12;
const BLOCKS: usize = 5;
const MESSAGES: u64 = 10;

fn senders() -> Vec<PrivateKey> {
    (0..MINERS as u8)
        .map(|i| key(SignatureType::Secp256k1, 10 + i))
        .collect()
}

fn devnet() -> Net {
    // Deadlines of 3,000 epochs: no sector's first window PoSt falls due
    // within the chain (no one proves here; a missed proof would fault
    // the sectors and end their miners' power).
    let policy = venus_chain::exec::policy::with_proving_period(
        venus_chain::exec::policy::devnet(),
        3,
        3_000,
    )
    .expect("policy");
    senders()
        .into_iter()
        .fold(
            NetBuilder::default().miners(MINERS).policy(policy),
            |b, k| b.account(k),
        )
        .build()
}

/// Mines `tipsets` tipsets of [`BLOCKS`] blocks on `n`; their keys, in
/// order.
async fn build_chain(n: &Net, tipsets: usize) -> Vec<TipSetKey> {
    let senders = senders();
    let mut nonces = [0u64; MINERS];
    let mut keys = Vec::with_capacity(tipsets);
    let mut base = n.node.head().await.expect("head");
    let mut round = base.height();
    while keys.len() < tipsets {
        round += 1;
        let messages: Vec<Vec<SignedMessage>> = (0..MINERS)
            .map(|i| {
                (nonces[i]..nonces[i] + MESSAGES)
                    .map(|nonce| send(&senders[i], nonce))
                    .collect()
            })
            .collect();
        let tries = (0..MINERS).map(|i| {
            let (base, msgs) = (&base, messages[i].clone());
            async move { n.try_mine(i, base, round, msgs).await.map(|b| (i, b)) }
        });
        let winners: Vec<_> = futures::future::join_all(tries)
            .await
            .into_iter()
            .flatten()
            .take(BLOCKS)
            .collect();
        if winners.len() < BLOCKS {
            continue; // a null round
        }
        let blocks = winners.into_iter().map(|(i, b)| {
            nonces[i] += MESSAGES;
            FullBlock {
                header: b.header,
                bls_messages: vec![],
                secp_messages: messages[i].clone(),
            }
        });
        try_join_all(blocks.map(|b| n.node.submit_full_block(b)))
            .await
            .expect("a valid block");
        base = n.node.head().await.expect("head");
        assert_eq!(base.blocks().len(), BLOCKS, "the five blocks form the head");
        keys.push(base.key().clone());
    }
    keys
}

/// Reads each tipset's blocks and messages from `from`'s store and
/// submits them to `to`, the blocks of a tipset together.
async fn import(from: &Net, to: &Net, keys: &[TipSetKey]) {
    let chain = from.node.chain();
    for k in keys {
        let ts = chain.tipset(k).expect("tipset");
        let blocks = ts.blocks().iter().map(|h| {
            let m = chain.block_messages(h).expect("messages");
            FullBlock {
                header: h.clone(),
                bls_messages: m.bls_messages,
                secp_messages: m.secpk_messages,
            }
        });
        try_join_all(blocks.map(|b| to.node.submit_full_block(b)))
            .await
            .expect("imported");
    }
    assert_eq!(to.node.chain().head().key(), keys.last().expect("a chain"));
}

fn bench(c: &mut Criterion) {
    let tipsets: usize = std::env::var("VENUS_BENCH_TIPSETS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let source = devnet();
    let started = Instant::now();
    let keys = rt.block_on(build_chain(&source, tipsets));
    let head = source.node.chain().head();
    eprintln!(
        "built {tipsets} tipsets of {BLOCKS} blocks over {} epochs in {:.1?}",
        head.height(),
        started.elapsed()
    );
    let now = source.now.load(std::sync::atomic::Ordering::SeqCst);

    let mut g = c.benchmark_group("import");
    g.sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_millis(1))
        .throughput(Throughput::Elements(tipsets as u64));
    g.bench_function(format!("{tipsets} tipsets of {BLOCKS} blocks"), |b| {
        b.iter_custom(|iters| {
            let mut took = Duration::ZERO;
            for _ in 0..iters {
                let fresh = devnet();
                fresh.now.store(now, std::sync::atomic::Ordering::SeqCst);
                let t = Instant::now();
                rt.block_on(import(&source, &fresh, &keys));
                took += t.elapsed();
            }
            took
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
