//! The typed client, over HTTP or WebSocket.

mod endpoint;
mod ws;

use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use futures::Stream;
use serde_json::Value;
use tokio::sync::mpsc;

pub use endpoint::{redact_api_info, Endpoint};

use crate::wire::OutRequest;
use crate::{ChannelMethod, Error, Result, RpcError, RpcMethod};

/// Client behaviour. Every field has a sane default.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// How long one call may take (default 60 s).
    pub timeout: Duration,
    /// Retries of an idempotent call after a transport failure (default 3).
    pub retries: u32,
    /// First retry delay, doubled each time (default 200 ms); also the WebSocket reconnect backoff.
    pub backoff: Duration,
    /// Values buffered per subscription (default 1024).
    pub channel_buffer: usize,
    /// How long a full subscription buffer may stay full before the client
    /// cancels the subscription as too slow (default 5 s).
    pub channel_grace: Duration,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            timeout: Duration::from_secs(60),
            retries: 3,
            backoff: Duration::from_millis(200),
            channel_buffer: 1024,
            channel_grace: Duration::from_secs(5),
        }
    }
}

enum Transport {
    Http {
        http: reqwest::Client,
        next_id: AtomicU64,
    },
    Ws(ws::WsTransport),
}

/// A JSON-RPC client for a Lotus-compatible endpoint.
///
/// Over WebSocket the client reconnects by itself after the connection drops:
/// calls in flight at that moment fail with a transient error (idempotent
/// ones are retried), and open [`Subscription`]s end. **Re-subscribing is the
/// caller's job**: a subscription's stream ending means "call `subscribe` again".
pub struct RpcClient {
    endpoint: Endpoint,
    config: ClientConfig,
    transport: Transport,
}

impl RpcClient {
    /// Connects with default settings to an API-info string or URL.
    pub async fn connect(endpoint: &str) -> Result<Self> {
        Self::connect_with(endpoint.parse()?, ClientConfig::default()).await
    }

    /// Connects to `endpoint`. HTTP endpoints connect lazily; WebSocket ones now.
    pub async fn connect_with(endpoint: Endpoint, config: ClientConfig) -> Result<Self> {
        let transport = if endpoint.is_ws() {
            Transport::Ws(ws::WsTransport::connect(endpoint.clone(), config.clone()).await?)
        } else {
            let http = reqwest::Client::builder()
                .timeout(config.timeout)
                .build()
                .map_err(|e| Error::Transport(e.to_string()))?;
            Transport::Http {
                http,
                next_id: AtomicU64::new(1),
            }
        };
        Ok(RpcClient {
            endpoint,
            config,
            transport,
        })
    }

    /// The endpoint.
    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    /// Calls a declared method, retrying idempotent ones on transient failures.
    pub async fn call<M: RpcMethod>(&self, params: M::Params) -> Result<M::Output> {
        let params = serde_json::to_value(params).map_err(|e| Error::Decode(e.to_string()))?;
        let mut delay = self.config.backoff;
        let mut attempt = 0;
        loop {
            match self.call_raw(M::NAME, params.clone()).await {
                Err(e) if M::IDEMPOTENT && e.is_transient() && attempt < self.config.retries => {
                    tracing::debug!(target: "venus::rpc", method = M::NAME, error = %e, attempt, "retrying");
                    tokio::time::sleep(delay).await;
                    delay *= 2;
                    attempt += 1;
                }
                Err(e) => return Err(e),
                Ok(v) => {
                    return serde_json::from_value(v)
                        .map_err(|e| Error::Decode(format!("result of {}: {e}", M::NAME)))
                }
            }
        }
    }

    /// Calls any method by name with positional params; no retry.
    pub async fn call_raw(&self, method: &str, params: Value) -> Result<Value> {
        let fut = async {
            match &self.transport {
                Transport::Http { http, next_id } => {
                    let id = next_id.fetch_add(1, Ordering::Relaxed);
                    let req = OutRequest {
                        jsonrpc: "2.0",
                        id: Some(id),
                        method,
                        params,
                    };
                    let body =
                        serde_json::to_value(&req).map_err(|e| Error::Decode(e.to_string()))?;
                    let resp = self.post(http, &body).await?;
                    response_result(resp)
                }
                Transport::Ws(ws) => ws.call(method, params).await,
            }
        };
        tokio::time::timeout(self.config.timeout, fut)
            .await
            .map_err(|_| Error::Timeout(self.config.timeout))?
    }

    /// Sends a batch over HTTP (or one by one over WebSocket); results come back in order.
    pub async fn batch(&self, calls: Vec<(String, Value)>) -> Result<Vec<Result<Value, RpcError>>> {
        let Transport::Http { http, next_id } = &self.transport else {
            let mut out = Vec::with_capacity(calls.len());
            for (m, p) in calls {
                out.push(match self.call_raw(&m, p).await {
                    Ok(v) => Ok(v),
                    Err(Error::Rpc(e)) => Err(e),
                    Err(other) => return Err(other),
                });
            }
            return Ok(out);
        };
        let first = next_id.fetch_add(calls.len() as u64, Ordering::Relaxed);
        let reqs: Vec<Value> = calls
            .iter()
            .enumerate()
            .map(|(i, (m, p))| serde_json::json!({"jsonrpc": "2.0", "id": first + i as u64, "method": m, "params": p}))
            .collect();
        let resp = self.post(http, &Value::Array(reqs)).await?;
        let Value::Array(items) = resp else {
            return Err(Error::Rpc(
                serde_json::from_value::<Value>(resp)
                    .ok()
                    .and_then(|v| serde_json::from_value(v["error"].clone()).ok())
                    .unwrap_or_else(|| RpcError::method("batch answered with a non-array")),
            ));
        };
        let mut out: Vec<Option<Result<Value, RpcError>>> = vec![None; calls.len()];
        for item in items {
            let idx = item["id"]
                .as_u64()
                .and_then(|id| id.checked_sub(first))
                .map(|i| i as usize);
            if let Some(slot) = idx.and_then(|i| out.get_mut(i)) {
                *slot = Some(response_result(item).map_err(|e| match e {
                    Error::Rpc(r) => r,
                    other => RpcError::method(other),
                }));
            }
        }
        Ok(out
            .into_iter()
            .map(|r| r.unwrap_or_else(|| Err(RpcError::method("no response for this call"))))
            .collect())
    }

    /// Opens a channel (WebSocket only). Dropping the [`Subscription`] cancels it on the server.
    pub async fn subscribe<M: ChannelMethod>(
        &self,
        params: M::Params,
    ) -> Result<Subscription<M::Item>> {
        let Transport::Ws(ws) = &self.transport else {
            return Err(Error::NeedsWebSocket(M::NAME));
        };
        let params = serde_json::to_value(params).map_err(|e| Error::Decode(e.to_string()))?;
        let fut = ws.subscribe(M::NAME, params, self.config.channel_buffer);
        let (rx, cancel) = tokio::time::timeout(self.config.timeout, fut)
            .await
            .map_err(|_| Error::Timeout(self.config.timeout))??;
        Ok(Subscription {
            rx,
            _cancel: cancel,
            _item: std::marker::PhantomData,
        })
    }

    async fn post(&self, http: &reqwest::Client, body: &Value) -> Result<Value> {
        let mut req = http
            .post(&self.endpoint.url)
            .header("content-type", "application/json")
            .body(body.to_string());
        if let Some(t) = &self.endpoint.token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        let resp = req.send().await.map_err(|e| {
            if e.is_timeout() {
                Error::Timeout(self.config.timeout)
            } else {
                // Not reqwest's own words: they carry the URL, and with it
                // a `?token=` the URL may hold.
                Error::Transport(format!("{}: {}", self.endpoint.redacted(), e.without_url()))
            }
        })?;
        let status = resp.status();
        let text = resp.text().await.map_err(|e| {
            Error::Transport(format!("{}: {}", self.endpoint.redacted(), e.without_url()))
        })?;
        if status == reqwest::StatusCode::UNAUTHORIZED {
            return Err(Error::Unauthorized(text));
        }
        if status == reqwest::StatusCode::NO_CONTENT {
            return Ok(Value::Null);
        }
        serde_json::from_str(&text).map_err(|_| {
            Error::Transport(format!(
                "HTTP {status}: {}",
                text.chars().take(200).collect::<String>()
            ))
        })
    }
}

/// `result` of a response object, or its `error`.
pub(crate) fn response_result(mut resp: Value) -> Result<Value> {
    if let Some(err) = resp.get("error").filter(|e| !e.is_null()) {
        let err: RpcError = serde_json::from_value(err.clone())
            .map_err(|e| Error::Decode(format!("error object: {e}")))?;
        // A WebSocket call whose token the server no longer accepts: what
        // HTTP reports as a 401.
        if err.code == crate::codes::UNAUTHORIZED {
            return Err(Error::Unauthorized(err.message));
        }
        return Err(Error::Rpc(err));
    }
    Ok(resp
        .get_mut("result")
        .map(Value::take)
        .unwrap_or(Value::Null))
}

/// A channel's values. Ends when the server closes the channel or the connection drops.
pub struct Subscription<T> {
    rx: mpsc::Receiver<Value>,
    _cancel: ws::CancelOnDrop,
    _item: std::marker::PhantomData<fn() -> T>,
}

impl<T: serde::de::DeserializeOwned> Stream for Subscription<T> {
    type Item = Result<T>;
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.rx
            .poll_recv(cx)
            .map(|v| v.map(|v| serde_json::from_value(v).map_err(|e| Error::Decode(e.to_string()))))
    }
}
