//! The WebSocket transport: one background task owns the socket and reconnects.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::sync::{mpsc, oneshot};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

use super::{response_result, ClientConfig, Endpoint};
use crate::wire::{CANCEL, CH_CLOSE, CH_VAL};
use crate::{codes, Error, Result, RpcError};

type Reply = oneshot::Sender<Result<Value>>;

enum Cmd {
    Call {
        id: u64,
        text: String,
        reply: Reply,
        chan: Option<mpsc::Sender<Value>>,
    },
    Send(String),
    /// The caller of request `id` gave up before its answer: forget the
    /// request and tell the server to stop it (`xrpc.cancel`).
    Abandon(u64),
}

pub(crate) struct WsTransport {
    cmds: mpsc::Sender<Cmd>,
    next_id: Arc<AtomicU64>,
}

/// Sends `xrpc.cancel` for a channel's request when dropped.
pub(crate) struct CancelOnDrop {
    cmds: mpsc::Sender<Cmd>,
    id: u64,
}

/// Abandons a request whose caller stopped waiting (its future dropped, by
/// a timeout say) before the answer came, unless [`defused`](Self::defuse).
/// Over HTTP the dropped connection tells the server; over a WebSocket,
/// which stays open for other calls, this does: the server drops the
/// method's future, so a call the caller gave up on stops using the
/// server's resources (a proof, a lock) instead of running to its end.
struct AbandonOnDrop {
    cmds: mpsc::Sender<Cmd>,
    id: Option<u64>,
}

impl AbandonOnDrop {
    fn defuse(mut self) {
        self.id = None;
    }
}

impl Drop for AbandonOnDrop {
    fn drop(&mut self) {
        if let Some(id) = self.id {
            // A full command queue (256 queued) loses the cancel: the
            // server then runs the call to its end and the answer is
            // dropped when it comes, as before.
            let _ = self.cmds.try_send(Cmd::Abandon(id));
        }
    }
}

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        let text = cancel_text(self.id);
        let _ = self.cmds.try_send(Cmd::Send(text));
    }
}

/// go-jsonrpc's `xrpc.cancel` notification for request `id`: stops a call
/// or closes the channel it opened.
fn cancel_text(id: u64) -> String {
    json!({"jsonrpc": "2.0", "method": CANCEL, "params": [id]}).to_string()
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn open(endpoint: &Endpoint) -> Result<Socket> {
    let mut req = endpoint
        .url
        .as_str()
        .into_client_request()
        .map_err(|e| Error::Endpoint(e.to_string()))?;
    if let Some(t) = &endpoint.token {
        let v = format!("Bearer {t}")
            .parse()
            .map_err(|_| Error::Endpoint("token is not a valid header value".into()))?;
        req.headers_mut().insert("authorization", v);
    }
    match tokio_tungstenite::connect_async(req).await {
        Ok((socket, _)) => Ok(socket),
        Err(tokio_tungstenite::tungstenite::Error::Http(resp)) if resp.status() == 401 => {
            Err(Error::Unauthorized(
                String::from_utf8_lossy(resp.body().as_deref().unwrap_or_default()).into_owned(),
            ))
        }
        Err(e) => Err(Error::Transport(format!(
            "websocket connect to {}: {e}",
            endpoint.redacted()
        ))),
    }
}

impl WsTransport {
    pub(crate) async fn connect(endpoint: Endpoint, config: ClientConfig) -> Result<Self> {
        // The first connection is made here so that a wrong address or token fails now.
        let socket = open(&endpoint).await?;
        let (cmds, rx) = mpsc::channel(256);
        tokio::spawn(run(socket, rx, endpoint, config));
        Ok(WsTransport {
            cmds,
            next_id: Arc::new(AtomicU64::new(1)),
        })
    }

    async fn request(
        &self,
        method: &str,
        params: Value,
        chan: Option<mpsc::Sender<Value>>,
    ) -> Result<(u64, Value)> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let text =
            json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}).to_string();
        let (reply, rx) = oneshot::channel();
        self.cmds
            .send(Cmd::Call {
                id,
                text,
                reply,
                chan,
            })
            .await
            .map_err(|_| Error::Transport("client closed".into()))?;
        let abandon = AbandonOnDrop {
            cmds: self.cmds.clone(),
            id: Some(id),
        };
        let v = rx.await;
        abandon.defuse();
        let v = v.map_err(|_| Error::Transport("connection task ended".into()))??;
        Ok((id, v))
    }

    pub(crate) async fn call(&self, method: &str, params: Value) -> Result<Value> {
        self.request(method, params, None).await.map(|(_, v)| v)
    }

    pub(crate) async fn subscribe(
        &self,
        method: &str,
        params: Value,
        buffer: usize,
    ) -> Result<(mpsc::Receiver<Value>, CancelOnDrop)> {
        let (tx, rx) = mpsc::channel(buffer.max(1));
        let (id, _chan_id) = self.request(method, params, Some(tx)).await?;
        Ok((
            rx,
            CancelOnDrop {
                cmds: self.cmds.clone(),
                id,
            },
        ))
    }
}

struct Channel {
    request_id: u64,
    tx: mpsc::Sender<Value>,
}

/// Owns the socket; on a drop, fails what is in flight, ends the channels and reconnects.
async fn run(
    mut socket: Socket,
    mut cmds: mpsc::Receiver<Cmd>,
    endpoint: Endpoint,
    config: ClientConfig,
) {
    loop {
        let mut pending: HashMap<u64, (Reply, Option<mpsc::Sender<Value>>)> = HashMap::new();
        let mut chans: HashMap<u64, Channel> = HashMap::new();
        loop {
            tokio::select! {
                cmd = cmds.recv() => {
                    let Some(cmd) = cmd else { let _ = socket.close(None).await; return };
                    let text = match cmd {
                        Cmd::Call { id, text, reply, chan } => { pending.insert(id, (reply, chan)); text }
                        Cmd::Send(text) => text,
                        // Abandoned before its answer: cancel it on the
                        // server (a channel it opened closes too). One
                        // already answered is no longer pending.
                        Cmd::Abandon(id) => match pending.remove(&id) {
                            Some(_) => cancel_text(id),
                            None => continue,
                        },
                    };
                    if socket.send(Message::Text(text.into())).await.is_err() { break; }
                }
                msg = socket.next() => {
                    let text = match msg {
                        Some(Ok(Message::Text(t))) => t.to_string(),
                        Some(Ok(Message::Binary(b))) => String::from_utf8_lossy(&b).into_owned(),
                        Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                        Some(Ok(_)) => continue,
                    };
                    let Ok(frame) = serde_json::from_str::<Value>(&text) else {
                        tracing::warn!(target: "venus::rpc", "server sent invalid JSON");
                        continue;
                    };
                    if let Some(cancel) = on_frame(frame, &mut pending, &mut chans, config.channel_grace).await {
                        let _ = socket.send(Message::Text(cancel.into())).await;
                    }
                }
            }
        }
        // Connection lost.
        for (_, (reply, _)) in pending.drain() {
            let _ = reply.send(Err(Error::Rpc(RpcError::new(
                codes::CONNECTION_CLOSED,
                "websocket connection closed",
            ))));
        }
        chans.clear();
        let mut delay = config.backoff;
        socket = loop {
            // While disconnected, calls fail at once (transiently) instead of waiting out their timeout.
            let sleep = tokio::time::sleep(delay);
            tokio::pin!(sleep);
            loop {
                tokio::select! {
                    _ = &mut sleep => break,
                    cmd = cmds.recv() => match cmd {
                        None => return,
                        Some(Cmd::Call { reply, .. }) => {
                            let _ = reply.send(Err(Error::Rpc(RpcError::new(codes::CONNECTION_CLOSED, "websocket disconnected; reconnecting"))));
                        }
                        Some(Cmd::Send(_) | Cmd::Abandon(_)) => {}
                    },
                }
            }
            match open(&endpoint).await {
                Ok(s) => break s,
                Err(e) => {
                    tracing::debug!(target: "venus::rpc", error = %e, "websocket reconnect failed");
                    delay = (delay * 2).min(std::time::Duration::from_secs(30));
                }
            }
        };
        tracing::info!(target: "venus::rpc", url = %endpoint.redacted(), "websocket reconnected; subscriptions must be re-made");
    }
}

/// Handles one frame from the server; returns an `xrpc.cancel` to send if a channel had to be cut.
async fn on_frame(
    frame: Value,
    pending: &mut HashMap<u64, (Reply, Option<mpsc::Sender<Value>>)>,
    chans: &mut HashMap<u64, Channel>,
    grace: std::time::Duration,
) -> Option<String> {
    let chan_id = || frame["params"][0].as_u64();
    match frame["method"].as_str() {
        Some(CH_VAL) => {
            let id = chan_id()?;
            let ch = chans.get(&id)?;
            // A full buffer holds the reader (and so, through TCP, the server) for
            // up to `grace` before the subscription is judged too slow.
            let value = frame["params"][1].clone();
            let delivered = match ch.tx.try_send(value) {
                Ok(()) => true,
                Err(mpsc::error::TrySendError::Full(v)) => {
                    tokio::time::timeout(grace, ch.tx.send(v))
                        .await
                        .is_ok_and(|r| r.is_ok())
                }
                Err(mpsc::error::TrySendError::Closed(_)) => false,
            };
            if !delivered {
                // Full (consumer too slow) or dropped: stop the channel.
                let req = ch.request_id;
                chans.remove(&id);
                tracing::warn!(target: "venus::rpc", chan = id, "closing subscription: consumer too slow or gone");
                return Some(cancel_text(req));
            }
            None
        }
        Some(CH_CLOSE) => {
            chans.remove(&chan_id()?);
            None
        }
        Some(_) => None,
        None => {
            let id = frame["id"].as_u64()?;
            let (reply, chan) = pending.remove(&id)?;
            let result = response_result(frame);
            let mut opened = None;
            if let (Ok(v), Some(tx)) = (&result, chan) {
                match v.as_u64() {
                    Some(c) => {
                        chans.insert(c, Channel { request_id: id, tx });
                        opened = Some(c);
                    }
                    None => {
                        let _ = reply.send(Err(Error::Decode(format!(
                            "channel id {v} is not a number"
                        ))));
                        return None;
                    }
                }
            }
            if reply.send(result).is_err() {
                if let Some(c) = opened {
                    // Its caller gave up just before the channel's id came
                    // (its abandon is still queued): nobody will read the
                    // channel, so it is closed on the server now.
                    chans.remove(&c);
                    return Some(cancel_text(id));
                }
            }
            None
        }
    }
}
