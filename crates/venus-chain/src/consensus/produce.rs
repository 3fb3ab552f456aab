//! Block production on the node's side: Lotus's `MinerGetBaseInfo`
//! (`chain/stmgr/utils.go`) and `FilecoinEC.CreateBlock`
//! (`chain/consensus/filcns/mine.go`), which leaves the header unsigned:
//! the worker's key stays in its wallet.

use std::sync::Arc;

use fvm_ipld_blockstore::Blockstore;
use fvm_shared::address::Address;
use fvm_shared::clock::ChainEpoch;
use fvm_shared::crypto::signature::SignatureType;
use venus_core::crypto::bls_aggregate;
use venus_core::types::{
    BlockHeader, BlockTemplate, ExtendedSectorInfo, FullBlock, MiningBaseInfo, TipSet,
};

use super::miner::{active_sectors, claim, eligibility, key_address, miner_state, power_state};
use super::post::{challenged_sectors, winning_post_randomness};
use super::Consensus;
use crate::beacon::{entries_for_block, LocalBeacon};
use crate::chain::latest_beacon_entry;
use crate::error::{ChainError, Result};
use crate::state::StateTree;

/// What [`Consensus::mining_base_info`] reads from the chain before the
/// challenge is drawn.
enum BaseInputs {
    /// The miner exists neither at the lookback nor at the base.
    Absent,
    /// It exists at the base only: no power yet.
    NoPowerYet(MiningBaseInfo),
    /// It has sectors at the lookback; `info.sectors` is still empty.
    Ready {
        info: MiningBaseInfo,
        eligible: Vec<ExtendedSectorInfo>,
        randomness: [u8; 32],
    },
}

impl<BS: Blockstore + Send + Sync + 'static> Consensus<BS> {
    /// What `miner` needs to mine at `round` on `base`: `None` when it
    /// does not exist or has no active sectors at the lookback; with
    /// `eligible_for_mining` false when it exists without power.
    /// The sectors are the ones its winning PoSt must prove.
    ///
    /// The state reads (and the base's execution, if it has not run) go
    /// on a blocking thread.
    pub async fn mining_base_info(
        self: &Arc<Self>,
        miner: &Address,
        round: ChainEpoch,
        base: &TipSet,
        beacon: &Arc<LocalBeacon>,
    ) -> Result<Option<MiningBaseInfo>> {
        let (this, miner_c, base_c, beacon_c) =
            (self.clone(), *miner, base.clone(), beacon.clone());
        let inputs = tokio::task::spawn_blocking(move || {
            this.base_inputs(&miner_c, round, &base_c, &beacon_c)
        })
        .await
        .map_err(|e| ChainError::Chain(format!("base info stopped: {e}")))??;
        match inputs {
            BaseInputs::Absent => Ok(None),
            BaseInputs::NoPowerYet(info) => Ok(Some(info)),
            BaseInputs::Ready {
                mut info,
                eligible,
                randomness,
            } => {
                info.sectors =
                    challenged_sectors(self.post.as_ref(), miner, &eligible, &randomness)
                        .await
                        .map_err(|e| ChainError::Chain(format!("winning PoSt sectors: {e}")))?;
                Ok(Some(info))
            }
        }
    }

    /// The synchronous part of [`Consensus::mining_base_info`].
    fn base_inputs(
        &self,
        miner: &Address,
        round: ChainEpoch,
        base: &TipSet,
        beacon: &LocalBeacon,
    ) -> Result<BaseInputs> {
        let miner_id = miner
            .id()
            .map_err(|_| ChainError::Chain(format!("miner {miner} is not an ID address")))?;
        let prev = latest_beacon_entry(&self.chain, base)?;
        let entries = entries_for_block(beacon, &self.params.clock, round, &prev)?;
        let rbase = entries.last().unwrap_or(&prev).clone();
        let lookback = self.lookback(base, round)?;
        let store = self.chain.blockstore();
        let mut lb_state = StateTree::load(store, &lookback.state)?;
        if lb_state.get_actor(miner_id)?.is_none() {
            let at_base = StateTree::load(store, &self.tipset_result(base)?.state_root)?;
            if at_base.get_actor(miner_id)?.is_none() {
                return Ok(BaseInputs::Absent);
            }
            return Ok(BaseInputs::NoPowerYet(MiningBaseInfo {
                miner_power: Default::default(),
                network_power: Default::default(),
                sectors: Vec::new(),
                worker_key: *miner,
                sector_size: 0,
                prev_beacon_entry: prev,
                beacon_entries: entries,
                eligible_for_mining: false,
            }));
        }
        let randomness =
            winning_post_randomness(&rbase, round, miner).map_err(ChainError::Chain)?;
        let eligible = active_sectors(&lb_state, miner_id)?;
        if eligible.is_empty() {
            return Ok(BaseInputs::Absent);
        }
        let miner_power = claim(&lb_state, miner_id)?
            .map(|c| c.quality_adj_power)
            .unwrap_or_default();
        let network_power = power_state(&lb_state)?.total_quality_adj_power;
        let (_, info) = miner_state(&lb_state, miner_id)?;
        let worker_key = key_address(&mut lb_state, &self.params.manifest, &info.worker)?;
        let base_parent = StateTree::load(store, &base.parent_state())?;
        let lb_parent = StateTree::load(store, &lookback.tipset.parent_state())?;
        let ineligible = eligibility(
            &lb_parent,
            &base_parent,
            base.height(),
            &self.params.policy,
            miner_id,
        )?;
        Ok(BaseInputs::Ready {
            info: MiningBaseInfo {
                miner_power,
                network_power,
                sectors: Vec::new(),
                worker_key,
                sector_size: info.sector_size as u64,
                prev_beacon_entry: prev,
                beacon_entries: entries,
                eligible_for_mining: ineligible.is_none(),
            },
            eligible,
            randomness,
        })
    }

    /// The block a template describes, its header unsigned (Lotus's
    /// `CreateBlock` without `signBlock`): the parents' executed state and
    /// receipts, weight and next base fee, the messages stored with their
    /// meta, and the BLS signatures aggregated. Synchronous and CPU-heavy
    /// (it may execute the parents).
    pub fn create_block(&self, t: &BlockTemplate) -> Result<FullBlock> {
        let parent = self.chain.tipset(&t.parents)?;
        let result = self.tipset_result(&parent)?;
        let mut bls = Vec::new();
        let mut bls_sigs = Vec::new();
        let mut secp = Vec::new();
        for m in &t.messages {
            match m.signature.sig_type {
                SignatureType::BLS => {
                    bls.push(m.message.clone());
                    bls_sigs.push(&m.signature);
                }
                SignatureType::Secp256k1 => secp.push(m.clone()),
            }
        }
        let meta = self.chain.put_messages(&bls, &secp)?;
        let bls_aggregate =
            bls_aggregate(bls_sigs).map_err(|e| ChainError::Chain(format!("aggregate: {e}")))?;
        let header = BlockHeader {
            miner: t.miner,
            ticket: t.ticket.clone(),
            election_proof: t.eproof.clone(),
            beacon_entries: t.beacon_values.clone(),
            win_post_proof: t.winning_post_proof.clone(),
            parents: parent.key().cids().to_vec(),
            parent_weight: self.chain.weight(&parent)?,
            height: t.epoch,
            parent_state_root: result.state_root,
            parent_message_receipts: result.receipts_root,
            messages: meta.cid().map_err(|e| ChainError::Chain(e.to_string()))?,
            bls_aggregate: Some(bls_aggregate),
            timestamp: t.timestamp,
            block_sig: None,
            fork_signaling: 0,
            parent_base_fee: self.next_base_fee(&parent)?,
        };
        Ok(FullBlock {
            header,
            bls_messages: bls,
            secp_messages: secp,
        })
    }
}
