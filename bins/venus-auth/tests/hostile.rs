//! The `venus-auth` process against bad setup and hostile requests.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

fn venus_auth(dir: &std::path::Path, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_venus-auth"));
    c.arg("--repo")
        .arg(dir)
        .arg("--db")
        .arg(format!(
            "sqlite://{}?mode=rwc",
            dir.join("auth.db").display()
        ))
        .arg("--secret-file")
        .arg(dir.join("secret"))
        .args(args)
        .env("RUST_LOG", "warn");
    c
}

#[test]
fn an_empty_or_short_secret_file_stops_the_daemon_naming_the_file() {
    let dir = tempfile::tempdir().expect("dir");
    let secret = dir.path().join("secret");
    for content in ["", "00112233"] {
        std::fs::write(&secret, content).expect("write");
        for args in [&["run", "--listen", "127.0.0.1:0"][..], &["user-list"][..]] {
            let out = venus_auth(dir.path(), args).output().expect("run");
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(!out.status.success(), "{args:?} started with {content:?}");
            assert!(stderr.contains(&secret.display().to_string()), "{stderr}");
            assert!(stderr.contains("fewer than the 32 required"), "{stderr}");
        }
    }
    // Deleting it, as the message says, makes a new one of 32 bytes.
    std::fs::remove_file(&secret).expect("rm");
    let out = venus_auth(dir.path(), &["user-list"])
        .output()
        .expect("run");
    assert!(out.status.success());
    let hex = std::fs::read_to_string(&secret).expect("created");
    assert_eq!(hex.trim().len(), 64);
}

struct Daemon(std::process::Child);

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Peak resident memory of a process, in KiB (Linux).
fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[tokio::test]
async fn a_million_item_batch_gets_one_small_error_from_the_daemon() {
    let dir = tempfile::tempdir().expect("dir");
    let mut child = venus_auth(dir.path(), &["run", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("listening line");
    let pid = child.id();
    let daemon = Daemon(child);
    let info = line
        .trim()
        .strip_prefix("AUTH_API_INFO=")
        .unwrap_or_else(|| panic!("unexpected {line:?}"));
    let url = info
        .parse::<venus_rpc::Endpoint>()
        .expect("the daemon's API info")
        .url;
    // A million items (2 MB) fit the daemon's 2 MiB body limit: the batch
    // cap refuses them, with one error, before any item is parsed.
    let body = format!("[{}0]", "0,".repeat(999_999));
    let resp = reqwest::Client::new()
        .post(&url)
        .body(body)
        .send()
        .await
        .expect("post");
    let text = resp.text().await.expect("text");
    assert!(text.len() < 200, "{} bytes", text.len());
    assert!(text.contains("more than 100 requests"), "{text}");
    // It still answers, and says so when one asks without a token.
    let resp = reqwest::Client::new()
        .post(&url)
        .body(r#"{"jsonrpc":"2.0","id":1,"method":"Venus.AuthListUsers","params":[]}"#)
        .send()
        .await
        .expect("post");
    let text = resp.text().await.expect("text");
    assert!(text.contains("needs a token"), "{text}");
    if let Some(kib) = peak_rss_kib(pid) {
        eprintln!(
            "venus-auth peak RSS after the 1M-item batch: {} MiB",
            kib / 1024
        );
    }
    drop(daemon);
}
