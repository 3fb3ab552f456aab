//! The crate's one error type.

/// What the messager's library can fail at.
#[derive(Debug, thiserror::Error)]
pub enum MessagerError {
    /// The storage failed (the database, a migration).
    #[error(transparent)]
    Sql(#[from] venus_sql::SqlError),
    /// No message has this id.
    #[error("message {0} not found")]
    NotFound(String),
    /// A message with this id is already stored.
    #[error("message {0} already exists")]
    Duplicate(String),
    /// The input is malformed or not allowed (nothing was stored).
    #[error("invalid message: {0}")]
    Invalid(String),
    /// The address is unknown to the messager, or switched off.
    #[error("address {0}")]
    Address(String),
    /// A stored row that cannot be read back.
    #[error("corrupt record: {0}")]
    Corrupt(String),
    /// The node failed a call.
    #[error("node: {0}")]
    Node(String),
    /// The wallet failed or refused to sign.
    #[error("wallet: {0}")]
    Wallet(String),
    /// Another messager instance serves this address now.
    #[error("address {0} is served by another messager instance")]
    NotOwner(String),
    /// The message is not in a state that allows this.
    #[error("message {id} is {state}: {what}")]
    State {
        /// The message.
        id: String,
        /// Its state.
        state: crate::MessageState,
        /// What was refused.
        what: &'static str,
    },
}

impl MessagerError {
    /// `addr` is not one the messager sends from.
    pub fn unknown_address(addr: &venus_core::Address) -> Self {
        MessagerError::Address(format!(
            "{addr} is not known to the messager: add it to the messager's addresses first"
        ))
    }
}

impl From<venus_sql::sqlx::Error> for MessagerError {
    fn from(e: venus_sql::sqlx::Error) -> Self {
        MessagerError::Sql(e.into())
    }
}

/// The crate's result.
pub type Result<T, E = MessagerError> = std::result::Result<T, E>;
