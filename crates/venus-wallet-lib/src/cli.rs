//! The `venus-wallet` command line (feature `cli`), kept here so the binary stays thin.
//!
//! Passwords come from `VENUS_WALLET_PASSWORD` (and `VENUS_WALLET_OLD_PASSWORD`
//! when changing it), never from arguments.
#![allow(missing_docs)] // clap doc comments document the commands.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand};
use serde_json::{json, Value};
use venus_rpc::Permission;

use crate::service::{api_info, serve, WalletRepo};
use crate::{KdfParams, Policy, PolicyGroup, RecordQuery, Result, WalletError};

#[derive(Parser)]
#[command(
    name = "venus-wallet",
    version,
    about = "Keys stay here; every signature is checked against what it signs"
)]
pub struct Cli {
    /// Repo directory (default $VENUS_WALLET_PATH or ~/.venus-wallet).
    #[arg(long, global = true)]
    pub repo: Option<PathBuf>,
    #[command(subcommand)]
    pub cmd: Cmd,
}

#[derive(Subcommand)]
pub enum Cmd {
    /// Serve the API; unlocks at start when VENUS_WALLET_PASSWORD is set.
    Run {
        #[arg(long, default_value = "127.0.0.1:5678")]
        listen: SocketAddr,
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

/// Runs a command; `run` serves until Ctrl-C. Returns what to print.
pub async fn run(cli: Cli) -> Result<Value> {
    let repo = WalletRepo::open(cli.repo.unwrap_or_else(WalletRepo::default_dir))?;
    let wallet = repo.wallet(KdfParams::PRODUCTION).await?;
    let unlock = || async { wallet.unlock(&password("VENUS_WALLET_PASSWORD")?).await };
    let out = match cli.cmd {
        Cmd::Run { listen } => {
            if std::env::var("VENUS_WALLET_PASSWORD").is_ok() {
                let report = unlock().await?;
                tracing::info!(
                    keys = report.keys,
                    corrupt = report.corrupt.len(),
                    "unlocked"
                );
            }
            let server = serve(wallet.clone(), &repo.secret()?, listen).await?;
            let token = repo.token(Permission::Sign, None)?;
            println!("{}", api_info(&token, server.local_addr())?);
            tokio::signal::ctrl_c()
                .await
                .map_err(|e| WalletError::Serve(format!("waiting for Ctrl-C: {e}")))?;
            server.stop().await;
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
