//! [`Prover`]: the sealing and PoSt stages of `filecoin-proofs-api`, on the
//! [`ProofPool`], with the parameters each stage needs made ready first.

mod post;
mod seal;

use std::sync::Arc;

use venus_core::shared::sector::{RegisteredPoStProof, RegisteredSealProof};

use crate::error::{Result, SealerError};
use crate::params::{Circuit, ParamCache, ParamEvent};
use crate::pool::ProofPool;

pub use post::PostSector;
pub use seal::{C1Output, Pc1Output, PieceInfo, PreCommit};

/// The real proving system for every sector size filecoin-proofs knows.
///
/// Every stage runs on the [`ProofPool`] (blocking threads, bounded). Stages
/// that need Groth parameters (C2, seal verification, PoSt) first make sure the
/// circuit's parameters are ready through the [`ParamCache`], generating them if
/// they are missing; that wait happens outside the pool, on its own blocking
/// thread, so it does not hold a proof slot.
///
/// Only 2 KiB parameters (minutes to make) are generated on demand by default;
/// other sizes must be prepared ahead of time (`venus-sealer params`), and
/// [`Prover::on_demand`] can turn on-demand generation off entirely, as a
/// verifier of other nodes' blocks should.
///
/// Jobs run first come, first served. Give winning PoSt its own pool
/// ([`Prover::with_pool`]) so it never queues behind sealing work.
#[derive(Debug, Clone)]
pub struct Prover {
    params: Arc<ParamCache>,
    pool: ProofPool,
    on_demand: bool,
}

impl Prover {
    /// A prover using `params`, running at most `pool.limit()` proofs at once.
    pub fn new(params: Arc<ParamCache>, pool: ProofPool) -> Self {
        Self {
            params,
            pool,
            on_demand: true,
        }
    }

    /// The same parameters with another pool (e.g. one reserved for PoSt).
    pub fn with_pool(&self, pool: ProofPool) -> Self {
        Self {
            pool,
            ..self.clone()
        }
    }

    /// Whether missing 2 KiB parameters are generated when a stage needs them
    /// (default `true`); when `false`, such a stage fails with a clear error.
    pub fn on_demand(mut self, yes: bool) -> Self {
        self.on_demand = yes;
        self
    }

    /// The parameter cache.
    pub fn params(&self) -> &Arc<ParamCache> {
        &self.params
    }

    /// The proof pool.
    pub fn pool(&self) -> &ProofPool {
        &self.pool
    }

    /// Makes `circuit`'s parameters ready, generating them if allowed (see the
    /// type's docs), logging progress.
    pub async fn ready(&self, circuit: Circuit) -> Result<()> {
        if self.params.is_verified(circuit) {
            return Ok(());
        }
        let generate = self.on_demand && circuit.sector_bytes() == Some(2_048);
        let params = self.params.clone();
        tokio::task::spawn_blocking(move || {
            if !generate {
                return match params.verify(circuit)? {
                    crate::params::ParamState::Valid => Ok(crate::params::Ensured::Present),
                    _ => Err(SealerError::Params {
                        circuit: circuit.to_string(),
                        reason: format!(
                            "not generated in {}; run `venus-sealer params` for this sector size first",
                            params.dir().display()
                        ),
                    }),
                };
            }
            params.ensure(circuit, &|event| match event {
                ParamEvent::Generating { circuit, estimate } => tracing::warn!(
                    %circuit,
                    estimate_secs = estimate.map(|e| e.as_secs()),
                    "Groth parameters missing; generating them now (run `venus-sealer params` ahead of time to avoid this wait)"
                ),
                other => tracing::debug!(?other, "parameters"),
            })
        })
        .await
        .map_err(|e| SealerError::Panicked {
            stage: "parameters",
            reason: e.to_string(),
        })?
        .map(|_| ())
    }
}

fn api_seal(p: RegisteredSealProof) -> Result<filecoin_proofs_api::RegisteredSealProof> {
    p.try_into().map_err(SealerError::UnsupportedProof)
}

fn api_post(p: RegisteredPoStProof) -> Result<filecoin_proofs_api::RegisteredPoStProof> {
    p.try_into().map_err(SealerError::UnsupportedProof)
}
