//! The builder's slash-filter slot: a pool whose miner claims, and records
//! the signature of, every block in the integrator's filter instead of its
//! own database; and a custom filter refused where it cannot reach the
//! miner (each component its own process).

use std::sync::Arc;

use venus_pool_lib::miner::slash::{BlocksQuery, MemorySlashFilter, SlashFilter};
use venus_pool_lib::sealer::params::{Circuit, ParamCache};
use venus_pool_lib::sealer::{ProofPool, Prover};
use venus_pool_lib::{wallet_password, Devnet, Display, Mode, PoolError, WALLET_PASSWORD_ENV};

#[test]
fn the_miner_claims_and_signs_through_the_integrators_slash_filter() {
    let dir = tempfile::tempdir().expect("tempdir");
    let repo = dir.path().join("pool");
    // The in-memory filter: what the miner claimed and signed is read
    // back from it, and from nowhere else.
    let audited = Arc::new(MemorySlashFilter::new());

    // A filter in this process cannot reach a miner process.
    let refused = Devnet::builder(&repo)
        .slash_filter(audited.clone())
        .mode(Mode::Processes)
        .build();
    assert!(
        matches!(&refused, Err(PoolError::Invalid(why)) if why.contains("in-process")),
        "{refused:?}"
    );

    // The only test in this binary: nothing else reads the environment.
    std::env::set_var(
        WALLET_PASSWORD_ENV,
        wallet_password(&repo).expect("password"),
    );
    let params = Arc::new(ParamCache::from_env().expect("parameter cache"));
    let seal = venus_pool_lib::core::RegisteredSealProof::StackedDRG2KiBV1P1;
    for circuit in Circuit::all_for(seal).expect("circuits") {
        params
            .ensure(circuit, &|event| eprintln!("{event:?}"))
            .expect("parameters");
    }
    let prover = Prover::new(params, ProofPool::new(2));
    let devnet = Devnet::builder(&repo)
        .members(1)
        .sectors(1)
        .block_time(12)
        .slash_filter(audited.clone())
        .build()
        .expect("devnet");
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let summary = rt
        .block_on(async {
            let layout = devnet.prepare(&prover).await?;
            let stop = venus_pool_lib::daemon::CancellationToken::new();
            devnet
                .run(&layout, &prover, Some(3), Display::Plain, stop)
                .await
        })
        .expect("the pool ran 3 epochs");
    let claimed = rt
        .block_on(audited.list(&BlocksQuery::default()))
        .expect("the custom filter's blocks");
    let signed: Vec<_> = claimed.iter().filter_map(|b| b.cid).collect();

    let mined = summary.blocks.values().sum::<u64>();
    assert!(mined >= 1, "no block in 3 epochs: {summary:?}");
    assert!(
        claimed.len() as u64 >= mined,
        "{mined} blocks, but only {} claims reached the custom filter",
        claimed.len()
    );
    assert!(
        signed.len() as u64 >= mined,
        "{mined} blocks, {} signatures recorded in the custom filter",
        signed.len()
    );
    // The blocks on chain are the ones whose signatures it recorded.
    assert!(!summary.head.is_empty(), "{summary:?}");
    for cid in &summary.head {
        assert!(
            signed.iter().any(|c| c.to_string() == *cid),
            "head block {cid} was not recorded in the custom filter ({signed:?})"
        );
    }
}
