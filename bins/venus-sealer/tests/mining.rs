//! The pool's miner mines on winning PoSts that the member's
//! `venus-sealer run` (the full pipeline: sealing, window PoSt and the
//! `ComputeProof` server) computes over RPC; the node verifies each one
//! for real (2 KiB sectors, 10 s epochs: a real winning PoSt takes about
//! 7 s on these 2 cores). The sealer refuses to prove for a miner that is
//! not its own.

#![allow(missing_docs)]

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;
use venus_api::lotus::{AuthNew, AuthVerify};
use venus_api::sealer::ProverClient;
use venus_core::traits::{ChainRead, ComputeProof};
use venus_core::types::ExtendedSectorInfo;
use venus_core::Address;
use venus_rpc::Permission;

/// Non-null tipsets above genesis (the member is the devnet's one miner).
async fn mined(d: &Devnet) -> usize {
    let mut ts = d.node.head().await.expect("head");
    let mut n = 0;
    while ts.height() > 0 {
        n += 1;
        ts = d.node.tipset(&ts.parents()).await.expect("parent");
    }
    n
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pool_miner_mines_on_winning_posts_from_the_members_sealer() {
    venus_daemon::init_tracing("warn");
    let d = devnet_with(Options {
        delay: 10,
        real_winning_post: true,
    })
    .await;
    let home = d.dir.path().join("sealer");
    let sealer = SealerProcess::start(&d, &home, &[]);
    let prover = Arc::new(ProverClient::connect(&sealer.api).await.expect("sealer"));

    // Lotus's `AuthNew` and `AuthVerify`, as on lotus-miner: the repo's
    // admin token makes one that only reads, and it reads back as that.
    let admin = venus_rpc::RpcClient::connect(&sealer.api)
        .await
        .expect("sealer");
    let reader = admin
        .call::<AuthNew>((vec![Permission::Read],))
        .await
        .expect("AuthNew");
    let reader = String::from_utf8(reader.0).expect("a token");
    assert_eq!(
        admin
            .call::<AuthVerify>((reader,))
            .await
            .expect("AuthVerify"),
        vec![Permission::Read]
    );

    // Not its miner: refused before any proof is computed.
    let sector = ExtendedSectorInfo {
        seal_proof: venus_core::RegisteredSealProof::StackedDRG2KiBV1P1,
        sector_number: 0,
        sector_key: None,
        sealed_cid: d.node.head().await.expect("head").blocks()[0].parent_state_root,
    };
    let err = prover
        .compute_winning_post(&Address::new_id(1001), &[sector], &[7; 32])
        .await
        .expect_err("another miner's winning PoSt");
    assert!(
        err.to_string().contains("01001"),
        "the refusal names the miner: {err}"
    );

    // A winning PoSt its caller gives up on is killed, not left to run
    // into the next round: the sealer proves in a child process, which
    // is gone soon after the request is dropped (an idle child stays: it
    // ends only when killed or when the sealer closes its stdin).
    assert!(sealer.post_children().is_empty(), "no child before a proof");
    let sealed = venus_sealer_lib::PreSealMiner::read(&d.sectors, 1000)
        .expect("pre-seal manifest")
        .sealed();
    let sector = ExtendedSectorInfo {
        seal_proof: sealed[0].proof,
        sector_number: sealed[0].number,
        sector_key: None,
        sealed_cid: sealed[0].sealed_cid,
    };
    let proof = prover.compute_winning_post(&d.miner, std::slice::from_ref(&sector), &[9; 32]);
    let abandoned = tokio::select! {
        out = proof => panic!("the proof ended before it was given up: {out:?}"),
        pid = async {
            loop {
                if let [pid] = sealer.post_children()[..] {
                    break pid;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        } => pid,
    };
    let gone = Instant::now();
    while sealer.post_children().contains(&abandoned) {
        assert!(
            gone.elapsed() < Duration::from_secs(10),
            "the proving process {abandoned} still runs 10 s after its request was dropped"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    d.mine_with(prover, Duration::from_secs(20)).await;
    let start = Instant::now();
    let limit = Duration::from_secs(200);
    loop {
        let n = mined(&d).await;
        if n >= 4 {
            break;
        }
        assert!(
            start.elapsed() < limit,
            "{n} blocks mined in {limit:?} (height {})",
            d.height().await
        );
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
    // Those blocks' proofs came from a new child, which stays for the next
    // (a round that timed out just now may have killed one: the next round
    // starts another).
    let start = Instant::now();
    loop {
        let children = sealer.post_children();
        if children.len() == 1 && children[0] != abandoned {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "one new proving process after the killed one ({abandoned}): {children:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
