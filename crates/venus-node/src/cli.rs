//! The `venus` command line (feature `cli`), kept here so the binary stays
//! thin: `venus genesis` writes a devnet's genesis file, `venus daemon`
//! runs a node from it on RocksDB.
#![allow(missing_docs)] // clap doc comments document the commands.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::{Parser, Subcommand};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use venus_chain::beacon::LocalBeacon;
use venus_chain::chain::ChainStore;
use venus_chain::consensus::{Consensus, NetworkParams};
use venus_chain::genesis::genesis_block;
use venus_chain::genesis::template::{read_preseal_manifest, Template};
use venus_chain::store::RocksBlockstore;
use venus_chain::GenesisBuilder;
use venus_core::traits::{ProofVerifier, SealVerifier};
use venus_rpc::{Endpoint, Hs256Verifier, Permission, RpcServer, ServerConfig, TokenVerifier};

use crate::error::{NodeError, Result};
use crate::Node;

/// The daemon's config (`config.toml` in the repo; `VENUS_NODE_<FIELD>`
/// overrides it, a flag overrides both). Its `Debug` shows no token.
#[derive(Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct NodeConfig {
    /// Where the API listens.
    pub listen: SocketAddr,
    /// A `venus-auth` endpoint to verify tokens with, besides the repo's
    /// own secret (whose admin token the `token` file holds); empty: the
    /// repo's secret only.
    pub auth_url: String,
}

impl std::fmt::Debug for NodeConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NodeConfig")
            .field("listen", &self.listen)
            .field("auth_url", &venus_rpc::redact_api_info(&self.auth_url))
            .finish()
    }
}

impl Default for NodeConfig {
    fn default() -> Self {
        NodeConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 1234)),
            auth_url: String::new(),
        }
    }
}

/// A devnet's genesis file: Lotus's genesis template (its fields, read by
/// `venus_chain::genesis::template`) plus what our devnet adds: the block
/// delay and the local beacon's secret (a devnet's beacon is made at
/// genesis; whoever holds the file can produce its rounds).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DevnetGenesis {
    #[serde(rename = "NetworkName")]
    pub network_name: String,
    #[serde(rename = "Timestamp")]
    pub timestamp: u64,
    #[serde(rename = "BlockDelaySecs")]
    pub block_delay: u64,
    /// Hex of the beacon's 32-byte secret.
    #[serde(rename = "BeaconSecret")]
    pub beacon_secret: String,
    #[serde(rename = "Accounts", default)]
    pub accounts: Vec<Value>,
    #[serde(rename = "Miners", default)]
    pub miners: Vec<Value>,
    /// A shorter proving period than the devnet's day (ours, not Lotus's:
    /// see `venus_chain::exec::policy::with_proving_period`), so window
    /// PoSts come round in minutes.
    #[serde(
        rename = "ProvingPeriod",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub proving_period: Option<ProvingPeriod>,
}

/// A proving period of `deadlines` deadlines of `challenge_window` epochs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProvingPeriod {
    /// Deadlines per period.
    #[serde(rename = "Deadlines")]
    pub deadlines: u64,
    /// Epochs per deadline (at least 3).
    #[serde(rename = "ChallengeWindow")]
    pub challenge_window: i64,
}

/// `DEADLINESxEPOCHS`, as `--proving-period` takes it (`4x8`).
impl std::str::FromStr for ProvingPeriod {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<Self, String> {
        let bad = || format!("{s:?}: a proving period is DEADLINESxEPOCHS, e.g. 4x8");
        let (d, w) = s.split_once('x').ok_or_else(bad)?;
        Ok(ProvingPeriod {
            deadlines: d.trim().parse().map_err(|_| bad())?,
            challenge_window: w.trim().parse().map_err(|_| bad())?,
        })
    }
}

impl DevnetGenesis {
    /// The actors' policy of this devnet.
    pub fn policy(&self) -> Result<fil_actors_shared::v17::runtime::Policy> {
        let devnet = venus_chain::exec::policy::devnet();
        match self.proving_period {
            None => Ok(devnet),
            Some(p) => venus_chain::exec::policy::with_proving_period(
                devnet,
                p.deadlines,
                p.challenge_window,
            )
            .map_err(|e| NodeError::Invalid(format!("genesis ProvingPeriod: {e}"))),
        }
    }
}

#[derive(Parser)]
#[command(
    name = "venus",
    version,
    about = "The pool's devnet chain node, with Lotus's API"
)]
pub struct Cli {
    /// Repo directory (default $VENUS_NODE_PATH or ~/.venus-node): the
    /// chain (RocksDB), the genesis file, the token secret, config.toml,
    /// and the `api` and `token` files Lotus's tools read.
    #[arg(long, global = true)]
    pub repo: Option<PathBuf>,
    #[command(subcommand)]
    pub cmd: Cmd,
}

#[derive(Subcommand)]
pub enum Cmd {
    /// Write a devnet genesis file from pre-seal manifests and accounts.
    Genesis {
        /// Where to write it.
        #[arg(long)]
        out: PathBuf,
        /// A pre-seal manifest (`venus-sealer preseal`, Lotus's
        /// `lotus-seed` format); its miners go in order from f01000.
        #[arg(long)]
        preseal: Vec<PathBuf>,
        /// An account and its balance in FIL: `ADDRESS=FIL`.
        #[arg(long)]
        account: Vec<String>,
        #[arg(long, default_value = "devnet")]
        network_name: String,
        /// Seconds per epoch.
        #[arg(long, default_value_t = 30)]
        block_delay: u64,
        /// The genesis time (Unix seconds; default now).
        #[arg(long)]
        timestamp: Option<u64>,
        /// A shorter proving period, `DEADLINESxEPOCHS` (e.g. `4x8`), so
        /// window PoSts come round in minutes (ours; Lotus keeps a day).
        #[arg(long)]
        proving_period: Option<ProvingPeriod>,
    },
    /// Run the node until Ctrl-C or SIGTERM. The first start takes the
    /// genesis file and builds the chain; later starts continue it.
    Daemon {
        /// The genesis file (needed at the first start only).
        #[arg(long)]
        genesis: Option<PathBuf>,
        /// Listen address (default: config.toml's `listen`, then
        /// VENUS_NODE_LISTEN, then 127.0.0.1:1234).
        #[arg(long)]
        listen: Option<SocketAddr>,
        /// Verify tokens with this venus-auth (API info or URL).
        #[arg(long)]
        auth_url: Option<String>,
    },
    /// Print a token for this node's API (signed with the repo's secret).
    Token {
        #[arg(long, default_value = "admin")]
        perm: Permission,
    },
}

fn io(what: &str, path: &Path, e: std::io::Error) -> NodeError {
    NodeError::Invalid(format!("{what} {}: {e}", path.display()))
}

fn daemon(e: venus_daemon::DaemonError) -> NodeError {
    NodeError::Invalid(e.to_string())
}

/// `venus genesis`.
pub fn write_genesis(
    out: &Path,
    preseals: &[PathBuf],
    accounts: &[String],
    network_name: String,
    block_delay: u64,
    timestamp: Option<u64>,
) -> Result<DevnetGenesis> {
    write_genesis_with(
        out,
        preseals,
        accounts,
        network_name,
        block_delay,
        timestamp,
        None,
    )
}

/// [`write_genesis`] with a shorter proving period (see [`ProvingPeriod`]).
pub fn write_genesis_with(
    out: &Path,
    preseals: &[PathBuf],
    accounts: &[String],
    network_name: String,
    block_delay: u64,
    timestamp: Option<u64>,
    proving_period: Option<ProvingPeriod>,
) -> Result<DevnetGenesis> {
    if block_delay == 0 {
        return Err(NodeError::Invalid(
            "the block delay must be at least 1 s".into(),
        ));
    }
    let mut miners = Vec::new();
    for p in preseals {
        let bytes = std::fs::read(p).map_err(|e| io("reading", p, e))?;
        // Checked now, so a bad manifest fails here and not at the daemon.
        read_preseal_manifest(&bytes)?;
        let all: std::collections::BTreeMap<String, Value> = serde_json::from_slice(&bytes)
            .map_err(|e| NodeError::Invalid(format!("{}: {e}", p.display())))?;
        miners.extend(all.into_values());
    }
    let mut accts = Vec::new();
    for a in accounts {
        let (addr, fil) = a
            .split_once('=')
            .ok_or_else(|| NodeError::Invalid(format!("account {a:?}: expected ADDRESS=FIL")))?;
        let addr = venus_core::address::parse(addr)
            .map_err(|e| NodeError::Invalid(format!("account {addr:?}: {e}")))?;
        let fil: u64 = fil
            .parse()
            .map_err(|e| NodeError::Invalid(format!("balance {fil:?}: {e}")))?;
        accts.push(json!({
            "Type": "account",
            "Balance": venus_core::TokenAmount::from_whole(fil).atto().to_string(),
            "Meta": {"Owner": addr.to_string()},
        }));
    }
    // As `lotus-seed genesis add-miner`: each pre-seal miner's owner (and
    // worker) gets an account with 50,000,000 FIL unless one is given,
    // since a genesis miner's owner must be a genesis account.
    // Compared as addresses: a manifest writes `t3…` where a flag gives `f3…`.
    let parse = |v: &Value| v.as_str().and_then(|a| venus_core::address::parse(a).ok());
    let mut have: std::collections::HashSet<venus_core::Address> = accts
        .iter()
        .filter_map(|a| parse(&a["Meta"]["Owner"]))
        .collect();
    for m in &miners {
        for role in ["Owner", "Worker"] {
            if let Some(addr) = m[role].as_str() {
                let known = parse(&m[role]).is_some_and(|a| !have.insert(a));
                if !known {
                    accts.push(json!({
                        "Type": "account",
                        "Balance": venus_core::TokenAmount::from_whole(50_000_000).atto().to_string(),
                        "Meta": {"Owner": addr},
                    }));
                }
            }
        }
    }
    let beacon = LocalBeacon::generate(0, block_delay)?;
    let g = DevnetGenesis {
        network_name,
        timestamp: timestamp.unwrap_or_else(|| crate::system_clock()()),
        block_delay,
        beacon_secret: hex::encode(beacon.secret()),
        accounts: accts,
        miners,
        proving_period,
    };
    // The file must build: a genesis the daemon would refuse fails here.
    let t = template(&g)?;
    GenesisBuilder::from_template(&t)?
        .policy(g.policy()?)
        .build(&fvm_ipld_blockstore::MemoryBlockstore::new())?;
    let text = serde_json::to_vec_pretty(&g).map_err(|e| NodeError::Invalid(e.to_string()))?;
    std::fs::write(out, text).map_err(|e| io("writing", out, e))?;
    Ok(g)
}

fn template(g: &DevnetGenesis) -> Result<Template> {
    let mut v = serde_json::to_value(g).map_err(|e| NodeError::Invalid(e.to_string()))?;
    if let Some(o) = v.as_object_mut() {
        o.remove("ProvingPeriod");
    }
    serde_json::from_value(v).map_err(|e| NodeError::Invalid(format!("genesis file: {e}")))
}

fn read_genesis(path: &Path) -> Result<DevnetGenesis> {
    let bytes = std::fs::read(path).map_err(|e| io("reading", path, e))?;
    serde_json::from_slice(&bytes)
        .map_err(|e| NodeError::Invalid(format!("genesis file {}: {e}", path.display())))
}

/// What `venus daemon` assembles: the node over RocksDB in `repo/chain`.
pub struct Opened {
    pub node: Arc<Node<Arc<RocksBlockstore>>>,
    pub store: Arc<RocksBlockstore>,
}

/// Opens (or at the first start creates) the node in `repo`. `seal` and
/// `post` verify the proofs blocks and messages carry (venus-sealer-lib's
/// `Prover`, or a stand-in in tests).
pub fn open_node(
    repo: &venus_daemon::Repo,
    genesis: Option<&Path>,
    seal: Arc<dyn SealVerifier>,
    post: Arc<dyn ProofVerifier>,
) -> Result<Opened> {
    let kept = repo.path("genesis.json");
    let g = match (genesis, kept.exists()) {
        (Some(given), true) => {
            let (a, b) = (read_genesis(given)?, read_genesis(&kept)?);
            if serde_json::to_value(&a).ok() != serde_json::to_value(&b).ok() {
                return Err(NodeError::Invalid(format!(
                    "{} holds another network's genesis than {}: use another repo",
                    repo.dir().display(),
                    given.display()
                )));
            }
            b
        }
        (None, true) => read_genesis(&kept)?,
        (Some(given), false) => {
            let g = read_genesis(given)?;
            let text =
                serde_json::to_vec_pretty(&g).map_err(|e| NodeError::Invalid(e.to_string()))?;
            repo.write_private("genesis.json", &text).map_err(daemon)?;
            g
        }
        (None, false) => {
            return Err(NodeError::Invalid(format!(
                "{} has no chain yet: give --genesis (write one with `venus genesis`)",
                repo.dir().display()
            )))
        }
    };
    let t = template(&g)?;
    let secret = hex::decode(&g.beacon_secret)
        .map_err(|e| NodeError::Invalid(format!("beacon secret: {e}")))?;
    let beacon = Arc::new(LocalBeacon::from_secret(
        &secret,
        g.timestamp,
        g.block_delay,
    )?);
    let store = Arc::new(RocksBlockstore::open(&repo.path("chain"))?);
    // Genesis is deterministic: building it again writes the same blocks.
    let policy = g.policy()?;
    let state = GenesisBuilder::from_template(&t)?
        .policy(policy.clone())
        .build(&store)?;
    let block = genesis_block(&store, state.state_root, &t.network_name, t.timestamp)?;
    let chain = Arc::new(ChainStore::open(store.clone(), store.clone(), &block)?);
    let mut params = NetworkParams::devnet(beacon.network().clone(), g.timestamp, g.block_delay);
    params.policy = policy;
    let consensus = Arc::new(Consensus::new(chain, params, seal, post));
    let node = Node::builder(consensus, beacon)
        .network_name(g.network_name)
        .build();
    Ok(Opened { node, store })
}

fn secret(repo: &venus_daemon::Repo) -> Result<Vec<u8>> {
    let path = repo.path("token-secret");
    venus_rpc::load_or_create_secret(&path).map_err(|e| io("reading", &path, e))
}

/// The node's API as a [`venus_daemon::Service`].
pub struct NodeService {
    pub node: Arc<Node<Arc<RocksBlockstore>>>,
    pub store: Arc<RocksBlockstore>,
    pub repo: venus_daemon::Repo,
    pub listen: SocketAddr,
    pub verifier: Arc<dyn TokenVerifier>,
    /// Whether Lotus's `AuthNew` makes tokens with the repo's secret: not
    /// where tokens come from venus-auth (`auth_url`), as such a token
    /// would outlive venus-auth's revocations and limits.
    pub auth_new: bool,
}

#[async_trait::async_trait]
impl venus_daemon::Service for NodeService {
    fn name(&self) -> &str {
        "node"
    }

    async fn start(
        self: Box<Self>,
        cancel: venus_daemon::CancellationToken,
    ) -> venus_daemon::Result<venus_daemon::ServiceHandle> {
        let failed = |e: String| venus_daemon::DaemonError::Service {
            name: "node".into(),
            reason: e,
        };
        let signer = Hs256Verifier::new(&secret(&self.repo).map_err(|e| failed(e.to_string()))?);
        // Lotus's `AuthVerify` and `AuthNew`, on both API versions.
        let with_auth = |mut m: venus_rpc::RpcModule| {
            m.merge(venus_api::lotus::auth_module(
                self.verifier.clone(),
                self.auth_new.then(|| signer.clone()),
            ))
            .map_err(|e| failed(e.to_string()))?;
            Ok::<_, venus_daemon::DaemonError>(m)
        };
        let server = RpcServer::builder(with_auth(crate::rpc::lotus_module(self.node.clone()))?)
            .v0(with_auth(crate::rpc::lotus_v0_module(self.node.clone()))?)
            .verifier(self.verifier.clone())
            .config(ServerConfig::daemon())
            .build()
            .start(self.listen)
            .await
            .map_err(|e| failed(e.to_string()))?;
        let addr = server.local_addr();
        // Lotus's repo layout: `api` holds the multiaddr, `token` the
        // admin token, so `lotus` with LOTUS_PATH=<repo> talks to us.
        let maddr = format!("/ip4/{}/tcp/{}/http", addr.ip(), addr.port());
        let token = signer
            .sign(Permission::Admin.and_below(), None, None)
            .map_err(|e| failed(e.to_string()))?;
        // `token` first: a watcher takes `api` appearing as "serving".
        self.repo.write_private("token", token.as_bytes())?;
        self.repo.write_private("api", maddr.as_bytes())?;
        let info = Endpoint::new(format!("http://{addr}/rpc/v1"), Some(token))
            .to_api_info()
            .map_err(|e| failed(e.to_string()))?;
        // One daemon of several in a process: the repo's files say it.
        if !venus_daemon::in_scope() {
            println!("FULLNODE_API_INFO={info}");
        }
        let head = self.node.chain().head();
        tracing::info!(target: "venus_node", %addr, height = head.height(), head = %head.key(), "serving the Lotus API");
        let store = self.store.clone();
        let stopped = cancel.clone();
        let done = async move {
            stopped.cancelled().await;
            server.stop().await;
            store
                .sync()
                .map_err(|e| venus_daemon::DaemonError::Service {
                    name: "node".into(),
                    reason: format!("flushing the chain: {e}"),
                })
        };
        Ok(venus_daemon::ServiceHandle::new("node", cancel, done).with_addr(addr))
    }
}

/// Runs a command; `daemon` serves until Ctrl-C or SIGTERM. `seal` and
/// `post` verify proofs (the binary passes venus-sealer-lib's).
pub async fn run(
    cli: Cli,
    seal: Arc<dyn SealVerifier>,
    post: Arc<dyn ProofVerifier>,
) -> Result<Value> {
    match cli.cmd {
        Cmd::Genesis {
            out,
            preseal,
            account,
            network_name,
            block_delay,
            timestamp,
            proving_period,
        } => {
            let g = write_genesis_with(
                &out,
                &preseal,
                &account,
                network_name,
                block_delay,
                timestamp,
                proving_period,
            )?;
            Ok(json!({
                "file": out.display().to_string(),
                "network": g.network_name,
                "timestamp": g.timestamp,
                "miners": g.miners.len(),
                "accounts": g.accounts.len(),
            }))
        }
        Cmd::Daemon {
            genesis,
            listen,
            auth_url,
        } => {
            let repo = venus_daemon::Repo::open("node", cli.repo).map_err(daemon)?;
            let config: NodeConfig = venus_daemon::config::load(
                &repo,
                venus_daemon::Flags::new()
                    .set("listen", listen)
                    .set("auth_url", auth_url),
            )
            .map_err(daemon)?;
            let repo2 = repo.clone();
            let opened = tokio::task::spawn_blocking(move || {
                open_node(&repo2, genesis.as_deref(), seal, post)
            })
            .await??;
            let verifier: Arc<dyn TokenVerifier> = if config.auth_url.is_empty() {
                Arc::new(Hs256Verifier::new(&secret(&repo)?))
            } else {
                let rpc = venus_rpc::RpcClient::connect(&config.auth_url)
                    .await
                    .map_err(|e| NodeError::Invalid(format!("venus-auth: {e}")))?;
                // The repo's own admin token (the `token` file) still works.
                Arc::new(venus_rpc::LocalThen::new(
                    Hs256Verifier::new(&secret(&repo)?),
                    venus_api::auth::RemoteVerifier::new(rpc, Default::default()),
                ))
            };
            let service = NodeService {
                node: opened.node,
                store: opened.store,
                repo,
                listen: config.listen,
                verifier,
                auth_new: config.auth_url.is_empty(),
            };
            venus_daemon::run_services(vec![Box::new(service)])
                .await
                .map_err(daemon)?;
            Ok(Value::Null)
        }
        Cmd::Token { perm } => {
            let repo = venus_daemon::Repo::open("node", cli.repo).map_err(daemon)?;
            let token = Hs256Verifier::new(&secret(&repo)?)
                .sign(perm.and_below(), None, None)
                .map_err(|e| NodeError::Invalid(e.to_string()))?;
            Ok(json!(token))
        }
    }
}
