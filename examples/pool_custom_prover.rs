//! A devnet pool whose winning PoSts come from your own `ComputeProof`:
//! here one that times every proof and hands it to the member's sectors
//! through venus-sealer-lib's `PostProver`. Put proving hardware, a
//! remote proving service or your own scheduling in its place; the node
//! verifies every proof it returns, so it must prove the members' sectors.
//!
//! ```sh
//! cargo run -p venus-examples --example pool_custom_prover
//! ```
//! One member with one pre-sealed 2 KiB sector, mining three 15 s epochs
//! in a temporary repo. The first run on a machine generates the proof
//! parameters (about 20 minutes on 2 cores; `venus-sealer params`).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use venus_core::traits::ComputeProof;
use venus_core::types::ExtendedSectorInfo;
use venus_core::{Address, PoStProof, RegisteredSealProof};
use venus_pool_lib::sealer::params::{Circuit, ParamCache};
use venus_pool_lib::sealer::{LocalSectorStore, PostProver, ProofPool, Prover};
use venus_pool_lib::{wallet_password, Devnet, Display, WALLET_PASSWORD_ENV};

type Error = Box<dyn std::error::Error>;

/// Times each winning PoSt and proves it from the member's own sectors.
struct Timed {
    inner: PostProver,
    proofs: AtomicU64,
    total_ms: AtomicU64,
}

#[async_trait::async_trait]
impl ComputeProof for Timed {
    async fn compute_winning_post(
        &self,
        miner: &Address,
        sectors: &[ExtendedSectorInfo],
        randomness: &[u8; 32],
    ) -> venus_core::Result<Vec<PoStProof>> {
        let start = Instant::now();
        let proofs = self
            .inner
            .compute_winning_post(miner, sectors, randomness)
            .await?;
        let ms = start.elapsed().as_millis() as u64;
        self.proofs.fetch_add(1, Ordering::Relaxed);
        self.total_ms.fetch_add(ms, Ordering::Relaxed);
        println!(
            "winning PoSt for {miner} over {} sector(s): {ms} ms",
            sectors.len()
        );
        Ok(proofs)
    }
}

fn main() -> Result<(), Error> {
    let dir = tempfile::tempdir()?;
    let repo = dir.path().join("pool");
    // Both are process-wide: set them while this process has one thread.
    std::env::set_var(WALLET_PASSWORD_ENV, wallet_password(&repo)?);
    let params = Arc::new(ParamCache::from_env()?);
    let seal = RegisteredSealProof::StackedDRG2KiBV1P1;
    for circuit in Circuit::all_for(seal)? {
        params.ensure(circuit, &|event| eprintln!("{event:?}"))?;
    }
    let prover = Prover::new(params, ProofPool::new(2));

    // The member's sectors are where the devnet pre-seals them.
    let member = Address::new_id(1000);
    let store = LocalSectorStore::new(
        repo.join("members")
            .join(member.to_string())
            .join("sectors"),
    );
    let timed = Arc::new(Timed {
        inner: PostProver::new(prover.clone(), Arc::new(store)),
        proofs: AtomicU64::new(0),
        total_ms: AtomicU64::new(0),
    });

    let devnet = Devnet::builder(&repo)
        .members(1)
        .sectors(1)
        .block_time(15)
        .winning_prover(timed.clone())
        .build()?;
    let summary = tokio::runtime::Runtime::new()?.block_on(async {
        let layout = devnet.prepare(&prover).await?;
        let stop = venus_pool_lib::daemon::CancellationToken::new();
        devnet
            .run(&layout, &prover, Some(3), Display::Plain, stop)
            .await
    })?;
    let n = timed.proofs.load(Ordering::Relaxed);
    println!(
        "{} blocks in {} tipsets; {n} winning PoSts from the custom prover, {} ms on average",
        summary.blocks.values().sum::<u64>(),
        summary.tipsets,
        timed.total_ms.load(Ordering::Relaxed) / n.max(1),
    );
    if n == 0
        || summary
            .blocks
            .get(&member.to_string())
            .copied()
            .unwrap_or(0)
            == 0
    {
        return Err("the member mined no block with the custom prover".into());
    }
    Ok(())
}
