//! `venus-pool devnet` as a process, from an empty repo (the proof
//! parameters cached): it mines the epochs asked for with every member,
//! exits 0, and its summary's counts are what the node's chain holds; a
//! second run on the same repo continues the chain.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;
use venus_core::traits::{ChainRead, DigestProver};
use venus_core::types::TipSetKey;
use venus_core::Cid;
use venus_node::testing::NoSeals;

/// Runs `venus-pool devnet --repo REPO ARGS`, killed after `limit`; its summary.
fn devnet(repo: &Path, args: &[&str], limit: Duration) -> Value {
    let mut child = Command::new(env!("CARGO_BIN_EXE_venus-pool"))
        .env(
            "RUST_LOG",
            std::env::var("VENUS_TEST_POOL_LOG").unwrap_or_else(|_| "warn".into()),
        )
        .env_remove("VENUS_WALLET_PASSWORD")
        .arg("devnet")
        .arg("--repo")
        .arg(repo)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run venus-pool");
    let read = |mut r: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut s = String::new();
            let _ = r.read_to_string(&mut s);
            s
        })
    };
    let out = read(Box::new(child.stdout.take().expect("stdout")));
    let err = read(Box::new(child.stderr.take().expect("stderr")));
    let deadline = Instant::now() + limit;
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait") {
            break s;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "venus-pool devnet {args:?} still running after {limit:?}\nstderr:\n{}",
                err.join().unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(500));
    };
    let stdout = out.join().expect("stdout");
    assert!(
        status.success(),
        "venus-pool devnet {args:?} failed\nstdout:\n{stdout}\nstderr:\n{}",
        err.join().unwrap_or_default()
    );
    let (_, summary) = stdout
        .split_once("summary:\n")
        .unwrap_or_else(|| panic!("no summary in:\n{stdout}"));
    serde_json::from_str(summary).expect("the summary is JSON")
}

fn count(v: &Value) -> u64 {
    v.as_u64().expect("a count")
}

/// What the node's chain holds from `head` back to (not including) `from`:
/// tipsets, blocks per miner and distinct messages.
fn chain_counts(node_repo: &Path, head: &[Cid], from: i64) -> (u64, BTreeMap<String, u64>, u64) {
    let repo = venus_daemon::Repo::open("node", Some(node_repo.to_path_buf())).expect("repo");
    let opened = venus_node::cli::open_node(&repo, None, Arc::new(NoSeals), Arc::new(DigestProver))
        .expect("open the node's chain");
    let node = opened.node;
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async move {
        let mut ts = ChainRead::tipset(&*node, &TipSetKey::new(head.to_vec()))
            .await
            .expect("the summary's head is on the node's chain");
        let (mut tipsets, mut blocks, mut messages) = (0, BTreeMap::new(), 0);
        while ts.height() > from {
            tipsets += 1;
            let mut seen = BTreeSet::new();
            for b in ts.blocks() {
                *blocks.entry(b.miner.to_string()).or_insert(0u64) += 1;
                let m = node
                    .block_messages(&b.cid().expect("cid"))
                    .await
                    .expect("messages");
                seen.extend(m.cids);
            }
            messages += seen.len() as u64;
            ts = ChainRead::tipset(&*node, &ts.parents())
                .await
                .expect("parent");
        }
        (tipsets, blocks, messages)
    })
}

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
    let head: Vec<Cid> = s["head"]
        .as_array()
        .expect("head")
        .iter()
        .map(|c| c.as_str().expect("cid").parse().expect("a CID"))
        .collect();
    let (tipsets, chain_blocks, messages) = chain_counts(&repo.join("node"), &head, from);
    assert_eq!(count(&s["tipsets"]), tipsets, "tipsets");
    assert_eq!(count(&s["messages"]), messages, "messages");
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
