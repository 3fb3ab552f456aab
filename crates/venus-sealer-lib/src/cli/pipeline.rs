//! The pipeline's daemon pieces: the sealer loop and an in-process worker
//! as services, the operator's client commands, and `venus-worker`.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use venus_api::sealer::{
    Pledge, PostsList, SectorAbort, SectorRetry, SectorsList, SectorsStatus, TaskKind, WorkersList,
};
use venus_daemon::{CancellationToken, DaemonError, Service, ServiceHandle};
use venus_rpc::RpcClient;

use crate::pipeline::{RemoteTasks, Sealer, Worker};
use crate::{LocalSectorStore, Prover};

type Run = Box<
    dyn FnOnce(CancellationToken) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>
        + Send,
>;

/// A loop run until its service is stopped (the sealer's pipeline and
/// window PoSt, a worker), as a [`Service`].
pub struct LoopService {
    name: &'static str,
    run: Run,
}

impl LoopService {
    /// The sealer's pipeline and window PoSt loop.
    pub fn sealer(sealer: Arc<Sealer>) -> Self {
        LoopService {
            name: "sealer-pipeline",
            run: Box::new(|stop| Box::pin(sealer.run(async move { stop.cancelled().await }))),
        }
    }

    /// A worker's loop.
    pub fn worker(worker: Arc<Worker>) -> Self {
        LoopService {
            name: "worker",
            run: Box::new(|stop| Box::pin(worker.run(async move { stop.cancelled().await }))),
        }
    }
}

#[async_trait::async_trait]
impl Service for LoopService {
    fn name(&self) -> &str {
        self.name
    }

    async fn start(
        self: Box<Self>,
        cancel: CancellationToken,
    ) -> venus_daemon::Result<ServiceHandle> {
        let name = self.name;
        let task = tokio::spawn((self.run)(cancel.clone()));
        let done = async move {
            task.await.map_err(|e| DaemonError::Service {
                name: name.into(),
                reason: e.to_string(),
            })
        };
        Ok(ServiceHandle::new(name, cancel, done))
    }
}

/// `sectors …`.
#[derive(Debug, Subcommand)]
pub enum SectorsCmd {
    /// Every sector, newest first.
    List,
    /// One sector.
    Status {
        /// The sector number.
        number: u64,
    },
    /// Send a failed sector back to the stage it failed in.
    Retry {
        /// The sector number.
        number: u64,
    },
    /// Stop sealing a sector for good.
    Abort {
        /// The sector number.
        number: u64,
    },
}

/// `workers …`.
#[derive(Debug, Subcommand)]
pub enum WorkersCmd {
    /// The workers seen in the last ten minutes and the tasks they hold.
    List,
}

async fn client(api: Option<String>, home: Option<PathBuf>) -> Result<RpcClient> {
    let info = match api {
        Some(a) => a,
        None => {
            let repo = venus_daemon::Repo::open("sealer", home)?;
            venus_daemon::repo_api_info(&repo)?
        }
    };
    RpcClient::connect(&info)
        .await
        .with_context(|| "connecting to the sealer (is `venus-sealer run` up?)")
}

fn json<T: serde::Serialize>(v: T) -> Result<()> {
    println!("{}", serde_json::to_string_pretty(&v)?);
    Ok(())
}

/// `sectors …`, `pledge`, `workers list`, `posts` against a running sealer.
pub async fn sectors(cmd: SectorsCmd, api: Option<String>, home: Option<PathBuf>) -> Result<()> {
    let c = client(api, home).await?;
    match cmd {
        SectorsCmd::List => json(c.call::<SectorsList>([]).await?),
        SectorsCmd::Status { number } => json(c.call::<SectorsStatus>((number,)).await?),
        SectorsCmd::Retry { number } => json(c.call::<SectorRetry>((number,)).await?),
        SectorsCmd::Abort { number } => json(c.call::<SectorAbort>((number,)).await?),
    }
}

/// `pledge`.
pub async fn pledge(api: Option<String>, home: Option<PathBuf>) -> Result<()> {
    json(client(api, home).await?.call::<Pledge>([]).await?)
}

/// `workers list`.
pub async fn workers(api: Option<String>, home: Option<PathBuf>) -> Result<()> {
    json(client(api, home).await?.call::<WorkersList>([]).await?)
}

/// `posts`.
pub async fn posts(api: Option<String>, home: Option<PathBuf>) -> Result<()> {
    json(client(api, home).await?.call::<PostsList>([]).await?)
}

/// venus-worker: runs a sealer's PC1, PC2, C1 and C2 tasks.
#[derive(Debug, Parser)]
#[command(name = "venus-worker", version)]
pub struct WorkerCli {
    /// Groth parameter directory (default: $FIL_PROOFS_PARAMETER_CACHE, else ~/.cache/venus-rs/params).
    #[arg(long, global = true, env = "VENUS_PARAMS_DIR")]
    pub params_dir: Option<PathBuf>,
    /// The command.
    #[command(subcommand)]
    pub command: WorkerCmd,
}

/// venus-worker's commands.
#[derive(Debug, Subcommand)]
pub enum WorkerCmd {
    /// Pull tasks from a sealer until Ctrl-C or SIGTERM.
    Run {
        /// The sealer's API info (`TOKEN:/ip4/…/tcp/…/http`), its token
        /// with `write`. Repeat it (or separate with commas) for instances
        /// of one sealer sharing a database: the next is used when one
        /// cannot be reached.
        #[arg(
            long,
            env = "SEALER_API_INFO",
            hide_env_values = true,
            required = true,
            value_delimiter = ','
        )]
        sealer: Vec<String>,
        /// The sector store the sealer uses too (sealed/, cache/, unsealed/).
        #[arg(long)]
        sectors: PathBuf,
        /// This worker's name among the sealer's (default: host and process id).
        #[arg(long)]
        name: Option<String>,
        /// PC1 tasks at once (0: never).
        #[arg(long, default_value_t = 1)]
        pc1: u32,
        /// PC2 tasks at once.
        #[arg(long, default_value_t = 1)]
        pc2: u32,
        /// C1 tasks at once.
        #[arg(long, default_value_t = 1)]
        c1: u32,
        /// C2 tasks at once.
        #[arg(long, default_value_t = 1)]
        c2: u32,
    },
}

/// Runs `venus-worker` (see [`WorkerCli`]).
pub fn worker_main(cli: WorkerCli) -> Result<()> {
    let params = match &cli.params_dir {
        Some(dir) => crate::params::ParamCache::open(dir)?,
        None => crate::params::ParamCache::from_env()?,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let WorkerCmd::Run {
            sealer,
            sectors,
            name,
            pc1,
            pc2,
            c1,
            c2,
        } = cli.command;
        let slots = pc1.max(pc2).max(c1).max(c2).max(1) as usize;
        let prover = Prover::new(Arc::new(params), crate::ProofPool::new(slots));
        // A call to a hung sealer gives up well within a task lease (a
        // heartbeat goes every third of it), so the next sealer renews it.
        let config = venus_rpc::ClientConfig {
            timeout: Duration::from_secs(10),
            ..Default::default()
        };
        let mut tasks: Option<RemoteTasks> = None;
        for (i, info) in sealer.iter().enumerate() {
            let endpoint = info
                .parse()
                .with_context(|| format!("sealer {} of --sealer", i + 1))?;
            // WebSocket endpoints connect now: one that is down is skipped
            // while another is up.
            let rpc = match RpcClient::connect_with(endpoint, config.clone()).await {
                Ok(rpc) => rpc,
                Err(e) if sealer.len() > 1 => {
                    tracing::warn!(target: "venus::sealer::worker", sealer = i + 1, error = %e, "skipping an unreachable sealer");
                    continue;
                }
                Err(e) => return Err(e).context("connecting to the sealer"),
            };
            tasks = Some(match tasks {
                None => RemoteTasks::new(rpc),
                Some(t) => t.or(rpc),
            });
        }
        let tasks = tasks.context("no --sealer could be reached")?;
        let name = name.unwrap_or_else(|| {
            let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
                .map(|h| h.trim().to_string())
                .unwrap_or_else(|_| "worker".into());
            format!("{host}-{}", std::process::id())
        });
        let worker = Worker::new(
            name.clone(),
            Arc::new(tasks),
            prover,
            Arc::new(LocalSectorStore::new(&sectors)),
        )
        .limit(TaskKind::Pc1, pc1)
        .limit(TaskKind::Pc2, pc2)
        .limit(TaskKind::C1, c1)
        .limit(TaskKind::C2, c2)
        .poll(Duration::from_millis(500));
        println!("WORKER_NAME={name}");
        venus_daemon::run_services(vec![Box::new(LoopService::worker(Arc::new(worker)))]).await?;
        Ok(())
    })
}
