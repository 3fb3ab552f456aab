//! [`Service`]: one thing a process runs (an API server, a loop), started
//! with a cancellation token and stopped through its handle, so one
//! process can run several and the pool assembly can start them all.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;

use async_trait::async_trait;
use tokio_util::sync::CancellationToken;

use crate::{DaemonError, Result};

/// What stops a running service and reports how it ended.
type Stop = Pin<Box<dyn Future<Output = Result<()>> + Send>>;

/// A running service.
pub struct ServiceHandle {
    name: String,
    addr: Option<SocketAddr>,
    cancel: CancellationToken,
    done: Stop,
}

impl std::fmt::Debug for ServiceHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceHandle")
            .field("name", &self.name)
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl ServiceHandle {
    /// A handle over `done`, which must finish once `cancel` is cancelled
    /// (or earlier, if the service ends by itself).
    pub fn new(
        name: impl Into<String>,
        cancel: CancellationToken,
        done: impl Future<Output = Result<()>> + Send + 'static,
    ) -> Self {
        ServiceHandle {
            name: name.into(),
            addr: None,
            cancel,
            done: Box::pin(done),
        }
    }

    /// Records the address the service listens on.
    pub fn with_addr(mut self, addr: SocketAddr) -> Self {
        self.addr = Some(addr);
        self
    }

    /// The service's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Where it listens, if it does.
    pub fn addr(&self) -> Option<SocketAddr> {
        self.addr
    }

    /// Asks it to stop and waits until it has.
    pub async fn stop(self) -> Result<()> {
        self.cancel.cancel();
        self.done.await
    }

    /// Waits until it ends by itself (or is cancelled elsewhere).
    pub async fn wait(self) -> Result<()> {
        self.done.await
    }
}

/// Something a daemon runs.
#[async_trait]
pub trait Service: Send {
    /// A short name for logs and errors.
    fn name(&self) -> &str;

    /// Starts the service; it runs until `cancel` is cancelled.
    async fn start(self: Box<Self>, cancel: CancellationToken) -> Result<ServiceHandle>;
}

/// Starts every service in order (stopping those already started if one
/// fails), then waits until Ctrl-C or SIGTERM, or until one service ends,
/// and stops them all in reverse order. Returns the first error.
pub async fn run_services(services: Vec<Box<dyn Service>>) -> Result<()> {
    // Listening before anything starts: a SIGTERM sent as soon as a service
    // announces itself is a graceful stop, not the default kill.
    let mut signals = crate::Shutdown::install()?;
    let root = CancellationToken::new();
    let mut running: Vec<ServiceHandle> = Vec::new();
    for s in services {
        let name = s.name().to_string();
        match s.start(root.child_token()).await {
            Ok(h) => {
                tracing::info!(target: "venus::daemon", service = %name, addr = ?h.addr(), "started");
                running.push(h);
            }
            Err(e) => {
                stop_all(running).await;
                return Err(e);
            }
        }
    }
    // Each service's own end, watched without consuming the handles.
    let ended = CancellationToken::new();
    let mut watched = Vec::new();
    for h in running {
        let ended = ended.clone();
        let name = h.name.clone();
        let cancel = h.cancel.clone();
        let asked = h.cancel.clone();
        let task = tokio::spawn(async move {
            let r = h.done.await;
            ended.cancel();
            match r {
                // Ending unasked is a failure (a supervisor restarts on it).
                Ok(()) if !asked.is_cancelled() => Err(DaemonError::Service {
                    name: h.name,
                    reason: "ended by itself".into(),
                }),
                other => other,
            }
        });
        watched.push((name, cancel, task));
    }
    tokio::select! {
        r = signals.wait() => {
            r?;
            tracing::info!(target: "venus::daemon", "shutting down");
        }
        () = ended.cancelled() => {
            tracing::warn!(target: "venus::daemon", "a service ended; stopping the others");
        }
    }
    root.cancel();
    // A second signal while stopping: give up waiting. (Under `scoped`
    // there is no second signal: the scope's owner decides.)
    if !signals.is_scoped() {
        tokio::spawn(async move {
            if signals.wait().await.is_ok() {
                eprintln!("second shutdown signal: exiting without waiting for the services");
                std::process::exit(1);
            }
        });
    }
    let mut first = None;
    for (name, cancel, task) in watched.into_iter().rev() {
        cancel.cancel();
        let r = match task.await {
            Ok(r) => r,
            Err(e) => Err(DaemonError::Service {
                name: name.clone(),
                reason: format!("panicked: {e}"),
            }),
        };
        if let Err(e) = r {
            tracing::error!(target: "venus::daemon", service = %name, error = %e, "stopped with an error");
            first.get_or_insert(e);
        }
    }
    first.map_or(Ok(()), Err)
}

async fn stop_all(running: Vec<ServiceHandle>) {
    for h in running.into_iter().rev() {
        let name = h.name.clone();
        if let Err(e) = h.stop().await {
            tracing::error!(target: "venus::daemon", service = %name, error = %e, "stopped with an error");
        }
    }
}
