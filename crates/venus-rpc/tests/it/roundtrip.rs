//! Calls over HTTP and WebSocket, and batches.

use std::sync::atomic::Ordering;
use std::time::Duration;

use serde_json::json;
use venus_rpc::*;

use crate::*;

#[tokio::test]
async fn http_and_ws_round_trips() {
    let server = start(ServerConfig::default()).await;
    for url in [server.http_url(), server.ws_url()] {
        let c = client(&url, None).await;
        assert_eq!(c.call::<Add>((2, 40)).await.expect("add"), 42);
        let v = json!({"nested": [1, "two", null], "big": "123456789012345678901234567890"});
        assert_eq!(c.call::<Echo>((v.clone(),)).await.expect("echo"), v);
        let err = c.call::<Add>((i64::MAX, 1)).await.expect_err("overflow");
        assert!(
            matches!(err, Error::Rpc(RpcError { code: 1, ref message, .. }) if message == "overflow"),
            "{err:?}"
        );
    }
    // Both protocol versions are served.
    let v0 = client(&server.http_url().replace("/rpc/v1", "/rpc/v0"), None).await;
    assert_eq!(v0.call::<Add>((1, 1)).await.expect("v0"), 2);
    server.stop().await;
}

rpc_method! { pub AddV0 = "Test.Add", read, idempotent, (i64,) => i64 }
rpc_method! { pub OnlyV0 = "Test.OnlyV0", read, idempotent, NoParams => String }

/// A v0 module overrides its methods on `/rpc/v0`, over HTTP and
/// WebSocket; `/rpc/v1` keeps the main module's, and other methods are
/// shared.
#[tokio::test]
async fn v0_module_overrides_its_methods_on_rpc_v0_only() {
    let mut v0 = RpcModule::new();
    v0.register::<AddV0, _, _>(|_, (a,)| async move { Ok(a + 1000) });
    v0.register::<OnlyV0, _, _>(|_, _| async move { Ok("v0".to_string()) });
    let server = RpcServer::builder(test_module())
        .v0(v0)
        .insecure_allow_all()
        .build()
        .start("127.0.0.1:0".parse().expect("addr"))
        .await
        .expect("server starts");
    for url in [server.http_url(), server.ws_url()] {
        let v1 = client(&url, None).await;
        assert_eq!(v1.call::<Add>((2, 40)).await.expect("v1"), 42);
        v1.call::<OnlyV0>([]).await.expect_err("v0 only");
        let v0 = client(&url.replace("/rpc/v1", "/rpc/v0"), None).await;
        assert_eq!(v0.call::<AddV0>((2,)).await.expect("v0"), 1002);
        assert_eq!(v0.call::<OnlyV0>([]).await.expect("v0"), "v0");
        assert_eq!(
            v0.call::<Echo>((json!(7),)).await.expect("shared"),
            json!(7)
        );
    }
    server.stop().await;
}

#[tokio::test]
async fn http_batch_keeps_order_and_reports_each_error() {
    let server = start(ServerConfig::default()).await;
    let c = client(&server.http_url(), None).await;
    let out = c
        .batch(vec![
            ("Test.Add".into(), json!([1, 2])),
            ("Test.Nope".into(), json!([])),
            ("Test.Echo".into(), json!(["x"])),
            ("Test.Write".into(), json!([])),
        ])
        .await
        .expect("batch");
    assert_eq!(out[0], Ok(json!(3)));
    assert_eq!(
        out[1].as_ref().expect_err("unknown").code,
        codes::METHOD_NOT_FOUND
    );
    assert_eq!(out[2], Ok(json!("x")));
    assert!(out[3]
        .as_ref()
        .expect_err("needs write")
        .message
        .contains("need 'write'"));
    server.stop().await;
}

#[tokio::test]
async fn ws_batch_and_notifications() {
    let server = start(ServerConfig::default()).await;
    let mut ws = RawWs::open(&server.ws_url()).await;
    ws.send(&json!([call(1, "Test.Add", json!([1, 1])), {"jsonrpc": "2.0", "method": "Test.Add", "params": [5, 5]}, call(2, "Test.Add", json!([2, 2]))])).await;
    let resp = ws.recv().await;
    let arr = resp.as_array().expect("batch response");
    assert_eq!(arr.len(), 2, "the notification gets no response");
    assert_eq!(
        (arr[0]["id"].clone(), arr[0]["result"].clone()),
        (json!(1), json!(2))
    );
    assert_eq!(
        (arr[1]["id"].clone(), arr[1]["result"].clone()),
        (json!(2), json!(4))
    );
    server.stop().await;
}

#[tokio::test]
async fn ws_cancel_stops_a_running_call_and_graceful_shutdown_ends_connections() {
    let server = start(ServerConfig::default()).await;
    let mut ws = RawWs::open(&server.ws_url()).await;
    ws.send(&call(7, "Test.Sleep", json!([60_000]))).await;
    ws.send(&json!({"jsonrpc": "2.0", "method": "xrpc.cancel", "params": [7]}))
        .await;
    ws.send(&call(8, "Test.Add", json!([3, 4]))).await;
    let next = ws.recv().await;
    assert_eq!(next["id"], 8, "the cancelled call never answers");
    assert_eq!(next["result"], 7);
    let c = client(&server.ws_url(), None).await;
    let stop = tokio::spawn(server.stop());
    tokio::time::timeout(std::time::Duration::from_secs(10), stop)
        .await
        .expect("stops promptly")
        .expect("join");
    assert!(c.call::<Add>((1, 1)).await.is_err(), "server is gone");
}

/// A caller that stops waiting (a timeout drops its call) stops the call
/// on the server, over HTTP (the connection closes) and over a WebSocket
/// (the client sends `xrpc.cancel`; the socket stays open for others).
#[tokio::test]
async fn a_call_the_caller_gives_up_on_stops_on_the_server() {
    let server = start(ServerConfig::default()).await;
    for url in [server.http_url(), server.ws_url()] {
        let c = client(&url, None).await;
        // The call is given up on only once the server runs it.
        let mut call = Box::pin(c.call::<Hold>([]));
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while HOLD_ALIVE.load(Ordering::SeqCst) == 0 {
            assert!(
                tokio::time::Instant::now() < deadline,
                "{url}: the server never started Test.Hold"
            );
            tokio::select! {
                r = &mut call => panic!("{url}: Test.Hold never answers, yet got {r:?}"),
                _ = tokio::time::sleep(Duration::from_millis(10)) => {}
            }
        }
        drop(call);
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while HOLD_ALIVE.load(Ordering::SeqCst) > 0 {
            assert!(
                tokio::time::Instant::now() < deadline,
                "{url}: the server still runs a call its caller gave up on"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        // The same client (for a WebSocket, the same socket) still serves calls.
        assert_eq!(c.call::<Add>((2, 3)).await.expect("call after"), 5, "{url}");
    }
    server.stop().await;
}

#[tokio::test]
async fn api_info_strings_reach_the_server() {
    let server = start(ServerConfig::default()).await;
    let tok = token(&[Permission::Read, Permission::Write]);
    let info = format!(
        "{tok}:/ip4/127.0.0.1/tcp/{}/http",
        server.local_addr().port()
    );
    let c = RpcClient::connect(&info).await.expect("api info");
    assert_eq!(
        c.call::<WriteOp>([]).await.expect("write with token"),
        "wrote"
    );
    assert_eq!(
        c.call::<WhoAmI>([]).await.expect("who"),
        Some("tester".into())
    );
    let ws_info = format!("{tok}:/ip4/127.0.0.1/tcp/{}/ws", server.local_addr().port());
    let c = RpcClient::connect(&ws_info).await.expect("ws api info");
    assert_eq!(c.call::<WriteOp>([]).await.expect("write over ws"), "wrote");
    server.stop().await;
}
