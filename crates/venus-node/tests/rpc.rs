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
        (
            "Filecoin.StateMinerPreCommitDepositForPower",
            json!(["f01000", {"SealProof": 5, "SectorNumber": 9,
                "SealedCID": cid(b1_cid), "SealRandEpoch": 1, "DealIDs": [],
                "Expiration": 700_000, "UnsealedCid": null}, key(&t2)]),
        ),
        (
            "Filecoin.StateMinerInitialPledgeForSector",
            json!([600_000, 2048, 0, key(&t2)]),
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

async fn serve(n: &Net) -> (venus_rpc::ServerHandle, RpcClient, RpcClient) {
    let server = RpcServer::builder(venus_node::rpc::lotus_module(n.node.clone()))
        .v0(venus_node::rpc::lotus_v0_module(n.node.clone()))
        .insecure_allow_all()
        .build()
        .start("127.0.0.1:0".parse().expect("addr"))
        .await
        .expect("serve");
    let v1 = RpcClient::connect(&server.http_url())
        .await
        .expect("client");
    let v0 = RpcClient::connect(&server.http_url().replace("/rpc/v1", "/rpc/v0"))
        .await
        .expect("client");
    (server, v1, v0)
}

fn atto(v: &Value) -> fvm_shared::bigint::BigInt {
    v.as_str().expect("a FIL amount").parse().expect("atto")
}

/// `StateMinerPreCommitDepositForPower` quotes, with Lotus's 10% margin,
/// exactly what the miner actor locks for the pre-commit in the same
/// state; `StateMinerInitialPledgeForSector` weighs verified data and
/// refuses Lotus's bad arguments with Lotus's texts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pledge_quotes_match_what_the_miner_actor_charges() {
    use fil_actor_miner_state::v17::{
        max_prove_commit_duration, CompactCommD, PreCommitSectorBatchParams2, SectorPreCommitInfo,
    };
    use fvm_shared::sector::RegisteredSealProof;

    let n = net();
    let (server, rpc, _) = serve(&n).await;
    let key =
        |t: &venus_core::types::TipSet| serde_json::to_value(Lotus(t.key().clone())).expect("k");
    let g = n.node.head().await.expect("head");
    let b1 = mine(&n, &g, 1, vec![]).await;
    n.node.submit_block(b1).await.expect("b1");
    let t1 = n.node.head().await.expect("head");

    let policy = venus_chain::exec::policy::devnet();
    let sealed = cid::Cid::new_v1(
        0xf102,
        cid::multihash::Multihash::<64>::wrap(0xb401, &[7; 32]).expect("mh"),
    );
    let pci = SectorPreCommitInfo {
        seal_proof: RegisteredSealProof::StackedDRG2KiBV1P1,
        sector_number: 1,
        sealed_cid: sealed,
        seal_rand_epoch: 0,
        deal_ids: vec![],
        // Past the latest activation plus the shortest life.
        expiration: 2
            + max_prove_commit_duration(&policy, RegisteredSealProof::StackedDRG2KiBV1P1)
                .expect("duration")
            + policy.min_sector_expiration
            + 100,
        unsealed_cid: CompactCommD::empty(),
    };
    let pci_json = json!({
        "SealProof": 5, "SectorNumber": 1, "SealedCID": {"/": sealed.to_string()},
        "SealRandEpoch": 0, "DealIDs": [], "Expiration": pci.expiration, "UnsealedCid": null,
    });
    let quote = |k: Value| {
        let (rpc, pci_json) = (&rpc, pci_json.clone());
        async move {
            rpc.call_raw(
                "Filecoin.StateMinerPreCommitDepositForPower",
                json!(["f01000", pci_json, k]),
            )
            .await
            .expect("quote")
        }
    };
    let value = atto(&quote(key(&t1)).await);
    assert!(value > 0.into(), "a deposit is due");

    let worker = n.worker.address().expect("worker");
    let nonce = n.node.mpool().next_nonce(&worker).await.expect("nonce");
    let pre = sign(
        &n.worker,
        venus_core::Message {
            version: 0,
            from: worker,
            to: n.miner,
            sequence: nonce,
            value: venus_core::TokenAmount::from_atto(value),
            method_num: venus_chain::exec::actors::PRE_COMMIT_SECTOR_BATCH2,
            params: fvm_ipld_encoding::RawBytes::serialize(PreCommitSectorBatchParams2 {
                sectors: vec![pci],
            })
            .expect("params"),
            gas_limit: 200_000_000,
            gas_fee_cap: venus_core::TokenAmount::from_atto(1_000_000_000),
            gas_premium: venus_core::TokenAmount::from_atto(100_000),
        },
    );
    let c = n.node.push(pre.clone(), Origin::Local).await.expect("push");
    let b2 = mine(&n, &t1, 2, vec![pre]).await;
    n.node.submit_block(b2).await.expect("b2");
    let t2 = n.node.head().await.expect("head");
    let b3 = mine(&n, &t2, 3, vec![]).await;
    n.node.submit_block(b3).await.expect("b3");
    let found = n
        .node
        .search(&c, None)
        .await
        .expect("search")
        .expect("executed");
    assert_eq!(found.receipt.exit_code.value(), 0, "{:?}", found.receipt);

    let on_chain = rpc
        .call_raw(
            "Filecoin.StateSectorPreCommitInfo",
            json!(["f01000", 1, []]),
        )
        .await
        .expect("pre-commit");
    let locked = atto(&on_chain["PreCommitDeposit"]);
    // The message ran on t2's parent state, which the quote at t2 reads.
    let at_t2 = atto(&quote(key(&t2)).await);
    assert_eq!(at_t2, locked.clone() * 110 / 100, "locked {locked}");

    // A fully verified sector has ten times the power, so ten times the
    // pledge of an unverified one (the network is far below its baseline).
    let pledge = |verified: u64| {
        let rpc = &rpc;
        async move {
            rpc.call_raw(
                "Filecoin.StateMinerInitialPledgeForSector",
                json!([600_000, 2048, verified, []]),
            )
            .await
        }
    };
    let plain = atto(&pledge(0).await.expect("pledge"));
    let verified = atto(&pledge(2048).await.expect("pledge"));
    assert!(plain > 0.into());
    let ratio: fvm_shared::bigint::BigInt = verified.clone() * 1000 / plain.clone();
    assert!(
        (9_990..=10_010).contains(&ratio.to_string().parse::<i64>().expect("n")),
        "{verified} vs {plain}"
    );
    for (args, text) in [
        (
            json!([0, 2048, 0, []]),
            "sector duration must greater than 0",
        ),
        (json!([10, 0, 0, []]), "sector size must be non-zero"),
        (
            json!([10, 2048, 4096, []]),
            "verified size must be less than or equal to sector size",
        ),
    ] {
        let err = rpc
            .call_raw("Filecoin.StateMinerInitialPledgeForSector", args)
            .await
            .expect_err(text);
        assert!(err.to_string().contains(text), "{err}");
    }
    server.stop().await;
}

/// `/rpc/v0` answers Lotus's v0 shapes where they differ from v1 (and the
/// v0-only methods), and v1's everywhere else; `/rpc/v1` is untouched.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn v0_path_answers_lotus_v0_shapes() {
    let n = net();
    let m0 = send(&n.secp, 0);
    let c0 = n.node.push(m0.clone(), Origin::Local).await.expect("push");
    let g = n.node.head().await.expect("head");
    let b1 = mine(&n, &g, 1, vec![m0]).await;
    n.node.submit_block(b1).await.expect("b1");
    let t1 = n.node.head().await.expect("head");
    let b2 = mine(&n, &t1, 2, vec![]).await;
    n.node.submit_block(b2).await.expect("b2");
    let (server, v1, v0) = serve(&n).await;
    let cid = json!({"/": c0.to_string()});

    let version = v0
        .call_raw("Filecoin.Version", json!([]))
        .await
        .expect("v0");
    assert_eq!(
        version["APIVersion"],
        json!(venus_api::lotus::v0::FULL_API_VERSION_V0)
    );
    let version = v1
        .call_raw("Filecoin.Version", json!([]))
        .await
        .expect("v1");
    assert_eq!(version["APIVersion"], json!(FULL_API_VERSION));

    // v0's one-argument search and two-argument wait; v1 refuses those params.
    let found = v0
        .call_raw("Filecoin.StateSearchMsg", json!([cid]))
        .await
        .expect("v0 search");
    assert_eq!(found["Height"], json!(2));
    assert_eq!(found["Message"], cid);
    v1.call_raw("Filecoin.StateSearchMsg", json!([cid]))
        .await
        .expect_err("v1 takes four params");
    let waited = v0
        .call_raw("Filecoin.StateWaitMsg", json!([cid, 0]))
        .await
        .expect("v0 wait");
    assert_eq!(waited, found);
    let limited = v0
        .call_raw("Filecoin.StateWaitMsgLimited", json!([cid, 0, 5]))
        .await
        .expect("v0 wait limited");
    assert_eq!(limited, found);
    assert_eq!(
        v0.call_raw("Filecoin.StateSearchMsgLimited", json!([cid, 5]))
            .await
            .expect("limited"),
        found
    );
    let receipt = v0
        .call_raw("Filecoin.StateGetReceipt", json!([cid, []]))
        .await
        .expect("receipt");
    assert_eq!(receipt, found["Receipt"]);

    // v0 errors where v1 answers null.
    let err = v0
        .call_raw(
            "Filecoin.StateSectorPreCommitInfo",
            json!(["f01000", 0, []]),
        )
        .await
        .expect_err("no pre-commit");
    assert!(
        err.to_string().contains("precommit info does not exist"),
        "{err}"
    );
    assert_eq!(
        v1.call_raw(
            "Filecoin.StateSectorPreCommitInfo",
            json!(["f01000", 0, []])
        )
        .await
        .expect("v1"),
        json!(null)
    );

    // The v0-only spellings give v1's answers.
    let tsk = serde_json::to_value(Lotus(t1.key().clone())).expect("k");
    let v1_rand = v1
        .call_raw(
            "Filecoin.StateGetRandomnessFromTickets",
            json!([2, 1, "AQID", tsk]),
        )
        .await
        .expect("v1 rand");
    let v0_rand = v0
        .call_raw(
            "Filecoin.ChainGetRandomnessFromTickets",
            json!([tsk, 2, 1, "AQID"]),
        )
        .await
        .expect("v0 rand");
    assert_eq!(v0_rand, v1_rand);
    let v1_rand = v1
        .call_raw(
            "Filecoin.StateGetRandomnessFromBeacon",
            json!([5, 1, "AQID", tsk]),
        )
        .await
        .expect("v1 rand");
    let v0_rand = v0
        .call_raw(
            "Filecoin.ChainGetRandomnessFromBeacon",
            json!([tsk, 5, 1, "AQID"]),
        )
        .await
        .expect("v0 rand");
    assert_eq!(v0_rand, v1_rand);
    assert_eq!(
        v0.call_raw("Filecoin.BeaconGetEntry", json!([2]))
            .await
            .expect("v0 beacon"),
        v1.call_raw("Filecoin.StateGetBeaconEntry", json!([2]))
            .await
            .expect("v1 beacon")
    );
    v1.call_raw("Filecoin.BeaconGetEntry", json!([2]))
        .await
        .expect_err("v0 only");
    // Everything else is the same on both paths.
    assert_eq!(
        v0.call_raw("Filecoin.ChainHead", json!([]))
            .await
            .expect("head"),
        v1.call_raw("Filecoin.ChainHead", json!([]))
            .await
            .expect("head")
    );
    server.stop().await;
}
