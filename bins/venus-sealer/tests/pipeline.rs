//! The sealing pipeline end to end, with real 2 KiB proofs, on a devnet
//! whose node verifies every seal and window PoSt, through the messager:
//!
//! 1. A pledged sector goes through every state (each one seen through
//!    `sectors status`) to proving, and the miner's power grows by one
//!    sector once its first window PoSt lands.
//! 2. Window PoSts over at least three deadlines, the power kept.
//! 3. The sector's sealed file deleted: it is declared faulty or skipped,
//!    and the power drops; the file restored: a recovery is declared, the
//!    next proof there restores the power.

#![allow(missing_docs)]

mod common;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pledged_sector_seals_proves_faults_and_recovers() {
    venus_daemon::init_tracing("warn");
    let d = devnet().await;
    let home = d.dir.path().join("sealer");
    let sealer = SealerProcess::start(&d, &home, &[]);
    d.mine().await;
    let genesis_power = d
        .wait_power("genesis power", Duration::from_secs(60), |p| p > 0)
        .await;
    assert_eq!(genesis_power, GENESIS_SECTORS * SECTOR);

    // 1. Pledge; watch the states go by.
    let pledged = sealer.cli(&["pledge"]);
    let number = pledged["Number"].as_u64().expect("sector number");
    assert_eq!(
        number, GENESIS_SECTORS,
        "the first number the chain has not allocated"
    );
    let mut seen = BTreeSet::new();
    let start = Instant::now();
    loop {
        let s = sealer.cli(&["sectors", "status", &number.to_string()]);
        let state = s["State"].as_str().expect("state").to_string();
        assert_ne!(state, "Failed", "the sector failed: {s}");
        seen.insert(state.clone());
        if state == "Proving" {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(300),
            "stuck in {state}: {s}"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    for state in [
        "PC1",
        "PC2",
        "PreCommitWait",
        "WaitSeed",
        "CommitWait",
        "Proving",
    ] {
        assert!(seen.contains(state), "{state} not seen among {seen:?}");
    }
    let workers = sealer.cli(&["workers", "list"]);
    assert_eq!(
        workers.as_array().map(Vec::len),
        Some(1),
        "the in-process worker: {workers}"
    );
    let grown = d
        .wait_power(
            "the new sector's first window PoSt",
            Duration::from_secs(200),
            |p| p > genesis_power,
        )
        .await;
    assert_eq!(grown, genesis_power + SECTOR, "one sector more");

    // 2. At least three deadlines proven, and the power kept through the
    // next one.
    let landed = |v: &serde_json::Value| {
        v.as_array()
            .expect("posts")
            .iter()
            .filter(|p| p["State"] == "Landed")
            .count()
    };
    let before = landed(&sealer.cli(&["posts"]));
    let start = Instant::now();
    while landed(&sealer.cli(&["posts"])) < (before + 1).max(3) {
        assert_eq!(d.power().await, grown, "power kept between proofs");
        assert!(
            start.elapsed() < Duration::from_secs(200),
            "deadlines not proven"
        );
        tokio::time::sleep(Duration::from_secs(1)).await;
    }

    // 3. The sealed file goes: the power drops by the sector.
    let sealed = d
        .sectors
        .join("sealed")
        .join(format!("s-t0{}-{number}", 1000));
    let kept = d.dir.path().join("kept-sealed");
    std::fs::rename(&sealed, &kept).expect("move the sealed file away");
    d.wait_power("the lost sector's power", Duration::from_secs(200), |p| {
        p == genesis_power
    })
    .await;
    std::fs::rename(&kept, &sealed).expect("restore the sealed file");
    d.wait_power(
        "the recovered sector's power",
        Duration::from_secs(250),
        |p| p == grown,
    )
    .await;
}
