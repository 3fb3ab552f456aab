//! Starting the components: each one's own command line, run as a task in
//! this process ([`Mode::InProcess`]) or as a process of this binary
//! (`venus-pool component KIND ARGS…`) that a supervisor restarts when it
//! dies ([`Mode::Processes`]).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use clap::Parser;
use tokio::task::JoinHandle;
use venus_daemon::CancellationToken;
use venus_sealer_lib::child::ChildCommand;
use venus_sealer_lib::{PostVerifier, Prover};

use crate::{PoolError, Result};

/// How the components run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// Each component a task of this process (the default).
    #[default]
    InProcess,
    /// Each component its own process, as a real deployment runs them,
    /// restarted by a supervisor when it dies.
    Processes,
}

/// The components a pool runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Kind {
    /// The token service (`venus-auth`).
    Auth,
    /// The chain node (`venus`).
    Node,
    /// A member's wallet (`venus-wallet`).
    Wallet,
    /// The message manager (`venus-messager`).
    Messager,
    /// A member's sealer with its local worker (`venus-sealer run`).
    Sealer,
    /// The pool's block producer (`venus-miner`).
    Miner,
}

impl Kind {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Kind::Auth => "auth",
            Kind::Node => "node",
            Kind::Wallet => "wallet",
            Kind::Messager => "messager",
            Kind::Sealer => "sealer",
            Kind::Miner => "miner",
        }
    }
}

/// Runs one component's command line (`args[0]` is its program name) until
/// it ends: what a component process does, and what an in-process one
/// does under [`venus_daemon::scoped`].
///
/// A sealer proves winning PoSts in child processes of this binary
/// (`BIN component sealer venus-sealer post-child`).
pub async fn run_component(kind: Kind, args: Vec<String>, prover: Prover) -> Result<()> {
    run_in(
        kind,
        args,
        prover,
        venus_miner_lib::cli::Slots::default(),
        true,
    )
    .await
}

/// [`run_component`], with the miner's parts in `miner` (in process only),
/// and a sealer proving in child processes of this binary if `post_child`.
async fn run_in(
    kind: Kind,
    args: Vec<String>,
    prover: Prover,
    miner: venus_miner_lib::cli::Slots,
    post_child: bool,
) -> Result<()> {
    let bad = |e: clap::Error| PoolError::Invalid(e.to_string());
    let failed = |e: &dyn std::fmt::Display| PoolError::Component {
        name: kind.as_str().into(),
        reason: format!("{e:#}"),
    };
    match kind {
        Kind::Auth => {
            let cli = venus_auth_lib::cli::Cli::try_parse_from(&args).map_err(bad)?;
            venus_auth_lib::cli::run(cli)
                .await
                .map(drop)
                .map_err(|e| failed(&e))
        }
        Kind::Node => {
            let cli = venus_node::cli::Cli::try_parse_from(&args).map_err(bad)?;
            let post = Arc::new(PostVerifier::new(prover.clone()));
            venus_node::cli::run(cli, Arc::new(prover), post)
                .await
                .map(drop)
                .map_err(|e| failed(&e))
        }
        Kind::Wallet => {
            let cli = venus_wallet_lib::cli::Cli::try_parse_from(&args).map_err(bad)?;
            venus_wallet_lib::cli::run(cli)
                .await
                .map(drop)
                .map_err(|e| failed(&e))
        }
        Kind::Messager => {
            let cli = venus_messager_lib::cli::Cli::try_parse_from(&args).map_err(bad)?;
            venus_messager_lib::cli::run(cli)
                .await
                .map(drop)
                .map_err(|e| failed(&e))
        }
        Kind::Miner => {
            let cli = venus_miner_lib::cli::Cli::try_parse_from(&args).map_err(bad)?;
            venus_miner_lib::cli::run_with(cli, miner)
                .await
                .map(drop)
                .map_err(|e| failed(&e))
        }
        Kind::Sealer => {
            let cli = venus_sealer_lib::cli::Cli::try_parse_from(&args).map_err(bad)?;
            let child = post_child
                .then(|| {
                    ChildCommand::current_exe(["component", Kind::Sealer.as_str(), "venus-sealer"])
                })
                .transpose()
                .map_err(|e| failed(&e))?;
            venus_sealer_lib::cli::run_with(cli, prover, child)
                .await
                .map_err(|e| failed(&e))
        }
    }
}

/// What to start: a component's command line and the file that appears
/// once it serves (its repo's `api`, which names the address it serves on).
#[derive(Debug, Clone)]
pub(crate) struct Spec {
    pub name: String,
    pub kind: Kind,
    pub args: Vec<String>,
    pub ready: PathBuf,
    /// Options that hold a token or a password, as (flag, its environment
    /// variable, value): a process gets them in its environment, never on
    /// its command line (which `ps` shows to every user); in process they
    /// follow `args`.
    pub secrets: Vec<Secret>,
}

/// An option holding a secret (see [`Spec::secrets`]).
#[derive(Clone)]
pub(crate) struct Secret {
    pub flag: &'static str,
    pub env: &'static str,
    pub value: String,
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} (${}): ..", self.flag, self.env)
    }
}

impl Spec {
    /// The command line with `--listen` set to `addr` (added if missing).
    fn listening_on(&self, addr: SocketAddr) -> Vec<String> {
        let mut args = self.args.clone();
        match args.iter().position(|a| a == "--listen") {
            Some(i) if i + 1 < args.len() => args[i + 1] = addr.to_string(),
            _ => args.extend(["--listen".into(), addr.to_string()]),
        }
        args
    }

    /// The command line in process: `args`, then each secret as its flag.
    fn in_process_args(&self) -> Vec<String> {
        let mut args = self.args.clone();
        for s in &self.secrets {
            args.extend([s.flag.to_string(), s.value.clone()]);
        }
        args
    }
}

/// A started component.
pub(crate) struct Component {
    pub name: String,
    stop: CancellationToken,
    task: JoinHandle<Result<()>>,
    /// Times its process was restarted (always 0 in process).
    pub restarts: Arc<AtomicU64>,
}

/// The longest a component may take to serve (the node builds the
/// genesis state at its first start).
const READY_TIMEOUT: Duration = Duration::from_secs(300);

impl Component {
    /// Starts `spec` and waits until it serves (its `ready` file appears).
    pub async fn start(
        spec: Spec,
        mode: Mode,
        prover: &Prover,
        miner: venus_miner_lib::cli::Slots,
        post_child: bool,
        logs: &Path,
    ) -> Result<Component> {
        match std::fs::remove_file(&spec.ready) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(PoolError::io("removing", &spec.ready)(e)),
        }
        let stop = CancellationToken::new();
        let restarts = Arc::new(AtomicU64::new(0));
        let served = Arc::new(OnceLock::new());
        let task = match mode {
            Mode::InProcess => tokio::spawn(venus_daemon::scoped(
                stop.clone(),
                run_in(
                    spec.kind,
                    spec.in_process_args(),
                    prover.clone(),
                    miner,
                    post_child,
                ),
            )),
            Mode::Processes => {
                std::fs::create_dir_all(logs).map_err(PoolError::io("creating", logs))?;
                tokio::spawn(supervise(
                    spec.clone(),
                    logs.join(format!("{}.log", spec.name)),
                    stop.clone(),
                    restarts.clone(),
                    served.clone(),
                ))
            }
        };
        let c = Component {
            name: spec.name.clone(),
            stop,
            task,
            restarts,
        };
        let start = Instant::now();
        loop {
            let api = std::fs::read_to_string(&spec.ready).unwrap_or_default();
            if !api.trim().is_empty() {
                // Where a restarted process listens again. (Not logged
                // whole: a wallet's `api` holds its token.)
                match served_addr(&api) {
                    Some(addr) => {
                        let _ = served.set(addr);
                        tracing::info!(target: "venus::pool", component = %c.name, %addr, "serving");
                    }
                    None => tracing::warn!(
                        target: "venus::pool",
                        component = %c.name,
                        file = %spec.ready.display(),
                        "serving, at an address its api file does not name as /ip4|ip6/…/tcp/…: if its process dies, the restarted one listens on a new port that its clients do not know"
                    ),
                }
                return Ok(c);
            }
            if c.task.is_finished() {
                let r = c.task.await;
                return Err(PoolError::Component {
                    name: spec.name,
                    reason: match r {
                        Ok(Err(e)) => e.to_string(),
                        Ok(Ok(())) => "ended before it served".into(),
                        Err(e) => format!("failed: {e}"),
                    },
                });
            }
            if start.elapsed() > READY_TIMEOUT {
                c.stop().await?;
                return Err(PoolError::Component {
                    name: spec.name,
                    reason: format!("did not serve within {READY_TIMEOUT:?}"),
                });
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Whether it ended by itself (a failure: components run until stopped).
    pub fn ended(&self) -> bool {
        self.task.is_finished()
    }

    /// Stops it gracefully (SIGTERM for a process) and waits.
    pub async fn stop(self) -> Result<()> {
        self.stop.cancel();
        match self.task.await {
            Ok(r) => r,
            Err(e) => Err(PoolError::Component {
                name: self.name,
                reason: format!("failed: {e}"),
            }),
        }
    }

    /// Restarts so far.
    pub fn restarts(&self) -> u64 {
        self.restarts.load(Ordering::Relaxed)
    }
}

/// A process that dies this soon after it started counts as a failed start.
const QUICK_DEATH: Duration = Duration::from_secs(10);
/// Failed starts in a row before the supervisor gives up.
const MAX_FAILED_STARTS: u32 = 5;

/// How long to wait before a restart after `failed_starts` quick deaths in
/// a row: half a second after a process that ran a while, doubling for
/// each quick death (a component failing at start does not spin).
fn restart_delay(failed_starts: u32) -> Duration {
    Duration::from_millis(500u64 << failed_starts.min(4))
}

/// The address in a component's `api` file: a multiaddr
/// (`/ip4/127.0.0.1/tcp/PORT/http`), or an API info (`TOKEN:` before it).
fn served_addr(api: &str) -> Option<SocketAddr> {
    api.parse::<venus_rpc::Endpoint>().ok()?.socket_addr()
}

/// Runs `spec` as a process of this binary until `stop`; restarts it when
/// it dies, unless it keeps dying at start. A process restarted after it
/// served (`served`) listens on the same address, where its clients (the
/// other components' configs) expect it.
async fn supervise(
    spec: Spec,
    log: PathBuf,
    stop: CancellationToken,
    restarts: Arc<AtomicU64>,
    served: Arc<OnceLock<SocketAddr>>,
) -> Result<()> {
    let exe =
        std::env::current_exe().map_err(PoolError::io("locating", "the venus-pool binary"))?;
    let mut failed_starts = 0;
    loop {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)
            .map_err(PoolError::io("opening", &log))?;
        let args = match served.get() {
            Some(addr) => spec.listening_on(*addr),
            None => spec.args.clone(),
        };
        let mut child = tokio::process::Command::new(&exe)
            .arg("component")
            .arg(spec.kind.as_str())
            .args(&args)
            .envs(spec.secrets.iter().map(|s| (s.env, s.value.as_str())))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(file)
            .kill_on_drop(true)
            // Its own process group: a terminal's Ctrl-C reaches the pool,
            // which stops the components in order, not all of them at once.
            .process_group(0)
            .spawn()
            .map_err(PoolError::io("starting", &exe))?;
        let started = Instant::now();
        tokio::select! {
            status = child.wait() => {
                if stop.is_cancelled() {
                    return Ok(());
                }
                let status = status.map_or_else(|e| e.to_string(), |s| s.to_string());
                failed_starts = if started.elapsed() < QUICK_DEATH { failed_starts + 1 } else { 0 };
                if failed_starts >= MAX_FAILED_STARTS {
                    return Err(PoolError::Component {
                        name: spec.name,
                        reason: format!("died {failed_starts} times at start ({status}); see {}", log.display()),
                    });
                }
                restarts.fetch_add(1, Ordering::Relaxed);
                let delay = restart_delay(failed_starts);
                tracing::warn!(target: "venus::pool", component = %spec.name, %status, ?delay, "died; restarting");
                tokio::select! {
                    _ = stop.cancelled() => return Ok(()),
                    _ = tokio::time::sleep(delay) => {}
                }
            }
            _ = stop.cancelled() => {
                terminate(&mut child).await;
                return Ok(());
            }
        }
    }
}

/// SIGTERM, then SIGKILL if it has not stopped within 20 s.
async fn terminate(child: &mut tokio::process::Child) {
    if let Some(pid) = child.id() {
        // std and tokio only send SIGKILL; `kill` sends the graceful one.
        let _ = tokio::process::Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()
            .await;
    }
    if tokio::time::timeout(Duration::from_secs(20), child.wait())
        .await
        .is_err()
    {
        let _ = child.kill().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_restart_listens_where_the_first_process_served() {
        let addr: SocketAddr = "127.0.0.1:40123".parse().expect("addr");
        for api in [
            "/ip4/127.0.0.1/tcp/40123/http",
            "eyJhbGciOiJIUzI1NiJ9.e30.sig:/ip4/127.0.0.1/tcp/40123/http\n",
        ] {
            assert_eq!(served_addr(api), Some(addr), "{api}");
        }
        for bad in [
            "",
            "/ip4/127.0.0.1/udp/1/http",
            "/ip4/x/tcp/1",
            "/ip4/127.0.0.1/tcp/99999",
        ] {
            assert_eq!(served_addr(bad), None, "{bad}");
        }
        let spec = |args: &[&str]| Spec {
            name: "c".into(),
            kind: Kind::Miner,
            args: args.iter().map(|a| a.to_string()).collect(),
            ready: PathBuf::new(),
            secrets: Vec::new(),
        };
        assert_eq!(
            spec(&["venus-miner", "run", "--listen", "127.0.0.1:0", "--x"]).listening_on(addr),
            ["venus-miner", "run", "--listen", "127.0.0.1:40123", "--x"]
        );
        assert_eq!(
            spec(&["venus-miner", "run"]).listening_on(addr),
            ["venus-miner", "run", "--listen", "127.0.0.1:40123"]
        );
    }

    #[test]
    fn restarts_back_off_after_quick_deaths() {
        assert_eq!(restart_delay(0), Duration::from_millis(500));
        assert_eq!(restart_delay(1), Duration::from_secs(1));
        assert_eq!(restart_delay(4), Duration::from_secs(8));
        assert_eq!(restart_delay(40), Duration::from_secs(8), "capped");
    }
}
