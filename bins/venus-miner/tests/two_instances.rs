//! Two `venus-miner` processes of one pool on one MariaDB database: for
//! every (miner, epoch) one of them has the block signed, never both;
//! when one is killed (SIGKILL) the other keeps every member mining.

mod common;

use std::collections::HashSet;
use std::time::{Duration, Instant};

use common::{pool, MinerProcess, MINERS};
use venus_miner_lib::MIGRATIONS;

const LIMIT: Duration = Duration::from_secs(300);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_share_the_epochs_and_cover_for_each_other() {
    let Some(db) = venus_sql::harness::mysql(&MIGRATIONS).await else {
        eprintln!("SKIPPED: two miner instances need MySQL (VENUS_TEST_MYSQL_URL)");
        return;
    };
    let pool = pool().await;
    let a_repo = pool.miner_repo("miner-a", &db.url);
    let b_repo = pool.miner_repo("miner-b", &db.url);
    let mut a = MinerProcess::start(&a_repo);
    let b = MinerProcess::start(&b_repo);
    pool.wait_signed(0, 6, LIMIT).await;
    pool.observed.assert_no_double_sign();
    // Both ran every round; for a block one claimed, the other's record
    // says it was mined elsewhere.
    let blocks = b.cli(&["blocks", "--limit", "100"]);
    assert!(
        blocks.as_array().is_some_and(|l| l.len() >= 6),
        "the shared database lists the pool's blocks: {blocks}"
    );
    let mut instances = HashSet::new();
    let mut elsewhere = 0;
    for miner in &pool.miners {
        let records = b.cli(&[
            "records",
            &miner.to_string(),
            "--epoch",
            "0",
            "--limit",
            "288",
        ]);
        for r in records.as_array().expect("records") {
            instances.insert(r["instance"].as_str().unwrap_or_default().to_string());
            elsewhere += usize::from(r["outcome"] == "Elsewhere");
        }
    }
    assert_eq!(
        instances.len(),
        2,
        "both instances ran rounds: {instances:?}"
    );
    assert!(
        elsewhere > 0,
        "no round found its block claimed by the other instance"
    );

    a.kill9();
    let killed_at = Instant::now();
    // Every member gets a block signed by the survivor.
    let after = loop {
        let after: HashSet<_> = pool
            .observed
            .blocks()
            .into_iter()
            .filter(|b| b.at > killed_at)
            .map(|b| b.miner)
            .collect();
        if after.len() as u64 == MINERS || killed_at.elapsed() > LIMIT {
            break after;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    pool.observed.assert_no_double_sign();
    assert_eq!(
        after.len() as u64,
        MINERS,
        "every member mined after one instance died: {after:?}"
    );
    let chain = pool.chain_blocks().await;
    assert_eq!(chain.len() as u64, MINERS, "every member's blocks landed");
    drop(b);
}
