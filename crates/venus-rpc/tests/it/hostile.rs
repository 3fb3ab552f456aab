//! What a hostile caller can do: huge batches and replies, tokens that die
//! while their WebSocket stays open, channel floods, anonymous floods.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use serde_json::{json, Value};
use venus_rpc::*;

use crate::*;

async fn post(url: &str, body: String) -> (u16, String) {
    let resp = reqwest::Client::new()
        .post(url)
        .body(body)
        .send()
        .await
        .expect("post");
    (resp.status().as_u16(), resp.text().await.expect("body"))
}

async fn start_with(
    module: RpcModule,
    b: impl FnOnce(RpcServerBuilder) -> RpcServerBuilder,
) -> ServerHandle {
    b(RpcServer::builder(module))
        .build()
        .start("127.0.0.1:0".parse().expect("addr"))
        .await
        .expect("server starts")
}

#[tokio::test]
async fn a_two_million_item_batch_is_refused_with_one_small_error() {
    // The body limit raised so that the batch cap is what refuses it.
    let server = start(ServerConfig {
        max_request_bytes: 16 << 20,
        ..ServerConfig::default()
    })
    .await;
    let body = format!("[{}0]", "0,".repeat(2_000_000 - 1));
    assert_eq!(body.len(), 4_000_001);
    let started = Instant::now();
    let (status, text) = post(&server.http_url(), body).await;
    let took = started.elapsed();
    eprintln!("2M-item batch refused in {took:?}");
    assert_eq!(status, 200);
    assert!(
        text.len() < 200,
        "one small error, not a reply per item: {} bytes",
        text.len()
    );
    let v: Value = serde_json::from_str(&text).expect("json");
    assert_eq!(v["error"]["code"], codes::INVALID_REQUEST);
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("more than 100"),
        "{v}"
    );
    // Refused after 101 items, not after parsing 2 million.
    assert!(took < Duration::from_secs(10), "took {took:?}");

    // 100 items pass, 101 do not.
    let batch = |n: usize| {
        Value::Array(
            (0..n as u64)
                .map(|i| call(i, "Test.Add", json!([i, 1])))
                .collect(),
        )
        .to_string()
    };
    let (_, ok) = post(&server.http_url(), batch(100)).await;
    let ok: Value = serde_json::from_str(&ok).expect("json");
    assert_eq!(ok.as_array().map(Vec::len), Some(100));
    assert_eq!(ok[99]["result"], 100);
    let (_, refused) = post(&server.http_url(), batch(101)).await;
    let refused: Value = serde_json::from_str(&refused).expect("json");
    assert_eq!(refused["error"]["code"], codes::INVALID_REQUEST);

    // The same cap over a WebSocket, and the server keeps serving.
    let mut ws = RawWs::open(&server.ws_url()).await;
    ws.send_text(&batch(101)).await;
    assert_eq!(ws.recv().await["error"]["code"], codes::INVALID_REQUEST);
    ws.send(&call(7, "Test.Add", json!([2, 2]))).await;
    assert_eq!(ws.recv().await["result"], 4);
    server.stop().await;
}

#[tokio::test]
async fn replies_over_the_reply_limit_become_errors() {
    let server = start(ServerConfig {
        max_response_bytes: 4096,
        ..ServerConfig::default()
    })
    .await;
    let big = "x".repeat(5000);
    let (_, text) = post(
        &server.http_url(),
        call(1, "Test.Echo", json!([big])).to_string(),
    )
    .await;
    let v: Value = serde_json::from_str(&text).expect("json");
    assert_eq!(v["id"], 1);
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("4096-byte limit"),
        "{v}"
    );

    // Each reply fits; together they do not.
    let item = "y".repeat(1000);
    let batch: Vec<Value> = (0..10)
        .map(|i| call(i, "Test.Echo", json!([item])))
        .collect();
    // Every call runs; the replies past the limit become errors for their ids.
    let (_, text) = post(&server.http_url(), Value::Array(batch).to_string()).await;
    let v: Value = serde_json::from_str(&text).expect("json");
    let replies = v.as_array().expect("an array");
    assert_eq!(replies.len(), 10);
    assert_eq!(replies[0]["result"], item.as_str());
    assert_eq!(replies[9]["id"], 9);
    let last = replies[9]["error"]["message"].as_str().unwrap_or("");
    assert!(last.contains("batch reply exceeds"), "{}", replies[9]);
    // Past the limit by at most one small error per item.
    assert!(text.len() < 4096 + 10 * 200, "{} bytes", text.len());
    server.stop().await;
}

/// A verifier whose tokens can be revoked, as an auth service's are.
#[derive(Default)]
struct Revocable(Mutex<HashSet<String>>);

#[async_trait]
impl TokenVerifier for Revocable {
    async fn verify(&self, token: &str) -> Result<Claims, AuthError> {
        if self.0.lock().expect("lock").contains(token) {
            return Err(AuthError::Refused("token revoked".into()));
        }
        Hs256Verifier::new(SECRET).verify(token).await
    }
}

#[tokio::test]
async fn a_revoked_token_loses_its_open_websocket() {
    let verifier = Arc::new(Revocable::default());
    let with_interval = |every: Duration| {
        let verifier = verifier.clone();
        move |b: RpcServerBuilder| {
            b.verifier(verifier).config(ServerConfig {
                ws_reverify_interval: every,
                ..ServerConfig::default()
            })
        }
    };
    // One server re-checks idle sockets rarely (the per-call check is what
    // is seen here), the other often.
    let server = start_with(test_module(), with_interval(Duration::from_secs(600))).await;
    let often = start_with(test_module(), with_interval(Duration::from_millis(200))).await;
    let admin = token(&Permission::ALL);
    let ws = format!("{}?token={admin}", server.ws_url());
    let mut raw = RawWs::open(&ws).await;
    raw.send(&call(1, "Test.Admin", json!([]))).await;
    assert_eq!(raw.recv().await["result"], "administered");

    // A socket of the other server holds a channel and makes no calls.
    let mut idle = RawWs::open(&format!("{}?token={admin}", often.ws_url())).await;
    idle.send(&call(1, "Test.Forever", json!([]))).await;
    assert!(idle.recv().await["result"].is_u64());

    verifier.0.lock().expect("lock").insert(admin.clone());
    raw.send(&call(2, "Test.Admin", json!([]))).await;
    let refused = raw.recv().await;
    assert_eq!(refused["id"], 2);
    assert_eq!(refused["error"]["code"], codes::UNAUTHORIZED);
    assert!(refused["error"]["message"]
        .as_str()
        .unwrap_or("")
        .contains("revoked"));
    // Over HTTP the same token gets a 401 with the same words.
    let (status, text) = {
        let resp = reqwest::Client::new()
            .post(server.http_url())
            .bearer_auth(&admin)
            .body(call(3, "Test.Admin", json!([])).to_string())
            .send()
            .await
            .expect("post");
        (resp.status().as_u16(), resp.text().await.expect("text"))
    };
    assert_eq!(status, 401);
    assert_eq!(text, refused["error"]["message"].as_str().unwrap_or(""));

    // The idle socket is closed within the re-check interval, its channel with it.
    let closed = tokio::time::timeout(Duration::from_secs(5), async {
        use futures::StreamExt;
        loop {
            match idle.0.next().await {
                None | Some(Err(_)) => break,
                Some(Ok(tokio_tungstenite::tungstenite::Message::Close(_))) => break,
                Some(Ok(_)) => continue,
            }
        }
    })
    .await;
    assert!(
        closed.is_ok(),
        "the idle socket of a revoked token stays open"
    );

    // Through the typed client, a dead token is `Unauthorized`.
    let fresh = token(&[Permission::Read]);
    let client = client(&server.ws_url(), Some(fresh.clone())).await;
    assert_eq!(client.call::<Add>((1, 1)).await.expect("add"), 2);
    verifier.0.lock().expect("lock").insert(fresh);
    let refused = client.call::<Add>((1, 1)).await;
    assert!(
        matches!(refused, Err(Error::Unauthorized(_))),
        "{refused:?}"
    );
    server.stop().await;
    often.stop().await;
}

/// A verifier that cannot answer says nothing about the token: the call
/// fails, the connection and its channels stay.
#[tokio::test]
async fn an_unavailable_verifier_keeps_websockets_open() {
    struct Flaky(std::sync::atomic::AtomicBool);
    #[async_trait]
    impl TokenVerifier for Flaky {
        async fn verify(&self, token: &str) -> Result<Claims, AuthError> {
            if self.0.load(std::sync::atomic::Ordering::SeqCst) {
                return Err(AuthError::Unavailable("auth service down".into()));
            }
            Hs256Verifier::new(SECRET).verify(token).await
        }
    }
    let flaky = Arc::new(Flaky(false.into()));
    let server = start_with(test_module(), |b| {
        b.verifier(flaky.clone()).config(ServerConfig {
            ws_reverify_interval: Duration::from_millis(50),
            ..ServerConfig::default()
        })
    })
    .await;
    let t = token(&[Permission::Read]);
    let mut raw = RawWs::open(&format!("{}?token={t}", server.ws_url())).await;
    raw.send(&call(1, "Test.Forever", json!([]))).await;
    assert!(raw.recv().await["result"].is_u64());
    flaky.0.store(true, std::sync::atomic::Ordering::SeqCst);
    // Several periodic checks fail meanwhile.
    tokio::time::sleep(Duration::from_millis(300)).await;
    raw.send(&call(2, "Test.Add", json!([1, 1]))).await;
    let v = loop {
        let v = raw.recv().await;
        if v["id"] == 2 {
            break v;
        }
    };
    assert_eq!(v["error"]["code"], codes::INTERNAL_ERROR, "{v}");
    flaky.0.store(false, std::sync::atomic::Ordering::SeqCst);
    raw.send(&call(3, "Test.Add", json!([1, 1]))).await;
    let v = loop {
        let v = raw.recv().await;
        if v["id"] == 3 {
            break v;
        }
    };
    assert_eq!(v["result"], 2);
    server.stop().await;
}

#[tokio::test]
async fn an_expired_token_loses_its_open_websocket() {
    let server = start(ServerConfig::default()).await;
    let short = Hs256Verifier::new(SECRET)
        .sign(
            vec![Permission::Read],
            Some("brief".into()),
            Some(Duration::from_secs(1)),
        )
        .expect("token");
    let mut raw = RawWs::open(&format!("{}?token={short}", server.ws_url())).await;
    raw.send(&call(1, "Test.WhoAmI", json!([]))).await;
    assert_eq!(raw.recv().await["result"], "brief");
    // `exp` is in whole seconds: past it after at most two.
    tokio::time::sleep(Duration::from_millis(2100)).await;
    raw.send(&call(2, "Test.WhoAmI", json!([]))).await;
    let v = raw.recv().await;
    assert_eq!(v["error"]["code"], codes::UNAUTHORIZED, "{v}");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("expired"),
        "{v}"
    );
    server.stop().await;
}

/// The reply to request `id`, skipping channel values.
async fn reply_to(ws: &mut RawWs, id: u64) -> Value {
    loop {
        let v = ws.recv().await;
        if v["id"] == id {
            return v;
        }
    }
}

fn message(v: &Value) -> &str {
    v["error"]["message"].as_str().unwrap_or("")
}

#[tokio::test]
async fn channels_are_capped_per_connection_and_per_server() {
    let server = start(ServerConfig {
        max_channels_per_conn: 2,
        max_channels: 4,
        ..ServerConfig::default()
    })
    .await;
    let t = token(&[Permission::Read]);
    let named = format!("{}?token={t}", server.ws_url());
    let mut a = RawWs::open(&named).await;
    for id in 1..=2 {
        a.send(&call(id, "Test.Forever", json!([]))).await;
        assert!(reply_to(&mut a, id).await["result"].is_u64());
    }
    a.send(&call(3, "Test.Forever", json!([]))).await;
    let refused = reply_to(&mut a, 3).await;
    assert!(
        message(&refused).contains("on this connection (limit 2)"),
        "{refused}"
    );

    // Callers without a token hold at most half of the server's channels.
    let mut anon = RawWs::open(&server.ws_url()).await;
    anon.send(&call(1, "Test.Forever", json!([]))).await;
    let refused = reply_to(&mut anon, 1).await;
    assert!(
        message(&refused).contains("(limit 2 for callers without a token)"),
        "{refused}"
    );

    let mut b = RawWs::open(&named).await;
    for id in 1..=2 {
        b.send(&call(id, "Test.Forever", json!([]))).await;
        assert!(reply_to(&mut b, id).await["result"].is_u64());
    }
    let mut c = RawWs::open(&named).await;
    c.send(&call(1, "Test.Forever", json!([]))).await;
    let refused = reply_to(&mut c, 1).await;
    assert!(
        message(&refused).contains("server has too many open channels (limit 4)"),
        "{refused}"
    );

    // Cancelling one gives its place back.
    a.send(&json!({"jsonrpc": "2.0", "method": "xrpc.cancel", "params": [1]}))
        .await;
    let reopened = tokio::time::timeout(Duration::from_secs(5), async {
        for id in 10.. {
            c.send(&call(id, "Test.Forever", json!([]))).await;
            if reply_to(&mut c, id).await["result"].is_u64() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    assert!(
        reopened.is_ok(),
        "a cancelled channel's place was not given back"
    );
    server.stop().await;
}

#[tokio::test]
async fn anonymous_callers_are_limited_per_address_and_to_the_open_methods() {
    let server = start_with(test_module(), |b| {
        b.verifier(Arc::new(Hs256Verifier::new(SECRET)))
            .anonymous(Anonymous::Only(vec!["Test.Add".into()]))
            .config(ServerConfig {
                anonymous_rate_limit: Some(RateLimit {
                    requests: 5,
                    window_ms: 60_000,
                }),
                ..ServerConfig::default()
            })
    })
    .await;
    let anon = client(&server.http_url(), None).await;
    let named = client(&server.http_url(), Some(token(&[Permission::Read]))).await;
    match anon.call::<WhoAmI>([]).await {
        Err(Error::Rpc(e)) => assert!(e.message.contains("needs a token"), "{e}"),
        other => panic!("anonymous read of a closed method: {other:?}"),
    }
    assert_eq!(
        named.call::<WhoAmI>([]).await.expect("named").as_deref(),
        Some("tester")
    );
    // Five calls pass, then the budget is spent.
    for _ in 0..5 {
        anon.call::<Add>((1, 2)).await.expect("within budget");
    }
    match anon.call::<Add>((1, 2)).await {
        Err(Error::Rpc(e)) => {
            assert_eq!(e.code, codes::RATE_LIMITED);
            assert!(e.message.contains("anonymous@127.0.0.1"), "{e}");
        }
        other => panic!("sixth anonymous call: {other:?}"),
    }
    // Callers with a token are not affected.
    for _ in 0..10 {
        named
            .call::<Add>((1, 2))
            .await
            .expect("named caller unaffected");
    }
    server.stop().await;
}

#[tokio::test]
async fn without_a_limit_setting_anonymous_callers_are_not_counted() {
    // The library default keeps Lotus's behaviour; the daemons opt in.
    assert_eq!(ServerConfig::default().anonymous_rate_limit, None);
    assert!(ServerConfig::daemon().anonymous_rate_limit.is_some());
    let server = start(ServerConfig::default()).await;
    let anon = client(&server.http_url(), None).await;
    for _ in 0..200 {
        anon.call::<Add>((1, 2)).await.expect("no limit");
    }
    server.stop().await;
}
