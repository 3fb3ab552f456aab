//! [`RedisRateLimiter`]: one budget across every process that shares a Redis.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use tokio::sync::watch;
use venus_rpc::{window_of, RateLimit, RateLimitError, RateLimiter};

/// How long a request waits for the first connection attempt before it
/// follows the fail-open/closed setting.
const FIRST_CONNECT_WAIT: Duration = Duration::from_millis(1500);
/// Reconnection back-off: from this…
const BACKOFF_MIN: Duration = Duration::from_millis(100);
/// …doubling up to this.
const BACKOFF_MAX: Duration = Duration::from_secs(5);

/// Counts requests in Redis with fixed windows (`INCR` + `PEXPIRE`, atomically).
///
/// The connection is made and remade by a background task with back-off, so
/// a request never waits behind another's connection attempt: while Redis is
/// unreachable each request at once follows `fail_open` — `false` (the
/// default of [`RedisRateLimiter::new`]) refuses it, `true` lets it through;
/// both log the failure. Only the very first requests wait, at most 1.5 s,
/// for the first attempt.
pub struct RedisRateLimiter {
    client: redis::Client,
    link: Arc<watch::Sender<Link>>,
    /// Whether a background connection task is running.
    reconnecting: Arc<AtomicBool>,
    prefix: String,
    fail_open: bool,
}

#[derive(Clone)]
enum Link {
    /// No attempt has finished yet.
    Connecting,
    Up(ConnectionManager),
    /// The last attempt or query failed; the background task is retrying.
    Down(String),
}

impl RedisRateLimiter {
    /// A limiter on `url` (e.g. `redis://127.0.0.1:6379`) that refuses when Redis is down.
    pub fn new(url: &str) -> Result<Self, RateLimitError> {
        let client = redis::Client::open(url)
            .map_err(|e| RateLimitError::Unavailable(format!("bad Redis URL: {e}")))?;
        Ok(RedisRateLimiter {
            client,
            link: Arc::new(watch::Sender::new(Link::Connecting)),
            reconnecting: Arc::new(AtomicBool::new(false)),
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

    /// Starts the background connection task unless one is running.
    fn reconnect(&self) {
        if self.reconnecting.swap(true, Ordering::SeqCst) {
            return;
        }
        let (client, link, running) = (
            self.client.clone(),
            self.link.clone(),
            self.reconnecting.clone(),
        );
        tokio::spawn(async move {
            // Bounded timeouts: an unreachable Redis fails an attempt, it does not hang it.
            let config = ConnectionManagerConfig::new()
                .set_number_of_retries(1)
                .set_connection_timeout(Duration::from_secs(1))
                .set_response_timeout(Duration::from_secs(1));
            let mut delay = BACKOFF_MIN;
            loop {
                match ConnectionManager::new_with_config(client.clone(), config.clone()).await {
                    Ok(conn) => {
                        tracing::info!(target: "venus::auth", "connected to Redis for rate limits");
                        link.send_replace(Link::Up(conn));
                        break;
                    }
                    // The limiter was dropped: nobody needs the connection.
                    Err(_) if Arc::strong_count(&link) == 1 => break,
                    Err(e) => {
                        tracing::warn!(target: "venus::auth", error = %e, retry_in = ?delay, "cannot reach Redis for rate limits");
                        link.send_replace(Link::Down(e.to_string()));
                        tokio::time::sleep(delay).await;
                        delay = (delay * 2).min(BACKOFF_MAX);
                    }
                }
            }
            running.store(false, Ordering::SeqCst);
        });
    }

    /// The connection, or why there is none; never waits behind a reconnect.
    async fn connection(&self) -> Result<ConnectionManager, String> {
        let current = self.link.borrow().clone();
        match current {
            Link::Up(conn) => Ok(conn),
            Link::Down(why) => {
                self.reconnect();
                Err(why)
            }
            Link::Connecting => {
                self.reconnect();
                let mut rx = self.link.subscribe();
                let settled = rx.wait_for(|l| !matches!(l, Link::Connecting));
                let outcome = match tokio::time::timeout(FIRST_CONNECT_WAIT, settled).await {
                    Ok(Ok(l)) => Some(l.clone()),
                    _ => None,
                };
                match outcome {
                    Some(Link::Up(conn)) => Ok(conn),
                    Some(Link::Down(why)) => Err(why),
                    Some(Link::Connecting) => Err("still connecting".into()),
                    None => {
                        // Later requests no longer wait on this attempt.
                        let why = format!("no connection to Redis within {FIRST_CONNECT_WAIT:?}");
                        self.link.send_if_modified(|l| {
                            let waiting = matches!(l, Link::Connecting);
                            if waiting {
                                *l = Link::Down(why.clone());
                            }
                            waiting
                        });
                        Err(why)
                    }
                }
            }
        }
    }

    async fn count(&self, key: &str, window_ms: u64) -> Result<u64, String> {
        let mut conn = self.connection().await?;
        let r: redis::RedisResult<(u64, i64)> = redis::pipe()
            .atomic()
            .incr(key, 1u64)
            .pexpire(
                key,
                i64::try_from(window_ms.saturating_mul(2)).unwrap_or(i64::MAX),
            )
            .query_async(&mut conn)
            .await;
        match r {
            Ok((n, _)) => Ok(n),
            Err(e) => {
                if e.is_io_error() || e.is_timeout() || e.is_connection_dropped() {
                    self.link.send_replace(Link::Down(e.to_string()));
                    self.reconnect();
                }
                Err(e.to_string())
            }
        }
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
                Err(RateLimitError::Unavailable(e))
            }
        }
    }
}
