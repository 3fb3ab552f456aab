//! The window PoSt scheduler's fault declarations against a scripted node
//! and messager (`pipeline::testing::MockChain`, over real RPC): sectors
//! whose files are gone are declared faulty once while the declaration is
//! pending; one the messager gives up is sent again as the next attempt,
//! up to `DECLARE_ATTEMPTS`; one that landed, or that the actor refused,
//! is not sent again.

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

/// A scheduler over a scripted chain whose two sectors have no files.
struct Setup {
    chain: Arc<MockChain>,
    poster: WindowPoster,
    _server: venus_rpc::ServerHandle,
    _dir: tempfile::TempDir,
}

impl Setup {
    async fn new() -> Setup {
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
        let dir = tempfile::tempdir().expect("tempdir");
        let prover = Prover::new(
            Arc::new(ParamCache::from_env().expect("params")),
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
        Setup {
            chain,
            poster,
            _server: server,
            _dir: dir,
        }
    }

    /// One pass; the fault declarations pushed so far.
    async fn pass(&self) -> Vec<String> {
        self.poster.pass(&self.chain.head).await.expect("pass");
        self.chain
            .pushed()
            .into_iter()
            .filter(|id| id.contains("-faults-"))
            .collect()
    }

    /// The first declaration's id without its attempt, after a pass
    /// that sent it and one that did not send it again while pending.
    async fn first(&self) -> String {
        let first = self.pass().await;
        assert_eq!(first.len(), 1, "one declaration: {first:?}");
        assert!(
            first[0].starts_with("t01000-faults-0-2-") && first[0].ends_with("-0"),
            "for deadline 2 of period 0, attempt 0: {}",
            first[0]
        );
        assert_eq!(self.pass().await, first, "sent once while pending");
        first[0].strip_suffix("-0").expect("attempt 0").to_string()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_declaration_the_messager_gave_up_is_sent_again_up_to_the_limit() {
    let s = Setup::new().await;
    let base = s.first().await;
    let mut expected = vec![format!("{base}-0")];
    for attempt in 1..DECLARE_ATTEMPTS {
        let state = if attempt == 1 {
            MessageState::Failed
        } else {
            MessageState::NonceConflict
        };
        s.chain
            .set_state(&format!("{base}-{}", attempt - 1), state, 0);
        expected.push(format!("{base}-{attempt}"));
        assert_eq!(s.pass().await, expected, "attempt {attempt}");
        assert_eq!(s.pass().await, expected, "attempt {attempt} pending");
    }
    s.chain.set_state(
        &format!("{base}-{}", DECLARE_ATTEMPTS - 1),
        MessageState::Failed,
        0,
    );
    assert_eq!(
        s.pass().await,
        expected,
        "no attempt past {DECLARE_ATTEMPTS}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_declaration_on_chain_is_not_sent_again() {
    // Landed (the node shows the fault a little later).
    let s = Setup::new().await;
    let base = s.first().await;
    s.chain
        .set_state(&format!("{base}-0"), MessageState::OnChain, 0);
    assert_eq!(s.pass().await, vec![format!("{base}-0")], "landed");

    // Refused by the actor: the same declaration would fail again.
    let s = Setup::new().await;
    let base = s.first().await;
    s.chain
        .set_state(&format!("{base}-0"), MessageState::OnChain, 16);
    assert_eq!(
        s.pass().await,
        vec![format!("{base}-0")],
        "refused on chain"
    );
    assert_eq!(s.pass().await, vec![format!("{base}-0")], "still not sent");
}
