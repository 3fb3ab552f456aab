//! A devnet pool for the `venus-miner` process tests: three member miners
//! with a real 2 KiB pre-sealed sector each, the node in this process
//! (RocksDB, real PoSt verification), each member's wallet and sealer in
//! this process too, over RPC as they run in a pool. The wallet records
//! every block it signs, so a test sees independently of the miner what
//! was signed; it can hold its answer after signing, for a kill to land
//! between the signature and the miner's hearing of it.

#![allow(dead_code, missing_docs)]

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use venus_api::lotus::LotusClient;
use venus_api::wallet::WalletSign;
use venus_core::crypto::PrivateKey;
use venus_core::json::Lotus;
use venus_core::traits::{ChainRead, ComputeProof, MemorySigner, RemoteSigner};
use venus_core::types::{MsgType, TipSet};
use venus_core::{Address, ChainEpoch, RegisteredSealProof, SignatureType};
use venus_rpc::{RpcModule, RpcServer, ServerHandle};
use venus_sealer_lib::params::ParamCache;
use venus_sealer_lib::{
    preseal, LocalSectorStore, PostProver, PostVerifier, PreSealConfig, PreSealMiner, ProofPool,
    Prover,
};

/// Seconds per epoch.
pub const DELAY: u64 = 8;
pub const MINERS: u64 = 3;

/// One block the wallet signed.
#[derive(Debug, Clone)]
pub struct Signed {
    pub miner: Address,
    pub epoch: ChainEpoch,
    /// The unsigned header's bytes: two different ones for one (miner,
    /// epoch) would be a slashable double fork.
    pub bytes: Vec<u8>,
    pub at: Instant,
}

/// What the wallet signed, and a channel told of each block.
#[derive(Default)]
pub struct Observed {
    pub blocks: Mutex<Vec<Signed>>,
    /// Milliseconds the wallet waits after signing a block before it answers.
    pub hold_ms: AtomicU64,
    pub tx: Mutex<Option<tokio::sync::mpsc::UnboundedSender<Signed>>>,
    /// Worker keys whose every signature waits until taken off this list.
    pub stalled: Mutex<HashSet<Address>>,
}

impl Observed {
    pub fn blocks(&self) -> Vec<Signed> {
        self.blocks.lock().expect("lock").clone()
    }

    /// Asserts no (miner, epoch) got two different blocks signed.
    pub fn assert_no_double_sign(&self) {
        let mut seen: HashMap<(Address, ChainEpoch), Vec<u8>> = HashMap::new();
        for b in self.blocks() {
            let first = seen.entry((b.miner, b.epoch)).or_insert(b.bytes.clone());
            assert_eq!(
                *first, b.bytes,
                "two different blocks signed for {} at {}",
                b.miner, b.epoch
            );
        }
    }
}

/// The pool minus its miner.
pub struct Pool {
    pub dir: tempfile::TempDir,
    pub node: LotusClient,
    pub node_url: String,
    pub wallet_url: String,
    pub sealer_urls: Vec<String>,
    pub miners: Vec<Address>,
    /// Each member's worker key.
    pub workers: Vec<Address>,
    keys: Vec<PrivateKey>,
    /// Each member's sealer fails its winning PoSts while its switch is on.
    pub failing: Vec<Arc<AtomicBool>>,
    pub observed: Arc<Observed>,
    /// The genesis block's time (Unix seconds).
    pub genesis_ts: u64,
    servers: Vec<ServerHandle>,
}

/// A member's prover that fails while its switch is on.
struct Failing {
    inner: Arc<dyn ComputeProof>,
    on: Arc<AtomicBool>,
}

/// What a failing sealer answers.
pub const SEALER_FAILURE: &str = "the sealer lost its disk";

#[async_trait::async_trait]
impl ComputeProof for Failing {
    async fn compute_winning_post(
        &self,
        miner: &Address,
        sectors: &[venus_core::types::ExtendedSectorInfo],
        randomness: &[u8; 32],
    ) -> venus_core::Result<Vec<venus_core::PoStProof>> {
        if self.on.load(Ordering::SeqCst) {
            return Err(venus_core::Error::Crypto(SEALER_FAILURE.into()));
        }
        self.inner
            .compute_winning_post(miner, sectors, randomness)
            .await
    }
}

async fn serve(module: RpcModule) -> ServerHandle {
    RpcServer::builder(module)
        .insecure_allow_all()
        .build()
        .start("127.0.0.1:0".parse().expect("addr"))
        .await
        .expect("serve")
}

fn wallet_module(signer: Arc<MemorySigner>, observed: Arc<Observed>) -> RpcModule {
    let mut m = RpcModule::new();
    m.register_with::<WalletSign, _, _, _>(
        &(signer, observed),
        |(signer, observed), _, (addr, data, meta)| async move {
            while observed.stalled.lock().expect("lock").contains(&addr.0) {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            let sig = signer
                .sign(&addr.0, data.0.bytes(), &meta.0)
                .await
                .map_err(venus_rpc::RpcError::method)?;
            if meta.0.msg_type == MsgType::Block {
                let header = meta
                    .0
                    .block_header(data.0.bytes())
                    .map_err(venus_rpc::RpcError::method)?;
                let signed = Signed {
                    miner: header.miner,
                    epoch: header.height,
                    bytes: data.0.bytes().to_vec(),
                    at: Instant::now(),
                };
                observed.blocks.lock().expect("lock").push(signed.clone());
                if let Some(tx) = &*observed.tx.lock().expect("lock") {
                    let _ = tx.send(signed);
                }
                let hold = observed.hold_ms.load(Ordering::SeqCst);
                if hold > 0 {
                    tokio::time::sleep(Duration::from_millis(hold)).await;
                }
            }
            Ok(Lotus(sig))
        },
    );
    m
}

/// Pre-seals the members, writes a genesis due now, and serves the node,
/// the wallet and one sealer per member.
pub async fn pool() -> Pool {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().to_path_buf();
    let prover = Prover::new(
        Arc::new(ParamCache::from_env().expect("parameter cache")),
        ProofPool::new(2),
    );
    let seal = RegisteredSealProof::StackedDRG2KiBV1P1;
    let signer = Arc::new(MemorySigner::new());
    let observed = Arc::new(Observed::default());
    let mut manifests = Vec::new();
    let mut provers = Vec::new();
    let mut miners = Vec::new();
    let mut workers = Vec::new();
    let mut keys = Vec::new();
    for i in 0..MINERS {
        let id = 1000 + i;
        let sectors_dir = root.join(format!("sectors-{id}"));
        let store = LocalSectorStore::new(&sectors_dir);
        let sectors = preseal(
            &prover,
            &store,
            &PreSealConfig::new(id, seal, 1),
            &|_, _| {},
        )
        .await
        .expect("pre-seal");
        let key = PrivateKey::generate(SignatureType::BLS);
        let entry = PreSealMiner::new(id, &key, seal, sectors).expect("entry");
        manifests.push(entry.write(&sectors_dir, id).expect("manifest"));
        workers.push(key.address().expect("worker address"));
        keys.push(key.clone());
        signer.add(key).expect("key");
        provers.push(
            Arc::new(PostProver::new(prover.clone(), Arc::new(store))) as Arc<dyn ComputeProof>
        );
        miners.push(Address::new_id(id));
    }
    let genesis = root.join("genesis.json");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("time")
        .as_secs();
    venus_node::cli::write_genesis(
        &genesis,
        &manifests,
        &[],
        "minernet".into(),
        DELAY,
        Some(now - DELAY),
    )
    .expect("genesis");
    let repo = venus_daemon::Repo::open("node", Some(root.join("node"))).expect("repo");
    let post = Arc::new(PostVerifier::new(prover.clone()));
    let opened = tokio::task::spawn_blocking(move || {
        venus_node::cli::open_node(&repo, Some(&genesis), Arc::new(prover), post)
    })
    .await
    .expect("join")
    .expect("node");
    let mut servers = vec![serve(venus_node::rpc::lotus_module(opened.node)).await];
    let node_url = servers[0].http_url();
    servers.push(serve(wallet_module(signer, observed.clone())).await);
    let wallet_url = servers[1].http_url();
    let mut sealer_urls = Vec::new();
    let mut failing = Vec::new();
    for (miner, p) in miners.iter().zip(provers) {
        let on = Arc::new(AtomicBool::new(false));
        failing.push(on.clone());
        let p: Arc<dyn ComputeProof> = Arc::new(Failing { inner: p, on });
        let h = serve(venus_sealer_lib::rpc::prover_module(p, vec![*miner])).await;
        sealer_urls.push(h.http_url());
        servers.push(h);
    }
    let node = LotusClient::connect(&node_url).await.expect("node client");
    Pool {
        dir,
        node,
        node_url,
        wallet_url,
        sealer_urls,
        miners,
        workers,
        keys,
        failing,
        observed,
        genesis_ts: now - DELAY,
        servers,
    }
}

impl Pool {
    /// A miner repo whose config mines for every member on `db`.
    pub fn miner_repo(&self, name: &str, db: &str) -> PathBuf {
        // A round may take 45 s: two real winning PoSts at once take over
        // 20 s on a slow 2-core machine (seen on one where the 2 KiB PoRep
        // parameters took 21 minutes to generate).
        self.miner_repo_with_timeout(name, db, 45_000)
    }

    /// [`Pool::miner_repo`] (written again if it exists) with rounds bounded
    /// at `timeout_ms`.
    pub fn miner_repo_with_timeout(&self, name: &str, db: &str, timeout_ms: u64) -> PathBuf {
        let repo = self.dir.path().join(name);
        std::fs::create_dir_all(&repo).expect("repo");
        let mut config = format!(
            "listen = \"127.0.0.1:0\"\nnode = \"{}\"\ndb = \"{}\"\nblock_delay_secs = {DELAY}\n\
             propagation_delay_ms = 300\nminer_timeout_ms = {timeout_ms}\n",
            self.node_url, db
        );
        for (miner, sealer) in self.miners.iter().zip(&self.sealer_urls) {
            config.push_str(&format!(
                "\n[[members]]\nminer = \"{miner}\"\nwallet = \"{}\"\nsealer = \"{sealer}\"\n",
                self.wallet_url
            ));
        }
        std::fs::write(repo.join("config.toml"), config).expect("config");
        repo
    }

    /// Waits until the wallet has signed `n` blocks since `from` (an index
    /// into its list); panics after `limit`.
    pub async fn wait_signed(&self, from: usize, n: usize, limit: Duration) {
        let start = Instant::now();
        while self.observed.blocks().len() < from + n {
            assert!(
                start.elapsed() < limit,
                "only {} of {n} blocks signed in {limit:?}",
                self.observed.blocks().len() - from
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The first epoch whose round starts after now (a round starts no
    /// earlier than its parent epoch's time).
    pub fn next_round(&self) -> ChainEpoch {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("time")
            .as_secs();
        (now.saturating_sub(self.genesis_ts) / DELAY) as ChainEpoch + 2
    }

    /// Whether member `i` wins `round` on the chain's tipset below it,
    /// computed here from the chain and its key (not by the miner or
    /// through the wallet).
    pub async fn wins(&self, i: usize, round: ChainEpoch) -> bool {
        use venus_core::crypto::{DomainSeparationTag, WinCounter};
        use venus_core::traits::StateRead;
        let head = self.node.head().await.expect("head");
        let base = self
            .node
            .tipset_by_height(round - 1, head.key())
            .await
            .expect("base");
        let Some(info) = self
            .node
            .mining_base_info(&self.miners[i], round, base.key())
            .await
            .expect("base info")
        else {
            return false;
        };
        let rbase = info
            .beacon_entries
            .last()
            .unwrap_or(&info.prev_beacon_entry);
        let params = venus_core::types::DrawRandomParams {
            rbase: rbase.data.clone(),
            pers: DomainSeparationTag::ElectionProofProduction as i64,
            round,
            entropy: venus_core::encoding::to_cbor(&self.miners[i]).expect("cbor"),
        };
        let vrf = self.keys[i]
            .sign(&params.digest().expect("digest"))
            .expect("sign");
        info.eligible_for_mining
            && WinCounter::new(&info.miner_power, &info.network_power).win_count(&vrf.bytes) > 0
    }

    /// The blocks of the chain, by miner, from the head back to genesis.
    pub async fn chain_blocks(&self) -> HashMap<Address, Vec<ChainEpoch>> {
        let mut out: HashMap<Address, Vec<ChainEpoch>> = HashMap::new();
        let mut ts: TipSet = self.node.head().await.expect("head");
        while ts.height() > 0 {
            for b in ts.blocks() {
                out.entry(b.miner).or_default().push(b.height);
            }
            ts = self.node.tipset(&ts.parents()).await.expect("parent");
        }
        out
    }
}

/// A `venus-miner` process, killed with SIGKILL when dropped.
pub struct MinerProcess {
    child: Child,
    pub api: String,
}

impl MinerProcess {
    /// `venus-miner run` on `repo`, once it serves its API.
    pub fn start(repo: &Path) -> MinerProcess {
        let mut child = Command::new(env!("CARGO_BIN_EXE_venus-miner"))
            .env(
                "RUST_LOG",
                std::env::var("VENUS_TEST_MINER_LOG").unwrap_or_else(|_| "warn".into()),
            )
            .arg("--repo")
            .arg(repo)
            .arg("run")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn venus-miner");
        let out = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(out).lines();
        let api = loop {
            let line = lines
                .next()
                .expect("venus-miner printed its API info before exiting")
                .expect("read");
            if let Some(info) = line.strip_prefix("MINER_API_INFO=") {
                break info.to_string();
            }
        };
        MinerProcess { child, api }
    }

    /// `GET /metrics` (Prometheus's text format).
    pub fn metrics(&self) -> String {
        use std::io::{Read, Write};
        // API info: TOKEN:/ip4/HOST/tcp/PORT/http
        let parts: Vec<&str> = self.api.split('/').collect();
        let addr = format!("{}:{}", parts[2], parts[4]);
        let mut conn = std::net::TcpStream::connect(&addr).expect("connect");
        write!(
            conn,
            "GET /metrics HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
        )
        .expect("request");
        let mut out = String::new();
        conn.read_to_string(&mut out).expect("response");
        assert!(out.starts_with("HTTP/1.1 200"), "{out}");
        out
    }

    /// SIGKILL: nothing flushed, nothing released.
    pub fn kill9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Runs a client command of the CLI against this daemon; its JSON output.
    pub fn cli(&self, args: &[&str]) -> serde_json::Value {
        let out = Command::new(env!("CARGO_BIN_EXE_venus-miner"))
            .env("RUST_LOG", "warn")
            .args(["--api", &self.api])
            .args(args)
            .output()
            .expect("run venus-miner");
        assert!(
            out.status.success(),
            "venus-miner {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        if out.stdout.is_empty() {
            return serde_json::Value::Null;
        }
        serde_json::from_slice(&out.stdout).expect("JSON output")
    }
}

impl Drop for MinerProcess {
    fn drop(&mut self) {
        self.kill9();
    }
}
