//! The window PoSt scheduler's fault declarations against a scripted node
//! and messager (`pipeline::testing::MockChain`, over real RPC): sectors
//! whose files are gone are declared faulty once while the declaration is
//! pending; a declaration that fails on chain is sent again as the next
//! attempt, up to `DECLARE_ATTEMPTS`; one that landed is not sent again.

#![allow(missing_docs)]

use std::sync::Arc;

use venus_api::lotus::{BitFieldRuns, DeadlineInfo, Partition};
use venus_api::messager::{MessageState, MessagerClient};
use venus_core::crypto::PrivateKey;
use venus_core::{Address, SignatureType};
use venus_sealer_lib::params::ParamCache;
use venus_sealer_lib::pipeline::testing::MockChain;
use venus_sealer_lib::pipeline::{
    PostConfig, SealingApi, SealingStore, WindowPoster, DECLARE_ATTEMPTS,
};
use venus_sealer_lib::{LocalSectorStore, ProofPool, Prover};

/// Deadline 0 of a 4 × 8 period at epoch 1: the deadline after next (2)
/// opens at 16, its fault cutoff (10 before) is ahead.
fn deadline() -> DeadlineInfo {
    DeadlineInfo {
        current_epoch: 1,
        period_start: 0,
        index: 0,
        open: 0,
        close: 8,
        challenge: -1,
        fault_cutoff: -10,
        w_post_period_deadlines: 4,
        w_post_proving_period: 32,
        w_post_challenge_window: 8,
        w_post_challenge_lookback: 1,
        fault_declaration_cutoff: 10,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_declaration_is_sent_again_and_a_landed_one_is_not() {
    let worker = PrivateKey::generate(SignatureType::BLS)
        .address()
        .expect("worker");
    let live = BitFieldRuns::from_ranges(std::iter::once(0..2));
    let mut chain = MockChain::new(venus_core::test_utils::tipset(1, 1), deadline(), worker);
    chain.partitions = vec![Partition {
        all_sectors: live.clone(),
        faulty_sectors: BitFieldRuns::default(),
        recovering_sectors: BitFieldRuns::default(),
        live_sectors: live.clone(),
        active_sectors: live,
    }];
    chain.sectors = (0..2)
        .map(|n| {
            let comm_r = venus_sealer_lib::types::sealed_cid(&[n as u8; 32]).expect("CommR");
            MockChain::sector(n, 8, comm_r) // StackedDRG2KiBV1P1
        })
        .collect();
    let chain = Arc::new(chain);
    let server = chain.serve().await.expect("serve");
    let url = server.http_url();
    let api = SealingApi::new(
        venus_api::lotus::LotusClient::connect(&url)
            .await
            .expect("node"),
        MessagerClient::connect(&url).await.expect("messager"),
    );
    // No files in the store: both sectors are unprovable.
    let dir = tempfile::tempdir().expect("tempdir");
    let prover = Prover::new(
        Arc::new(ParamCache::open(dir.path().join("params")).expect("params")),
        ProofPool::new(1),
    );
    let poster = WindowPoster::new(
        SealingStore::open("sqlite::memory:").await.expect("store"),
        Arc::new(api),
        prover,
        Arc::new(LocalSectorStore::new(dir.path().join("sectors"))),
        Address::new_id(1000),
        "test",
        PostConfig::default(),
    )
    .expect("poster");
    let head = chain.head.clone();

    let faults = |pushed: Vec<String>| -> Vec<String> {
        pushed
            .into_iter()
            .filter(|id| id.contains("-faults-"))
            .collect()
    };
    poster.pass(&head).await.expect("pass");
    let first = faults(chain.pushed());
    assert_eq!(first.len(), 1, "one declaration: {first:?}");
    assert!(
        first[0].starts_with("t01000-faults-0-2-") && first[0].ends_with("-0"),
        "for deadline 2 of period 0, attempt 0: {}",
        first[0]
    );
    let base = first[0].strip_suffix("-0").expect("attempt 0").to_string();

    // Pending: not sent again.
    poster.pass(&head).await.expect("pass");
    assert_eq!(faults(chain.pushed()), first, "sent once while pending");

    // Failed on chain: sent again as the next attempt.
    chain.set_state(&format!("{base}-0"), MessageState::OnChain, 16);
    poster.pass(&head).await.expect("pass");
    let mut expected = first.clone();
    expected.push(format!("{base}-1"));
    assert_eq!(faults(chain.pushed()), expected, "attempt 1");

    // Landed (the node shows the fault a little later): not sent again.
    chain.set_state(&format!("{base}-1"), MessageState::OnChain, 0);
    poster.pass(&head).await.expect("pass");
    assert_eq!(faults(chain.pushed()), expected, "landed");

    // Given up by the messager: sent again, until the last attempt.
    for attempt in 2..DECLARE_ATTEMPTS {
        chain.set_state(&format!("{base}-{}", attempt - 1), MessageState::Failed, 0);
        poster.pass(&head).await.expect("pass");
        expected.push(format!("{base}-{attempt}"));
        assert_eq!(faults(chain.pushed()), expected, "attempt {attempt}");
    }
    chain.set_state(
        &format!("{base}-{}", DECLARE_ATTEMPTS - 1),
        MessageState::Failed,
        0,
    );
    poster.pass(&head).await.expect("pass");
    assert_eq!(
        faults(chain.pushed()),
        expected,
        "no attempt past {DECLARE_ATTEMPTS}"
    );
}
