//! [`GroupCommit`]: concurrent writers that each need their row durable
//! before they answer share one transaction, so one commit (and one fsync)
//! serves them all.
//!
//! One writer task takes the statements queued while the previous commit
//! was on its way to disk, runs them in one transaction, commits, and only
//! then answers each caller. A caller that has its answer knows its row is
//! committed; under load, the cost of a commit is shared by every caller
//! that queued behind it. A statement that fails does not fail the others:
//! the batch is rolled back and each statement retried on its own. A
//! commit that fails fails the whole batch, unretried: its outcome may be
//! unknown, and a retry could write a row twice.
//!
//! A writer may also *linger* ([`GroupCommit::with_linger`]): while writers
//! keep arriving together, it waits a moment before each commit so that
//! more of them share it, trading that moment of latency for fewer commits.

use std::borrow::Cow;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, oneshot};

use crate::{Db, Result, SqlError};

/// A value bound to a `?` placeholder.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// SQL NULL.
    Null,
    /// An integer.
    Int(i64),
    /// Text.
    Text(String),
    /// Bytes.
    Bytes(Vec<u8>),
}

impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Int(v)
    }
}

impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Value::Int(v as i64)
    }
}

impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::Text(v)
    }
}

impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::Text(v.to_string())
    }
}

impl From<Vec<u8>> for Value {
    fn from(v: Vec<u8>) -> Self {
        Value::Bytes(v)
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self {
        v.map_or(Value::Null, Into::into)
    }
}

/// One statement with its arguments, to run in a group commit.
///
/// Cloning one without arguments is cheap (its SQL is shared), so a
/// writer can build its statement once and clone it for every row.
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    sql: Arc<str>,
    args: Vec<Value>,
    /// For [`Statement::insert`]: the length of the SQL up to and with
    /// `VALUES ` (the rest is one row's placeholders), and the number of
    /// columns, so rows of one table in a batch become one statement.
    rows: Option<(usize, usize)>,
}

impl Statement {
    /// A statement with `?` placeholders.
    pub fn new(sql: impl Into<Arc<str>>) -> Self {
        Statement {
            sql: sql.into(),
            args: Vec::new(),
            rows: None,
        }
    }

    /// `INSERT INTO table (cols…) VALUES (?, …)`: bind one value per
    /// column. Inserts into the same table and columns that share a batch
    /// are written as one multi-row `INSERT` (one round trip to the
    /// database instead of one per row); if it fails, each row is retried
    /// alone, so a bad row still fails only its own caller.
    pub fn insert(table: &str, cols: &[&str]) -> Self {
        let head = format!("INSERT INTO {table} ({}) VALUES ", cols.join(", "));
        let row = format!("({})", vec!["?"; cols.len()].join(", "));
        Statement {
            sql: Arc::from(format!("{head}{row}")),
            args: Vec::with_capacity(cols.len()),
            rows: Some((head.len(), cols.len())),
        }
    }

    /// Binds the next placeholder.
    pub fn bind(mut self, v: impl Into<Value>) -> Self {
        self.args.push(v.into());
        self
    }

    /// The SQL up to `VALUES ` and the column count, if this is a
    /// well-formed [`Statement::insert`] (one value per column).
    fn shape(&self) -> Option<(&str, usize)> {
        let (head, n) = self.rows?;
        (self.args.len() == n).then(|| (&self.sql[..head], n))
    }
}

/// `sql` with `args` bound to its `?` placeholders in order: a query for
/// either engine, for stores that build their SQL and arguments at run time.
pub fn query_with<'q>(
    sql: &'q str,
    args: impl IntoIterator<Item = &'q Value>,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    let mut q = sqlx::query(sql);
    for a in args {
        q = match a {
            Value::Null => q.bind(Option::<i64>::None),
            Value::Int(v) => q.bind(*v),
            Value::Text(v) => q.bind(v.as_str()),
            Value::Bytes(v) => q.bind(v.as_slice()),
        };
    }
    q
}

type Job = (Statement, oneshot::Sender<Result<()>>);

/// The name of a group-commit writer's thread (on a database file or a
/// server), as `top -H` and profilers show it: Linux cuts thread names to
/// their first 15 bytes, `venus-sql-commi`.
pub const WRITER_THREAD: &str = "venus-sql-commit";

/// The group-commit writer of one database. Cheap to clone. The writer
/// stops when the last clone is dropped; if it ever dies, the next call
/// starts a new one.
///
/// On a database file or a server, the writer runs on a thread of its own
/// with a connection of its own ([`Db::own_connection`]): the callers it
/// answers are often the ones keeping the runtime's workers busy (64
/// signers on 2 cores), and a writer among their tasks waited behind them
/// at every step of every commit. On an in-memory SQLite database (one
/// connection, the pool's) it is a task on the caller's runtime.
#[derive(Debug, Clone)]
pub struct GroupCommit {
    db: Db,
    max_batch: usize,
    linger: Duration,
    jobs: Arc<std::sync::Mutex<mpsc::Sender<Job>>>,
}

fn spawn_writer(db: &Db, max_batch: usize, linger: Duration) -> mpsc::Sender<Job> {
    let (tx, rx) = mpsc::channel(max_batch * 4);
    let in_memory = db.own.is_none();
    if in_memory {
        // A task among the callers' must not block its thread: no linger.
        tokio::spawn(writer(db.clone(), rx, max_batch, Duration::ZERO));
        return tx;
    }
    let db = db.clone();
    let thread = std::thread::Builder::new()
        .name(WRITER_THREAD.into())
        .spawn(move || {
            match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(rt) => rt.block_on(writer(db, rx, max_batch, linger)),
                Err(e) => {
                    tracing::error!(target: "venus::sql", error = %e, "no runtime for the group-commit writer")
                }
            }
        });
    if let Err(e) = thread {
        // The receiver went with the closure: the next call sees the
        // channel closed and tries again.
        tracing::error!(target: "venus::sql", error = %e, "could not start the group-commit writer's thread");
    }
    tx
}

impl GroupCommit {
    /// Starts the writer; a transaction holds at most `max_batch`
    /// statements. Needs a Tokio runtime for an in-memory database.
    pub fn new(db: Db, max_batch: usize) -> Self {
        Self::with_linger(db, max_batch, Duration::ZERO)
    }

    /// [`GroupCommit::new`] with a writer that lingers: when the last
    /// commit served more than one statement (writers are arriving
    /// together), it waits `linger` after the next statement arrives
    /// before it commits, so the others arriving meanwhile share that
    /// commit (as PostgreSQL's `commit_delay` with `commit_siblings`).
    /// Under load each statement waits at most `linger` longer, and a batch
    /// serves many more of them; a lone writer waits once, right after a
    /// burst, and not again. On an in-memory database (tests) the writer
    /// does not linger.
    pub fn with_linger(db: Db, max_batch: usize, linger: Duration) -> Self {
        let max_batch = max_batch.max(1);
        GroupCommit {
            jobs: Arc::new(std::sync::Mutex::new(spawn_writer(&db, max_batch, linger))),
            db,
            max_batch,
            linger,
        }
    }

    fn sender(&self) -> mpsc::Sender<Job> {
        let mut jobs = self.jobs.lock().unwrap_or_else(|p| p.into_inner());
        if jobs.is_closed() {
            tracing::error!(target: "venus::sql", "the group-commit writer died; starting a new one");
            *jobs = spawn_writer(&self.db, self.max_batch, self.linger);
        }
        jobs.clone()
    }

    /// Runs `stmt` and returns once it is committed.
    pub async fn execute(&self, stmt: Statement) -> Result<()> {
        let (tx, rx) = oneshot::channel();
        self.sender()
            .send((stmt, tx))
            .await
            .map_err(|_| SqlError::WriterGone)?;
        rx.await.map_err(|_| SqlError::WriterGone)?
    }
}

/// The writer's connection: its own, kept across batches (opened again
/// after one fails), or the pool's for an in-memory database.
struct Conn {
    db: Db,
    own: Option<sqlx::AnyConnection>,
    /// When the own connection last ran a statement.
    last_used: Instant,
}

/// A connection idle this long is pinged before use: a server may have
/// closed it (MySQL's `wait_timeout`, a restart), and a batch sent on a
/// dead connection would fail every caller in it.
const PING_AFTER_IDLE: Duration = Duration::from_secs(30);

impl Conn {
    async fn get(&mut self) -> Result<ConnRef<'_>> {
        if self.db.own.is_none() {
            return Ok(ConnRef::Pool(self.db.pool().acquire().await?));
        }
        if self.last_used.elapsed() > PING_AFTER_IDLE {
            if let Some(c) = self.own.as_mut() {
                use sqlx::Connection;
                if let Err(e) = c.ping().await {
                    tracing::info!(target: "venus::sql", error = %e, "the group-commit connection is gone; opening another");
                    self.own = None;
                }
            }
        }
        self.last_used = Instant::now();
        if self.own.is_none() {
            match self.db.own_connection().await {
                Some(Ok(c)) => self.own = Some(c),
                Some(Err(e)) => return Err(e),
                None => return Err(SqlError::WriterGone),
            }
        }
        match self.own.as_mut() {
            Some(c) => Ok(ConnRef::Own(c)),
            None => Err(SqlError::WriterGone),
        }
    }
}

enum ConnRef<'a> {
    Pool(sqlx::pool::PoolConnection<sqlx::Any>),
    Own(&'a mut sqlx::AnyConnection),
}

impl std::ops::Deref for ConnRef<'_> {
    type Target = sqlx::AnyConnection;
    fn deref(&self) -> &Self::Target {
        match self {
            ConnRef::Pool(c) => c,
            ConnRef::Own(c) => c,
        }
    }
}

impl std::ops::DerefMut for ConnRef<'_> {
    fn deref_mut(&mut self) -> &mut Self::Target {
        match self {
            ConnRef::Pool(c) => c,
            ConnRef::Own(c) => c,
        }
    }
}

/// How a batch ended.
enum Batch {
    Committed,
    /// A statement failed: nothing was committed; each is retried alone.
    StatementFailed(SqlError),
    /// The connection failed before the commit (starting the transaction,
    /// or a statement inside it): nothing was committed.
    ConnectionFailed(SqlError),
    /// The commit itself failed: the outcome
    /// may be unknown (a connection lost during COMMIT), so nothing is
    /// retried and every caller gets the error.
    CommitFailed(SqlError),
}

async fn writer(db: Db, mut rx: mpsc::Receiver<Job>, max_batch: usize, linger: Duration) {
    let mut conn = Conn {
        db,
        own: None,
        last_used: Instant::now(),
    };
    let mut batch: Vec<Job> = Vec::with_capacity(max_batch);
    let mut last_batch = 0;
    while rx.recv_many(&mut batch, max_batch).await > 0 {
        if !linger.is_zero() && last_batch > 1 && batch.len() < max_batch {
            // This thread runs nothing but this writer: a blocking sleep
            // holds up no other task, and unlike the runtime's timer (1 ms
            // steps) it keeps a sub-millisecond linger.
            std::thread::sleep(linger);
            while batch.len() < max_batch {
                match rx.try_recv() {
                    Ok(job) => batch.push(job),
                    Err(_) => break,
                }
            }
        }
        last_batch = batch.len();
        match run_batch(&mut conn, &batch).await {
            Batch::Committed => {
                for (_, reply) in batch.drain(..) {
                    let _ = reply.send(Ok(()));
                }
            }
            Batch::ConnectionFailed(e) => {
                // Nothing of this batch was committed.
                tracing::warn!(target: "venus::sql", error = %e, n = batch.len(), "the group-commit connection failed");
                fail_all(&mut conn, &mut batch, &e);
            }
            Batch::StatementFailed(e) => {
                tracing::debug!(target: "venus::sql", error = %e, n = batch.len(), "a statement failed; the batch's statements run one by one");
                for (stmt, reply) in batch.drain(..) {
                    let _ = reply.send(run_one(&mut conn, &stmt).await);
                }
            }
            Batch::CommitFailed(e) => {
                tracing::warn!(target: "venus::sql", error = %e, n = batch.len(), "group commit failed");
                fail_all(&mut conn, &mut batch, &e);
            }
        }
    }
}

/// Answers every caller of `batch` with `e`, and drops the connection,
/// which may be broken: the next batch opens another.
fn fail_all(conn: &mut Conn, batch: &mut Vec<Job>, e: &SqlError) {
    conn.own = None;
    let msg = e.to_string();
    for (_, reply) in batch.drain(..) {
        let _ = reply.send(Err(SqlError::Database(msg.clone())));
    }
}

/// A statement to run for a batch: one of its statements, or consecutive
/// inserts of one shape merged. It borrows the batch's SQL and values.
struct Planned<'a> {
    sql: Cow<'a, str>,
    args: Vec<&'a Value>,
    /// The insert shape (SQL up to `VALUES `, columns) rows may join.
    shape: Option<(&'a str, usize)>,
}

/// The batch's statements, with consecutive inserts into the same table
/// and columns merged into multi-row inserts (at most `MAX_ARGS` values each).
fn coalesce(batch: &[Job]) -> Vec<Planned<'_>> {
    const MAX_ARGS: usize = 30_000; // under SQLite's 32,766 and MySQL's 65,535
    let mut out: Vec<Planned<'_>> = Vec::new();
    for (stmt, _) in batch {
        let shape = stmt.shape();
        if let (Some(prev), Some((head, n))) = (out.last_mut(), shape) {
            if prev.shape == shape && prev.args.len() + n <= MAX_ARGS {
                let sql = prev.sql.to_mut();
                sql.push_str(", ");
                sql.push_str(&stmt.sql[head.len()..]);
                prev.args.extend(stmt.args.iter());
                continue;
            }
        }
        out.push(Planned::of(stmt));
    }
    out
}

impl<'a> Planned<'a> {
    /// `stmt` on its own.
    fn of(stmt: &'a Statement) -> Self {
        Planned {
            sql: Cow::Borrowed(&stmt.sql),
            args: stmt.args.iter().collect(),
            shape: stmt.shape(),
        }
    }

    async fn execute(&self, conn: &mut sqlx::AnyConnection) -> Result<(), sqlx::Error> {
        query_with(&self.sql, self.args.iter().copied())
            .execute(conn)
            .await?;
        Ok(())
    }
}

async fn run_batch(conn: &mut Conn, batch: &[Job]) -> Batch {
    let mut stmts = coalesce(batch);
    let backend = conn.db.backend();
    let mut c = match conn.get().await {
        Ok(c) => c,
        Err(e) => return Batch::CommitFailed(e),
    };
    if stmts.len() == 1 {
        // One statement (the usual case: rows of one table merged) needs no
        // explicit transaction: on its own it commits atomically and durably,
        // in one round trip instead of three (BEGIN, the insert, COMMIT).
        let stmt = stmts.remove(0);
        return match stmt.execute(&mut c).await {
            Ok(()) => Batch::Committed,
            // The database refused it: nothing was written.
            Err(e @ sqlx::Error::Database(_)) => Batch::StatementFailed(e.into()),
            // The connection failed: the outcome is unknown.
            Err(e) => Batch::CommitFailed(e.into()),
        };
    }
    use sqlx::Connection;
    let mut tx = match c.begin_with(backend.begin_write()).await {
        Ok(tx) => tx,
        Err(e) => return Batch::ConnectionFailed(e.into()),
    };
    for stmt in stmts {
        match stmt.execute(&mut tx).await {
            Ok(()) => {}
            // The database refused it: roll back, retry one by one.
            Err(e @ sqlx::Error::Database(_)) => return Batch::StatementFailed(e.into()),
            Err(e) => return Batch::ConnectionFailed(e.into()),
        }
    }
    match tx.commit().await {
        Ok(()) => Batch::Committed,
        Err(e) => Batch::CommitFailed(e.into()),
    }
}

async fn run_one(conn: &mut Conn, stmt: &Statement) -> Result<()> {
    let outcome = {
        let mut c = conn.get().await?;
        Planned::of(stmt).execute(&mut c).await
    };
    match outcome {
        Ok(()) => Ok(()),
        Err(e @ sqlx::Error::Database(_)) => Err(e.into()),
        Err(e) => {
            // The connection failed: the next statement opens another.
            conn.own = None;
            Err(e.into())
        }
    }
}
