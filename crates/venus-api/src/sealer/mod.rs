//! The sealer's API: a winning PoSt computed where the sectors are, as
//! the pool's miner calls it, and the pipeline's task and sector methods
//! (`Sealer.*`) that workers and operators call.
//!
//! [`ComputeProofMethod`] keeps the name and parameters of the venus
//! gateway's `ComputeProof`, which sophon-miner calls for every winner, so
//! a sophon-miner pointed at a `venus-sealer` finds it; [`ProverClient`] is
//! a `venus_core::traits::ComputeProof` over it, the prover slot of the
//! pool's miner for a member whose sealer is remote.

use async_trait::async_trait;
use venus_core::encoding::RawBytes;
use venus_core::json::Lotus;
use venus_core::traits::ComputeProof;
use venus_core::types::ExtendedSectorInfo;
use venus_core::{Address, ChainEpoch, PoStProof};
use venus_rpc::{rpc_method, RpcClient};

mod pipeline;
pub use pipeline::*;

rpc_method! {
    /// A winning PoSt: the miner, its challenged sectors, the randomness,
    /// the round and its network version (the last two for a prover that
    /// picks proof versions by height; ours reads the sectors' own).
    pub ComputeProofMethod = "Gateway.ComputeProof", write,
        (Lotus<Address>, Lotus<Vec<ExtendedSectorInfo>>, Lotus<RawBytes>, ChainEpoch, u32)
            => Lotus<Vec<PoStProof>>
}

/// A remote sealer's winning PoSt, as a `ComputeProof`.
pub struct ProverClient {
    rpc: RpcClient,
}

impl ProverClient {
    /// Wraps a connected client; its token needs `write`.
    pub fn new(rpc: RpcClient) -> Self {
        ProverClient { rpc }
    }

    /// Connects to `endpoint` (`TOKEN:MULTIADDR` API info or a URL).
    pub async fn connect(endpoint: &str) -> crate::Result<Self> {
        Ok(ProverClient::new(RpcClient::connect(endpoint).await?))
    }
}

#[async_trait]
impl ComputeProof for ProverClient {
    async fn compute_winning_post(
        &self,
        miner: &Address,
        sectors: &[ExtendedSectorInfo],
        randomness: &[u8; 32],
    ) -> venus_core::Result<Vec<PoStProof>> {
        let params = (
            Lotus(*miner),
            Lotus(sectors.to_vec()),
            Lotus(RawBytes::new(randomness.to_vec())),
            0,
            0,
        );
        match self.rpc.call::<ComputeProofMethod>(params).await {
            Ok(proofs) => Ok(proofs.0),
            Err(e) => Err(venus_core::Error::Backend(format!(
                "winning PoSt: {}",
                crate::Error::from(e)
            ))),
        }
    }
}
