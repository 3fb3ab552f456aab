//! Zondax filecoin-signing-tools vectors, and Lotus KeyInfo exports.

use venus_core::crypto::{verify, KeyInfo, PrivateKey};
use venus_core::encoding::{blake2b_256, cid_of_cbor_bytes, from_cbor, to_cbor};
use venus_core::json;
use venus_core::types::{message_cid, SignedMessage};
use venus_core::{Message, SignatureType};

use crate::{b64, vector};

#[test]
fn manual_vectors_valid_match_and_invalid_are_rejected() {
    let cases = vector("zondax/manual_testvectors.json");
    let (mut valid, mut invalid) = (0, 0);
    for case in cases.as_array().expect("array") {
        let desc = case["description"].as_str().unwrap_or("?");
        let parsed = json::from_value::<Message>(case["message"].clone());
        if case["valid"].as_bool() == Some(true) {
            let msg = parsed.unwrap_or_else(|e| panic!("{desc}: {e}"));
            let hex_cbor = case["encoded_tx_hex"].as_str().expect("hex");
            assert_eq!(
                hex::encode(to_cbor(&msg).expect("encode")),
                hex_cbor,
                "{desc}"
            );
            let back: Message = from_cbor(&hex::decode(hex_cbor).expect("hex")).expect("decode");
            assert_eq!(back, msg, "{desc}");
            valid += 1;
        } else {
            let err = parsed.expect_err(desc);
            assert!(!err.to_string().is_empty());
            invalid += 1;
        }
    }
    // The file flags 15 cases valid and 11 invalid (shared/vectors/README says 16 and 10).
    assert_eq!((valid, invalid), (15, 11));
}

#[test]
fn get_cid_of_a_secp_signed_message() {
    let case = vector("zondax/get_cid.json");
    let sm: SignedMessage =
        json::from_value(case["signed_message"].clone()).expect("signed message");
    assert_eq!(sm.signature.sig_type, SignatureType::Secp256k1);
    assert_eq!(
        sm.cid().expect("cid").to_string(),
        case["cid"].as_str().expect("cid")
    );
    // For secp the signed CID differs from the message CID.
    assert_ne!(
        sm.cid().expect("cid"),
        message_cid(&sm.message).expect("cid")
    );
    sm.verify().expect("signature verifies");
}

#[test]
fn signed_message_secp_signature_is_reproduced() {
    let case = vector("zondax/signed_message.json");
    let key = PrivateKey::from_bytes(
        SignatureType::Secp256k1,
        &b64(case["pk"].as_str().expect("pk")),
    )
    .expect("key");
    let expected: SignedMessage = json::from_value(case["tx"].clone()).expect("tx");
    assert_eq!(key.address().expect("addr"), expected.message.from);
    let sig = key
        .sign(&message_cid(&expected.message).expect("cid").to_bytes())
        .expect("sign");
    // RFC 6979 nonces make secp256k1 signatures deterministic.
    assert_eq!(sig, expected.signature);
    expected.verify().expect("verifies");
}

#[test]
fn txs_cbor_and_signatures() {
    let cases = vector("zondax/txs.json");
    for (i, case) in cases.as_array().expect("array").iter().enumerate() {
        if let Some(cbor) = case["cbor"].as_str() {
            let msg: Message = json::from_value(case["transaction"].clone()).expect("tx");
            assert_eq!(hex::encode(to_cbor(&msg).expect("cbor")), cbor, "case {i}");
        }
        if let Some(sig) = case["sig"].as_str() {
            let msg: Message =
                json::from_value(case.get("message").unwrap_or(&case["transaction"]).clone())
                    .expect("message");
            let signed = SignedMessage {
                signature: venus_core::Signature::new_bls(hex::decode(sig).expect("hex")),
                message: msg,
            };
            // README: case 3's signature does not verify; it is a negative.
            assert_eq!(signed.verify().is_ok(), i != 3, "case {i}");
        }
        if let Some(sk) = case["sk"].as_str() {
            let key = PrivateKey::from_bytes(SignatureType::BLS, &hex::decode(sk).expect("hex"))
                .expect("key");
            assert_eq!(
                hex::encode(key.public_key().expect("pk")),
                case["pk"].as_str().expect("pk")
            );
        }
    }
}

#[test]
fn generated_bls_cases_sign_identically() {
    let cases = vector("zondax/generated_test_cases.json");
    let cases = cases.as_array().expect("array");
    assert_eq!(cases.len(), 10);
    for (i, case) in cases.iter().enumerate() {
        let key = PrivateKey::from_bytes(
            SignatureType::BLS,
            &hex::decode(case["sk"].as_str().expect("sk")).expect("hex"),
        )
        .expect("key");
        assert_eq!(
            hex::encode(key.public_key().expect("pk")),
            case["pk"].as_str().expect("pk"),
            "case {i}"
        );
        let msg: Message = json::from_value(case["message"].clone()).expect("message");
        assert_eq!(key.address().expect("addr"), msg.from, "case {i}");
        let data = message_cid(&msg).expect("cid").to_bytes();
        let sig = key.sign(&data).expect("sign");
        assert_eq!(
            hex::encode(&sig.bytes),
            case["sig"].as_str().expect("sig"),
            "case {i}"
        );
        verify(&sig, &data, &msg.from).expect("verifies");
    }
}

#[test]
fn bls_wallet_signs_the_bls_signature_vector() {
    let wallet = vector("zondax/bls_wallet.json");
    let key = PrivateKey::from_bytes(
        SignatureType::BLS,
        &b64(wallet["bls_private_key"].as_str().expect("sk")),
    )
    .expect("key");
    assert_eq!(
        hex::encode(key.public_key().expect("pk")),
        wallet["bls_public_key"].as_str().expect("pk")
    );
    let case = vector("zondax/bls_signature.json");
    let cbor = hex::decode(case["cbor"].as_str().expect("cbor")).expect("hex");
    let msg: Message = from_cbor(&cbor).expect("decode");
    let cid = cid_of_cbor_bytes(&cbor);
    let sig = key.sign(&cid.to_bytes()).expect("sign");
    assert_eq!(hex::encode(&sig.bytes), case["sig"].as_str().expect("sig"));
    verify(&sig, &cid.to_bytes(), &msg.from).expect("verifies");
}

#[test]
fn tampered_signature_fails() {
    let case = &vector("zondax/verify_signature.json")["verify_invalid_signature"];
    let key = PrivateKey::from_bytes(
        SignatureType::Secp256k1,
        &b64(case["private_key"].as_str().expect("sk")),
    )
    .expect("key");
    let msg: Message = json::from_value(case["message"].clone()).expect("message");
    let data = message_cid(&msg).expect("cid").to_bytes();
    let mut sig = key.sign(&data).expect("sign");
    verify(&sig, &data, &msg.from).expect("untampered verifies");
    sig.bytes[10] ^= 0x01;
    assert!(verify(&sig, &data, &msg.from).is_err());
}

#[test]
fn utils_cids_digests_and_keys() {
    let u = vector("zondax/utils.json");
    let cbor = hex::decode(u["cid_bytes"]["cbor_message"].as_str().expect("cbor")).expect("hex");
    assert_eq!(
        hex::encode(cid_of_cbor_bytes(&cbor).to_bytes()),
        u["cid_bytes"]["cid"].as_str().expect("cid")
    );
    for d in u["msg_digest"].as_array().expect("array") {
        let cbor = hex::decode(d["cbor_message"].as_str().expect("cbor")).expect("hex");
        let digest = blake2b_256(&cid_of_cbor_bytes(&cbor).to_bytes());
        assert_eq!(hex::encode(digest), d["digest"].as_str().expect("digest"));
    }
    let p = &u["public_from_private"];
    let key = PrivateKey::from_bytes(
        SignatureType::Secp256k1,
        &hex::decode(p["private"].as_str().expect("sk")).expect("hex"),
    )
    .expect("key");
    assert_eq!(
        hex::encode(key.public_key().expect("pk")),
        p["public"].as_str().expect("pk")
    );
    let s = &u["signature_test"];
    let key = PrivateKey::from_bytes(
        SignatureType::Secp256k1,
        &hex::decode(s["private"].as_str().expect("sk")).expect("hex"),
    )
    .expect("key");
    let cbor = hex::decode(s["message"].as_str().expect("msg")).expect("hex");
    let sig = key
        .sign(&cid_of_cbor_bytes(&cbor).to_bytes())
        .expect("sign");
    assert_eq!(
        hex::encode(&sig.bytes),
        s["signature"].as_str().expect("sig")
    );
}

#[test]
fn lotus_keyinfo_export_gives_its_address() {
    let v = vector("keyinfo.json");
    for case in v["cases"].as_array().expect("array") {
        let key =
            KeyInfo::from_lotus_export(case["export_hex"].as_str().expect("hex")).expect("key");
        let (addr, _) = venus_core::address::parse_address(case["address"].as_str().expect("addr"))
            .expect("addr");
        assert_eq!(key.address().expect("address"), addr);
        let again = KeyInfo::from_private_key(&key)
            .to_lotus_export()
            .expect("export");
        assert_eq!(
            KeyInfo::from_lotus_export(&again)
                .expect("reimport")
                .address()
                .expect("addr"),
            addr
        );
    }
    assert!(KeyInfo::from_lotus_export("zz").is_err());
    assert!(
        KeyInfo::from_lotus_export(&hex::encode(br#"{"Type":"rsa","PrivateKey":"AA=="}"#)).is_err()
    );
}
