//! Expected consensus over a [`ChainStore`]: what executing a tipset gives
//! ([`Consensus::tipset_result`], Lotus's `TipSetState`), the next base fee
//! (`ComputeBaseFee`), the lookback state mining reads
//! (`GetLookbackTipSetForRound`), and full block validation
//! ([`Consensus::validate_block`], Lotus's `FilecoinEC.ValidateBlock` with
//! `CommonBlkChecks`).
//!
//! Execution and the checks are synchronous and CPU-heavy (seal and PoSt
//! verification run inside a tipset's messages): the async
//! [`Consensus::validate_block`] runs them on a blocking thread.

mod miner;
mod post;
mod produce;
mod validate;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use cid::Cid;
use fvm_ipld_blockstore::Blockstore;
use fvm_shared::clock::ChainEpoch;
use fvm_shared::econ::TokenAmount;
use venus_core::crypto::DrandNetwork;
use venus_core::gas::NetworkVersion;
use venus_core::traits::{ProofVerifier, SealVerifier};
use venus_core::types::{BlockMessages, TipSet, TipSetKey};
use venus_core::validate::ChainClock;

pub use miner::{
    active_sectors, claim, eligibility, key_address, miner_state, power_state, worker_key,
    Ineligible,
};
pub use post::{challenged_sectors, winning_post_randomness};
pub use validate::BlockError;

use crate::chain::{ChainRand, ChainStore, NullRound, TipsetResult};
use crate::error::{ChainError, Result};
use crate::exec::{apply_tipset, BlockToApply, ExecEnv, Externs};
use crate::state::Manifest;
use fil_actors_shared::v17::runtime::Policy;

/// Lotus's `AllowableClockDriftSecs`: how far ahead of the clock a block's
/// timestamp may be.
pub const ALLOWABLE_CLOCK_DRIFT_SECS: u64 = 1;

/// Lotus's `BlockMessageLimit`.
pub const BLOCK_MESSAGE_LIMIT: usize = 10_000;

/// Lotus's `TicketRandomnessLookback`.
pub const TICKET_RANDOMNESS_LOOKBACK: ChainEpoch = 1;

/// The network a node follows: what its blocks are checked against.
#[derive(Debug, Clone)]
pub struct NetworkParams {
    /// The actors' Code CIDs.
    pub manifest: Manifest,
    /// The actors' policy.
    pub policy: Policy,
    /// The network version (one for the whole devnet chain).
    pub network_version: NetworkVersion,
    /// The beacon's chain info.
    pub drand: DrandNetwork,
    /// The genesis time and the block delay.
    pub clock: ChainClock,
}

impl NetworkParams {
    /// A devnet's: the devnet manifest and policy, the network version
    /// the state is written at, and epochs of `block_delay` seconds from
    /// `genesis_time`, with `drand` the beacon's chain info.
    pub fn devnet(drand: DrandNetwork, genesis_time: u64, block_delay: u64) -> Self {
        NetworkParams {
            manifest: Manifest::devnet(),
            policy: crate::exec::policy::devnet(),
            network_version: crate::state::NETWORK_VERSION,
            drand,
            clock: ChainClock {
                genesis_time,
                block_delay,
            },
        }
    }
}

/// The tipset a lookback lands on and the state after it: see
/// [`Consensus::lookback`].
#[derive(Debug, Clone)]
pub struct Lookback {
    /// The lookback tipset.
    pub tipset: TipSet,
    /// The state after it.
    pub state: Cid,
}

/// Consensus over a chain: execution, the base fee, lookbacks and block
/// validation.
pub struct Consensus<BS> {
    chain: Arc<ChainStore<BS>>,
    params: NetworkParams,
    seal: Arc<dyn SealVerifier>,
    post: Arc<dyn ProofVerifier>,
    /// Tipsets being executed, so that callers asking for one at once
    /// (the blocks of a tipset validated together) wait for one execution
    /// instead of each running it (Lotus's `compWait` in `TipSetState`).
    executing: std::sync::Mutex<HashMap<TipSetKey, Arc<std::sync::Mutex<()>>>>,
}

impl<BS> std::fmt::Debug for Consensus<BS> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Consensus")
            .field("params", &self.params)
            .finish_non_exhaustive()
    }
}

impl<BS: Blockstore + Send + Sync + 'static> Consensus<BS> {
    /// Consensus over `chain` for the network `params`; `seal` verifies
    /// the proofs messages carry, `post` winning PoSts.
    pub fn new(
        chain: Arc<ChainStore<BS>>,
        params: NetworkParams,
        seal: Arc<dyn SealVerifier>,
        post: Arc<dyn ProofVerifier>,
    ) -> Self {
        Consensus {
            chain,
            params,
            seal,
            post,
            executing: Default::default(),
        }
    }

    /// The chain.
    pub fn chain(&self) -> &Arc<ChainStore<BS>> {
        &self.chain
    }

    /// The network parameters.
    pub fn params(&self) -> &NetworkParams {
        &self.params
    }

    /// The winning PoSt verifier.
    pub fn post_verifier(&self) -> &Arc<dyn ProofVerifier> {
        &self.post
    }

    /// The verifier of the proofs messages carry (seals, window PoSts).
    pub fn seal_verifier(&self) -> &Arc<dyn SealVerifier> {
        &self.seal
    }

    /// Randomness for executing `ts`.
    pub fn rand(&self, ts: &TipSet) -> ChainRand<BS> {
        ChainRand::new(
            self.chain.clone(),
            ts.clone(),
            self.params.drand.clone(),
            self.params.clock,
        )
    }

    /// The state and receipts after executing `ts` (Lotus's
    /// `TipSetState`): genesis gives its own; another tipset is executed
    /// once, on its parent state, and the result recorded. Synchronous
    /// and CPU-heavy.
    pub fn tipset_result(&self, ts: &TipSet) -> Result<TipsetResult> {
        if ts.height() == 0 {
            let g = &ts.blocks()[0];
            return Ok(TipsetResult {
                state_root: g.parent_state_root,
                receipts_root: g.parent_message_receipts,
            });
        }
        if let Some(r) = self.chain.tipset_result(ts.key())? {
            return Ok(r);
        }
        // One execution per tipset at a time; who waited finds the result.
        let slot = self
            .executing
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(ts.key().clone())
            .or_default()
            .clone();
        let result = {
            let _running = slot.lock().unwrap_or_else(|e| e.into_inner());
            match self.chain.tipset_result(ts.key()) {
                Ok(Some(r)) => Ok(r),
                Ok(None) => self.execute(ts),
                Err(e) => Err(e),
            }
        };
        // References are taken and dropped under the map's lock only, so
        // the last one out sees the map's own as the only one left.
        let mut executing = self.executing.lock().unwrap_or_else(|e| e.into_inner());
        drop(slot);
        if executing
            .get(ts.key())
            .is_some_and(|s| Arc::strong_count(s) == 1)
        {
            executing.remove(ts.key());
        }
        result
    }

    /// Executes `ts` on its parent state and records the result.
    fn execute(&self, ts: &TipSet) -> Result<TipsetResult> {
        let parent = self.chain.tipset(&ts.parents())?;
        let messages = ts
            .blocks()
            .iter()
            .map(|b| self.chain.block_messages(b))
            .collect::<Result<Vec<BlockMessages>>>()?;
        let blocks = BlockToApply::of_tipset(ts, &messages);
        let env = ExecEnv {
            epoch: ts.height(),
            base_fee: ts.blocks()[0].parent_base_fee.clone(),
            network_version: self.params.network_version,
            policy: self.params.policy.clone(),
        };
        let externs = Externs {
            randomness: Arc::new(self.rand(ts)),
            verifier: self.seal.clone(),
        };
        let applied = apply_tipset(
            self.chain.blockstore(),
            &ts.parent_state(),
            parent.height(),
            &self.params.manifest,
            &env,
            Some(externs),
            &blocks,
        )?;
        let result = TipsetResult {
            state_root: applied.state_root,
            receipts_root: applied.receipts_root,
        };
        self.chain.put_tipset_result(ts.key(), &result)?;
        tracing::debug!(
            target: "venus_chain::consensus",
            tipset = %ts.key(), height = ts.height(), state = %result.state_root,
            "tipset executed"
        );
        Ok(result)
    }

    /// The base fee of the blocks on top of `ts` (Lotus's
    /// `ComputeBaseFee`): from `ts`'s own base fee and the gas limits of
    /// its distinct messages.
    pub fn next_base_fee(&self, ts: &TipSet) -> Result<TokenAmount> {
        let mut seen: HashSet<Cid> = HashSet::new();
        let mut limit: u64 = 0;
        for b in ts.blocks() {
            let msgs = self.chain.block_messages(b)?;
            for (cid, m) in msgs.cids.iter().zip(msgs.messages()) {
                if seen.insert(*cid) {
                    limit = limit.saturating_add(m.gas_limit);
                }
            }
        }
        Ok(venus_core::gas::next_base_fee(
            &ts.blocks()[0].parent_base_fee,
            limit,
            ts.blocks().len(),
        ))
    }

    /// The tipset and state a block at `round` on `base` reads its miner's
    /// worker, power and sectors from (Lotus's `GetLookbackTipSetForRound`):
    /// the tipset at `round − finality` and the state after it.
    pub fn lookback(&self, base: &TipSet, round: ChainEpoch) -> Result<Lookback> {
        let lb = self.params.policy.chain_finality;
        let lbr = if round > lb { round - lb } else { 0 };
        if lbr >= base.height() {
            // Lotus allows this only before network version 4; from a
            // genesis base it is the genesis state.
            if base.height() != 0 {
                return Err(ChainError::Chain(format!(
                    "the lookback for round {round} ({lbr}) is at or above its base {}",
                    base.height()
                )));
            }
            let state = self.tipset_result(base)?.state_root;
            return Ok(Lookback {
                tipset: base.clone(),
                state,
            });
        }
        let next = self
            .chain
            .tipset_by_height(lbr + 1, Some(base), NullRound::Above)?;
        if lbr > next.height() {
            return Err(ChainError::Chain(format!(
                "the lookback at {lbr} is above the tipset after it ({})",
                next.height()
            )));
        }
        let tipset = self.chain.tipset(&next.parents())?;
        Ok(Lookback {
            tipset,
            state: next.parent_state(),
        })
    }
}
