//! Permissions: read < write < sign < admin, as Lotus names them.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A permission a method requires and a token grants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Permission {
    /// Read chain and state.
    Read,
    /// Change state: push messages, submit blocks.
    Write,
    /// Use keys: sign.
    Sign,
    /// Administer the daemon.
    Admin,
}

impl Permission {
    /// Every permission, lowest first.
    pub const ALL: [Permission; 4] = [Self::Read, Self::Write, Self::Sign, Self::Admin];

    /// The permission and every one below it, as Lotus's `AuthNew` grants them.
    pub fn and_below(self) -> Vec<Permission> {
        Self::ALL.into_iter().filter(|p| *p <= self).collect()
    }

    /// The lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Write => "write",
            Self::Sign => "sign",
            Self::Admin => "admin",
        }
    }
}

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Permission {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|p| p.as_str() == s)
            .ok_or_else(|| format!("unknown permission {s:?} (read, write, sign or admin)"))
    }
}

/// Who is calling and what they may do, as a [`TokenVerifier`](crate::TokenVerifier) found it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Claims {
    /// The caller's name, if the token carries one (our tokens and venus-auth's do).
    pub name: Option<String>,
    /// The permissions granted. Lotus checks membership, not order.
    pub allow: Vec<Permission>,
    /// The caller's request budget, if the verifier knows one; the server
    /// enforces it with its [`RateLimiter`](crate::RateLimiter).
    pub rate_limit: Option<RateLimit>,
}

/// A request budget: at most `requests` per `window_ms` milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RateLimit {
    /// Requests allowed per window.
    pub requests: u64,
    /// Window length in milliseconds.
    pub window_ms: u64,
}

impl Claims {
    /// What a caller without a token gets: read, as in Lotus.
    pub fn anonymous() -> Self {
        Claims {
            name: None,
            allow: vec![Permission::Read],
            rate_limit: None,
        }
    }

    /// Whether the claims include `perm`.
    pub fn has(&self, perm: Permission) -> bool {
        self.allow.contains(&perm)
    }
}
