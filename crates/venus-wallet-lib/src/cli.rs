//! The `venus-wallet` command line (feature `cli`), kept here so the binary stays thin.
//!
//! Passwords come from `VENUS_WALLET_PASSWORD` (and `VENUS_WALLET_OLD_PASSWORD`
//! when changing it), never from arguments.
#![allow(missing_docs)] // clap doc comments document the commands.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use clap::{Parser, Subcommand};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use venus_rpc::Permission;

use crate::service::{api_info, serve, WalletRepo};
use crate::{KdfParams, LocalWallet, Policy, PolicyGroup, RecordQuery, Result, WalletError};

/// The daemon's config (`config.toml` in the repo; `VENUS_WALLET_<FIELD>`
/// overrides it, a flag overrides both).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct WalletConfig {
    /// Where the API listens.
    pub listen: SocketAddr,
}

impl Default for WalletConfig {
    fn default() -> Self {
        WalletConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 5678)),
        }
    }
}

#[derive(Parser)]
#[command(
    name = "venus-wallet",
    version,
    about = "Keys stay here; every signature is checked against what it signs"
)]
pub struct Cli {
    /// Repo directory (default $VENUS_WALLET_PATH or ~/.venus-wallet): the
    /// database, the token secret, config.toml and the `api` file.
    #[arg(long, global = true)]
    pub repo: Option<PathBuf>,
    #[command(subcommand)]
    pub cmd: Cmd,
}

#[derive(Subcommand)]
pub enum Cmd {
    /// Serve the API until Ctrl-C or SIGTERM; unlocks at start when
    /// VENUS_WALLET_PASSWORD is set. Writes the API info to the repo's `api` file.
    Run {
        /// Listen address (default: config.toml's `listen`, then
        /// VENUS_WALLET_LISTEN, then 127.0.0.1:5678).
        #[arg(long)]
        listen: Option<SocketAddr>,
    },
    /// Set or change the password.
    SetPassword,
    /// Create a key: bls or secp256k1.
    New { key_type: String },
    /// List addresses.
    List,
    /// Add or replace a policy (JSON: {"name", "addresses", "msg_types", "methods"}).
    PolicyPut { json: String },
    /// Add or replace a group of policies.
    GroupPut { name: String, policies: Vec<String> },
    /// Bind a caller (token name) to a group.
    Bind { caller: String, group: String },
    /// Show sign records (newest first).
    Records {
        #[arg(long)]
        address: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
    /// Print an API-info string for Lotus's RemoteBackend or our miner.
    ApiInfo {
        #[arg(long, default_value = "sign")]
        perm: Permission,
        #[arg(long)]
        name: Option<String>,
        #[arg(long, default_value = "127.0.0.1:5678")]
        listen: SocketAddr,
    },
}

fn password(var: &str) -> Result<String> {
    std::env::var(var).map_err(|_| WalletError::Invalid(format!("set {var}")))
}

fn daemon(e: venus_daemon::DaemonError) -> WalletError {
    WalletError::Serve(e.to_string())
}

/// The wallet's API as a [`venus_daemon::Service`].
pub struct WalletService {
    wallet: Arc<LocalWallet>,
    repo: WalletRepo,
    dir: venus_daemon::Repo,
    listen: SocketAddr,
}

#[async_trait::async_trait]
impl venus_daemon::Service for WalletService {
    fn name(&self) -> &str {
        "wallet"
    }

    async fn start(
        self: Box<Self>,
        cancel: venus_daemon::CancellationToken,
    ) -> venus_daemon::Result<venus_daemon::ServiceHandle> {
        let failed = |e: WalletError| venus_daemon::DaemonError::Service {
            name: "wallet".into(),
            reason: e.to_string(),
        };
        let secret = self.repo.secret().map_err(failed)?;
        let server = serve(self.wallet.clone(), &secret, self.listen)
            .await
            .map_err(failed)?;
        let addr = server.local_addr();
        let token = self.repo.token(Permission::Sign, None).map_err(failed)?;
        let info = api_info(&token, addr).map_err(failed)?;
        self.dir.write_private("api", info.as_bytes())?;
        // One daemon of several in a process: the repo's `api` says it.
        if !venus_daemon::in_scope() {
            println!("{info}");
        }
        let stopped = cancel.clone();
        let done = async move {
            stopped.cancelled().await;
            server.stop().await;
            Ok(())
        };
        Ok(venus_daemon::ServiceHandle::new("wallet", cancel, done).with_addr(addr))
    }
}

/// Runs a command; `run` serves until Ctrl-C or SIGTERM. Returns what to print.
pub async fn run(cli: Cli) -> Result<Value> {
    let dir = venus_daemon::Repo::open("wallet", cli.repo).map_err(daemon)?;
    let repo = WalletRepo::open(dir.dir())?;
    let wallet = repo.wallet(KdfParams::PRODUCTION).await?;
    let unlock = || async { wallet.unlock(&password("VENUS_WALLET_PASSWORD")?).await };
    let out = match cli.cmd {
        Cmd::Run { listen } => {
            let config: WalletConfig =
                venus_daemon::config::load(&dir, venus_daemon::Flags::new().set("listen", listen))
                    .map_err(daemon)?;
            if std::env::var("VENUS_WALLET_PASSWORD").is_ok() {
                let report = unlock().await?;
                tracing::info!(
                    target: "venus::wallet",
                    keys = report.keys,
                    corrupt = report.corrupt.len(),
                    "unlocked"
                );
            }
            let service = WalletService {
                wallet: wallet.clone(),
                repo: repo.clone(),
                dir,
                listen: config.listen,
            };
            venus_daemon::run_services(vec![Box::new(service)])
                .await
                .map_err(daemon)?;
            return Ok(Value::Null);
        }
        Cmd::SetPassword => {
            let old = std::env::var("VENUS_WALLET_OLD_PASSWORD").ok();
            wallet
                .set_password(old.as_deref(), &password("VENUS_WALLET_PASSWORD")?)
                .await?;
            json!("password set")
        }
        Cmd::New { key_type } => {
            unlock().await?;
            let t = crate::wallet::parse_key_type(&key_type).map_err(WalletError::Invalid)?;
            json!(wallet.new_key(t).await?.to_string())
        }
        Cmd::List => json!(wallet
            .addresses()
            .await?
            .iter()
            .map(|a| a.to_string())
            .collect::<Vec<_>>()),
        Cmd::PolicyPut { json } => {
            let policy = serde_json::from_str::<Policy>(&json)
                .map_err(|e| WalletError::Invalid(format!("policy JSON: {e}")))?;
            for w in policy.warnings() {
                eprintln!("warning: {w}");
            }
            wallet.db().put_policy(&policy).await?;
            json!("ok")
        }
        Cmd::GroupPut { name, policies } => {
            wallet
                .db()
                .put_group(&PolicyGroup { name, policies })
                .await?;
            json!("ok")
        }
        Cmd::Bind { caller, group } => {
            wallet.db().bind(&caller, &group).await?;
            json!("ok")
        }
        Cmd::Records { address, limit } => serde_json::to_value(
            wallet
                .db()
                .records(&RecordQuery {
                    address,
                    limit: Some(limit),
                    ..Default::default()
                })
                .await?,
        )
        .map_err(|e| WalletError::Invalid(e.to_string()))?,
        Cmd::ApiInfo { perm, name, listen } => {
            json!(api_info(&repo.token(perm, name)?, listen)?)
        }
    };
    Ok(out)
}
