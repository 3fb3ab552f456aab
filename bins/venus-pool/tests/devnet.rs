//! `venus-pool devnet` as a process, from an empty repo (the proof
//! parameters cached): it mines the epochs asked for with every member,
//! exits 0, and its summary's counts are what the node's chain holds; a
//! second run on the same repo continues the chain.

mod common;

use std::process::Command;
use std::time::Duration;

use common::{chain_counts, count, devnet, head};

#[test]
fn twenty_epochs_then_a_second_run_continues() {
    let dir = tempfile::tempdir().expect("tempdir");
    let repo = dir.path().join("pool");
    // 20 s epochs: two real winning PoSts at once take 10-15 s here.
    let s = devnet(
        &repo,
        &["--epochs", "20", "--block-time", "20"],
        Duration::from_secs(1200),
    );
    eprintln!("summary: {s:#}");

    let (from, to) = (
        s["from"].as_i64().expect("from"),
        s["to"].as_i64().expect("to"),
    );
    assert!(to - from >= 20, "stopped after {} epochs", to - from);
    let blocks = s["blocks"].as_object().expect("blocks");
    assert_eq!(blocks.len(), 2, "two members by default: {blocks:?}");
    for (miner, n) in blocks {
        assert!(count(n) >= 1, "{miner} mined no block in 20 epochs");
    }
    // Every member keeps its 2 pre-sealed sectors' power.
    for (miner, p) in s["power"].as_object().expect("power") {
        assert_eq!(count(p), 2 * 2048, "{miner}'s power");
    }

    // The summary is what the chain holds.
    let chain = chain_counts(&repo.join("node"), &head(&s), from);
    let chain_blocks = chain.blocks;
    assert_eq!(count(&s["tipsets"]), chain.tipsets, "tipsets");
    assert_eq!(count(&s["messages"]), chain.messages, "messages");
    for (miner, n) in blocks {
        assert_eq!(
            count(n),
            chain_blocks.get(miner).copied().unwrap_or(0),
            "{miner}'s blocks"
        );
    }
    assert_eq!(
        chain_blocks.len(),
        2,
        "no block by anyone else: {chain_blocks:?}"
    );

    // A second run continues the same chain, and refuses other options.
    let again = devnet(&repo, &["--epochs", "2"], Duration::from_secs(600));
    assert!(
        again["from"].as_i64().expect("from") >= to,
        "the second run started at {} below the first's head {to}",
        again["from"]
    );
    let out = Command::new(env!("CARGO_BIN_EXE_venus-pool"))
        .args(["devnet", "--members", "3", "--epochs", "1", "--repo"])
        .arg(&repo)
        .output()
        .expect("run");
    assert!(
        !out.status.success(),
        "a repo of 2 members ran with --members 3"
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("members 2, not 3"), "{err}");
}
