//! [`ChainRand`]: the executor's [`Randomness`] over a chain, as Lotus's
//! `stateRand` (`chain/rand/rand.go`) draws it for network version 14 on.

use std::sync::Arc;

use fvm_ipld_blockstore::Blockstore;
use fvm_shared::clock::ChainEpoch;
use venus_core::crypto::DrandNetwork;
use venus_core::encoding::blake2b_256;
use venus_core::types::{BeaconEntry, TipSet};
use venus_core::validate::ChainClock;

use super::{ChainStore, NullRound};
use crate::error::{ChainError, Result};
use crate::exec::Randomness;

/// How many tipsets down Lotus looks for a beacon entry before it gives up.
const BEACON_LOOKBACK: usize = 20;

/// Randomness for executing `tipset`: its chain's tickets and beacon.
pub struct ChainRand<BS> {
    chain: Arc<ChainStore<BS>>,
    tipset: TipSet,
    drand: DrandNetwork,
    clock: ChainClock,
}

impl<BS> std::fmt::Debug for ChainRand<BS> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChainRand")
            .field("tipset", self.tipset.key())
            .finish_non_exhaustive()
    }
}

impl<BS: Blockstore> ChainRand<BS> {
    /// The randomness of `tipset`'s chain, with the beacon `drand` whose
    /// rounds the chain's `clock` calls for.
    pub fn new(
        chain: Arc<ChainStore<BS>>,
        tipset: TipSet,
        drand: DrandNetwork,
        clock: ChainClock,
    ) -> Self {
        ChainRand {
            chain,
            tipset,
            drand,
            clock,
        }
    }

    fn not_in_the_future(&self, epoch: ChainEpoch) -> Result<()> {
        if epoch > self.tipset.height() {
            return Err(ChainError::Chain(format!(
                "cannot draw randomness from the future: epoch {epoch} above {}",
                self.tipset.height()
            )));
        }
        Ok(())
    }

    /// The digest Lotus's `getChainRandomness` returns: Blake2b-256 of the
    /// smallest ticket of the tipset at `epoch` (below a null round), the
    /// genesis for an epoch before it.
    pub fn ticket_digest(&self, epoch: ChainEpoch) -> Result<[u8; 32]> {
        self.not_in_the_future(epoch)?;
        let ts = self
            .chain
            .tipset_by_height(epoch.max(0), Some(&self.tipset), NullRound::Below)?;
        let ticket = ts
            .min_ticket()
            .ok_or_else(|| ChainError::Chain(format!("tipset {} has no ticket", ts.key())))?;
        Ok(blake2b_256(&ticket.vrf_proof))
    }

    /// The beacon entry for `epoch` (Lotus's `extractBeaconEntryForEpoch`):
    /// the round the epoch calls for, found in the tipset at `epoch` (above
    /// a null round) or up to 20 below it. An epoch before genesis reads the
    /// genesis entry.
    pub fn beacon_entry(&self, epoch: ChainEpoch) -> Result<BeaconEntry> {
        self.not_in_the_future(epoch)?;
        if epoch < 0 {
            return latest_beacon_entry(&self.chain, self.chain.genesis());
        }
        let mut ts = self
            .chain
            .tipset_by_height(epoch, Some(&self.tipset), NullRound::Above)?;
        let round = self.clock.max_beacon_round(&self.drand, epoch);
        for _ in 0..BEACON_LOOKBACK {
            if let Some(e) = ts.blocks()[0]
                .beacon_entries
                .iter()
                .find(|e| e.round == round)
            {
                return Ok(e.clone());
            }
            if ts.height() == 0 {
                break;
            }
            ts = self.chain.tipset(&ts.parents())?;
        }
        Err(ChainError::Chain(format!(
            "didn't find beacon for round {round} (epoch {epoch})"
        )))
    }
}

impl<BS: Blockstore + Send + Sync> Randomness for ChainRand<BS> {
    fn chain_randomness(&self, epoch: ChainEpoch) -> anyhow::Result<[u8; 32]> {
        Ok(self.ticket_digest(epoch)?)
    }

    fn beacon_randomness(&self, epoch: ChainEpoch) -> anyhow::Result<[u8; 32]> {
        Ok(blake2b_256(&self.beacon_entry(epoch)?.data))
    }
}

/// The last beacon entry on the chain ending at `ts` (Lotus's
/// `GetLatestBeaconEntry`): the last entry of the first tipset, walking
/// down at most 20, whose first block carries any. Genesis carries round 0.
pub fn latest_beacon_entry<BS: Blockstore>(
    chain: &ChainStore<BS>,
    ts: &TipSet,
) -> Result<BeaconEntry> {
    let mut cur = ts.clone();
    for _ in 0..BEACON_LOOKBACK {
        if let Some(e) = cur.blocks()[0].beacon_entries.last() {
            return Ok(e.clone());
        }
        if cur.height() == 0 {
            break;
        }
        cur = chain.tipset(&cur.parents())?;
    }
    Err(ChainError::Chain(format!(
        "found no beacon entry in the {BEACON_LOOKBACK} tipsets below {}",
        ts.key()
    )))
}
