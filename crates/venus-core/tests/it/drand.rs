//! drand.json: real mainnet (chained) and quicknet rounds.

use venus_core::crypto::{DrandNetwork, DrandScheme};
use venus_core::types::BeaconEntry;

use crate::vector;

fn network(v: &serde_json::Value, chain: &str) -> DrandNetwork {
    let c = &v["chains"][chain];
    let net = match chain {
        "mainnet_chained" => DrandNetwork::mainnet(),
        _ => DrandNetwork::quicknet(),
    };
    assert_eq!(
        hex::encode(&net.public_key),
        c["public_key"].as_str().expect("pk"),
        "{chain} key"
    );
    assert_eq!(net.period, c["period"].as_u64().expect("period"));
    assert_eq!(
        net.genesis_time,
        c["genesis_time"].as_u64().expect("genesis")
    );
    net
}

fn entries(v: &serde_json::Value) -> Vec<(String, BeaconEntry)> {
    v["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| {
            let entry = BeaconEntry {
                round: e["round"].as_u64().expect("round"),
                data: hex::decode(e["signature"].as_str().expect("sig")).expect("hex"),
            };
            (e["chain"].as_str().expect("chain").to_string(), entry)
        })
        .collect()
}

/// The previous round's entry in the file, which chained rounds need.
fn previous<'a>(
    all: &'a [(String, BeaconEntry)],
    chain: &str,
    round: u64,
) -> Option<&'a BeaconEntry> {
    all.iter()
        .find(|(c, e)| c == chain && e.round + 1 == round)
        .map(|(_, e)| e)
}

#[test]
fn every_verifiable_entry_verifies_and_a_flipped_bit_fails() {
    let v = vector("drand.json");
    let all = entries(&v);
    let mut verified = 0;
    for (chain, entry) in &all {
        let net = network(&v, chain);
        let prev = previous(&all, chain, entry.round);
        if net.scheme == DrandScheme::Chained && prev.is_none() {
            // Round 2's predecessor (round 1) is not in the file; it serves as round 3's previous.
            assert!(
                net.verify_entry(entry, None).is_err(),
                "chained needs a previous signature"
            );
            continue;
        }
        net.verify_entry(entry, prev)
            .unwrap_or_else(|e| panic!("{chain} round {}: {e}", entry.round));
        verified += 1;

        let mut flipped = entry.clone();
        let last = flipped.data.len() - 1;
        flipped.data[last] ^= 1;
        assert!(
            net.verify_entry(&flipped, prev).is_err(),
            "{chain} round {} flipped",
            entry.round
        );
        let mut wrong_round = entry.clone();
        wrong_round.round += 10;
        assert!(net.verify_entry(&wrong_round, None).is_err());
    }
    assert_eq!(verified, 4);
}

#[test]
fn round_at_follows_genesis_and_period() {
    let q = DrandNetwork::quicknet();
    assert_eq!(q.round_at(q.genesis_time - 1), 0);
    assert_eq!(q.round_at(q.genesis_time), 1);
    assert_eq!(q.round_at(q.genesis_time + 3 * 10), 11);
}
