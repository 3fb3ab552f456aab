//! The crate's one error type.

/// What the miner's library can fail at.
#[derive(Debug, thiserror::Error)]
pub enum MinerError {
    /// The storage failed (the database, a migration).
    #[error(transparent)]
    Sql(#[from] venus_sql::SqlError),
    /// What was asked for is not recorded.
    #[error("{0}")]
    NotFound(String),
    /// A stored row that cannot be read back.
    #[error("corrupt record: {0}")]
    Corrupt(String),
    /// The node failed a call.
    #[error("node: {0}")]
    Node(String),
    /// A member's wallet failed or refused to sign.
    #[error("wallet: {0}")]
    Wallet(String),
    /// A member's prover failed.
    #[error("prover: {0}")]
    Prover(String),
    /// No wallet of the pool holds this worker key.
    #[error("no signer for worker {0}")]
    NoSigner(venus_core::Address),
    /// No prover of the pool holds this miner's sectors.
    #[error("no prover for miner {0}")]
    NoProver(venus_core::Address),
    /// The miner's time in the round ran out.
    #[error("timed out")]
    Timeout,
    /// The member list could not be read.
    #[error("members: {0}")]
    Members(String),
    /// The work asked for is already running; ask again later.
    #[error("busy: {0}")]
    Busy(String),
    /// The miner was put together wrong.
    #[error("configuration: {0}")]
    Config(String),
    /// Another live process runs under this instance name.
    #[error(
        "instance name {instance:?} is held by another live process ({holder}, heartbeat {age_ms} ms ago): \
         give each miner instance its own name (`instance` in config.toml, or its own repo)"
    )]
    InstanceInUse {
        /// The name.
        instance: String,
        /// The process holding it (`HOST/PID/RANDOM`).
        holder: String,
        /// How old its heartbeat was.
        age_ms: i64,
    },
    /// The slash filter refused the block.
    #[error("slash filter: {0}")]
    Refused(crate::slash::Refusal),
}

impl From<venus_sql::sqlx::Error> for MinerError {
    fn from(e: venus_sql::sqlx::Error) -> Self {
        MinerError::Sql(e.into())
    }
}

/// The crate's result.
pub type Result<T, E = MinerError> = std::result::Result<T, E>;
