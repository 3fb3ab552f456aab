//! The proof path on real 2 KiB sectors: each seal stage, winning PoSt (cold
//! and warm) and its verification, window PoSt, and the overhead of the
//! `ComputeProof` layer over the raw filecoin-proofs-api call.
//!
//! Needs the Groth parameters (`cargo run -p venus-sealer -- params`); a missing
//! set is generated on first use.

#![allow(missing_docs)] // criterion_group! generates undocumented pub fns.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion, SamplingMode};
use filecoin_proofs_api::{PrivateReplicaInfo, SectorId};
use venus_core::shared::address::Address;
use venus_core::shared::sector::{RegisteredPoStProof, RegisteredSealProof};
use venus_core::traits::ComputeProof;
use venus_sealer_lib::params::ParamCache;
use venus_sealer_lib::types::prover_id;
use venus_sealer_lib::{
    preseal, LocalSectorStore, PostProver, PostSector, PreSealConfig, ProofPool, Prover, SectorRef,
    SectorStore,
};

const SEAL: RegisteredSealProof = RegisteredSealProof::StackedDRG2KiBV1P1;
const MINER: u64 = 1000;

fn heavy<'a>(
    c: &'a mut Criterion,
    name: &str,
) -> criterion::BenchmarkGroup<'a, criterion::measurement::WallTime> {
    let mut g = c.benchmark_group(name);
    g.sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_millis(1))
        .measurement_time(Duration::from_secs(5));
    g
}

fn setup() -> (tokio::runtime::Runtime, Prover) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let params = ParamCache::from_env().expect("params");
    (rt, Prover::new(Arc::new(params), ProofPool::new(1)))
}

fn seal_stages(c: &mut Criterion) {
    let (rt, p) = setup();
    let dir = tempfile::tempdir().expect("tempdir");
    let store = LocalSectorStore::new(dir.path());
    let sector = SectorRef::new(MINER, 1);
    let paths = store.prepare(sector).expect("prepare");
    let data: Vec<u8> = (0..2032u32).map(|i| i as u8).collect();
    let (ticket, seed) = ([1u8; 32], [2u8; 32]);
    let add = || {
        p.add_piece(
            SEAL,
            std::io::Cursor::new(data.clone()),
            2032,
            paths.unsealed.clone(),
            vec![],
        )
    };
    let piece = rt.block_on(add()).expect("add piece");
    let pc1 = rt
        .block_on(p.pc1(SEAL, &paths, ticket, vec![piece.clone()]))
        .expect("pc1");
    let pre = rt.block_on(p.pc2(pc1.clone(), &paths)).expect("pc2");
    let c1 = rt
        .block_on(p.c1(&paths, ticket, seed, pre, vec![piece.clone()]))
        .expect("c1");
    let proof = rt.block_on(p.c2(c1.clone(), sector)).expect("c2");

    let mut g = c.benchmark_group("seal 2KiB");
    g.sample_size(20);
    g.bench_function("add piece", |b| {
        b.iter(|| rt.block_on(add()).expect("add piece"))
    });
    g.bench_function("pc1", |b| {
        b.iter(|| {
            rt.block_on(p.pc1(SEAL, &paths, ticket, vec![piece.clone()]))
                .expect("pc1")
        })
    });
    // PC2 encodes the replica in place: each run starts from a fresh PC1
    // (which copies the data back), outside the measurement.
    g.bench_function("pc2", |b| {
        b.iter_batched(
            || {
                rt.block_on(p.pc1(SEAL, &paths, ticket, vec![piece.clone()]))
                    .expect("pc1")
            },
            |pc1| rt.block_on(p.pc2(pc1, &paths)).expect("pc2"),
            criterion::BatchSize::PerIteration,
        )
    });
    g.bench_function("c1", |b| {
        b.iter(|| {
            rt.block_on(p.c1(&paths, ticket, seed, pre, vec![piece.clone()]))
                .expect("c1")
        })
    });
    g.bench_function("verify seal", |b| {
        b.iter(|| {
            rt.block_on(p.verify_seal(pre, sector, ticket, seed, proof.clone()))
                .expect("verify")
        })
    });
    g.finish();
    let mut g = heavy(c, "seal 2KiB (C2)");
    g.bench_function("c2", |b| {
        b.iter(|| rt.block_on(p.c2(c1.clone(), sector)).expect("c2"))
    });
    g.finish();
}

fn post(c: &mut Criterion) {
    let (rt, p) = setup();
    let dir = tempfile::tempdir().expect("tempdir");
    let store = LocalSectorStore::new(dir.path());
    let sealed = rt
        .block_on(preseal(
            &p,
            &store,
            &PreSealConfig::new(MINER, SEAL, 2),
            &|_, _| {},
        ))
        .expect("pre-seal");
    let sectors: Vec<PostSector> = sealed
        .iter()
        .map(|s| PostSector::try_from(s).expect("CommR"))
        .collect();
    let winning = [sectors[0]];
    let randomness = [7u8; 32];

    // Cold: the first call of the process maps the parameters into memory.
    let started = Instant::now();
    let proofs = rt
        .block_on(p.generate_winning_post(&store, MINER, &winning, &randomness))
        .expect("winning");
    eprintln!(
        "winning PoSt, cold (first call in this process): {:.2?}",
        started.elapsed()
    );

    // The raw library call against the same sector.
    let paths = store.paths(SectorRef::new(MINER, 0));
    let replicas = BTreeMap::from([(
        SectorId::from(0u64),
        PrivateReplicaInfo::new(
            filecoin_proofs_api::RegisteredPoStProof::StackedDrgWinning2KiBV1,
            winning[0].comm_r,
            paths.cache,
            paths.sealed,
        ),
    )]);
    let mut raw_randomness = randomness;
    raw_randomness[31] &= 0x3f;
    let computer = PostProver::new(p.clone(), Arc::new(store.clone()) as Arc<dyn SectorStore>);
    let info = [sealed[0].sector_info()];
    let miner = Address::new_id(MINER);

    let mut g = heavy(c, "winning PoSt 2KiB (warm)");
    g.bench_function(
        "raw filecoin_proofs_api::post::generate_winning_post",
        |b| {
            b.iter(|| {
                filecoin_proofs_api::post::generate_winning_post(
                    &raw_randomness,
                    &replicas,
                    prover_id(MINER),
                )
                .expect("raw")
            })
        },
    );
    g.bench_function("PostProver::compute_winning_post (ComputeProof)", |b| {
        b.iter(|| {
            rt.block_on(computer.compute_winning_post(&miner, &info, &randomness))
                .expect("compute")
        })
    });
    g.finish();

    let mut g = c.benchmark_group("PoSt 2KiB verification");
    g.sample_size(20);
    g.bench_function("verify winning PoSt", |b| {
        b.iter(|| {
            rt.block_on(p.verify_winning_post(MINER, &winning, &randomness, &proofs))
                .expect("verify")
        })
    });
    let window = rt
        .block_on(p.generate_window_post(&store, MINER, &sectors, &randomness))
        .expect("window");
    assert_eq!(
        window[0].post_proof,
        RegisteredPoStProof::StackedDRGWindow2KiBV1P1
    );
    g.bench_function("verify window PoSt (2 sectors)", |b| {
        b.iter(|| {
            rt.block_on(p.verify_window_post(MINER, &sectors, &randomness, &window))
                .expect("verify")
        })
    });
    g.finish();

    let mut g = heavy(c, "window PoSt 2KiB");
    g.bench_function("generate (2 sectors)", |b| {
        b.iter(|| {
            rt.block_on(p.generate_window_post(&store, MINER, &sectors, &randomness))
                .expect("window")
        })
    });
    g.finish();
}

criterion_group!(benches, post, seal_stages);
criterion_main!(benches);
