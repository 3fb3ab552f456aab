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

impl From<sqlx::Error> for AuthServiceError {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::Database(d) if d.is_unique_violation() => {
                AuthServiceError::Duplicate(d.message().to_string())
            }
            _ => AuthServiceError::Storage(e.to_string()),
        }
    }
}

impl From<sqlx::migrate::MigrateError> for AuthServiceError {
    fn from(e: sqlx::migrate::MigrateError) -> Self {
        AuthServiceError::Storage(format!("migration: {e}"))
    }
}

/// `Result` with [`AuthServiceError`].
pub type Result<T, E = AuthServiceError> = std::result::Result<T, E>;
