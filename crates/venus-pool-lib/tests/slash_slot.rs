//! The builder's slash-filter slot: a pool whose miner claims, and records
//! the signature of, every block in the integrator's filter instead of its
//! own database; and a custom filter refused where it cannot reach the
//! miner (each component its own process).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use cid::Cid;
use venus_pool_lib::core::{Address, ChainEpoch};
use venus_pool_lib::miner::slash::{
    BlockClaim, BlockState, BlocksQuery, Claim, LeaseHolder, MemorySlashFilter, MinedBlock,
    SlashFilter, UnsentBlock,
};
use venus_pool_lib::miner::Result;
use venus_pool_lib::sealer::params::{Circuit, ParamCache};
use venus_pool_lib::sealer::{ProofPool, Prover};
use venus_pool_lib::{wallet_password, Devnet, Display, Mode, PoolError, WALLET_PASSWORD_ENV};

/// Counts the claims and keeps the CIDs of the signed blocks, over the
/// in-memory filter.
#[derive(Default)]
struct Audited {
    inner: MemorySlashFilter,
    claims: AtomicU64,
    signed: Mutex<Vec<Cid>>,
}

#[async_trait]
impl SlashFilter for Audited {
    async fn claim(&self, block: &BlockClaim) -> Result<Claim> {
        self.claims.fetch_add(1, Ordering::SeqCst);
        self.inner.claim(block).await
    }
    async fn signed(&self, claim: &BlockClaim, cid: &Cid, block: &[u8]) -> Result<()> {
        self.inner.signed(claim, cid, block).await?;
        self.signed.lock().expect("lock").push(*cid);
        Ok(())
    }
    async fn unsent(
        &self,
        miners: &[Address],
        from: ChainEpoch,
        grace: Duration,
    ) -> Result<Vec<UnsentBlock>> {
        self.inner.unsent(miners, from, grace).await
    }
    async fn resent(&self, block: &UnsentBlock, instance: &str) -> Result<bool> {
        self.inner.resent(block, instance).await
    }
    async fn release(&self, claim: &BlockClaim) -> Result<bool> {
        self.inner.release(claim).await
    }
    async fn finish(&self, claim: &BlockClaim, state: BlockState, reason: &str) -> Result<()> {
        self.inner.finish(claim, state, reason).await
    }
    async fn list(&self, query: &BlocksQuery) -> Result<Vec<MinedBlock>> {
        self.inner.list(query).await
    }
    async fn lease(
        &self,
        miner: &Address,
        epoch: ChainEpoch,
        instance: &str,
        ttl: Duration,
    ) -> Result<Option<LeaseHolder>> {
        self.inner.lease(miner, epoch, instance, ttl).await
    }
    async fn settle_lease(
        &self,
        miner: &Address,
        epoch: ChainEpoch,
        instance: &str,
        proved: bool,
    ) -> Result<bool> {
        self.inner
            .settle_lease(miner, epoch, instance, proved)
            .await
    }
    async fn prune_leases(&self, epoch: ChainEpoch) -> Result<u64> {
        self.inner.prune_leases(epoch).await
    }
}

#[test]
fn the_miner_claims_and_signs_through_the_integrators_slash_filter() {
    let dir = tempfile::tempdir().expect("tempdir");
    let repo = dir.path().join("pool");
    let audited = Arc::new(Audited::default());

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
    let summary = tokio::runtime::Runtime::new()
        .expect("runtime")
        .block_on(async {
            let layout = devnet.prepare(&prover).await?;
            let stop = venus_pool_lib::daemon::CancellationToken::new();
            devnet
                .run(&layout, &prover, Some(3), Display::Plain, stop)
                .await
        })
        .expect("the pool ran 3 epochs");

    let mined = summary.blocks.values().sum::<u64>();
    let signed = audited.signed.lock().expect("lock").clone();
    assert!(mined >= 1, "no block in 3 epochs: {summary:?}");
    assert!(
        audited.claims.load(Ordering::SeqCst) >= mined,
        "{mined} blocks, but only {} claims reached the custom filter",
        audited.claims.load(Ordering::SeqCst)
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
