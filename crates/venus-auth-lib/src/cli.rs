//! The `venus-auth` command line (feature `cli`). Management commands talk to
//! the database directly, so they work with the daemon running or not.
#![allow(missing_docs)] // clap doc comments document the commands.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use clap::{Parser, Subcommand};
use serde_json::{json, Value};
use venus_daemon::{Repo, RpcService};
use venus_rpc::{Hs256Verifier, LocalRateLimiter, Permission, RateLimiter, ServerConfig};

use crate::rpc::auth_server;
use crate::{AuthService, AuthServiceError, CacheConfig, Miner, Result, SqlStore, UserRateLimit};

#[derive(Parser)]
#[command(
    name = "venus-auth",
    version,
    about = "Tokens, users, miners, signers and rate limits for a pool"
)]
pub struct Cli {
    /// The repo directory (default $VENUS_AUTH_PATH, then ~/.venus-auth): the
    /// database and token secret by default, and the `api` and `token`
    /// files `run` leaves for clients.
    #[arg(long, global = true)]
    pub repo: Option<PathBuf>,
    /// Database URL: sqlite://FILE?mode=rwc (default auth.db in the repo) or mysql://user@host/db.
    #[arg(long, global = true, env = "VENUS_AUTH_DB", hide_env_values = true)]
    pub db: Option<String>,
    /// File holding the hex token secret (created on first use; default token-secret in the repo).
    #[arg(long, global = true, env = "VENUS_AUTH_SECRET_FILE")]
    pub secret_file: Option<PathBuf>,
    #[command(subcommand)]
    pub cmd: Cmd,
}

#[derive(Subcommand)]
pub enum Cmd {
    /// Serve the API.
    Run {
        #[arg(long, default_value = "127.0.0.1:8989")]
        listen: SocketAddr,
        /// Share rate-limit counts through this Redis (e.g. redis://127.0.0.1:6379).
        #[arg(long, env = "VENUS_AUTH_REDIS", hide_env_values = true)]
        redis: Option<String>,
        /// Let requests through when Redis is unreachable (default: refuse them).
        #[arg(long)]
        fail_open: bool,
    },
    /// Create a user.
    UserAdd {
        name: String,
        #[arg(long, default_value = "")]
        comment: String,
    },
    /// List users.
    UserList,
    /// Enable or disable a user.
    UserEnable {
        name: String,
        #[arg(long)]
        disable: bool,
    },
    /// Issue a token.
    TokenCreate {
        user: String,
        #[arg(long, default_value = "read")]
        perm: Permission,
    },
    /// Revoke a token (JWT or id).
    TokenRevoke { token: String },
    /// Bind a miner to a user.
    MinerPut {
        address: String,
        user: String,
        #[arg(long)]
        closed: bool,
    },
    /// Bind a signer address to a user.
    SignerBind { address: String, user: String },
    /// Set a user's rate limit (requests per window); --clear removes it.
    RateLimit {
        user: String,
        #[arg(long, default_value_t = 100)]
        requests: u64,
        #[arg(long, default_value_t = 1000)]
        window_ms: u64,
        #[arg(long)]
        clear: bool,
    },
}

fn secret(repo: &Repo, path: Option<PathBuf>) -> Result<Vec<u8>> {
    let path = path.unwrap_or_else(|| repo.path("token-secret"));
    venus_rpc::load_or_create_secret(&path).map_err(|e| match e.kind() {
        // Its message names the file and the fix.
        std::io::ErrorKind::InvalidData => AuthServiceError::Invalid(e.to_string()),
        _ => AuthServiceError::Invalid(format!("token secret {}: {e}", path.display())),
    })
}

/// Runs a command; `run` serves until Ctrl-C or SIGTERM. Returns what to print.
pub async fn run(cli: Cli) -> Result<Value> {
    let repo =
        Repo::open("auth", cli.repo).map_err(|e| AuthServiceError::Invalid(e.to_string()))?;
    let db = match cli.db {
        Some(d) => d,
        None => venus_sql::sqlite_url(&repo.path("auth.db"))?,
    };
    let store = Arc::new(SqlStore::connect(&db).await?);
    let secret = secret(&repo, cli.secret_file)?;
    let auth = Arc::new(AuthService::new(
        store.clone(),
        &secret,
        CacheConfig::default(),
    ));
    let ok = || Ok(json!("ok"));
    match cli.cmd {
        Cmd::Run {
            listen,
            redis,
            fail_open,
        } => {
            let limiter: Arc<dyn RateLimiter> = match redis {
                #[cfg(feature = "redis")]
                Some(url) => Arc::new(
                    crate::RedisRateLimiter::new(&url)
                        .map_err(|e| AuthServiceError::Invalid(e.to_string()))?
                        .fail_open(fail_open),
                ),
                #[cfg(not(feature = "redis"))]
                Some(_) => {
                    return Err(AuthServiceError::Invalid(
                        "built without the redis feature: rebuild with `--features redis`, or omit --redis".into(),
                    ))
                }
                None => {
                    let _ = fail_open;
                    Arc::new(LocalRateLimiter::new())
                }
            };
            // The repo's admin token, as Lotus's daemons make theirs: signed
            // with the secret, no user and no id (so not revocable: rotate
            // the secret to void it).
            let admin = Hs256Verifier::new(&secret)
                .sign(Permission::Admin.and_below(), None, None)
                .map_err(|e| AuthServiceError::Invalid(e.to_string()))?;
            let server = auth_server(auth, limiter, ServerConfig::daemon());
            // Serves until Ctrl-C or SIGTERM, leaving `api` and `token` in
            // the repo and printing AUTH_API_INFO once listening.
            venus_daemon::run_services(vec![Box::new(RpcService::new(
                "auth-api",
                server,
                listen,
                repo,
                admin,
                "AUTH_API_INFO",
            ))])
            .await
            .map_err(|e| AuthServiceError::Serve(e.to_string()))?;
            Ok(Value::Null)
        }
        Cmd::UserAdd { name, comment } => Ok(json!(auth.create_user(&name, &comment).await?)),
        Cmd::UserList => Ok(json!(auth.store().users().await?)),
        Cmd::UserEnable { name, disable } => {
            auth.set_enabled(&name, !disable).await.and_then(|_| ok())
        }
        Cmd::TokenCreate { user, perm } => Ok(json!(auth.create_token(&user, perm).await?)),
        Cmd::TokenRevoke { token } => auth.revoke(&token).await.and_then(|_| ok()),
        Cmd::MinerPut {
            address,
            user,
            closed,
        } => auth
            .store()
            .put_miner(&Miner {
                address,
                user,
                open_mining: !closed,
            })
            .await
            .and_then(|_| ok()),
        Cmd::SignerBind { address, user } => auth
            .store()
            .bind_signer(&address, &user)
            .await
            .and_then(|_| ok()),
        Cmd::RateLimit {
            user,
            requests,
            window_ms,
            clear,
        } => {
            let limit = (!clear).then_some(UserRateLimit {
                requests,
                window_ms,
            });
            auth.set_rate_limit(&user, limit).await.and_then(|_| ok())
        }
    }
}
