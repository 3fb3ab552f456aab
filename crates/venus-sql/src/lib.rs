//! # venus-sql
//!
//! The one place venus-rs talks to SQL: SQLite by default (a file per
//! service) and MySQL/MariaDB for the services a pool shares, behind one
//! `sqlx` `Any` pool, so a store is written once.
//!
//! - [`SqlBackend`]: the engine a URL names, known even when compiled out,
//!   so a `mysql://` URL in a build without MySQL is a clear error.
//! - [`connect`]: pool options per engine (SQLite in WAL mode with the
//!   caller's [`Durability`], one connection for `:memory:`) and the
//!   caller's [`Migrations`] run at start.
//! - [`SqlError`]: unique-key violations are [`SqlError::Duplicate`].
//! - [`row`]: columns read alike on both engines.
//! - [`mysql_database`]: a service's own database on a shared MySQL server.
//! - [`GroupCommit`]: concurrent writers that need their row durable before
//!   they answer share one commit.
//! - `harness` (feature): one conformance suite on SQLite and MySQL.
//!
//! ```
//! # async fn run() -> Result<(), venus_sql::SqlError> {
//! use venus_sql::{connect, Migrations, Statement, GroupCommit};
//!
//! let db = connect("sqlite::memory:", &Migrations::new()).await?;
//! sqlx::query("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)")
//!     .execute(db.pool())
//!     .await?;
//! let writer = GroupCommit::new(db.clone(), 256);
//! writer.execute(Statement::new("INSERT INTO t (v) VALUES (?)").bind("one")).await?;
//! // Committed: another connection sees it.
//! let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM t").fetch_one(db.pool()).await?;
//! assert_eq!(n, 1);
//! # Ok(()) }
//! # tokio::runtime::Runtime::new().unwrap().block_on(run()).unwrap();
//! ```

mod backend;
mod connect;
mod error;
mod group;
#[cfg(feature = "harness")]
pub mod harness;
pub mod row;
mod server;

pub use backend::{redact_url, sqlite_url, SqlBackend};
pub use connect::{connect, connect_with, ConnectOptions, Db, Durability, Migrations};
pub use error::{Result, SqlError};
pub use group::{query_with, GroupCommit, Statement, Value, WRITER_THREAD};
pub use server::{
    database_name, drop_mysql_database, existing_mysql_database, mysql_database, with_database,
};
/// The `sqlx` this crate is built on, for stores' queries and `migrate!`.
pub use sqlx;

/// Now, in Unix milliseconds: the timestamps and lease deadlines stores
/// keep in their rows (0 if the clock is before 1970, saturating far ahead).
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}
