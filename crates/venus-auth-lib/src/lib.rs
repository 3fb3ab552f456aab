//! # venus-auth-lib
//!
//! One auth service for every shared daemon of a pool: users, the miners and
//! signer addresses they own, per-user rate limits, and tokens that can be
//! revoked. Storage is SQLite (default) or MySQL through one SQL code path.
//!
//! Any venus-rpc server is protected by putting a [`rpc::RemoteVerifier`]
//! (or an in-process [`AuthService`]) in front of it as its `TokenVerifier`,
//! and a rate limiter (`venus_rpc::LocalRateLimiter`, or
//! `RedisRateLimiter` to share budgets across processes) behind it.
//!
//! The auth API (its methods, the [`model`] types, `AuthClient` and
//! `RemoteVerifier`) is declared in `venus_api::auth` and re-exported here:
//! a daemon that only verifies tokens depends on `venus-api`, not on this
//! crate and its storage. A refusal reaches the caller with its code
//! (not found, duplicate, invalid), never as bare words.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> venus_auth_lib::Result<()> {
//! use std::sync::Arc;
//! use venus_auth_lib::{AuthService, CacheConfig, SqlStore};
//! use venus_rpc::{Permission, TokenVerifier};
//!
//! let store = SqlStore::connect("sqlite::memory:").await?;
//! let auth = AuthService::new(Arc::new(store), b"secret", CacheConfig::default());
//! auth.create_user("alice", "miner f01000").await?;
//! let token = auth.create_token("alice", Permission::Write).await?;
//! assert!(auth.verify(&token).await.unwrap().has(Permission::Write));
//! auth.revoke(&token).await?;
//! assert!(auth.verify(&token).await.is_err());
//! # Ok(()) }
//! ```
//!
//! ## Feature flags
//! - `sqlite` (default): SQLite storage.
//! - `mysql`: MySQL/MariaDB storage.
//! - `redis`: `RedisRateLimiter`.
//! - `cli`: the `venus-auth` command line.

#[cfg(feature = "cli")]
pub mod cli;
mod error;
pub mod model;
#[cfg(feature = "redis")]
mod redis_limiter;
pub mod rpc;
mod service;
pub mod store;

pub use error::{AuthServiceError, Result};
pub use model::{Miner, TokenInfo, User, UserRateLimit};
#[cfg(feature = "redis")]
pub use redis_limiter::RedisRateLimiter;
pub use service::{AuthService, CacheConfig};
pub use store::{AuthStore, Backend, RegistryStore, SqlStore, TokenStore, UserStore, MIGRATIONS};
