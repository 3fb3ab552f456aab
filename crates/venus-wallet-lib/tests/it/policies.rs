//! Sign policies and the sign record.

use venus_core::encoding::RawBytes;
use venus_core::types::{message_cid, MsgMeta, MsgType};
use venus_core::{Address, Message, SignatureType, TokenAmount};
use venus_wallet_lib::{Caller, Policy, PolicyGroup, RecordQuery, WalletError};

use crate::*;

fn message(from: Address, method: u64) -> (MsgMeta, Vec<u8>) {
    let msg = Message {
        version: 0,
        from,
        to: Address::new_id(1000),
        sequence: 0,
        value: TokenAmount::from_atto(0),
        method_num: method,
        params: RawBytes::default(),
        gas_limit: 1,
        gas_fee_cap: TokenAmount::from_atto(1),
        gas_premium: TokenAmount::from_atto(1),
    };
    (
        MsgMeta::message(&msg).expect("meta"),
        message_cid(&msg).expect("cid").to_bytes(),
    )
}

#[tokio::test]
async fn policies_allow_and_deny_by_address_type_and_method() {
    let w = wallet().await;
    let a = w.new_key(SignatureType::Secp256k1).await.expect("a");
    let b = w.new_key(SignatureType::Secp256k1).await.expect("b");
    w.db()
        .put_policy(&Policy {
            name: "post-only".into(),
            addresses: vec![a.to_string()],
            msg_types: vec![MsgType::ChainMsg],
            methods: vec![5],
        })
        .await
        .expect("policy");
    w.db()
        .put_group(&PolicyGroup {
            name: "miners".into(),
            policies: vec!["post-only".into()],
        })
        .await
        .expect("group");
    assert!(w
        .db()
        .put_group(&PolicyGroup {
            name: "bad".into(),
            policies: vec!["nope".into()]
        })
        .await
        .is_err());
    w.db().bind("m1", "miners").await.expect("bind");
    let m1 = Caller::named("m1");

    let (meta, bytes) = message(a, 5);
    w.sign_as(&m1, &a, &bytes, &meta)
        .await
        .expect("allowed: address a, message, method 5");

    let (meta, bytes) = message(b, 5);
    let e = w
        .sign_as(&m1, &b, &bytes, &meta)
        .await
        .expect_err("address");
    assert!(
        matches!(&e, WalletError::PolicyDenied(m) if m.contains("does not cover")),
        "{e}"
    );

    let (meta, bytes) = message(a, 0);
    let e = w.sign_as(&m1, &a, &bytes, &meta).await.expect_err("method");
    assert!(
        matches!(&e, WalletError::PolicyDenied(m) if m.contains("method 0")),
        "{e}"
    );

    let header: venus_core::types::BlockHeader = venus_core::json::from_value(
        vector("serialization-vectors/block_headers.json")[0]["block"].clone(),
    )
    .expect("header");
    let e = w
        .sign_as(
            &m1,
            &a,
            &header.signing_bytes().expect("b"),
            &MsgMeta::block(&header).expect("m"),
        )
        .await
        .expect_err("type");
    assert!(
        matches!(&e, WalletError::PolicyDenied(m) if m.contains("does not allow Block")),
        "{e}"
    );

    // Raw bytes need an explicit grant.
    let e = w
        .sign_as(&m1, &a, b"raw", &unknown())
        .await
        .expect_err("unknown");
    assert!(matches!(e, WalletError::PolicyDenied(_)));
    w.db()
        .put_policy(&Policy {
            name: "raw".into(),
            addresses: vec![],
            msg_types: vec![MsgType::Unknown],
            methods: vec![],
        })
        .await
        .expect("raw");
    w.db()
        .put_group(&PolicyGroup {
            name: "miners".into(),
            policies: vec!["post-only".into(), "raw".into()],
        })
        .await
        .expect("group");
    w.sign_as(&m1, &a, b"raw", &unknown())
        .await
        .expect("granted");

    // An unbound caller gets nothing; the admin gets everything.
    assert!(w
        .sign_as(&Caller::named("stranger"), &a, b"raw", &unknown())
        .await
        .is_err());
    w.sign_as(
        &Caller {
            name: Some("root".into()),
            admin: true,
        },
        &b,
        b"raw",
        &unknown(),
    )
    .await
    .expect("admin");

    // Every signature and refusal was recorded, and can be queried.
    let all = w
        .db()
        .records(&RecordQuery::default())
        .await
        .expect("records");
    // 8 attempts: 3 signed, 5 refused.
    assert_eq!(all.len(), 8);
    assert_eq!(all.iter().filter(|r| r.ok).count(), 3);
    let for_b = w
        .db()
        .records(&RecordQuery {
            address: Some(b.to_string()),
            ..Default::default()
        })
        .await
        .expect("by address");
    assert_eq!(for_b.len(), 2);
    let blocks = w
        .db()
        .records(&RecordQuery {
            msg_type: Some(MsgType::Block),
            ..Default::default()
        })
        .await
        .expect("by type");
    assert_eq!(
        (blocks.len(), blocks[0].ok, blocks[0].caller.as_str()),
        (1, false, "m1")
    );
    assert!(blocks[0].error.as_deref().unwrap_or("").contains("policy"));
    let future = w
        .db()
        .records(&RecordQuery {
            from_ms: Some(all[0].at_ms + 60_000),
            ..Default::default()
        })
        .await
        .expect("by time");
    assert!(future.is_empty());
    let window = w
        .db()
        .records(&RecordQuery {
            from_ms: Some(all.last().expect("first").at_ms),
            to_ms: Some(all[0].at_ms + 1),
            ..Default::default()
        })
        .await
        .expect("window");
    assert_eq!(window.len(), 8);
}
