//! The `venus-miner` command line (feature `cli`), kept here so the binary
//! stays thin: `run` mines for the pool and serves sophon-miner's API; the
//! other commands are clients of a running daemon (its repo's `api` and
//! `token` files, or `--api`).
#![allow(missing_docs)] // clap doc comments document the commands.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use clap::{Parser, Subcommand};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use venus_api::auth::{AuthClient, RemoteVerifier};
use venus_api::lotus::LotusClient;
use venus_api::miner::*;
use venus_api::sealer::ProverClient;
use venus_api::wallet::WalletClient;
use venus_core::json::Lotus;
use venus_core::traits::ChainApi;
use venus_core::{Address, ChainEpoch};
use venus_daemon::{CancellationToken, DaemonError, Repo, Service, ServiceHandle};
use venus_rpc::{
    redact_api_info, Hs256Verifier, Permission, RpcClient, RpcServer, ServerConfig, TokenVerifier,
};

use crate::instance::InstanceLock;
use crate::members::{AuthMembers, SqlMemberStore, SwitchedMembers};
use crate::metrics::{Metered, MinerMetrics};
use crate::records::SqlRecords;
use crate::round::{PerMiner, RoundConfig};
use crate::rpc::{miner_module, MinerService};
use crate::slash::{SlashFilter, SqlSlashFilter};
use crate::{Members, Miner, MinerConfig, MinerError, Result};

/// The daemon's config (`config.toml` in the repo; `VENUS_MINER_<FIELD>`
/// overrides it, a flag overrides both). Its `Debug` shows no token or
/// password.
#[derive(Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct DaemonConfig {
    /// Where the API listens (sophon-miner's port).
    pub listen: SocketAddr,
    /// The node: Lotus API info (`TOKEN:MULTIADDR`) or a URL.
    pub node: String,
    /// venus-auth (API info or URL, with an admin token): the members are
    /// its miners with `open_mining`, and its tokens are accepted. Empty:
    /// the members are `[[members]]`, and only this repo's tokens work.
    pub auth_url: String,
    /// The slash filter, records and switches: `sqlite://FILE?mode=rwc` or
    /// `mysql://user@host/db` (several instances of one pool share one
    /// MySQL). Empty: `miner.db` in the repo.
    pub db: String,
    /// This instance's name in claims and records (empty: one made at the
    /// first start and kept in the repo's `instance` file). A restarted
    /// instance must keep its name to take up its own claims again.
    pub instance: String,
    /// Seconds per epoch (0: the node's, from `StateGetNetworkParams`;
    /// set, it must agree with the node's).
    pub block_delay_secs: u64,
    /// How long after a base's time its round starts (ms).
    pub propagation_delay_ms: u64,
    /// How long one miner's election and proof may take (ms).
    pub miner_timeout_ms: u64,
    /// How long a won round's lease lasts unless its holder renews it
    /// while proving (ms): when an instance dies mid-proof, another of
    /// the pool takes the round over after this.
    pub lease_ttl_ms: u64,
    /// Miners worked on at once.
    pub concurrency: usize,
    /// How long records are kept (hours).
    pub keep_records_hours: u64,
    /// How often the members are re-read from venus-auth (s).
    pub members_refresh_secs: u64,
    /// More nodes each block is sent to after `node` (API infos), for a
    /// block to reach the network even when one node's peers lag. Their
    /// tokens need `write`: one that a node says lacks it is refused at
    /// start.
    pub submit_nodes: Vec<String>,
    /// Where each member's wallet and sealer are.
    pub members: Vec<MemberConfig>,
}

/// One member miner's own services. Its `Debug` shows no token.
#[derive(Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct MemberConfig {
    /// The miner (an ID address).
    pub miner: String,
    /// Its wallet, holding the worker key (API info; `sign` permission).
    pub wallet: String,
    /// Its sealer, proving its sectors (API info; `write` permission).
    pub sealer: String,
}

impl Default for DaemonConfig {
    fn default() -> Self {
        DaemonConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 12308)),
            node: String::new(),
            auth_url: String::new(),
            db: String::new(),
            instance: String::new(),
            block_delay_secs: 0,
            propagation_delay_ms: 12_000,
            miner_timeout_ms: 15_000,
            lease_ttl_ms: 5_000,
            concurrency: 64,
            keep_records_hours: 7 * 24,
            members_refresh_secs: 60,
            submit_nodes: Vec::new(),
            members: Vec::new(),
        }
    }
}

impl std::fmt::Debug for DaemonConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let infos: Vec<String> = self
            .submit_nodes
            .iter()
            .map(|n| redact_api_info(n))
            .collect();
        f.debug_struct("DaemonConfig")
            .field("listen", &self.listen)
            .field("node", &redact_api_info(&self.node))
            .field("auth_url", &redact_api_info(&self.auth_url))
            .field("db", &venus_sql::redact_url(&self.db))
            .field("instance", &self.instance)
            .field("block_delay_secs", &self.block_delay_secs)
            .field("propagation_delay_ms", &self.propagation_delay_ms)
            .field("miner_timeout_ms", &self.miner_timeout_ms)
            .field("lease_ttl_ms", &self.lease_ttl_ms)
            .field("concurrency", &self.concurrency)
            .field("keep_records_hours", &self.keep_records_hours)
            .field("members_refresh_secs", &self.members_refresh_secs)
            .field("submit_nodes", &infos)
            .field("members", &self.members)
            .finish()
    }
}

impl std::fmt::Debug for MemberConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemberConfig")
            .field("miner", &self.miner)
            .field("wallet", &redact_api_info(&self.wallet))
            .field("sealer", &redact_api_info(&self.sealer))
            .finish()
    }
}

#[derive(Parser)]
#[command(
    name = "venus-miner",
    version,
    about = "The pool's block producer: one round per epoch for every member miner"
)]
pub struct Cli {
    /// Repo directory (default $VENUS_MINER_PATH or ~/.venus-miner):
    /// config.toml, the token secret, the instance name, the `api` and
    /// `token` files, and the SQLite database unless `db` is set.
    #[arg(long, global = true)]
    pub repo: Option<PathBuf>,
    /// A running daemon's API info (default: the repo's `api` and `token`).
    #[arg(long, global = true, env = "MINER_API_INFO", hide_env_values = true)]
    pub api: Option<String>,
    #[command(subcommand)]
    pub cmd: Cmd,
}

#[derive(Subcommand)]
pub enum Cmd {
    /// Mine for the pool and serve the API (and Prometheus metrics on
    /// `/metrics`) until Ctrl-C or SIGTERM.
    Run {
        /// Listen address.
        #[arg(long)]
        listen: Option<SocketAddr>,
        /// The node's API info.
        #[arg(long)]
        node: Option<String>,
        /// venus-auth's API info.
        #[arg(long)]
        auth_url: Option<String>,
        /// Database URL.
        #[arg(long)]
        db: Option<String>,
        /// This instance's name.
        #[arg(long)]
        instance: Option<String>,
    },
    /// Print the config in effect (defaults, config.toml, environment).
    Config,
    /// Print a token for this miner's API (signed with the repo's secret).
    Token {
        #[arg(long, default_value = "admin")]
        perm: Permission,
    },
    /// The member miners and whether each is mined for.
    List,
    /// Whether miners are mined for now, with their latest errors.
    State { miners: Vec<String> },
    /// Switch miners on (kept across restarts).
    Start {
        #[arg(required = true)]
        miners: Vec<String>,
    },
    /// Switch miners off (kept across restarts).
    Stop {
        #[arg(required = true)]
        miners: Vec<String>,
    },
    /// Which miners would have won the rounds after START..=END (election only).
    Winners {
        #[arg(long)]
        start: ChainEpoch,
        #[arg(long)]
        end: ChainEpoch,
        miners: Vec<String>,
    },
    /// The blocks the pool claimed, newest first.
    Blocks {
        #[arg(long)]
        miner: Vec<String>,
        #[arg(long, default_value_t = 20)]
        limit: u64,
        #[arg(long, default_value_t = 0)]
        offset: u64,
    },
    /// A miner's round records from an epoch on.
    Records {
        miner: String,
        #[arg(long)]
        epoch: ChainEpoch,
        #[arg(long, default_value_t = 1)]
        limit: u64,
    },
}

fn daemon(e: DaemonError) -> MinerError {
    MinerError::Config(e.to_string())
}

fn addresses(list: &[String]) -> Result<Vec<Lotus<Address>>> {
    list.iter()
        .map(|s| {
            venus_core::address::parse(s)
                .map(Lotus)
                .map_err(|e| MinerError::Config(format!("{s:?} is not an address: {e}")))
        })
        .collect()
}

fn secret(repo: &Repo) -> Result<Vec<u8>> {
    let path = repo.path("token-secret");
    venus_rpc::load_or_create_secret(&path)
        .map_err(|e| MinerError::Config(format!("reading {}: {e}", path.display())))
}

/// How long an instance's heartbeat stays fresh (it beats every third).
const INSTANCE_TTL: Duration = Duration::from_secs(15);

/// The mining loop as a [`Service`], under its instance name's lock.
struct MiningService {
    miner: Arc<Miner>,
    api: Arc<MinerService>,
    lock: InstanceLock,
}

#[async_trait::async_trait]
impl Service for MiningService {
    fn name(&self) -> &str {
        "mining"
    }

    async fn start(
        self: Box<Self>,
        cancel: CancellationToken,
    ) -> venus_daemon::Result<ServiceHandle> {
        let stop = cancel.clone();
        let task = tokio::spawn(async move {
            let api = self.api.clone();
            let mining = self
                .miner
                .run(stop.cancelled(), move |_, results| api.observe(results));
            tokio::select! {
                _ = mining => {
                    if let Err(e) = self.lock.release().await {
                        tracing::warn!(target: "venus_miner", error = %e, "releasing the instance name failed");
                    }
                    Ok(())
                }
                // Another process took the name over: mining on would
                // make two processes one instance.
                e = self.lock.keep() => Err(e),
            }
        });
        let done = async move {
            let failed = |reason: String| DaemonError::Service {
                name: "mining".into(),
                reason,
            };
            match task.await {
                Ok(Ok(())) => Ok(()),
                Ok(Err(e)) => Err(failed(format!("mining stopped: {e}"))),
                Err(e) => Err(failed(format!("the mining loop failed: {e}"))),
            }
        };
        Ok(ServiceHandle::new("mining", cancel, done))
    }
}

/// The node's seconds per epoch (`StateGetNetworkParams`); `configured`,
/// when not 0, must agree with it (blocks timed to another delay would
/// be refused).
async fn block_delay(node: &LotusClient, configured: u64) -> Result<u64> {
    let asked = node
        .rpc()
        .call::<venus_api::lotus::StateGetNetworkParams>([])
        .await;
    match asked {
        Ok(p) if configured == 0 || configured == p.block_delay_secs => {
            Ok(p.block_delay_secs.max(1))
        }
        Ok(p) => Err(MinerError::Config(format!(
            "block_delay_secs is {configured} but the node's network ({}) has {} s epochs; \
             leave it 0 to take the node's",
            p.network_name, p.block_delay_secs
        ))),
        // A node without the method: the configured delay, if any.
        Err(_) if configured > 0 => Ok(configured),
        Err(e) => Err(MinerError::Node(format!(
            "reading the network's block delay (StateGetNetworkParams): {e}; \
             set block_delay_secs to go on without it"
        ))),
    }
}

/// Refuses a member whose wallet or sealer says the token the miner was
/// given cannot do what the miner asks of it (sign its blocks; compute its
/// winning PoSts): every round of that member would fail. All asked at
/// once, so services that do not answer hold the start
/// [`PERMISSIONS_TIMEOUT`] at most.
///
/// [`PERMISSIONS_TIMEOUT`]: venus_api::common::PERMISSIONS_TIMEOUT
async fn check_member_tokens(members: &[(Address, RpcClient, RpcClient)]) -> Result<()> {
    use venus_api::common::check_token;
    use venus_api::sealer::ComputeProofMethod;
    use venus_api::wallet::WalletSign;
    use venus_rpc::RpcMethod;
    let checked = members.iter().map(|(miner, wallet, sealer)| async move {
        let (wallet, sealer) = futures::join!(
            check_token(wallet, &[WalletSign::PERMISSION]),
            check_token(sealer, &[ComputeProofMethod::PERMISSION]),
        );
        wallet.map_err(|e| {
            MinerError::Config(format!(
                "member {miner}'s wallet {e}, which signing its blocks (WalletSign) \
                 needs: give one made with `venus-wallet api-info --perm sign --name <caller>`"
            ))
        })?;
        sealer.map_err(|e| {
            MinerError::Config(format!(
                "member {miner}'s sealer {e}, which its winning PoSts ({}) need: \
                 give one with {}",
                ComputeProofMethod::NAME,
                ComputeProofMethod::PERMISSION
            ))
        })
    });
    futures::future::join_all(checked)
        .await
        .into_iter()
        .collect()
}

/// Connects to the extra nodes blocks are sent to, refusing one whose
/// token the node says cannot write (`SyncSubmitBlock` needs it): every
/// block sent there would be refused. Asked all at once, so nodes that do
/// not answer hold the start [`PERMISSIONS_TIMEOUT`] at most, not once
/// each.
///
/// [`PERMISSIONS_TIMEOUT`]: venus_api::common::PERMISSIONS_TIMEOUT
async fn submit_nodes(infos: &[String]) -> Result<Vec<LotusClient>> {
    let checked = infos.iter().map(|info| async move {
        let failed = |e: String| {
            MinerError::Config(format!(
                "submit node {}: {e}",
                venus_rpc::redact_api_info(info)
            ))
        };
        let client = LotusClient::connect(info)
            .await
            .map_err(|e| failed(e.to_string()))?;
        client
            .require(
                Permission::Write,
                "the miner's block submissions (SyncSubmitBlock)",
            )
            .await
            .map_err(failed)?;
        Ok(client)
    });
    futures::future::join_all(checked)
        .await
        .into_iter()
        .collect()
}

/// Warns of members that cannot mine: venus-auth opens them, but the
/// config gives no wallet and sealer for them (every round of theirs
/// would fail with `no signer`).
async fn check_endpoints(members: &dyn Members, endpoints: &PerMiner) {
    let known = endpoints.miners();
    match members.miners().await {
        Ok(list) => {
            for miner in list.iter().filter(|m| !known.contains(m)) {
                tracing::warn!(target: "venus_miner", %miner, "a member without a wallet and sealer in config.toml ([[members]]): it cannot mine until one is added");
            }
            if list.is_empty() {
                tracing::warn!(target: "venus_miner", "no member miners: nothing to mine for");
            }
        }
        Err(e) => {
            tracing::warn!(target: "venus_miner", error = %e, "reading the members failed; mining starts once they can be read")
        }
    }
}

/// Parts of the daemon that an integrator running it in its own process
/// ([`run_with`]) supplies in place of the daemon's own.
#[derive(Clone, Default)]
pub struct Slots {
    /// The slash filter, instead of the SQL one in the daemon's database
    /// (`db`). Every instance mining for the same members must share it,
    /// and it must keep the [`SlashFilter`] contract: a claim exclusive
    /// and durable before it returns.
    pub slash_filter: Option<Arc<dyn SlashFilter>>,
}

impl std::fmt::Debug for Slots {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Slots")
            .field(
                "slash_filter",
                &self.slash_filter.as_ref().map(|_| "custom"),
            )
            .finish()
    }
}

/// The daemon: the miner and its API, from `config`.
async fn serve(repo: Repo, config: DaemonConfig, slots: Slots) -> Result<()> {
    if config.node.is_empty() {
        return Err(MinerError::Config(
            "no node: set `node` (a Lotus API info) in config.toml, VENUS_MINER_NODE or --node"
                .into(),
        ));
    }
    let db_url = if config.db.is_empty() {
        venus_sql::sqlite_url(&repo.path("miner.db"))?
    } else {
        config.db.clone()
    };
    let db = venus_sql::connect(&db_url, &crate::MIGRATIONS).await?;
    let instance = repo
        .instance_name("venus-miner", &config.instance)
        .map_err(daemon)?;
    let lock_db = db.clone();
    let lotus = LotusClient::connect(&config.node).await.map_err(|e| {
        MinerError::Node(format!(
            "connecting to {}: {e}",
            venus_rpc::redact_api_info(&config.node)
        ))
    })?;
    let block_delay = block_delay(&lotus, config.block_delay_secs).await?;
    lotus
        .require(
            Permission::Write,
            "the miner's MinerCreateBlock and SyncSubmitBlock",
        )
        .await
        .map_err(MinerError::Node)?;
    let submit_nodes = submit_nodes(&config.submit_nodes).await?;
    let chain: Arc<dyn ChainApi> = Arc::new(lotus);
    let mut members = Vec::with_capacity(config.members.len());
    for m in &config.members {
        let miner = venus_core::address::parse(&m.miner)
            .map_err(|e| MinerError::Config(format!("member {:?}: {e}", m.miner)))?;
        let wallet = RpcClient::connect(&m.wallet)
            .await
            .map_err(|e| MinerError::Config(format!("member {miner}'s wallet: {e}")))?;
        let sealer = RpcClient::connect(&m.sealer)
            .await
            .map_err(|e| MinerError::Config(format!("member {miner}'s sealer: {e}")))?;
        members.push((miner, wallet, sealer));
    }
    check_member_tokens(&members).await?;
    let mut endpoints = PerMiner::new();
    for (miner, wallet, sealer) in members {
        endpoints.insert(
            miner,
            Arc::new(WalletClient::new(wallet)),
            Arc::new(ProverClient::new(sealer)),
        );
    }
    let endpoints = Arc::new(endpoints);
    let local = Hs256Verifier::new(&secret(&repo)?);
    let admin = local
        .sign(Permission::Admin.and_below(), None, None)
        .map_err(|e| MinerError::Config(e.to_string()))?;
    // `AuthNew` only where the tokens are the miner's own: one made with its
    // secret beside venus-auth would outlive venus-auth's revocations.
    let mints = config.auth_url.is_empty().then(|| local.clone());
    let (list, verifier): (Arc<dyn Members>, Arc<dyn TokenVerifier>) = if config.auth_url.is_empty()
    {
        (Arc::new(endpoints.miners()), Arc::new(local))
    } else {
        let connect = || async {
            RpcClient::connect(&config.auth_url)
                .await
                .map_err(|e| MinerError::Members(format!("venus-auth: {e}")))
        };
        let rpc = connect().await?;
        let refresh = Duration::from_secs(config.members_refresh_secs.max(1));
        (
            Arc::new(AuthMembers::new(AuthClient::new(connect().await?), refresh)),
            Arc::new(venus_rpc::LocalThen::new(
                local,
                RemoteVerifier::new(rpc, Default::default()),
            )),
        )
    };
    check_endpoints(&*list, &endpoints).await;
    let switches = Arc::new(SqlMemberStore::new(db.clone()));
    let slash: Arc<dyn SlashFilter> = match slots.slash_filter {
        Some(custom) => {
            tracing::info!(target: "venus_miner", "the slash filter is the integrator's, not the database's");
            custom
        }
        None => Arc::new(SqlSlashFilter::new(db.clone())),
    };
    let metrics = Arc::new(MinerMetrics::new());
    let records = Arc::new(Metered::new(Arc::new(SqlRecords::new(db)), metrics.clone()));
    let miner_config = MinerConfig {
        round: RoundConfig {
            instance: instance.clone(),
            miner_timeout: Duration::from_millis(config.miner_timeout_ms),
            concurrency: config.concurrency.max(1),
            block_delay,
            lease_ttl: Duration::from_millis(config.lease_ttl_ms.max(100)),
        },
        propagation_delay: Duration::from_millis(config.propagation_delay_ms),
        keep_records: Duration::from_secs(config.keep_records_hours.saturating_mul(3600)),
    };
    let mut builder = Miner::builder(miner_config);
    for client in submit_nodes {
        builder = builder.submit_to(Arc::new(client));
    }
    let miner = builder
        .chain(chain.clone())
        .signers(endpoints.clone())
        .provers(endpoints.clone())
        .slash_filter(slash.clone())
        .records(records.clone())
        .members(Arc::new(SwitchedMembers::new(
            list.clone(),
            switches.clone(),
        )))
        .build()?;
    let api =
        Arc::new(MinerService::new(list, switches, slash, records).with_election(chain, endpoints));
    let mut module = miner_module(api.clone());
    module
        .merge(venus_api::lotus::auth_module(verifier.clone(), mints))
        .map_err(|e| MinerError::Config(e.to_string()))?;
    let server = RpcServer::builder(module)
        .verifier(verifier)
        .config(ServerConfig::daemon())
        .metrics(Arc::new(move || metrics.render()))
        .build();
    tracing::info!(target: "venus_miner", %instance, members = config.members.len(), "starting");
    let rpc = venus_daemon::RpcService::new(
        "miner-api",
        server,
        config.listen,
        repo,
        admin,
        "MINER_API_INFO",
    );
    // Taken last, once everything else is up: its heartbeat starts with
    // the mining.
    let lock = InstanceLock::acquire(lock_db, &instance, INSTANCE_TTL).await?;
    let mining = MiningService {
        miner: Arc::new(miner),
        api,
        lock,
    };
    venus_daemon::run_services(vec![Box::new(rpc), Box::new(mining)])
        .await
        .map_err(daemon)
}

async fn client(repo: &Repo, api: Option<String>) -> Result<RpcClient> {
    let info = match api {
        Some(info) => info,
        None => venus_daemon::repo_api_info(repo).map_err(daemon)?,
    };
    RpcClient::connect(&info)
        .await
        .map_err(|e| MinerError::Config(format!("the miner's API: {e}")))
}

fn rpc_error(e: venus_rpc::Error) -> MinerError {
    MinerError::Node(format!("the miner's API: {e}"))
}

fn to_json<T: Serialize>(v: T) -> Result<Value> {
    serde_json::to_value(v).map_err(|e| MinerError::Corrupt(e.to_string()))
}

/// Runs a command; `run` serves until Ctrl-C or SIGTERM. Returns what to print.
pub async fn run(cli: Cli) -> Result<Value> {
    run_with(cli, Slots::default()).await
}

/// [`run`], with the daemon's parts in `slots` swapped for the caller's
/// (the `run` command uses them; the client commands ignore them).
pub async fn run_with(cli: Cli, slots: Slots) -> Result<Value> {
    let repo = Repo::open("miner", cli.repo).map_err(daemon)?;
    let load = |flags| venus_daemon::config::load::<DaemonConfig>(&repo, flags).map_err(daemon);
    match cli.cmd {
        Cmd::Run {
            listen,
            node,
            auth_url,
            db,
            instance,
        } => {
            let config = load(
                venus_daemon::Flags::new()
                    .set("listen", listen)
                    .set("node", node)
                    .set("auth_url", auth_url)
                    .set("db", db)
                    .set("instance", instance),
            )?;
            serve(repo, config, slots).await?;
            Ok(Value::Null)
        }
        Cmd::Config => {
            let config = load(venus_daemon::Flags::new())?;
            print!(
                "{}",
                venus_daemon::config::to_toml(&config).map_err(daemon)?
            );
            Ok(Value::Null)
        }
        Cmd::Token { perm } => {
            let token = Hs256Verifier::new(&secret(&repo)?)
                .sign(perm.and_below(), None, None)
                .map_err(|e| MinerError::Config(e.to_string()))?;
            Ok(json!(token))
        }
        cmd => {
            let c = client(&repo, cli.api).await?;
            let list = |miners: &[String]| -> Result<Option<Vec<Lotus<Address>>>> {
                Ok(Some(addresses(miners)?))
            };
            match cmd {
                Cmd::List => to_json(c.call::<ListAddress>([]).await.map_err(rpc_error)?),
                Cmd::State { miners } => to_json(
                    c.call::<StatesForMining>((list(&miners)?,))
                        .await
                        .map_err(rpc_error)?,
                ),
                Cmd::Start { miners } => to_json(
                    c.call::<Start>((list(&miners)?,))
                        .await
                        .map_err(rpc_error)?,
                ),
                Cmd::Stop { miners } => to_json(
                    c.call::<venus_api::miner::Stop>((list(&miners)?,))
                        .await
                        .map_err(rpc_error)?,
                ),
                Cmd::Winners { start, end, miners } => to_json(
                    c.call::<CountWinnersMethod>((list(&miners)?, start, end))
                        .await
                        .map_err(rpc_error)?,
                ),
                Cmd::Blocks {
                    miner,
                    limit,
                    offset,
                } => to_json(
                    c.call::<ListBlocks>((BlocksQueryParams {
                        miners: list(&miner)?,
                        limit,
                        offset,
                    },))
                        .await
                        .map_err(rpc_error)?,
                ),
                Cmd::Records {
                    miner,
                    epoch,
                    limit,
                } => {
                    let miner = addresses(&[miner])?
                        .pop()
                        .ok_or_else(|| MinerError::Config("no miner".into()))?;
                    to_json(
                        c.call::<QueryRecord>((QueryRecordParams {
                            miner: miner.0,
                            epoch,
                            limit,
                        },))
                            .await
                            .map_err(rpc_error)?,
                    )
                }
                Cmd::Run { .. } | Cmd::Config | Cmd::Token { .. } => Ok(Value::Null),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A token that its daemon says cannot do what the miner asks of it
    /// stops the start, named without the token: a submit node's without
    /// write, a member wallet's without sign, a member sealer's without
    /// write. The main node's admin token passes.
    #[tokio::test]
    async fn tokens_that_cannot_do_their_part_are_refused_at_start() {
        let tokens = Hs256Verifier::new(b"the daemons' secret");
        // One server answering `AuthVerify` only, as the node, the submit
        // nodes, the wallet and the sealer: the start asks nothing else
        // of them before their checks (no `StateGetNetworkParams`, so the
        // configured block delay).
        let daemon = RpcServer::builder(venus_api::lotus::auth_module(
            Arc::new(tokens.clone()),
            None,
        ))
        .verifier(Arc::new(tokens.clone()))
        .build()
        .start("127.0.0.1:0".parse().expect("addr"))
        .await
        .expect("server");
        let token = |perm: Permission| tokens.sign(perm.and_below(), None, None).expect("token");
        let info = |token: &str| {
            venus_rpc::Endpoint::new(daemon.http_url(), Some(token.to_string()))
                .to_api_info()
                .expect("api info")
        };
        let member = |wallet: &str, sealer: &str| MemberConfig {
            miner: "f01000".into(),
            wallet: info(wallet),
            sealer: info(sealer),
        };
        let (read, write, sign) = (
            token(Permission::Read),
            token(Permission::Write),
            token(Permission::Sign),
        );
        let cases = [
            (
                vec![info(&write), info(&read)],
                member(&sign, &write),
                &read,
                "submit node",
                "grants [read] but not write",
            ),
            (
                vec![],
                member(&write, &write),
                &write,
                "member f01000's wallet",
                "grants [read, write] but not sign",
            ),
            (
                vec![],
                member(&sign, &read),
                &read,
                "member f01000's sealer",
                "grants [read] but not write",
            ),
        ];
        for (submit_nodes, member, refused_token, whose, why) in cases {
            let dir = tempfile::tempdir().expect("tempdir");
            let config = DaemonConfig {
                node: info(&token(Permission::Admin)),
                block_delay_secs: 30,
                submit_nodes,
                members: vec![member],
                ..DaemonConfig::default()
            };
            let repo = Repo::open("miner", Some(dir.path().into())).expect("repo");
            let refused = serve(repo, config, Slots::default())
                .await
                .expect_err(whose);
            let shown = refused.to_string();
            assert!(shown.contains(whose) && shown.contains(why), "{shown}");
            assert!(!shown.contains(refused_token.as_str()), "{shown}");
        }
        daemon.stop().await;
    }

    #[test]
    fn config_debug_shows_no_token_or_password() {
        let config = DaemonConfig {
            node: "n0detoken:/ip4/127.0.0.1/tcp/1234/http".into(),
            auth_url: "http://h:8989/rpc/v0?token=authtoken".into(),
            db: "mysql://root:dbpassw0rd@127.0.0.1:3306/miner".into(),
            submit_nodes: vec!["subm1ttoken:/ip4/10.0.0.1/tcp/1234/http".into()],
            members: vec![MemberConfig {
                miner: "f01000".into(),
                wallet: "wallett0ken:/ip4/10.0.0.2/tcp/5678/http".into(),
                sealer: "sealert0ken:/ip4/10.0.0.3/tcp/2345/http".into(),
            }],
            ..DaemonConfig::default()
        };
        let shown = format!("{config:?}");
        for secret in [
            "n0detoken",
            "authtoken",
            "dbpassw0rd",
            "subm1ttoken",
            "wallett0ken",
            "sealert0ken",
        ] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
        for kept in [
            "/ip4/127.0.0.1/tcp/1234/http",
            "root:***@127.0.0.1",
            "f01000",
        ] {
            assert!(shown.contains(kept), "{kept} not in {shown}");
        }
    }
}
