//! [`ValidationError`]: which header check failed, and why.

use fvm_shared::address::Address;

/// Why a header failed a check: one variant per check, each saying what the
/// header carries and what was expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ValidationError {
    /// A field every block but genesis carries is absent (`Ticket`,
    /// `ElectionProof`, `BlockSig`, `BLSAggregate`).
    #[error("header has no {0}")]
    Missing(&'static str),
    /// The miner is not an ID address.
    #[error("block miner {0} is not an ID address")]
    MinerNotId(Address),
    /// `BlockSig` is not the worker's signature over the header.
    #[error("block signature: {0}")]
    BlockSignature(String),
    /// The election proof claims no win (WinCount below 1).
    #[error("block is not claiming to be a winner (WinCount {0})")]
    NotAWinner(i64),
    /// The election proof's VRF is not the worker's over the election randomness.
    #[error("election proof VRF: {0}")]
    ElectionProof(String),
    /// The claimed WinCount is not what the miner's power gives.
    #[error("miner claims {claimed} wins, its power gives {computed}")]
    WinCount {
        /// WinCount in the header.
        claimed: i64,
        /// WinCount from the VRF and the power.
        computed: i64,
    },
    /// The ticket's VRF is not the worker's over the ticket randomness.
    #[error("ticket VRF: {0}")]
    Ticket(String),
    /// The header carries other drand rounds than its epoch calls for.
    #[error("beacon rounds: {0}")]
    BeaconRounds(String),
    /// A drand entry does not verify, or does not follow the one before it.
    #[error("beacon entry {index} (round {round}) is invalid: {reason}")]
    BeaconEntry {
        /// Its position in `BeaconEntries`.
        index: usize,
        /// The round it claims.
        round: u64,
        /// What is wrong with it.
        reason: String,
    },
}

/// `Result` with [`ValidationError`].
pub type Result<T = (), E = ValidationError> = std::result::Result<T, E>;
