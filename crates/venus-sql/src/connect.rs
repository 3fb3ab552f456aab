//! [`connect`]: one pool for either engine, set up for the caller's
//! durability, with the caller's migrations run at start.

use std::sync::Arc;
use std::time::Duration;

use sqlx::any::AnyPoolOptions;
use sqlx::migrate::Migrator;
use sqlx::AnyPool;

use crate::backend::{redact_url, SqlBackend};
use crate::{Result, SqlError};

/// A store's migrations, one set per engine (`sqlx::migrate!` of each
/// directory, in the crate that owns them).
///
/// ```ignore
/// static MIGRATIONS: Migrations = Migrations::new()
///     .sqlite(&sqlx::migrate!("./migrations/sqlite"))
///     .mysql(&sqlx::migrate!("./migrations/mysql"));
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct Migrations {
    sqlite: Option<&'static Migrator>,
    mysql: Option<&'static Migrator>,
}

impl Migrations {
    /// No migrations yet.
    pub const fn new() -> Self {
        Migrations {
            sqlite: None,
            mysql: None,
        }
    }

    /// The migrations for SQLite.
    pub const fn sqlite(mut self, m: &'static Migrator) -> Self {
        self.sqlite = Some(m);
        self
    }

    /// The migrations for MySQL.
    pub const fn mysql(mut self, m: &'static Migrator) -> Self {
        self.mysql = Some(m);
        self
    }

    fn for_backend(&self, b: SqlBackend) -> Option<&'static Migrator> {
        match b {
            SqlBackend::Sqlite => self.sqlite,
            SqlBackend::MySql => self.mysql,
        }
    }
}

/// What a committed transaction survives on SQLite.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Durability {
    /// `synchronous=FULL`: every commit is on disk before it returns; it
    /// survives a power loss. For what a service acknowledges (keys, sign
    /// records, nonces).
    #[default]
    Full,
    /// `synchronous=NORMAL` (in WAL mode): a commit survives the process
    /// dying, but the last ones may be lost on a power loss. For caches.
    Normal,
}

/// How to connect. Build with [`ConnectOptions::new`] and the setters.
#[derive(Debug, Clone)]
pub struct ConnectOptions {
    durability: Durability,
    max_connections: Option<u32>,
    busy_timeout: Duration,
    acquire_timeout: Duration,
}

impl Default for ConnectOptions {
    fn default() -> Self {
        ConnectOptions {
            durability: Durability::Full,
            max_connections: None,
            busy_timeout: Duration::from_secs(10),
            acquire_timeout: Duration::from_secs(30),
        }
    }
}

impl ConnectOptions {
    /// Full durability, 8 connections (one for `:memory:`), a 10 s busy timeout.
    pub fn new() -> Self {
        Self::default()
    }

    /// What a commit survives (SQLite; MySQL follows its server's settings).
    pub fn durability(mut self, d: Durability) -> Self {
        self.durability = d;
        self
    }

    /// The most connections in the pool (8 by default; always one for an
    /// in-memory SQLite database, which exists per connection).
    pub fn max_connections(mut self, n: u32) -> Self {
        self.max_connections = Some(n.max(1));
        self
    }

    /// How long a SQLite statement waits for another writer's lock.
    pub fn busy_timeout(mut self, t: Duration) -> Self {
        self.busy_timeout = t;
        self
    }

    /// How long taking a connection from the pool may wait.
    pub fn acquire_timeout(mut self, t: Duration) -> Self {
        self.acquire_timeout = t;
        self
    }
}

/// A connected, migrated database. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Db {
    pool: AnyPool,
    backend: SqlBackend,
    /// How to open a connection of one's own outside the pool; `None` for
    /// an in-memory database, which exists only on the pool's connection.
    pub(crate) own: Option<Arc<OwnConnection>>,
}

/// The URL and the statements every connection runs first.
pub(crate) struct OwnConnection {
    url: String,
    setup: Option<Arc<str>>,
}

impl std::fmt::Debug for OwnConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The URL may hold a password.
        f.debug_struct("OwnConnection")
            .field("url", &redact_url(&self.url))
            .finish_non_exhaustive()
    }
}

impl Db {
    /// The pool, for queries (`?` placeholders work on both engines).
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// The engine.
    pub fn backend(&self) -> SqlBackend {
        self.backend
    }

    /// A transaction that will write: see [`SqlBackend::begin_write`].
    pub async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>> {
        Ok(self.pool.begin_with(self.backend.begin_write()).await?)
    }

    /// A connection of its own, outside the pool, set up as the pool's are;
    /// `None` for an in-memory database (a second connection would be
    /// another, empty database). For a long-lived writer on a thread of its
    /// own ([`GroupCommit`](crate::GroupCommit)): it skips the pool's
    /// acquire and release (sqlx pings every connection handed back), and
    /// its socket belongs to the runtime that opens it.
    pub async fn own_connection(&self) -> Option<Result<sqlx::AnyConnection>> {
        let own = self.own.as_ref()?;
        Some(
            async {
                use sqlx::{Connection, Executor};
                let mut conn = sqlx::AnyConnection::connect(&own.url)
                    .await
                    .map_err(|e| connect_error(&own.url, e))?;
                if let Some(setup) = &own.setup {
                    conn.execute(&**setup).await?;
                }
                Ok::<_, SqlError>(conn)
            }
            .await,
        )
    }

    /// Closes the pool's connections (waiting for those in use). A
    /// [`GroupCommit`](crate::GroupCommit)'s own connection closes when its
    /// last clone is dropped.
    pub async fn close(&self) {
        self.pool.close().await
    }
}

/// Whether a SQLite URL names an in-memory database (`sqlite::memory:`,
/// `sqlite://:memory:`, or `mode=memory`), not a file whose path happens to
/// hold `:memory:`.
fn is_memory(url: &str) -> bool {
    let rest = url
        .trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:");
    let (db, params) = rest.split_once('?').unwrap_or((rest, ""));
    db == ":memory:" || params.split('&').any(|p| p == "mode=memory")
}

/// [`connect_with`] and the default [`ConnectOptions`].
pub async fn connect(url: &str, migrations: &Migrations) -> Result<Db> {
    connect_with(url, migrations, &ConnectOptions::default()).await
}

/// Connects to `url` and runs the engine's migrations.
///
/// SQLite: a file database runs in WAL mode (readers never block the
/// writer) with `synchronous` as [`Durability`] asks, foreign keys on, and
/// a busy timeout; an in-memory one (`sqlite::memory:`) gets one
/// connection, as each connection would be a database of its own.
pub async fn connect_with(url: &str, migrations: &Migrations, opts: &ConnectOptions) -> Result<Db> {
    let backend = SqlBackend::from_url(url)?;
    backend.ensure_compiled()?;
    sqlx::any::install_default_drivers();
    let memory = backend == SqlBackend::Sqlite && is_memory(url);
    let max = if memory {
        1
    } else {
        opts.max_connections.unwrap_or(8)
    };
    let mut pool = AnyPoolOptions::new()
        .max_connections(max)
        .acquire_timeout(opts.acquire_timeout);
    if memory {
        // The database lives as long as its connection.
        pool = pool
            .idle_timeout(None)
            .max_lifetime(None)
            .min_connections(1);
    }
    let mut setup = None;
    if backend == SqlBackend::Sqlite {
        let synchronous = match opts.durability {
            Durability::Full => "FULL",
            Durability::Normal => "NORMAL",
        };
        let journal = if memory { "MEMORY" } else { "WAL" };
        let pragmas = format!(
            "PRAGMA journal_mode = {journal}; PRAGMA synchronous = {synchronous}; \
             PRAGMA foreign_keys = ON; PRAGMA busy_timeout = {}",
            opts.busy_timeout.as_millis()
        );
        let pragmas: Arc<str> = pragmas.into();
        setup = Some(pragmas.clone());
        pool = pool.after_connect(move |conn, _| {
            let pragmas = pragmas.clone();
            Box::pin(async move {
                use sqlx::Executor;
                conn.execute(&*pragmas).await?;
                Ok(())
            })
        });
    }
    let pool = pool.connect(url).await.map_err(|e| connect_error(url, e))?;
    if let Some(m) = migrations.for_backend(backend) {
        m.run(&pool).await?;
    }
    tracing::debug!(target: "venus::sql", backend = backend.name(), url = %redact_url(url), "database ready");
    let own = (!memory).then(|| {
        Arc::new(OwnConnection {
            url: url.to_string(),
            setup,
        })
    });
    Ok(Db { pool, backend, own })
}

fn connect_error(url: &str, e: sqlx::Error) -> SqlError {
    match SqlError::from(e) {
        SqlError::Database(m) => {
            SqlError::Database(format!("connecting to {}: {m}", redact_url(url)))
        }
        other => other,
    }
}
