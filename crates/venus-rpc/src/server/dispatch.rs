//! Turning request frames into responses, shared by HTTP and WebSocket.

use futures::stream::{self, BoxStream, StreamExt};
use serde_json::Value;

use super::module::Kind;
use super::ServerState;
use crate::codes;
use crate::wire::{params_array, InFrame, OutResponse};
use crate::{Claims, RpcError};

/// What one request frame produced.
pub(crate) enum Reply {
    /// A response to send.
    Response(OutResponse),
    /// A channel was opened: send `id → chan id`, then forward the stream.
    Channel {
        id: Value,
        stream: BoxStream<'static, Value>,
    },
    /// A notification: nothing to send.
    Nothing,
}

/// Handles one parsed frame. Channel methods are refused unless `channels` is set.
pub(crate) async fn dispatch_one(
    state: &ServerState,
    claims: &Claims,
    frame: Value,
    channels: bool,
) -> Reply {
    let parsed: Result<InFrame, _> = serde_json::from_value(frame);
    let frame = match parsed {
        Ok(f) => f,
        Err(e) => {
            return Reply::Response(OutResponse::err(
                Value::Null,
                RpcError::new(codes::INVALID_REQUEST, format!("invalid request: {e}")),
            ))
        }
    };
    let id = frame.id.clone();
    let reply = |r: Result<Value, RpcError>| match (&id, r) {
        (None, _) => Reply::Nothing,
        (Some(id), Ok(v)) => Reply::Response(OutResponse::ok(id.clone(), v)),
        (Some(id), Err(e)) => Reply::Response(OutResponse::err(id.clone(), e)),
    };
    let Some(method) = frame.method else {
        return Reply::Response(OutResponse::err(
            id.unwrap_or(Value::Null),
            RpcError::new(codes::INVALID_REQUEST, "request has no method"),
        ));
    };
    let Some(entry) = state.module.get(&method) else {
        tracing::debug!(target: "venus::rpc", %method, "unknown method");
        return reply(Err(RpcError::new(
            codes::METHOD_NOT_FOUND,
            format!("method '{method}' not found"),
        )));
    };
    if !claims.has(entry.perm) {
        return reply(Err(RpcError::method(format!(
            "missing permission to invoke '{method}' (need '{}')",
            entry.perm
        ))));
    }
    if let (Some(limiter), Some(user), Some(limit)) =
        (&state.limiter, &claims.name, claims.rate_limit)
    {
        if let Err(e) = limiter.admit(user, limit).await {
            tracing::debug!(target: "venus::rpc", %user, %method, error = %e, "request refused by the rate limiter");
            return reply(Err(RpcError::new(
                codes::RATE_LIMITED,
                format!("{e} (user {user})"),
            )));
        }
    }
    let params = match params_array(frame.params) {
        Ok(p) => p,
        Err(e) => return reply(Err(e)),
    };
    match &entry.kind {
        Kind::Call(f) => reply(f(params, claims.clone()).await),
        Kind::Channel(_) if !channels => reply(Err(RpcError::new(
            codes::INVALID_REQUEST,
            format!("'{method}' returns a channel and needs a WebSocket connection"),
        ))),
        Kind::Channel(f) => match (f(params, claims.clone()).await, id) {
            (Ok(stream), Some(id)) => Reply::Channel { id, stream },
            (Ok(_), None) => Reply::Nothing,
            (Err(e), id) => match id {
                Some(id) => Reply::Response(OutResponse::err(id, e)),
                None => Reply::Nothing,
            },
        },
    }
}

/// Handles a request body that may be a batch; returns the JSON to send, if any.
/// Batches run with at most `concurrency` calls at once and keep their order.
pub(crate) async fn dispatch_batch(
    state: &ServerState,
    claims: &Claims,
    items: Vec<Value>,
    concurrency: usize,
) -> Option<Value> {
    if items.is_empty() {
        return Some(
            OutResponse::err(
                Value::Null,
                RpcError::new(codes::INVALID_REQUEST, "empty batch"),
            )
            .to_value(),
        );
    }
    let replies: Vec<Value> = stream::iter(items)
        .map(|item| async move {
            match dispatch_one(state, claims, item, false).await {
                Reply::Response(r) => Some(r.to_value()),
                _ => None,
            }
        })
        .buffered(concurrency.max(1))
        .filter_map(|r| async move { r })
        .collect()
        .await;
    (!replies.is_empty()).then_some(Value::Array(replies))
}

/// Parses a body; a parse failure is the go-jsonrpc parse error.
/// The error is the response to send, as JSON.
pub(crate) fn parse(body: &[u8]) -> Result<Value, Value> {
    serde_json::from_slice(body).map_err(|e| {
        OutResponse::err(
            Value::Null,
            RpcError::new(codes::PARSE_ERROR, format!("parse error: {e}")),
        )
        .to_value()
    })
}
