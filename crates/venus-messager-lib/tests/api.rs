//! The messager's API over RPC, as Venus's tools call it: Venus's method
//! names and JSON; each user of venus-auth sees and pushes only the
//! addresses bound to it; malformed and hostile requests get a clear error
//! and store nothing.

#![allow(missing_docs)]

use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};
use venus_api::auth::{AuthClient, RemoteVerifier};
use venus_api::messager::{MessagerClient, MsgQueryParams};
use venus_api::Error;
use venus_auth_lib::{rpc::auth_server, AuthService, CacheConfig, RegistryStore, SqlStore};
use venus_core::traits::{ChainApi, MemorySigner, RemoteSigner};
use venus_core::{Address, Message, TokenAmount};
use venus_messager_lib::access::AuthAccess;
use venus_messager_lib::rpc::{messager_module, MessagerService};
use venus_messager_lib::store::{ListQuery, MessageStore, SqlMessageStore};
use venus_messager_lib::{Messager, MessagerConfig, Signers, MIGRATIONS};
use venus_node::testing::net;
use venus_rpc::{
    codes, Endpoint, LocalRateLimiter, Permission, RpcClient, RpcServer, ServerConfig, ServerHandle,
};

struct Setup {
    _auth: ServerHandle,
    server: ServerHandle,
    tokens: std::collections::HashMap<&'static str, String>,
    store: Arc<SqlMessageStore>,
    messager: Messager,
    from: Address,
    _db: venus_sql::harness::TestDb,
    _net: venus_node::testing::Net,
}

async fn client(s: &Setup, who: &str) -> RpcClient {
    let endpoint = Endpoint::new(s.server.http_url(), Some(s.tokens[who].clone()));
    RpcClient::connect_with(endpoint, Default::default())
        .await
        .expect("client")
}

async fn setup() -> Setup {
    let n = net();
    let from = n.secp.address().expect("address");
    // venus-auth: alice has `from` bound, bob has nothing, ops is admin.
    let registry = Arc::new(SqlStore::connect("sqlite::memory:").await.expect("store"));
    let auth = Arc::new(AuthService::new(
        registry.clone(),
        b"the pool's auth secret",
        CacheConfig::default(),
    ));
    let auth_srv = auth_server(
        auth.clone(),
        Arc::new(LocalRateLimiter::new()),
        ServerConfig::daemon(),
    )
    .start("127.0.0.1:0".parse().expect("addr"))
    .await
    .expect("venus-auth");
    let mut tokens = std::collections::HashMap::new();
    for (user, perm) in [
        ("alice", Permission::Write),
        ("bob", Permission::Write),
        ("reader", Permission::Read),
        ("ops", Permission::Admin),
    ] {
        auth.create_user(user, "").await.expect("user");
        tokens.insert(user, auth.create_token(user, perm).await.expect("token"));
    }
    registry
        .bind_signer(&from.to_string(), "alice")
        .await
        .expect("bind");
    registry
        .bind_signer(&from.to_string(), "reader")
        .await
        .expect("bind");
    let auth_rpc = || async {
        RpcClient::connect_with(
            Endpoint::new(auth_srv.http_url(), Some(tokens["ops"].clone())),
            Default::default(),
        )
        .await
        .expect("auth client")
    };

    let db = venus_sql::harness::sqlite(&MIGRATIONS).await;
    let store = Arc::new(SqlMessageStore::new(db.db.clone()));
    store.add_address(&from).await.expect("add");
    let wallet = MemorySigner::new();
    wallet.add(n.secp.clone()).expect("key");
    let wallet: Arc<dyn RemoteSigner> = Arc::new(wallet);
    let chain: Arc<dyn ChainApi> = n.node.clone();
    let messager = Messager::builder(MessagerConfig {
        instance: "api".into(),
        ..Default::default()
    })
    .store(store.clone())
    .chain(chain)
    .signers(Arc::new(wallet) as Arc<dyn Signers>)
    .build()
    .expect("messager");
    let access = Arc::new(AuthAccess::new(
        AuthClient::new(auth_rpc().await),
        Duration::from_secs(1),
    ));
    let service = Arc::new(MessagerService::new(messager.clone(), access));
    let server = RpcServer::builder(messager_module(service))
        .verifier(Arc::new(RemoteVerifier::new(
            auth_rpc().await,
            Default::default(),
        )))
        .config(ServerConfig::daemon())
        .build()
        .start("127.0.0.1:0".parse().expect("addr"))
        .await
        .expect("messager api");
    Setup {
        _auth: auth_srv,
        server,
        tokens,
        store,
        messager,
        from,
        _db: db,
        _net: n,
    }
}

fn send(from: Address, value: u64) -> Message {
    Message {
        version: 0,
        from,
        to: Address::new_id(100),
        sequence: 0,
        value: TokenAmount::from_atto(value),
        method_num: 0,
        params: Default::default(),
        gas_limit: 0,
        gas_fee_cap: TokenAmount::default(),
        gas_premium: TokenAmount::default(),
    }
}

async fn stored(s: &Setup) -> usize {
    s.store
        .list(&ListQuery::default())
        .await
        .expect("list")
        .len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn venus_names_and_json_and_each_user_only_its_addresses() {
    let s = setup().await;
    let alice = MessagerClient::new(client(&s, "alice").await);
    let bob = MessagerClient::new(client(&s, "bob").await);

    // A Go client's call, as JSON: a zero SendSpec means "no rules".
    let raw = client(&s, "alice").await;
    let msg = venus_core::json::to_value(&send(s.from, 7)).expect("json");
    let id = raw
        .call_raw(
            "Message.PushMessageWithId",
            json!(["go-1", msg, {"expireEpoch": 0, "gasOverEstimation": 0, "maxFee": "0", "gasOverPremium": 0}]),
        )
        .await
        .expect("push");
    assert_eq!(id, json!("go-1"));
    let got: Value = raw
        .call_raw("Message.GetMessageByUid", json!(["go-1"]))
        .await
        .expect("get");
    for key in [
        "ID",
        "UnsignedCid",
        "SignedCid",
        "Version",
        "To",
        "From",
        "Nonce",
        "Value",
        "GasLimit",
        "GasFeeCap",
        "GasPremium",
        "Method",
        "Params",
        "Signature",
        "Height",
        "Confidence",
        "Receipt",
        "TipSetKey",
        "Meta",
        "WalletName",
        "State",
        "ErrorMsg",
        "CreatedAt",
        "UpdatedAt",
    ] {
        assert!(got.get(key).is_some(), "{key} missing: {got}");
    }
    assert_eq!(got["State"], json!(1));
    assert_eq!(got["WalletName"], json!("alice"));
    assert_eq!(got["Value"], json!("7"));

    // Pushing again under the id (a retry) answers it; nothing is added.
    assert_eq!(
        alice
            .push_with_id("go-1", &send(s.from, 7), None)
            .await
            .expect("retry"),
        "go-1"
    );
    assert!(matches!(
        alice.push_with_id("go-1", &send(s.from, 8), None).await,
        Err(Error::Duplicate(_))
    ));
    assert_eq!(stored(&s).await, 1);

    // bob may not use alice's address: refused, and he sees none of it.
    let refused = bob
        .push(&send(s.from, 1), None)
        .await
        .expect_err("not bob's");
    assert!(
        matches!(&refused, Error::PolicyDenied(m) if m.contains("AuthBindSigner")),
        "{refused}"
    );
    assert!(matches!(bob.get("go-1").await, Err(Error::NotFound(_))));
    assert!(bob
        .list(MsgQueryParams::default())
        .await
        .expect("list")
        .is_empty());
    assert!(bob.addresses().await.expect("addresses").is_empty());
    assert!(matches!(
        bob.mark_bad("go-1").await,
        Err(Error::NotFound(_))
    ));
    assert_eq!(
        alice
            .list(MsgQueryParams::default())
            .await
            .expect("list")
            .len(),
        1
    );
    assert_eq!(alice.addresses().await.expect("addresses").len(), 1);

    // A read token cannot push, even for its own address.
    let reader = MessagerClient::new(client(&s, "reader").await);
    assert!(reader.push(&send(s.from, 1), None).await.is_err());
    assert_eq!(reader.get("go-1").await.expect("read").id, "go-1");
    assert_eq!(stored(&s).await, 1);

    // The admin sees everything and keeps the node list.
    let ops = client(&s, "ops").await;
    let all: Value = ops
        .call_raw("Message.ListMessage", json!([{"State": [1], "Limit": 10}]))
        .await
        .expect("list");
    assert_eq!(all.as_array().map(Vec::len), Some(1));
    ops.call_raw(
        "Message.SaveNode",
        json!([{"Name": "backup", "URL": "/ip4/127.0.0.1/tcp/1/http", "Token": "t", "Type": 1}]),
    )
    .await
    .expect("save node");
    let nodes = ops
        .call_raw("Message.ListNode", json!([]))
        .await
        .expect("nodes");
    assert_eq!(nodes[0]["Name"], json!("backup"));
    assert_eq!(
        ops.call_raw("Message.HasNode", json!(["backup"]))
            .await
            .expect("has"),
        json!(true)
    );
    ops.call_raw("Message.DeleteNode", json!(["backup"]))
        .await
        .expect("delete");
    assert!(raw.call_raw("Message.ListNode", json!([])).await.is_err());

    // Metrics: the message waits unfilled; after a pass it is filled and
    // pushed.
    let metrics = venus_messager_lib::metrics::MessagerMetrics::new(s.messager.clone());
    metrics.refresh().await.expect("refresh");
    let text = metrics.render();
    assert!(
        text.contains("venus_messager_messages{state=\"unfilled\"} 1"),
        "{text}"
    );
    assert!(text.contains(&format!(
        "venus_messager_pending{{address=\"{}\"}} 1",
        s.from
    )));
    s.messager.pass().await.expect("pass");
    metrics.refresh().await.expect("refresh");
    let text = metrics.render();
    assert!(
        text.contains("venus_messager_messages{state=\"filled\"} 1"),
        "{text}"
    );
    assert!(text.contains("venus_messager_filled_total 1"), "{text}");
    assert!(
        text.contains("venus_messager_push_failures_total 0"),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_and_hostile_requests_get_clear_errors_and_store_nothing() {
    let s = setup().await;
    let raw = client(&s, "alice").await;
    let code = |e: venus_rpc::Error| match e {
        venus_rpc::Error::Rpc(r) => r.code,
        other => panic!("not a refusal: {other}"),
    };
    let good = venus_core::json::to_value(&send(s.from, 1)).expect("json");
    let mut negative = good.clone();
    negative["Value"] = json!("-5");
    let mut huge_params = good.clone();
    huge_params["Params"] = json!(base64_of(&vec![7u8; 64 * 1024]));
    let mut rich = good.clone();
    rich["Value"] = json!("1000000000000000000000000000");
    let mut stranger = good.clone();
    stranger["From"] = json!("f1abjxfbp274xpdqcpuaykwkfb43omjotacm2p3za");
    for (what, params) in [
        ("not a message", json!(["id-1", {"To": 5}, null])),
        ("no params", json!([])),
        ("a negative value", json!(["id-2", negative, null])),
        ("params above 32 KiB", json!(["id-3", huge_params, null])),
        ("a value above the balance", json!(["id-4", rich, null])),
        ("an empty id", json!(["", good, null])),
        ("an id of 10 KB", json!(["x".repeat(10_000), good, null])),
        (
            "a NaN-ish ratio",
            json!(["id-5", good, {"gasOverPremium": -1.0}]),
        ),
        ("an unbound sender", json!(["id-6", stranger, null])),
    ] {
        let e = raw
            .call_raw("Message.PushMessageWithId", params)
            .await
            .expect_err(what);
        let c = code(e);
        assert!(
            c == codes::INVALID_PARAMS || c == codes::POLICY_DENIED,
            "{what}: code {c}"
        );
    }
    assert_eq!(stored(&s).await, 0, "nothing stored");
    for (method, params) in [
        ("Message.GetMessageByUid", json!(["no-such-id"])),
        ("Message.WaitMessage", json!(["no-such-id", 0])),
        ("Message.MarkBadMessage", json!(["no-such-id"])),
        (
            "Message.ReplaceMessage",
            json!([{"ID": "no-such-id", "Auto": true}]),
        ),
    ] {
        let e = raw.call_raw(method, params).await.expect_err(method);
        assert_eq!(code(e), codes::NOT_FOUND, "{method}");
    }
    let e = raw
        .call_raw("Message.ListBlockedMessage", json!(["not an address", 0]))
        .await
        .expect_err("bad address");
    assert_eq!(code(e), codes::INVALID_PARAMS);
    // The daemon still answers.
    assert!(raw
        .call_raw("Message.ListFailedMessage", json!([]))
        .await
        .is_ok());
}

fn base64_of(b: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(b)
}
