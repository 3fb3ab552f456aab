//! The devnet's randomness beacon: a local, drand-style chained beacon
//! ([`LocalBeacon`]). Its entries verify with the same code that verifies
//! real drand (`venus_core::crypto::DrandNetwork`, scheme
//! `pedersen-bls-chained`), so the node validates blocks the same way on
//! our devnet and on a network that follows drand.
//!
//! [`entries_for_block`] picks the rounds a new block carries, as Lotus's
//! `BeaconEntriesForBlock` (`chain/beacon/beacon.go`).

mod local;

pub use local::LocalBeacon;

use fvm_shared::clock::ChainEpoch;
use venus_core::types::BeaconEntry;
use venus_core::validate::ChainClock;

use crate::error::Result;

/// The beacon entries a block at `epoch` carries, given the parent
/// chain's latest entry `prev`: the rounds after `prev` up to the one the
/// epoch calls for; only that last one when `prev` is the genesis's round
/// 0; none when the parent chain has it already.
pub fn entries_for_block(
    beacon: &LocalBeacon,
    clock: &ChainClock,
    epoch: ChainEpoch,
    prev: &BeaconEntry,
) -> Result<Vec<BeaconEntry>> {
    let max = clock.max_beacon_round(beacon.network(), epoch);
    if max == prev.round {
        return Ok(Vec::new());
    }
    let from = if prev.round == 0 { max } else { prev.round + 1 };
    (from..=max).map(|r| beacon.entry(r)).collect()
}
