//! The `MessageStore` conformance suite, on SQLite and on MySQL
//! (`VENUS_TEST_MYSQL_URL`; the MySQL run says so when it is skipped).

#![allow(missing_docs)]

use std::sync::Arc;

use cid::Cid;
use venus_core::shared::receipt::Receipt;
use venus_core::types::TipSetKey;
use venus_core::{Address, Message, Signature, TokenAmount};
use venus_messager_lib::fee::FeeSpec;
use venus_messager_lib::store::{Landed, ListQuery, MessageStore, SqlMessageStore};
use venus_messager_lib::{
    AddressState, MessageState, MessagerError, MsgRecord, SendSpec, MIGRATIONS,
};

fn from() -> Address {
    Address::new_secp256k1(&[7u8; 65]).expect("ok")
}

fn msg(value: u64) -> Message {
    Message {
        version: 0,
        from: from(),
        to: Address::new_id(100),
        sequence: 0,
        value: TokenAmount::from_atto(value),
        method_num: 0,
        params: Default::default(),
        gas_limit: 1_000_000,
        gas_fee_cap: TokenAmount::from_atto(1_000),
        gas_premium: TokenAmount::from_atto(100),
    }
}

fn cid(n: u8) -> Cid {
    Cid::new_v1(
        0x71,
        cid::multihash::Multihash::wrap(0xb220, &[n; 32]).expect("ok"),
    )
}

fn sig(n: u8) -> Signature {
    Signature::new_secp256k1(vec![n; 65])
}

async fn suite(s: Arc<dyn MessageStore>) {
    let a = from();
    // Unknown addresses are refused; adding twice is harmless.
    s.insert(&MsgRecord::new("x", msg(1), SendSpec::default(), "u"))
        .await
        .expect("ok");
    assert!(matches!(
        s.fill(&a, "i1", &[("x".into(), msg(1))], 1).await,
        Err(MessagerError::Address(_))
    ));
    s.add_address(&a).await.expect("ok");
    s.add_address(&a).await.expect("ok");
    let info = s.address(&a).await.expect("ok").expect("ok");
    assert_eq!((info.next_nonce, info.state), (0, AddressState::Alive));

    // Insert: durable, duplicates refused, order kept.
    for i in 0..5u64 {
        let r = MsgRecord::new(format!("m{i}"), msg(i), SendSpec::default(), "alice");
        s.insert(&r).await.expect("ok");
    }
    assert!(matches!(
        s.insert(&MsgRecord::new("m0", msg(9), SendSpec::default(), "bob")).await,
        Err(MessagerError::Duplicate(id)) if id == "m0"
    ));
    let m0 = s.get("m0").await.expect("ok").expect("ok");
    assert_eq!(
        (m0.state, m0.nonce, m0.from_user.as_str()),
        (MessageState::Unfilled, None, "alice")
    );
    assert_eq!(m0.message.value, TokenAmount::from_atto(0));
    let unfilled = s.unfilled(&a, 3).await.expect("ok");
    assert_eq!(
        unfilled.iter().map(|m| m.id.as_str()).collect::<Vec<_>>(),
        ["x", "m0", "m1"]
    );

    // A fill error keeps the message unfilled, with no nonce.
    s.set_error("x", "estimate failed").await.expect("ok");
    let failed = s
        .list(&ListQuery {
            with_error: true,
            ..Default::default()
        })
        .await
        .expect("ok");
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].error, "estimate failed");

    // Filling needs the lease.
    assert!(matches!(
        s.fill(&a, "i1", &[("m0".into(), msg(0))], 1).await,
        Err(MessagerError::NotOwner(_))
    ));
    assert!(s.lease(&a, "i1", 1_000, i64::MAX).await.expect("ok"));
    assert!(
        !s.lease(&a, "i2", 1_000, i64::MAX).await.expect("ok"),
        "held"
    );
    let f = s
        .fill(&a, "i1", &[("m0".into(), msg(0)), ("m1".into(), msg(1))], 7)
        .await
        .expect("ok");
    assert_eq!(
        f.iter().map(|m| m.nonce).collect::<Vec<_>>(),
        [Some(0), Some(1)]
    );
    assert_eq!(f[1].message.sequence, 1);
    assert_eq!(f[1].filled_epoch, Some(7));
    assert!(f[1].unsigned_cid.is_some() && f[1].signature.is_none());
    assert_eq!(s.address(&a).await.expect("ok").expect("ok").next_nonce, 2);
    // All or none: one message already filled fails the batch, no nonce taken.
    assert!(matches!(
        s.fill(&a, "i1", &[("m2".into(), msg(2)), ("m1".into(), msg(1))], 7)
            .await,
        Err(MessagerError::State { .. })
    ));
    assert_eq!(s.address(&a).await.expect("ok").expect("ok").next_nonce, 2);
    assert_eq!(
        s.get("m2").await.expect("ok").expect("ok").state,
        MessageState::Unfilled
    );

    // The chain's nonce raises ours, never lowers it.
    assert_eq!(s.reconcile_nonce(&a, 1).await.expect("ok"), 2);
    assert_eq!(s.reconcile_nonce(&a, 5).await.expect("ok"), 5);
    let f2 = s
        .fill(&a, "i1", &[("m2".into(), msg(2))], 8)
        .await
        .expect("ok");
    assert_eq!(f2[0].nonce, Some(5));

    // Signatures: only filled messages.
    let uc = |i: usize| f[i].unsigned_cid.expect("unsigned");
    s.set_signed(&[
        ("m0".into(), sig(1), cid(1), uc(0)),
        ("m1".into(), sig(2), cid(2), uc(1)),
    ])
    .await
    .expect("ok");
    assert!(s
        .set_signed(&[("m3".into(), sig(3), cid(3), cid(3))])
        .await
        .is_err());
    let m1 = s.get("m1").await.expect("ok").expect("ok");
    assert_eq!(m1.signature, Some(sig(2)));
    assert_eq!(m1.signed_cid, Some(cid(2)));
    assert_eq!(s.by_cid(&cid(2)).await.expect("ok").expect("ok").id, "m1");
    let filled = s.filled(&a).await.expect("ok");
    assert_eq!(
        filled.iter().map(|m| m.id.as_str()).collect::<Vec<_>>(),
        ["m0", "m1", "m2"]
    );

    // Replace: only gas may change; the old CID is kept and found.
    let mut bad = m1.message.clone();
    bad.value = TokenAmount::from_atto(77);
    assert!(matches!(
        s.replace("m1", &bad, 9).await,
        Err(MessagerError::Invalid(_))
    ));
    let mut new = m1.message.clone();
    new.gas_premium = TokenAmount::from_atto(200);
    let r = s.replace("m1", &new, 9).await.expect("ok");
    assert_eq!(
        (r.signature.clone(), r.replaced.clone()),
        (None, vec![cid(2)])
    );
    assert_eq!(r.message.gas_premium, TokenAmount::from_atto(200));
    // A signature of the version before the replace is refused.
    assert!(s
        .set_signed(&[("m1".into(), sig(5), cid(5), uc(1))])
        .await
        .is_err());
    s.set_signed(&[(
        "m1".into(),
        sig(4),
        cid(4),
        r.unsigned_cid.expect("unsigned"),
    )])
    .await
    .expect("ok");
    assert_eq!(
        s.by_cid(&cid(2)).await.expect("ok").expect("ok").id,
        "m1",
        "an earlier CID"
    );

    // Landing: the original (replaced) CID lands; it becomes the message's.
    let receipt = Receipt {
        exit_code: venus_core::shared::error::ExitCode::OK,
        return_data: Default::default(),
        gas_used: 42,
        events_root: None,
    };
    let landed = Landed {
        cid: cid(2),
        receipt: receipt.clone(),
        height: 20,
        tipset: TipSetKey::new(vec![cid(9)]),
    };
    assert_eq!(
        s.landed(&[("m1".into(), landed.clone())])
            .await
            .expect("ok"),
        1
    );
    let m1 = s.get("m1").await.expect("ok").expect("ok");
    assert_eq!(m1.state, MessageState::OnChain);
    assert_eq!(m1.signed_cid, Some(cid(2)));
    assert_eq!(m1.replaced, vec![cid(4)]);
    assert_eq!(m1.receipt.as_ref().map(|r| r.gas_used), Some(42));
    assert_eq!(
        (m1.height, m1.tipset.clone()),
        (Some(20), Some(TipSetKey::new(vec![cid(9)])))
    );
    assert_eq!(
        s.landed(&[("m1".into(), landed.clone())])
            .await
            .expect("ok"),
        0,
        "lands once"
    );
    // Messages executed from a height on (what a recheck reads).
    let from_height = |h| ListQuery {
        states: vec![MessageState::OnChain],
        min_height: Some(h),
        ..Default::default()
    };
    assert_eq!(s.list(&from_height(20)).await.expect("ok").len(), 1);
    assert!(s.list(&from_height(21)).await.expect("ok").is_empty());

    // Conflict, then a revert below both takes them back to filled.
    s.conflicted("m0", 22, &TipSetKey::new(vec![cid(8)]))
        .await
        .expect("ok");
    assert_eq!(
        s.get("m0").await.expect("ok").expect("ok").state,
        MessageState::NonceConflict
    );
    assert!(s.revert_from(30).await.expect("ok").is_empty());
    let mut back = s.revert_from(21).await.expect("ok");
    back.sort();
    assert_eq!(back, ["m0"]);
    let mut back = s.revert_from(20).await.expect("ok");
    back.sort();
    assert_eq!(back, ["m1"]);
    let m1 = s.get("m1").await.expect("ok").expect("ok");
    assert_eq!(
        (m1.state, m1.receipt.clone(), m1.height),
        (MessageState::Filled, None, None)
    );

    // Failed and recovered.
    s.fail("m1", "marked bad").await.expect("ok");
    assert_eq!(
        s.get("m1").await.expect("ok").expect("ok").state,
        MessageState::Failed
    );
    assert!(s.fail("m1", "again").await.is_err());
    assert_eq!(
        s.recover_failed(&a, 2).await.expect("ok"),
        Vec::<String>::new()
    );
    assert_eq!(s.recover_failed(&a, 1).await.expect("ok"), ["m1"]);
    assert!(matches!(
        s.fail("nope", "x").await,
        Err(MessagerError::NotFound(_))
    ));

    // By sender and nonce.
    assert_eq!(
        s.by_nonce(&a, 1).await.expect("ok").map(|m| m.id),
        Some("m1".to_string())
    );
    assert!(s.by_nonce(&a, 99).await.expect("ok").is_none());

    // Counts for metrics: per state, and per address what waits.
    let stats = s.stats().await.expect("ok");
    let count = |st| {
        stats
            .by_state
            .iter()
            .find(|(x, _)| *x == st)
            .map_or(0, |(_, n)| *n)
    };
    let all = s.list(&ListQuery::default()).await.expect("ok");
    let by = |st| all.iter().filter(|m| m.state == st).count() as u64;
    let unfilled = count(MessageState::Unfilled);
    assert!(unfilled >= 2, "{stats:?}");
    assert_eq!(unfilled, by(MessageState::Unfilled), "{stats:?}");
    assert_eq!(
        count(MessageState::Filled),
        by(MessageState::Filled),
        "{stats:?}"
    );
    assert_eq!(stats.pending.len(), 1);
    assert_eq!(stats.pending[0].0, a);
    assert_eq!(stats.pending[0].1, unfilled + count(MessageState::Filled));

    // Lists by state and sender, with limits.
    let q = ListQuery {
        states: vec![MessageState::Unfilled],
        from: vec![a],
        limit: 2,
        offset: 1,
        ..Default::default()
    };
    let l = s.list(&q).await.expect("ok");
    assert_eq!(
        l.iter().map(|m| m.id.as_str()).collect::<Vec<_>>(),
        ["m3", "m4"]
    );

    // Address switches and fee rules.
    let fee = FeeSpec {
        max_fee: Some(TokenAmount::from_atto(5)),
        ..Default::default()
    };
    s.set_address_fee(&a, &fee, 7).await.expect("ok");
    s.set_address_state(&a, AddressState::Forbidden)
        .await
        .expect("ok");
    let info = s.address(&a).await.expect("ok").expect("ok");
    assert_eq!(
        (info.fee, info.sel_msg_num, info.state),
        (fee.clone(), 7, AddressState::Forbidden)
    );
    assert!(matches!(
        s.fill(&a, "i1", &[("m3".into(), msg(3))], 9).await,
        Err(MessagerError::Address(_))
    ));
    assert!(s
        .set_address_fee(
            &a,
            &FeeSpec {
                gas_over_premium: Some(-1.0),
                ..Default::default()
            },
            0
        )
        .await
        .is_err());
    assert_eq!(s.fee_rule("", None).await.expect("ok"), None);
    s.set_fee_rule("", None, &fee).await.expect("ok");
    s.set_fee_rule("bafkcode", Some(5), &FeeSpec::default())
        .await
        .expect("ok");
    s.set_fee_rule("", None, &FeeSpec::default())
        .await
        .expect("ok");
    assert_eq!(
        s.fee_rule("", None).await.expect("ok"),
        Some(FeeSpec::default())
    );
    assert_eq!(
        s.fee_rule("bafkcode", Some(5)).await.expect("ok"),
        Some(FeeSpec::default())
    );
    assert_eq!(s.fee_rule("bafkcode", None).await.expect("ok"), None);

    // A lapsed lease is taken over; release frees it.
    assert!(
        s.lease(&a, "i1", 1_000, 2_000).await.expect("ok"),
        "renewed"
    );
    assert!(
        !s.lease(&a, "i2", 1_500, i64::MAX).await.expect("ok"),
        "still held"
    );
    assert!(
        s.lease(&a, "i2", 3_000, i64::MAX).await.expect("ok"),
        "lapsed"
    );
    s.release(&a, "i1").await.expect("ok");
    assert_eq!(
        s.address(&a).await.expect("ok").expect("ok").owner,
        "i2",
        "not i1's to release"
    );
    s.release(&a, "i2").await.expect("ok");
    assert!(s.lease(&a, "i1", 0, 10).await.expect("ok"));

    // Newest change first: the same messages, another order.
    let all = s.list(&ListQuery::default()).await.expect("ok");
    let newest = s
        .list(&ListQuery {
            newest_first: true,
            ..Default::default()
        })
        .await
        .expect("ok");
    assert_eq!(all.len(), newest.len());
    assert!(newest
        .windows(2)
        .all(|w| w[0].updated_ms >= w[1].updated_ms));

    // Clearing an address's unfilled messages fails them, and only them.
    let cleared = s.fail_unfilled(&a, "cleared").await.expect("ok");
    assert_eq!(cleared, unfilled);
    let stats = s.stats().await.expect("ok");
    assert!(!stats
        .by_state
        .iter()
        .any(|(st, n)| *st == MessageState::Unfilled && *n > 0));

    // The push list: saved, changed, removed.
    let node = |url: &str| venus_messager_lib::store::NodeEntry {
        name: "backup".into(),
        url: url.into(),
        token: "t".into(),
    };
    s.save_node(&node("/ip4/127.0.0.1/tcp/1"))
        .await
        .expect("ok");
    s.save_node(&node("/ip4/127.0.0.1/tcp/2"))
        .await
        .expect("ok");
    assert_eq!(
        s.nodes().await.expect("ok"),
        vec![node("/ip4/127.0.0.1/tcp/2")]
    );
    assert!(s.delete_node("backup").await.expect("ok"));
    assert!(!s.delete_node("backup").await.expect("ok"));
    assert!(s.nodes().await.expect("ok").is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn message_store_conforms_on_each_backend() {
    venus_sql::harness::on_each_backend(&MIGRATIONS, |db| async move {
        suite(Arc::new(SqlMessageStore::new(db))).await
    })
    .await;
}

/// Concurrent fills of one address from two stores (two instances) on one
/// database: one holds the lease, the other is refused, and no nonce is
/// given twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_lease_holder_fills() {
    venus_sql::harness::on_each_backend(&MIGRATIONS, |db| async move {
        let (s1, s2) = (SqlMessageStore::new(db.clone()), SqlMessageStore::new(db));
        let a = from();
        s1.add_address(&a).await.expect("ok");
        for i in 0..40u64 {
            s1.insert(&MsgRecord::new(
                format!("c{i}"),
                msg(i),
                SendSpec::default(),
                "u",
            ))
            .await
            .expect("ok");
        }
        assert!(s1.lease(&a, "one", 0, i64::MAX).await.expect("ok"));
        let fill = |s: SqlMessageStore, who: &'static str, ids: Vec<u64>| async move {
            let mut got = Vec::new();
            for i in ids {
                match s.fill(&a, who, &[(format!("c{i}"), msg(i))], 1).await {
                    Ok(f) => got.extend(f.into_iter().filter_map(|m| m.nonce)),
                    Err(MessagerError::NotOwner(_)) => {}
                    Err(e) => panic!("{who}: {e}"),
                }
            }
            got
        };
        let (x, y) = tokio::join!(
            fill(s1.clone(), "one", (0..40).step_by(2).collect()),
            fill(s2.clone(), "two", (1..40).step_by(2).collect())
        );
        assert_eq!(x, (0..20).collect::<Vec<_>>());
        assert!(y.is_empty(), "the other instance gave nonces {y:?}");
    })
    .await;
}
