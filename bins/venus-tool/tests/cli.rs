//! Each subcommand, run as a process, on one good case and one bad case.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use serde_json::Value;
use venus_core::crypto::{election_vrf_base, ticket_vrf_base, PrivateKey};
use venus_core::json;
use venus_core::types::{
    message_cid, BeaconEntry, BlockHeader, ElectionProof, SignedMessage, Ticket,
};
use venus_core::{Address, Message, SignatureType, TokenAmount};

fn run(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_venus-tool"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn venus-tool");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("write stdin");
    child.wait_with_output().expect("wait")
}

fn ok(args: &[&str], stdin: &str) -> Value {
    let out = run(args, stdin);
    assert!(
        out.status.success(),
        "{args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).expect("utf8");
    // The last JSON document printed is the result.
    let start = text.rfind("\n{").map(|i| i + 1).unwrap_or(0);
    serde_json::from_str(&text[start..]).expect("JSON output")
}

fn fails(args: &[&str], stdin: &str, why: &str) {
    let out = run(args, stdin);
    assert!(!out.status.success(), "{args:?} should fail");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(why), "{args:?}: stderr {err:?} lacks {why:?}");
    assert!(!err.contains("panicked"), "{args:?} panicked: {err}");
}

fn signed_message() -> SignedMessage {
    let key = PrivateKey::generate(SignatureType::Secp256k1);
    let message = Message {
        version: 0,
        from: key.address().expect("addr"),
        to: Address::new_id(1000),
        sequence: 3,
        value: TokenAmount::from_atto(5),
        method_num: 0,
        params: Default::default(),
        gas_limit: 1000,
        gas_fee_cap: TokenAmount::from_atto(100),
        gas_premium: TokenAmount::from_atto(1),
    };
    let signature = key
        .sign(&message_cid(&message).expect("cid").to_bytes())
        .expect("sign");
    SignedMessage { message, signature }
}

#[test]
fn address_decode() {
    let v = ok(
        &[
            "address",
            "decode",
            "t15ihq5ibzwki2b4ep2f46avlkrqzhpqgtga7pdrq",
        ],
        "",
    );
    assert_eq!(v["protocol"], 1);
    assert_eq!(v["network"], "testnet");
    assert_eq!(v["bytes"], "01ea0f0ea039b291a0f08fd179e0556a8c3277c0d3");
    fails(
        &[
            "address",
            "decode",
            "t2gfvuyh7v2sx3patm5k23wdzmhyhtmqctasbr24y",
        ],
        "",
        "checksum",
    );
}

#[test]
fn message_cid_from_json_and_cbor() {
    let sm = signed_message();
    let text = json::to_value(&sm).expect("json").to_string();
    let v = ok(&["message", "cid", "-"], &text);
    assert_eq!(v["/"], sm.cid().expect("cid").to_string());
    let hex_cbor = hex::encode(venus_core::encoding::to_cbor(&sm.message).expect("cbor"));
    let v = ok(&["message", "cid", "--cbor-hex", &hex_cbor], "");
    assert_eq!(v["/"], message_cid(&sm.message).expect("cid").to_string());
    fails(&["message", "cid", "--cbor-hex", "deadbeef"], "", "neither");
    fails(
        &["message", "cid", "-"],
        "{\"To\": 5}",
        "Lotus JSON Message",
    );
}

#[test]
fn message_verify() {
    let mut sm = signed_message();
    let v = ok(
        &["message", "verify", "-"],
        &json::to_value(&sm).expect("json").to_string(),
    );
    assert_eq!(v["valid"], true);
    sm.message.sequence += 1;
    fails(
        &["message", "verify", "-"],
        &json::to_value(&sm).expect("json").to_string(),
        "not valid",
    );
}

/// A header signed by a fresh worker, with real VRFs.
fn signed_block(parent_ticket: &Ticket) -> (BlockHeader, Address) {
    let vectors = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/vectors");
    let text = std::fs::read_to_string(vectors.join("serialization-vectors/block_headers.json"))
        .expect("shared vectors beside the repository");
    let cases: Value = serde_json::from_str(&text).expect("json");
    let mut h: BlockHeader = json::from_value(cases[0]["block"].clone()).expect("header");
    let worker = PrivateKey::generate(SignatureType::BLS);
    let beacon = BeaconEntry {
        round: 9,
        data: vec![3; 96],
    };
    h.beacon_entries = vec![beacon.clone()];
    let ticket_base =
        ticket_vrf_base(&beacon, h.height, &h.miner, Some(parent_ticket)).expect("base");
    h.ticket = Some(Ticket {
        vrf_proof: worker.sign(&ticket_base).expect("vrf").bytes,
    });
    let eproof_base = election_vrf_base(&beacon, h.height, &h.miner).expect("base");
    h.election_proof = Some(ElectionProof {
        win_count: 1,
        vrf_proof: worker.sign(&eproof_base).expect("vrf").bytes,
    });
    h.block_sig = Some(
        worker
            .sign(&h.signing_bytes().expect("bytes"))
            .expect("sig"),
    );
    (h, worker.address().expect("addr"))
}

#[test]
fn block_cid_and_verify() {
    let parent = Ticket {
        vrf_proof: vec![7; 96],
    };
    let (h, worker) = signed_block(&parent);
    let text = json::to_value(&h).expect("json").to_string();
    let v = ok(&["block", "cid", "-"], &text);
    assert_eq!(v["/"], h.cid().expect("cid").to_string());
    let cbor = hex::encode(h.to_cbor().expect("cbor"));
    assert_eq!(ok(&["block", "cid", "--cbor-hex", &cbor], "")["/"], v["/"]);
    fails(
        &["block", "cid", "--cbor-hex", "82"],
        "",
        "not a block header",
    );

    let w = worker.to_string();
    let pt = hex::encode(&parent.vrf_proof);
    let v = ok(
        &[
            "block",
            "verify",
            "-",
            "--worker",
            &w,
            "--parent-ticket",
            &pt,
        ],
        &text,
    );
    assert_eq!(v["valid"], true);
    // Without the parent ticket the ticket VRF base differs.
    fails(
        &["block", "verify", "-", "--worker", &w],
        &text,
        "ticket_vrf",
    );
    let mut tampered = h.clone();
    tampered.timestamp += 1;
    let t = json::to_value(&tampered).expect("json").to_string();
    fails(
        &[
            "block",
            "verify",
            "-",
            "--worker",
            &w,
            "--parent-ticket",
            &pt,
        ],
        &t,
        "block_signature",
    );
}

/// The quicknet rounds in drand.json, as beacon entries.
fn quicknet_rounds() -> Vec<BeaconEntry> {
    let vectors = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/vectors");
    let text = std::fs::read_to_string(vectors.join("drand.json")).expect("shared vectors");
    let v: Value = serde_json::from_str(&text).expect("json");
    v["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .filter(|e| e["chain"] == "quicknet")
        .map(|e| BeaconEntry {
            round: e["round"].as_u64().expect("round"),
            data: hex::decode(e["signature"].as_str().expect("sig")).expect("hex"),
        })
        .collect()
}

#[test]
fn block_verify_checks_drand_entries_on_request() {
    let parent = Ticket {
        vrf_proof: vec![7; 96],
    };
    let (mut h, worker) = signed_block(&parent);
    // Real quicknet rounds; the VRFs and the signature are not re-drawn, so
    // only the beacon check is asked for its verdict.
    h.beacon_entries = quicknet_rounds();
    let text = json::to_value(&h).expect("json").to_string();
    let prev = json::to_value(&BeaconEntry {
        round: 1,
        data: vec![],
    })
    .expect("json")
    .to_string();
    let w = worker.to_string();
    let verify = [
        "block",
        "verify",
        "-",
        "--worker",
        &w,
        "--prev-beacon",
        &prev,
        "--drand",
    ];
    let quicknet = run(&[&verify[..], &["quicknet"]].concat(), &text);
    let report = String::from_utf8_lossy(&quicknet.stdout);
    assert!(report.contains("\"beacon_entries\": \"ok\""), "{report}");
    fails(
        &[&verify[..], &["mainnet"]].concat(),
        &text,
        "beacon_entries",
    );
}

#[test]
fn beacon_verify() {
    let sig = "b6b6a585449b66eb12e875b64fcbab3799861a00e4dbf092d99e969a5eac57dd3f798acf61e705fe4f093db926626807";
    let v = ok(
        &[
            "beacon",
            "verify",
            "--network",
            "quicknet",
            "--round",
            "2",
            "--signature",
            sig,
        ],
        "",
    );
    assert_eq!(v["valid"], true);
    fails(
        &[
            "beacon",
            "verify",
            "--network",
            "quicknet",
            "--round",
            "3",
            "--signature",
            sig,
        ],
        "",
        "does not verify",
    );
    fails(
        &[
            "beacon",
            "verify",
            "--network",
            "mainnet",
            "--round",
            "3",
            "--signature",
            sig,
        ],
        "",
        "previous",
    );
}

#[test]
fn wincount() {
    let v = ok(
        &[
            "wincount",
            "--vrf-proof",
            "00",
            "--power",
            "1000000",
            "--network-power",
            "1",
        ],
        "",
    );
    assert_eq!(v["win_count"], 15);
    let v = ok(
        &[
            "wincount",
            "--vrf-proof",
            "00",
            "--power",
            "0",
            "--network-power",
            "100",
        ],
        "",
    );
    assert_eq!(v["win_count"], 0);
    fails(
        &[
            "wincount",
            "--vrf-proof",
            "zz",
            "--power",
            "1",
            "--network-power",
            "1",
        ],
        "",
        "not hex",
    );
}

#[test]
fn demo_signs_and_verifies() {
    let v = ok(&["demo"], "");
    assert_eq!(v["bls"]["verified"], true);
    assert_eq!(v["secp256k1"]["verified"], true);
    let sm: SignedMessage =
        json::from_value(v["secp256k1"]["signed_message"].clone()).expect("parse");
    sm.verify().expect("demo output verifies");
}
