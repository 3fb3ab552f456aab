//! Signing and verification of a message CID (38 bytes): venus-core against
//! the raw library call it wraps.

#![allow(missing_docs)] // criterion_group! generates undocumented pub fns.

use bls_signatures::Serialize as _;
use criterion::{criterion_group, criterion_main, Criterion};
use venus_core::crypto::{verify, PrivateKey};
use venus_core::SignatureType;

const MSG_CID_LEN: usize = 38;

fn secp(c: &mut Criterion) {
    let key = PrivateKey::generate(SignatureType::Secp256k1);
    let addr = key.address().expect("address");
    let data = [7u8; MSG_CID_LEN];
    let raw_sk = libsecp256k1::SecretKey::parse_slice(key.bytes()).expect("key");
    let sig = key.sign(&data).expect("sign");

    let mut g = c.benchmark_group("secp256k1 (38-byte CID)");
    g.bench_function("raw libsecp256k1::sign(blake2b)", |b| {
        b.iter(|| {
            let h = venus_core::encoding::blake2b_256(&data);
            libsecp256k1::sign(&libsecp256k1::Message::parse(&h), &raw_sk)
        })
    });
    g.bench_function("venus PrivateKey::sign", |b| b.iter(|| key.sign(&data)));
    g.bench_function("raw libsecp256k1::recover", |b| {
        let h = venus_core::encoding::blake2b_256(&data);
        let rs = libsecp256k1::Signature::parse_standard_slice(&sig.bytes[..64]).expect("sig");
        let v = libsecp256k1::RecoveryId::parse(sig.bytes[64]).expect("v");
        b.iter(|| libsecp256k1::recover(&libsecp256k1::Message::parse(&h), &rs, &v))
    });
    g.bench_function("venus verify (recover + address)", |b| {
        b.iter(|| verify(&sig, &data, &addr))
    });
    g.finish();
}

fn bls(c: &mut Criterion) {
    let key = PrivateKey::generate(SignatureType::BLS);
    let addr = key.address().expect("address");
    let data = [7u8; MSG_CID_LEN];
    let raw_sk = bls_signatures::PrivateKey::from_bytes(key.bytes()).expect("key");
    let raw_pk = raw_sk.public_key();
    let sig = key.sign(&data).expect("sign");
    let raw_sig = bls_signatures::Signature::from_bytes(&sig.bytes).expect("sig");

    let mut g = c.benchmark_group("bls (38-byte CID)");
    g.bench_function("raw bls_signatures sign", |b| b.iter(|| raw_sk.sign(data)));
    g.bench_function("venus PrivateKey::sign", |b| b.iter(|| key.sign(&data)));
    g.bench_function("raw bls_signatures verify_messages", |b| {
        b.iter(|| bls_signatures::verify_messages(&raw_sig, &[&data[..]], &[raw_pk]))
    });
    g.bench_function("venus verify", |b| b.iter(|| verify(&sig, &data, &addr)));
    g.finish();
}

criterion_group!(benches, secp, bls);
criterion_main!(benches);
