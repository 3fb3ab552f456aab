//! The auth daemon's API: its methods, the registry's types, [`AuthClient`],
//! and [`RemoteVerifier`], a `TokenVerifier` for any daemon of the pool that
//! asks the auth daemon.
//!
//! A refusal arrives with its code: [`codes::NOT_FOUND`](venus_rpc::codes::NOT_FOUND),
//! [`codes::DUPLICATE`](venus_rpc::codes::DUPLICATE),
//! [`codes::INVALID_PARAMS`](venus_rpc::codes::INVALID_PARAMS), and for
//! `Venus.AuthVerify` [`codes::TOKEN_REFUSED`](venus_rpc::codes::TOKEN_REFUSED);
//! [`AuthClient`] returns it as the matching [`Error`](crate::Error) kind.

mod cache;
mod client;
mod model;
mod verifier;

pub use cache::{CacheConfig, VerifyCache};
pub use client::AuthClient;
pub use model::{Miner, TokenInfo, User, UserRateLimit};
pub use verifier::RemoteVerifier;

use serde::{Deserialize, Serialize};
use venus_rpc::{rpc_method, NoParams, Permission, RateLimit};

/// What a token grants, as `Venus.AuthVerify` answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifiedClaims {
    /// The user.
    pub name: Option<String>,
    /// The permissions.
    pub allow: Vec<Permission>,
    /// The user's budget.
    pub rate_limit: Option<RateLimit>,
}

rpc_method! { /// Verifies a token: the one method a caller without a token may call (rate-limited per address).
pub AuthVerify = "Venus.AuthVerify", read, idempotent, (String,) => VerifiedClaims }
rpc_method! { /// Issues a token for a user with a permission.
pub AuthCreateToken = "Venus.AuthCreateToken", admin, (String, Permission) => String }
rpc_method! { /// Revokes a token (JWT or id).
pub AuthRevokeToken = "Venus.AuthRevokeToken", admin, (String,) => () }
rpc_method! { /// Lists tokens, of one user or all.
pub AuthListTokens = "Venus.AuthListTokens", admin, idempotent, (Option<String>,) => Vec<TokenInfo> }
rpc_method! { /// Creates a user: (name, comment).
pub AuthCreateUser = "Venus.AuthCreateUser", admin, (String, String) => User }
rpc_method! { /// A user by name.
pub AuthGetUser = "Venus.AuthGetUser", read, idempotent, (String,) => Option<User> }
rpc_method! { /// All users.
pub AuthListUsers = "Venus.AuthListUsers", read, idempotent, NoParams => Vec<User> }
rpc_method! { /// Enables or disables a user.
pub AuthSetUserEnabled = "Venus.AuthSetUserEnabled", admin, (String, bool) => () }
rpc_method! { /// Deletes a user and what is bound to it.
pub AuthDeleteUser = "Venus.AuthDeleteUser", admin, (String,) => () }
rpc_method! { /// Adds or moves a miner.
pub AuthPutMiner = "Venus.AuthPutMiner", admin, (Miner,) => () }
rpc_method! { /// Miners, of one user or all.
pub AuthListMiners = "Venus.AuthListMiners", read, idempotent, (Option<String>,) => Vec<Miner> }
rpc_method! { /// Removes a miner.
pub AuthDeleteMiner = "Venus.AuthDeleteMiner", admin, (String,) => () }
rpc_method! { /// Binds a signer address to a user: (address, user).
pub AuthBindSigner = "Venus.AuthBindSigner", admin, (String, String) => () }
rpc_method! { /// Unbinds it.
pub AuthUnbindSigner = "Venus.AuthUnbindSigner", admin, (String, String) => () }
rpc_method! { /// Signer bindings (address, user), filtered by user and/or address.
pub AuthListSigners = "Venus.AuthListSigners", read, idempotent, (Option<String>, Option<String>) => Vec<(String, String)> }
rpc_method! { /// Sets or clears a user's rate limit.
pub AuthSetRateLimit = "Venus.AuthSetRateLimit", admin, (String, Option<UserRateLimit>) => () }
rpc_method! { /// A user's rate limit.
pub AuthGetRateLimit = "Venus.AuthGetRateLimit", read, idempotent, (String,) => Option<UserRateLimit> }
