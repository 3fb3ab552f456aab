//! Lotus's OpenRPC examples deserialize into our types and serialize back to equal JSON.

use serde_json::Value;
use venus_core::json::{self, LotusJson};
use venus_core::types::*;
use venus_core::{Address, Cid, Message, Signature};

use crate::vector;

fn method(doc: &Value, name: &str) -> Value {
    doc["methods"]
        .as_array()
        .expect("methods")
        .iter()
        .find(|m| m["name"] == format!("Filecoin.{name}"))
        .unwrap_or_else(|| panic!("{name} not in full.json"))
        .clone()
}

fn example(v: &Value) -> Value {
    v["schema"]["examples"][0].clone()
}

fn round_trip<T: LotusJson>(what: &str, v: Value) {
    let parsed: T = json::from_value(v.clone()).unwrap_or_else(|e| panic!("{what}: {e}"));
    assert_eq!(
        json::to_value(&parsed).expect("serialize"),
        v,
        "{what} round trip"
    );
}

fn param<T: LotusJson>(doc: &Value, name: &str, i: usize) {
    let m = method(doc, name);
    round_trip::<T>(&format!("{name} param {i}"), example(&m["params"][i]));
}

fn result<T: LotusJson>(doc: &Value, name: &str) {
    let m = method(doc, name);
    round_trip::<T>(&format!("{name} result"), example(&m["result"]));
}

#[test]
fn openrpc_examples_round_trip() {
    let doc = vector("lotus-openrpc/full.json");
    result::<TipSet>(&doc, "ChainHead");
    param::<TipSetKey>(&doc, "ChainGetTipSet", 0);
    result::<TipSet>(&doc, "ChainGetTipSet");
    param::<Address>(&doc, "MinerGetBaseInfo", 0);
    param::<i64>(&doc, "MinerGetBaseInfo", 1);
    param::<TipSetKey>(&doc, "MinerGetBaseInfo", 2);
    result::<MiningBaseInfo>(&doc, "MinerGetBaseInfo");
    param::<BlockTemplate>(&doc, "MinerCreateBlock", 0);
    result::<BlockMsg>(&doc, "MinerCreateBlock");
    param::<BlockMsg>(&doc, "SyncSubmitBlock", 0);
    param::<SignedMessage>(&doc, "MpoolPush", 0);
    result::<Cid>(&doc, "MpoolPush");
    param::<TipSetKey>(&doc, "MpoolSelect", 0);
    param::<f64>(&doc, "MpoolSelect", 1);
    result::<Vec<SignedMessage>>(&doc, "MpoolSelect");
    param::<Message>(&doc, "GasEstimateMessageGas", 0);
    param::<MessageSendSpec>(&doc, "GasEstimateMessageGas", 1);
    result::<Message>(&doc, "GasEstimateMessageGas");
    param::<Cid>(&doc, "StateSearchMsg", 1);
    result::<MsgLookup>(&doc, "StateSearchMsg");
    param::<Cid>(&doc, "StateWaitMsg", 0);
    result::<MsgLookup>(&doc, "StateWaitMsg");
    param::<Address>(&doc, "StateGetActor", 0);
    result::<ActorState>(&doc, "StateGetActor");
    param::<Address>(&doc, "WalletSign", 0);
    result::<Signature>(&doc, "WalletSign");
}

#[test]
fn chain_notify_shape_round_trips() {
    // ChainNotify is a channel method and absent from full.json; its values are
    // HeadChange arrays whose tipsets are ChainHead's.
    let doc = vector("lotus-openrpc/full.json");
    let ts = example(&method(&doc, "ChainHead")["result"]);
    let batch = serde_json::json!([{"Type": "current", "Val": ts}, {"Type": "revert", "Val": ts}]);
    round_trip::<Vec<HeadChange>>("ChainNotify batch", batch);
    let bad = serde_json::json!([{"Type": "sideways", "Val": ts}]);
    assert!(json::from_value::<Vec<HeadChange>>(bad).is_err());
}

#[test]
fn message_cid_field_is_computed_not_trusted() {
    let doc = vector("lotus-openrpc/full.json");
    let mut v = example(&method(&doc, "GasEstimateMessageGas")["params"][0]);
    let real = v["CID"].clone();
    v["CID"] =
        serde_json::json!({"/": "bafy2bzacea3wsdh6y3a36tb3skempjoxqpuyompjbmfeyf34fi3uy6uue42v4"});
    let msg: Message = json::from_value(v).expect("parse");
    assert_eq!(json::to_value(&msg).expect("json")["CID"], real);
}

#[test]
fn tipset_json_with_wrong_cids_is_rejected() {
    let doc = vector("lotus-openrpc/full.json");
    let mut ts = example(&method(&doc, "ChainHead")["result"]);
    ts["Cids"] = serde_json::json!([{"/": "bafy2bzacea3wsdh6y3a36tb3skempjoxqpuyompjbmfeyf34fi3uy6uue42v4"}]);
    let err = json::from_value::<TipSet>(ts).expect_err("mismatched key");
    assert!(err.to_string().contains("do not match"), "{err}");
}

#[test]
fn msg_meta_uses_lotus_type_strings() {
    let meta = MsgMeta {
        msg_type: MsgType::NetworkResponse,
        extra: vec![1, 2],
    };
    let v = json::to_value(&meta).expect("json");
    assert_eq!(
        v,
        serde_json::json!({"Type": "networkresposne", "Extra": "AQI="})
    );
    for t in MsgType::ALL {
        let v = json::to_value(&MsgMeta {
            msg_type: t,
            extra: vec![],
        })
        .expect("json");
        assert_eq!(v["Extra"], Value::Null);
        assert_eq!(json::from_value::<MsgMeta>(v).expect("parse").msg_type, t);
    }
}

#[test]
fn malformed_json_gives_errors_not_panics() {
    for bad in [
        serde_json::json!({"Version": 0}),
        serde_json::json!({"To": "f01", "From": "f01", "Nonce": -1, "Value": "0", "GasLimit": 1, "GasFeeCap": "0", "GasPremium": "0", "Method": 0}),
        serde_json::json!({"To": "f01", "From": "f01", "Nonce": 1, "Value": "1e5", "GasLimit": 1, "GasFeeCap": "0", "GasPremium": "0", "Method": 0}),
        serde_json::json!({"To": "f01", "From": "f01", "Nonce": 1, "Value": "0", "GasLimit": 1, "GasFeeCap": "0", "GasPremium": "0", "Method": 0, "Params": "!!"}),
        serde_json::json!("f01"),
    ] {
        assert!(json::from_value::<Message>(bad).is_err());
    }
    assert!(json::from_value::<Cid>(serde_json::json!({"/": "nope"})).is_err());
    assert!(json::from_value::<Signature>(serde_json::json!({"Type": 9, "Data": null})).is_err());
}
