//! Sign/verify round trips and the ways a signature must fail.

use venus_core::crypto::{
    bls_aggregate, draw_randomness, election_vrf_base, ticket_quality, verify,
    verify_bls_aggregate, verify_vrf, DomainSeparationTag, PrivateKey, BLS_INFINITY_SIGNATURE,
};
use venus_core::types::BeaconEntry;
use venus_core::{Address, SignatureType};

#[test]
fn round_trip_and_failures_for_both_key_types() {
    for t in [SignatureType::Secp256k1, SignatureType::BLS] {
        let key = PrivateKey::generate(t);
        let other = PrivateKey::generate(t);
        let addr = key.address().expect("addr");
        let data = b"bytes to sign";
        let sig = key.sign(data).expect("sign");
        verify(&sig, data, &addr).expect("round trip");

        let wrong_key = other.sign(data).expect("sign");
        assert!(verify(&wrong_key, data, &addr).is_err(), "{t:?} wrong key");
        assert!(
            verify(&sig, b"other bytes", &addr).is_err(),
            "{t:?} wrong message"
        );
        let mut short = sig.clone();
        short.bytes.pop();
        assert!(verify(&short, data, &addr).is_err(), "{t:?} truncated");
        assert!(
            verify(&sig, data, &Address::new_id(1)).is_err(),
            "{t:?} id address"
        );
    }
}

#[test]
fn secp_signature_against_a_bls_address_fails() {
    let secp = PrivateKey::generate(SignatureType::Secp256k1);
    let bls = PrivateKey::generate(SignatureType::BLS);
    let sig = secp.sign(b"x").expect("sign");
    assert!(verify(&sig, b"x", &bls.address().expect("addr")).is_err());
}

#[test]
fn bls_aggregate_verifies_and_rejects_a_swap() {
    let keys: Vec<PrivateKey> = (0..3)
        .map(|_| PrivateKey::generate(SignatureType::BLS))
        .collect();
    let msgs: Vec<Vec<u8>> = (0..3u8).map(|i| vec![i; 8]).collect();
    let sigs: Vec<_> = keys
        .iter()
        .zip(&msgs)
        .map(|(k, m)| k.sign(m).expect("sign"))
        .collect();
    let agg = bls_aggregate(&sigs).expect("aggregate");
    let addrs: Vec<Address> = keys.iter().map(|k| k.address().expect("addr")).collect();
    let data: Vec<&[u8]> = msgs.iter().map(|m| m.as_slice()).collect();
    verify_bls_aggregate(&agg.bytes, &data, &addrs).expect("aggregate verifies");
    let swapped: Vec<&[u8]> = vec![data[1], data[0], data[2]];
    assert!(verify_bls_aggregate(&agg.bytes, &swapped, &addrs).is_err());
    assert!(verify_bls_aggregate(&agg.bytes, &data[..2], &addrs[..2]).is_err());
    assert!(verify_bls_aggregate(&agg.bytes, &data, &addrs[..2]).is_err());

    let empty = bls_aggregate(&[]).expect("empty aggregate");
    assert_eq!(empty.bytes, BLS_INFINITY_SIGNATURE);
    verify_bls_aggregate(&empty.bytes, &[], &[]).expect("no messages, infinity");
    assert!(verify_bls_aggregate(&agg.bytes, &[], &[]).is_err());
}

#[test]
fn vrf_verifies_only_for_the_worker_and_base() {
    let worker = PrivateKey::generate(SignatureType::BLS);
    let beacon = BeaconEntry {
        round: 7,
        data: vec![9; 96],
    };
    let miner = Address::new_id(1000);
    let base = election_vrf_base(&beacon, 10, &miner).expect("base");
    let proof = worker.sign(&base).expect("vrf");
    let waddr = worker.address().expect("addr");
    verify_vrf(&waddr, &base, &proof.bytes).expect("vrf verifies");
    let other_base = election_vrf_base(&beacon, 11, &miner).expect("base");
    assert!(verify_vrf(&waddr, &other_base, &proof.bytes).is_err());
    let secp = PrivateKey::generate(SignatureType::Secp256k1)
        .address()
        .expect("addr");
    assert!(verify_vrf(&secp, &base, &proof.bytes).is_err());
}

#[test]
fn draw_randomness_layout_is_lotus() {
    // blake2b-256(i64_be(tag) ‖ blake2b-256(rbase) ‖ i64_be(round) ‖ entropy)
    let mut buf = 2i64.to_be_bytes().to_vec();
    buf.extend_from_slice(&venus_core::encoding::blake2b_256(b"beacon"));
    buf.extend_from_slice(&(-5i64).to_be_bytes());
    buf.extend_from_slice(b"entropy");
    assert_eq!(
        draw_randomness(
            b"beacon",
            DomainSeparationTag::ElectionProofProduction,
            -5,
            b"entropy"
        ),
        venus_core::encoding::blake2b_256(&buf)
    );
    assert!(DomainSeparationTag::try_from(99).is_err());
}

#[test]
fn ticket_quality_is_in_unit_interval_and_ordered_by_digest() {
    let a = ticket_quality(b"a");
    assert!((0.0..1.0).contains(&a) || a == 1.0);
    // A proof whose digest is smaller has a higher quality.
    let (x, y) = (b"ticket-x".as_slice(), b"ticket-y".as_slice());
    let (dx, dy) = (
        venus_core::encoding::blake2b_256(x),
        venus_core::encoding::blake2b_256(y),
    );
    assert_eq!(dx < dy, ticket_quality(x) > ticket_quality(y));
}
