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
///
/// Its memory is bounded by the callers of the current windows: counters of
/// past windows are dropped whenever the map has doubled since the last
/// sweep, so callers that come and go (anonymous addresses) cannot grow it.
#[derive(Default)]
pub struct LocalRateLimiter {
    windows: Mutex<Windows>,
}

#[derive(Default)]
struct Windows {
    /// Caller → (window length, window number, count).
    map: HashMap<String, (u64, u64, u64)>,
    /// Size after the last sweep.
    swept: usize,
}

impl LocalRateLimiter {
    /// A limiter with no history.
    pub fn new() -> Self {
        Self::default()
    }

    /// Callers with a counter held (for tests and metrics).
    pub fn tracked(&self) -> usize {
        self.windows
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .map
            .len()
    }
}

#[async_trait]
impl RateLimiter for LocalRateLimiter {
    async fn admit(&self, user: &str, limit: RateLimit) -> Result<(), RateLimitError> {
        let (window, left) = window_of(limit);
        let mut w = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        if w.map.len() >= (2 * w.swept).max(1024) {
            w.map.retain(|_, (len, win, _)| {
                window_of(RateLimit {
                    requests: 0,
                    window_ms: *len,
                })
                .0 == *win
            });
            w.swept = w.map.len();
        }
        let entry = w
            .map
            .entry(user.to_string())
            .or_insert((limit.window_ms, window, 0));
        if (entry.0, entry.1) != (limit.window_ms, window) {
            *entry = (limit.window_ms, window, 0);
        }
        if entry.2 >= limit.requests {
            return Err(RateLimitError::Exceeded {
                requests: limit.requests,
                window_ms: limit.window_ms,
                retry_after_ms: left,
            });
        }
        entry.2 += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn counters_of_past_windows_do_not_pile_up() {
        let l = LocalRateLimiter::new();
        // A 1 ms window: every caller's counter is stale a moment later.
        let brief = RateLimit {
            requests: 1,
            window_ms: 1,
        };
        for i in 0..50_000 {
            l.admit(&format!("anonymous@{i}"), brief)
                .await
                .expect("first call");
            if i % 1000 == 0 {
                tokio::time::sleep(std::time::Duration::from_millis(2)).await;
            }
        }
        assert!(l.tracked() < 4096, "{} counters held", l.tracked());
    }

    #[tokio::test]
    async fn a_budget_is_enforced_within_its_window() {
        let l = LocalRateLimiter::new();
        let limit = RateLimit {
            requests: 2,
            window_ms: 60_000,
        };
        l.admit("a", limit).await.expect("1");
        l.admit("a", limit).await.expect("2");
        assert!(matches!(
            l.admit("a", limit).await,
            Err(RateLimitError::Exceeded { requests: 2, .. })
        ));
        l.admit("b", limit).await.expect("another caller");
    }
}
