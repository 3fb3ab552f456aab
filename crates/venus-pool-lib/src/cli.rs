//! The `venus-pool` command line: `devnet` runs the whole pool; the hidden
//! `component` runs one of its components (what `--processes` starts).

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;

use clap::{Args, Parser, Subcommand};
use venus_daemon::CancellationToken;
use venus_sealer_lib::params::ParamCache;
use venus_sealer_lib::{ProofPool, Prover};

use crate::{wallet_password, Devnet, Display, Kind, Mode, PoolError, Result, WALLET_PASSWORD_ENV};

/// The `venus-pool` command line.
#[derive(Debug, Parser)]
#[command(
    name = "venus-pool",
    version,
    about = "A whole Filecoin mining pool on one command: a devnet with several member miners"
)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub cmd: Cmd,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Cmd {
    /// Run a devnet pool: the node, miner, messager and auth, and each member's
    /// wallet and sealer, mining real blocks with real proofs. The first
    /// run on a machine generates the proof parameters (about 20 minutes
    /// on 2 cores); a second run on the same repo continues its chain.
    Devnet(DevnetArgs),
    /// Run one component with its own command line (what --processes
    /// starts; not for direct use).
    #[command(hide = true)]
    Component {
        /// Which component.
        kind: Kind,
        /// Its command line, program name first.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true, required = true)]
        args: Vec<String>,
    },
}

/// `venus-pool devnet`'s options. Their `Debug` hides the `--node` token
/// and the `--mysql` password.
#[derive(Args)]
pub struct DevnetArgs {
    /// The devnet's repo (default $VENUS_POOL_PATH or ~/.venus-pool).
    #[arg(long)]
    pub repo: Option<PathBuf>,
    /// Member miners (default 2; a second run keeps the repo's).
    #[arg(long)]
    pub members: Option<u32>,
    /// Pre-sealed 2 KiB sectors per member (default 2).
    #[arg(long)]
    pub sectors: Option<u64>,
    /// Seconds per epoch (default 30; a real 2 KiB winning PoSt takes 7–15 s on 2 cores).
    #[arg(long)]
    pub block_time: Option<u64>,
    /// The proving period, `DEADLINESxEPOCHS` (default 4x10): a pledged
    /// sector's power comes with its first window PoSt, so a shorter one
    /// brings it sooner; chosen when the devnet is made.
    #[arg(long, value_name = "DxE")]
    pub proving_period: Option<venus_node::cli::ProvingPeriod>,
    /// Stop after this many epochs, print a summary and exit 0.
    #[arg(long)]
    pub epochs: Option<u64>,
    /// Each component as its own process, supervised and restarted if it dies.
    #[arg(long)]
    pub processes: bool,
    /// The shared messager, miner and auth on this MySQL/MariaDB server
    /// (`mysql://user[:password]@host:port[/prefix]`), each in a database of
    /// its own made there; chosen when the devnet is made (default: SQLite
    /// in their repos).
    #[arg(long, value_name = "URL")]
    pub mysql: Option<String>,
    /// An outside node to use instead of starting the pool's own: its API
    /// info with a token that may write (`TOKEN:/ip4/HOST/tcp/PORT/http`,
    /// as Lotus's FULLNODE_API_INFO; better in VENUS_POOL_NODE than on the
    /// command line, which `ps` shows). It must run this devnet's chain:
    /// make the devnet with --prepare-only, start the node on
    /// REPO/genesis.json, then run.
    #[arg(
        long,
        value_name = "API_INFO",
        env = "VENUS_POOL_NODE",
        hide_env_values = true
    )]
    pub node: Option<String>,
    /// Make the devnet (pre-sealed sectors, wallets, genesis) and exit
    /// without running it.
    #[arg(long, conflicts_with_all = ["epochs", "processes", "node"])]
    pub prepare_only: bool,
}

impl std::fmt::Debug for DevnetArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DevnetArgs")
            .field("repo", &self.repo)
            .field("members", &self.members)
            .field("sectors", &self.sectors)
            .field("block_time", &self.block_time)
            .field("proving_period", &self.proving_period)
            .field("epochs", &self.epochs)
            .field("processes", &self.processes)
            .field("mysql", &self.mysql.as_deref().map(venus_sql::redact_url))
            .field(
                "node",
                &self.node.as_ref().map(|_| "<api info with its token>"),
            )
            .field("prepare_only", &self.prepare_only)
            .finish()
    }
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(PoolError::io("starting", "the runtime"))
}

/// The prover, its parameter cache opened before the runtime's threads
/// exist (it sets environment variables).
fn prover() -> Result<Prover> {
    let params = ParamCache::from_env().map_err(|e| PoolError::Prepare(e.to_string()))?;
    Ok(Prover::new(Arc::new(params), ProofPool::new(2)))
}

/// Runs the command line; call it from `main` before any runtime exists.
pub fn main(cli: Cli) -> Result<()> {
    match cli.cmd {
        Cmd::Component { kind, args } => {
            venus_daemon::init_tracing("info");
            let prover = prover()?;
            runtime()?.block_on(crate::run_component(kind, args, prover))
        }
        Cmd::Devnet(a) => {
            venus_daemon::init_tracing("warn");
            let repo = venus_daemon::Repo::locate("pool", a.repo.clone());
            // Set while this process has one thread; the in-process wallets
            // and the component processes read it.
            let password = wallet_password(&repo)?;
            std::env::set_var(WALLET_PASSWORD_ENV, password);
            let prover = prover()?;
            runtime()?.block_on(devnet(a, repo, prover))
        }
    }
}

async fn devnet(a: DevnetArgs, repo: PathBuf, prover: Prover) -> Result<()> {
    // This binary is venus-pool (or one handing `component` to `main`):
    // its sealers can prove in child processes of it.
    let mut b = Devnet::builder(&repo)
        .post_child(true)
        .mode(if a.processes {
            Mode::Processes
        } else {
            Mode::InProcess
        });
    if let Some(n) = a.members {
        b = b.members(n);
    }
    if let Some(n) = a.sectors {
        b = b.sectors(n);
    }
    if let Some(t) = a.block_time {
        b = b.block_time(t);
    }
    if let Some(p) = a.proving_period {
        b = b.proving_period(p.deadlines, p.challenge_window);
    }
    if let Some(url) = a.mysql {
        b = b.mysql(url);
    }
    if let Some(info) = a.node {
        b = b.node(info);
    }
    let devnet = b.build()?;
    println!(
        "venus-pool devnet in {} (the first run on a machine generates the 2 KiB proof parameters: about 20 minutes on 2 cores)",
        repo.display()
    );
    let params = venus_sealer_lib::cli::Cli::try_parse_from(["venus-sealer", "params"])
        .map_err(|e| PoolError::Invalid(e.to_string()))?;
    venus_sealer_lib::cli::run(params, prover.clone())
        .await
        .map_err(|e| PoolError::Prepare(format!("proof parameters: {e:#}")))?;
    let layout = devnet.prepare(&prover).await?;
    if a.prepare_only {
        println!(
            "the devnet is made; its genesis: {}",
            layout.genesis().display()
        );
        return Ok(());
    }
    let stop = CancellationToken::new();
    let mut signals =
        venus_daemon::Shutdown::install().map_err(|e| PoolError::Invalid(e.to_string()))?;
    let on_signal = stop.clone();
    tokio::spawn(async move {
        if signals.wait().await.is_ok() {
            on_signal.cancel();
        }
    });
    let display = if std::io::stdout().is_terminal() {
        Display::Live
    } else {
        Display::Plain
    };
    let summary = devnet
        .run(&layout, &prover, a.epochs, display, stop)
        .await?;
    let text =
        serde_json::to_string_pretty(&summary).map_err(|e| PoolError::Invalid(e.to_string()))?;
    println!("summary:\n{text}");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devnet_args_debug_hides_the_token_and_the_password() {
        let cli = Cli::try_parse_from([
            "venus-pool",
            "devnet",
            "--node",
            "t0ken.x:/ip4/127.0.0.1/tcp/1234/http",
            "--mysql",
            "mysql://root:pa55@127.0.0.1:3306/pool",
        ])
        .expect("parses");
        let shown = format!("{cli:?}");
        assert!(!shown.contains("t0ken"), "{shown}");
        assert!(!shown.contains("pa55"), "{shown}");
        assert!(shown.contains("root:***@127.0.0.1:3306/pool"), "{shown}");
        assert!(shown.contains("<api info with its token>"), "{shown}");

        // What the options build, and the server a devnet records.
        let devnet = Devnet::builder("/tmp/pool")
            .mysql("mysql://root:pa55@127.0.0.1:3306/pool")
            .node("t0ken.x:/ip4/127.0.0.1/tcp/1234/http")
            .build()
            .expect("devnet");
        let db = crate::devnet::SharedDb {
            server: "mysql://root:pa55@127.0.0.1:3306/pool".into(),
            prefix: "pool_abc".into(),
        };
        for shown in [format!("{devnet:?}"), format!("{db:?}")] {
            assert!(
                !shown.contains("t0ken") && !shown.contains("pa55"),
                "{shown}"
            );
            assert!(shown.contains("root:***@127.0.0.1:3306/pool"), "{shown}");
        }
    }
}
