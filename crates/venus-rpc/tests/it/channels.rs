//! go-jsonrpc channels: order, close, cancel, slow consumers, many subscribers.

use std::sync::atomic::Ordering;
use std::time::Duration;

use futures::StreamExt;
use serde_json::json;
use venus_rpc::*;

use crate::*;

#[tokio::test]
async fn values_arrive_in_order_and_the_server_closes() {
    let server = start(ServerConfig::default()).await;
    let c = client(&server.ws_url(), None).await;
    let sub = c.subscribe::<Count>((20_000,)).await.expect("subscribe");
    let got: Vec<u64> = sub.map(|v| v.expect("decodes")).collect().await;
    // A burst larger than both queues (1024) arrives whole: full queues wait, within the grace.
    assert_eq!(
        got,
        (0..20_000).collect::<Vec<_>>(),
        "all values, in order, then the end"
    );

    // On the wire: result is the channel id, then xrpc.ch.val [id, v]…, then xrpc.ch.close [id].
    let mut ws = RawWs::open(&server.ws_url()).await;
    ws.send(&call(1, "Test.Count", json!([2]))).await;
    let resp = ws.recv().await;
    let chan = resp["result"].as_u64().expect("channel id");
    for i in 0..2 {
        let f = ws.recv().await;
        assert_eq!(f["method"], "xrpc.ch.val");
        assert_eq!(f["params"], json!([chan, i]));
    }
    let f = ws.recv().await;
    assert_eq!(
        (f["method"].clone(), f["params"].clone()),
        (json!("xrpc.ch.close"), json!([chan]))
    );
    server.stop().await;
}

#[tokio::test]
async fn channels_need_a_websocket() {
    let server = start(ServerConfig::default()).await;
    let c = client(&server.http_url(), None).await;
    assert!(matches!(
        c.subscribe::<Count>((1,)).await,
        Err(Error::NeedsWebSocket(_))
    ));
    let err = c
        .call_raw("Test.Count", json!([1]))
        .await
        .expect_err("channel over http");
    assert!(err.to_string().contains("WebSocket"), "{err}");
    server.stop().await;
}

#[tokio::test]
async fn dropping_a_subscription_cancels_it_on_the_server() {
    let server = start(ServerConfig::default()).await;
    let c = client(&server.ws_url(), None).await;
    let before = FOREVER_ALIVE.load(Ordering::SeqCst);
    let mut sub = c.subscribe::<Forever>([]).await.expect("subscribe");
    for i in 0..10 {
        assert_eq!(sub.next().await.expect("value").expect("decodes"), i);
    }
    assert_eq!(FOREVER_ALIVE.load(Ordering::SeqCst), before + 1);
    drop(sub);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while FOREVER_ALIVE.load(Ordering::SeqCst) > before {
        assert!(
            tokio::time::Instant::now() < deadline,
            "server stream not dropped after xrpc.cancel"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // The connection still serves calls.
    assert_eq!(c.call::<Add>((1, 2)).await.expect("call after cancel"), 3);
    server.stop().await;
}

#[tokio::test]
async fn a_slow_consumer_is_cut_without_unbounded_buffering() {
    let config = ServerConfig {
        ws_send_queue: 16,
        slow_consumer_grace: Duration::from_millis(300),
        ..ServerConfig::default()
    };
    let server = start(config).await;
    let mut ws = RawWs::open(&server.ws_url()).await;
    // An endless channel of 64 KiB values the client does not read for a
    // while: the socket buffers fill within a few hundred values.
    ws.send(&call(1, "Test.Blobs", json!([64 << 10]))).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let resp = ws.recv().await;
    let chan = resp["result"].as_u64().expect("channel id");
    let mut values = 0u64;
    loop {
        let f = ws.recv().await;
        match f["method"].as_str() {
            Some("xrpc.ch.val") => {
                values += 1;
                assert!(
                    values < 10_000,
                    "{values} values and no close: the stalled channel was never cut"
                );
            }
            Some("xrpc.ch.close") => {
                assert_eq!(f["params"], json!([chan]));
                break;
            }
            other => panic!("unexpected frame {other:?}"),
        }
    }
    // What was buffered is the socket buffers plus the 16-message queue, not millions.
    assert!(
        values < 1_000_000,
        "{values} values were buffered for a stalled client"
    );
    ws.send(&call(2, "Test.Add", json!([1, 1]))).await;
    assert_eq!(ws.recv().await["result"], 2, "the connection survives");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_concurrent_subscribers() {
    let server = start(ServerConfig::default()).await;
    let url = server.ws_url();
    let tasks: Vec<_> = (0..100)
        .map(|_| {
            let url = url.clone();
            tokio::spawn(async move {
                let c = client(&url, None).await;
                let sub = c.subscribe::<Count>((100,)).await.expect("subscribe");
                sub.map(|v| v.expect("decodes")).collect::<Vec<u64>>().await
            })
        })
        .collect();
    for t in tasks {
        assert_eq!(t.await.expect("task"), (0..100).collect::<Vec<_>>());
    }
    server.stop().await;
}
