//! venus-rpc integration tests, all over real sockets on 127.0.0.1:0.

#![allow(missing_docs)] // test fixtures

mod auth;
mod channels;
mod hostile;
mod malformed;
mod roundtrip;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;
use venus_rpc::*;

rpc_method! { pub Echo = "Test.Echo", read, idempotent, (Value,) => Value }
rpc_method! { pub Add = "Test.Add", read, idempotent, (i64, i64) => i64 }
rpc_method! { pub Sleep = "Test.Sleep", read, (u64,) => u64 }
rpc_method! { pub WriteOp = "Test.Write", write, NoParams => String }
rpc_method! { pub SignOp = "Test.Sign", sign, NoParams => String }
rpc_method! { pub AdminOp = "Test.Admin", admin, NoParams => String }
rpc_method! { pub WhoAmI = "Test.WhoAmI", read, NoParams => Option<String> }
rpc_method! { pub Hold = "Test.Hold", read, NoParams => u64 }
channel_method! { pub Count = "Test.Count", read, (u64,) => u64 }
channel_method! { pub Forever = "Test.Forever", read, NoParams => u64 }
channel_method! { pub Blobs = "Test.Blobs", read, (usize,) => String }

/// Counts `Forever` streams alive, to see cancellation reach the server.
pub static FOREVER_ALIVE: AtomicUsize = AtomicUsize::new(0);

/// Counts `Hold` calls running on the server, to see a dropped call stop.
pub static HOLD_ALIVE: AtomicUsize = AtomicUsize::new(0);

/// Decrements its counter when the server drops what holds it.
struct Alive(&'static AtomicUsize);
impl Alive {
    fn new(count: &'static AtomicUsize) -> Self {
        count.fetch_add(1, Ordering::SeqCst);
        Alive(count)
    }
}
impl Drop for Alive {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

pub fn test_module() -> RpcModule {
    let mut m = RpcModule::new();
    m.register::<Echo, _, _>(|_, (v,)| async move { Ok(v) });
    m.register::<Add, _, _>(|_, (a, b)| async move {
        a.checked_add(b).ok_or_else(|| RpcError::method("overflow"))
    });
    m.register::<Sleep, _, _>(|_, (ms,)| async move {
        tokio::time::sleep(Duration::from_millis(ms)).await;
        Ok(ms)
    });
    m.register::<WriteOp, _, _>(|_, _| async { Ok("wrote".to_string()) });
    m.register::<SignOp, _, _>(|_, _| async { Ok("signed".to_string()) });
    m.register::<AdminOp, _, _>(|_, _| async { Ok("administered".to_string()) });
    m.register::<WhoAmI, _, _>(|claims, _| async move { Ok(claims.name) });
    // Never answers; alive until the server drops the call.
    m.register::<Hold, _, _>(|_, _| async move {
        let _alive = Alive::new(&HOLD_ALIVE);
        std::future::pending::<()>().await;
        Ok(0)
    });
    m.register_channel::<Count, _, _, _>(|_, (n,)| async move { Ok(futures::stream::iter(0..n)) });
    m.register_channel::<Blobs, _, _, _>(|_, (size,)| async move {
        let blob = "x".repeat(size.min(1 << 20));
        Ok(futures::stream::repeat(blob))
    });
    m.register_channel::<Forever, _, _, _>(|_, _| async move {
        let alive = Alive::new(&FOREVER_ALIVE);
        // One value a millisecond: endless, but slow enough for any consumer.
        Ok(futures::stream::unfold(
            (0u64, alive),
            |(i, alive)| async move {
                tokio::time::sleep(Duration::from_millis(1)).await;
                Some((i, (i + 1, alive)))
            },
        ))
    });
    m
}

pub const SECRET: &[u8] = b"venus-rpc test secret";

/// A server with the test module, verifying HS256 tokens with [`SECRET`].
pub async fn start(config: ServerConfig) -> ServerHandle {
    RpcServer::builder(test_module())
        .verifier(Arc::new(Hs256Verifier::new(SECRET)))
        .config(config)
        .build()
        .start("127.0.0.1:0".parse().expect("addr"))
        .await
        .expect("server starts")
}

pub fn token(perms: &[Permission]) -> String {
    Hs256Verifier::new(SECRET)
        .sign(perms.to_vec(), Some("tester".into()), None)
        .expect("token")
}

pub async fn client(url: &str, token: Option<String>) -> RpcClient {
    RpcClient::connect_with(Endpoint::new(url, token), ClientConfig::default())
        .await
        .expect("connect")
}

/// A raw WebSocket for wire-level checks.
pub struct RawWs(
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>,
);

impl RawWs {
    pub async fn open(url: &str) -> Self {
        RawWs(
            tokio_tungstenite::connect_async(url)
                .await
                .expect("ws connect")
                .0,
        )
    }
    pub async fn send(&mut self, v: &Value) {
        self.0
            .send(Message::Text(v.to_string().into()))
            .await
            .expect("send");
    }
    pub async fn send_text(&mut self, t: &str) {
        self.0
            .send(Message::Text(t.to_string().into()))
            .await
            .expect("send");
    }
    pub async fn recv(&mut self) -> Value {
        let msg = tokio::time::timeout(Duration::from_secs(10), self.0.next())
            .await
            .expect("a frame within 10 s");
        match msg.expect("open").expect("ok") {
            Message::Text(t) => serde_json::from_str(&t).expect("json frame"),
            other => panic!("unexpected frame {other:?}"),
        }
    }
}

pub fn call(id: u64, method: &str, params: Value) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params})
}
