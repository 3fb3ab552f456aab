//! Two `venus-sealer run` instances of one member on one MariaDB
//! database, and two `venus-worker`s that know both (each its own first;
//! only the first runs C2): the sealer the sector was pledged on is
//! killed (SIGKILL) while the worker runs the sector's C2 through it. The
//! worker goes on through the other sealer (the task queue is in the
//! shared database), the other sealer
//! takes the sector to proving, and it keeps proving every deadline,
//! taking over the killed one's deadline leases once they lapse.
//!
//! Skipped, and said so, without `VENUS_TEST_MYSQL_URL`.

#![allow(missing_docs)]

mod common;

use std::time::{Duration, Instant};

use common::*;
use venus_sealer_lib::pipeline::{SealingStore, MIGRATIONS};

/// Landed deadlines proven by the sealer named `owner`, opened after `after`.
fn landed_by(posts: &serde_json::Value, owner: &str, after: i64) -> usize {
    posts
        .as_array()
        .expect("posts")
        .iter()
        .filter(|p| p["State"] == "Landed" && p["Owner"] == owner)
        .filter(|p| {
            let start = p["PeriodStart"].as_i64().expect("period");
            let index = p["Deadline"].as_i64().expect("deadline");
            start + index * WINDOW > after
        })
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_sealers_on_one_mysql_cover_for_each_other() {
    venus_daemon::init_tracing("warn");
    let Some(db) = venus_sql::harness::mysql(&MIGRATIONS).await else {
        return; // The harness said SKIPPED.
    };
    let d = devnet().await;
    d.mine().await;
    let genesis_power = d
        .wait_power("genesis power", Duration::from_secs(60), |p| p > 0)
        .await;
    let shared = [
        "--no-local-worker",
        "--db",
        &db.url,
        "--post-lease-secs",
        "6",
    ];
    let mut a = SealerProcess::start(&d, &d.dir.path().join("sealer-a"), &shared);
    let b = SealerProcess::start(&d, &d.dir.path().join("sealer-b"), &shared);
    let _w1 = WorkerProcess::start_with(&[&a.api, &b.api], &d.sectors, "w1", &[]);
    let _w2 = WorkerProcess::start_with(&[&b.api, &a.api], &d.sectors, "w2", &["--c2", "0"]);
    let number = a.cli(&["pledge"])["Number"].as_u64().expect("number");

    // A dies while w1 proves the sector's C2 through it (the stage that
    // lasts: a minute or more).
    a.wait_state(number, "C2", Duration::from_secs(180)).await;
    let task = format!("t01000-{number}-C2-0");
    a.wait_running("w1", &task, Duration::from_secs(30)).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    a.kill9();
    let killed_at = d.height().await;
    assert_eq!(
        b.running("w1"),
        vec![task.clone()],
        "C2 (a minute or more) was still running at the kill"
    );

    // B finishes the sector: w1's C2 (its heartbeats and result went
    // through B), the commit, and the power.
    b.wait_state(number, "Proving", Duration::from_secs(300))
        .await;
    let store = SealingStore::open(&db.url).await.expect("the shared store");
    let c2 = store.task(&task).await.expect("read").expect("the C2 task");
    assert_eq!(
        (c2.state.as_str(), c2.worker.as_str(), c2.claims),
        ("done", "w1", 1),
        "w1 claimed C2 once, through A, and handed it in through B: {c2:?}"
    );
    let s = b.cli(&["sectors", "status", &number.to_string()]);
    assert_eq!(
        s["CommitMsg"],
        format!("t01000-{number}-commit-0"),
        "one attempt at each step despite the dead sealer: {s}"
    );
    d.wait_power(
        "the sector's first window PoSt",
        Duration::from_secs(200),
        |p| p > genesis_power,
    )
    .await;

    // No deadline that closed after the kill was lost, the one A may have
    // held at the kill included (B takes it once its lease lapses).
    let now = d.height().await;
    let posts = b.cli(&["posts"]);
    for p in posts.as_array().expect("posts") {
        let start = p["PeriodStart"].as_i64().expect("period");
        let close = start + (p["Deadline"].as_i64().expect("deadline") + 1) * WINDOW;
        if close > killed_at && close <= now - 2 {
            assert!(
                p["State"] == "Landed" || p["State"] == "Nothing",
                "a deadline closed after the kill unproven: {p}"
            );
        }
    }

    // B keeps proving: two deadlines opened after the kill landed, by B.
    let owner = std::fs::read_to_string(b.home.join("instance"))
        .expect("B's instance name")
        .trim()
        .to_string();
    let start = Instant::now();
    while landed_by(&b.cli(&["posts"]), &owner, killed_at) < 2 {
        assert!(
            start.elapsed() < Duration::from_secs(150),
            "B proved too few deadlines after the kill: {}",
            b.cli(&["posts"])
        );
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
}
