//! [`RpcService`]: a daemon's API server as a [`Service`], leaving the
//! repo's `api` and `token` files as Lotus's tools read them.

use std::net::SocketAddr;

use async_trait::async_trait;
use tokio_util::sync::CancellationToken;
use venus_rpc::{Endpoint, RpcServer};

use crate::{DaemonError, Repo, Result, Service, ServiceHandle};

/// Serves an RPC server on `listen` until cancelled. Once listening it
/// writes the repo's `api` (the multiaddr) and `token` (the given admin
/// token) files and prints `<ENV>=<token>:<multiaddr>`, the API info its
/// clients take (`MINER_API_INFO=…`). Inside [`crate::scoped`] (one daemon
/// of several in a process) it prints nothing: the process's stdout is
/// its runner's, and the repo's files say the same.
pub struct RpcService {
    name: String,
    server: RpcServer,
    listen: SocketAddr,
    repo: Repo,
    token: String,
    env: String,
}

impl RpcService {
    /// `server` as service `name`, on `listen`, announcing itself in
    /// `repo` with `token` and as `env` (e.g. `MINER_API_INFO`).
    pub fn new(
        name: impl Into<String>,
        server: RpcServer,
        listen: SocketAddr,
        repo: Repo,
        token: String,
        env: impl Into<String>,
    ) -> Self {
        RpcService {
            name: name.into(),
            server,
            listen,
            repo,
            token,
            env: env.into(),
        }
    }
}

#[async_trait]
impl Service for RpcService {
    fn name(&self) -> &str {
        &self.name
    }

    async fn start(self: Box<Self>, cancel: CancellationToken) -> Result<ServiceHandle> {
        let name = self.name.clone();
        let failed = |reason: String| DaemonError::Service {
            name: name.clone(),
            reason,
        };
        let server = self
            .server
            .start(self.listen)
            .await
            .map_err(|e| failed(format!("listening on {}: {e}", self.listen)))?;
        let addr = server.local_addr();
        let family = if addr.is_ipv6() { "ip6" } else { "ip4" };
        let maddr = format!("/{family}/{}/tcp/{}/http", addr.ip(), addr.port());
        // `token` first: a watcher takes `api` appearing as "serving".
        self.repo.write_private("token", self.token.as_bytes())?;
        self.repo.write_private("api", maddr.as_bytes())?;
        let info = Endpoint::new(format!("http://{addr}/rpc/v1"), Some(self.token.clone()))
            .to_api_info()
            .map_err(|e| failed(e.to_string()))?;
        if crate::in_scope() {
            tracing::info!(target: "venus::daemon", service = %self.name, %addr, "serving; its API info is in {}", self.repo.dir().display());
        } else {
            println!("{}={info}", self.env);
        }
        let stopped = cancel.clone();
        let done = async move {
            stopped.cancelled().await;
            server.stop().await;
            Ok(())
        };
        Ok(ServiceHandle::new(self.name, cancel, done).with_addr(addr))
    }
}

/// The API info of the daemon whose repo is `repo` (its `api` and
/// `token` files), for its CLI's client commands.
pub fn repo_api_info(repo: &Repo) -> Result<String> {
    let read = |file: &str| {
        std::fs::read_to_string(repo.path(file))
            .map(|s| s.trim().to_string())
            .map_err(|source| DaemonError::Io {
                what: "reading the API info (is the daemon running?)",
                path: repo.path(file),
                source,
            })
    };
    Ok(format!("{}:{}", read("token")?, read("api")?))
}
