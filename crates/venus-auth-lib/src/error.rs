//! The one error type of `venus-auth-lib`.

/// Auth service errors.
#[derive(Debug, thiserror::Error)]
pub enum AuthServiceError {
    /// No such user, token, miner or signer binding.
    #[error("not found: {0}")]
    NotFound(String),
    /// The name or address is taken.
    #[error("already exists: {0}")]
    Duplicate(String),
    /// Bad input from a caller.
    #[error("invalid input: {0}")]
    Invalid(String),
    /// The database failed.
    #[error("storage: {0}")]
    Storage(String),
    /// The daemon could not serve: binding its address, or waiting for Ctrl-C.
    #[error("serving the API: {0}")]
    Serve(String),
}

impl From<venus_sql::SqlError> for AuthServiceError {
    fn from(e: venus_sql::SqlError) -> Self {
        match e {
            venus_sql::SqlError::Duplicate(d) => AuthServiceError::Duplicate(d),
            other => AuthServiceError::Storage(other.to_string()),
        }
    }
}

impl From<venus_sql::sqlx::Error> for AuthServiceError {
    fn from(e: venus_sql::sqlx::Error) -> Self {
        venus_sql::SqlError::from(e).into()
    }
}

/// `Result` with [`AuthServiceError`].
pub type Result<T, E = AuthServiceError> = std::result::Result<T, E>;
