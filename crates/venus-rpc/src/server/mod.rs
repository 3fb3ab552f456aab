//! The JSON-RPC server: HTTP POST and WebSocket on `/rpc/v0` and `/rpc/v1`.

mod dispatch;
mod http;
mod module;
mod ws;

use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::AtomicUsize;
use std::sync::Arc;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Uri};
use axum::routing::get;
use axum::Router;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

pub use module::RpcModule;

use crate::{
    AuthError, Claims, Error, LocalRateLimiter, Permission, RateLimiter, Result, TokenVerifier,
};

/// Server limits and settings. Every field has a sane default; see
/// [`ServerConfig::daemon`] for what a daemon exposed to a network should use.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Largest request body or WebSocket message, in bytes (default 2 MiB).
    ///
    /// The largest legitimate calls of the wallet and auth daemons are far
    /// below it: a `WalletSign` of a 64 KiB message (Lotus's message size
    /// cap) with its `MsgMeta` is under 200 KiB of JSON. A chain node serving
    /// `MinerCreateBlock` needs more: a full block's messages are at most
    /// 10 G gas / 1,300 gas per byte ≈ 7.7 MB of CBOR, about 12 MiB as
    /// base64 JSON, so a node should set 16 MiB.
    pub max_request_bytes: usize,
    /// Most requests in one batch (default 100). A larger batch is refused
    /// with one error before any of its items is parsed.
    pub max_batch_items: usize,
    /// Largest reply, in bytes (default 32 MiB): a single response over it is
    /// replaced by an error for its id, and in a batch every reply that would
    /// take the total past it is (so a batch reply may pass it by one short
    /// error per item). Every call of a batch runs to its end.
    pub max_response_bytes: usize,
    /// Calls one connection may have in flight at once (default 64); a batch counts once
    /// and runs this many of its calls concurrently.
    pub max_in_flight_per_conn: usize,
    /// Channels (subscriptions) one WebSocket connection may hold open (default 64).
    pub max_channels_per_conn: usize,
    /// Channels open on the whole server (default 4,096); callers without a
    /// token may hold at most half of them.
    pub max_channels: usize,
    /// Messages queued for one WebSocket client (default 1024). Memory per
    /// connection is bounded by this queue and the socket buffers.
    pub ws_send_queue: usize,
    /// How long a channel may wait on a full queue before it is closed as
    /// too slow, with a logged reason (default 5 s).
    pub slow_consumer_grace: std::time::Duration,
    /// How often an open WebSocket re-checks its token (default 5 s): a
    /// revoked or expired token's connection is then closed with its
    /// channels even when it makes no calls. Every call re-checks the token
    /// too. A verifier that cannot answer (auth service down) closes nothing.
    pub ws_reverify_interval: std::time::Duration,
    /// Budget of a caller without a token, counted per client address (an
    /// IPv6 client per /64). Behind a reverse proxy every anonymous caller
    /// has the proxy's address and shares one budget. `None` (the library default) counts nothing;
    /// [`ServerConfig::daemon`] sets 100 requests a second.
    pub anonymous_rate_limit: Option<crate::RateLimit>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            max_request_bytes: 2 << 20,
            max_batch_items: 100,
            max_response_bytes: 32 << 20,
            max_in_flight_per_conn: 64,
            max_channels_per_conn: 64,
            max_channels: 4096,
            ws_send_queue: 1024,
            slow_consumer_grace: std::time::Duration::from_secs(5),
            ws_reverify_interval: std::time::Duration::from_secs(5),
            anonymous_rate_limit: None,
        }
    }
}

impl ServerConfig {
    /// The defaults, with anonymous callers limited to 100 requests a second
    /// per client address: what the venus-rs daemons run with.
    pub fn daemon() -> Self {
        ServerConfig {
            anonymous_rate_limit: Some(crate::RateLimit {
                requests: 100,
                window_ms: 1000,
            }),
            ..Self::default()
        }
    }
}

/// What a caller without a token may call.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Anonymous {
    /// Every method that needs only `read`, as Lotus allows (the default).
    #[default]
    Read,
    /// Only these methods, whatever permission they declare (for example
    /// `Venus.AuthVerify` on the auth daemon). An empty list allows nothing.
    Only(Vec<String>),
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
    /// Methods whose `/rpc/v0` shape differs: served there instead.
    v0: RpcModule,
    pub limiter: Option<Arc<dyn RateLimiter>>,
    pub config: ServerConfig,
    auth: AuthMode,
    anonymous: Anonymous,
    pub shutdown: CancellationToken,
    /// Channels open on the server, against `config.max_channels`.
    pub channels: AtomicUsize,
    /// What `GET /metrics` answers, if anything.
    metrics: Option<MetricsFn>,
}

/// Renders a daemon's metrics in Prometheus's text format.
pub type MetricsFn = Arc<dyn Fn() -> String + Send + Sync>;

async fn metrics(
    axum::extract::State(state): axum::extract::State<Arc<ServerState>>,
) -> impl axum::response::IntoResponse {
    let body = state.metrics.as_ref().map(|f| f()).unwrap_or_default();
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        body,
    )
}

/// Who sent a request: the claims its token gave (checked again for every
/// call on a WebSocket), whether it had no token, and where it came from.
#[derive(Debug, Clone)]
pub(crate) struct Caller {
    pub claims: Claims,
    pub anonymous: bool,
    pub peer: Option<IpAddr>,
    /// The call came on `/rpc/v0`.
    pub v0: bool,
}

impl ServerState {
    /// The bearer token of a request: `Authorization: Bearer …` or `?token=…`.
    pub(crate) fn token(headers: &HeaderMap, uri: &Uri) -> Option<String> {
        bearer(headers).or_else(|| query_token(uri))
    }

    /// The caller behind `token` (none: anonymous).
    pub(crate) async fn authenticate(
        &self,
        token: Option<&str>,
        peer: Option<IpAddr>,
        v0: bool,
    ) -> Result<Caller, AuthError> {
        let claims = match (&self.auth, token) {
            (AuthMode::AllowAll, _) => Claims {
                name: None,
                allow: Permission::ALL.to_vec(),
                rate_limit: None,
            },
            (_, None) => Claims::anonymous(),
            (AuthMode::ReadOnly, Some(_)) => {
                return Err(AuthError::Invalid(
                    "this server has no token verifier".into(),
                ))
            }
            (AuthMode::Verify(v), Some(t)) => v.verify(t).await?,
        };
        let anonymous = token.is_none() && !matches!(self.auth, AuthMode::AllowAll);
        Ok(Caller {
            claims,
            anonymous,
            peer,
            v0,
        })
    }

    /// The method `name` as `caller`'s path serves it: on `/rpc/v0`, the
    /// v0 module's where it has one.
    pub(crate) fn method(&self, caller: &Caller, name: &str) -> Option<Arc<module::Entry>> {
        caller
            .v0
            .then(|| self.v0.get(name))
            .flatten()
            .or_else(|| self.module.get(name))
    }

    /// Whether `caller` may call `method`, which needs `perm`.
    pub(crate) fn allows(&self, caller: &Caller, method: &str, perm: Permission) -> bool {
        match (&self.anonymous, caller.anonymous) {
            (Anonymous::Only(methods), true) => methods.iter().any(|m| m == method),
            _ => caller.claims.has(perm),
        }
    }
}

/// The client's address, when the server was started with connection info.
pub(crate) struct Peer(pub Option<IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for Peer {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Peer(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|c| c.0.ip()),
        ))
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
    v0: RpcModule,
    limiter: Option<Arc<dyn RateLimiter>>,
    config: ServerConfig,
    auth: AuthMode,
    anonymous: Anonymous,
    metrics: Option<MetricsFn>,
}

impl RpcServerBuilder {
    /// Serves `GET /metrics` (Prometheus's text format, rendered by
    /// `render` at each scrape; no token needed, as scrapers send none).
    pub fn metrics(mut self, render: MetricsFn) -> Self {
        self.metrics = Some(render);
        self
    }

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

    /// What callers without a token may call (default: [`Anonymous::Read`]).
    pub fn anonymous(mut self, anonymous: Anonymous) -> Self {
        self.anonymous = anonymous;
        self
    }

    /// Enforces the request budgets that the verifier puts in
    /// [`Claims::rate_limit`], and [`ServerConfig::anonymous_rate_limit`].
    /// Without one, an in-process [`LocalRateLimiter`] counts anonymous calls.
    pub fn rate_limiter(mut self, limiter: Arc<dyn RateLimiter>) -> Self {
        self.limiter = Some(limiter);
        self
    }

    /// Methods served on `/rpc/v0` in place of the main module's, for an
    /// API whose version 0 differs in a few shapes (Lotus's v0 full-node
    /// API: `StateWaitMsg` without a limit, say). Every other method is
    /// the same on both paths.
    pub fn v0(mut self, module: RpcModule) -> Self {
        self.v0 = module;
        self
    }

    /// Replaces the limits.
    pub fn config(mut self, config: ServerConfig) -> Self {
        self.config = config;
        self
    }

    /// The server.
    pub fn build(self) -> RpcServer {
        let limiter = self.limiter.or_else(|| {
            self.config
                .anonymous_rate_limit
                .map(|_| Arc::new(LocalRateLimiter::new()) as Arc<dyn RateLimiter>)
        });
        RpcServer {
            state: Arc::new(ServerState {
                module: self.module,
                v0: self.v0,
                limiter,
                config: self.config,
                auth: self.auth,
                anonymous: self.anonymous,
                shutdown: CancellationToken::new(),
                channels: AtomicUsize::new(0),
                metrics: self.metrics,
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
            v0: RpcModule::new(),
            limiter: None,
            config: ServerConfig::default(),
            auth: AuthMode::ReadOnly,
            anonymous: Anonymous::Read,
            metrics: None,
        }
    }

    /// The axum router, to mount under another server. Serve it with
    /// `into_make_service_with_connect_info::<SocketAddr>()` so that
    /// anonymous callers are rate-limited by address; without connection
    /// info they are not limited.
    pub fn router(&self) -> Router {
        let path = get(ws::upgrade).post(http::handle);
        let mut router = Router::new()
            .route("/rpc/v0", path.clone())
            .route("/rpc/v1", path);
        if self.state.metrics.is_some() {
            router = router.route("/metrics", get(metrics));
        }
        router
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
            let app = app.into_make_service_with_connect_info::<SocketAddr>();
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
