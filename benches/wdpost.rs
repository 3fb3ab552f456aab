//! The window PoSt scheduler (issue 18): one pass over a deadline of one
//! partition (two real 2 KiB sectors) through `WindowPoster` — deadline,
//! partitions and sectors from the node, the file checks, the challenge,
//! the proof, the chain-commit randomness, the row written before the
//! push, the push — against the raw `filecoin_proofs_api` window PoSt call
//! over the same sectors; and one pass over a deadline with nothing to
//! prove (the cost of following the head every second).
//!
//! The node and the messager are a mock over real RPC on loopback that
//! answers what the scheduler asks, so the figure is the scheduler's own
//! overhead, not a node's state reads.

#![allow(missing_docs)] // criterion_group! generates undocumented pub fns.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, SamplingMode};
use filecoin_proofs_api::{PrivateReplicaInfo, SectorId};
use venus_api::lotus::{BitFieldRuns, DeadlineInfo, LotusClient, Partition};
use venus_api::messager::MessagerClient;
use venus_core::crypto::PrivateKey;
use venus_core::shared::sector::RegisteredSealProof;
use venus_core::{Address, SignatureType};
use venus_sealer_lib::params::ParamCache;
use venus_sealer_lib::pipeline::testing::MockChain;
use venus_sealer_lib::pipeline::{PostConfig, SealingApi, SealingStore, WindowPoster};
use venus_sealer_lib::types::prover_id;
use venus_sealer_lib::{
    preseal, LocalSectorStore, PostSector, PreSealConfig, ProofPool, Prover, SectorRef, SectorStore,
};

const SEAL: RegisteredSealProof = RegisteredSealProof::StackedDRG2KiBV1P1;
const MINER: u64 = 1000;

fn deadline() -> DeadlineInfo {
    // Deadline 2 of a 4 × 8 period; the head is 2 epochs into it.
    DeadlineInfo {
        current_epoch: 18,
        period_start: 0,
        index: 2,
        open: 16,
        close: 24,
        challenge: 15,
        fault_cutoff: 6,
        w_post_period_deadlines: 4,
        w_post_proving_period: 32,
        w_post_challenge_window: 8,
        w_post_challenge_lookback: 1,
        fault_declaration_cutoff: 10,
    }
}

/// A scheduler over `chain` with a fresh store (a pass writes the
/// deadline's row, so each measured pass starts where the first one did).
async fn poster(
    url: &str,
    prover: &Prover,
    store: Arc<dyn SectorStore>,
) -> (WindowPoster, SealingStore) {
    let api = SealingApi::new(
        LotusClient::connect(url).await.expect("node"),
        MessagerClient::connect(url).await.expect("messager"),
    );
    let db = SealingStore::open("sqlite::memory:").await.expect("store");
    let p = WindowPoster::new(
        db.clone(),
        Arc::new(api),
        prover.clone(),
        store,
        Address::new_id(MINER),
        "bench",
        PostConfig::default(),
    )
    .expect("poster");
    (p, db)
}

fn wdpost(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let prover = Prover::new(
        Arc::new(ParamCache::from_env().expect("params")),
        ProofPool::new(1),
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let store = LocalSectorStore::new(dir.path());
    let sealed = rt
        .block_on(preseal(
            &prover,
            &store,
            &PreSealConfig::new(MINER, SEAL, 2),
            &|_, _| {},
        ))
        .expect("pre-seal");
    let post: Vec<PostSector> = sealed
        .iter()
        .map(|s| PostSector::try_from(s).expect("CommR"))
        .collect();
    let on_chain: Vec<_> = sealed
        .iter()
        .map(|s| {
            let info = s.sector_info();
            MockChain::sector(info.sector_number, i64::from(SEAL), info.sealed_cid)
        })
        .collect();
    let all = BitFieldRuns::from_ranges(std::iter::once(0..2));
    let worker = PrivateKey::generate(SignatureType::BLS)
        .address()
        .expect("worker");
    let head = venus_core::test_utils::tipset(18, 1);
    let mut full = MockChain::new(head.clone(), deadline(), worker);
    full.partitions = vec![Partition {
        all_sectors: all.clone(),
        faulty_sectors: BitFieldRuns::default(),
        recovering_sectors: BitFieldRuns::default(),
        live_sectors: all.clone(),
        active_sectors: all,
    }];
    full.sectors = on_chain;
    let full = Arc::new(full);
    let empty = Arc::new(MockChain::new(head.clone(), deadline(), worker));
    let (full_srv, empty_srv) = rt.block_on(async {
        (
            full.serve().await.expect("serve"),
            empty.serve().await.expect("serve"),
        )
    });
    let sectors: Arc<dyn SectorStore> = Arc::new(store.clone());

    // The raw call over the same sectors and challenge.
    let replicas: BTreeMap<SectorId, PrivateReplicaInfo> = post
        .iter()
        .map(|s| {
            let paths = store.paths(SectorRef::new(MINER, s.number));
            (
                SectorId::from(s.number),
                PrivateReplicaInfo::new(
                    filecoin_proofs_api::RegisteredPoStProof::StackedDrgWindow2KiBV1_2,
                    s.comm_r,
                    paths.cache,
                    paths.sealed,
                ),
            )
        })
        .collect();
    let mut randomness = [7u8; 32];
    randomness[31] &= 0x3f;

    // One pass proves and pushes: checked once before measuring.
    let (p, db) = rt.block_on(poster(&full_srv.http_url(), &prover, sectors.clone()));
    rt.block_on(p.pass(&head)).expect("pass");
    let row = rt
        .block_on(db.post(MINER, 0, 2))
        .expect("row")
        .expect("the pass wrote the deadline");
    assert_eq!(row.state, "Submitted", "{row:?}");

    let mut g = c.benchmark_group("window PoSt 2KiB, one partition of 2 sectors");
    g.sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_millis(1))
        .measurement_time(Duration::from_secs(8));
    g.bench_function("raw filecoin_proofs_api::post::generate_window_post", |b| {
        b.iter(|| {
            filecoin_proofs_api::post::generate_window_post(
                &randomness,
                &replicas,
                prover_id(MINER),
            )
            .expect("raw")
        })
    });
    g.bench_function("WindowPoster::pass (deadline to push)", |b| {
        b.iter_batched(
            || rt.block_on(poster(&full_srv.http_url(), &prover, sectors.clone())),
            |(p, db)| {
                rt.block_on(p.pass(&head)).expect("pass");
                (p, db) // Dropped outside the measurement.
            },
            BatchSize::PerIteration,
        )
    });
    g.finish();

    // Nothing to prove: the pass a sealer makes every second.
    let (p, _db) = rt.block_on(poster(&empty_srv.http_url(), &prover, sectors));
    rt.block_on(p.pass(&head)).expect("pass");
    let mut g = c.benchmark_group("window PoSt scheduler");
    g.sample_size(50);
    g.bench_function("pass over a deadline with nothing to prove", |b| {
        b.iter(|| rt.block_on(p.pass(&head)).expect("pass"))
    });
    g.finish();
}

criterion_group!(benches, wdpost);
criterion_main!(benches);
