//! The JSON-RPC server: HTTP POST and WebSocket on `/rpc/v0` and `/rpc/v1`.

mod dispatch;
mod http;
mod module;
mod ws;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::http::{HeaderMap, Uri};
use axum::routing::get;
use axum::Router;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

pub use module::RpcModule;

use crate::{AuthError, Claims, Error, Permission, RateLimiter, Result, TokenVerifier};

/// Server limits and settings. Every field has a sane default.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Largest request body or WebSocket message, in bytes (default 16 MiB).
    pub max_request_bytes: usize,
    /// Calls one connection may have in flight at once (default 64); a batch counts once
    /// and runs this many of its calls concurrently.
    pub max_in_flight_per_conn: usize,
    /// Messages queued for one WebSocket client (default 1024). Memory per
    /// connection is bounded by this queue and the socket buffers.
    pub ws_send_queue: usize,
    /// How long a channel may wait on a full queue before it is closed as
    /// too slow, with a logged reason (default 5 s).
    pub slow_consumer_grace: std::time::Duration,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            max_request_bytes: 16 << 20,
            max_in_flight_per_conn: 64,
            ws_send_queue: 1024,
            slow_consumer_grace: std::time::Duration::from_secs(5),
        }
    }
}

enum AuthMode {
    /// No verifier: tokenless callers read; tokens are refused.
    ReadOnly,
    /// Every caller is admin. For tests and trusted loopback only.
    AllowAll,
    Verify(Arc<dyn TokenVerifier>),
}

pub(crate) struct ServerState {
    pub module: RpcModule,
    pub limiter: Option<Arc<dyn RateLimiter>>,
    pub config: ServerConfig,
    auth: AuthMode,
    pub shutdown: CancellationToken,
}

impl ServerState {
    /// The caller's claims from `Authorization: Bearer …` or `?token=…`.
    pub(crate) async fn authenticate(
        &self,
        headers: &HeaderMap,
        uri: &Uri,
    ) -> Result<Claims, AuthError> {
        let token = bearer(headers).or_else(|| query_token(uri));
        match (&self.auth, token) {
            (AuthMode::AllowAll, _) => Ok(Claims {
                name: None,
                allow: Permission::ALL.to_vec(),
                rate_limit: None,
            }),
            (_, None) => Ok(Claims::anonymous()),
            (AuthMode::ReadOnly, Some(_)) => Err(AuthError::Invalid(
                "this server has no token verifier".into(),
            )),
            (AuthMode::Verify(v), Some(t)) => v.verify(&t).await,
        }
    }
}

fn bearer(headers: &HeaderMap) -> Option<String> {
    let value = headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_string())
}

fn query_token(uri: &Uri) -> Option<String> {
    url::form_urlencoded::parse(uri.query()?.as_bytes())
        .find(|(k, _)| k == "token")
        .map(|(_, v)| v.into_owned())
}

/// Builds an [`RpcServer`].
pub struct RpcServerBuilder {
    module: RpcModule,
    limiter: Option<Arc<dyn RateLimiter>>,
    config: ServerConfig,
    auth: AuthMode,
}

impl RpcServerBuilder {
    /// Verifies bearer tokens with `verifier`.
    pub fn verifier(mut self, verifier: Arc<dyn TokenVerifier>) -> Self {
        self.auth = AuthMode::Verify(verifier);
        self
    }

    /// Grants every caller every permission. Only for tests and trusted loopback daemons.
    pub fn insecure_allow_all(mut self) -> Self {
        self.auth = AuthMode::AllowAll;
        self
    }

    /// Enforces the request budgets that the verifier puts in [`Claims::rate_limit`].
    pub fn rate_limiter(mut self, limiter: Arc<dyn RateLimiter>) -> Self {
        self.limiter = Some(limiter);
        self
    }

    /// Replaces the limits.
    pub fn config(mut self, config: ServerConfig) -> Self {
        self.config = config;
        self
    }

    /// The server.
    pub fn build(self) -> RpcServer {
        RpcServer {
            state: Arc::new(ServerState {
                module: self.module,
                limiter: self.limiter,
                config: self.config,
                auth: self.auth,
                shutdown: CancellationToken::new(),
            }),
        }
    }
}

/// A JSON-RPC server for one [`RpcModule`].
pub struct RpcServer {
    state: Arc<ServerState>,
}

impl RpcServer {
    /// Starts building a server for `module`. Without a verifier, tokenless
    /// callers get read and any token is refused.
    pub fn builder(module: RpcModule) -> RpcServerBuilder {
        RpcServerBuilder {
            module,
            limiter: None,
            config: ServerConfig::default(),
            auth: AuthMode::ReadOnly,
        }
    }

    /// The axum router, to mount under another server.
    pub fn router(&self) -> Router {
        let path = get(ws::upgrade).post(http::handle);
        Router::new()
            .route("/rpc/v0", path.clone())
            .route("/rpc/v1", path)
            .layer(axum::extract::DefaultBodyLimit::disable())
            .with_state(self.state.clone())
    }

    /// Binds `addr` (use port 0 for any) and serves until [`ServerHandle::stop`].
    pub async fn start(self, addr: SocketAddr) -> Result<ServerHandle> {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|e| Error::Server(format!("binding {addr}: {e}")))?;
        let local_addr = listener
            .local_addr()
            .map_err(|e| Error::Server(e.to_string()))?;
        let shutdown = self.state.shutdown.clone();
        let app = self.router();
        let stop = shutdown.clone();
        let task = tokio::spawn(async move {
            let serve = axum::serve(listener, app)
                .with_graceful_shutdown(async move { stop.cancelled().await });
            if let Err(e) = serve.await {
                tracing::error!(target: "venus::rpc", error = %e, "server stopped with an error");
            }
        });
        tracing::info!(target: "venus::rpc", %local_addr, "JSON-RPC server listening");
        Ok(ServerHandle {
            local_addr,
            shutdown,
            task,
        })
    }
}

/// A running server.
pub struct ServerHandle {
    local_addr: SocketAddr,
    shutdown: CancellationToken,
    task: JoinHandle<()>,
}

impl ServerHandle {
    /// The bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// `http://addr/rpc/v1`.
    pub fn http_url(&self) -> String {
        format!("http://{}/rpc/v1", self.local_addr)
    }

    /// `ws://addr/rpc/v1`.
    pub fn ws_url(&self) -> String {
        format!("ws://{}/rpc/v1", self.local_addr)
    }

    /// Stops accepting, closes WebSocket connections (ending their channels)
    /// and waits for in-flight HTTP requests to finish.
    pub async fn stop(self) {
        self.shutdown.cancel();
        let _ = self.task.await;
    }
}
