//! Turning request frames into responses, shared by HTTP and WebSocket.
//!
//! A body is never parsed into a `serde_json::Value` tree: a batch is split
//! into raw items (and refused past `max_batch_items` before any item is
//! read), each item's params stay raw until the handler decodes them into its
//! own types, and replies are written as text with their size counted.

use std::sync::atomic::{AtomicUsize, Ordering};

use futures::stream::{self, BoxStream, StreamExt};
use serde::de::{DeserializeSeed, SeqAccess, Visitor};
use serde_json::value::RawValue;
use serde_json::Value;

use super::module::Kind;
use super::{Caller, ServerState};
use crate::codes;
use crate::wire::{first_byte, params_array, InFrame, OutResponse};
use crate::RpcError;

/// What one request frame produced.
pub(crate) enum Reply {
    /// A response to send, as JSON text.
    Response(String),
    /// A channel was opened: send `id → chan id`, then forward the stream.
    Channel {
        id: Value,
        stream: BoxStream<'static, Value>,
        slot: ChannelSlot,
    },
    /// A notification: nothing to send.
    Nothing,
}

/// A request body, split but not parsed.
pub(crate) enum Body<'a> {
    Single(&'a RawValue),
    Batch(Vec<&'a RawValue>),
}

/// An error response with no id, as text.
pub(crate) fn error_text(code: i64, message: impl Into<String>) -> String {
    OutResponse::err(Value::Null, RpcError::new(code, message)).to_text()
}

/// Splits a body into one request or a batch of at most `max_batch` raw
/// items. The error is the response to send.
pub(crate) fn parse(body: &[u8], max_batch: usize) -> Result<Body<'_>, String> {
    let parse_error =
        |e: serde_json::Error| error_text(codes::PARSE_ERROR, format!("parse error: {e}"));
    if first_byte(body) != Some(b'[') {
        return serde_json::from_slice::<&RawValue>(body)
            .map(Body::Single)
            .map_err(parse_error);
    }
    let mut de = serde_json::Deserializer::from_slice(body);
    let seed = BatchSeed {
        max: max_batch,
        too_many: std::cell::Cell::new(false),
    };
    match seed.deserialize(&mut de).and_then(|items| {
        de.end()?;
        Ok(items)
    }) {
        Ok(items) if items.is_empty() => Err(error_text(codes::INVALID_REQUEST, "empty batch")),
        Ok(items) => Ok(Body::Batch(items)),
        Err(_) if seed.too_many.get() => Err(error_text(
            codes::INVALID_REQUEST,
            format!("batch of more than {max_batch} requests refused"),
        )),
        Err(e) => Err(parse_error(e)),
    }
}

/// Reads a JSON array as raw items, stopping at the first item past `max`.
struct BatchSeed {
    max: usize,
    too_many: std::cell::Cell<bool>,
}

impl<'de> DeserializeSeed<'de> for &BatchSeed {
    type Value = Vec<&'de RawValue>;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for &BatchSeed {
    type Value = Vec<&'de RawValue>;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a batch of requests")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::with_capacity(self.max.min(16));
        while let Some(item) = seq.next_element::<&'de RawValue>()? {
            if items.len() == self.max {
                self.too_many.set(true);
                return Err(serde::de::Error::custom("too many requests in one batch"));
            }
            items.push(item);
        }
        Ok(items)
    }
}

/// A place among the server's and the connection's open channels, given
/// back when the channel ends.
pub(crate) struct ChannelSlot {
    server: std::sync::Arc<ServerState>,
    conn: std::sync::Arc<AtomicUsize>,
}

impl ChannelSlot {
    /// Takes a slot, or says which cap is reached.
    /// Callers without a token get at most half of the server's channels, so
    /// that they cannot keep the pool's own daemons from subscribing.
    pub(crate) fn acquire(
        server: &std::sync::Arc<ServerState>,
        conn: &std::sync::Arc<AtomicUsize>,
        anonymous: bool,
    ) -> Result<Self, RpcError> {
        let cfg = &server.config;
        let server_cap = if anonymous {
            cfg.max_channels / 2
        } else {
            cfg.max_channels
        };
        if conn.fetch_add(1, Ordering::SeqCst) >= cfg.max_channels_per_conn {
            conn.fetch_sub(1, Ordering::SeqCst);
            return Err(RpcError::new(
                codes::INVALID_REQUEST,
                format!(
                    "too many open channels on this connection (limit {}): cancel one first",
                    cfg.max_channels_per_conn
                ),
            ));
        }
        if server.channels.fetch_add(1, Ordering::SeqCst) >= server_cap {
            server.channels.fetch_sub(1, Ordering::SeqCst);
            conn.fetch_sub(1, Ordering::SeqCst);
            let whose = if anonymous {
                " for callers without a token"
            } else {
                ""
            };
            return Err(RpcError::new(
                codes::INVALID_REQUEST,
                format!(
                    "the server has too many open channels (limit {server_cap}{whose}): try again later"
                ),
            ));
        }
        Ok(ChannelSlot {
            server: server.clone(),
            conn: conn.clone(),
        })
    }
}

impl Drop for ChannelSlot {
    fn drop(&mut self) {
        self.server.channels.fetch_sub(1, Ordering::SeqCst);
        self.conn.fetch_sub(1, Ordering::SeqCst);
    }
}

/// The response to send for `id`, or an error in its place when it is
/// larger than the server's reply limit.
fn respond(state: &ServerState, id: Value, r: Result<Value, RpcError>) -> String {
    let text = match r {
        Ok(v) => OutResponse::ok(id.clone(), v).to_text(),
        Err(e) => OutResponse::err(id.clone(), e).to_text(),
    };
    let max = state.config.max_response_bytes;
    if text.len() <= max {
        return text;
    }
    tracing::warn!(target: "venus::rpc", bytes = text.len(), max, "reply over the size limit replaced by an error");
    OutResponse::err(
        id,
        RpcError::new(
            codes::INTERNAL_ERROR,
            format!("reply of {} bytes exceeds the {max}-byte limit", text.len()),
        ),
    )
    .to_text()
}

/// Handles one raw frame. Channel methods are refused unless `channels`
/// holds the connection's channel count.
pub(crate) async fn dispatch_one(
    state: &std::sync::Arc<ServerState>,
    caller: &Caller,
    frame: &RawValue,
    channels: Option<&std::sync::Arc<AtomicUsize>>,
) -> Reply {
    let frame: InFrame<'_> = match serde_json::from_str(frame.get()) {
        Ok(f) => f,
        Err(e) => {
            return Reply::Response(error_text(
                codes::INVALID_REQUEST,
                format!("invalid request: {e}"),
            ))
        }
    };
    let id = frame.id.clone();
    let reply = |r: Result<Value, RpcError>| match &id {
        None => Reply::Nothing,
        Some(id) => Reply::Response(respond(state, id.clone(), r)),
    };
    let Some(method) = frame.method.as_deref() else {
        return Reply::Response(respond(
            state,
            id.clone().unwrap_or(Value::Null),
            Err(RpcError::new(
                codes::INVALID_REQUEST,
                "request has no method",
            )),
        ));
    };
    let Some(entry) = state.method(caller, method) else {
        tracing::debug!(target: "venus::rpc", %method, "unknown method");
        return reply(Err(RpcError::new(
            codes::METHOD_NOT_FOUND,
            format!("method '{method}' not found"),
        )));
    };
    if !state.allows(caller, method, entry.perm) {
        let why = if caller.anonymous && caller.claims.has(entry.perm) {
            format!("'{method}' needs a token on this server")
        } else {
            format!(
                "missing permission to invoke '{method}' (need '{}')",
                entry.perm
            )
        };
        return reply(Err(RpcError::method(why)));
    }
    if let Err(e) = admit(state, caller, method).await {
        return reply(Err(e));
    }
    let params = match params_array(frame.params) {
        Ok(p) => p,
        Err(e) => return reply(Err(e)),
    };
    match &entry.kind {
        Kind::Call(f) => reply(f(params, caller.claims.clone()).await),
        Kind::Channel(f) => {
            let Some(conn) = channels else {
                return reply(Err(RpcError::new(
                    codes::INVALID_REQUEST,
                    format!(
                        "'{method}' returns a channel: call it alone (not in a batch) over a WebSocket connection"
                    ),
                )));
            };
            let slot = match ChannelSlot::acquire(state, conn, caller.anonymous) {
                Ok(s) => s,
                Err(e) => return reply(Err(e)),
            };
            match (f(params, caller.claims.clone()).await, id) {
                (Ok(stream), Some(id)) => Reply::Channel { id, stream, slot },
                (Ok(_), None) => Reply::Nothing,
                (Err(e), Some(id)) => Reply::Response(respond(state, id, Err(e))),
                (Err(_), None) => Reply::Nothing,
            }
        }
    }
}

/// Counts the call against the caller's budget: a named caller's from its
/// claims, an anonymous one's per client address.
async fn admit(state: &ServerState, caller: &Caller, method: &str) -> Result<(), RpcError> {
    let Some(limiter) = &state.limiter else {
        return Ok(());
    };
    let (key, label, limit) = match (&caller.claims.name, caller.claims.rate_limit) {
        (Some(user), Some(limit)) => (user.clone(), format!("user {user}"), limit),
        _ if caller.anonymous => match (state.config.anonymous_rate_limit, caller.peer) {
            (Some(limit), Some(ip)) => {
                let key = anonymous_key(ip);
                (key.clone(), key, limit)
            }
            _ => return Ok(()),
        },
        _ => return Ok(()),
    };
    limiter.admit(&key, limit).await.map_err(|e| {
        tracing::debug!(target: "venus::rpc", caller = %label, %method, error = %e, "request refused by the rate limiter");
        RpcError::new(codes::RATE_LIMITED, format!("{e} ({label})"))
    })
}

/// The budget key of an anonymous client: its IPv4 address, or its IPv6 /64
/// (one host commonly holds a whole /64).
fn anonymous_key(ip: std::net::IpAddr) -> String {
    match ip {
        std::net::IpAddr::V4(v4) => format!("anonymous@{v4}"),
        std::net::IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => format!("anonymous@{v4}"),
            None => {
                let s = v6.segments();
                format!("anonymous@{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
    }
}

/// Handles a batch; returns the JSON text to send, if any. Batches run with
/// at most `concurrency` calls at once, keep their order and yield to the
/// runtime between items. Every call runs to its end; a reply that would take
/// the batch past the reply limit is replaced by an error for its id.
pub(crate) async fn dispatch_batch(
    state: &std::sync::Arc<ServerState>,
    caller: &Caller,
    items: Vec<&RawValue>,
    concurrency: usize,
) -> Option<String> {
    let max = state.config.max_response_bytes;
    let mut replies = stream::iter(items)
        .map(|item| async move {
            tokio::task::yield_now().await;
            match dispatch_one(state, caller, item, None).await {
                Reply::Response(r) => Some((item, r)),
                _ => None,
            }
        })
        .buffered(concurrency.max(1))
        .filter_map(|r| async move { r })
        .boxed();
    let mut out = String::from("[");
    while let Some((item, mut r)) = replies.next().await {
        if out.len() + r.len() + 2 > max {
            let id = serde_json::from_str::<InFrame<'_>>(item.get())
                .ok()
                .and_then(|f| f.id)
                .unwrap_or(Value::Null);
            tracing::warn!(target: "venus::rpc", max, "batch reply over the size limit; an item's reply replaced by an error");
            r = OutResponse::err(
                id,
                RpcError::new(
                    codes::INTERNAL_ERROR,
                    format!(
                        "the call ran, but its reply was dropped: the batch reply exceeds the \
                         {max}-byte limit (send fewer or smaller requests)"
                    ),
                ),
            )
            .to_text();
        }
        if out.len() > 1 {
            out.push(',');
        }
        out.push_str(&r);
    }
    out.push(']');
    (out.len() > 2).then_some(out)
}
