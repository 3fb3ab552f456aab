//! # venus-daemon
//!
//! What every venus-rs daemon does the same way, so each binary is a few
//! lines over its library:
//!
//! - [`init_tracing`]: one subscriber, `RUST_LOG` or a default level, on stderr;
//! - [`Repo`]: the repo directory (flag, then `$VENUS_<NAME>_PATH`, then
//!   `~/.venus-<name>`);
//! - [`config`]: TOML config with `#[serde(default)]`, precedence file →
//!   environment → flags;
//! - [`scoped`]: run a daemon's whole command with a token in place of the
//!   process's signals, so one process can run several daemons;
//! - [`Service`] and [`run_services`]: start several services, serve until
//!   Ctrl-C or SIGTERM (or until one ends), stop them all gracefully;
//! - [`RpcService`]: an API server as a service, leaving `api` and `token`
//!   files in the repo ([`repo_api_info`] reads them back for a CLI);
//! - [`exit`]: print a command's result, or the error and exit non-zero.
//!
//! ```no_run
//! use serde::{Deserialize, Serialize};
//! use venus_daemon::{config, Flags, Repo};
//!
//! #[derive(Debug, Default, Serialize, Deserialize)]
//! #[serde(default)]
//! struct Config {
//!     listen: String,
//! }
//!
//! # fn main() -> Result<(), venus_daemon::DaemonError> {
//! let repo = Repo::open("example", None)?; // ~/.venus-example
//! // config.toml, then VENUS_EXAMPLE_LISTEN, then --listen:
//! let flag: Option<String> = Some("127.0.0.1:1234".into());
//! let c: Config = config::load(&repo, Flags::new().set("listen", flag))?;
//! assert_eq!(c.listen, "127.0.0.1:1234");
//! # Ok(()) }
//! ```

pub mod config;
mod error;
mod repo;
mod rpc;
mod service;

pub use config::Flags;
pub use error::{DaemonError, Result};
pub use repo::Repo;
pub use rpc::{repo_api_info, RpcService};
pub use service::{run_services, Service, ServiceHandle};
/// The cancellation token services stop on.
pub use tokio_util::sync::CancellationToken;

/// Installs the process's tracing subscriber: `RUST_LOG` when set, else
/// `default` (e.g. `"info"`), written to stderr. Libraries only emit;
/// binaries call this once.
pub fn init_tracing(default: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

tokio::task_local! {
    static SCOPE: CancellationToken;
}

/// Runs `fut` (a daemon's whole command, say) with `stop` in place of the
/// process's signals: every [`Shutdown`] installed inside it (so every
/// [`run_services`]) ends when `stop` is cancelled, and ignores Ctrl-C and
/// SIGTERM, which belong to whoever holds `stop`. This is how one process
/// runs several daemons and stops them in its own order.
pub async fn scoped<F: std::future::Future>(stop: CancellationToken, fut: F) -> F::Output {
    SCOPE.scope(stop, fut).await
}

/// Whether this runs inside [`scoped`]: one daemon of several in a process,
/// whose stdout belongs to whoever runs them all.
pub fn in_scope() -> bool {
    SCOPE.try_with(|_| ()).is_ok()
}

/// The process's shutdown signals, listened to from the moment it is
/// installed: a signal that arrives before [`Shutdown::wait`] is polled is
/// not lost (and does not kill the process). Inside [`scoped`], the
/// scope's token instead.
pub struct Shutdown {
    inner: Signals,
}

enum Signals {
    /// Under [`scoped`]: fires once, when the token is cancelled.
    Scoped {
        token: CancellationToken,
        fired: bool,
    },
    #[cfg(unix)]
    Os {
        term: tokio::signal::unix::Signal,
        int: tokio::signal::unix::Signal,
    },
    #[cfg(not(unix))]
    Os,
}

impl Shutdown {
    /// Starts listening for Ctrl-C (SIGINT) and SIGTERM (or, inside
    /// [`scoped`], for the scope's token).
    pub fn install() -> Result<Self> {
        if let Ok(token) = SCOPE.try_with(|t| t.clone()) {
            return Ok(Shutdown {
                inner: Signals::Scoped {
                    token,
                    fired: false,
                },
            });
        }
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            Ok(Shutdown {
                inner: Signals::Os {
                    term: signal(SignalKind::terminate()).map_err(DaemonError::Signal)?,
                    int: signal(SignalKind::interrupt()).map_err(DaemonError::Signal)?,
                },
            })
        }
        #[cfg(not(unix))]
        {
            Ok(Shutdown { inner: Signals::Os })
        }
    }

    /// Whether this listens to a [`scoped`] token rather than the OS signals.
    pub fn is_scoped(&self) -> bool {
        matches!(self.inner, Signals::Scoped { .. })
    }

    /// Resolves on the first of them. A scope's token counts once: waiting
    /// again after it fired never resolves (there is no second signal).
    pub async fn wait(&mut self) -> Result<()> {
        match &mut self.inner {
            Signals::Scoped { fired: true, .. } => std::future::pending().await,
            Signals::Scoped { token, fired } => {
                token.cancelled().await;
                *fired = true;
                Ok(())
            }
            #[cfg(unix)]
            Signals::Os { term, int } => {
                tokio::select! {
                    _ = term.recv() => Ok(()),
                    _ = int.recv() => Ok(()),
                }
            }
            #[cfg(not(unix))]
            Signals::Os => tokio::signal::ctrl_c().await.map_err(DaemonError::Signal),
        }
    }
}

/// Resolves on Ctrl-C (SIGINT) or SIGTERM received from now on.
pub async fn shutdown_signal() -> Result<()> {
    Shutdown::install()?.wait().await
}

/// Ends a command: prints its output (pretty JSON; nothing for `null`) and
/// exits 0, or prints `error: …` on stderr and exits 1.
pub fn exit<E: std::fmt::Display>(result: std::result::Result<serde_json::Value, E>) -> ! {
    match result {
        Ok(serde_json::Value::Null) => std::process::exit(0),
        Ok(out) => {
            println!("{out:#}");
            std::process::exit(0)
        }
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1)
        }
    }
}
