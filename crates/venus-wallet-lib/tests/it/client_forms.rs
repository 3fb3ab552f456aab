//! Signing requests shaped exactly as Lotus, sophon-miner and Venus send them.

use venus_core::crypto::{draw_randomness, verify, DomainSeparationTag};
use venus_core::encoding::to_cbor;
use venus_core::types::{BlockHeader, MsgMeta, MsgType};
use venus_core::{json, Address, SignatureType};
use venus_wallet_lib::{Caller, WalletError};

use crate::*;

fn header() -> BlockHeader {
    let mut h: BlockHeader =
        json::from_value(vector("serialization-vectors/block_headers.json")[0]["block"].clone())
            .expect("header");
    h.block_sig = None;
    h
}

fn block_meta() -> MsgMeta {
    MsgMeta {
        msg_type: MsgType::Block,
        extra: vec![],
    }
}

#[tokio::test]
async fn a_block_signature_asked_as_lotus_asks_is_signed() {
    let w = wallet().await;
    let worker = w.new_key(SignatureType::BLS).await.expect("key");
    // Lotus's miner: WalletSign(worker, header.SigningBytes(), {Type: block}), no Extra.
    let h = header();
    let bytes = h.signing_bytes().expect("signing bytes");
    let sig = w
        .sign_as(&Caller::local(), &worker, &bytes, &block_meta())
        .await
        .expect("signed");
    verify(&sig, &bytes, &worker).expect("the signature covers the header");

    // The bytes must be a header without a signature, encoded canonically.
    let mut signed_header = header();
    signed_header.block_sig = Some(sig.clone());
    let with_sig = signed_header.to_cbor().expect("cbor");
    let refused = w
        .sign_as(&Caller::local(), &worker, &with_sig, &block_meta())
        .await;
    assert!(
        matches!(refused, Err(WalletError::Mismatch(_))),
        "{refused:?}"
    );
    for not_a_header in [b"raw bytes".to_vec(), to_cbor(&(1u8, 2u8)).expect("cbor")] {
        let refused = w
            .sign_as(&Caller::local(), &worker, &not_a_header, &block_meta())
            .await;
        assert!(
            matches!(refused, Err(WalletError::Mismatch(_))),
            "{refused:?}"
        );
    }
    // With Extra given, the bytes of a different header are refused as before.
    let mut other = header();
    other.height += 1;
    let meta = MsgMeta::block(&h).expect("meta");
    let refused = w
        .sign_as(
            &Caller::local(),
            &worker,
            &other.signing_bytes().expect("bytes"),
            &meta,
        )
        .await;
    assert!(
        matches!(refused, Err(WalletError::Mismatch(_))),
        "{refused:?}"
    );
}

/// Venus's `DrawRandomParams` as `fxamacker/cbor` encodes the Go struct: a
/// map keyed by field name, in field order.
fn venus_params(rbase: &[u8], pers: u8, round: u8, entropy: &[u8], extra_key: bool) -> Vec<u8> {
    fn text(out: &mut Vec<u8>, s: &str) {
        out.push(0x60 + s.len() as u8);
        out.extend_from_slice(s.as_bytes());
    }
    fn bytes(out: &mut Vec<u8>, b: &[u8]) {
        match b.len() {
            n if n < 24 => out.push(0x40 + n as u8),
            n => {
                out.push(0x58);
                out.push(n as u8);
            }
        }
        out.extend_from_slice(b);
    }
    let mut out = vec![if extra_key { 0xa5 } else { 0xa4 }];
    text(&mut out, "Rbase");
    bytes(&mut out, rbase);
    text(&mut out, "Pers");
    out.push(pers);
    text(&mut out, "Round");
    out.push(round);
    text(&mut out, "Entropy");
    bytes(&mut out, entropy);
    if extra_key {
        text(&mut out, "Evil");
        out.push(0x01);
    }
    out
}

#[tokio::test]
async fn a_vrf_asked_as_venus_asks_signs_the_drawn_randomness() {
    let w = wallet().await;
    let worker = w.new_key(SignatureType::BLS).await.expect("key");
    let entropy = to_cbor(&Address::new_id(1000)).expect("cbor");
    let rbase = [9u8; 96];
    let meta = MsgMeta {
        msg_type: MsgType::DrawRandomParam,
        extra: vec![],
    };
    // Tag 2: ElectionProofProduction, round 10.
    let request = venus_params(&rbase, 2, 10, &entropy, false);
    let sig = w
        .sign_as(&Caller::local(), &worker, &request, &meta)
        .await
        .expect("signed");
    let drawn = draw_randomness(
        &rbase,
        DomainSeparationTag::ElectionProofProduction,
        10,
        &entropy,
    );
    verify(&sig, &drawn, &worker).expect("the VRF is over DrawRandomness, as Venus's wallet signs");

    // Our own form (params in Extra, the digest as the bytes) signs the same thing.
    let ours = MsgMeta {
        msg_type: MsgType::DrawRandomParam,
        extra: to_cbor(&venus_core::types::DrawRandomParams {
            rbase: rbase.to_vec(),
            pers: 2,
            round: 10,
            entropy: entropy.clone(),
        })
        .expect("cbor"),
    };
    let again = w
        .sign_as(&Caller::local(), &worker, &drawn, &ours)
        .await
        .expect("our form");
    assert_eq!(again, sig, "BLS signatures are deterministic");

    // Anything else in the map, or a tag that does not exist, is refused.
    for bad in [
        venus_params(&rbase, 2, 10, &entropy, true),
        venus_params(&rbase, 0x17, 10, &entropy, false),
        b"not cbor".to_vec(),
    ] {
        let refused = w.sign_as(&Caller::local(), &worker, &bad, &meta).await;
        assert!(refused.is_err(), "{refused:?}");
    }
}

#[tokio::test]
async fn an_f3_vote_asked_as_venus_asks_is_signed_and_other_bytes_are_not() {
    let w = wallet().await;
    let worker = w.new_key(SignatureType::BLS).await.expect("key");
    let f3 = MsgMeta {
        msg_type: MsgType::F3,
        extra: vec![],
    };
    // Venus's vf3 signer: WalletSign(worker, payload, {Type: f3}), no Extra.
    let vote = crate::attacks::f3_vote();
    let sig = w
        .sign_as(&Caller::local(), &worker, &vote, &f3)
        .await
        .expect("a vote is signed");
    verify(&sig, &vote, &worker).expect("the signature covers the payload");
    let mut ticket = b"VRF:devnet:".to_vec();
    ticket.extend([9u8; 96]);
    ticket.push(b':');
    ticket.extend(42u64.to_be_bytes());
    ticket.extend(7u64.to_be_bytes());
    w.sign_as(&Caller::local(), &worker, &ticket, &f3)
        .await
        .expect("a ticket is signed");

    // A block header's signing bytes, labelled f3, are refused.
    let header_bytes = header().signing_bytes().expect("bytes");
    let r = w
        .sign_as(&Caller::local(), &worker, &header_bytes, &f3)
        .await;
    assert!(matches!(r, Err(WalletError::Mismatch(_))), "{r:?}");
    // So is a vote cut short, and one with an Extra.
    let r = w
        .sign_as(&Caller::local(), &worker, &vote[..vote.len() - 40], &f3)
        .await;
    assert!(matches!(r, Err(WalletError::Mismatch(_))), "{r:?}");
    let with_extra = MsgMeta {
        msg_type: MsgType::F3,
        extra: vec![1],
    };
    let r = w
        .sign_as(&Caller::local(), &worker, &vote, &with_extra)
        .await;
    assert!(matches!(r, Err(WalletError::Mismatch(_))), "{r:?}");
}
