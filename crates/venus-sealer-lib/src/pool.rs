//! [`ProofPool`]: proof work on blocking threads, a bounded number at a time.

use std::sync::Arc;
use std::time::Instant;

use tokio::sync::Semaphore;

use crate::error::{Result, SealerError};

/// Runs CPU-heavy proof work on tokio's blocking threads, at most `limit` jobs at once
/// (short jobs, [`ProofPool::run_short`], beside them under a bound of their own).
///
/// A seal or PoSt holds its parameters and trees in memory, so an unbounded
/// number of them can exhaust a machine; callers beyond the limit wait their turn
/// (in FIFO order) without holding a thread.
///
/// Cancellation: dropping the future of [`ProofPool::run`] while it waits for a
/// slot removes it from the queue. Once the job has started, filecoin-proofs cannot
/// be interrupted; the job runs to completion on its thread, its result is
/// discarded, and its slot is released only then, so the bound always reflects the
/// work actually running (work that must stop with its caller runs in a
/// child process instead: `crate::child`). A panic inside the job becomes
/// [`SealerError::Panicked`].
#[derive(Debug, Clone)]
pub struct ProofPool {
    slots: Arc<Semaphore>,
    /// Short jobs' own bound ([`ProofPool::run_short`]).
    short: Arc<Semaphore>,
    limit: usize,
}

impl ProofPool {
    /// A pool running at most `limit` (at least 1) jobs at once.
    pub fn new(limit: usize) -> Self {
        let limit = limit.max(1);
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        Self {
            slots: Arc::new(Semaphore::new(limit)),
            short: Arc::new(Semaphore::new(limit.max(cores) * 2)),
            limit,
        }
    }

    /// The configured bound.
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// Slots free right now (`limit` when idle).
    pub fn available(&self) -> usize {
        self.slots.available_permits()
    }

    /// Runs `job` on a blocking thread once a slot is free.
    pub async fn run<T, F>(&self, stage: &'static str, job: F) -> Result<T>
    where
        F: FnOnce() -> Result<T> + Send + 'static,
        T: Send + 'static,
    {
        let queued = Instant::now();
        let permit = self
            .slots
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| SealerError::PoolClosed(stage))?;
        let waited = queued.elapsed();
        let handle = spawn(stage, Some(permit), job);
        if waited.as_millis() > 0 {
            tracing::debug!(
                target: "venus::sealer",
                stage,
                waited_ms = waited.as_millis() as u64,
                "proof job waited for a slot"
            );
        }
        joined(stage, handle.await)
    }

    /// Runs a short `job` (a verification, a challenge: milliseconds) on a
    /// blocking thread without a slot: it must not queue behind seals and
    /// proofs that hold the slots for seconds or minutes. A node checking
    /// a block, or a miner's base asking for its challenged sectors, would
    /// otherwise wait out another member's winning PoSt. Short jobs have a
    /// bound of their own (twice the larger of `limit` and the cores), so
    /// a flood of blocks to verify cannot take every blocking thread.
    pub async fn run_short<T, F>(&self, stage: &'static str, job: F) -> Result<T>
    where
        F: FnOnce() -> Result<T> + Send + 'static,
        T: Send + 'static,
    {
        if self.slots.is_closed() {
            return Err(SealerError::PoolClosed(stage));
        }
        let permit = self
            .short
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| SealerError::PoolClosed(stage))?;
        joined(stage, spawn(stage, Some(permit), job).await)
    }

    /// Refuses new jobs; jobs already running finish.
    pub fn close(&self) {
        self.slots.close();
        self.short.close();
    }
}

impl Default for ProofPool {
    /// One job at a time: a sensible bound for small machines.
    fn default() -> Self {
        Self::new(1)
    }
}

/// `job` on a blocking thread, holding `slot` (if any) until it ends.
fn spawn<T, F>(
    stage: &'static str,
    slot: Option<tokio::sync::OwnedSemaphorePermit>,
    job: F,
) -> tokio::task::JoinHandle<Result<T>>
where
    F: FnOnce() -> Result<T> + Send + 'static,
    T: Send + 'static,
{
    tokio::task::spawn_blocking(move || {
        let _slot = slot;
        let started = Instant::now();
        let out = job();
        tracing::debug!(
            target: "venus::sealer",
            stage,
            elapsed_ms = started.elapsed().as_millis() as u64,
            ok = out.is_ok(),
            "proof job finished"
        );
        out
    })
}

/// A job's result, its panic or its cancellation as this crate's result.
fn joined<T>(
    stage: &'static str,
    joined: std::result::Result<Result<T>, tokio::task::JoinError>,
) -> Result<T> {
    match joined {
        Ok(out) => out,
        Err(e) if e.is_panic() => Err(SealerError::Panicked {
            stage,
            reason: panic_message(e.into_panic()),
        }),
        Err(_) => Err(SealerError::PoolClosed(stage)),
    }
}

pub(crate) fn panic_message(payload: Box<dyn std::any::Any + Send>) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "non-string panic payload".to_string()
    }
}
