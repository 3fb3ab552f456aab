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

/// The members follow venus-auth's `open_mining` miners; after the first
/// read no round waits for venus-auth: a re-read runs in the background,
/// and when venus-auth is gone the last list stays.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn members_follow_venus_auth_without_waiting_for_it() {
    use std::time::{Duration, Instant};
    use venus_api::auth::AuthClient;
    use venus_auth_lib::{
        rpc::auth_server, AuthService, CacheConfig, Miner, RegistryStore, SqlStore,
    };
    use venus_miner_lib::members::AuthMembers;
    use venus_rpc::{LocalRateLimiter, Permission, RpcClient, ServerConfig};

    let store = Arc::new(SqlStore::connect("sqlite::memory:").await.expect("store"));
    let auth = Arc::new(AuthService::new(
        store.clone(),
        b"the pool's auth secret",
        CacheConfig::default(),
    ));
    let server = auth_server(
        auth.clone(),
        Arc::new(LocalRateLimiter::new()),
        ServerConfig::daemon(),
    )
    .start("127.0.0.1:0".parse().expect("addr"))
    .await
    .expect("venus-auth");
    auth.create_user("alice", "").await.expect("user");
    let token = auth
        .create_token("alice", Permission::Admin)
        .await
        .expect("token");
    let put = |id: u64, open: bool| Miner {
        address: m(id).to_string(),
        user: "alice".into(),
        open_mining: open,
    };
    store.put_miner(&put(1000, true)).await.expect("miner");
    store.put_miner(&put(1001, false)).await.expect("miner");
    let endpoint = venus_rpc::Endpoint::new(server.http_url(), Some(token));
    let rpc = RpcClient::connect_with(endpoint, Default::default())
        .await
        .expect("client");
    let members = AuthMembers::new(AuthClient::new(rpc), Duration::from_millis(200));

    assert_eq!(members.miners().await.expect("first read"), vec![m(1000)]);
    let owners = members.owners().await.expect("owners");
    assert_eq!(owners.get(&m(1000)).map(String::as_str), Some("alice"));

    // Opened in venus-auth: seen once a background re-read came back.
    store.put_miner(&put(1001, true)).await.expect("open");
    let start = Instant::now();
    loop {
        let list = members.miners().await.expect("read");
        if list == vec![m(1000), m(1001)] {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "never saw 1001: {list:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // venus-auth is gone: every read answers at once with the last list.
    server.stop().await;
    for _ in 0..5 {
        tokio::time::sleep(Duration::from_millis(150)).await;
        let t = Instant::now();
        assert_eq!(
            members.miners().await.expect("kept"),
            vec![m(1000), m(1001)]
        );
        assert!(
            t.elapsed() < Duration::from_millis(100),
            "a read waited {:?}",
            t.elapsed()
        );
    }
}
