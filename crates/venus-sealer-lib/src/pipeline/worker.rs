//! [`Worker`]: pulls sealing tasks from a [`TaskSource`] (the sealer's
//! store in-process, or a sealer over RPC) and runs them with real proofs
//! on the sector files both reach.
//!
//! A worker claims only kinds it has free slots for, renews each task's
//! lease at a third of its length while the proof runs, and hands the
//! result in. If it dies, its leases lapse and the tasks go to another
//! worker; a task whose lease it lost (it stalled past the lease) is
//! dropped when it finishes, since another worker has it.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use filecoin_proofs_api::{PieceInfo, UnpaddedBytesAmount};
use venus_api::sealer::{
    PieceRef, Task, TaskKind, TaskOutput, TaskResult, WorkerClaim, WorkerFinish, WorkerHeartbeat,
    WorkerRequest,
};
use venus_core::shared::sector::RegisteredSealProof;
use venus_rpc::RpcClient;

use super::store::SealingStore;
use crate::store::SectorStore;
use crate::SealerError;
use crate::{PreCommit, Prover, SectorRef};

use crate::Result;

/// Where a worker gets its tasks.
#[async_trait]
pub trait TaskSource: Send + Sync {
    /// A task among the kinds with free slots, or `None`.
    async fn claim(&self, req: &WorkerRequest) -> Result<Option<Task>>;
    /// Renews the lease; `false` when the worker lost the task.
    async fn heartbeat(&self, id: &str, worker: &str) -> Result<bool>;
    /// Hands the result in; `false` when the worker no longer held it.
    async fn finish(&self, id: &str, worker: &str, result: TaskResult) -> Result<bool>;
}

/// The sealer's own store: a worker in the sealer's process.
pub struct LocalTasks {
    store: SealingStore,
    lease_ms: u64,
}

impl LocalTasks {
    /// Tasks from `store`, leased for `lease_ms`.
    pub fn new(store: SealingStore, lease_ms: u64) -> Self {
        LocalTasks { store, lease_ms }
    }
}

#[async_trait]
impl TaskSource for LocalTasks {
    async fn claim(&self, req: &WorkerRequest) -> Result<Option<Task>> {
        self.store.claim(req, self.lease_ms).await
    }
    async fn heartbeat(&self, id: &str, worker: &str) -> Result<bool> {
        self.store.heartbeat(id, worker, self.lease_ms).await
    }
    async fn finish(&self, id: &str, worker: &str, result: TaskResult) -> Result<bool> {
        self.store.finish(id, worker, &result).await
    }
}

/// A sealer over RPC (`venus-worker run --sealer API-INFO`), or several
/// instances of one member's sealer sharing one database: a call that
/// cannot reach the current one goes to the next, since any of them
/// serves the same queue (a task claimed through one is renewed and
/// finished through another).
pub struct RemoteTasks {
    sealers: Vec<RpcClient>,
    current: std::sync::atomic::AtomicUsize,
}

impl RemoteTasks {
    /// Over a connected client whose token has `write`.
    pub fn new(rpc: RpcClient) -> Self {
        RemoteTasks {
            sealers: vec![rpc],
            current: Default::default(),
        }
    }

    /// Adds another instance of the same sealer, tried when the ones
    /// before it cannot be reached.
    pub fn or(mut self, rpc: RpcClient) -> Self {
        self.sealers.push(rpc);
        self
    }

    /// Calls `M` on the current sealer, moving on to the next on a
    /// transport failure (an answer, even an error, ends the search).
    async fn call<M: venus_rpc::RpcMethod>(&self, params: M::Params) -> Result<M::Output>
    where
        M::Params: Clone,
    {
        use std::sync::atomic::Ordering;
        let n = self.sealers.len();
        let first = self.current.load(Ordering::Relaxed);
        let mut last = None;
        for step in 0..n {
            let i = (first + step) % n;
            match self.sealers[i].call::<M>(params.clone()).await {
                Err(e) if e.is_transient() => {
                    tracing::warn!(target: "venus::sealer::worker", sealer = %self.sealers[i].endpoint().redacted(), method = M::NAME, error = %e, "sealer unreachable");
                    last = Some(e);
                }
                other => {
                    if i != first {
                        tracing::info!(target: "venus::sealer::worker", sealer = %self.sealers[i].endpoint().redacted(), "switched sealer");
                        self.current.store(i, Ordering::Relaxed);
                    }
                    return other.map_err(remote);
                }
            }
        }
        Err(remote(last.unwrap_or_else(|| {
            venus_rpc::Error::Transport("no sealer to call".into())
        })))
    }
}

fn remote(e: venus_rpc::Error) -> SealerError {
    SealerError::Remote(venus_api::Error::from(e).to_string())
}

#[async_trait]
impl TaskSource for RemoteTasks {
    async fn claim(&self, req: &WorkerRequest) -> Result<Option<Task>> {
        self.call::<WorkerClaim>((req.clone(),)).await
    }
    async fn heartbeat(&self, id: &str, worker: &str) -> Result<bool> {
        self.call::<WorkerHeartbeat>((id.to_string(), worker.to_string()))
            .await
    }
    async fn finish(&self, id: &str, worker: &str, result: TaskResult) -> Result<bool> {
        self.call::<WorkerFinish>((id.to_string(), worker.to_string(), result))
            .await
    }
}

/// A worker: its name, what it runs and how many at once.
pub struct Worker {
    name: String,
    source: Arc<dyn TaskSource>,
    prover: Prover,
    sectors: Arc<dyn SectorStore>,
    limits: BTreeMap<TaskKind, u32>,
    poll: Duration,
}

impl Worker {
    /// A worker named `name` (unique among the sealer's workers) running
    /// one task of each kind at a time; see [`Worker::limit`].
    pub fn new(
        name: impl Into<String>,
        source: Arc<dyn TaskSource>,
        prover: Prover,
        sectors: Arc<dyn SectorStore>,
    ) -> Self {
        Worker {
            name: name.into(),
            source,
            prover,
            sectors,
            limits: TaskKind::ALL.into_iter().map(|k| (k, 1)).collect(),
            poll: Duration::from_millis(500),
        }
    }

    /// Runs at most `n` tasks of `kind` at once (0: never takes it).
    pub fn limit(mut self, kind: TaskKind, n: u32) -> Self {
        self.limits.insert(kind, n);
        self
    }

    /// How long to wait before asking again when nothing is queued.
    pub fn poll(mut self, d: Duration) -> Self {
        self.poll = d;
        self
    }

    /// Claims and runs tasks until `stop` resolves; tasks running then are
    /// abandoned (their leases lapse and they are claimed again).
    pub async fn run(self: Arc<Self>, stop: impl std::future::Future<Output = ()>) {
        tokio::pin!(stop);
        let running: Arc<std::sync::Mutex<BTreeMap<TaskKind, u32>>> = Default::default();
        let wake = Arc::new(tokio::sync::Notify::new());
        loop {
            let free: Vec<(TaskKind, u32)> = {
                let r = running.lock().unwrap_or_else(|e| e.into_inner());
                self.limits
                    .iter()
                    .map(|(k, n)| (*k, n.saturating_sub(r.get(k).copied().unwrap_or(0))))
                    .collect()
            };
            let claimed = if free.iter().any(|(_, n)| *n > 0) {
                let req = WorkerRequest {
                    worker: self.name.clone(),
                    free,
                };
                match self.source.claim(&req).await {
                    Ok(t) => t,
                    Err(e) => {
                        tracing::warn!(target: "venus::sealer::worker", worker = %self.name, error = %e, "claiming a task");
                        None
                    }
                }
            } else {
                None
            };
            match claimed {
                Some(task) => {
                    *running
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .entry(task.kind)
                        .or_insert(0) += 1;
                    let (me, running, wake) = (self.clone(), running.clone(), wake.clone());
                    tokio::spawn(async move {
                        let kind = task.kind;
                        me.handle(task).await;
                        if let Some(n) = running
                            .lock()
                            .unwrap_or_else(|e| e.into_inner())
                            .get_mut(&kind)
                        {
                            *n = n.saturating_sub(1);
                        }
                        wake.notify_one();
                    });
                    // Ask again at once: there may be more for the free slots.
                    continue;
                }
                None => {
                    tokio::select! {
                        _ = &mut stop => return,
                        _ = tokio::time::sleep(self.poll) => {}
                        _ = wake.notified() => {}
                    }
                }
            }
        }
    }

    /// Runs one task with its lease renewed, and hands the result in.
    async fn handle(&self, task: Task) {
        tracing::info!(target: "venus::sealer::worker", worker = %self.name, task = %task.id, "started");
        let every = Duration::from_millis((task.lease_ms / 3).max(100));
        let work = self.execute(&task);
        tokio::pin!(work);
        let result = loop {
            tokio::select! {
                r = &mut work => break r,
                _ = tokio::time::sleep(every) => {
                    match self.source.heartbeat(&task.id, &self.name).await {
                        Ok(true) => {}
                        Ok(false) => {
                            // Another worker has it (or the sector was
                            // aborted): stop here rather than write the
                            // same files as the new holder.
                            tracing::warn!(target: "venus::sealer::worker", worker = %self.name, task = %task.id, "lost the task's lease; abandoning it");
                            return;
                        }
                        Err(e) => tracing::warn!(target: "venus::sealer::worker", worker = %self.name, task = %task.id, error = %e, "heartbeat"),
                    }
                }
            }
        };
        let result = match result {
            Ok(out) => TaskResult::Ok(out),
            Err(e) => TaskResult::Err(e.to_string()),
        };
        tracing::info!(target: "venus::sealer::worker", worker = %self.name, task = %task.id, ok = matches!(result, TaskResult::Ok(_)), "finished");
        // The result is worth a few tries: it cost a proof.
        for attempt in 0..5u32 {
            match self
                .source
                .finish(&task.id, &self.name, result.clone())
                .await
            {
                Ok(true) => return,
                Ok(false) => {
                    tracing::warn!(target: "venus::sealer::worker", worker = %self.name, task = %task.id, "the sealer no longer gives this task to this worker; result dropped");
                    return;
                }
                Err(e) => {
                    tracing::warn!(target: "venus::sealer::worker", worker = %self.name, task = %task.id, error = %e, attempt, "handing the result in");
                    tokio::time::sleep(Duration::from_secs(1 << attempt)).await;
                }
            }
        }
    }

    async fn execute(&self, task: &Task) -> Result<TaskOutput> {
        run_task(&self.prover, self.sectors.as_ref(), task).await
    }
}

const PC1_FILE: &str = "venus-pc1.json";
const C1_FILE: &str = "venus-c1.json";

fn hex32(what: &str, s: &str) -> Result<[u8; 32]> {
    hex::decode(s)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| SealerError::InvalidInput(format!("{what} is not 32 bytes of hex: {s:?}")))
}

fn pieces(p: &[PieceRef]) -> Result<Vec<PieceInfo>> {
    p.iter()
        .map(|p| {
            Ok(PieceInfo {
                commitment: hex32("piece commitment", &p.commitment)?,
                size: UnpaddedBytesAmount(p.size),
            })
        })
        .collect()
}

async fn write_json<T: serde::Serialize + Send + 'static>(
    path: std::path::PathBuf,
    v: T,
) -> Result<()> {
    tokio::task::spawn_blocking(move || {
        let tmp = path.with_extension("tmp");
        let bytes = serde_json::to_vec(&v).map_err(|e| SealerError::InvalidInput(e.to_string()))?;
        std::fs::write(&tmp, bytes).map_err(|e| crate::SealerError::io(&tmp, e))?;
        std::fs::rename(&tmp, &path).map_err(|e| crate::SealerError::io(&path, e))?;
        Ok(())
    })
    .await
    .map_err(|e| SealerError::InvalidInput(format!("writing a stage output: {e}")))?
}

async fn read_json<T: serde::de::DeserializeOwned + Send + 'static>(path: &Path) -> Result<T> {
    let path = path.to_path_buf();
    tokio::task::spawn_blocking(move || {
        let bytes = std::fs::read(&path).map_err(|e| crate::SealerError::io(&path, e))?;
        serde_json::from_slice(&bytes)
            .map_err(|e| SealerError::InvalidInput(format!("{}: {e}", path.display())))
    })
    .await
    .map_err(|e| SealerError::InvalidInput(format!("reading a stage output: {e}")))?
}

/// Runs one task on `prover` with the files `sectors` names: PC1 fills a
/// committed-capacity sector with zeros and labels it; PC2 builds the
/// trees and the replica; C1 and C2 prove the seal. PC1's and C1's
/// outputs stay in the sector's cache directory.
pub async fn run_task(
    prover: &Prover,
    sectors: &dyn SectorStore,
    task: &Task,
) -> Result<TaskOutput> {
    let seal = RegisteredSealProof::from(task.input.seal_proof);
    let sector = SectorRef::new(task.miner, task.number);
    let paths = sectors.prepare(sector)?;
    match task.kind {
        TaskKind::Pc1 => {
            let ticket = hex32("ticket", &task.input.ticket)?;
            let unpadded = crate::types::sector_bytes(seal)? / 128 * 127;
            let piece = prover
                .add_piece(
                    seal,
                    std::io::repeat(0),
                    unpadded,
                    paths.unsealed.clone(),
                    vec![],
                )
                .await?;
            let out = prover
                .pc1(seal, &paths, ticket, vec![piece.clone()])
                .await?;
            write_json(paths.cache.join(PC1_FILE), out).await?;
            Ok(TaskOutput {
                pieces: vec![PieceRef {
                    commitment: hex::encode(piece.commitment),
                    size: u64::from(piece.size),
                }],
                ..TaskOutput::default()
            })
        }
        TaskKind::Pc2 => {
            let pc1 = read_json(&paths.cache.join(PC1_FILE)).await?;
            let pre = prover.pc2(pc1, &paths).await?;
            Ok(TaskOutput {
                comm_r: hex::encode(pre.comm_r),
                comm_d: hex::encode(pre.comm_d),
                ..TaskOutput::default()
            })
        }
        TaskKind::C1 => {
            let pre = PreCommit {
                proof: seal,
                comm_r: hex32("CommR", &task.input.comm_r)?,
                comm_d: hex32("CommD", &task.input.comm_d)?,
            };
            let out = prover
                .c1(
                    &paths,
                    hex32("ticket", &task.input.ticket)?,
                    hex32("seed", &task.input.seed)?,
                    pre,
                    pieces(&task.input.pieces)?,
                )
                .await?;
            write_json(paths.cache.join(C1_FILE), out).await?;
            Ok(TaskOutput::default())
        }
        TaskKind::C2 => {
            let c1 = read_json(&paths.cache.join(C1_FILE)).await?;
            let proof = prover.c2(c1, sector).await?;
            Ok(TaskOutput {
                proof: hex::encode(proof),
                ..TaskOutput::default()
            })
        }
    }
}
