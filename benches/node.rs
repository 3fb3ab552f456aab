//! Validating a block (issue 15): a block of 1,000 secp256k1 messages and
//! one of 1,000 BLS messages through `Consensus::validate_block` (every
//! check of Lotus's `ValidateBlock`; the parent's execution is cached, as
//! on a node that has seen it), against verifying the same signatures raw:
//! 1,000 secp256k1 recoveries over the message CIDs, or one BLS aggregate
//! check over 1,000 messages (`bls_signatures::verify_messages`).

use bls_signatures::Serialize as _;
use criterion::{criterion_group, criterion_main, Criterion};
use venus_core::crypto::{verify_secp, PrivateKey};
use venus_core::types::{message_cid, FullBlock, SignedMessage};
use venus_core::{Address, Message, TokenAmount};
use venus_node::testing::{mine, net, sign, Net};

const MESSAGES: u64 = 1_000;

fn sends(from: &PrivateKey) -> Vec<SignedMessage> {
    (0..MESSAGES)
        .map(|nonce| {
            sign(
                from,
                Message {
                    version: 0,
                    from: from.address().expect("address"),
                    to: Address::new_id(100),
                    sequence: nonce,
                    value: TokenAmount::from_atto(1),
                    method_num: 0,
                    params: Default::default(),
                    gas_limit: 5_000_000,
                    gas_fee_cap: TokenAmount::from_atto(1_000_000_000),
                    gas_premium: TokenAmount::from_atto(100_000),
                },
            )
        })
        .collect()
}

/// Block 1 on genesis with `msgs`, with its messages.
fn block(rt: &tokio::runtime::Runtime, n: &Net, msgs: Vec<SignedMessage>) -> FullBlock {
    let g = n.node.chain().head();
    let b = rt.block_on(mine(n, &g, 1, msgs.clone()));
    let (bls, secp): (Vec<_>, Vec<_>) = msgs.into_iter().partition(|m| m.is_bls());
    FullBlock {
        header: b.header,
        bls_messages: bls.into_iter().map(|m| m.message).collect(),
        secp_messages: secp,
    }
}

fn validate(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let n = net();
    let consensus = n.node.consensus().clone();
    let mut g = c.benchmark_group("validate_block");
    g.sample_size(20);

    let secp = sends(&n.secp);
    let secp_block = block(&rt, &n, secp.clone());
    let now = secp_block.header.timestamp;
    rt.block_on(consensus.validate_block(secp_block.clone(), now))
        .expect("a valid block");
    g.bench_function("1000 secp256k1 messages", |b| {
        b.iter(|| rt.block_on(consensus.validate_block(secp_block.clone(), now)))
    });
    let raw: Vec<(Vec<u8>, Vec<u8>, Address)> = secp
        .iter()
        .map(|m| {
            let cid = message_cid(&m.message).expect("cid").to_bytes();
            (m.signature.bytes.clone(), cid, m.message.from)
        })
        .collect();
    g.bench_function("1000 secp256k1 signatures, raw", |b| {
        b.iter(|| {
            for (sig, data, from) in &raw {
                verify_secp(sig, data, from).expect("valid");
            }
        })
    });

    let bls = sends(&n.bls);
    let bls_block = block(&rt, &n, bls.clone());
    rt.block_on(consensus.validate_block(bls_block.clone(), now))
        .expect("a valid block");
    g.bench_function("1000 BLS messages", |b| {
        b.iter(|| rt.block_on(consensus.validate_block(bls_block.clone(), now)))
    });
    let aggregate = bls_signatures::Signature::from_bytes(
        &bls_block
            .header
            .bls_aggregate
            .as_ref()
            .expect("aggregate")
            .bytes,
    )
    .expect("signature");
    let data: Vec<Vec<u8>> = bls
        .iter()
        .map(|m| message_cid(&m.message).expect("cid").to_bytes())
        .collect();
    let refs: Vec<&[u8]> = data.iter().map(|d| d.as_slice()).collect();
    let key = bls_signatures::PublicKey::from_bytes(&n.bls.public_key().expect("public key"))
        .expect("key");
    let keys = vec![key; bls.len()];
    g.bench_function("1000 BLS signatures (one aggregate), raw", |b| {
        b.iter(|| assert!(bls_signatures::verify_messages(&aggregate, &refs, &keys)))
    });
    g.finish();
}

criterion_group!(benches, validate);
criterion_main!(benches);
