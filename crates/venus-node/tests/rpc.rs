//! The node's Lotus API over a real socket: every method answers in the
//! shape of Lotus's OpenRPC examples (`shared/vectors/lotus-openrpc`), a
//! method it does not serve answers "method not found", and `LotusClient`
//! drives it as it drives Lotus.

#![allow(missing_docs)]

mod common;

use std::path::PathBuf;

use common::*;
use serde_json::{json, Value};
use venus_api::lotus::{LotusClient, FULL_API_VERSION};
use venus_core::json::Lotus;
use venus_core::traits::{ChainRead, StateRead};
use venus_mpool::Origin;
use venus_rpc::{RpcClient, RpcServer};

fn examples() -> Option<std::collections::HashMap<String, Value>> {
    let dir = std::env::var("VENUS_VECTORS")
        .ok()
        .map(PathBuf::from)
        .or_else(|| {
            let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/vectors");
            p.exists().then_some(p)
        })?;
    let text = std::fs::read_to_string(dir.join("lotus-openrpc/full.json")).ok()?;
    let doc: Value = serde_json::from_str(&text).ok()?;
    let mut out = std::collections::HashMap::new();
    for m in doc["methods"].as_array()? {
        let r = &m["result"];
        let ex = r["examples"]
            .get(0)
            .or_else(|| r["schema"]["examples"].get(0))
            .cloned();
        if let (Some(name), Some(ex)) = (m["name"].as_str(), ex) {
            out.insert(name.to_string(), ex);
        }
    }
    Some(out)
}

/// Where `ours` differs in shape from Lotus's example: object keys, and
/// the JSON kind of each value (null stands for an absent optional).
fn shape_diff(ours: &Value, theirs: &Value, path: &str, out: &mut Vec<String>) {
    match (ours, theirs) {
        (Value::Object(a), Value::Object(b)) => {
            let ka: std::collections::BTreeSet<_> = a.keys().collect();
            let kb: std::collections::BTreeSet<_> = b.keys().collect();
            if ka != kb {
                out.push(format!("{path}: keys {ka:?} vs Lotus's {kb:?}"));
            }
            for k in ka.intersection(&kb) {
                shape_diff(&a[*k], &b[*k], &format!("{path}.{k}"), out);
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            if let (Some(x), Some(y)) = (a.first(), b.first()) {
                shape_diff(x, y, &format!("{path}[0]"), out);
            }
        }
        (Value::Null, _) | (_, Value::Null) => {}
        (Value::String(_), Value::String(_))
        | (Value::Number(_), Value::Number(_))
        | (Value::Bool(_), Value::Bool(_)) => {}
        (a, b) => out.push(format!("{path}: {a} vs Lotus's {b}")),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_method_answers_in_lotus_shape() {
    let n = net();
    let secp = n.secp.address().expect("a");
    let m0 = send(&n.secp, 0);
    let c0 = n.node.push(m0.clone(), Origin::Local).await.expect("push");
    let g = n.node.head().await.expect("head");
    let b1 = mine(&n, &g, 1, vec![m0]).await;
    n.node.submit_block(b1.clone()).await.expect("b1");
    let t1 = n.node.head().await.expect("head");
    let b2 = mine(&n, &t1, 2, vec![]).await;
    n.node.submit_block(b2.clone()).await.expect("b2");
    let t2 = n.node.head().await.expect("head");

    let server = RpcServer::builder(venus_node::rpc::lotus_module(n.node.clone()))
        .insecure_allow_all()
        .build()
        .start("127.0.0.1:0".parse().expect("addr"))
        .await
        .expect("serve");
    let rpc = RpcClient::connect(&server.http_url())
        .await
        .expect("client");

    let key =
        |t: &venus_core::types::TipSet| serde_json::to_value(Lotus(t.key().clone())).expect("k");
    let cid = |c: cid::Cid| json!({"/": c.to_string()});
    let b1_cid = b1.header.cid().expect("cid");
    let b2_cid = b2.header.cid().expect("cid");
    let probe = sign(
        &n.secp,
        venus_core::Message {
            version: 0,
            from: secp,
            to: venus_core::Address::new_id(100),
            sequence: 1,
            value: venus_core::TokenAmount::from_atto(5),
            method_num: 0,
            params: Default::default(),
            gas_limit: 0,
            gas_fee_cap: Default::default(),
            gas_premium: Default::default(),
        },
    );
    let unsigned = serde_json::to_value(Lotus(probe.message.clone())).expect("msg");
    let calls: Vec<(&str, Value)> = vec![
        ("Filecoin.ChainHead", json!([])),
        ("Filecoin.ChainGetTipSet", json!([key(&t1)])),
        ("Filecoin.ChainGetTipSetByHeight", json!([1, key(&t2)])),
        ("Filecoin.ChainGetBlock", json!([cid(b1_cid)])),
        ("Filecoin.ChainGetBlockMessages", json!([cid(b1_cid)])),
        ("Filecoin.ChainGetMessage", json!([cid(c0)])),
        ("Filecoin.ChainGetMessagesInTipset", json!([key(&t1)])),
        ("Filecoin.ChainGetParentMessages", json!([cid(b2_cid)])),
        ("Filecoin.ChainGetParentReceipts", json!([cid(b2_cid)])),
        ("Filecoin.ChainReadObj", json!([cid(b1_cid)])),
        ("Filecoin.ChainHasObj", json!([cid(b1_cid)])),
        (
            "Filecoin.StateGetActor",
            json!([secp.to_string(), key(&t2)]),
        ),
        (
            "Filecoin.StateLookupID",
            json!([secp.to_string(), key(&t2)]),
        ),
        ("Filecoin.StateAccountKey", json!(["f0101", key(&t2)])),
        ("Filecoin.StateMinerInfo", json!(["f01000", key(&t2)])),
        ("Filecoin.StateMinerPower", json!(["f01000", key(&t2)])),
        ("Filecoin.StateNetworkName", json!([])),
        ("Filecoin.StateNetworkVersion", json!([key(&t2)])),
        ("Filecoin.StateGetNetworkParams", json!([])),
        ("Filecoin.SyncState", json!([])),
        ("Filecoin.StateGetBeaconEntry", json!([2])),
        ("Filecoin.MinerGetBaseInfo", json!(["f01000", 3, key(&t2)])),
        ("Filecoin.MpoolPending", json!([[]])),
        ("Filecoin.MpoolGetNonce", json!([secp.to_string()])),
        ("Filecoin.MpoolGetConfig", json!([])),
        ("Filecoin.MpoolSelect", json!([key(&t2), 0.8])),
        (
            "Filecoin.GasEstimateMessageGas",
            json!([unsigned, null, []]),
        ),
        ("Filecoin.GasEstimateGasLimit", json!([unsigned, []])),
        (
            "Filecoin.GasEstimateGasPremium",
            json!([10, secp.to_string(), 1000000, []]),
        ),
        ("Filecoin.GasEstimateFeeCap", json!([unsigned, 20, []])),
        ("Filecoin.StateSearchMsg", json!([[], cid(c0), -1, true])),
        ("Filecoin.StateWaitMsg", json!([cid(c0), 0, -1, true])),
        ("Filecoin.WalletBalance", json!([secp.to_string()])),
        (
            "Filecoin.StateGetRandomnessFromTickets",
            json!([2, 1, "AQID", key(&t2)]),
        ),
        (
            "Filecoin.StateGetRandomnessFromBeacon",
            json!([5, 1, "AQID", key(&t2)]),
        ),
        (
            "Filecoin.StateMinerProvingDeadline",
            json!(["f01000", key(&t2)]),
        ),
        ("Filecoin.StateMinerAllocated", json!(["f01000", key(&t2)])),
        (
            "Filecoin.StateMinerSectorAllocated",
            json!(["f01000", 0, key(&t2)]),
        ),
        (
            "Filecoin.StateSectorPreCommitInfo",
            json!(["f01000", 0, key(&t2)]),
        ),
        (
            "Filecoin.StateSectorGetInfo",
            json!(["f01000", 0, key(&t2)]),
        ),
        (
            "Filecoin.StateMinerSectors",
            json!(["f01000", null, key(&t2)]),
        ),
        (
            "Filecoin.StateMinerPartitions",
            json!(["f01000", 0, key(&t2)]),
        ),
        ("Filecoin.StateMinerDeadlines", json!(["f01000", key(&t2)])),
        (
            "Filecoin.StateSectorPartition",
            json!(["f01000", 0, key(&t2)]),
        ),
    ];
    let examples = Some(examples().expect(
        "Lotus's OpenRPC examples: set VENUS_VECTORS to shared/vectors (lotus-openrpc/full.json)",
    ));
    let mut diffs = Vec::new();
    for (method, params) in &calls {
        let ours = match rpc.call_raw(method, params.clone()).await {
            Ok(v) => v,
            Err(e) => {
                diffs.push(format!("{method}: {e}"));
                continue;
            }
        };
        if let Some(ex) = examples.as_ref().and_then(|e| e.get(*method)) {
            shape_diff(&ours, ex, method, &mut diffs);
        }
    }
    assert!(diffs.is_empty(), "{}", diffs.join("\n"));

    // Values, where a shape is not enough.
    let v = rpc
        .call_raw("Filecoin.Version", json!([]))
        .await
        .expect("version");
    assert_eq!(v["APIVersion"], json!(FULL_API_VERSION));
    assert_eq!(v["BlockDelay"], json!(DELAY));
    let found = rpc
        .call_raw("Filecoin.StateSearchMsg", json!([[], cid(c0), -1, true]))
        .await
        .expect("search");
    assert_eq!(found["Height"], json!(2));
    assert_eq!(found["Receipt"]["ExitCode"], json!(0));
    // A lookback limit of 0 still looks at the head, whose parent receipts hold it.
    let at_head = rpc
        .call_raw("Filecoin.StateSearchMsg", json!([[], cid(c0), 0, true]))
        .await
        .expect("search");
    assert_eq!(at_head["Height"], json!(2));
    // Not found one tipset back, with a limit of 0 from there.
    let from_t1 = rpc
        .call_raw(
            "Filecoin.StateSearchMsg",
            json!([key(&t1), cid(c0), 0, true]),
        )
        .await
        .expect("search");
    assert_eq!(from_t1, json!(null));
    // A message the node never saw is an error, not a wait.
    let unknown = rpc
        .call_raw(
            "Filecoin.StateSearchMsg",
            json!([[], cid(b1_cid), -1, true]),
        )
        .await
        .expect_err("not a message");
    assert!(
        unknown.to_string().contains("failed to load message"),
        "{unknown}"
    );
    let estimated = rpc
        .call_raw(
            "Filecoin.GasEstimateMessageGas",
            json!([unsigned, null, []]),
        )
        .await
        .expect("estimate");
    let limit = estimated["GasLimit"].as_u64().expect("limit");
    assert!(
        limit > 100_000,
        "a send costs its inclusion gas at least: {limit}"
    );
    let batch = rpc
        .call_raw(
            "Filecoin.GasBatchEstimateMessageGas",
            json!([[{"Msg": unsigned, "Spec": null}, {"Msg": unsigned, "Spec": null}], 1, []]),
        )
        .await
        .expect("batch");
    assert_eq!(batch[0]["Msg"]["Nonce"], json!(1));
    assert_eq!(batch[1]["Msg"]["Nonce"], json!(2), "{batch}");
    assert_eq!(batch[1]["Err"], json!(""));

    // The genesis miner's one sector, where damocles looks for it.
    let at = |m: &'static str, p: Value| {
        let rpc = &rpc;
        async move { rpc.call_raw(m, p).await.expect(m) }
    };
    assert_eq!(
        at(
            "Filecoin.StateMinerSectorAllocated",
            json!(["f01000", 0, []])
        )
        .await,
        json!(true)
    );
    assert_eq!(
        at(
            "Filecoin.StateMinerSectorAllocated",
            json!(["f01000", 1, []])
        )
        .await,
        json!(false)
    );
    assert_eq!(
        at("Filecoin.StateMinerAllocated", json!(["f01000", []])).await,
        json!([0, 1])
    );
    let sectors = at("Filecoin.StateMinerSectors", json!(["f01000", [0, 1], []])).await;
    assert_eq!(sectors.as_array().map(Vec::len), Some(1), "{sectors}");
    assert_eq!(sectors[0]["SectorNumber"], json!(0));
    let loc = at("Filecoin.StateSectorPartition", json!(["f01000", 0, []])).await;
    let parts = at(
        "Filecoin.StateMinerPartitions",
        json!(["f01000", loc["Deadline"], []]),
    )
    .await;
    let index = loc["Partition"].as_u64().expect("index") as usize;
    assert_eq!(parts[index]["AllSectors"], json!([0, 1]));
    assert_eq!(
        at(
            "Filecoin.StateSectorPreCommitInfo",
            json!(["f01000", 0, []])
        )
        .await,
        json!(null)
    );
    let dl = at("Filecoin.StateMinerProvingDeadline", json!(["f01000", []])).await;
    assert!(dl["Close"].as_i64() > dl["Open"].as_i64(), "{dl}");

    // A method the node does not serve: go-jsonrpc's code and text.
    let err = rpc
        .call_raw("Filecoin.StateMarketDeals", json!([[]]))
        .await
        .expect_err("not served");
    assert!(
        err.to_string()
            .contains("-32601: method 'Filecoin.StateMarketDeals' not found"),
        "{err}"
    );

    // Lotus's text for an unknown actor, which clients match on.
    let err = rpc
        .call_raw("Filecoin.StateGetActor", json!(["f0999999", []]))
        .await
        .expect_err("no such actor");
    assert!(err.to_string().contains("actor not found"), "{err}");

    // LotusClient, over WebSocket, as against Lotus.
    let client = LotusClient::connect(&server.ws_url()).await.expect("ws");
    assert_eq!(client.head().await.expect("head").key(), t2.key());
    let lookup = client
        .search_message(&c0)
        .await
        .expect("search")
        .expect("found");
    assert_eq!(lookup.tipset, *t2.key());
    server.stop().await;
}
