//! The `venus-messager` command line (feature `cli`), kept here so the
//! binary stays thin: `run` serves Venus's messager API and runs the
//! messager; the other commands are clients of a running daemon (its
//! repo's `api` and `token` files, or `--api`).
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
use venus_api::messager::*;
use venus_api::wallet::WalletClient;
use venus_core::json::Lotus;
use venus_core::traits::ChainApi;
use venus_core::{Address, TokenAmount};
use venus_daemon::{CancellationToken, DaemonError, Repo, Service, ServiceHandle};
use venus_rpc::{
    redact_api_info, Hs256Verifier, Permission, RpcClient, RpcServer, ServerConfig, TokenVerifier,
};

use crate::access::{Access, AuthAccess, OpenAccess};
use crate::metrics::MessagerMetrics;
use crate::rpc::{messager_module, MessagerService};
use crate::signers::WalletSigners;
use crate::store::SqlMessageStore;
use crate::{Messager, MessagerConfig, MessagerError, Result, Signers};

/// The daemon's config (`config.toml` in the repo; `VENUS_MESSAGER_<FIELD>`
/// overrides it, a flag overrides both). Its `Debug` shows no token or
/// password.
#[derive(Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct DaemonConfig {
    /// Where the API listens (sophon-messager's port).
    pub listen: SocketAddr,
    /// The node: Lotus API info (`TOKEN:MULTIADDR`) or a URL. Messages are
    /// pushed to it and to the nodes saved with `SaveNode`.
    pub node: String,
    /// venus-auth (API info or URL, with an admin token): its tokens are
    /// accepted, and a user's token uses only the addresses bound to the
    /// user. Empty: only this repo's tokens, each for every address.
    pub auth_url: String,
    /// `sqlite://FILE?mode=rwc` or `mysql://user@host/db` (instances of one
    /// pool share one MySQL and split the addresses by lease). Empty:
    /// `messager.db` in the repo.
    pub db: String,
    /// This instance's name on the address leases (empty: made at the
    /// first start and kept in the repo's `instance` file). Unique per
    /// live process.
    pub instance: String,
    /// The wallets that sign (API infos with `sign` and `write`): each
    /// address is signed by the wallet that lists it.
    pub wallets: Vec<String>,
    /// How many messages of one address may wait filled but not on chain.
    pub sel_msg_num: u64,
    /// A message not on chain this many epochs after it was signed is
    /// replaced with a higher premium (0: never).
    pub replace_after_epochs: i64,
    /// Seconds an address lease lasts unless renewed: another instance
    /// takes the address over this long after its holder dies.
    pub lease_ttl_secs: u64,
    /// Each push to one node is given up after this (ms).
    pub push_timeout_ms: u64,
    /// The global gas over-estimation (under the stored shared rules).
    pub gas_over_estimation: f64,
    /// The global most a message may cost, attoFIL (0: no cap).
    pub max_fee: String,
    /// The longest one `WaitMessage` waits (s).
    pub max_wait_secs: u64,
}

impl Default for DaemonConfig {
    fn default() -> Self {
        let lib = MessagerConfig::default();
        DaemonConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 39812)),
            node: String::new(),
            auth_url: String::new(),
            db: String::new(),
            instance: String::new(),
            wallets: Vec::new(),
            sel_msg_num: lib.sel_msg_num,
            replace_after_epochs: lib.replace_after_epochs,
            lease_ttl_secs: lib.lease_ttl.as_secs(),
            push_timeout_ms: lib.push_timeout.as_millis() as u64,
            gas_over_estimation: lib.fee.gas_over_estimation.unwrap_or(1.25),
            max_fee: lib
                .fee
                .max_fee
                .map_or_else(|| "0".into(), |a| a.atto().to_string()),
            max_wait_secs: 600,
        }
    }
}

impl std::fmt::Debug for DaemonConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let wallets: Vec<String> = self.wallets.iter().map(|w| redact_api_info(w)).collect();
        f.debug_struct("DaemonConfig")
            .field("listen", &self.listen)
            .field("node", &redact_api_info(&self.node))
            .field("auth_url", &redact_api_info(&self.auth_url))
            .field("db", &venus_sql::redact_url(&self.db))
            .field("instance", &self.instance)
            .field("wallets", &wallets)
            .field("sel_msg_num", &self.sel_msg_num)
            .field("replace_after_epochs", &self.replace_after_epochs)
            .field("lease_ttl_secs", &self.lease_ttl_secs)
            .field("push_timeout_ms", &self.push_timeout_ms)
            .field("gas_over_estimation", &self.gas_over_estimation)
            .field("max_fee", &self.max_fee)
            .field("max_wait_secs", &self.max_wait_secs)
            .finish()
    }
}

#[derive(Parser)]
#[command(
    name = "venus-messager",
    version,
    about = "The pool's message manager: nonces, gas, signatures, push, tracking, replace"
)]
pub struct Cli {
    /// Repo directory (default $VENUS_MESSAGER_PATH or ~/.venus-messager):
    /// config.toml, the token secret, the instance name, the `api` and
    /// `token` files, and the SQLite database unless `db` is set.
    #[arg(long, global = true)]
    pub repo: Option<PathBuf>,
    /// A running daemon's API info (default: the repo's `api` and `token`).
    #[arg(long, global = true, env = "MESSAGER_API_INFO", hide_env_values = true)]
    pub api: Option<String>,
    #[command(subcommand)]
    pub cmd: Cmd,
}

#[derive(Subcommand)]
pub enum Cmd {
    /// Run the messager and serve its API (and Prometheus metrics on
    /// `/metrics`) until Ctrl-C or SIGTERM.
    Run {
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
        /// A wallet's API info (repeat for several; replaces config.toml's).
        #[arg(long)]
        wallet: Vec<String>,
    },
    /// Print the config in effect (defaults, config.toml, environment).
    Config,
    /// Print a token for this messager's API (signed with the repo's secret).
    Token {
        #[arg(long, default_value = "admin")]
        perm: Permission,
    },
    /// Push a transfer of VALUE attoFIL; prints the message's id.
    Send {
        from: String,
        to: String,
        value: String,
        /// The id to push under (default: a new one).
        #[arg(long)]
        id: Option<String>,
    },
    /// A message by id.
    Get { id: String },
    /// Wait until a message is on chain with CONFIDENCE tipsets on top.
    Wait {
        id: String,
        #[arg(long, default_value_t = 0)]
        confidence: u64,
    },
    /// Messages, latest change first.
    List {
        /// unfilled, filled, onchain, failed, nonceconflict (repeat).
        #[arg(long)]
        state: Vec<MessageState>,
        #[arg(long)]
        from: Vec<String>,
        #[arg(long, default_value_t = 20)]
        limit: u64,
        #[arg(long, default_value_t = 0)]
        offset: u64,
    },
    /// Unfilled messages whose estimate failed.
    Failed,
    /// Messages not on chain SECS after they were pushed.
    Blocked {
        #[arg(long)]
        from: Option<String>,
        #[arg(long, default_value_t = 0)]
        secs: u64,
    },
    /// Replace a filled message (re-estimated, premium at least the
    /// replace-by-fee minimum), or with the given premium and fee cap.
    Replace {
        id: String,
        #[arg(long)]
        premium: Option<String>,
        #[arg(long)]
        fee_cap: Option<String>,
        #[arg(long)]
        max_fee: Option<String>,
    },
    /// Mark a message failed.
    MarkBad { id: String },
    /// Failed messages of an address still ahead of the chain go back to filled.
    Recover { addr: String },
    /// The addresses sent from.
    Addresses,
    /// Switch an address off (its messages are held).
    Forbid { addr: String },
    /// Switch an address on.
    Activate { addr: String },
    /// How many messages of an address may wait filled (0: the shared setting).
    SelNum { addr: String, num: u64 },
    /// Raise an address's next nonce (never lowers it).
    UpdateNonce { addr: String, nonce: u64 },
    /// The shared settings.
    Shared,
    /// The nodes pushed to besides the configured one.
    Nodes,
    /// Save a node to push to (multiaddr or URL, and its token).
    SaveNode {
        name: String,
        url: String,
        #[arg(long, default_value = "")]
        token: String,
    },
    /// Stop pushing to a saved node.
    DeleteNode { name: String },
}

fn daemon(e: DaemonError) -> MessagerError {
    MessagerError::Invalid(e.to_string())
}

fn address(s: &str) -> Result<Address> {
    venus_core::address::parse(s)
        .map_err(|e| MessagerError::Invalid(format!("{s:?} is not an address: {e}")))
}

fn atto(s: &str) -> Result<TokenAmount> {
    <TokenAmount as venus_core::json::LotusJson>::from_lotus_json(s.to_string())
        .map_err(|e| MessagerError::Invalid(format!("{s:?} is not an attoFIL amount: {e}")))
}

fn secret(repo: &Repo) -> Result<Vec<u8>> {
    let path = repo.path("token-secret");
    venus_rpc::load_or_create_secret(&path)
        .map_err(|e| MessagerError::Invalid(format!("reading {}: {e}", path.display())))
}

/// The messager's loop (and the metrics' refresh) as a [`Service`].
struct LoopService {
    messager: Messager,
    metrics: Arc<MessagerMetrics>,
    wallets: Arc<WalletSigners>,
}

#[async_trait::async_trait]
impl Service for LoopService {
    fn name(&self) -> &str {
        "messager"
    }

    async fn start(
        self: Box<Self>,
        cancel: CancellationToken,
    ) -> venus_daemon::Result<ServiceHandle> {
        let stop = cancel.clone();
        let metrics = self.metrics.clone();
        let wallets = self.wallets.clone();
        let refresh = cancel.clone();
        // Metrics every 5 s; the wallets' keys every minute (a key
        // imported later, or a wallet down at start).
        tokio::spawn(async move {
            let mut ticks = 0u64;
            loop {
                if let Err(e) = metrics.refresh().await {
                    tracing::debug!(target: "venus::messager", error = %e, "metrics refresh failed");
                }
                if ticks % 12 == 11 {
                    wallets.refresh().await;
                }
                ticks += 1;
                tokio::select! {
                    _ = refresh.cancelled() => break,
                    _ = tokio::time::sleep(Duration::from_secs(5)) => {}
                }
            }
        });
        let messager = self.messager.clone();
        let task = tokio::spawn(async move { messager.run(stop.cancelled()).await });
        let done = async move {
            let failed = |reason: String| DaemonError::Service {
                name: "messager".into(),
                reason,
            };
            match task.await {
                Ok(Ok(())) => Ok(()),
                Ok(Err(e)) => Err(failed(format!("stopped: {e}"))),
                Err(e) => Err(failed(format!("the loop failed: {e}"))),
            }
        };
        Ok(ServiceHandle::new("messager", cancel, done))
    }
}

/// Refuses a wallet that says its token cannot list its keys and sign
/// (`WalletList`, `WalletSign`): nothing of its addresses could be sent.
/// All asked at once, so wallets that do not answer hold the start
/// [`PERMISSIONS_TIMEOUT`] at most.
///
/// [`PERMISSIONS_TIMEOUT`]: venus_api::common::PERMISSIONS_TIMEOUT
async fn check_wallet_tokens(infos: &[String], wallets: &[(String, WalletClient)]) -> Result<()> {
    use venus_rpc::RpcMethod;
    let needed = [
        venus_api::wallet::WalletList::PERMISSION,
        venus_api::wallet::WalletSign::PERMISSION,
    ];
    let checked = infos
        .iter()
        .zip(wallets)
        .map(|(info, (_, wallet))| async move {
            venus_api::common::check_token(wallet.rpc(), &needed)
                .await
                .map_err(|e| {
                    MessagerError::Wallet(format!(
                        "{}: the wallet's {e}, which the messager's WalletList and WalletSign \
                     need: give one made with `venus-wallet api-info --perm sign --name <caller>`",
                        venus_rpc::redact_api_info(info)
                    ))
                })
        });
    futures::future::join_all(checked)
        .await
        .into_iter()
        .collect()
}

/// The daemon: the messager and its API, from `config`.
async fn serve(repo: Repo, config: DaemonConfig) -> Result<()> {
    if config.node.is_empty() {
        return Err(MessagerError::Invalid(
            "no node: set `node` (a Lotus API info) in config.toml, VENUS_MESSAGER_NODE or --node"
                .into(),
        ));
    }
    let db_url = if config.db.is_empty() {
        venus_sql::sqlite_url(&repo.path("messager.db"))?
    } else {
        config.db.clone()
    };
    let db = venus_sql::connect(&db_url, &crate::MIGRATIONS).await?;
    let instance = repo
        .instance_name("venus-messager", &config.instance)
        .map_err(daemon)?;
    let lotus = LotusClient::connect(&config.node).await.map_err(|e| {
        MessagerError::Node(format!(
            "connecting to {}: {e}",
            venus_rpc::redact_api_info(&config.node)
        ))
    })?;
    lotus
        .require(Permission::Write, "the messager's MpoolPush")
        .await
        .map_err(MessagerError::Node)?;
    let lotus = Arc::new(lotus);
    let lotus_for_keys = lotus.clone();
    let estimator = Arc::new(crate::gas::BatchEstimator::new(lotus.clone()));
    let chain: Arc<dyn ChainApi> = lotus;
    let mut wallets = Vec::new();
    for w in &config.wallets {
        let rpc = RpcClient::connect(w).await.map_err(|e| {
            MessagerError::Wallet(format!("{}: {e}", venus_rpc::redact_api_info(w)))
        })?;
        wallets.push((
            w.split(':').next_back().unwrap_or(w).to_string(),
            WalletClient::new(rpc),
        ));
    }
    check_wallet_tokens(&config.wallets, &wallets).await?;
    if wallets.is_empty() {
        tracing::warn!(target: "venus::messager", "no wallets configured (`wallets` in config.toml, --wallet): nothing can be signed");
    }
    let wallets = Arc::new(WalletSigners::new(wallets));
    let keys = wallets.refresh().await;
    let mut fee = MessagerConfig::default().fee;
    fee.gas_over_estimation = Some(config.gas_over_estimation).filter(|r| *r > 0.0);
    fee.max_fee = Some(atto(&config.max_fee)?).filter(|a| !a.is_zero());
    let messager = Messager::builder(MessagerConfig {
        instance: instance.clone(),
        lease_ttl: Duration::from_secs(config.lease_ttl_secs.max(3)),
        sel_msg_num: config.sel_msg_num.max(1),
        fee,
        replace_after_epochs: config.replace_after_epochs,
        push_timeout: Duration::from_millis(config.push_timeout_ms.max(100)),
        ..Default::default()
    })
    .store(Arc::new(SqlMessageStore::new(db)))
    .chain(chain.clone())
    .estimator(estimator)
    .signers(wallets.clone() as Arc<dyn Signers>)
    .build()?;
    let local = Hs256Verifier::new(&secret(&repo)?);
    let admin = local
        .sign(Permission::Admin.and_below(), None, None)
        .map_err(|e| MessagerError::Invalid(e.to_string()))?;
    // `AuthNew` only where the tokens are the messager's own: one made with
    // its secret beside venus-auth would outlive venus-auth's revocations.
    let mints = config.auth_url.is_empty().then(|| local.clone());
    let (access, verifier): (Arc<dyn Access>, Arc<dyn TokenVerifier>) =
        if config.auth_url.is_empty() {
            (Arc::new(OpenAccess), Arc::new(local))
        } else {
            let connect = || async {
                RpcClient::connect(&config.auth_url)
                    .await
                    .map_err(|e| MessagerError::Invalid(format!("venus-auth: {e}")))
            };
            (
                Arc::new(AuthAccess::new(
                    AuthClient::new(connect().await?),
                    Duration::from_secs(10),
                )),
                Arc::new(venus_rpc::LocalThen::new(
                    local,
                    RemoteVerifier::new(connect().await?, Default::default()),
                )),
            )
        };
    let service = Arc::new(
        MessagerService::new(messager.clone(), access)
            .with_wallets(wallets.clone())
            .with_resolver(lotus_for_keys)
            .with_max_wait(Duration::from_secs(config.max_wait_secs.max(1))),
    );
    service.reload_nodes().await?;
    let metrics = Arc::new(MessagerMetrics::new(messager.clone()));
    let render = metrics.clone();
    let mut module = messager_module(service);
    module
        .merge(venus_api::lotus::auth_module(verifier.clone(), mints))
        .map_err(|e| MessagerError::Invalid(e.to_string()))?;
    let server = RpcServer::builder(module)
        .verifier(verifier)
        .config(ServerConfig::daemon())
        .metrics(Arc::new(move || render.render()))
        .build();
    tracing::info!(target: "venus::messager", %instance, keys, "starting");
    let rpc = venus_daemon::RpcService::new(
        "messager-api",
        server,
        config.listen,
        repo,
        admin,
        "MESSAGER_API_INFO",
    );
    venus_daemon::run_services(vec![
        Box::new(rpc),
        Box::new(LoopService {
            messager,
            metrics,
            wallets,
        }),
    ])
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
        .map_err(|e| MessagerError::Invalid(format!("the messager's API: {e}")))
}

fn rpc_error(e: venus_rpc::Error) -> MessagerError {
    MessagerError::Node(format!("the messager's API: {}", venus_api::Error::from(e)))
}

fn to_json<T: Serialize>(v: T) -> Result<Value> {
    serde_json::to_value(v).map_err(|e| MessagerError::Corrupt(e.to_string()))
}

/// Runs a command; `run` serves until Ctrl-C or SIGTERM. Returns what to print.
pub async fn run(cli: Cli) -> Result<Value> {
    let repo = Repo::open("messager", cli.repo).map_err(daemon)?;
    let load = |flags| venus_daemon::config::load::<DaemonConfig>(&repo, flags).map_err(daemon);
    match cli.cmd {
        Cmd::Run {
            listen,
            node,
            auth_url,
            db,
            wallet,
        } => {
            let wallets = (!wallet.is_empty()).then_some(wallet);
            let config = load(
                venus_daemon::Flags::new()
                    .set("listen", listen)
                    .set("node", node)
                    .set("auth_url", auth_url)
                    .set("db", db)
                    .set("wallets", wallets),
            )?;
            serve(repo, config).await?;
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
                .map_err(|e| MessagerError::Invalid(e.to_string()))?;
            Ok(json!(token))
        }
        cmd => {
            let c = client(&repo, cli.api).await?;
            command(&c, cmd).await
        }
    }
}

/// A client command against a running daemon.
async fn command(c: &RpcClient, cmd: Cmd) -> Result<Value> {
    let a = |s: &str| address(s).map(Lotus);
    match cmd {
        Cmd::Send {
            from,
            to,
            value,
            id,
        } => {
            let msg = venus_core::Message {
                version: 0,
                from: address(&from)?,
                to: address(&to)?,
                sequence: 0,
                value: atto(&value)?,
                method_num: 0,
                params: Default::default(),
                gas_limit: 0,
                gas_fee_cap: TokenAmount::default(),
                gas_premium: TokenAmount::default(),
            };
            let id = id.unwrap_or_else(crate::new_id);
            to_json(
                c.call::<PushMessageWithId>((id, Lotus(msg), None))
                    .await
                    .map_err(rpc_error)?,
            )
        }
        Cmd::Get { id } => to_json(c.call::<GetMessageByUid>((id,)).await.map_err(rpc_error)?),
        Cmd::Wait { id, confidence } => to_json(
            c.call::<WaitMessage>((id, confidence))
                .await
                .map_err(rpc_error)?,
        ),
        Cmd::List {
            state,
            from,
            limit,
            offset,
        } => {
            let from = from.iter().map(|s| a(s)).collect::<Result<Vec<_>>>()?;
            let q = MsgQueryParams {
                state: Some(state),
                from: Some(from),
                limit,
                offset,
                ..Default::default()
            };
            to_json(c.call::<ListMessage>((q,)).await.map_err(rpc_error)?)
        }
        Cmd::Failed => to_json(c.call::<ListFailedMessage>([]).await.map_err(rpc_error)?),
        Cmd::Blocked { from, secs } => {
            let nanos = i64::try_from(secs.saturating_mul(1_000_000_000)).unwrap_or(i64::MAX);
            to_json(
                c.call::<ListBlockedMessage>((from.unwrap_or_default(), nanos))
                    .await
                    .map_err(rpc_error)?,
            )
        }
        Cmd::Replace {
            id,
            premium,
            fee_cap,
            max_fee,
        } => {
            let auto = premium.is_none() && fee_cap.is_none();
            let p = ReplaceMessageParams {
                id,
                auto,
                max_fee: max_fee.as_deref().map(atto).transpose()?,
                gas_premium: premium.as_deref().map(atto).transpose()?,
                gas_feecap: fee_cap.as_deref().map(atto).transpose()?,
                ..Default::default()
            };
            to_json(c.call::<ReplaceMessage>((p,)).await.map_err(rpc_error)?)
        }
        Cmd::MarkBad { id } => to_json(c.call::<MarkBadMessage>((id,)).await.map_err(rpc_error)?),
        Cmd::Recover { addr } => to_json(
            c.call::<RecoverFailedMsg>((a(&addr)?,))
                .await
                .map_err(rpc_error)?,
        ),
        Cmd::Addresses => to_json(c.call::<ListAddress>([]).await.map_err(rpc_error)?),
        Cmd::Forbid { addr } => to_json(
            c.call::<ForbiddenAddress>((a(&addr)?,))
                .await
                .map_err(rpc_error)?,
        ),
        Cmd::Activate { addr } => to_json(
            c.call::<ActiveAddress>((a(&addr)?,))
                .await
                .map_err(rpc_error)?,
        ),
        Cmd::SelNum { addr, num } => to_json(
            c.call::<SetSelectMsgNum>((a(&addr)?, num))
                .await
                .map_err(rpc_error)?,
        ),
        Cmd::UpdateNonce { addr, nonce } => to_json(
            c.call::<UpdateNonce>((a(&addr)?, nonce))
                .await
                .map_err(rpc_error)?,
        ),
        Cmd::Shared => to_json(c.call::<GetSharedParams>([]).await.map_err(rpc_error)?),
        Cmd::Nodes => to_json(c.call::<ListNode>([]).await.map_err(rpc_error)?),
        Cmd::SaveNode { name, url, token } => to_json(
            c.call::<SaveNode>((Node {
                name,
                url,
                token,
                node_type: 1,
                ..Default::default()
            },))
                .await
                .map_err(rpc_error)?,
        ),
        Cmd::DeleteNode { name } => {
            to_json(c.call::<DeleteNode>((name,)).await.map_err(rpc_error)?)
        }
        Cmd::Run { .. } | Cmd::Config | Cmd::Token { .. } => Ok(Value::Null),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A wallet whose token it says cannot sign stops the start, named
    /// without the token; the node's admin token passes.
    #[tokio::test]
    async fn a_wallet_token_that_cannot_sign_is_refused_at_start() {
        let tokens = Hs256Verifier::new(b"the daemons' secret");
        // One server answering `AuthVerify` only, as the node and the
        // wallets: the start asks nothing else of them before the check.
        let daemon = RpcServer::builder(venus_api::lotus::auth_module(
            Arc::new(tokens.clone()),
            None,
        ))
        .verifier(Arc::new(tokens.clone()))
        .build()
        .start("127.0.0.1:0".parse().expect("addr"))
        .await
        .expect("server");
        let info = |perm: Permission| {
            let token = tokens.sign(perm.and_below(), None, None).expect("token");
            let info = venus_rpc::Endpoint::new(daemon.http_url(), Some(token.clone()))
                .to_api_info()
                .expect("api info");
            (token, info)
        };
        let (write, write_info) = info(Permission::Write);
        let dir = tempfile::tempdir().expect("tempdir");
        let config = DaemonConfig {
            node: info(Permission::Admin).1,
            wallets: vec![info(Permission::Sign).1, write_info],
            ..DaemonConfig::default()
        };
        let repo = Repo::open("messager", Some(dir.path().into())).expect("repo");
        let refused = serve(repo, config)
            .await
            .expect_err("a wallet token without sign");
        let shown = refused.to_string();
        assert!(
            shown.contains("the wallet's token grants [read, write] but not sign"),
            "{shown}"
        );
        assert!(!shown.contains(&write), "{shown}");
        daemon.stop().await;
    }

    #[test]
    fn config_debug_shows_no_token_or_password() {
        let config = DaemonConfig {
            node: "n0detoken:/ip4/127.0.0.1/tcp/1234/http".into(),
            auth_url: "authtoken:/ip4/127.0.0.1/tcp/8989/http".into(),
            db: "mysql://root:dbpassw0rd@127.0.0.1:3306/messager".into(),
            wallets: vec!["wallett0ken:/ip4/10.0.0.2/tcp/5678/http".into()],
            ..DaemonConfig::default()
        };
        let shown = format!("{config:?}");
        for secret in ["n0detoken", "authtoken", "dbpassw0rd", "wallett0ken"] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
        for kept in ["/ip4/10.0.0.2/tcp/5678/http", "root:***@127.0.0.1"] {
            assert!(shown.contains(kept), "{kept} not in {shown}");
        }
        let entry = crate::store::NodeEntry {
            name: "n".into(),
            url: "/ip4/1.2.3.4/tcp/1234/http".into(),
            token: "entryt0ken".into(),
        };
        let shown = format!("{entry:?}");
        assert!(
            !shown.contains("entryt0ken") && shown.contains("<token>"),
            "{shown}"
        );
    }
}
