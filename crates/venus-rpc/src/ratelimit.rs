//! Per-caller request budgets, enforced by the server before each call.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use async_trait::async_trait;

use crate::RateLimit;

/// Why a request was not admitted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RateLimitError {
    /// The caller used up its budget for this window.
    #[error(
        "rate limit exceeded: {requests} requests per {window_ms} ms; retry in {retry_after_ms} ms"
    )]
    Exceeded {
        /// The budget.
        requests: u64,
        /// The window.
        window_ms: u64,
        /// Until the next window.
        retry_after_ms: u64,
    },
    /// The shared counter could not be reached and the limiter is set to refuse.
    #[error("rate limiter unavailable: {0}")]
    Unavailable(String),
}

/// Counts requests per caller in fixed windows.
///
/// Contract: `admit` counts the request when it admits it; it is cancel-safe
/// only in that a dropped call may or may not have been counted.
#[async_trait]
pub trait RateLimiter: Send + Sync {
    /// Counts one request of `user` against `limit`.
    async fn admit(&self, user: &str, limit: RateLimit) -> Result<(), RateLimitError>;
}

/// The current fixed window of `limit` and the milliseconds left in it.
pub fn window_of(limit: RateLimit) -> (u64, u64) {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0);
    let w = limit.window_ms.max(1);
    (now / w, w - now % w)
}

/// An in-process limiter: budgets hold per server process.
#[derive(Default)]
pub struct LocalRateLimiter {
    windows: Mutex<HashMap<String, (u64, u64)>>,
}

impl LocalRateLimiter {
    /// A limiter with no history.
    pub fn new() -> Self {
        Self::default()
    }
}

#[async_trait]
impl RateLimiter for LocalRateLimiter {
    async fn admit(&self, user: &str, limit: RateLimit) -> Result<(), RateLimitError> {
        let (window, left) = window_of(limit);
        let mut map = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        let entry = map.entry(user.to_string()).or_insert((window, 0));
        if entry.0 != window {
            *entry = (window, 0);
        }
        if entry.1 >= limit.requests {
            return Err(RateLimitError::Exceeded {
                requests: limit.requests,
                window_ms: limit.window_ms,
                retry_after_ms: left,
            });
        }
        entry.1 += 1;
        Ok(())
    }
}
