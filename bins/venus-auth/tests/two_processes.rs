//! A rate limit holds across two `venus-auth` processes sharing Redis.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use venus_rpc::{codes, ClientConfig, Endpoint, Error, NoParams, RpcClient};

venus_rpc::rpc_method! {
    /// The daemon's user list (read).
    pub ListUsers = "Venus.AuthListUsers", read, NoParams => serde_json::Value
}

fn venus_auth(dir: &std::path::Path, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_venus-auth"));
    c.arg("--repo").arg(dir);
    c.arg("--db").arg(format!(
        "sqlite://{}?mode=rwc",
        dir.join("auth.db").display()
    ));
    c.arg("--secret-file").arg(dir.join("secret"));
    c.args(args);
    c
}

fn cli(dir: &std::path::Path, args: &[&str]) -> String {
    let out = venus_auth(dir, args).output().expect("run venus-auth");
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf8")
}

struct Daemon(Child, String);

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn daemon(dir: &std::path::Path, redis: &str) -> Daemon {
    let mut child = venus_auth(dir, &["run", "--listen", "127.0.0.1:0", "--redis", redis])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn daemon");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("listening line");
    let info = line
        .trim()
        .strip_prefix("AUTH_API_INFO=")
        .unwrap_or_else(|| panic!("unexpected {line:?}"));
    let endpoint: Endpoint = info.parse().expect("the daemon's API info");
    Daemon(child, endpoint.url)
}

#[tokio::test]
async fn a_rate_limit_holds_across_two_processes_sharing_redis() {
    let Ok(redis) = std::env::var("VENUS_TEST_REDIS_URL") else {
        eprintln!(
            "SKIPPED: VENUS_TEST_REDIS_URL is not set; the cross-process limit was not tested"
        );
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let user = format!("u{}", std::process::id());
    cli(dir.path(), &["user-add", &user]);
    cli(
        dir.path(),
        &[
            "rate-limit",
            &user,
            "--requests",
            "6",
            "--window-ms",
            "60000",
        ],
    );
    let token: String =
        serde_json::from_str(&cli(dir.path(), &["token-create", &user, "--perm", "read"]))
            .expect("token json");
    // Bad input to the CLI fails with a message, not a panic.
    let bad = venus_auth(dir.path(), &["token-create", "nobody"])
        .output()
        .expect("run");
    assert!(!bad.status.success() && String::from_utf8_lossy(&bad.stderr).contains("not found"));

    let (a, b) = (daemon(dir.path(), &redis), daemon(dir.path(), &redis));
    let client = |url: &str| {
        RpcClient::connect_with(
            Endpoint::new(url, Some(token.clone())),
            ClientConfig::default(),
        )
    };
    let (ca, cb) = (
        client(&a.1).await.expect("a"),
        client(&b.1).await.expect("b"),
    );
    let mut ok = 0;
    let mut limited = 0;
    for i in 0..10 {
        let c = if i % 2 == 0 { &ca } else { &cb };
        match c.call::<ListUsers>([]).await {
            Ok(_) => ok += 1,
            Err(Error::Rpc(e)) if e.code == codes::RATE_LIMITED => limited += 1,
            Err(e) => panic!("unexpected {e}"),
        }
    }
    assert_eq!(
        (ok, limited),
        (6, 4),
        "six calls in all, whichever process took them"
    );
}
