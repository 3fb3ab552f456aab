//! [`PostProver`] and [`PostVerifier`]: venus-core's [`ComputeProof`] and
//! [`ProofVerifier`] over the real [`Prover`].

use std::sync::Arc;

use async_trait::async_trait;
use venus_core::shared::address::Address;
use venus_core::shared::sector::PoStProof;
use venus_core::traits::{ComputeProof, ProofVerifier};
use venus_core::types::ExtendedSectorInfo;

use crate::child::PostChild;
use crate::error::Result;
use crate::prover::{with_type, PostSector, Prover};
use crate::store::SectorStore;
use crate::types::actor_id;

fn post_sectors(sectors: &[ExtendedSectorInfo]) -> Result<Vec<PostSector>> {
    sectors.iter().map(PostSector::try_from).collect()
}

/// Computes winning PoSts over a miner's sealed sectors in a [`SectorStore`]:
/// what `venus-miner` asks of the place where the sectors are.
///
/// By default a proof runs on the prover's [`ProofPool`](crate::ProofPool)
/// in this process and, once started, runs to its end even if its caller
/// gives up. [`PostProver::in_child`] proves in a child process instead,
/// which is killed when its caller stops waiting (what `venus-sealer run`
/// does).
#[derive(Clone)]
pub struct PostProver {
    prover: Prover,
    store: Arc<dyn SectorStore>,
    child: Option<Arc<PostChild>>,
}

impl PostProver {
    /// Proves sectors found in `store` with `prover`.
    pub fn new(prover: Prover, store: Arc<dyn SectorStore>) -> Self {
        Self {
            prover,
            store,
            child: None,
        }
    }

    /// Proves in `child`'s process (parameters are still made ready, and
    /// sectors located, here).
    pub fn in_child(mut self, child: Arc<PostChild>) -> Self {
        self.child = Some(child);
        self
    }
}

#[async_trait]
impl ComputeProof for PostProver {
    async fn compute_winning_post(
        &self,
        miner: &Address,
        sectors: &[ExtendedSectorInfo],
        randomness: &[u8; 32],
    ) -> venus_core::Result<Vec<PoStProof>> {
        let miner = actor_id(miner)?;
        let sectors = post_sectors(sectors)?;
        let store = self.store.as_ref();
        let Some(child) = &self.child else {
            return Ok(self
                .prover
                .generate_winning_post(store, miner, &sectors, randomness)
                .await?);
        };
        let job = self
            .prover
            .winning_post_job(store, miner, &sectors, randomness)
            .await?;
        let post_type = job.post_type();
        Ok(with_type(post_type, child.prove(job).await?))
    }
}

/// Verifies winning PoSts, as a chain validating blocks does.
///
/// It never generates parameters: ones made here would differ from the
/// prover's and every proof would verify `false`. Prepare them first
/// (`venus-sealer params`, or [`crate::params::ParamCache::ensure`]); until then
/// verification is a clear error.
#[derive(Debug, Clone)]
pub struct PostVerifier {
    prover: Prover,
}

impl PostVerifier {
    /// Verifies with `prover`'s parameters and pool (on-demand generation off).
    pub fn new(prover: Prover) -> Self {
        Self {
            prover: prover.on_demand(false),
        }
    }
}

#[async_trait]
impl ProofVerifier for PostVerifier {
    async fn verify_winning_post(
        &self,
        miner: &Address,
        sectors: &[ExtendedSectorInfo],
        randomness: &[u8; 32],
        proofs: &[PoStProof],
    ) -> venus_core::Result<bool> {
        let miner = actor_id(miner)?;
        let sectors = post_sectors(sectors)?;
        Ok(self
            .prover
            .verify_winning_post(miner, &sectors, randomness, proofs)
            .await?)
    }

    async fn winning_post_challenge(
        &self,
        proof: venus_core::RegisteredPoStProof,
        miner: &Address,
        randomness: &[u8; 32],
        eligible: u64,
    ) -> venus_core::Result<Vec<u64>> {
        let miner = actor_id(miner)?;
        Ok(self
            .prover
            .winning_challenge(proof, miner, randomness, eligible)
            .await?)
    }
}
