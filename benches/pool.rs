//! The whole pool end to end (issue 19's benches), each sample a
//! `venus-pool devnet` process run as the README's first command runs it,
//! on the defaults (2 members × 2 sectors, 30 s epochs):
//!
//! - `pool/first_block`: from the command's start on a new repo, with the
//!   proof parameters cached (so: pre-sealing, the genesis, every
//!   component up, the first election and winning PoSt), to the pool's
//!   first block on the node (the run's first status line).
//! - The on-time share, printed after it (a share, not a time, so not a
//!   criterion figure): over `VENUS_BENCH_EPOCHS` epochs of one run
//!   (default 100; 0 skips it; `VENUS_BENCH_BLOCK_TIME` seconds each,
//!   default 30), the share of the epochs with a winner in which every
//!   winner's block is in the chain at its height. The winners come from
//!   the miner's `CountWinners`, which runs each member's election again
//!   on the final chain, so a block that was late (or never made) counts
//!   against the pool.
//!
//! This binary is the pool too (`BIN devnet …`, and `BIN component …` for
//! the components it starts), so nothing else needs building:
//! `cargo bench -p venus-benches --bench pool`. The first sample generates
//! the proof parameters if they are missing (about 20 minutes).

#![allow(missing_docs)]

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use clap::Parser;
use criterion::Criterion;
use venus_api::lotus::LotusClient;
use venus_api::miner::CountWinnersMethod;
use venus_core::traits::ChainRead;
use venus_rpc::RpcClient;

/// A `venus-pool devnet` process and its stdout lines.
struct Pool {
    child: Child,
    lines: mpsc::Receiver<String>,
}

impl Pool {
    fn spawn(repo: &Path, args: &[&str]) -> Pool {
        let mut child = Command::new(std::env::current_exe().expect("this binary"))
            .arg("devnet")
            .arg("--repo")
            .arg(repo)
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start the pool");
        let out = child.stdout.take().expect("stdout");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Pool { child, lines }
    }

    /// Waits for a line starting with `prefix`.
    fn wait_for(&self, prefix: &str, limit: Duration) -> String {
        let deadline = Instant::now() + limit;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) if line.starts_with(prefix) => return line,
                Ok(_) => {}
                Err(e) => panic!("no line {prefix:?} from the pool within {limit:?}: {e}"),
            }
        }
    }

    /// SIGTERM, and waits for the pool to stop its components.
    fn stop(mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(120);
        while matches!(self.child.try_wait(), Ok(None)) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn first_block(c: &mut Criterion) {
    let mut g = c.benchmark_group("pool");
    g.sample_size(10)
        .sampling_mode(criterion::SamplingMode::Flat)
        .warm_up_time(Duration::from_millis(1))
        .measurement_time(Duration::from_secs(1));
    g.bench_function("first_block", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let dir = tempfile::tempdir().expect("tempdir");
                let start = Instant::now();
                let pool = Pool::spawn(&dir.path().join("pool"), &[]);
                pool.wait_for("epoch ", Duration::from_secs(3600));
                total += start.elapsed();
                pool.stop();
            }
            total
        })
    });
    g.finish();
}

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn on_time() {
    let epochs = env_or("VENUS_BENCH_EPOCHS", 100);
    if epochs == 0 {
        return;
    }
    let block_time = env_or("VENUS_BENCH_BLOCK_TIME", 30).to_string();
    let dir = tempfile::tempdir().expect("tempdir");
    let repo = dir.path().join("pool");
    let pool = Pool::spawn(&repo, &["--block-time", &block_time]);
    pool.wait_for("the pool is up", Duration::from_secs(3600));
    let env: HashMap<String, String> = std::fs::read_to_string(repo.join("api-info.env"))
        .expect("api-info.env")
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let (on_time, with_winners, late) = rt.block_on(async {
        let node = LotusClient::connect(&env["FULLNODE_API_INFO"])
            .await
            .expect("node");
        let from = node.head().await.expect("head").height();
        let until = from + i64::try_from(epochs).expect("epochs") + 1;
        let head = loop {
            let head = node.head().await.expect("head");
            if head.height() >= until {
                break head;
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        };
        // Rounds from+1 up to the head's parent's: blocks of the head's own
        // epoch may still be arriving. CountWinners takes the bases (round
        // e+1 is elected on the tipset at e).
        let (first, last) = (from, head.height() - 2);
        let miner = RpcClient::connect(&env["MINER_API_INFO"])
            .await
            .expect("miner");
        let counted = miner
            .call::<CountWinnersMethod>((None, first, last))
            .await
            .expect("CountWinners");
        let mut winners: BTreeMap<i64, BTreeSet<String>> = BTreeMap::new();
        for m in counted {
            for w in m.win_epoch_list.unwrap_or_default() {
                // An election that failed to run is listed with its error.
                if !w.msg.is_empty() {
                    eprintln!("{} at {}: the election failed: {}", m.miner, w.epoch, w.msg);
                } else if w.win_count > 0 {
                    winners
                        .entry(w.epoch)
                        .or_default()
                        .insert(m.miner.to_string());
                }
            }
        }
        let (mut on_time, mut late) = (0u64, Vec::new());
        for (epoch, won) in &winners {
            let ts = node
                .tipset_by_height(*epoch, head.key())
                .await
                .expect("tipset");
            let landed: BTreeSet<String> = if ts.height() == *epoch {
                ts.blocks().iter().map(|b| b.miner.to_string()).collect()
            } else {
                BTreeSet::new()
            };
            if won.is_subset(&landed) {
                on_time += 1;
            } else {
                late.push(*epoch);
            }
        }
        (on_time, winners.len() as u64, late)
    });
    pool.stop();
    println!(
        "pool/on_time: {on_time} of {with_winners} epochs with a winner had every winner's block on chain ({:.1}%) over {epochs} epochs of {block_time} s; late or missing at {late:?}",
        100.0 * on_time as f64 / with_winners.max(1) as f64
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if matches!(
        args.get(1).map(String::as_str),
        Some("devnet" | "component")
    ) {
        let cli = venus_pool_lib::cli::Cli::parse_from(
            std::iter::once("venus-pool".to_string()).chain(args[1..].iter().cloned()),
        );
        if let Err(e) = venus_pool_lib::cli::main(cli) {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
        return;
    }
    let mut c = Criterion::default().configure_from_args();
    first_block(&mut c);
    // Not a criterion bench: skipped when criterion only lists, tests, or
    // runs a filter that leaves it out.
    let listing = args.iter().any(|a| a == "--list" || a == "--test");
    let filtered = args
        .iter()
        .skip(1)
        .any(|a| !a.starts_with('-') && !"pool/on_time".contains(a.as_str()));
    if !listing && !filtered {
        on_time();
    }
    c.final_summary();
}
