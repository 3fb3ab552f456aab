//! JSON-RPC on loopback: a trivial call over HTTP and WebSocket (with p50/p99
//! latency printed after each group), the same over a WebSocket whose HS256
//! token is re-checked on every call, a batch of 100 calls, the refusal of a
//! million-item batch, and channel values to one subscriber.

#![allow(missing_docs)] // criterion_group! generates undocumented pub fns.

use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use futures::StreamExt;
use tokio::runtime::Runtime;
use venus_rpc::{
    channel_method, rpc_method, ClientConfig, Endpoint, Hs256Verifier, Permission, RpcClient,
    RpcModule, RpcServer, ServerHandle,
};

rpc_method! { pub Ping = "Bench.Ping", read, (u64,) => u64 }
channel_method! { pub Count = "Bench.Count", read, (u64,) => u64 }

const SECRET: &[u8] = b"bench secret, thirty-two bytes or more";

fn server(rt: &Runtime) -> ServerHandle {
    let mut m = RpcModule::new();
    m.register::<Ping, _, _>(|_, (x,)| async move { Ok(x) });
    m.register_channel::<Count, _, _, _>(|_, (n,)| async move { Ok(futures::stream::iter(0..n)) });
    rt.block_on(
        RpcServer::builder(m)
            .verifier(Arc::new(Hs256Verifier::new(SECRET)))
            .build()
            .start("127.0.0.1:0".parse().expect("addr")),
    )
    .expect("server")
}

fn client_with(rt: &Runtime, url: String, token: Option<String>) -> RpcClient {
    rt.block_on(RpcClient::connect_with(
        Endpoint::new(url, token),
        ClientConfig::default(),
    ))
    .expect("client")
}

fn client(rt: &Runtime, url: String) -> RpcClient {
    client_with(rt, url, None)
}

fn percentiles(rt: &Runtime, c: &RpcClient, label: &str) {
    let mut lat: Vec<Duration> = (0..2000u64)
        .map(|i| {
            let t = Instant::now();
            rt.block_on(c.call::<Ping>((i,))).expect("ping");
            t.elapsed()
        })
        .collect();
    lat.sort_unstable();
    println!(
        "{label}: p50 {:?}, p99 {:?} over 2000 calls",
        lat[lat.len() / 2],
        lat[lat.len() * 99 / 100]
    );
}

fn calls(cr: &mut Criterion) {
    let rt = Runtime::new().expect("runtime");
    let srv = server(&rt);
    let mut g = cr.benchmark_group("rpc trivial call (loopback)");
    g.throughput(Throughput::Elements(1));
    for (label, url) in [("http", srv.http_url()), ("websocket", srv.ws_url())] {
        let c = client(&rt, url);
        g.bench_function(label, |b| {
            b.iter(|| rt.block_on(c.call::<Ping>((7,))).expect("ping"))
        });
        percentiles(&rt, &c, label);
    }
    // The same call with a token: the server verifies it again on every call.
    let token = Hs256Verifier::new(SECRET)
        .sign(vec![Permission::Read], Some("bench".into()), None)
        .expect("token");
    let c = client_with(&rt, srv.ws_url(), Some(token));
    g.bench_function("websocket, token re-checked per call", |b| {
        b.iter(|| rt.block_on(c.call::<Ping>((7,))).expect("ping"))
    });
    g.finish();
    rt.block_on(srv.stop());
}

fn batches(cr: &mut Criterion) {
    let rt = Runtime::new().expect("runtime");
    let srv = server(&rt);
    let c = client(&rt, srv.http_url());
    let mut g = cr.benchmark_group("rpc batches over http (loopback)");
    g.throughput(Throughput::Elements(100));
    let calls: Vec<(String, serde_json::Value)> = (0..100)
        .map(|i| ("Bench.Ping".to_string(), serde_json::json!([i])))
        .collect();
    g.bench_function("100 calls", |b| {
        b.iter(|| {
            let out = rt.block_on(c.batch(calls.clone())).expect("batch");
            assert_eq!(out.len(), 100);
        })
    });
    // A hostile million-item batch (2 MB) is refused before its items are parsed.
    let body = format!("[{}0]", "0,".repeat(999_999));
    let http = reqwest::Client::new();
    g.throughput(Throughput::Bytes(body.len() as u64));
    g.bench_function("refusing 1M items (2 MB)", |b| {
        b.iter(|| {
            let text = rt.block_on(async {
                let resp = http.post(srv.http_url()).body(body.clone()).send().await;
                resp.expect("post").text().await.expect("text")
            });
            assert!(text.len() < 200);
        })
    });
    g.finish();
    rt.block_on(srv.stop());
}

fn channel(cr: &mut Criterion) {
    let rt = Runtime::new().expect("runtime");
    let srv = server(&rt);
    let c = client(&rt, srv.ws_url());
    const N: u64 = 10_000;
    let mut g = cr.benchmark_group("rpc channel values to one subscriber");
    g.throughput(Throughput::Elements(N));
    g.bench_function("10k values", |b| {
        b.iter(|| {
            rt.block_on(async {
                let sub = c.subscribe::<Count>((N,)).await.expect("subscribe");
                assert_eq!(sub.count().await as u64, N);
            })
        })
    });
    g.finish();
    rt.block_on(srv.stop());
}

criterion_group!(benches, calls, batches, channel);
criterion_main!(benches);
