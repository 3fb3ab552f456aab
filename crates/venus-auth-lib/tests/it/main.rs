//! venus-auth-lib integration tests.

#![allow(missing_docs)] // test fixtures

mod conformance;
mod hostile;
mod refusals;
mod service;

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
/// `$VENUS_TEST_MYSQL_URL` (`None` when that is unset: the harness says it
/// skipped). The guard drops the database.
pub async fn sqlite() -> (venus_auth_lib::SqlStore, venus_sql::harness::TestDb) {
    let t = venus_sql::harness::sqlite(&venus_auth_lib::MIGRATIONS).await;
    (venus_auth_lib::SqlStore::on(t.db.clone()), t)
}

pub async fn mysql() -> Option<(venus_auth_lib::SqlStore, venus_sql::harness::TestDb)> {
    let t = venus_sql::harness::mysql(&venus_auth_lib::MIGRATIONS).await?;
    Some((venus_auth_lib::SqlStore::on(t.db.clone()), t))
}
