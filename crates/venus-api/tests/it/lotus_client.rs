//! The Lotus `ChainApi` client against Lotus's JSON shapes, and end to end over a MemoryChain.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use serde_json::Value;
use venus_api::lotus::{chain_api_module, LotusClient};
use venus_core::crypto::PrivateKey;
use venus_core::json;
use venus_core::test_utils;
use venus_core::traits::*;
use venus_core::types::*;
use venus_core::{Address, Message, SignatureType, TokenAmount};
use venus_rpc::*;

fn openrpc() -> Value {
    let dir = std::env::var("VENUS_VECTORS")
        .map(PathBuf::from)
        .unwrap_or_else(|_| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/vectors")
        });
    let text = std::fs::read_to_string(dir.join("lotus-openrpc/full.json"))
        .expect("shared vectors beside the repository");
    serde_json::from_str(&text).expect("json")
}

fn example_result(doc: &Value, name: &str) -> Value {
    let m = doc["methods"]
        .as_array()
        .expect("methods")
        .iter()
        .find(|m| m["name"] == name)
        .unwrap_or_else(|| panic!("{name}"));
    m["result"]["schema"]["examples"][0].clone()
}

/// A server that answers each Lotus method with full.json's example result, and records the params.
async fn fake_lotus() -> (
    ServerHandle,
    Value,
    Arc<std::sync::Mutex<Vec<(String, Value)>>>,
) {
    let doc = openrpc();
    let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    let mut m = RpcModule::new();
    for name in [
        "Filecoin.ChainHead",
        "Filecoin.ChainGetTipSet",
        "Filecoin.ChainGetTipSetByHeight",
        "Filecoin.StateGetActor",
        "Filecoin.MinerGetBaseInfo",
        "Filecoin.MinerCreateBlock",
        "Filecoin.SyncSubmitBlock",
        "Filecoin.MpoolSelect",
        "Filecoin.MpoolPush",
        "Filecoin.GasEstimateMessageGas",
        "Filecoin.StateSearchMsg",
        "Filecoin.StateWaitMsg",
    ] {
        let result = example_result(&doc, name);
        let seen = seen.clone();
        m.register_raw(name, Permission::Read, move |_, params| {
            seen.lock().expect("lock").push((name.to_string(), params));
            let result = result.clone();
            async move { Ok(result) }
        });
    }
    let server = RpcServer::builder(m)
        .build()
        .start("127.0.0.1:0".parse().expect("addr"))
        .await
        .expect("start");
    (server, doc, seen)
}

fn parsed<T: json::LotusJson>(doc: &Value, name: &str) -> T {
    json::from_value(example_result(doc, name)).expect("example parses")
}

#[tokio::test]
async fn lotus_client_reads_lotus_json_shapes() {
    let (server, doc, seen) = fake_lotus().await;
    let api: Arc<dyn ChainApi> = Arc::new(
        LotusClient::connect(&server.http_url())
            .await
            .expect("client"),
    );
    let key = TipSetKey::default();
    let head = api.head().await.expect("ChainHead");
    assert_eq!(head, parsed::<TipSet>(&doc, "Filecoin.ChainHead"));
    assert_eq!(
        api.tipset(head.key()).await.expect("ChainGetTipSet"),
        parsed(&doc, "Filecoin.ChainGetTipSet")
    );
    assert_eq!(
        api.tipset_by_height(10, &key)
            .await
            .expect("by height")
            .height(),
        4863283
    );
    assert_eq!(
        api.parent_base_fee(head.key()).await.expect("base fee"),
        TokenAmount::from_atto(20592036)
    );
    let miner = Address::new_id(1234);
    assert_eq!(
        api.actor(&miner, &key).await.expect("StateGetActor"),
        parsed(&doc, "Filecoin.StateGetActor")
    );
    let info = api
        .mining_base_info(&miner, 10101, &key)
        .await
        .expect("MinerGetBaseInfo")
        .expect("some");
    assert_eq!(info, parsed(&doc, "Filecoin.MinerGetBaseInfo"));
    let msgs = api.select_messages(&key, 0.5).await.expect("MpoolSelect");
    assert_eq!(msgs.len(), 1);
    // No MpoolSelects on a Lotus node: the client falls back to single selections.
    let multi = api
        .select_messages_multi(&key, &[0.9, 0.1])
        .await
        .expect("fallback");
    assert_eq!(
        (multi[0].len(), multi[1].len()),
        (1, 0),
        "one sender lands in one list"
    );
    let cid = api.push_message(msgs[0].clone()).await.expect("MpoolPush");
    assert_eq!(
        cid.to_string(),
        "bafy2bzacea3wsdh6y3a36tb3skempjoxqpuyompjbmfeyf34fi3uy6uue42v4"
    );
    let est = api
        .estimate_message_gas(msgs[0].message.clone(), None, &key)
        .await
        .expect("gas");
    assert_eq!(
        est,
        parsed::<Message>(&doc, "Filecoin.GasEstimateMessageGas")
    );
    let lookup = api
        .search_message(&cid)
        .await
        .expect("StateSearchMsg")
        .expect("found");
    assert_eq!(lookup.height, 10101);
    let waited = api
        .wait_message(&cid, Duration::from_millis(10), Duration::from_secs(5))
        .await
        .expect("StateWaitMsg");
    assert_eq!(waited, lookup);
    let template: BlockTemplate =
        json::from_value(openrpc_param(&doc, "Filecoin.MinerCreateBlock")).expect("template");
    let block = api
        .create_block(template.clone())
        .await
        .expect("MinerCreateBlock");
    assert_eq!(block, parsed(&doc, "Filecoin.MinerCreateBlock"));
    api.submit_block(block.clone())
        .await
        .expect("SyncSubmitBlock");

    // What went over the wire is Lotus's params shape.
    let seen = seen.lock().expect("lock").clone();
    let submit = seen
        .iter()
        .find(|(n, _)| n == "Filecoin.SyncSubmitBlock")
        .expect("submitted");
    assert_eq!(
        submit.1,
        serde_json::json!([json::to_value(&block).expect("json")])
    );
    let create = seen
        .iter()
        .find(|(n, _)| n == "Filecoin.MinerCreateBlock")
        .expect("created");
    assert_eq!(
        create.1[0],
        openrpc_param(&doc, "Filecoin.MinerCreateBlock")
    );
    server.stop().await;
}

fn openrpc_param(doc: &Value, name: &str) -> Value {
    let m = doc["methods"]
        .as_array()
        .expect("methods")
        .iter()
        .find(|m| m["name"] == name)
        .expect("method");
    m["params"][0]["schema"]["examples"][0].clone()
}

fn genesis() -> TipSet {
    let doc = openrpc();
    json::from_value(example_result(&doc, "Filecoin.ChainHead")).expect("tipset")
}

#[tokio::test]
async fn end_to_end_over_websocket_with_a_memory_chain() {
    let chain = MemoryChain::new(genesis());
    let server = RpcServer::builder(chain_api_module(Arc::new(chain.clone())))
        .insecure_allow_all()
        .build()
        .start("127.0.0.1:0".parse().expect("addr"))
        .await
        .expect("start");
    let api = LotusClient::connect(&server.ws_url())
        .await
        .expect("ws client");
    let mut changes = api.subscribe_head_changes().await.expect("ChainNotify");
    let first = changes.next().await.expect("current");
    assert_eq!(first[0].change_type, HeadChangeType::Current);
    let head = api.head().await.expect("head");
    assert_eq!(first[0].val, head);

    let key = PrivateKey::generate(SignatureType::Secp256k1);
    let message = Message {
        version: 0,
        from: key.address().expect("addr"),
        to: Address::new_id(1000),
        sequence: 0,
        value: TokenAmount::from_atto(1),
        method_num: 0,
        params: Default::default(),
        gas_limit: 0,
        gas_fee_cap: TokenAmount::from_atto(0),
        gas_premium: TokenAmount::from_atto(0),
    };
    let message = api
        .estimate_message_gas(message, None, &TipSetKey::default())
        .await
        .expect("estimate");
    assert!(message.gas_limit > 0);
    let cid = venus_core::types::message_cid(&message).expect("cid");
    let sm = SignedMessage {
        signature: key.sign(&cid.to_bytes()).expect("sign"),
        message,
    };
    assert_eq!(
        api.push_message(sm.clone()).await.expect("push"),
        sm.cid().expect("cid")
    );
    let lists = api
        .select_messages_multi(head.key(), &[0.8, 0.2])
        .await
        .expect("MpoolSelects");
    assert_eq!(lists, vec![vec![sm.clone()], vec![]]);

    let worker = PrivateKey::generate(SignatureType::BLS);
    let template = test_utils::block_template(&head, lists[0].clone());
    let mut block = api.create_block(template).await.expect("create");
    test_utils::sign_block(&worker, &mut block.header);
    api.submit_block(block).await.expect("submit");
    let applied = tokio::time::timeout(Duration::from_secs(10), changes.next())
        .await
        .expect("in time")
        .expect("apply");
    assert_eq!(applied[0].change_type, HeadChangeType::Apply);
    assert_eq!(applied[0].val.height(), head.height() + 1);
    assert!(
        api.actor(&Address::new_id(5), &TipSetKey::default())
            .await
            .is_err(),
        "unknown actor is an error"
    );
    server.stop().await;
}

/// Lotus answers an unknown actor with a plain code-1 error; only that answer
/// of `StateGetActor` is `NotFound`, and no other error is read by its words.
#[tokio::test]
async fn lotus_actor_not_found_is_recognised_only_where_lotus_sends_it() {
    let mut m = RpcModule::new();
    m.register_raw("Filecoin.StateGetActor", Permission::Read, |_, _| async {
        Err(RpcError::method(
            "resolution lookup failed (f01234): resolve address f01234: actor not found",
        ))
    });
    m.register_raw("Filecoin.ChainHead", Permission::Read, |_, _| async {
        Err(RpcError::method("load tipset: blockstore: not found"))
    });
    let server = RpcServer::builder(m)
        .build()
        .start("127.0.0.1:0".parse().expect("addr"))
        .await
        .expect("start");
    let client = LotusClient::connect(&server.http_url())
        .await
        .expect("client");
    let err = client
        .actor(&Address::new_id(1234), &TipSetKey::default())
        .await
        .expect_err("unknown actor");
    assert!(matches!(err, venus_core::Error::NotFound(_)), "{err:?}");
    let err = client.head().await.expect_err("failing head");
    assert!(matches!(err, venus_core::Error::Backend(_)), "{err:?}");
    server.stop().await;
}
