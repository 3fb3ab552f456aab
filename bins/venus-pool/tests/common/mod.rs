//! `venus-pool devnet` as a process for the tests: started, watched until
//! the pool is up, stopped with a summary; and the node's chain read back
//! from its RocksDB repo once the pool has stopped.

#![allow(dead_code, missing_docs)]

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde_json::Value;
use venus_core::traits::{ChainRead, DigestProver};
use venus_core::types::TipSetKey;
use venus_core::Cid;
use venus_node::testing::NoSeals;

/// A running `venus-pool devnet --repo REPO ARGS`.
pub struct PoolRun {
    pub repo: PathBuf,
    child: Child,
    out: Option<JoinHandle<String>>,
    err: Option<JoinHandle<String>>,
}

impl PoolRun {
    pub fn spawn(repo: &Path, args: &[&str]) -> PoolRun {
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
        PoolRun {
            repo: repo.to_path_buf(),
            child,
            out: Some(out),
            err: Some(err),
        }
    }

    /// Kills the pool and panics with its stderr.
    fn fail(&mut self, why: &str) -> ! {
        self.stop_within(Duration::from_secs(30));
        let err = self
            .err
            .take()
            .map(|h| h.join().unwrap_or_default())
            .unwrap_or_default();
        panic!("venus-pool devnet: {why}\nstderr:\n{err}");
    }

    /// Waits until the pool is up (its `api-info.env` is written); the
    /// API infos it holds.
    pub fn wait_up(&mut self, limit: Duration) -> HashMap<String, String> {
        let file = self.repo.join("api-info.env");
        let deadline = Instant::now() + limit;
        loop {
            if let Ok(text) = std::fs::read_to_string(&file) {
                if !text.is_empty() {
                    return text
                        .lines()
                        .filter_map(|l| l.split_once('='))
                        .map(|(k, v)| (k.to_string(), v.to_string()))
                        .collect();
                }
            }
            if let Ok(Some(s)) = self.child.try_wait() {
                self.fail(&format!("ended ({s}) before the pool was up"));
            }
            if Instant::now() > deadline {
                self.fail(&format!("not up after {limit:?}"));
            }
            std::thread::sleep(Duration::from_millis(500));
        }
    }

    /// Asks the pool to stop (SIGTERM), as Ctrl-C does: it stops its
    /// components in order and prints its summary.
    pub fn terminate(&self) {
        assert!(
            signal(self.child.id(), "TERM"),
            "kill -TERM {}",
            self.child.id()
        );
    }

    /// Asks a pool still running to stop (SIGTERM) and waits up to `grace`.
    fn stop_within(&mut self, grace: Duration) {
        if !matches!(self.child.try_wait(), Ok(None)) {
            return;
        }
        signal(self.child.id(), "TERM");
        let deadline = Instant::now() + grace;
        while Instant::now() < deadline && matches!(self.child.try_wait(), Ok(None)) {
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// Waits for the run to end by itself (killed after `limit`); its
    /// summary. Panics unless it exited 0.
    pub fn finish(mut self, limit: Duration) -> Value {
        let deadline = Instant::now() + limit;
        let status = loop {
            if let Some(s) = self.child.try_wait().expect("wait") {
                break s;
            }
            if Instant::now() > deadline {
                self.fail(&format!("still running after {limit:?}"));
            }
            std::thread::sleep(Duration::from_millis(500));
        };
        let stdout = self
            .out
            .take()
            .map(|h| h.join().expect("stdout"))
            .unwrap_or_default();
        if !status.success() {
            self.fail(&format!("failed ({status})\nstdout:\n{stdout}"));
        }
        let (_, summary) = stdout
            .split_once("summary:\n")
            .unwrap_or_else(|| panic!("no summary in:\n{stdout}"));
        serde_json::from_str(summary).expect("the summary is JSON")
    }
}

impl Drop for PoolRun {
    /// A pool still running (a failed test) is asked to stop its
    /// components in order; whatever is left after 30 s is killed,
    /// component processes (in process groups of their own) included.
    fn drop(&mut self) {
        self.stop_within(Duration::from_secs(30));
        let _ = self.child.kill();
        let _ = self.child.wait();
        for (pid, _) in component_pids(&self.repo) {
            signal(pid.unsigned_abs(), "KILL");
        }
    }
}

/// Sends `SIG` (`TERM`, `KILL`) to `pid`: std and tokio send only
/// SIGKILL. Whether it was delivered.
pub fn signal(pid: u32, sig: &str) -> bool {
    Command::new("kill")
        .args([format!("-{sig}"), pid.to_string()])
        .status()
        .is_ok_and(|s| s.success())
}

/// The component processes (`venus-pool component …`) of the pool in `repo`.
pub fn component_pids(repo: &Path) -> Vec<(i32, Vec<String>)> {
    let repo = repo.display().to_string();
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.flatten()
        .filter_map(|entry| {
            let pid = entry.file_name().to_string_lossy().parse::<i32>().ok()?;
            let cmdline = std::fs::read(entry.path().join("cmdline")).ok()?;
            let args: Vec<String> = cmdline
                .split(|b| *b == 0)
                .map(|a| String::from_utf8_lossy(a).into_owned())
                .collect();
            (args.iter().any(|a| a == "component") && args.iter().any(|a| a.starts_with(&repo)))
                .then_some((pid, args))
        })
        .collect()
}

/// Runs `venus-pool devnet --repo REPO ARGS` to its end; its summary.
pub fn devnet(repo: &Path, args: &[&str], limit: Duration) -> Value {
    PoolRun::spawn(repo, args).finish(limit)
}

pub fn count(v: &Value) -> u64 {
    v.as_u64().expect("a count")
}

/// The summary's head.
pub fn head(summary: &Value) -> Vec<Cid> {
    summary["head"]
        .as_array()
        .expect("head")
        .iter()
        .map(|c| c.as_str().expect("cid").parse().expect("a CID"))
        .collect()
}

/// What the node's chain holds from `head` back to (not including) `from`.
#[derive(Debug, Default)]
pub struct ChainCounts {
    pub tipsets: u64,
    /// Blocks per miner.
    pub blocks: BTreeMap<String, u64>,
    /// The heights of each miner's blocks.
    pub heights: BTreeMap<String, Vec<i64>>,
    /// Distinct messages.
    pub messages: u64,
}

/// Reads the chain of the node repo `node_repo` (the pool stopped).
pub fn chain_counts(node_repo: &Path, head: &[Cid], from: i64) -> ChainCounts {
    let repo = venus_daemon::Repo::open("node", Some(node_repo.to_path_buf())).expect("repo");
    let opened = venus_node::cli::open_node(&repo, None, Arc::new(NoSeals), Arc::new(DigestProver))
        .expect("open the node's chain");
    let node = opened.node;
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async move {
        let mut ts = ChainRead::tipset(&*node, &TipSetKey::new(head.to_vec()))
            .await
            .expect("the summary's head is on the node's chain");
        let mut c = ChainCounts::default();
        while ts.height() > from {
            c.tipsets += 1;
            let mut seen = BTreeSet::new();
            for b in ts.blocks() {
                let miner = b.miner.to_string();
                *c.blocks.entry(miner.clone()).or_insert(0) += 1;
                c.heights.entry(miner).or_default().push(ts.height());
                let m = node
                    .block_messages(&b.cid().expect("cid"))
                    .await
                    .expect("messages");
                seen.extend(m.cids);
            }
            c.messages += seen.len() as u64;
            ts = ChainRead::tipset(&*node, &ts.parents())
                .await
                .expect("parent");
        }
        c
    })
}
