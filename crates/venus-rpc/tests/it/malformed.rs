//! Bad input gets the right error, and the server keeps serving.

use serde_json::{json, Value};
use venus_rpc::*;

use crate::*;

async fn post(url: &str, body: &str) -> (u16, Value) {
    let resp = reqwest::Client::new()
        .post(url)
        .body(body.to_string())
        .send()
        .await
        .expect("post");
    let status = resp.status().as_u16();
    let text = resp.text().await.expect("body");
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

fn code(v: &Value) -> i64 {
    v["error"]["code"]
        .as_i64()
        .unwrap_or_else(|| panic!("no error code in {v}"))
}

#[tokio::test]
async fn http_bad_requests_get_their_codes() {
    let server = start(ServerConfig {
        max_request_bytes: 1024,
        ..ServerConfig::default()
    })
    .await;
    let url = server.http_url();
    let cases: Vec<(String, i64)> = vec![
        ("{not json".into(), codes::PARSE_ERROR),
        ("".into(), codes::PARSE_ERROR),
        ("5".into(), codes::INVALID_REQUEST),
        (
            json!({"jsonrpc": "2.0", "id": 1}).to_string(),
            codes::INVALID_REQUEST,
        ),
        ("[]".into(), codes::INVALID_REQUEST),
        (
            call(1, "Test.Missing", json!([])).to_string(),
            codes::METHOD_NOT_FOUND,
        ),
        (
            call(1, "Test.Add", json!([1])).to_string(),
            codes::INVALID_PARAMS,
        ),
        (
            call(1, "Test.Add", json!([1, 2, 3])).to_string(),
            codes::INVALID_PARAMS,
        ),
        (
            call(1, "Test.Add", json!(["a", "b"])).to_string(),
            codes::INVALID_PARAMS,
        ),
        (
            call(1, "Test.Add", json!({"a": 1})).to_string(),
            codes::INVALID_PARAMS,
        ),
    ];
    for (body, expected) in cases {
        let (status, v) = post(&url, &body).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(code(&v), expected, "{body}: {v}");
        assert!(!v["error"]["message"].as_str().unwrap_or("").is_empty());
    }
    let (status, v) = post(
        &url,
        &call(1, "Test.Echo", json!(["x".repeat(4096)])).to_string(),
    )
    .await;
    assert_eq!(status, 413);
    assert_eq!(code(&v), codes::INVALID_REQUEST);
    assert!(v["error"]["message"]
        .as_str()
        .unwrap_or("")
        .contains("1024-byte limit"));

    // Still serving.
    let c = client(&url, None).await;
    assert_eq!(c.call::<Add>((20, 22)).await.expect("still serving"), 42);
    server.stop().await;
}

#[tokio::test]
async fn ws_bad_frames_get_errors_and_the_connection_lives() {
    let server = start(ServerConfig {
        max_request_bytes: 1024,
        ..ServerConfig::default()
    })
    .await;
    let mut ws = RawWs::open(&server.ws_url()).await;
    ws.send_text("{oops").await;
    assert_eq!(code(&ws.recv().await), codes::PARSE_ERROR);
    ws.send(&call(2, "Nope.Nope", json!([]))).await;
    let v = ws.recv().await;
    assert_eq!(
        (v["id"].clone(), code(&v)),
        (json!(2), codes::METHOD_NOT_FOUND)
    );
    ws.send(&call(3, "Test.Add", json!([true, 1]))).await;
    assert_eq!(code(&ws.recv().await), codes::INVALID_PARAMS);
    ws.send(&call(4, "Test.Echo", json!(["y".repeat(2048)])))
        .await;
    assert_eq!(code(&ws.recv().await), codes::INVALID_REQUEST);
    ws.send(&call(5, "Test.Add", json!([2, 3]))).await;
    assert_eq!(ws.recv().await["result"], 5, "same connection still works");

    let other = client(&server.ws_url(), None).await;
    assert_eq!(other.call::<Add>((1, 1)).await.expect("other client"), 2);
    server.stop().await;
}

#[tokio::test]
async fn client_retries_idempotent_calls_and_times_out() {
    // Nothing listens here: idempotent calls retry, then fail as transport errors.
    let config = ClientConfig {
        retries: 2,
        backoff: std::time::Duration::from_millis(10),
        ..ClientConfig::default()
    };
    let c = RpcClient::connect_with(Endpoint::new("http://127.0.0.1:9/rpc/v1", None), config)
        .await
        .expect("lazy");
    let started = std::time::Instant::now();
    let err = c.call::<Add>((1, 1)).await.expect_err("no server");
    assert!(err.is_transient(), "{err:?}");
    assert!(
        started.elapsed() >= std::time::Duration::from_millis(30),
        "two backoffs happened"
    );

    let server = start(ServerConfig::default()).await;
    let short = ClientConfig {
        timeout: std::time::Duration::from_millis(200),
        ..ClientConfig::default()
    };
    let c = RpcClient::connect_with(Endpoint::new(server.http_url(), None), short)
        .await
        .expect("client");
    assert!(matches!(
        c.call::<Sleep>((5_000,)).await,
        Err(Error::Timeout(_))
    ));
    server.stop().await;
}
