//! Crashes in the sealing pipeline, with real 2 KiB proofs: workers are
//! `venus-worker` processes, and each crash is a SIGKILL.
//!
//! 1. The sealer is killed while its sector waits for the seed; restarted
//!    on the same repo, it resumes the sector where its row says.
//! 2. The worker running the sector's C2 is killed; its lease lapses, the
//!    task goes back to the queue and another worker finishes it. (C2 is
//!    the stage that lasts: a 2 KiB PC2 takes about 40 ms here, too short
//!    to kill a worker in.)
//!
//! The sector ends proving and the miner's power grows by it.

#![allow(missing_docs)]

mod common;

use std::time::Duration;

use common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sector_survives_a_killed_sealer_and_a_killed_worker() {
    venus_daemon::init_tracing("warn");
    let d = devnet().await;
    d.mine().await;
    let genesis_power = d
        .wait_power("genesis power", Duration::from_secs(60), |p| p > 0)
        .await;
    let home = d.dir.path().join("sealer");
    let mut sealer = SealerProcess::start(&d, &home, &["--no-local-worker"]);
    let mut w1 = WorkerProcess::start(&sealer.api, &d.sectors, "w1");
    let number = sealer.cli(&["pledge"])["Number"].as_u64().expect("number");

    // 1. Killed while waiting for the seed.
    sealer
        .wait_state(number, "WaitSeed", Duration::from_secs(120))
        .await;
    sealer.kill9();
    w1.kill9();
    tokio::time::sleep(Duration::from_secs(2 * DELAY)).await;
    let sealer = SealerProcess::start(&d, &home, &["--no-local-worker"]);
    assert_eq!(
        sealer.state(number),
        "WaitSeed",
        "the row survived the kill"
    );
    let mut w2 = WorkerProcess::start(&sealer.api, &d.sectors, "w2");

    // 2. The worker killed in C2; another takes the task over.
    sealer
        .wait_state(number, "C2", Duration::from_secs(120))
        .await;
    let task = format!("t01000-{number}-C2-0");
    sealer
        .wait_running("w2", &task, Duration::from_secs(30))
        .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    w2.kill9();
    let _w3 = WorkerProcess::start(&sealer.api, &d.sectors, "w3");
    let start = std::time::Instant::now();
    while !sealer.running("w3").contains(&task) {
        assert_eq!(
            sealer.state(number),
            "C2",
            "C2 does not finish without a worker"
        );
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "w3 never took {task} over"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    sealer
        .wait_state(number, "Proving", Duration::from_secs(300))
        .await;
    let s = sealer.cli(&["sectors", "status", &number.to_string()]);
    assert_eq!(
        s["CommitMsg"],
        format!("t01000-{number}-commit-0"),
        "a lapsed lease is not a failure: the first attempt went through: {s}"
    );
    d.wait_power(
        "the sector's first window PoSt",
        Duration::from_secs(200),
        |p| p > genesis_power,
    )
    .await;
}
