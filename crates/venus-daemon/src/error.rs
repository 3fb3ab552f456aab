//! The one error type of `venus-daemon`.

use std::path::PathBuf;

/// What can go wrong setting a daemon up or running it.
#[derive(Debug, thiserror::Error)]
pub enum DaemonError {
    /// The repo directory or a file in it.
    #[error("{what} {}: {source}", path.display())]
    Io {
        /// What was being done.
        what: &'static str,
        /// The path.
        path: PathBuf,
        /// Why it failed.
        source: std::io::Error,
    },
    /// The config file, an environment variable or a flag holds a bad value.
    #[error("config: {0}")]
    Config(String),
    /// A service failed to start or stopped with an error.
    #[error("service {name}: {reason}")]
    Service {
        /// The service.
        name: String,
        /// Why.
        reason: String,
    },
    /// Waiting for a signal failed.
    #[error("waiting for a shutdown signal: {0}")]
    Signal(std::io::Error),
}

/// `Result` with [`DaemonError`].
pub type Result<T, E = DaemonError> = std::result::Result<T, E>;
