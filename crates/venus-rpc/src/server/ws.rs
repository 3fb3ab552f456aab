//! WebSocket connections: calls, batches, and go-jsonrpc channels.
//!
//! Each connection has one writer task fed by a bounded queue. Responses
//! wait for room in the queue (back-pressure on the reader). Channel values
//! wait at most `slow_consumer_grace`: when a client stops reading for that
//! long, the channel is closed with a logged reason instead of buffering
//! without bound.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use axum::response::{IntoResponse, Response};
use futures::stream::BoxStream;
use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::sync::{mpsc, Semaphore};
use tokio_util::sync::CancellationToken;

use super::dispatch::{dispatch_batch, dispatch_one, error_text, parse, Body, Reply};
use super::{Caller, Peer, ServerState};
use crate::wire::{notification, InFrame, OutResponse, CANCEL, CH_CLOSE, CH_VAL};
use crate::{codes, AuthError, RpcError};

pub(crate) async fn upgrade(
    State(s): State<Arc<ServerState>>,
    Peer(peer): Peer,
    headers: HeaderMap,
    uri: Uri,
    ws: WebSocketUpgrade,
) -> Response {
    let token = ServerState::token(&headers, &uri);
    let v0 = uri.path().ends_with("/v0");
    if let Err(e) = s.authenticate(token.as_deref(), peer, v0).await {
        return (super::http::refusal_status(&e), e.to_string()).into_response();
    }
    // Frames above the limit get an error reply; ones over a further 1 MiB close the connection.
    let max = s.config.max_request_bytes.saturating_add(1 << 20);
    ws.max_message_size(max)
        .on_upgrade(move |socket| Connection::run(socket, s, token, peer, v0))
}

struct Connection {
    state: Arc<ServerState>,
    /// The token of the upgrade, checked again for every call and every
    /// `ws_reverify_interval`: revoking it closes the connection.
    token: Option<String>,
    peer: Option<IpAddr>,
    /// The connection came on `/rpc/v0`.
    v0: bool,
    /// Channels open on this connection.
    channels: Arc<AtomicUsize>,
    out: mpsc::Sender<Message>,
    /// Calls and channels in progress, by request id, for `xrpc.cancel`.
    handling: Mutex<HashMap<String, CancellationToken>>,
    next_chan: AtomicU64,
    cancel: CancellationToken,
}

impl Connection {
    async fn run(
        socket: WebSocket,
        state: Arc<ServerState>,
        token: Option<String>,
        peer: Option<IpAddr>,
        v0: bool,
    ) {
        let (mut sink, mut incoming) = socket.split();
        let (out, mut out_rx) = mpsc::channel::<Message>(state.config.ws_send_queue.max(1));
        let cancel = state.shutdown.child_token();
        let in_flight = Arc::new(Semaphore::new(state.config.max_in_flight_per_conn.max(1)));
        // The token was just checked at the upgrade: the first re-check is one period on.
        let period = state
            .config
            .ws_reverify_interval
            .max(std::time::Duration::from_millis(10));
        let mut reverify = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
        reverify.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let conn = Arc::new(Connection {
            state,
            token,
            peer,
            v0,
            channels: Arc::default(),
            out,
            handling: Mutex::default(),
            next_chan: AtomicU64::new(0),
            cancel: cancel.clone(),
        });

        let writer = tokio::spawn(async move {
            while let Some(m) = out_rx.recv().await {
                if sink.send(m).await.is_err() {
                    break;
                }
            }
            let _ = sink.close().await;
        });

        loop {
            let msg = tokio::select! {
                _ = cancel.cancelled() => break,
                _ = reverify.tick(), if conn.token.is_some() => {
                    match conn.caller().await {
                        Err(e) if !matches!(e, AuthError::Unavailable(_)) => {
                            tracing::info!(target: "venus::rpc", error = %e, "closing a WebSocket: its token is no longer valid");
                            conn.close_refused(&e);
                            break;
                        }
                        // An unavailable verifier says nothing about the token: keep the connection.
                        _ => continue,
                    }
                }
                m = incoming.next() => m,
            };
            let bytes = match msg {
                Some(Ok(Message::Text(t))) => Vec::from(t.as_str()),
                Some(Ok(Message::Binary(b))) => b.to_vec(),
                Some(Ok(Message::Close(_))) | None => break,
                Some(Ok(_)) => continue,
                Some(Err(e)) => {
                    tracing::debug!(target: "venus::rpc", error = %e, "websocket read failed");
                    break;
                }
            };
            let Ok(permit) = in_flight.clone().acquire_owned().await else {
                break;
            };
            let conn = conn.clone();
            tokio::spawn(async move {
                conn.handle(bytes, permit).await;
            });
        }
        // Ends every call and channel of this connection.
        cancel.cancel();
        drop(conn);
        let _ = writer.await;
    }

    async fn send(&self, text: String) {
        let _ = self.out.send(Message::Text(text.into())).await;
    }

    /// Answers a call whose token the verifier did not accept. An unavailable
    /// verifier says nothing about the token: the call fails, the connection
    /// stays. A refused token gets HTTP's 401 words as the call's error, then
    /// the connection closes, ending its channels.
    async fn refuse(&self, id: Value, e: AuthError) {
        if let AuthError::Unavailable(_) = e {
            let err = RpcError::new(codes::INTERNAL_ERROR, e.to_string());
            return self.send(OutResponse::err(id, err).to_text()).await;
        }
        let err = RpcError::new(codes::UNAUTHORIZED, e.to_string());
        let reply = Message::Text(OutResponse::err(id, err).to_text().into());
        let grace = self.state.config.slow_consumer_grace;
        let _ = self.out.send_timeout(reply, grace).await;
        tracing::info!(target: "venus::rpc", error = %e, "closing a WebSocket: its token is no longer valid");
        self.close_refused(&e);
        self.cancel.cancel();
    }

    /// Tells the client why the connection ends (close code 1008, policy violation).
    /// Never waits: a client that stopped reading gets no reason.
    fn close_refused(&self, e: &AuthError) {
        let mut reason = e.to_string();
        // A close frame's reason is at most 123 bytes.
        let mut end = reason.len().min(123);
        while !reason.is_char_boundary(end) {
            end -= 1;
        }
        reason.truncate(end);
        let frame = axum::extract::ws::CloseFrame {
            code: 1008,
            reason: reason.into(),
        };
        let _ = self.out.try_send(Message::Close(Some(frame)));
    }

    /// The caller as the token says now: revocation, a disabled user or an
    /// expiry take effect on the next call (within the verifier's cache bound).
    async fn caller(&self) -> Result<Caller, AuthError> {
        self.state
            .authenticate(self.token.as_deref(), self.peer, self.v0)
            .await
    }

    async fn handle(self: Arc<Self>, bytes: Vec<u8>, permit: tokio::sync::OwnedSemaphorePermit) {
        let limit = self.state.config.max_request_bytes;
        if bytes.len() > limit {
            let msg = format!("request exceeds the {limit}-byte limit");
            return self.send(error_text(codes::INVALID_REQUEST, msg)).await;
        }
        let body = match parse(&bytes, self.state.config.max_batch_items) {
            Ok(b) => b,
            Err(resp) => return self.send(resp).await,
        };
        // A single frame is read once: its id for a refusal, its method for `xrpc.cancel`.
        let head: Option<InFrame<'_>> = match &body {
            Body::Single(raw) => serde_json::from_str(raw.get()).ok(),
            Body::Batch(_) => None,
        };
        let caller = match self.caller().await {
            Ok(c) => c,
            Err(e) => {
                let id = head.and_then(|f| f.id).unwrap_or(Value::Null);
                return self.refuse(id, e).await;
            }
        };
        let frame = match body {
            Body::Batch(items) => {
                let concurrency = self.state.config.max_in_flight_per_conn;
                let out = dispatch_batch(&self.state, &caller, items, concurrency).await;
                if let Some(text) = out {
                    self.send(text).await;
                }
                return;
            }
            Body::Single(raw) => raw,
        };
        let id_key = head
            .as_ref()
            .and_then(|f| f.id.as_ref())
            .filter(|v| !v.is_null())
            .map(Value::to_string);
        if head.as_ref().and_then(|f| f.method.as_deref()) == Some(CANCEL) {
            let key = head
                .and_then(|f| f.params)
                .and_then(|p| serde_json::from_str::<Vec<Value>>(p.get()).ok())
                .and_then(|p| p.first().map(Value::to_string));
            if let Some(token) = key.and_then(|k| self.lock().remove(&k)) {
                token.cancel();
            }
            return;
        }
        let token = self.cancel.child_token();
        if let Some(k) = &id_key {
            self.lock().insert(k.clone(), token.clone());
        }
        let reply = tokio::select! {
            r = dispatch_one(&self.state, &caller, frame, Some(&self.channels)) => r,
            _ = token.cancelled() => Reply::Nothing,
        };
        match reply {
            Reply::Response(r) => self.send(r).await,
            Reply::Nothing => {}
            Reply::Channel { id, stream, slot } => {
                let chan = self.next_chan.fetch_add(1, Ordering::Relaxed) + 1;
                self.send(OutResponse::ok(id, json!(chan)).to_text()).await;
                // A channel lives on without holding a call slot.
                drop(permit);
                self.clone().forward(chan, stream, token).await;
                drop(slot);
            }
        }
        if let Some(k) = id_key {
            self.lock().remove(&k);
        }
    }

    async fn forward(
        self: Arc<Self>,
        chan: u64,
        mut stream: BoxStream<'static, Value>,
        token: CancellationToken,
    ) {
        loop {
            let item = tokio::select! {
                _ = token.cancelled() => break,
                item = stream.next() => item,
            };
            let Some(item) = item else { break };
            let msg = Message::Text(notification(CH_VAL, json!([chan, item])).into());
            let grace = self.state.config.slow_consumer_grace;
            match self.out.send_timeout(msg, grace).await {
                Ok(()) => {}
                Err(mpsc::error::SendTimeoutError::Timeout(_)) => {
                    tracing::warn!(target: "venus::rpc", chan, queue = self.state.config.ws_send_queue, ?grace, "closing channel: the client is not reading");
                    break;
                }
                Err(mpsc::error::SendTimeoutError::Closed(_)) => return,
            }
        }
        drop(stream);
        let close = Message::Text(notification(CH_CLOSE, json!([chan])).into());
        tokio::select! {
            _ = self.out.send(close) => {}
            _ = self.cancel.cancelled() => {}
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, CancellationToken>> {
        self.handling.lock().unwrap_or_else(|p| p.into_inner())
    }
}
