//! The one error type of `venus-auth-lib`.

use venus_rpc::{codes, RpcError};

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

/// Each kind travels as its code, so a client tells them apart without
/// reading the message: [`codes::NOT_FOUND`], [`codes::DUPLICATE`],
/// [`codes::INVALID_PARAMS`], and the service's own failures
/// [`codes::INTERNAL_ERROR`].
impl From<AuthServiceError> for RpcError {
    fn from(e: AuthServiceError) -> Self {
        let code = match e {
            AuthServiceError::NotFound(_) => codes::NOT_FOUND,
            AuthServiceError::Duplicate(_) => codes::DUPLICATE,
            AuthServiceError::Invalid(_) => codes::INVALID_PARAMS,
            AuthServiceError::Storage(_) | AuthServiceError::Serve(_) => codes::INTERNAL_ERROR,
        };
        RpcError::new(code, e.to_string())
    }
}

/// `Result` with [`AuthServiceError`].
pub type Result<T, E = AuthServiceError> = std::result::Result<T, E>;
