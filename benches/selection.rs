//! Message selection: chain building plus optimal selection (ticket quality 0.5), for one ticket
//! from 16,000 pending messages over 1,000 senders and from 50,000 over
//! 5,000, and five tickets from 50,000 (Lotus selects ~16,000 in 100–160 ms).

#![allow(missing_docs)] // criterion_group! generates undocumented pub fns.

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use venus_core::types::SignedMessage;
use venus_core::{Address, Message, Signature, SignatureType, TokenAmount};
use venus_mpool::{
    create_chains, select_for_winners, select_optimal, BlockLimits, MsgChain, SenderState,
};

/// `senders` × `per_sender` messages with varied premiums (placeholder signatures: selection does not verify).
fn pool(senders: u64, per_sender: u64) -> Vec<(Vec<SignedMessage>, SenderState)> {
    (0..senders)
        .map(|s| {
            let msgs = (0..per_sender)
                .map(|n| {
                    let premium = 100 + (s * 7919 + n * 104_729) % 5_000;
                    let message = Message {
                        version: 0,
                        from: Address::new_id(1000 + s),
                        to: Address::new_id(1),
                        sequence: n,
                        value: TokenAmount::from_atto(0),
                        method_num: 0,
                        params: Default::default(),
                        gas_limit: 2_000_000 + (s % 13) * 100_000,
                        gas_fee_cap: TokenAmount::from_atto(premium + 2_000),
                        gas_premium: TokenAmount::from_atto(premium),
                    };
                    let sig = if s % 2 == 0 {
                        SignatureType::BLS
                    } else {
                        SignatureType::Secp256k1
                    };
                    SignedMessage {
                        message,
                        signature: Signature {
                            sig_type: sig,
                            bytes: vec![0; 65],
                        },
                    }
                })
                .collect();
            (
                msgs,
                SenderState {
                    nonce: 0,
                    balance: TokenAmount::from_whole(1_000_000),
                },
            )
        })
        .collect()
}

fn chains(pool: Vec<(Vec<SignedMessage>, SenderState)>, base: &TokenAmount) -> Vec<MsgChain> {
    pool.into_iter()
        .flat_map(|(m, s)| create_chains(m, &s, base))
        .collect()
}

fn selection(c: &mut Criterion) {
    let base = TokenAmount::from_atto(100);
    let mut g = c.benchmark_group("message selection (chains + optimal)");
    g.sample_size(20);
    for (label, senders, per) in [
        ("16,000 msgs / 1,000 senders", 1_000u64, 16u64),
        ("50,000 msgs / 5,000 senders", 5_000, 10),
    ] {
        let p = pool(senders, per);
        g.bench_function(format!("1 ticket, {label}"), |b| {
            b.iter_batched(
                || p.clone(),
                |p| select_optimal(&chains(p, &base), 0.5, BlockLimits::default(), &[], &base),
                BatchSize::LargeInput,
            )
        });
    }
    let p = pool(5_000, 10);
    g.bench_function("5 tickets, 50,000 msgs / 5,000 senders", |b| {
        b.iter_batched(
            || p.clone(),
            |p| {
                select_for_winners(
                    &chains(p, &base),
                    &[0.9, 0.7, 0.5, 0.3, 0.1],
                    BlockLimits::default(),
                    &[],
                    &base,
                )
            },
            BatchSize::LargeInput,
        )
    });
    g.finish();
}

criterion_group!(benches, selection);
criterion_main!(benches);
