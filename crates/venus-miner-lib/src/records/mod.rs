//! Mining records: for each miner and epoch a round looked at, what came
//! of it (mined, not a winner, timeout, chain forked, error and why) and
//! how long each stage took, kept for a configured time and queryable
//! (sophon-miner's `QueryRecord`; its recorder keeps string maps in
//! LevelDB, `node/modules/mine-recorder`, ours typed rows in SQL).

mod memory;
mod sql;

pub use memory::MemoryRecords;
pub use sql::SqlRecords;

use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use venus_core::{Address, ChainEpoch};

use crate::Result;

/// The stages of one miner's round, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// `MinerGetBaseInfo`.
    BaseInfo,
    /// The ticket VRF from the member's wallet.
    Ticket,
    /// The election VRF and WinCount.
    Election,
    /// The winning PoSt from the member's prover.
    Proof,
    /// `MpoolSelects`.
    Select,
    /// `MinerCreateBlock`.
    Create,
    /// The block signature from the member's wallet.
    Sign,
    /// `SyncSubmitBlock`.
    Submit,
}

/// What came of a miner's round.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// A block was submitted and accepted.
    Mined,
    /// The election was lost (or the miner may not mine).
    NotWinner,
    /// The round's time ran out for this miner.
    Timeout,
    /// The chain moved to another base during the round.
    ChainForked,
    /// Something failed; the reason says what.
    Error,
    /// Another instance of the pool claimed this miner's epoch first and
    /// mines it.
    Elsewhere,
}

impl Outcome {
    /// The stored code.
    pub fn code(self) -> i64 {
        match self {
            Outcome::Mined => 0,
            Outcome::NotWinner => 1,
            Outcome::Timeout => 2,
            Outcome::ChainForked => 3,
            Outcome::Error => 4,
            Outcome::Elsewhere => 5,
        }
    }

    /// The outcome stored as `code`.
    pub fn from_code(code: i64) -> Option<Self> {
        Some(match code {
            0 => Outcome::Mined,
            1 => Outcome::NotWinner,
            2 => Outcome::Timeout,
            3 => Outcome::ChainForked,
            4 => Outcome::Error,
            5 => Outcome::Elsewhere,
            _ => return None,
        })
    }
}

/// One miner's round at one epoch, as one instance saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// The miner.
    pub miner: Address,
    /// The epoch mined for.
    pub epoch: ChainEpoch,
    /// The miner instance that ran the round.
    pub instance: String,
    /// What came of it.
    pub outcome: Outcome,
    /// Why, for an error, a timeout or a fork.
    pub reason: String,
    /// How long each stage reached took, in order.
    pub stages: Vec<(Stage, Duration)>,
    /// When the round ended (Unix milliseconds).
    pub at_ms: i64,
}

/// Which records [`MiningRecords::query`] returns: a miner's in the
/// epochs `[from, from + limit)`, oldest first (every instance's).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordQuery {
    /// The miner.
    pub miner: Address,
    /// The first epoch.
    pub from: ChainEpoch,
    /// How many epochs (at least 1).
    pub limit: usize,
}

/// Where rounds are recorded.
#[async_trait]
pub trait MiningRecords: Send + Sync {
    /// Records a round; a second record of the same (miner, epoch,
    /// instance) replaces the first.
    async fn record(&self, record: &Record) -> Result<()>;

    /// A miner's records in `query`'s epochs, oldest first.
    async fn query(&self, query: &RecordQuery) -> Result<Vec<Record>>;

    /// Forgets the records made before `at_ms`; how many went.
    async fn prune(&self, before_ms: i64) -> Result<u64>;
}
