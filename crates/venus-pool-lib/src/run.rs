//! [`Devnet::run`]: the components started in the order they need each
//! other (auth, node, wallets, messager, sealers, miner; no node with an
//! outside one in [`DevnetBuilder::node`](crate::DevnetBuilder::node)),
//! each with its own config, then the chain watched until the epochs are
//! done or the run is stopped, and everything stopped in reverse order.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use venus_daemon::{CancellationToken, Repo};
use venus_messager_lib::cli::DaemonConfig as MessagerConfig;
use venus_miner_lib::cli::{DaemonConfig as MinerConfig, MemberConfig};
use venus_sealer_lib::Prover;

use std::sync::Arc;

use venus_core::Address;
use venus_rpc::{Hs256Verifier, Permission, RpcServer, ServerHandle};
use venus_wallet_lib::service::WalletRepo;

use crate::devnet::{
    wallet_password, write_private, write_private_whole, WinningProver, MESSAGER_CALLER,
    MINER_CALLER,
};
use crate::launch::{Component, Kind, Secret, Spec};
use crate::registry;
use crate::watch::{Status, Watcher, LAST_HEAD};
use crate::{Devnet, Display, Layout, PoolError, Result, Summary};

/// The environment variable the members' wallets unlock with.
pub const WALLET_PASSWORD_ENV: &str = "VENUS_WALLET_PASSWORD";

/// Where each component listens: a port the system picks as it binds, so
/// no other process can take it between a choice and the bind. The
/// component writes the port it got into its repo's `api`, where its
/// clients read it; a restarted process binds that port again (see
/// `launch::supervise`).
fn any_port() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

/// The API info `info` (`TOKEN:MULTIADDR`) with `token` in place of its
/// own: the same service, reached as another caller.
pub fn with_token(info: &str, token: &str) -> String {
    let maddr = info.split_once(':').map_or(info, |(_, a)| a);
    format!("{token}:{maddr}")
}

/// The API info `info` (`TOKEN:/ip4/…/tcp/…/http`) over WebSocket
/// (`…/ws`): the same server, with `ChainNotify`'s head changes.
fn over_ws(info: &str) -> Result<String> {
    info.parse::<venus_rpc::Endpoint>()
        .and_then(|e| e.to_ws().to_api_info())
        .map_err(|e| PoolError::Invalid(format!("the node's API info: {e}")))
}

fn s(p: &Path) -> String {
    p.display().to_string()
}

fn api_info(dir: &Path, name: &str) -> Result<String> {
    let repo = Repo::open(name, Some(dir.to_path_buf())).map_err(|e| PoolError::Component {
        name: name.into(),
        reason: e.to_string(),
    })?;
    venus_daemon::repo_api_info(&repo).map_err(|e| PoolError::Component {
        name: name.into(),
        reason: e.to_string(),
    })
}

fn read(path: &Path) -> Result<String> {
    std::fs::read_to_string(path)
        .map(|s| s.trim().to_string())
        .map_err(PoolError::io("reading", path))
}

/// A component's `config.toml`, readable by the owner only (it holds
/// other services' tokens), in its repo made as the daemon makes it (0700).
fn write_toml<T: serde::Serialize>(dir: &Path, name: &str, config: &T) -> Result<()> {
    Repo::open(name, Some(dir.to_path_buf())).map_err(|e| PoolError::Component {
        name: name.into(),
        reason: e.to_string(),
    })?;
    let text = toml::to_string_pretty(config).map_err(|e| PoolError::Invalid(e.to_string()))?;
    write_private(&dir.join("config.toml"), text.as_bytes())
}

/// `service`'s database URL: its own on the devnet's MySQL server (made
/// with the devnet), or empty for the daemon's SQLite file in its repo.
async fn database(layout: &Layout, service: &str) -> Result<String> {
    match &layout.pool.mysql {
        Some(m) => m.existing(service).await,
        None => Ok(String::new()),
    }
}

/// The components started so far, stopped in reverse order.
struct Started {
    list: Vec<Component>,
    logs: PathBuf,
    /// Servers of this process the components use (the winning-PoSt slot).
    servers: Vec<ServerHandle>,
}

impl Started {
    async fn start(&mut self, d: &Devnet, prover: &Prover, spec: Spec) -> Result<()> {
        let c = Component::start(
            spec,
            d.mode,
            prover,
            d.miner_slots(),
            d.post_child,
            &self.logs,
        )
        .await?;
        self.list.push(c);
        Ok(())
    }

    /// A shared daemon whose whole config is its repo's `config.toml`:
    /// `PROGRAM --repo DIR run`, on a port the system picks.
    async fn start_daemon(
        &mut self,
        d: &Devnet,
        prover: &Prover,
        kind: Kind,
        program: &str,
        dir: &Path,
    ) -> Result<()> {
        let spec = Spec {
            name: kind.as_str().into(),
            kind,
            args: vec![
                program.into(),
                "--repo".into(),
                s(dir),
                "run".into(),
                "--listen".into(),
                any_port().to_string(),
            ],
            ready: dir.join("api"),
            secrets: Vec::new(),
        };
        self.start(d, prover, spec).await
    }

    async fn stop_all(self) {
        for c in self.list.into_iter().rev() {
            let name = c.name.clone();
            if let Err(e) = c.stop().await {
                tracing::warn!(target: "venus::pool", component = %name, error = %e, "stopped with an error");
            }
        }
        for s in self.servers {
            s.stop().await;
        }
    }

    /// Serves the integrator's winning-PoSt prover for `miners` on
    /// loopback, behind a token of its own; its API info.
    async fn serve_prover(
        &mut self,
        prover: &WinningProver,
        miners: Vec<Address>,
    ) -> Result<String> {
        let failed = |e: &dyn std::fmt::Display| PoolError::Component {
            name: "winning-prover".into(),
            reason: e.to_string(),
        };
        let verifier = Arc::new(Hs256Verifier::new(&rand::random::<[u8; 32]>()));
        let token = verifier
            .sign(
                vec![Permission::Read, Permission::Write],
                Some(MINER_CALLER.into()),
                None,
            )
            .map_err(|e| failed(&e))?;
        let module = venus_sealer_lib::rpc::prover_module(prover.0.clone(), miners);
        let server = RpcServer::builder(module)
            .verifier(verifier)
            .build()
            .start(any_port())
            .await
            .map_err(|e| failed(&e))?;
        let info = format!(
            "{token}:/ip4/127.0.0.1/tcp/{}/http",
            server.local_addr().port()
        );
        self.servers.push(server);
        Ok(info)
    }
}

/// Starts the pool's own node (`venus daemon`) on the devnet's genesis,
/// verifying tokens with venus-auth at `auth`; its API info.
async fn start_node(
    d: &Devnet,
    layout: &Layout,
    prover: &Prover,
    auth: &str,
    started: &mut Started,
) -> Result<String> {
    let node_dir = layout.service("node");
    started
        .start(
            d,
            prover,
            Spec {
                name: "node".into(),
                kind: Kind::Node,
                args: vec![
                    "venus".into(),
                    "--repo".into(),
                    s(&node_dir),
                    "daemon".into(),
                    "--genesis".into(),
                    s(&layout.genesis()),
                    "--listen".into(),
                    any_port().to_string(),
                ],
                ready: node_dir.join("api"),
                secrets: vec![Secret {
                    flag: "--auth-url",
                    env: "VENUS_NODE_AUTH_URL",
                    value: auth.to_string(),
                }],
            },
        )
        .await?;
    api_info(&node_dir, "node")
}

impl Devnet {
    /// Starts the pool on `layout`, mines until `epochs` epochs have passed
    /// (or until `stop` is cancelled), then stops every component and
    /// returns what the chain holds of the run. The members' wallets
    /// unlock with `VENUS_WALLET_PASSWORD`, which must hold the repo's
    /// `wallet-password` (the `venus-pool` binary sets it before its
    /// runtime starts).
    pub async fn run(
        &self,
        layout: &Layout,
        prover: &Prover,
        epochs: Option<u64>,
        display: Display,
        stop: CancellationToken,
    ) -> Result<Summary> {
        let password = wallet_password(&layout.repo)?;
        if std::env::var(WALLET_PASSWORD_ENV).ok().as_deref() != Some(password.as_str()) {
            return Err(PoolError::Invalid(format!(
                "{WALLET_PASSWORD_ENV} must hold the members' wallet password ({}) before the runtime starts",
                layout.repo.join("wallet-password").display()
            )));
        }
        // The daemons read `VENUS_<NAME>_<FIELD>` over their config.toml:
        // a shell set up for a real deployment would point the devnet's
        // components at its node or databases.
        let inherited: Vec<String> = std::env::vars()
            .map(|(k, _)| k)
            .filter(|k| {
                [
                    "VENUS_AUTH_",
                    "VENUS_NODE_",
                    "VENUS_MESSAGER_",
                    "VENUS_MINER_",
                    "VENUS_WALLET_",
                    "VENUS_SEALER_",
                ]
                .iter()
                .any(|p| k.starts_with(p))
                    && k != WALLET_PASSWORD_ENV
                    && !k.ends_with("_PATH")
            })
            .collect();
        if !inherited.is_empty() {
            return Err(PoolError::Invalid(format!(
                "unset {} first: they would override the devnet's own component configs",
                inherited.join(", ")
            )));
        }
        let mut started = Started {
            list: Vec::new(),
            logs: layout.repo.join("logs"),
            servers: Vec::new(),
        };
        let result = self
            .assemble_and_watch(layout, prover, epochs, display, stop, &mut started)
            .await;
        let restarts = started
            .list
            .iter()
            .filter(|c| c.restarts() > 0)
            .map(|c| (c.name.clone(), c.restarts()))
            .collect();
        started.stop_all().await;
        if let Ok(summary) = &result {
            // What the next run's node must hold.
            let written = serde_json::to_vec(&summary.head)
                .map_err(|e| PoolError::Invalid(e.to_string()))
                .and_then(|json| write_private_whole(&layout.repo.join(LAST_HEAD), &json));
            if let Err(e) = written {
                tracing::warn!(target: "venus::pool", error = %e, "the last head not recorded");
            }
        }
        result.map(|mut summary| {
            summary.restarts = restarts;
            summary
        })
    }

    async fn assemble_and_watch(
        &self,
        layout: &Layout,
        prover: &Prover,
        epochs: Option<u64>,
        display: Display,
        stop: CancellationToken,
        started: &mut Started,
    ) -> Result<Summary> {
        let pool = &layout.pool;
        let mut env = Vec::new();
        // The last run's (its ports are gone): written again once all serve.
        let _ = std::fs::remove_file(layout.repo.join("api-info.env"));
        // An outside node must hold the members as this pool's genesis
        // made them: checked before anything starts.
        if let Some(outside) = &self.node {
            let watcher = Watcher::connect(&outside.0, &[])
                .await
                .map_err(|e| PoolError::Invalid(format!("--node: {e}")))?;
            watcher.check_members(&pool.members).await?;
            watcher.check_token().await?;
            watcher.check_last_head(&layout.repo).await?;
        }

        // venus-auth first: the (pool's own) node, messager and miner
        // verify the members' tokens with it, and the miner mines its open miners.
        let auth_dir = layout.service("auth");
        let auth_db = match &pool.mysql {
            Some(m) => m.database("auth").await?,
            None => venus_sql::sqlite_url(&auth_dir.join("auth.db"))
                .map_err(|e| PoolError::Invalid(e.to_string()))?,
        };
        let registered = registry::register(layout, &auth_dir, &auth_db).await?;
        let tokens = &registered.members;
        started
            .start(
                self,
                prover,
                Spec {
                    name: "auth".into(),
                    kind: Kind::Auth,
                    args: vec![
                        "venus-auth".into(),
                        "--repo".into(),
                        s(&auth_dir),
                        // The secret the members' tokens were signed with,
                        // whatever VENUS_AUTH_SECRET_FILE says.
                        "--secret-file".into(),
                        s(&registry::secret_file(&auth_dir)),
                        "run".into(),
                        "--listen".into(),
                        any_port().to_string(),
                    ],
                    ready: auth_dir.join("api"),
                    // A MySQL URL may hold a password.
                    secrets: vec![Secret {
                        flag: "--db",
                        env: "VENUS_AUTH_DB",
                        value: auth_db,
                    }],
                },
            )
            .await?;
        let admin = api_info(&auth_dir, "auth")?;
        env.push(("AUTH_API_INFO".to_string(), admin.clone()));
        // The shared services only read venus-auth.
        let auth = with_token(&admin, &registered.services);
        for (m, token) in pool.members.iter().zip(tokens) {
            env.push((format!("MEMBER_TOKEN_{}", m.miner), token.clone()));
        }

        let node = match &self.node {
            Some(outside) => outside.0.clone(),
            None => {
                let info = start_node(self, layout, prover, &auth, started).await?;
                Watcher::connect(&info, &[])
                    .await?
                    .check_last_head(&layout.repo)
                    .await?;
                info
            }
        };
        env.push(("FULLNODE_API_INFO".to_string(), node.clone()));

        let mut wallets = Vec::new();
        for m in &pool.members {
            let dir = layout.member(&m.miner).join("wallet");
            started
                .start(
                    self,
                    prover,
                    Spec {
                        name: format!("{}-wallet", m.miner),
                        kind: Kind::Wallet,
                        args: vec![
                            "venus-wallet".into(),
                            "--repo".into(),
                            s(&dir),
                            "run".into(),
                            "--listen".into(),
                            any_port().to_string(),
                        ],
                        ready: dir.join("api"),
                        secrets: Vec::new(),
                    },
                )
                .await?;
            let info = read(&dir.join("api"))?;
            env.push((format!("WALLET_API_INFO_{}", m.miner), info.clone()));
            // The miner and the messager each sign in under its own name,
            // bound to what it may have signed (see `Devnet::prepare`).
            let named = |caller: &str| -> Result<String> {
                let token = WalletRepo::open(&dir)
                    .and_then(|r| r.token(Permission::Sign, Some(caller.to_string())))
                    .map_err(|e| PoolError::Component {
                        name: format!("{}-wallet", m.miner),
                        reason: format!("a token for {caller}: {e}"),
                    })?;
                Ok(with_token(&info, &token))
            };
            wallets.push((named(MINER_CALLER)?, named(MESSAGER_CALLER)?));
        }

        let messager_dir = layout.service("messager");
        write_toml(
            &messager_dir,
            "messager",
            &MessagerConfig {
                listen: any_port(),
                // Over WebSocket: the messager follows head changes
                // (ChainNotify) instead of polling for them.
                node: over_ws(&node)?,
                wallets: wallets.iter().map(|(_, m)| m.clone()).collect(),
                auth_url: auth.clone(),
                db: database(layout, "messager").await?,
                ..Default::default()
            },
        )?;
        started
            .start_daemon(
                self,
                prover,
                Kind::Messager,
                "venus-messager",
                &messager_dir,
            )
            .await?;
        let messager = api_info(&messager_dir, "messager")?;
        env.push(("MESSAGER_API_INFO".to_string(), messager.clone()));

        let mut members = Vec::new();
        for ((m, wallet), token) in pool.members.iter().zip(&wallets).zip(tokens) {
            let dir = layout.member(&m.miner);
            let home = dir.join("sealer");
            // The member's sealer calls the shared services with the
            // member's own token, as in a real pool: the messager lets it
            // push from its own worker only. An outside node verifies its
            // own tokens: the sealer uses the one it was given.
            let as_member = |info: &str| with_token(info, token);
            let member_node = match &self.node {
                Some(_) => node.clone(),
                None => as_member(&node),
            };
            started
                .start(
                    self,
                    prover,
                    Spec {
                        name: format!("{}-sealer", m.miner),
                        kind: Kind::Sealer,
                        args: vec![
                            "venus-sealer".into(),
                            "run".into(),
                            "--home".into(),
                            s(&home),
                            "--sectors".into(),
                            s(&dir.join("sectors")),
                            "--miner".into(),
                            m.miner.clone(),
                            "--listen".into(),
                            any_port().to_string(),
                            "--seed-confidence".into(),
                            "2".into(),
                        ],
                        ready: home.join("api"),
                        secrets: vec![
                            Secret {
                                flag: "--node",
                                env: "VENUS_SEALER_NODE",
                                value: member_node,
                            },
                            Secret {
                                flag: "--messager",
                                env: "VENUS_SEALER_MESSAGER",
                                value: as_member(&messager),
                            },
                        ],
                    },
                )
                .await?;
            let sealer = api_info(&home, "sealer")?;
            env.push((format!("SEALER_API_INFO_{}", m.miner), sealer.clone()));
            members.push(MemberConfig {
                miner: m.miner.clone(),
                wallet: wallet.0.clone(),
                sealer,
            });
        }

        if let Some(p) = &self.winning_prover {
            let miners = pool
                .members
                .iter()
                .map(|m| m.miner.parse::<Address>())
                .collect::<std::result::Result<Vec<_>, _>>()
                .map_err(|e| PoolError::Invalid(format!("pool.json: a member's address: {e}")))?;
            let info = started.serve_prover(p, miners).await?;
            for m in &mut members {
                m.sealer = info.clone();
            }
        }

        let miner_dir = layout.service("miner");
        let block_ms = pool.block_time.saturating_mul(1000);
        write_toml(
            &miner_dir,
            "miner",
            &MinerConfig {
                listen: any_port(),
                node: node.clone(),
                block_delay_secs: pool.block_time,
                // Start proving as soon as a base is seen: a real winning PoSt
                // takes seconds here.
                propagation_delay_ms: 500,
                miner_timeout_ms: block_ms.saturating_sub(1500).max(2000),
                members,
                auth_url: auth.clone(),
                db: database(layout, "miner").await?,
                ..Default::default()
            },
        )?;
        started
            .start_daemon(self, prover, Kind::Miner, "venus-miner", &miner_dir)
            .await?;
        env.push(("MINER_API_INFO".to_string(), api_info(&miner_dir, "miner")?));

        let env_file = layout.repo.join("api-info.env");
        let text: String = env.iter().map(|(k, v)| format!("{k}={v}\n")).collect();
        write_private_whole(&env_file, text.as_bytes())?;
        println!(
            "the pool is up: {} members; API infos in {}, a funded key ({}) in {}",
            pool.members.len(),
            env_file.display(),
            pool.funded,
            layout.repo.join("funded.key").display()
        );

        self.watch(layout, &node, epochs, display, stop, started)
            .await
    }

    async fn watch(
        &self,
        layout: &Layout,
        node: &str,
        epochs: Option<u64>,
        display: Display,
        stop: CancellationToken,
        started: &Started,
    ) -> Result<Summary> {
        let miners: Vec<String> = layout
            .pool
            .members
            .iter()
            .map(|m| m.miner.clone())
            .collect();
        let watcher = Watcher::connect(node, &miners).await?;
        let from = watcher.head().await?.height();
        let mut status = Status::new(display, from);
        let until = epochs.map(|n| from.saturating_add(i64::try_from(n).unwrap_or(i64::MAX)));
        // A node restarting (with --processes) is waited for; a node gone
        // for a minute, or a chain that stops moving, ends the run.
        let grace = Duration::from_secs(60);
        let stall = Duration::from_secs(layout.pool.block_time.saturating_mul(10).max(120));
        let (mut failing_since, mut moved_at, mut top) = (None, Instant::now(), from);
        let head = loop {
            let head = match watcher.head().await {
                Ok(h) => {
                    failing_since = None;
                    h
                }
                Err(e) => {
                    let since = *failing_since.get_or_insert_with(Instant::now);
                    if since.elapsed() > grace || stop.is_cancelled() {
                        status.finish();
                        return Err(e);
                    }
                    tracing::warn!(target: "venus::pool", error = %e, "the node does not answer; waiting");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                }
            };
            if head.height() > top {
                (top, moved_at) = (head.height(), Instant::now());
            } else if moved_at.elapsed() > stall {
                status.finish();
                return Err(PoolError::Watch(format!(
                    "the chain has not moved past height {top} for {stall:?}: no member is winning (see the log above; rounds that time out proving mean this machine's \
                     winning PoSts take longer than --block-time allows)"
                )));
            }
            // The status line is a view: a failed read does not end the run.
            if let Err(e) = status.update(&watcher, &head).await {
                tracing::debug!(target: "venus::pool", error = %e, "status not updated");
            }
            if until.is_some_and(|u| head.height() >= u) || stop.is_cancelled() {
                break head;
            }
            if let Some(c) = started.list.iter().find(|c| c.ended()) {
                status.finish();
                return Err(PoolError::Component {
                    name: c.name.clone(),
                    reason: "stopped by itself (see the log above)".into(),
                });
            }
            tokio::select! {
                _ = stop.cancelled() => {}
                _ = tokio::time::sleep(Duration::from_millis(500)) => {}
            }
        };
        status.finish();
        watcher.summary(&head, from).await
    }
}
