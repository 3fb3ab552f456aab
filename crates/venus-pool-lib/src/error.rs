//! The pool's one error type.

use std::path::PathBuf;

/// What went wrong assembling or running the pool.
#[derive(Debug, thiserror::Error)]
pub enum PoolError {
    /// A bad option or an existing repo that does not match it.
    #[error("{0}")]
    Invalid(String),
    /// Reading or writing the repo.
    #[error("{what} {}: {source}", path.display())]
    Io {
        /// What was being done.
        what: &'static str,
        /// Where.
        path: PathBuf,
        /// Why it failed.
        source: std::io::Error,
    },
    /// Preparing the devnet (parameters, pre-seal, wallets, genesis).
    #[error("preparing the devnet: {0}")]
    Prepare(String),
    /// A component failed to start or stopped with an error.
    #[error("{name}: {reason}")]
    Component {
        /// The component (`node`, `f01000-wallet`, …).
        name: String,
        /// Why.
        reason: String,
    },
    /// Talking to the node while watching the chain.
    #[error("watching the chain: {0}")]
    Watch(String),
}

/// The pool's result type.
pub type Result<T> = std::result::Result<T, PoolError>;

impl PoolError {
    pub(crate) fn io(
        what: &'static str,
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.into();
        move |source| PoolError::Io { what, path, source }
    }
}
