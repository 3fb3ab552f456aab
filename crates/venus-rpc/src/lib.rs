//! # venus-rpc
//!
//! The JSON-RPC wire format of Lotus, for every venus-rs daemon: a server
//! (HTTP POST and WebSocket on `/rpc/v0` and `/rpc/v1`) and a typed client,
//! with go-jsonrpc's channels, Bearer JWT permissions and Lotus's error codes.
//!
//! ```no_run
//! use venus_rpc::{rpc_method, NoParams, RpcClient, RpcModule, RpcServer};
//!
//! rpc_method! {
//!     /// Says hello.
//!     pub Hello = "Venus.Hello", read, idempotent, (String,) => String
//! }
//!
//! # async fn demo() -> venus_rpc::Result<()> {
//! let mut module = RpcModule::new();
//! module.register::<Hello, _, _>(|_claims, (name,)| async move { Ok(format!("hello {name}")) });
//! let server = RpcServer::builder(module).build().start("127.0.0.1:0".parse().unwrap()).await?;
//!
//! let client = RpcClient::connect(&server.http_url()).await?;
//! assert_eq!(client.call::<Hello>(("pool".into(),)).await?, "hello pool");
//! # Ok(()) }
//! ```
//!
//! ## Declaring an API
//! A method is declared once with [`rpc_method!`] (or [`channel_method!`]):
//! name, permission, positional params and result. The same type drives
//! [`RpcModule::register`] on the server and [`RpcClient::call`] on the
//! client, so the two cannot drift apart. The daemons' APIs (Lotus full
//! node, wallet, auth) are declared in `venus-api`; this crate is the wire only.
//!
//! ## Errors keep their kind
//! A handler returns `Result<_, RpcError>` and uses `?` on its crate's error
//! enum, which converts into an [`RpcError`] with a code of [`codes`] per
//! kind (not found, duplicate, locked, …), so a client tells the kinds apart
//! by code, never by the words of the message.
//!
//! ## What is written here and why
//! HTTP and WebSocket come from `axum` (server), `reqwest` and
//! `tokio-tungstenite` (client); JWTs from `jsonwebtoken`. The JSON-RPC layer
//! itself is written here because go-jsonrpc departs from what jsonrpsee
//! implements: channels are a result id followed by `xrpc.ch.val` /
//! `xrpc.ch.close` notifications and cancelled with `xrpc.cancel` (jsonrpsee
//! has its own subscription protocol), method errors use code 1, params are
//! always positional, and a permission failure is a JSON-RPC error while a bad
//! token is HTTP 401. It is about 600 lines: framing, dispatch, channels.
//!
//! ## Auth
//! `Authorization: Bearer <jwt>` or `?token=`. No token gets read, as in
//! Lotus; a token the [`TokenVerifier`] refuses gets HTTP 401; a method
//! needing a permission the token lacks gets `missing permission to invoke
//! '<method>' (need '<perm>')`.

mod auth;
mod client;
mod error;
mod method;
mod perm;
mod ratelimit;
mod secret;
mod server;
mod wire;

pub use auth::{AuthError, Hs256Verifier, JwtPayload, LocalThen, TokenVerifier};
pub use client::{redact_api_info, ClientConfig, Endpoint, RpcClient, Subscription};
pub use error::{codes, Error, Result, RpcError};
pub use method::{ChannelMethod, NoParams, RpcMethod};
pub use perm::{Claims, Permission, RateLimit};
pub use ratelimit::{window_of, LocalRateLimiter, RateLimitError, RateLimiter};
pub use secret::{load_or_create_secret, MIN_SECRET_BYTES};
pub use server::{
    Anonymous, MetricsFn, RpcModule, RpcServer, RpcServerBuilder, ServerConfig, ServerHandle,
};
