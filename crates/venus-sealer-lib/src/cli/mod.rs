//! The `venus-sealer` operator CLI (feature `cli`): prepare parameters,
//! pre-seal genesis sectors, check a set-up end to end on one sector, run
//! the sealer (winning PoSt for the pool's miner; with a node and a
//! messager, the sealing pipeline and window PoSt too), and ask a running
//! sealer about its sectors and workers. `venus-worker` is
//! [`pipeline::WorkerCli`].

mod check;
pub mod pipeline;
mod progress;

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand};
use venus_core::shared::sector::RegisteredSealProof;

use crate::child::ChildCommand;
use crate::params::{Circuit, Ensured, ParamCache};
use crate::types::{actor_id, seal_proof_for_size};
use crate::{preseal, LocalSectorStore, PreSealConfig, PreSealMiner, ProofPool, Prover};

/// venus-sealer: Filecoin proofs for a venus-rs pool member.
#[derive(Debug, Parser)]
#[command(name = "venus-sealer", version)]
pub struct Cli {
    /// Groth parameter directory (default: $FIL_PROOFS_PARAMETER_CACHE, else ~/.cache/venus-rs/params).
    #[arg(long, global = true, env = "VENUS_PARAMS_DIR")]
    pub params_dir: Option<PathBuf>,
    /// Proofs run at once (each holds its parameters and trees in memory).
    #[arg(long, global = true, default_value_t = 1)]
    pub parallel: usize,
    /// A running sealer's API info, for the client commands (default: the
    /// repo's `api` and `token` files).
    #[arg(long, global = true, env = "SEALER_API_INFO", hide_env_values = true)]
    pub api: Option<String>,
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// Commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Generate (or verify) the Groth parameters for a sector size. Never downloads.
    Params {
        /// Sector size: 2KiB, 8MiB, 512MiB, 32GiB, 64GiB.
        #[arg(long, default_value = "2KiB")]
        sector_size: String,
        /// Only winning and window PoSt (under a minute for 2KiB), not PoRep (7-10 minutes).
        #[arg(long, conflicts_with = "only")]
        post_only: bool,
        /// Only these circuits: porep, winning-post, window-post.
        #[arg(long, value_delimiter = ',')]
        only: Vec<String>,
    },
    /// Seal sectors for a devnet genesis miner (PC1+PC2) and write `pre-seal-t0<id>.json`.
    PreSeal {
        /// The genesis miner, an ID address.
        #[arg(long, default_value = "t01000")]
        miner: String,
        /// Sector size.
        #[arg(long, default_value = "2KiB")]
        sector_size: String,
        /// Number of sectors (at least 1).
        #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u64).range(1..))]
        sectors: u64,
        /// First sector number.
        #[arg(long, default_value_t = 0)]
        first: u64,
        /// Sector store root (sealed/, cache/, unsealed/) and where the JSON goes.
        #[arg(long)]
        repo: PathBuf,
        /// The owner/worker key, a file in Lotus's export format (hex of the
        /// KeyInfo JSON); a new BLS key when absent, as `lotus-seed` makes.
        #[arg(long)]
        key: Option<PathBuf>,
        /// The sealing ticket's preimage (BLAKE2b-256 of it is the ticket).
        #[arg(long, default_value = crate::LOTUS_SEED_TICKET_PREIMAGE)]
        ticket_preimage: String,
    },
    /// Serve the pool's miner: winning PoSts for the miner's sectors in
    /// a store (the pre-seal directory on a devnet), until Ctrl-C or SIGTERM.
    /// With `--node` and `--messager`, also seal pledged sectors (with a
    /// worker in this process unless `--no-local-worker`) and prove every
    /// deadline. Prints SEALER_API_INFO; the repo keeps the token secret,
    /// the `api` and `token` files and the pipeline's SQLite database.
    Run {
        /// The chain node's API info (WebSocket or HTTP): turns the pipeline on.
        #[arg(
            long,
            env = "VENUS_SEALER_NODE",
            hide_env_values = true,
            requires = "messager"
        )]
        node: Option<String>,
        /// The messager's API info, its token allowed to send from the miner's worker.
        #[arg(long, env = "VENUS_SEALER_MESSAGER", hide_env_values = true)]
        messager: Option<String>,
        /// The pipeline's database (default: sqlite in the repo; a
        /// `mysql://` URL for sealers that share it).
        #[arg(long)]
        db: Option<String>,
        /// Run no worker in this process (only `venus-worker`s seal).
        #[arg(long)]
        no_local_worker: bool,
        /// Epochs on top of the seed's epoch before C1 (Lotus: 6).
        #[arg(long, default_value_t = 6)]
        seed_confidence: i64,
        /// How far below the head the sealing ticket is drawn: a reorg
        /// deeper than this wastes the seal (Lotus uses a finality, 900;
        /// a devnet of one producer needs 1).
        #[arg(long, default_value_t = 1)]
        ticket_lookback: i64,
        /// How long a worker keeps a task without a heartbeat, in seconds.
        #[arg(long, default_value_t = 60)]
        task_lease_secs: u64,
        /// How long a sealer keeps a proving deadline without renewing it,
        /// in seconds: when a sealer sharing the database dies, another
        /// takes its deadline over after this (keep it well under a
        /// deadline: 30 minutes on mainnet).
        #[arg(long, default_value_t = 60)]
        post_lease_secs: u64,
        /// The sector store root (sealed/, cache/).
        #[arg(long)]
        sectors: PathBuf,
        /// The miner whose sectors these are (repeat for several).
        #[arg(long, required = true)]
        miner: Vec<String>,
        /// Listen address.
        #[arg(long, default_value = "127.0.0.1:2345")]
        listen: std::net::SocketAddr,
        /// Repo directory (default $VENUS_SEALER_PATH or ~/.venus-sealer).
        #[arg(long)]
        home: Option<PathBuf>,
    },
    /// A running sealer's sectors.
    Sectors {
        /// What to do.
        #[command(subcommand)]
        cmd: pipeline::SectorsCmd,
        /// Repo directory, for its API info.
        #[arg(long)]
        home: Option<PathBuf>,
    },
    /// Seal one committed-capacity sector on a running sealer.
    Pledge {
        /// Repo directory, for its API info.
        #[arg(long)]
        home: Option<PathBuf>,
    },
    /// A running sealer's workers.
    Workers {
        /// What to do.
        #[command(subcommand)]
        cmd: pipeline::WorkersCmd,
        /// Repo directory, for its API info.
        #[arg(long)]
        home: Option<PathBuf>,
    },
    /// The window PoSt deadlines a running sealer handled.
    Posts {
        /// Repo directory, for its API info.
        #[arg(long)]
        home: Option<PathBuf>,
    },
    /// The proving child of `run` (one PoSt job per line on stdin, one
    /// answer per line on stdout, until stdin ends): not for operators.
    #[command(name = crate::child::CHILD_ARG, hide = true)]
    PostChild,
    /// Seal one sector and prove and verify it: seal proof, winning and window PoSt.
    Check {
        /// Where to seal the test sector (a fresh directory is fine).
        #[arg(long)]
        repo: PathBuf,
        /// The miner to seal as.
        #[arg(long, default_value = "t01000")]
        miner: String,
        /// Sector size.
        #[arg(long, default_value = "2KiB")]
        sector_size: String,
        /// Skip C1/C2 and seal verification (no PoRep parameters needed).
        #[arg(long)]
        post_only: bool,
    },
}

/// Opens the parameter cache (setting filecoin-proofs' environment while the
/// process has one thread), then runs `cli` on a new runtime; `run` proves
/// winning PoSts in a child process of this executable.
pub fn main(cli: Cli) -> Result<()> {
    let prover = prover(&cli)?;
    let child = ChildCommand::current_exe(Vec::<String>::new())
        .inspect_err(|e| {
            tracing::warn!(target: "venus::sealer", error = %e, "cannot start proving children: winning PoSts run in this process");
        })
        .ok();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(run_with(cli, prover, child))
}

fn prover(cli: &Cli) -> Result<Prover> {
    let params = match &cli.params_dir {
        Some(dir) => ParamCache::open(dir)?,
        None => ParamCache::from_env()?,
    };
    Ok(Prover::new(Arc::new(params), ProofPool::new(cli.parallel)))
}

fn circuits(seal: RegisteredSealProof, post_only: bool, only: &[String]) -> Result<Vec<Circuit>> {
    let all = Circuit::all_for(seal)?;
    if only.is_empty() {
        return Ok(all
            .into_iter()
            .filter(|c| !post_only || matches!(c, Circuit::PoSt(_)))
            .collect());
    }
    only.iter()
        .map(|name| {
            let kind = |c: &Circuit| c.to_string().split(' ').next().map(str::to_string);
            all.iter()
                .find(|c| kind(c).as_deref() == Some(name.as_str()))
                .copied()
                .with_context(|| {
                    format!("unknown circuit {name:?} (porep, winning-post, window-post)")
                })
        })
        .collect()
}

/// Runs one command with `prover` (see [`main`]); `run` proves winning
/// PoSts on `prover`'s threads, in this process (see [`run_with`]).
pub async fn run(cli: Cli, prover: Prover) -> Result<()> {
    run_with(cli, prover, None).await
}

/// [`run`], with `run`'s winning PoSts proved in children started by
/// `child` ([`crate::child`]): a proof the miner gives up on is killed
/// instead of holding the cores into the next round. `child` must reach
/// this CLI's hidden `post-child` command.
pub async fn run_with(cli: Cli, prover: Prover, child: Option<ChildCommand>) -> Result<()> {
    match cli.command {
        Command::Params {
            sector_size,
            post_only,
            only,
        } => {
            let seal = seal_proof_for_size(&sector_size)?;
            println!("parameter directory: {}", prover.params().dir().display());
            for circuit in circuits(seal, post_only, &only)? {
                let params = prover.params().clone();
                let outcome = tokio::task::spawn_blocking(move || {
                    let display = progress::ParamDisplay::new();
                    params.ensure(circuit, &|e| display.event(e))
                })
                .await??;
                match outcome {
                    Ensured::Present => println!("{circuit}: ready"),
                    Ensured::GeneratedElsewhere => {
                        println!("{circuit}: ready (generated by another process)")
                    }
                    Ensured::Generated(t) => {
                        println!("{circuit}: generated in {:.1}s", t.as_secs_f64())
                    }
                }
            }
        }
        Command::PreSeal {
            miner,
            sector_size,
            sectors,
            first,
            repo,
            key,
            ticket_preimage,
        } => {
            let miner = actor_id(&venus_core::address::parse(&miner)?)?;
            let key = match key {
                Some(path) => {
                    let hex = std::fs::read_to_string(&path)
                        .with_context(|| format!("reading the key file {}", path.display()))?;
                    venus_core::crypto::KeyInfo::from_lotus_export(hex.trim())
                        .with_context(|| format!("the key file {}", path.display()))?
                }
                None => venus_core::crypto::PrivateKey::generate(venus_core::SignatureType::BLS),
            };
            let mut config = PreSealConfig::new(miner, seal_proof_for_size(&sector_size)?, sectors);
            config.first_sector = first;
            let digest = blake2b_simd::Params::new()
                .hash_length(32)
                .hash(ticket_preimage.as_bytes());
            config.ticket.copy_from_slice(digest.as_bytes());
            let store = LocalSectorStore::new(&repo);
            let sealed = preseal(&prover, &store, &config, &|done, total| {
                eprintln!("pre-sealed {done}/{total}");
            })
            .await?;
            let entry = PreSealMiner::new(miner, &key, config.proof, sealed)?;
            let path = entry.write(&repo, miner)?;
            println!("{}", path.display());
        }
        Command::Sectors { cmd, home } => pipeline::sectors(cmd, cli.api, home).await?,
        Command::Pledge { home } => pipeline::pledge(cli.api, home).await?,
        Command::Workers { cmd: _, home } => pipeline::workers(cli.api, home).await?,
        Command::Posts { home } => pipeline::posts(cli.api, home).await?,
        Command::Run {
            sectors,
            miner,
            listen,
            home,
            node,
            messager,
            db,
            no_local_worker,
            seed_confidence,
            ticket_lookback,
            task_lease_secs,
            post_lease_secs,
        } => {
            let miners = miner
                .iter()
                .map(|m| venus_core::address::parse(m))
                .collect::<std::result::Result<Vec<_>, _>>()?;
            let repo = venus_daemon::Repo::open("sealer", home)?;
            let secret = venus_rpc::load_or_create_secret(&repo.path("token-secret"))
                .context("reading the token secret")?;
            let verifier = venus_rpc::Hs256Verifier::new(&secret);
            let token = verifier.sign(venus_rpc::Permission::Admin.and_below(), None, None)?;
            let store = Arc::new(LocalSectorStore::new(&sectors));
            // Winning and window PoSt each get their own pool: a proof due
            // this epoch must not queue behind a C2.
            let mut post =
                crate::PostProver::new(prover.with_pool(ProofPool::new(1)), store.clone());
            if let Some(child) = child {
                post = post.in_child(Arc::new(crate::child::PostChild::new(child)));
            }
            let post = Arc::new(post);
            let mut module = crate::rpc::prover_module(post, miners.clone());
            // Lotus's `AuthVerify` and `AuthNew`, as on lotus-miner.
            module.merge(venus_api::lotus::auth_module(
                Arc::new(verifier.clone()),
                Some(verifier.clone()),
            ))?;
            let mut services: Vec<Box<dyn venus_daemon::Service>> = Vec::new();
            if let (Some(node), Some(messager)) = (node, messager) {
                let [miner] = miners[..] else {
                    bail!("the pipeline seals for one miner: give one --miner");
                };
                let messager = venus_api::messager::MessagerClient::connect(&messager)
                    .await
                    .context("connecting to the messager")?;
                // A messager token that cannot push would fail every
                // pre-commit and commit, sector by sector.
                {
                    use venus_api::messager::PushMessageWithId as Push;
                    use venus_rpc::RpcMethod;
                    venus_api::common::check_token(messager.rpc(), &[Push::PERMISSION])
                        .await
                        .map_err(|e| {
                            anyhow::anyhow!(
                                "the messager's {e}, which the sealer's {} needs: \
                                 give a token with {}",
                                Push::NAME,
                                Push::PERMISSION
                            )
                        })?;
                }
                let api = crate::pipeline::SealingApi::new(
                    venus_api::lotus::LotusClient::connect(&node)
                        .await
                        .context("connecting to the node")?,
                    messager,
                );
                let url = match db {
                    Some(url) => url,
                    None => venus_sql::sqlite_url(&repo.path("sealer.db"))?,
                };
                let db = crate::pipeline::SealingStore::open(&url).await?;
                let config = crate::pipeline::PipelineConfig {
                    seed_confidence,
                    ticket_lookback: ticket_lookback.max(1),
                    ..Default::default()
                };
                let sealer = Arc::new(
                    crate::pipeline::Sealer::builder(
                        db,
                        api,
                        prover.with_pool(ProofPool::new(1)),
                        store.clone(),
                        miner,
                    )
                    .pipeline(config)
                    .post(crate::pipeline::PostConfig {
                        lease_ms: post_lease_secs.max(3).saturating_mul(1000),
                        ..Default::default()
                    })
                    .owner(repo.instance_name("sealer", "")?)
                    .task_lease(std::time::Duration::from_secs(task_lease_secs.max(3)))
                    .build()?,
                );
                module.merge(crate::pipeline::sealer_module(sealer.clone()))?;
                services.push(Box::new(pipeline::LoopService::sealer(sealer.clone())));
                if !no_local_worker {
                    let worker = crate::pipeline::Worker::new(
                        format!("{}-local", repo.instance_name("sealer", "")?),
                        sealer.local_tasks(),
                        prover,
                        store,
                    );
                    services.push(Box::new(pipeline::LoopService::worker(Arc::new(worker))));
                }
            }
            let server = venus_rpc::RpcServer::builder(module)
                .verifier(Arc::new(verifier))
                .config(venus_rpc::ServerConfig::daemon())
                .build();
            let service = venus_daemon::RpcService::new(
                "sealer",
                server,
                listen,
                repo,
                token,
                "SEALER_API_INFO",
            );
            services.insert(0, Box::new(service));
            venus_daemon::run_services(services).await?;
        }
        Command::PostChild => {
            tokio::task::spawn_blocking(|| {
                crate::child::serve(std::io::stdin().lock(), std::io::stdout().lock())
            })
            .await??;
        }
        Command::Check {
            repo,
            miner,
            sector_size,
            post_only,
        } => {
            let miner = actor_id(&venus_core::address::parse(&miner)?)?;
            let seal = seal_proof_for_size(&sector_size)?;
            if !check::run(&prover, &repo, miner, seal, post_only).await? {
                bail!("check failed: a proof did not verify");
            }
        }
    }
    Ok(())
}
