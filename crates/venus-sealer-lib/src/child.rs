//! [`PostChild`]: PoSts proved in a child process, so a proof nobody waits
//! for any more can be stopped.
//!
//! filecoin-proofs cannot interrupt a proof once it runs. On a thread of
//! this process, a winning PoSt that the miner gave up on (its round timed
//! out, its request was dropped) would keep running to the end, holding a
//! core and the member's proof slot into the next round, whose proof then
//! starts late and can miss its round too. In a child process it is killed
//! the moment its caller stops waiting.
//!
//! The child is long-lived: it proves one job after another and keeps
//! filecoin-proofs' parameters loaded between them. Only a proof that is
//! abandoned costs a restart (the next proof loads the parameters again).
//! The child is this crate's hidden `venus-sealer post-child` command
//! ([`serve`]), reached through a [`ChildCommand`].
//!
//! "Gives up" means the job's future is dropped. A daemon's RPC server
//! drops it when an HTTP caller closes its connection, as a caller that
//! times out does (the pool's miner reaches sealers over HTTP), and when a
//! WebSocket caller cancels the call (`xrpc.cancel`, which venus-rpc's
//! client sends for a call its caller dropped).
//!
//! ```no_run
//! # fn wire(prover: venus_sealer_lib::Prover, store: std::sync::Arc<dyn venus_sealer_lib::SectorStore>) {
//! use std::sync::Arc;
//! use venus_sealer_lib::child::{ChildCommand, PostChild};
//! use venus_sealer_lib::PostProver;
//!
//! // `venus-sealer post-child` proves; a dropped proof kills it.
//! let child = PostChild::new(ChildCommand::new("venus-sealer", Vec::<String>::new()));
//! let post = PostProver::new(prover, store).in_child(Arc::new(child));
//! # }
//! ```

use std::ffi::OsString;
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdin, ChildStdout};

use crate::error::{Result, SealerError};
use crate::prover::PostJob;

/// This process's executable file on Linux.
const PROC_SELF_EXE: &str = "/proc/self/exe";

/// The argument, after [`ChildCommand`]'s own, that makes a venus-sealer
/// command line the proving child ([`serve`]).
pub const CHILD_ARG: &str = "post-child";

/// How to start a proving child: a program and the arguments before
/// [`CHILD_ARG`], so that `program args… post-child` runs venus-sealer's
/// `post-child` command (the venus-sealer binary with no arguments; a
/// binary that embeds venus-sealer's CLI under a subcommand, with it).
#[derive(Debug, Clone)]
pub struct ChildCommand {
    program: PathBuf,
    args: Vec<OsString>,
}

impl ChildCommand {
    /// `program args… post-child`.
    pub fn new(
        program: impl Into<PathBuf>,
        args: impl IntoIterator<Item = impl Into<OsString>>,
    ) -> Self {
        Self {
            program: program.into(),
            args: args.into_iter().map(Into::into).collect(),
        }
    }

    /// This process's own executable, with `args` before `post-child`.
    /// On Linux that is `/proc/self/exe`: the file this process runs,
    /// even after an upgrade replaced or removed the path it started
    /// from, so a child always speaks its parent's protocol.
    pub fn current_exe(args: impl IntoIterator<Item = impl Into<OsString>>) -> Result<Self> {
        let running = Path::new(PROC_SELF_EXE);
        let exe = if running.exists() {
            running.to_path_buf()
        } else {
            std::env::current_exe().map_err(|e| SealerError::io("the current executable", e))?
        };
        Ok(Self::new(exe, args))
    }

    fn display(&self) -> String {
        let mut line = self.program.display().to_string();
        if self.program == Path::new(PROC_SELF_EXE) {
            if let Ok(exe) = std::env::current_exe() {
                line = format!("{line} ({})", exe.display());
            }
        }
        for a in &self.args {
            line.push(' ');
            line.push_str(&a.to_string_lossy());
        }
        line.push(' ');
        line.push_str(CHILD_ARG);
        line
    }
}

/// What the child answers for one job.
#[derive(Debug, Serialize, Deserialize)]
enum Answer {
    /// Each partition's proof bytes.
    Proofs(Vec<Vec<u8>>),
    /// Why it could not prove.
    Failed(String),
    /// The line was not a job (a parent of another version?).
    Refused(String),
    /// The proving library panicked (the child is not reused).
    Panicked(String),
}

/// A child process proving one job at a time (see the module docs).
///
/// Jobs queue for the child in the order they arrive. A job whose future is
/// dropped while it proves kills the child (SIGKILL); the next job starts
/// a new one. A child that dies during a job, refuses it or answers
/// something else fails that job with [`SealerError::ProofProcess`], one
/// that panics with [`SealerError::Panicked`], and it is replaced the same
/// way; one found dead when a job comes is replaced first.
#[derive(Debug)]
pub struct PostChild {
    command: ChildCommand,
    idle: tokio::sync::Mutex<Option<Running>>,
    pid: Mutex<Option<u32>>,
    started: AtomicU64,
}

#[derive(Debug)]
struct Running {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

/// The child while a job runs: dropped before the job ends (its future
/// dropped, or an error), it kills the child.
struct Proving<'a> {
    running: Option<Running>,
    pid: &'a Mutex<Option<u32>>,
    stage: &'static str,
}

impl Drop for Proving<'_> {
    fn drop(&mut self) {
        if let Some(mut running) = self.running.take() {
            let pid = running.child.id();
            // `kill_on_drop` would too; start_kill says so now, before the
            // next job may start another child.
            let _ = running.child.start_kill();
            if let Ok(mut p) = self.pid.lock() {
                *p = None;
            }
            tracing::info!(
                target: "venus::sealer",
                stage = self.stage,
                pid,
                "proof stopped before it ended (its caller gave up, or the child failed): killed its process"
            );
        }
    }
}

impl PostChild {
    /// Proves in children started by `command`; none runs until the first job.
    pub fn new(command: ChildCommand) -> Self {
        Self {
            command,
            idle: tokio::sync::Mutex::new(None),
            pid: Mutex::new(None),
            started: AtomicU64::new(0),
        }
    }

    /// The id of the child process last started, until a dropped or
    /// failed job kills it (one that died while idle is noticed, and
    /// replaced, at the next job).
    pub fn pid(&self) -> Option<u32> {
        self.pid.lock().ok().and_then(|p| *p)
    }

    /// How many child processes were started so far (one, unless proofs
    /// were abandoned or children died).
    pub fn started(&self) -> u64 {
        self.started.load(Ordering::Relaxed)
    }

    fn spawn(&self, stage: &'static str) -> Result<Running> {
        let failed = |reason: String| SealerError::ProofProcess { stage, reason };
        let mut command = tokio::process::Command::new(&self.command.program);
        // Its log goes where this process's goes: warnings and errors
        // only (filecoin-proofs logs every proof at info), unless RUST_LOG
        // says otherwise.
        if std::env::var_os("RUST_LOG").is_none() {
            command.env("RUST_LOG", "warn");
        }
        let mut child = command
            .args(&self.command.args)
            .arg(CHILD_ARG)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            // Not in the terminal's process group: Ctrl-C reaches the
            // parent only, which stops the child as it shuts down.
            .process_group(0)
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| failed(format!("starting `{}`: {e}", self.command.display())))?;
        let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
            return Err(failed("the child has no pipes".into()));
        };
        self.started.fetch_add(1, Ordering::Relaxed);
        if let Ok(mut p) = self.pid.lock() {
            *p = child.id();
        }
        tracing::debug!(target: "venus::sealer", pid = child.id(), "started a proving process");
        Ok(Running {
            child,
            stdin,
            stdout: BufReader::new(stdout),
        })
    }

    /// Proves `job` in the child, starting one if none runs.
    pub(crate) async fn prove(&self, job: PostJob) -> Result<Vec<Vec<u8>>> {
        let stage = job.stage();
        let failed = |reason: String| SealerError::ProofProcess { stage, reason };
        let mut line = serde_json::to_string(&job).map_err(|e| failed(e.to_string()))?;
        line.push('\n');
        let mut idle = self.idle.lock().await;
        let running = match idle.take() {
            Some(mut r) => match r.child.try_wait() {
                Ok(None) => r,
                // It died while idle (OOM, an operator): a new one.
                _ => self.spawn(stage)?,
            },
            None => self.spawn(stage)?,
        };
        let mut proving = Proving {
            running: Some(running),
            pid: &self.pid,
            stage,
        };
        let answer = {
            let Some(r) = proving.running.as_mut() else {
                return Err(failed("no child".into()));
            };
            let io = async {
                r.stdin.write_all(line.as_bytes()).await?;
                r.stdin.flush().await?;
                let mut answer = String::new();
                let n = r.stdout.read_line(&mut answer).await?;
                std::io::Result::Ok((n, answer))
            };
            match io.await {
                Ok((0, _)) | Err(_) => {
                    let status = match r.child.try_wait() {
                        Ok(Some(status)) => status.to_string(),
                        _ => "its pipe closed".into(),
                    };
                    return Err(failed(format!(
                        "`{}` ended without an answer ({status}); its log says why",
                        self.command.display()
                    )));
                }
                Ok((_, answer)) => answer,
            }
        };
        let answer: Answer = serde_json::from_str(&answer)
            .map_err(|e| failed(format!("the child answered something else: {e}")))?;
        match answer {
            // Answered: kept for the next job.
            Answer::Proofs(proofs) => {
                *idle = proving.running.take();
                Ok(proofs)
            }
            Answer::Failed(reason) => {
                *idle = proving.running.take();
                Err(SealerError::Proof { stage, reason })
            }
            // Not kept (`proving` kills it).
            Answer::Refused(why) => Err(failed(format!(
                "`{}` does not take this job: {why}",
                self.command.display()
            ))),
            Answer::Panicked(reason) => Err(SealerError::Panicked { stage, reason }),
        }
    }
}

/// The child's side: reads one job per line from `input`, proves it and
/// writes one answer per line to `output`, until `input` ends (its parent
/// closed the pipe or died) or its answer has nobody to read it. A line
/// that is not a job is refused; a panic in the proving library is
/// answered as one (its parent then replaces this process).
pub fn serve(input: impl BufRead, mut output: impl Write) -> Result<()> {
    for line in input.lines() {
        let line = line.map_err(|e| SealerError::io("the parent's pipe", e))?;
        let answer = match serde_json::from_str::<PostJob>(&line) {
            Err(e) => Answer::Refused(format!("not a proof job: {e}")),
            Ok(job) => match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job.run())) {
                Ok(Ok(proofs)) => Answer::Proofs(proofs),
                Ok(Err(e)) => Answer::Failed(match e {
                    SealerError::Proof { reason, .. } => reason,
                    other => other.to_string(),
                }),
                Err(payload) => Answer::Panicked(crate::pool::panic_message(payload)),
            },
        };
        let mut text =
            serde_json::to_string(&answer).map_err(|e| SealerError::InvalidInput(e.to_string()))?;
        text.push('\n');
        match output
            .write_all(text.as_bytes())
            .and_then(|()| output.flush())
        {
            Ok(()) => {}
            // The parent ended while this proof ran: nobody to answer.
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => return Ok(()),
            Err(e) => return Err(SealerError::io("the parent's pipe", e)),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    /// A winning PoSt job over one sector whose files are not there.
    fn job(dir: &std::path::Path) -> PostJob {
        let paths = serde_json::json!({
            "sector": {"miner": 1000, "number": 3},
            "sealed": dir.join("sealed"),
            "cache": dir.join("cache"),
            "unsealed": dir.join("unsealed"),
        });
        let (randomness, comm_r) = ([7u8; 32], [1u8; 32]);
        serde_json::from_value(serde_json::json!({
            "kind": "Winning",
            "post_type": 0,
            "miner": 1000,
            "randomness": randomness,
            "sector_bytes": 2048,
            "replicas": [[comm_r, paths]],
        }))
        .expect("a job")
    }

    /// A child that is `sh -c script` (`post-child` is its `$0`).
    fn sh(script: &str) -> PostChild {
        PostChild::new(ChildCommand::new("sh", ["-c", script]))
    }

    fn alive(pid: u32) -> bool {
        std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| {
            s.rsplit_once(')')
                .is_some_and(|(_, r)| !r.trim_start().starts_with('Z'))
        })
    }

    #[test]
    fn the_child_answers_every_line_and_ends_with_its_input() {
        let dir = tempfile::tempdir().expect("tempdir");
        let input = format!(
            "not a job\n{}\n",
            serde_json::to_string(&job(dir.path())).expect("json")
        );
        let mut out = Vec::new();
        serve(input.as_bytes(), &mut out).expect("served");
        let answers: Vec<Answer> = String::from_utf8(out)
            .expect("utf-8")
            .lines()
            .map(|l| serde_json::from_str(l).expect("an answer per line"))
            .collect();
        match &answers[..] {
            [Answer::Refused(bad), Answer::Failed(missing)] => {
                assert!(bad.starts_with("not a proof job"), "{bad}");
                assert!(
                    missing.contains("s-t01000-3") && missing.contains("missing"),
                    "the job's own error: {missing}"
                );
            }
            other => panic!("a refusal and a failure expected: {other:?}"),
        }
    }

    #[tokio::test]
    async fn a_dropped_proof_kills_its_child_and_the_next_starts_another() {
        let dir = tempfile::tempdir().expect("tempdir");
        // Takes the job, never answers: a proof that runs for ever.
        let child = sh("read job; exec sleep 60");
        let proof = tokio::time::timeout(Duration::from_millis(500), child.prove(job(dir.path())));
        assert!(proof.await.is_err(), "no answer within 500 ms");
        assert_eq!(child.pid(), None, "no child once the proof was dropped");
        assert_eq!(child.started(), 1);

        let proof = tokio::time::timeout(Duration::from_secs(5), async {
            let running = child.prove(job(dir.path()));
            tokio::pin!(running);
            // The second child, while it proves.
            loop {
                tokio::select! {
                    _ = &mut running => panic!("the sleeping child answered"),
                    _ = tokio::time::sleep(Duration::from_millis(20)) => {}
                }
                if let Some(pid) = child.pid() {
                    break pid;
                }
            }
        });
        let second = proof.await.expect("a second child within 5 s");
        assert_eq!(child.started(), 2);
        let killed = std::time::Instant::now();
        while alive(second) {
            assert!(
                killed.elapsed() < Duration::from_secs(5),
                "the second child still runs 5 s after its proof was dropped"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    #[tokio::test]
    async fn a_child_that_dies_or_babbles_fails_its_job_and_is_replaced() {
        let dir = tempfile::tempdir().expect("tempdir");
        let dies = sh("exit 3");
        for n in 1..=2 {
            let err = dies.prove(job(dir.path())).await.expect_err("no answer");
            assert!(
                matches!(err, SealerError::ProofProcess { .. })
                    && err.to_string().contains("ended without an answer"),
                "{err}"
            );
            assert_eq!(dies.started(), n, "a new child for each job");
        }
        let babbles = sh("read job; echo hello");
        let err = babbles
            .prove(job(dir.path()))
            .await
            .expect_err("not an answer");
        assert!(err.to_string().contains("answered something else"), "{err}");
        assert_eq!(babbles.pid(), None);
    }

    #[tokio::test]
    async fn a_child_found_dead_when_a_job_comes_is_replaced_first() {
        let dir = tempfile::tempdir().expect("tempdir");
        // Answers one job, then exits while idle.
        let once = sh(r#"read job; echo '{"Proofs":[[1,2]]}'"#);
        for n in 1..=2 {
            let proofs = once.prove(job(dir.path())).await.expect("an answer");
            assert_eq!(proofs, vec![vec![1, 2]]);
            assert_eq!(once.started(), n);
            // Let it exit before the next job.
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    }

    #[tokio::test]
    async fn a_child_that_refuses_the_job_is_not_kept() {
        let dir = tempfile::tempdir().expect("tempdir");
        let refuses = sh(r#"read job; echo '{"Refused":"not a proof job"}'; exec sleep 60"#);
        let err = refuses.prove(job(dir.path())).await.expect_err("refused");
        assert!(
            matches!(err, SealerError::ProofProcess { .. })
                && err.to_string().contains("does not take this job"),
            "{err}"
        );
        assert_eq!(refuses.pid(), None, "killed, not kept");
    }
}
