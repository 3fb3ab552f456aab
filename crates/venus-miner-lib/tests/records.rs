//! One MiningRecords suite, run in memory, on SQLite and on MySQL.

#![allow(missing_docs)]

use std::sync::Arc;
use std::time::Duration;

use venus_core::Address;
use venus_miner_lib::records::{
    MemoryRecords, MiningRecords, Outcome, Record, RecordQuery, SqlRecords, Stage,
};
use venus_miner_lib::MIGRATIONS;

fn rec(miner: u64, epoch: i64, instance: &str, outcome: Outcome, at_ms: i64) -> Record {
    Record {
        miner: Address::new_id(miner),
        epoch,
        instance: instance.into(),
        outcome,
        reason: String::new(),
        stages: vec![
            (Stage::BaseInfo, Duration::from_micros(1_500)),
            (Stage::Ticket, Duration::from_micros(700)),
        ],
        at_ms,
    }
}

async fn suite(r: Arc<dyn MiningRecords>) {
    for e in 1..=5 {
        r.record(&rec(1000, e, "a", Outcome::NotWinner, e * 1000))
            .await
            .expect("record");
    }
    r.record(&rec(1001, 3, "a", Outcome::Mined, 3000))
        .await
        .expect("record");
    // A second instance's view of the same round is its own row.
    r.record(&rec(1000, 3, "b", Outcome::Timeout, 3000))
        .await
        .expect("record");
    // A round recorded again replaces the first record.
    let mut err = rec(1000, 4, "a", Outcome::Error, 4500);
    err.reason = "prover: sector 7 is missing; 'quoted' \"text\"".into();
    err.stages.push((Stage::Proof, Duration::from_secs(2)));
    r.record(&err).await.expect("replace");

    let q = |from, limit| RecordQuery {
        miner: Address::new_id(1000),
        from,
        limit,
    };
    let got = r.query(&q(3, 10)).await.expect("query");
    let keys: Vec<(i64, &str, Outcome)> = got
        .iter()
        .map(|x| (x.epoch, x.instance.as_str(), x.outcome))
        .collect();
    assert_eq!(
        keys,
        vec![
            (3, "a", Outcome::NotWinner),
            (3, "b", Outcome::Timeout),
            (4, "a", Outcome::Error),
            (5, "a", Outcome::NotWinner),
        ]
    );
    assert_eq!(got[2], err, "stored exactly");
    assert_eq!(r.query(&q(1, 2)).await.expect("limit").len(), 2);
    // Epochs, not rows: epoch 3 has two instances' records.
    assert_eq!(r.query(&q(3, 1)).await.expect("one epoch").len(), 2);
    assert_eq!(r.query(&q(1, 0)).await.expect("at least one").len(), 1);
    assert!(r.query(&q(6, 10)).await.expect("none").is_empty());

    // Retention: records made before a time go.
    assert_eq!(r.prune(3000).await.expect("prune"), 2);
    let left = r.query(&q(0, 100)).await.expect("left");
    assert_eq!(left.first().map(|x| x.epoch), Some(3));
    assert_eq!(
        r.query(&RecordQuery {
            miner: Address::new_id(1001),
            from: 0,
            limit: 10
        })
        .await
        .expect("other miner")
        .len(),
        1
    );
}

#[tokio::test]
async fn memory_records_conform() {
    suite(Arc::new(MemoryRecords::new())).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sql_records_conform_on_each_backend() {
    venus_sql::harness::on_each_backend(&MIGRATIONS, |db| async move {
        suite(Arc::new(SqlRecords::new(db))).await
    })
    .await;
}
