//! The sealer's API (feature `server`): the winning PoSt of
//! `venus_api::sealer`, answered for the sealer's own miners only, so the
//! pool's miner asks each member's sealer for its proofs and the sectors
//! never leave the member.

use std::sync::Arc;

use venus_api::sealer::ComputeProofMethod;
use venus_core::json::Lotus;
use venus_core::traits::ComputeProof;
use venus_core::Address;
use venus_rpc::{RpcError, RpcModule};

/// The sealer's RPC module: `Gateway.ComputeProof` for `miners` through
/// `prover` (a `PostProver` over the member's sector store); another
/// miner, or randomness that is not 32 bytes, is refused.
pub fn prover_module(prover: Arc<dyn ComputeProof>, miners: Vec<Address>) -> RpcModule {
    let mut m = RpcModule::new();
    let state = (prover, Arc::new(miners));
    m.register_with::<ComputeProofMethod, _, _, _>(
        &state,
        |(prover, miners), _, (miner, sectors, randomness, _height, _nv)| async move {
            if !miners.contains(&miner.0) {
                return Err(RpcError::invalid_params(format!(
                    "this sealer proves for {}, not {}",
                    list(&miners),
                    miner.0
                )));
            }
            let randomness: [u8; 32] = randomness.0.bytes().try_into().map_err(|_| {
                RpcError::invalid_params(format!(
                    "the randomness has {} bytes, not 32",
                    randomness.0.bytes().len()
                ))
            })?;
            let proofs = prover
                .compute_winning_post(&miner.0, &sectors.0, &randomness)
                .await
                .map_err(|e| RpcError::method(format!("winning PoSt for {}: {e}", miner.0)))?;
            Ok(Lotus(proofs))
        },
    );
    m
}

fn list(miners: &[Address]) -> String {
    miners
        .iter()
        .map(Address::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}
