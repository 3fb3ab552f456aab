//! The sealer pipeline's API: tasks that workers pull, and the sectors
//! and workers an operator lists.
//!
//! A worker asks [`WorkerClaim`] for a task among the kinds it has free
//! slots for, renews its lease with [`WorkerHeartbeat`] while it runs, and
//! hands the result in with [`WorkerFinish`]. A task whose lease lapses
//! (its worker died) is claimed again by another. Commitments, tickets and
//! proofs travel as hex; the large stage outputs (PC1's labels, C1's
//! vanilla proofs) stay on the storage the sealer and workers share.

use serde::{Deserialize, Serialize};
use venus_rpc::{rpc_method, NoParams};

/// A stage a worker runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum TaskKind {
    /// The sector's data (zeros for committed capacity) and SDR labelling.
    #[serde(rename = "PC1")]
    Pc1,
    /// Tree building and the sealed replica: CommR and CommD.
    #[serde(rename = "PC2")]
    Pc2,
    /// The vanilla proofs for the seed's challenges.
    #[serde(rename = "C1")]
    C1,
    /// The SNARK.
    #[serde(rename = "C2")]
    C2,
}

impl TaskKind {
    /// Every kind, in pipeline order.
    pub const ALL: [TaskKind; 4] = [TaskKind::Pc1, TaskKind::Pc2, TaskKind::C1, TaskKind::C2];

    /// `PC1`, `PC2`, `C1`, `C2`.
    pub fn as_str(self) -> &'static str {
        match self {
            TaskKind::Pc1 => "PC1",
            TaskKind::Pc2 => "PC2",
            TaskKind::C1 => "C1",
            TaskKind::C2 => "C2",
        }
    }

    /// The kind named `s` (as [`TaskKind::as_str`] writes it, any case).
    pub fn parse(s: &str) -> Option<TaskKind> {
        TaskKind::ALL
            .into_iter()
            .find(|k| k.as_str().eq_ignore_ascii_case(s.trim()))
    }
}

impl std::fmt::Display for TaskKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A piece in a sector: its CommP (hex) and unpadded size.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PieceRef {
    /// CommP, 32 bytes as hex.
    pub commitment: String,
    /// Unpadded bytes.
    pub size: u64,
}

/// What a task needs besides the sector's files.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TaskInput {
    /// The seal proof type (5 for 2 KiB V1_1).
    pub seal_proof: i64,
    /// The sealing ticket (hex), for PC1 and C1.
    #[serde(default)]
    pub ticket: String,
    /// The interactive seed (hex), for C1.
    #[serde(default)]
    pub seed: String,
    /// CommR and CommD (hex), for C1.
    #[serde(default)]
    pub comm_r: String,
    /// CommD (hex), for C1.
    #[serde(default)]
    pub comm_d: String,
    /// The sector's pieces, for C1 (PC1 fills a committed-capacity sector).
    #[serde(default)]
    pub pieces: Vec<PieceRef>,
}

/// What a finished task hands back.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TaskOutput {
    /// PC1: the pieces written.
    #[serde(default)]
    pub pieces: Vec<PieceRef>,
    /// PC2: CommR (hex).
    #[serde(default)]
    pub comm_r: String,
    /// PC2: CommD (hex).
    #[serde(default)]
    pub comm_d: String,
    /// C2: the seal proof (hex).
    #[serde(default)]
    pub proof: String,
}

/// A task handed to a worker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Task {
    /// Unique: `<miner>-<number>-<kind>-<attempt>`.
    pub id: String,
    /// The miner's actor id.
    pub miner: u64,
    /// The sector number.
    pub number: u64,
    /// The stage.
    pub kind: TaskKind,
    /// Its inputs.
    pub input: TaskInput,
    /// Milliseconds the lease lasts from now; heartbeat well within it.
    pub lease_ms: u64,
}

/// A worker's request for work: its name and, per kind it runs, how many
/// more it can take now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct WorkerRequest {
    /// The worker's name, unique among the sealer's workers.
    pub worker: String,
    /// Free slots per kind (a kind with none is not handed out).
    pub free: Vec<(TaskKind, u32)>,
}

/// How a task ended on its worker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum TaskResult {
    /// Done.
    Ok(TaskOutput),
    /// Failed, with the reason.
    Err(String),
}

/// A sector as `sectors list` and `sectors status` show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SectorView {
    /// The miner (`t01000`).
    pub miner: String,
    /// The sector number.
    pub number: u64,
    /// Its state (`PC1`, `WaitSeed`, `Proving`, `Failed`…).
    pub state: String,
    /// The seal proof type.
    pub seal_proof: i64,
    /// Ticket epoch, 0 before PC1.
    pub ticket_epoch: i64,
    /// CommR (hex), once PC2 is done.
    pub comm_r: String,
    /// The pre-commit's message id at the messager.
    pub precommit_msg: String,
    /// The epoch the pre-commit landed at.
    pub precommit_epoch: i64,
    /// The seed's epoch.
    pub seed_epoch: i64,
    /// The prove-commit's message id.
    pub commit_msg: String,
    /// Retries of the current stage.
    pub retries: u32,
    /// Why it failed, or the last retried error.
    pub error: String,
    /// Last change (Unix ms).
    pub updated_ms: i64,
}

/// A worker as `workers list` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct WorkerView {
    /// Its name.
    pub name: String,
    /// Free slots per kind at its last request.
    pub free: Vec<(TaskKind, u32)>,
    /// Tasks it holds now.
    pub running: Vec<String>,
    /// Its last request or heartbeat (Unix ms).
    pub seen_ms: i64,
}

/// One window PoSt deadline as the scheduler handled it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PostView {
    /// The miner.
    pub miner: String,
    /// The proving period's first epoch.
    pub period_start: i64,
    /// The deadline index.
    pub deadline: u64,
    /// `Proving`, `Submitted`, `Landed`, `Nothing` (no sectors), `GaveUp`.
    pub state: String,
    /// The submission's message id.
    pub msg: String,
    /// Sectors skipped as unprovable.
    pub skipped: Vec<u64>,
    /// Why it gave up or failed.
    pub error: String,
    /// The sealer instance holding (or that last held) the deadline
    /// (absent from older sealers).
    #[serde(default)]
    pub owner: String,
}

rpc_method! {
    /// A task for the asking worker, or null when none is queued.
    pub WorkerClaim = "Sealer.WorkerClaim", write, (WorkerRequest,) => Option<Task>
}
rpc_method! {
    /// Renews the lease of a running task: false when the worker lost it
    /// (it lapsed and another took the task), so it should stop.
    pub WorkerHeartbeat = "Sealer.WorkerHeartbeat", write, (String, String) => bool
}
rpc_method! {
    /// A task's result, from the worker holding it: false when the
    /// worker no longer holds the task (the result is dropped).
    pub WorkerFinish = "Sealer.WorkerFinish", write, (String, String, TaskResult) => bool
}
rpc_method! {
    /// The sealer's sectors, newest first.
    pub SectorsList = "Sealer.SectorsList", read, idempotent, NoParams => Vec<SectorView>
}
rpc_method! {
    /// One sector of the sealer's miner.
    pub SectorsStatus = "Sealer.SectorsStatus", read, idempotent, (u64,) => SectorView
}
rpc_method! {
    /// Starts sealing one committed-capacity sector; its number.
    pub Pledge = "Sealer.Pledge", admin, NoParams => SectorView
}
rpc_method! {
    /// Sends a failed sector back to the start of the stage it failed in.
    pub SectorRetry = "Sealer.SectorRetry", admin, (u64,) => SectorView
}
rpc_method! {
    /// Stops sealing a sector for good (it is not on chain yet).
    pub SectorAbort = "Sealer.SectorAbort", admin, (u64,) => SectorView
}
rpc_method! {
    /// The workers seen in the last ten minutes.
    pub WorkersList = "Sealer.WorkersList", read, idempotent, NoParams => Vec<WorkerView>
}
rpc_method! {
    /// The window PoSt deadlines handled, newest first.
    pub PostsList = "Sealer.PostsList", read, idempotent, NoParams => Vec<PostView>
}
