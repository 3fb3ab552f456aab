//! serialization-vectors: unsigned messages and message signing.

use venus_core::crypto::{verify, PrivateKey};
use venus_core::encoding::{from_cbor, to_cbor};
use venus_core::json;
use venus_core::types::message_cid;
use venus_core::{Message, Signature, SignatureType};

use crate::{b64, vector};

#[test]
fn all_unsigned_messages_encode_byte_for_byte() {
    let cases = vector("serialization-vectors/unsigned_messages.json");
    let cases = cases.as_array().expect("array");
    assert_eq!(cases.len(), 21);
    for (i, case) in cases.iter().enumerate() {
        let msg: Message =
            json::from_value(case["message"].clone()).unwrap_or_else(|e| panic!("case {i}: {e}"));
        let expected = case["hex_cbor"].as_str().expect("hex");
        assert_eq!(
            hex::encode(to_cbor(&msg).expect("encode")),
            expected,
            "case {i}"
        );
        let decoded: Message = from_cbor(&hex::decode(expected).expect("hex")).expect("decode");
        assert_eq!(decoded, msg, "case {i} decodes back");
    }
}

#[test]
fn message_signing_cids_and_bls_signatures_match() {
    let cases = vector("serialization-vectors/message_signing.json");
    for (i, case) in cases.as_array().expect("array").iter().enumerate() {
        let msg: Message = json::from_value(case["Unsigned"].clone()).expect("message");
        let cid = message_cid(&msg).expect("cid");
        assert_eq!(
            cid.to_string(),
            case["Cid"].as_str().expect("cid"),
            "case {i}"
        );
        assert_eq!(
            hex::encode(cid.to_bytes()),
            case["CidHexBytes"].as_str().expect("hex")
        );

        let key = PrivateKey::from_bytes(
            SignatureType::BLS,
            &b64(case["PrivateKey"].as_str().expect("key")),
        )
        .expect("valid BLS key");
        assert_eq!(
            key.address().expect("address"),
            msg.from,
            "case {i}: key is From"
        );
        let sig = key.sign(&cid.to_bytes()).expect("sign");
        let expected: Signature = json::from_value(case["Signature"].clone()).expect("sig");
        assert_eq!(sig, expected, "case {i}: BLS signatures are deterministic");
        verify(&sig, &cid.to_bytes(), &msg.from).expect("verifies");
    }
}
