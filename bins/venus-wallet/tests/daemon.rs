//! The `venus-wallet` daemon as a process: where its config comes from, and
//! a graceful stop on SIGTERM.

#![allow(missing_docs)] // test fixtures

use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_venus-wallet");

/// A port nothing listens on right now.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// Starts `venus-wallet run` on `repo` and returns it with the port of the
/// API info it printed (`TOKEN:/ip4/127.0.0.1/tcp/PORT/http`).
fn start(repo: &std::path::Path, env: &[(&str, String)], args: &[&str]) -> (Child, u16) {
    let mut cmd = Command::new(BIN);
    cmd.arg("--repo")
        .arg(repo)
        .arg("run")
        .args(args)
        .env_remove("VENUS_WALLET_LISTEN")
        .env_remove("VENUS_WALLET_PASSWORD")
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("venus-wallet starts");
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("the API info line");
    let port = line
        .split("/tcp/")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no port in {line:?}"));
    (child, port)
}

fn sigterm(child: &Child) {
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
}

fn wait(mut child: Child) -> std::process::ExitStatus {
    for _ in 0..100 {
        if let Some(s) = child.try_wait().expect("wait") {
            return s;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    panic!("the daemon did not stop within 5 s");
}

#[test]
fn the_listen_address_comes_from_the_file_then_the_environment_then_the_flag() {
    let repo = tempfile::tempdir().expect("repo");
    let (file, env, flag) = (free_port(), free_port(), free_port());
    std::fs::write(
        repo.path().join("config.toml"),
        format!("listen = \"127.0.0.1:{file}\"\n"),
    )
    .expect("config");
    let env_var = [("VENUS_WALLET_LISTEN", format!("127.0.0.1:{env}"))];
    let flag_arg = format!("127.0.0.1:{flag}");
    for (env, args, want) in [
        (&[][..], &[][..], file),
        (&env_var[..], &[][..], env),
        (&env_var[..], &["--listen", flag_arg.as_str()][..], flag),
    ] {
        let (child, port) = start(repo.path(), env, args);
        assert_eq!(port, want);
        // The repo's `api` file says the same.
        let api = std::fs::read_to_string(repo.path().join("api")).expect("api file");
        assert!(api.contains(&format!("/tcp/{want}/")), "{api}");
        // It holds a sign token: its owner's alone.
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(repo.path().join("api"))
            .expect("api file")
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "api file mode {mode:o}");
        sigterm(&child);
        assert!(wait(child).success());
    }
}

#[test]
fn sigterm_stops_the_daemon_gracefully() {
    let repo = tempfile::tempdir().expect("repo");
    let (child, port) = start(repo.path(), &[], &["--listen", "127.0.0.1:0"]);
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    TcpStream::connect_timeout(&addr, Duration::from_secs(2)).expect("it listens");
    sigterm(&child);
    let status = wait(child);
    assert_eq!(status.code(), Some(0), "exit code 0 after SIGTERM");
    assert!(
        TcpStream::connect_timeout(&addr, Duration::from_millis(500)).is_err(),
        "the socket is closed"
    );
}
