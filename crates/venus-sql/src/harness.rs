//! The conformance harness: one suite against SQLite in a temporary file
//! and against MySQL from `VENUS_TEST_MYSQL_URL`, each run in a database of
//! its own that is dropped afterwards. Without that variable the MySQL run
//! says plainly that it was skipped.
//!
//! ```ignore
//! #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
//! async fn store_conformance() {
//!     venus_sql::harness::on_each_backend(&MIGRATIONS, |db| async move {
//!         my_suite(Arc::new(MyStore::new(db))).await
//!     })
//!     .await;
//! }
//! ```

use std::future::Future;

use rand::RngCore;

use crate::{connect, Db, Migrations, SqlBackend};

/// The environment variable naming the MySQL server tests use.
pub const MYSQL_URL_VAR: &str = "VENUS_TEST_MYSQL_URL";

/// A test database; dropping it removes its file or MySQL database.
#[derive(Debug)]
pub struct TestDb {
    /// The connected, migrated database.
    pub db: Db,
    /// The URL it was opened with (a second process can open it too).
    pub url: String,
    cleanup: Cleanup,
}

#[derive(Debug)]
enum Cleanup {
    /// Nothing to remove (a guard whose database a `TestDb` took over).
    None,
    Dir(#[allow(dead_code)] tempfile::TempDir),
    MySql {
        admin_url: String,
        name: String,
    },
}

/// Drops a MySQL test database before a [`TestDb`] owns it.
struct DropGuard(Cleanup);

impl Drop for DropGuard {
    fn drop(&mut self) {
        drop_database(&self.0);
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        drop_database(&self.cleanup);
    }
}

fn drop_database(cleanup: &Cleanup) {
    let Cleanup::MySql { admin_url, name } = cleanup else {
        return;
    };
    let (admin_url, name) = (admin_url.clone(), name.clone());
    // A runtime of its own: the test's may be shutting down.
    let _ = std::thread::spawn(move || {
        let Ok(rt) = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        else {
            return;
        };
        rt.block_on(async {
            let _ = crate::drop_mysql_database(&admin_url, &name).await;
        });
    })
    .join();
}

/// A fresh SQLite database in a temporary file.
///
/// # Panics
/// When the file cannot be created or migrated: this is test code.
pub async fn sqlite(migrations: &Migrations) -> TestDb {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("test.db").display());
    let db = connect(&url, migrations)
        .await
        .expect("SQLite test database");
    TestDb {
        db,
        url,
        cleanup: Cleanup::Dir(dir),
    }
}

/// A fresh MySQL database on the server at `VENUS_TEST_MYSQL_URL`, or
/// `None` (after saying so on stderr) when the variable is unset.
///
/// # Panics
/// When the variable is set but the server cannot be used: a configured
/// server that fails is a failed test, not a skipped one.
pub async fn mysql(migrations: &Migrations) -> Option<TestDb> {
    let Ok(base) = std::env::var(MYSQL_URL_VAR) else {
        eprintln!("SKIPPED: {MYSQL_URL_VAR} is not set; the MySQL backend was not tested");
        return None;
    };
    let mut id = [0u8; 6];
    rand::rngs::OsRng.fill_bytes(&mut id);
    let name = format!("venus_test_{}", hex::encode(id));
    sqlx::any::install_default_drivers();
    let admin = sqlx::AnyPool::connect(&base)
        .await
        .unwrap_or_else(|e| panic!("MySQL at {MYSQL_URL_VAR}: {e}"));
    sqlx::query(&format!(
        "CREATE DATABASE {name} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"
    ))
    .execute(&admin)
    .await
    .expect("create the test database");
    admin.close().await;
    // The base URL's query (e.g. ?ssl-mode=…) applies to the test database too.
    let url = crate::with_database(&base, &name).unwrap_or_else(|e| panic!("{MYSQL_URL_VAR}: {e}"));
    // The guard exists before anything can fail, so the database is dropped
    // even when connecting or migrating panics.
    let mut guard = DropGuard(Cleanup::MySql {
        admin_url: base.clone(),
        name,
    });
    let db = connect(&url, migrations)
        .await
        .expect("MySQL test database");
    let cleanup = std::mem::replace(&mut guard.0, Cleanup::None);
    Some(TestDb { db, url, cleanup })
}

/// A fresh database of `backend`, or `None` when MySQL is not configured.
pub async fn fresh(backend: SqlBackend, migrations: &Migrations) -> Option<TestDb> {
    match backend {
        SqlBackend::Sqlite => Some(sqlite(migrations).await),
        SqlBackend::MySql => mysql(migrations).await,
    }
}

/// Runs `suite` on a fresh SQLite database, then on a fresh MySQL one
/// (skipped, and said so, without `VENUS_TEST_MYSQL_URL`). Returns the
/// engines it ran on.
pub async fn on_each_backend<F, Fut>(migrations: &Migrations, suite: F) -> Vec<SqlBackend>
where
    F: Fn(Db) -> Fut,
    Fut: Future<Output = ()>,
{
    let mut ran = Vec::new();
    for backend in [SqlBackend::Sqlite, SqlBackend::MySql] {
        let Some(t) = fresh(backend, migrations).await else {
            continue;
        };
        eprintln!("conformance: running on {}", backend.name());
        suite(t.db.clone()).await;
        t.db.close().await;
        ran.push(backend);
    }
    ran
}
