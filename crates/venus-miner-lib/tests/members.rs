//! Member switches: one suite in memory, on SQLite and on MySQL; a switch
//! survives reopening the database (a restart).

#![allow(missing_docs)]

use std::sync::Arc;

use venus_core::Address;
use venus_miner_lib::members::{MemberStore, MemoryMemberStore, SqlMemberStore, SwitchedMembers};
use venus_miner_lib::{Members, MIGRATIONS};

fn m(id: u64) -> Address {
    Address::new_id(id)
}

async fn suite(store: Arc<dyn MemberStore>) {
    let members = SwitchedMembers::new(Arc::new(vec![m(1000), m(1001), m(1002)]), store.clone());
    // Never switched: on.
    assert_eq!(
        members.miners().await.expect("miners"),
        vec![m(1000), m(1001), m(1002)]
    );
    store.set_enabled(&m(1001), false).await.expect("off");
    assert_eq!(
        members.miners().await.expect("miners"),
        vec![m(1000), m(1002)]
    );
    // Switched twice: the last one holds; a switch of a non-member is kept
    // but adds no member.
    store.set_enabled(&m(1001), true).await.expect("on");
    store.set_enabled(&m(1002), false).await.expect("off");
    store.set_enabled(&m(4242), true).await.expect("on");
    assert_eq!(
        members.miners().await.expect("miners"),
        vec![m(1000), m(1001)]
    );
    assert_eq!(
        store.switches().await.expect("switches"),
        vec![(m(1001), true), (m(1002), false), (m(4242), true)]
    );
}

#[tokio::test]
async fn memory_switches_conform() {
    suite(Arc::new(MemoryMemberStore::new())).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sql_switches_conform_on_each_backend() {
    venus_sql::harness::on_each_backend(&MIGRATIONS, |db| async move {
        suite(Arc::new(SqlMemberStore::new(db))).await
    })
    .await;
}

/// A miner switched off stays off when the miner starts again on the same
/// database.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_switch_survives_a_restart() {
    for backend in [venus_sql::SqlBackend::Sqlite, venus_sql::SqlBackend::MySql] {
        let Some(t) = venus_sql::harness::fresh(backend, &MIGRATIONS).await else {
            continue;
        };
        SqlMemberStore::new(t.db.clone())
            .set_enabled(&m(1000), false)
            .await
            .expect("off");
        t.db.close().await;
        let again = venus_sql::connect(&t.url, &MIGRATIONS)
            .await
            .expect("reopen");
        let members = SwitchedMembers::new(
            Arc::new(vec![m(1000), m(1001)]),
            Arc::new(SqlMemberStore::new(again)),
        );
        assert_eq!(
            members.miners().await.expect("miners"),
            vec![m(1001)],
            "{backend:?}"
        );
    }
}
