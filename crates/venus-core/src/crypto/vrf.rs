//! VRFs: tickets and election proofs are BLS signatures over chain randomness.

use fvm_shared::address::{Address, Protocol};
use fvm_shared::clock::ChainEpoch;
use num_bigint::BigUint;
use num_traits::ToPrimitive;

use super::{draw_randomness, verify_bls, DomainSeparationTag};
use crate::encoding::{blake2b_256, to_cbor};
use crate::types::{BeaconEntry, Ticket};
use crate::{Error, Result};

/// Verifies a VRF proof: a BLS signature by the worker (an f3 address) over `vrf_base`.
pub fn verify_vrf(worker: &Address, vrf_base: &[u8], proof: &[u8]) -> Result<()> {
    if worker.protocol() != Protocol::BLS {
        return Err(Error::InvalidSignature(format!(
            "VRF worker {worker} is not a BLS address"
        )));
    }
    verify_bls(proof, vrf_base, worker)
}

/// The randomness an election proof signs: tag 2, round = epoch,
/// entropy = CBOR(miner), drawn from the beacon entry's data.
pub fn election_vrf_base(
    beacon: &BeaconEntry,
    epoch: ChainEpoch,
    miner: &Address,
) -> Result<[u8; 32]> {
    Ok(draw_randomness(
        &beacon.data,
        DomainSeparationTag::ElectionProofProduction,
        epoch,
        &to_cbor(miner)?,
    ))
}

/// The randomness a ticket signs: tag 1, round = epoch − 1,
/// entropy = CBOR(miner) followed by the parent tipset's minimum ticket when given.
pub fn ticket_vrf_base(
    beacon: &BeaconEntry,
    epoch: ChainEpoch,
    miner: &Address,
    parent_ticket: Option<&Ticket>,
) -> Result<[u8; 32]> {
    let mut entropy = to_cbor(miner)?;
    if let Some(t) = parent_ticket {
        entropy.extend_from_slice(&t.vrf_proof);
    }
    Ok(draw_randomness(
        &beacon.data,
        DomainSeparationTag::TicketProduction,
        epoch - 1,
        &entropy,
    ))
}

/// Ticket quality: `1 − blake2b-256(vrf) / 2^256`, in f64 as Lotus rounds it.
pub fn ticket_quality(vrf_proof: &[u8]) -> f64 {
    let n = BigUint::from_bytes_be(&blake2b_256(vrf_proof));
    // Dividing by a power of two is exact, so only the to_f64 rounding matters,
    // and it rounds to nearest as Go's big.Rat.Float64 does.
    let tv = n.to_f64().unwrap_or(f64::MAX) / 2f64.powi(256);
    1.0 - tv
}
