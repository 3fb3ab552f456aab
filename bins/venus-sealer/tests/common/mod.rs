//! A one-member devnet for the sealer's process tests: the node (RocksDB,
//! real seal and window PoSt verification, a proving period of 4 deadlines
//! of 8 epochs), the messager and the pool's miner in this process, over
//! RPC as a pool runs them; the member's `venus-sealer run` as a process,
//! which seals and proves every deadline.
//!
//! Blocks carry digest winning PoSts (`DigestProver`, which binds the same
//! inputs) unless [`Options::real_winning_post`]: a real 2 KiB winning
//! PoSt takes about 7 s on these 2 cores, and the one miner wins nearly
//! every epoch, so real ones need longer epochs ([`Options::delay`]).

#![allow(dead_code, missing_docs)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use venus_api::lotus::{LotusClient, StateMinerPower};
use venus_core::crypto::PrivateKey;
use venus_core::json::Lotus;
use venus_core::traits::{ChainApi, ChainRead, ComputeProof, MemorySigner, RemoteSigner};
use venus_core::types::TipSetKey;
use venus_core::{Address, RegisteredSealProof, SignatureType};
use venus_messager_lib::access::OpenAccess;
use venus_messager_lib::rpc::{messager_module, MessagerService};
use venus_messager_lib::store::{MessageStore, SqlMessageStore};
use venus_messager_lib::{Messager, MessagerConfig, Signers};
use venus_miner_lib::round::{PerMiner, RoundConfig};
use venus_miner_lib::slash::MemorySlashFilter;
use venus_miner_lib::{Miner, MinerConfig};
use venus_rpc::{RpcModule, RpcServer, ServerHandle};
use venus_sealer_lib::params::ParamCache;
use venus_sealer_lib::{
    preseal, LocalSectorStore, PostVerifier, PreSealConfig, PreSealMiner, ProofPool, Prover,
};

/// Seconds per epoch.
pub const DELAY: u64 = 3;
/// The proving period: deadlines × epochs.
pub const DEADLINES: u64 = 4;
pub const WINDOW: i64 = 8;
/// Bytes of one sector.
pub const SECTOR: u64 = 2048;
/// Pre-sealed genesis sectors (two, so one lost deadline leaves the
/// miner its consensus minimum and the chain goes on).
pub const GENESIS_SECTORS: u64 = 2;

/// What differs between the tests' devnets.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Seconds per epoch.
    pub delay: u64,
    /// The node verifies real winning PoSts (else digest ones).
    pub real_winning_post: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            delay: DELAY,
            real_winning_post: false,
        }
    }
}

pub struct Devnet {
    pub dir: tempfile::TempDir,
    pub delay: u64,
    pub node: LotusClient,
    pub node_ws: String,
    pub messager_url: String,
    pub miner: Address,
    pub worker: Address,
    pub sectors: PathBuf,
    key: PrivateKey,
    stop: Arc<tokio::sync::Notify>,
    servers: Vec<ServerHandle>,
}

async fn serve(module: RpcModule) -> ServerHandle {
    RpcServer::builder(module)
        .insecure_allow_all()
        .build()
        .start("127.0.0.1:0".parse().expect("addr"))
        .await
        .expect("serve")
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("time")
        .as_secs()
}

/// The node and the messager; the miner starts with [`Devnet::mine`]
/// once the sealer serves its winning PoSts.
pub async fn devnet() -> Devnet {
    devnet_with(Options::default()).await
}

/// [`devnet`] with other [`Options`].
pub async fn devnet_with(o: Options) -> Devnet {
    let delay = o.delay;
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().to_path_buf();
    let prover = Prover::new(
        Arc::new(ParamCache::from_env().expect("parameter cache")),
        ProofPool::new(2),
    );
    let seal = RegisteredSealProof::StackedDRG2KiBV1P1;
    let id = 1000;
    let sectors = root.join("sectors");
    let store = LocalSectorStore::new(&sectors);
    let sealed = preseal(
        &prover,
        &store,
        &PreSealConfig::new(id, seal, GENESIS_SECTORS),
        &|_, _| {},
    )
    .await
    .expect("pre-seal");
    let key = PrivateKey::generate(SignatureType::BLS);
    let worker = key.address().expect("worker");
    let manifest = PreSealMiner::new(id, &key, seal, sealed)
        .expect("entry")
        .write(&sectors, id)
        .expect("manifest");
    let genesis = root.join("genesis.json");
    venus_node::cli::write_genesis_with(
        &genesis,
        &[manifest],
        &[format!("{worker}=100000")],
        "sealernet".into(),
        delay,
        Some(now() - delay),
        Some(venus_node::cli::ProvingPeriod {
            deadlines: DEADLINES,
            challenge_window: WINDOW,
        }),
    )
    .expect("genesis");
    let repo = venus_daemon::Repo::open("node", Some(root.join("node"))).expect("repo");
    let post: Arc<dyn venus_core::traits::ProofVerifier> = if o.real_winning_post {
        Arc::new(PostVerifier::new(prover.clone()))
    } else {
        Arc::new(venus_core::traits::DigestProver)
    };
    let opened = tokio::task::spawn_blocking(move || {
        venus_node::cli::open_node(&repo, Some(&genesis), Arc::new(prover), post)
    })
    .await
    .expect("join")
    .expect("node");
    let node = opened.node;
    let mut servers = vec![serve(venus_node::rpc::lotus_module(node.clone())).await];
    let node_ws = servers[0].ws_url();

    // The messager, holding the worker key as the member's wallet would.
    let db = venus_sql::connect("sqlite::memory:", &venus_messager_lib::MIGRATIONS)
        .await
        .expect("messager db");
    let mstore = Arc::new(SqlMessageStore::new(db));
    mstore.add_address(&worker).await.expect("address");
    let wallet = MemorySigner::new();
    wallet.add(key.clone()).expect("key");
    let wallet: Arc<dyn RemoteSigner> = Arc::new(wallet);
    let chain: Arc<dyn ChainApi> = node.clone();
    let messager = Messager::builder(MessagerConfig {
        instance: "devnet".into(),
        ..Default::default()
    })
    .store(mstore)
    .chain(chain.clone())
    .signers(Arc::new(wallet.clone()) as Arc<dyn Signers>)
    .build()
    .expect("messager");
    let stop = Arc::new(tokio::sync::Notify::new());
    {
        let (m, s) = (messager.clone(), stop.clone());
        tokio::spawn(async move { m.run(async move { s.notified().await }).await });
    }
    let service = Arc::new(MessagerService::new(messager, Arc::new(OpenAccess)));
    servers.push(serve(messager_module(service)).await);
    let messager_url = servers[1].http_url();
    let client = LotusClient::connect(&node_ws).await.expect("node client");
    Devnet {
        dir,
        delay,
        node: client,
        node_ws,
        messager_url,
        miner: Address::new_id(id),
        worker,
        sectors,
        key,
        stop,
        servers,
    }
}

impl Devnet {
    /// Starts the pool's miner (digest winning PoSts, see the module doc).
    pub async fn mine(&self) {
        self.mine_with(
            Arc::new(venus_core::traits::DigestProver),
            Duration::from_secs(6),
        )
        .await
    }

    /// Starts the pool's miner with its member's winning PoSts from
    /// `prover` (a sealer over RPC, say), each allowed `timeout`.
    pub async fn mine_with(&self, prover: Arc<dyn ComputeProof>, timeout: Duration) {
        let chain: Arc<dyn ChainApi> = Arc::new(self.node_client().await);
        let signer = MemorySigner::new();
        signer.add(self.key.clone()).expect("key");
        let mut per = PerMiner::new();
        per.insert(self.miner, Arc::new(signer), prover);
        let per = Arc::new(per);
        let miner = Miner::builder(MinerConfig {
            round: RoundConfig {
                instance: "devnet".into(),
                miner_timeout: timeout,
                concurrency: 4,
                block_delay: self.delay,
                lease_ttl: Duration::from_secs(10),
            },
            propagation_delay: Duration::from_millis(300),
            keep_records: Duration::from_secs(3600),
        })
        .chain(chain)
        .signers(per.clone())
        .provers(per)
        .slash_filter(Arc::new(MemorySlashFilter::new()))
        .members(Arc::new(vec![self.miner]))
        .build()
        .expect("miner");
        let s = self.stop.clone();
        tokio::spawn(async move {
            miner
                .run(async move { s.notified().await }, |_, _| {})
                .await
        });
    }

    /// Another client of the node (the miner's).
    pub async fn node_client(&self) -> LotusClient {
        LotusClient::connect(&self.node_ws)
            .await
            .expect("node client")
    }

    /// The miner's raw power on chain.
    pub async fn power(&self) -> u64 {
        let p = self
            .node
            .rpc()
            .call::<StateMinerPower>((Lotus(self.miner), Lotus(TipSetKey::default())))
            .await
            .expect("power");
        u64::try_from(p.miner_power.raw_byte_power).expect("power fits")
    }

    pub async fn height(&self) -> i64 {
        self.node.head().await.expect("head").height()
    }

    /// Waits until `cond(power)` holds; panics with `what` after `limit`.
    pub async fn wait_power(&self, what: &str, limit: Duration, cond: impl Fn(u64) -> bool) -> u64 {
        let start = Instant::now();
        loop {
            let p = self.power().await;
            if cond(p) {
                return p;
            }
            assert!(
                start.elapsed() < limit,
                "{what}: power {p} at height {} after {limit:?}",
                self.height().await
            );
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }
}

impl Drop for Devnet {
    fn drop(&mut self) {
        self.stop.notify_waiters();
    }
}

/// A `venus-sealer run` process, killed (SIGKILL) when dropped.
pub struct SealerProcess {
    child: Child,
    pub api: String,
    pub home: PathBuf,
}

impl SealerProcess {
    /// `venus-sealer run` with the pipeline, once it serves its API.
    pub fn start(d: &Devnet, home: &Path, extra: &[&str]) -> SealerProcess {
        let mut child = Command::new(env!("CARGO_BIN_EXE_venus-sealer"))
            .env(
                "RUST_LOG",
                std::env::var("VENUS_TEST_SEALER_LOG").unwrap_or_else(|_| "warn".into()),
            )
            .env_remove("VENUS_PARAMS_DIR")
            .args([
                "run",
                "--listen",
                "127.0.0.1:0",
                "--seed-confidence",
                "1",
                "--task-lease-secs",
                "6",
            ])
            .arg("--home")
            .arg(home)
            .arg("--sectors")
            .arg(&d.sectors)
            .args([
                "--miner",
                &d.miner.to_string(),
                "--node",
                &d.node_ws,
                "--messager",
                &d.messager_url,
            ])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn venus-sealer");
        let out = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(out).lines();
        let api = loop {
            let line = lines
                .next()
                .expect("venus-sealer printed its API info before exiting")
                .expect("read");
            if let Some(info) = line.strip_prefix("SEALER_API_INFO=") {
                break info.to_string();
            }
        };
        SealerProcess {
            child,
            api,
            home: home.to_path_buf(),
        }
    }

    /// A client command of the CLI against this sealer; its JSON output.
    pub fn cli(&self, args: &[&str]) -> serde_json::Value {
        let out = Command::new(env!("CARGO_BIN_EXE_venus-sealer"))
            .env("RUST_LOG", "warn")
            .args(["--api", &self.api])
            .args(args)
            .output()
            .expect("run venus-sealer");
        assert!(
            out.status.success(),
            "venus-sealer {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).expect("JSON output")
    }

    /// SIGKILL: nothing flushed, nothing released.
    pub fn kill9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Its live (not exited) `post-child` processes, which prove its
    /// winning PoSts.
    pub fn post_children(&self) -> Vec<u32> {
        let Ok(dir) = std::fs::read_dir("/proc") else {
            return Vec::new();
        };
        let parent = self.pid().to_string();
        dir.flatten()
            .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
            .filter(|pid| {
                let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
                // `pid (comm) state ppid …`; comm may hold spaces.
                let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
                let mut fields = rest.split_whitespace();
                let (state, ppid) = (fields.next(), fields.next());
                let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
                ppid == Some(parent.as_str())
                    && state != Some("Z")
                    && cmdline.split(|b| *b == 0).any(|a| a == b"post-child")
            })
            .collect()
    }
}

impl Drop for SealerProcess {
    fn drop(&mut self) {
        self.kill9();
    }
}

/// A `venus-worker run` process, killed (SIGKILL) when dropped.
pub struct WorkerProcess {
    child: Child,
    pub name: String,
}

impl WorkerProcess {
    /// `venus-worker run --sealer API` named `name`.
    pub fn start(sealer_api: &str, sectors: &Path, name: &str) -> WorkerProcess {
        Self::start_with(&[sealer_api], sectors, name, &[])
    }

    /// `venus-worker run --sealer A --sealer B … EXTRA`: the first sealer,
    /// then the next when one cannot be reached.
    pub fn start_with(
        sealers: &[&str],
        sectors: &Path,
        name: &str,
        extra: &[&str],
    ) -> WorkerProcess {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_venus-worker"));
        cmd.arg("run");
        for s in sealers {
            cmd.args(["--sealer", s]);
        }
        let mut child = cmd
            .env(
                "RUST_LOG",
                std::env::var("VENUS_TEST_SEALER_LOG").unwrap_or_else(|_| "warn".into()),
            )
            .env_remove("VENUS_PARAMS_DIR")
            .args(["--name", name])
            .args(extra)
            .arg("--sectors")
            .arg(sectors)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn venus-worker");
        let out = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(out).lines();
        loop {
            let line = lines
                .next()
                .expect("venus-worker printed its name before exiting")
                .expect("read");
            if line.starts_with("WORKER_NAME=") {
                break;
            }
        }
        WorkerProcess {
            child,
            name: name.to_string(),
        }
    }

    /// SIGKILL.
    pub fn kill9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for WorkerProcess {
    fn drop(&mut self) {
        self.kill9();
    }
}

impl SealerProcess {
    /// The sector's state, as `sectors status` shows it.
    pub fn state(&self, number: u64) -> String {
        let s = self.cli(&["sectors", "status", &number.to_string()]);
        s["State"].as_str().expect("state").to_string()
    }

    /// Waits until the sector is in `state`; panics if it fails or after `limit`.
    pub async fn wait_state(&self, number: u64, state: &str, limit: Duration) {
        let start = Instant::now();
        loop {
            let s = self.cli(&["sectors", "status", &number.to_string()]);
            assert_ne!(s["State"], "Failed", "the sector failed: {s}");
            if s["State"] == state {
                return;
            }
            assert!(start.elapsed() < limit, "not {state} after {limit:?}: {s}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Waits until `worker` holds `task`; panics after `limit`.
    pub async fn wait_running(&self, worker: &str, task: &str, limit: Duration) {
        let start = Instant::now();
        while !self.running(worker).iter().any(|t| t == task) {
            assert!(start.elapsed() < limit, "{worker} never took {task}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// The tasks `worker` holds, as `workers list` shows them.
    pub fn running(&self, worker: &str) -> Vec<String> {
        let list = self.cli(&["workers", "list"]);
        list.as_array()
            .expect("workers")
            .iter()
            .filter(|w| w["Name"] == worker)
            .flat_map(|w| w["Running"].as_array().cloned().unwrap_or_default())
            .filter_map(|t| t.as_str().map(str::to_string))
            .collect()
    }
}
