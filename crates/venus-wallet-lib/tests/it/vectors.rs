//! Keys and signatures against the shared vectors, through the wallet.

use venus_core::crypto::{verify, KeyInfo, PrivateKey};
use venus_core::json;
use venus_core::traits::RemoteSigner;
use venus_core::types::{message_cid, MsgMeta, SignedMessage};
use venus_core::{Message, SignatureType};

use crate::*;

#[tokio::test]
async fn keyinfo_exports_import_to_their_addresses_and_export_back() {
    let w = wallet().await;
    for case in vector("keyinfo.json")["cases"].as_array().expect("cases") {
        let key =
            KeyInfo::from_lotus_export(case["export_hex"].as_str().expect("hex")).expect("key");
        let addr = w.add_key(key).await.expect("import");
        let expected =
            venus_core::address::parse(case["address"].as_str().expect("addr")).expect("addr");
        assert_eq!(addr, expected);
        let exported = w
            .export(&addr)
            .await
            .expect("export")
            .to_lotus_export()
            .expect("hex");
        assert_eq!(
            KeyInfo::from_lotus_export(&exported)
                .expect("again")
                .address()
                .expect("addr"),
            addr
        );
    }
}

#[tokio::test]
async fn zondax_keys_sign_identically_through_the_wallet() {
    let w = wallet().await;
    // bls_wallet.json + bls_signature.json: a BLS key and its signature of a message.
    let bw = vector("zondax/bls_wallet.json");
    let bls = w
        .add_key(
            PrivateKey::from_bytes(
                SignatureType::BLS,
                &b64(bw["bls_private_key"].as_str().expect("sk")),
            )
            .expect("key"),
        )
        .await
        .expect("add");
    let case = vector("zondax/bls_signature.json");
    let msg: Message = venus_core::encoding::from_cbor(
        &hex::decode(case["cbor"].as_str().expect("cbor")).expect("hex"),
    )
    .expect("msg");
    assert_eq!(msg.from, bls);
    let cid = message_cid(&msg).expect("cid").to_bytes();
    let sig = w
        .sign(&bls, &cid, &MsgMeta::message(&msg).expect("meta"))
        .await
        .expect("sign");
    assert_eq!(hex::encode(&sig.bytes), case["sig"].as_str().expect("sig"));

    // signed_message.json: a secp key and the exact signature.
    let sm_case = vector("zondax/signed_message.json");
    let secp = w
        .add_key(
            PrivateKey::from_bytes(
                SignatureType::Secp256k1,
                &b64(sm_case["pk"].as_str().expect("pk")),
            )
            .expect("key"),
        )
        .await
        .expect("add");
    let expected: SignedMessage = json::from_value(sm_case["tx"].clone()).expect("tx");
    assert_eq!(expected.message.from, secp);
    let cid = message_cid(&expected.message).expect("cid").to_bytes();
    let sig = w
        .sign(
            &secp,
            &cid,
            &MsgMeta::message(&expected.message).expect("meta"),
        )
        .await
        .expect("sign");
    assert_eq!(sig, expected.signature);

    // generated_test_cases.json: ten BLS keys.
    for case in vector("zondax/generated_test_cases.json")
        .as_array()
        .expect("cases")
    {
        let key = PrivateKey::from_bytes(
            SignatureType::BLS,
            &hex::decode(case["sk"].as_str().expect("sk")).expect("hex"),
        )
        .expect("key");
        let addr = w.add_key(key).await.expect("add");
        let msg: Message = json::from_value(case["message"].clone()).expect("message");
        let cid = message_cid(&msg).expect("cid").to_bytes();
        let sig = w
            .sign(&addr, &cid, &MsgMeta::message(&msg).expect("meta"))
            .await
            .expect("sign");
        assert_eq!(hex::encode(&sig.bytes), case["sig"].as_str().expect("sig"));
    }
}

#[tokio::test]
async fn sign_verify_round_trip_for_both_key_types() {
    let w = wallet().await;
    for t in [SignatureType::BLS, SignatureType::Secp256k1] {
        let addr = w.new_key(t).await.expect("new");
        let sig = w.sign(&addr, b"payload", &unknown()).await.expect("sign");
        verify(&sig, b"payload", &addr).expect("verifies");
        assert!(verify(&sig, b"other", &addr).is_err());
    }
    assert_eq!(w.list().await.expect("list").len(), 2);
}
