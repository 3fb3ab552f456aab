//! The miner's API over a real socket, in sophon-miner's JSON: members and
//! their switches, states with errors, claimed blocks, round records.

#![allow(missing_docs)]

use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use venus_core::types::TipSetKey;
use venus_core::Address;
use venus_miner_lib::members::{MemoryMemberStore, SwitchedMembers};
use venus_miner_lib::records::{MemoryRecords, MiningRecords, Outcome, Record, Stage};
use venus_miner_lib::round::MinerResult;
use venus_miner_lib::rpc::{miner_module, MinerService};
use venus_miner_lib::slash::{BlockClaim, MemorySlashFilter, SlashFilter};
use venus_miner_lib::Members;
use venus_rpc::{RpcClient, RpcServer};

fn cid(n: u8) -> cid::Cid {
    cid::Cid::new_v1(
        0x71,
        cid::multihash::Multihash::wrap(0xb220, &[n; 32]).expect("multihash"),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_answers_in_sophon_miners_json() {
    let all: Arc<dyn Members> = Arc::new(vec![Address::new_id(1000), Address::new_id(1001)]);
    let switches = Arc::new(MemoryMemberStore::new());
    let slash = Arc::new(MemorySlashFilter::new());
    let records = Arc::new(MemoryRecords::new());
    let claim = BlockClaim {
        miner: Address::new_id(1000),
        epoch: 7,
        parent_epoch: 6,
        parents: TipSetKey::new(vec![cid(1)]),
        unsigned: cid(2),
        instance: "a".into(),
    };
    slash.claim(&claim).await.expect("claim");
    slash.signed(&claim, &cid(3), &[]).await.expect("signed");
    records
        .record(&Record {
            miner: Address::new_id(1000),
            epoch: 7,
            instance: "a".into(),
            outcome: Outcome::Mined,
            reason: String::new(),
            stages: vec![(Stage::BaseInfo, Duration::from_millis(3))],
            at_ms: 1_700_000_000_000,
        })
        .await
        .expect("record");
    let service = Arc::new(MinerService::new(
        all.clone(),
        switches.clone(),
        slash,
        records,
    ));
    service.observe(&[MinerResult {
        miner: Address::new_id(1001),
        outcome: Outcome::Error,
        reason: "prover: sector 3 is missing".into(),
        block: None,
    }]);
    let server = RpcServer::builder(miner_module(service))
        .insecure_allow_all()
        .build()
        .start("127.0.0.1:0".parse().expect("addr"))
        .await
        .expect("serve");
    let rpc = RpcClient::connect(&server.http_url().replace("/rpc/v1", "/rpc/v0"))
        .await
        .expect("client");
    let call = |m: &'static str, p: serde_json::Value| {
        let rpc = &rpc;
        async move { rpc.call_raw(m, p).await.expect(m) }
    };

    assert_eq!(
        call("Filecoin.ListAddress", json!([])).await,
        json!([
            {"Addr": "f01000", "Id": "", "Name": "", "OpenMining": true},
            {"Addr": "f01001", "Id": "", "Name": "", "OpenMining": true},
        ])
    );
    call("Filecoin.Stop", json!([["f01001"]])).await;
    assert_eq!(
        call("Filecoin.StatesForMining", json!([[]])).await,
        json!([
            {"Addr": "f01000", "IsMining": true, "Err": null},
            {"Addr": "f01001", "IsMining": false, "Err": ["Error: prover: sector 3 is missing"]},
        ])
    );
    // The switch is what the miner mines for.
    let mined_for = SwitchedMembers::new(all, switches)
        .miners()
        .await
        .expect("members");
    assert_eq!(mined_for, vec![Address::new_id(1000)]);
    call("Filecoin.Start", json!([["f01001"]])).await;
    // An asked miner that is not a member is not mining.
    assert_eq!(
        call("Filecoin.StatesForMining", json!([["f01001", "f09999"]])).await,
        json!([
            {"Addr": "f01001", "IsMining": true, "Err": ["Error: prover: sector 3 is missing"]},
            {"Addr": "f09999", "IsMining": false, "Err": null},
        ])
    );
    // UpdateAddress answers the members mined for, paged.
    assert_eq!(
        call("Filecoin.UpdateAddress", json!([1, 0])).await,
        json!([{"Addr": "f01001", "Id": "", "Name": "", "OpenMining": true}])
    );
    // sophon-miner's CLI sends a nil slice as null: all miners.
    assert_eq!(
        call("Filecoin.StatesForMining", json!([null]))
            .await
            .as_array()
            .map(Vec::len),
        Some(2)
    );
    call("Filecoin.Stop", json!([null])).await;
    assert_eq!(
        call("Filecoin.StatesForMining", json!([["f01001"]])).await[0]["IsMining"],
        json!(true)
    );

    let blocks = call(
        "Filecoin.ListBlocks",
        json!([{"Miners": null, "Limit": 0, "Offset": 0}]),
    )
    .await;
    let b = &blocks[0];
    assert_eq!(b["Epoch"], json!(7));
    assert_eq!(b["ParentEpoch"], json!(6));
    assert_eq!(b["Miner"], json!("f01000"));
    assert_eq!(b["Cid"], json!(cid(3).to_string()));
    assert_eq!(b["MineState"], json!(0));
    assert!(b["WinningAt"].as_str().expect("time").ends_with('Z'));
    let keys: Vec<&String> = b.as_object().expect("object").keys().collect();
    assert_eq!(
        keys,
        vec![
            "ParentEpoch",
            "ParentKey",
            "Epoch",
            "Miner",
            "Cid",
            "WinningAt",
            "MineState",
            "Consuming"
        ],
        "sophon-miner's fields, in its order"
    );

    let rec = call(
        "Filecoin.QueryRecord",
        json!([{"Miner": "f01000", "Epoch": 0, "Limit": 10}]),
    )
    .await;
    assert_eq!(rec[0]["miner"], json!("f01000"));
    assert_eq!(rec[0]["epoch"], json!("7"));
    assert_eq!(rec[0]["outcome"], json!("Mined"));
    assert_eq!(rec[0]["BaseInfo"], json!("3ms"));
    let err = rpc
        .call_raw(
            "Filecoin.QueryRecord",
            json!([{"Miner": "f01000", "Epoch": 0, "Limit": 289}]),
        )
        .await
        .expect_err("too many");
    assert!(err.to_string().contains("MaxRecordPerQuery(288)"), "{err}");
    assert!(
        b["ParentKey"].as_str().expect("key").starts_with("{ "),
        "{b}"
    );

    // A service without a node and wallets cannot run elections, and says so.
    let err = rpc
        .call_raw("Filecoin.CountWinners", json!([[], 0, 1]))
        .await
        .expect_err("no elections here");
    assert!(err.to_string().contains("no node and wallets"), "{err}");
    server.stop().await;
}
