//! [`SectorState`] and [`SectorInfo`]: where a sector stands in the pipeline
//! and what it has gathered so far.

use venus_api::sealer::{PieceRef, SectorView, TaskKind};
use venus_core::shared::sector::RegisteredSealProof;
use venus_core::Address;

/// The states of a sector, in pipeline order, then the two ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SectorState {
    /// Allocated; the ticket is drawn next and PC1 queued.
    Empty,
    /// PC1 queued or running.
    Pc1,
    /// PC2 queued or running.
    Pc2,
    /// CommR known; the pre-commit is sent next.
    PreCommitting,
    /// The pre-commit is at the messager; waiting until it lands.
    PreCommitWait,
    /// Waiting for the interactive seed (pre-commit epoch plus the
    /// challenge delay, plus the confidence).
    WaitSeed,
    /// C1 queued or running.
    C1,
    /// C2 queued or running.
    C2,
    /// The proof is ready; the prove-commit is sent next.
    Committing,
    /// The prove-commit is at the messager; waiting until it lands.
    CommitWait,
    /// On chain and proven by the window PoSt scheduler.
    Proving,
    /// Stopped on an error (`retry_state` says where a retry resumes).
    Failed,
    /// Given up by the operator.
    Aborted,
}

impl SectorState {
    const ALL: [SectorState; 13] = [
        SectorState::Empty,
        SectorState::Pc1,
        SectorState::Pc2,
        SectorState::PreCommitting,
        SectorState::PreCommitWait,
        SectorState::WaitSeed,
        SectorState::C1,
        SectorState::C2,
        SectorState::Committing,
        SectorState::CommitWait,
        SectorState::Proving,
        SectorState::Failed,
        SectorState::Aborted,
    ];

    /// The name stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            SectorState::Empty => "Empty",
            SectorState::Pc1 => "PC1",
            SectorState::Pc2 => "PC2",
            SectorState::PreCommitting => "PreCommitting",
            SectorState::PreCommitWait => "PreCommitWait",
            SectorState::WaitSeed => "WaitSeed",
            SectorState::C1 => "C1",
            SectorState::C2 => "C2",
            SectorState::Committing => "Committing",
            SectorState::CommitWait => "CommitWait",
            SectorState::Proving => "Proving",
            SectorState::Failed => "Failed",
            SectorState::Aborted => "Aborted",
        }
    }

    /// The state named `s`.
    pub fn parse(s: &str) -> Option<SectorState> {
        SectorState::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// Whether the pipeline has nothing more to do with the sector.
    pub fn is_end(self) -> bool {
        matches!(
            self,
            SectorState::Proving | SectorState::Failed | SectorState::Aborted
        )
    }

    /// The task this state waits for.
    pub fn task(self) -> Option<TaskKind> {
        match self {
            SectorState::Pc1 => Some(TaskKind::Pc1),
            SectorState::Pc2 => Some(TaskKind::Pc2),
            SectorState::C1 => Some(TaskKind::C1),
            SectorState::C2 => Some(TaskKind::C2),
            _ => None,
        }
    }
}

impl std::fmt::Display for SectorState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One sector's row: its state and everything the pipeline gathered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SectorInfo {
    /// The miner's actor id.
    pub miner: u64,
    /// The sector number (allocated on chain at pre-commit).
    pub number: u64,
    /// How it is sealed.
    pub seal_proof: RegisteredSealProof,
    /// Where it stands.
    pub state: SectorState,
    /// For a failed sector: the state a retry goes back to.
    pub retry_state: Option<SectorState>,
    /// The sealing ticket (32 bytes) and its epoch.
    pub ticket: Option<[u8; 32]>,
    /// The ticket's epoch.
    pub ticket_epoch: i64,
    /// Its pieces (one zero piece for committed capacity).
    pub pieces: Vec<PieceRef>,
    /// CommR.
    pub comm_r: Option<[u8; 32]>,
    /// CommD.
    pub comm_d: Option<[u8; 32]>,
    /// The pre-commit's id at the messager.
    pub precommit_msg: String,
    /// Where it landed.
    pub precommit_epoch: i64,
    /// The interactive seed.
    pub seed: Option<[u8; 32]>,
    /// The seed's epoch.
    pub seed_epoch: i64,
    /// The seal proof (C2's output).
    pub proof: Vec<u8>,
    /// The prove-commit's id at the messager.
    pub commit_msg: String,
    /// Retry count, part of every task and message id (a retry's task and
    /// message are new ones).
    pub attempt: u32,
    /// Automatic retries of the current stage so far.
    pub retries: u32,
    /// The failure, or the last error retried.
    pub error: String,
    /// Unix ms.
    pub created_ms: i64,
    /// Unix ms.
    pub updated_ms: i64,
}

impl SectorInfo {
    /// A new sector in [`SectorState::Empty`].
    pub fn new(miner: u64, number: u64, seal_proof: RegisteredSealProof, now_ms: i64) -> Self {
        SectorInfo {
            miner,
            number,
            seal_proof,
            state: SectorState::Empty,
            retry_state: None,
            ticket: None,
            ticket_epoch: 0,
            pieces: Vec::new(),
            comm_r: None,
            comm_d: None,
            precommit_msg: String::new(),
            precommit_epoch: 0,
            seed: None,
            seed_epoch: 0,
            proof: Vec::new(),
            commit_msg: String::new(),
            attempt: 0,
            retries: 0,
            error: String::new(),
            created_ms: now_ms,
            updated_ms: now_ms,
        }
    }

    /// The sector as files and proofs name it.
    pub fn sector_ref(&self) -> crate::SectorRef {
        crate::SectorRef::new(self.miner, self.number)
    }

    /// The id of this sector's `what` (a task kind, `precommit`, `commit`)
    /// at the current attempt: the same on every sealer, so a step taken
    /// twice names the same task or message.
    pub fn step_id(&self, what: &str) -> String {
        format!("t0{}-{}-{}-{}", self.miner, self.number, what, self.attempt)
    }

    /// As the API shows it.
    pub fn view(&self) -> SectorView {
        SectorView {
            miner: Address::new_id(self.miner).to_string(),
            number: self.number,
            state: self.state.to_string(),
            seal_proof: i64::from(self.seal_proof),
            ticket_epoch: self.ticket_epoch,
            comm_r: self.comm_r.map(hex::encode).unwrap_or_default(),
            precommit_msg: self.precommit_msg.clone(),
            precommit_epoch: self.precommit_epoch,
            seed_epoch: self.seed_epoch,
            commit_msg: self.commit_msg.clone(),
            retries: self.retries,
            error: self.error.clone(),
            updated_ms: self.updated_ms,
        }
    }
}
