//! [`GroupCommit`]: concurrent writers that each need their row durable
//! before they answer share one transaction, so one commit (and one fsync)
//! serves them all.
//!
//! One writer task takes the statements queued while the previous commit
//! was on its way to disk, runs them in one transaction, commits, and only
//! then answers each caller. A caller that has its answer knows its row is
//! committed; under load, the cost of a commit is shared by every caller
//! that queued behind it. A statement that fails does not fail the others:
//! the batch is rolled back and each statement retried on its own.

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
}

impl Statement {
    /// A statement with `?` placeholders.
    pub fn new(sql: impl Into<Cow<'static, str>>) -> Self {
        Statement {
            sql: sql.into(),
            args: Vec::new(),
        }
    }

    /// Binds the next placeholder.
    pub fn bind(mut self, v: impl Into<Value>) -> Self {
        self.args.push(v.into());
        self
    }

    async fn execute(&self, conn: &mut sqlx::AnyConnection) -> Result<()> {
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

/// The group-commit writer of one database. Cheap to clone; the writer
/// task stops when the last clone is dropped.
#[derive(Debug, Clone)]
pub struct GroupCommit {
    jobs: mpsc::Sender<Job>,
}

impl GroupCommit {
    /// Starts the writer on the current Tokio runtime; a transaction holds
    /// at most `max_batch` statements.
    pub fn new(db: Db, max_batch: usize) -> Self {
        let (tx, rx) = mpsc::channel(max_batch.max(1) * 4);
        tokio::spawn(writer(db, rx, max_batch.max(1)));
        GroupCommit { jobs: tx }
    }

    /// Runs `stmt` and returns once it is committed.
    pub async fn execute(&self, stmt: Statement) -> Result<()> {
        let (tx, rx) = oneshot::channel();
        self.jobs
            .send((stmt, tx))
            .await
            .map_err(|_| SqlError::WriterGone)?;
        rx.await.map_err(|_| SqlError::WriterGone)?
    }
}

async fn writer(db: Db, mut rx: mpsc::Receiver<Job>, max_batch: usize) {
    let mut batch: Vec<Job> = Vec::with_capacity(max_batch);
    while rx.recv_many(&mut batch, max_batch).await > 0 {
        match run_batch(&db, &batch).await {
            Ok(()) => {
                for (_, reply) in batch.drain(..) {
                    let _ = reply.send(Ok(()));
                }
            }
            Err(e) => {
                tracing::debug!(target: "venus::sql", error = %e, n = batch.len(), "group commit failed; statements retried one by one");
                for (stmt, reply) in batch.drain(..) {
                    let _ = reply.send(run_one(&db, &stmt).await);
                }
            }
        }
    }
}

async fn run_batch(db: &Db, batch: &[Job]) -> Result<()> {
    let mut tx = db.begin_write().await?;
    for (stmt, _) in batch {
        stmt.execute(&mut tx).await?;
    }
    tx.commit().await?;
    Ok(())
}

async fn run_one(db: &Db, stmt: &Statement) -> Result<()> {
    let mut conn = db.pool().acquire().await?;
    stmt.execute(&mut conn).await
}
