//! [`RedisRateLimiter`]: one budget across every process that shares a Redis.

use async_trait::async_trait;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use tokio::sync::Mutex;
use venus_rpc::{window_of, RateLimit, RateLimitError, RateLimiter};

/// Counts requests in Redis with fixed windows (`INCR` + `PEXPIRE`, atomically).
///
/// When Redis cannot be reached, `fail_open` decides: `false` (the default
/// of [`RedisRateLimiter::new`]) refuses the request, `true` lets it through;
/// both log the failure.
pub struct RedisRateLimiter {
    client: redis::Client,
    conn: Mutex<Option<ConnectionManager>>,
    prefix: String,
    fail_open: bool,
}

impl RedisRateLimiter {
    /// A limiter on `url` (e.g. `redis://127.0.0.1:6379`) that refuses when Redis is down.
    pub fn new(url: &str) -> Result<Self, RateLimitError> {
        let client = redis::Client::open(url)
            .map_err(|e| RateLimitError::Unavailable(format!("bad Redis URL: {e}")))?;
        Ok(RedisRateLimiter {
            client,
            conn: Mutex::new(None),
            prefix: "venus-auth:rl".into(),
            fail_open: false,
        })
    }

    /// Lets requests through when Redis is unreachable.
    pub fn fail_open(mut self, yes: bool) -> Self {
        self.fail_open = yes;
        self
    }

    /// Namespaces the counters (e.g. per pool).
    pub fn prefix(mut self, prefix: &str) -> Self {
        self.prefix = prefix.to_string();
        self
    }

    async fn count(&self, key: &str, window_ms: u64) -> redis::RedisResult<u64> {
        let mut guard = self.conn.lock().await;
        if guard.is_none() {
            // Bounded retries and timeouts: an unreachable Redis must fail fast, not hang requests.
            let config = ConnectionManagerConfig::new()
                .set_number_of_retries(1)
                .set_connection_timeout(std::time::Duration::from_secs(1))
                .set_response_timeout(std::time::Duration::from_secs(1));
            *guard = Some(ConnectionManager::new_with_config(self.client.clone(), config).await?);
        }
        let Some(conn) = guard.as_mut() else {
            unreachable!("set above")
        };
        let mut conn = conn.clone();
        drop(guard);
        let (n, _): (u64, i64) = redis::pipe()
            .atomic()
            .incr(key, 1u64)
            .pexpire(
                key,
                i64::try_from(window_ms.saturating_mul(2)).unwrap_or(i64::MAX),
            )
            .query_async(&mut conn)
            .await?;
        Ok(n)
    }
}

#[async_trait]
impl RateLimiter for RedisRateLimiter {
    async fn admit(&self, user: &str, limit: RateLimit) -> Result<(), RateLimitError> {
        let (window, left) = window_of(limit);
        let key = format!("{}:{user}:{}:{window}", self.prefix, limit.window_ms);
        match self.count(&key, limit.window_ms).await {
            Ok(n) if n > limit.requests => Err(RateLimitError::Exceeded {
                requests: limit.requests,
                window_ms: limit.window_ms,
                retry_after_ms: left,
            }),
            Ok(_) => Ok(()),
            Err(e) if self.fail_open => {
                tracing::warn!(target: "venus::auth", error = %e, "Redis unreachable; letting the request through (fail-open)");
                Ok(())
            }
            Err(e) => {
                tracing::error!(target: "venus::auth", error = %e, "Redis unreachable; refusing the request (fail-closed)");
                Err(RateLimitError::Unavailable(e.to_string()))
            }
        }
    }
}
