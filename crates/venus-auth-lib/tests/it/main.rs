//! venus-auth-lib integration tests.

#![allow(missing_docs)] // test fixtures

mod conformance;
mod hostile;
mod service;

use rand::RngCore;
use venus_rpc::{ClientConfig, Endpoint, RpcClient};

/// A client of `url`, with a token or without.
pub async fn client(url: &str, token: Option<&str>) -> RpcClient {
    RpcClient::connect_with(
        Endpoint::new(url, token.map(String::from)),
        ClientConfig::default(),
    )
    .await
    .expect("client")
}

/// A fresh store: SQLite in a temp file, or a new MySQL database from
/// `$VENUS_TEST_MYSQL_URL` (`None` when that is unset: the caller says it skipped).
pub async fn sqlite() -> (venus_auth_lib::SqlStore, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("auth.db").display());
    (
        venus_auth_lib::SqlStore::connect(&url)
            .await
            .expect("sqlite store"),
        dir,
    )
}

/// Drops the test's MySQL database when the test ends.
pub struct DropDb {
    base: String,
    db: String,
}

impl Drop for DropDb {
    fn drop(&mut self) {
        let (base, db) = (self.base.clone(), self.db.clone());
        // A runtime of its own: the test's runtime is shutting down.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async {
                if let Ok(pool) = sqlx::AnyPool::connect(&base).await {
                    let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {db}"))
                        .execute(&pool)
                        .await;
                }
            });
        })
        .join();
    }
}

pub async fn mysql() -> Option<(venus_auth_lib::SqlStore, DropDb)> {
    let Ok(base) = std::env::var("VENUS_TEST_MYSQL_URL") else {
        eprintln!("SKIPPED: VENUS_TEST_MYSQL_URL is not set; the MySQL backend was not tested");
        return None;
    };
    // A database of its own per test, so tests run in parallel and start empty.
    let mut id = [0u8; 6];
    rand::rngs::OsRng.fill_bytes(&mut id);
    let db = format!("venus_auth_test_{}", hex::encode(id));
    sqlx::any::install_default_drivers();
    let admin = sqlx::AnyPool::connect(&base)
        .await
        .expect("MySQL at VENUS_TEST_MYSQL_URL");
    sqlx::query(&format!(
        "CREATE DATABASE {db} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"
    ))
    .execute(&admin)
    .await
    .expect("create database");
    admin.close().await;
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let host_end = base[scheme_end..]
        .find('/')
        .map(|i| i + scheme_end)
        .unwrap_or(base.len());
    let url = format!("{}/{db}", &base[..host_end]);
    let store = venus_auth_lib::SqlStore::connect(&url)
        .await
        .expect("mysql store");
    Some((store, DropDb { base, db }))
}
