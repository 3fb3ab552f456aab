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

use std::borrow::Cow;

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
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    sql: Cow<'static, str>,
    args: Vec<Value>,
    /// For [`Statement::insert`]: the SQL up to `VALUES` and one row's
    /// placeholders, so rows of one table in a batch become one statement.
    rows: Option<(Cow<'static, str>, usize)>,
}

impl Statement {
    /// A statement with `?` placeholders.
    pub fn new(sql: impl Into<Cow<'static, str>>) -> Self {
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
            sql: Cow::Owned(format!("{head}{row}")),
            args: Vec::new(),
            rows: Some((Cow::Owned(head), cols.len())),
        }
    }

    /// Binds the next placeholder.
    pub fn bind(mut self, v: impl Into<Value>) -> Self {
        self.args.push(v.into());
        self
    }

    async fn execute(&self, conn: &mut sqlx::AnyConnection) -> Result<()> {
        Ok(self.execute_raw(conn).await?)
    }

    async fn execute_raw(&self, conn: &mut sqlx::AnyConnection) -> Result<(), sqlx::Error> {
        let mut q = sqlx::query(&self.sql);
        for a in &self.args {
            q = match a {
                Value::Null => q.bind(Option::<i64>::None),
                Value::Int(v) => q.bind(*v),
                Value::Text(v) => q.bind(v.as_str()),
                Value::Bytes(v) => q.bind(v.as_slice()),
            };
        }
        q.execute(conn).await?;
        Ok(())
    }
}

type Job = (Statement, oneshot::Sender<Result<()>>);

/// The group-commit writer of one database. Cheap to clone. The writer
/// task stops when the last clone is dropped; if it ever dies, the next
/// call starts a new one.
#[derive(Debug, Clone)]
pub struct GroupCommit {
    db: Db,
    max_batch: usize,
    jobs: std::sync::Arc<std::sync::Mutex<mpsc::Sender<Job>>>,
}

fn spawn_writer(db: &Db, max_batch: usize) -> mpsc::Sender<Job> {
    let (tx, rx) = mpsc::channel(max_batch * 4);
    tokio::spawn(writer(db.clone(), rx, max_batch));
    tx
}

impl GroupCommit {
    /// Starts the writer on the current Tokio runtime; a transaction holds
    /// at most `max_batch` statements.
    pub fn new(db: Db, max_batch: usize) -> Self {
        let max_batch = max_batch.max(1);
        GroupCommit {
            jobs: std::sync::Arc::new(std::sync::Mutex::new(spawn_writer(&db, max_batch))),
            db,
            max_batch,
        }
    }

    fn sender(&self) -> mpsc::Sender<Job> {
        let mut jobs = self.jobs.lock().unwrap_or_else(|p| p.into_inner());
        if jobs.is_closed() {
            tracing::error!(target: "venus::sql", "the group-commit writer died; starting a new one");
            *jobs = spawn_writer(&self.db, self.max_batch);
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

/// How a batch ended.
enum Batch {
    Committed,
    /// A statement failed: nothing was committed; each is retried alone.
    StatementFailed(SqlError),
    /// The commit itself (or starting the transaction) failed: the outcome
    /// may be unknown (a connection lost during COMMIT), so nothing is
    /// retried and every caller gets the error.
    CommitFailed(SqlError),
}

async fn writer(db: Db, mut rx: mpsc::Receiver<Job>, max_batch: usize) {
    let mut batch: Vec<Job> = Vec::with_capacity(max_batch);
    while rx.recv_many(&mut batch, max_batch).await > 0 {
        match run_batch(&db, &batch).await {
            Batch::Committed => {
                for (_, reply) in batch.drain(..) {
                    let _ = reply.send(Ok(()));
                }
            }
            Batch::StatementFailed(e) => {
                tracing::debug!(target: "venus::sql", error = %e, n = batch.len(), "a statement failed; the batch's statements run one by one");
                for (stmt, reply) in batch.drain(..) {
                    let _ = reply.send(run_one(&db, &stmt).await);
                }
            }
            Batch::CommitFailed(e) => {
                tracing::warn!(target: "venus::sql", error = %e, n = batch.len(), "group commit failed");
                let msg = e.to_string();
                for (_, reply) in batch.drain(..) {
                    let _ = reply.send(Err(SqlError::Database(msg.clone())));
                }
            }
        }
    }
}

/// The batch's statements, with consecutive inserts into the same table
/// and columns merged into multi-row inserts (at most `MAX_ARGS` values each).
fn coalesce(batch: &[Job]) -> Vec<Statement> {
    const MAX_ARGS: usize = 30_000; // under SQLite's 32,766 and MySQL's 65,535
    let mut out: Vec<Statement> = Vec::new();
    for (stmt, _) in batch {
        let merged = match (out.last_mut(), &stmt.rows) {
            (Some(prev), Some((head, n)))
                if prev.rows.as_ref().is_some_and(|(h, m)| h == head && m == n)
                    && prev.args.len() + stmt.args.len() <= MAX_ARGS
                    && stmt.args.len() == *n =>
            {
                let row = format!(", ({})", vec!["?"; *n].join(", "));
                prev.sql.to_mut().push_str(&row);
                prev.args.extend(stmt.args.iter().cloned());
                true
            }
            _ => false,
        };
        if !merged {
            out.push(stmt.clone());
        }
    }
    out
}

async fn run_batch(db: &Db, batch: &[Job]) -> Batch {
    let mut stmts = coalesce(batch);
    if stmts.len() == 1 {
        // One statement (the usual case: rows of one table merged) needs no
        // explicit transaction: on its own it commits atomically and durably,
        // in one round trip instead of three (BEGIN, the insert, COMMIT),
        // which matters when the database's thread waits behind busy cores.
        let stmt = stmts.remove(0);
        let mut conn = match db.pool().acquire().await {
            Ok(c) => c,
            Err(e) => return Batch::CommitFailed(e.into()),
        };
        return match stmt.execute_raw(&mut conn).await {
            Ok(()) => Batch::Committed,
            // The database refused it: nothing was written.
            Err(e @ sqlx::Error::Database(_)) => Batch::StatementFailed(e.into()),
            // The connection failed: the outcome is unknown.
            Err(e) => Batch::CommitFailed(e.into()),
        };
    }
    let mut tx = match db.begin_write().await {
        Ok(tx) => tx,
        Err(e) => return Batch::CommitFailed(e),
    };
    for stmt in stmts {
        if let Err(e) = stmt.execute(&mut tx).await {
            return Batch::StatementFailed(e);
        }
    }
    match tx.commit().await {
        Ok(()) => Batch::Committed,
        Err(e) => Batch::CommitFailed(e.into()),
    }
}

async fn run_one(db: &Db, stmt: &Statement) -> Result<()> {
    let mut conn = db.pool().acquire().await?;
    stmt.execute(&mut conn).await
}
