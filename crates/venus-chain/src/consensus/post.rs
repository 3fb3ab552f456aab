//! The winning PoSt's inputs, shared by block production and validation
//! (Lotus's `MinerGetBaseInfo` and `VerifyWinningPoStProof`): the
//! challenge seed and the sectors the challenge picks.

use fvm_shared::address::Address;
use fvm_shared::clock::ChainEpoch;
use venus_core::crypto::{draw_randomness, DomainSeparationTag};
use venus_core::traits::{winning_post_type, ProofVerifier};
use venus_core::types::{BeaconEntry, ExtendedSectorInfo};

/// The seed of `miner`'s winning PoSt at `round`: drawn from the beacon
/// entry `rbase` with the miner's CBOR address as entropy.
pub fn winning_post_randomness(
    rbase: &BeaconEntry,
    round: ChainEpoch,
    miner: &Address,
) -> Result<[u8; 32], String> {
    let entropy =
        venus_core::encoding::to_cbor(miner).map_err(|e| format!("encoding the miner: {e}"))?;
    Ok(draw_randomness(
        &rbase.data,
        DomainSeparationTag::WinningPoStChallengeSeed,
        round,
        &entropy,
    ))
}

/// The sectors of `eligible` (ascending by number) that `miner`'s winning
/// PoSt under `randomness` must prove, as `verifier` draws the challenge.
pub async fn challenged_sectors(
    verifier: &dyn ProofVerifier,
    miner: &Address,
    eligible: &[ExtendedSectorInfo],
    randomness: &[u8; 32],
) -> Result<Vec<ExtendedSectorInfo>, String> {
    let first = eligible
        .first()
        .ok_or_else(|| "the miner has no active sectors".to_string())?;
    let post_type = winning_post_type(first.seal_proof).map_err(|e| e.to_string())?;
    let positions = verifier
        .winning_post_challenge(post_type, miner, randomness, eligible.len() as u64)
        .await
        .map_err(|e| format!("challenge: {e}"))?;
    positions
        .iter()
        .map(|&i| {
            eligible
                .get(i as usize)
                .cloned()
                .ok_or_else(|| format!("challenge position {i} outside {} sectors", eligible.len()))
        })
        .collect()
}
