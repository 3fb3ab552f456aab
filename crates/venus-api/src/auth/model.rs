//! What the auth service knows: users, tokens, miners, signers, rate limits.

use serde::{Deserialize, Serialize};
use venus_rpc::{Permission, RateLimit};

/// A pool member.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// Unique name; tokens carry it.
    pub name: String,
    /// Free text.
    pub comment: String,
    /// A disabled user's tokens are refused at their next use.
    pub enabled: bool,
    /// Seconds since the Unix epoch.
    pub created_at: i64,
}

/// An issued token (the JWT itself is not stored).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenInfo {
    /// The token id (`jti`).
    pub id: String,
    /// Its user.
    pub user: String,
    /// The highest permission it grants (and every one below).
    pub perm: Permission,
    /// Seconds since the Unix epoch.
    pub created_at: i64,
    /// Revoked tokens are refused.
    pub revoked: bool,
}

/// A miner actor, owned by exactly one user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Miner {
    /// The miner's address.
    pub address: String,
    /// Its owner.
    pub user: String,
    /// Whether the pool mines for it.
    pub open_mining: bool,
}

/// A user's request budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserRateLimit {
    /// Requests per window.
    pub requests: u64,
    /// Window in milliseconds.
    pub window_ms: u64,
}

impl From<UserRateLimit> for RateLimit {
    fn from(l: UserRateLimit) -> Self {
        RateLimit {
            requests: l.requests,
            window_ms: l.window_ms,
        }
    }
}
