//! The miner-state methods damocles-manager and Lotus's miner call:
//! deadlines, partitions, sectors and pre-commits, read from the miner
//! actor's state (`fil_actor_miner_state` v17) at a tipset's parent state,
//! in Lotus's JSON (`node/impl/full/state.go`).

use std::sync::Arc;

use fil_actor_miner_state::v17::{
    Partition as ActorPartition, SectorOnChainInfo as ActorSector, State as MinerState,
};
use fvm_ipld_bitfield::BitField;
use fvm_ipld_blockstore::Blockstore;
use fvm_shared::sector::{RegisteredSealProof, SectorNumber, SectorSize};
use venus_api::lotus::*;
use venus_chain::consensus::miner_state;
use venus_chain::exec::pledge::PledgeInputs;
use venus_chain::StateTree;
use venus_core::json::Lotus;
use venus_core::types::TipSetKey;
use venus_core::{Address, TokenAmount};
use venus_rpc::RpcModule;

use crate::error::{NodeError, Result};
use crate::node::Node;

fn bits(b: &BitField) -> BitFieldRuns {
    BitFieldRuns::from_ranges(b.ranges())
}

fn state_err(what: &str, e: impl std::fmt::Display) -> NodeError {
    NodeError::Invalid(format!("{what}: {e}"))
}

fn sector_json(s: &ActorSector) -> SectorOnChainInfo {
    SectorOnChainInfo {
        sector_number: s.sector_number,
        seal_proof: i64::from(s.seal_proof),
        sealed_cid: s.sealed_cid,
        activation: s.activation,
        expiration: s.expiration,
        deal_weight: s.deal_weight.clone(),
        verified_deal_weight: s.verified_deal_weight.clone(),
        initial_pledge: s.initial_pledge.clone(),
        expected_day_reward: s.expected_day_reward.clone().unwrap_or_default(),
        expected_storage_pledge: s.expected_storage_pledge.clone().unwrap_or_default(),
        power_base_epoch: s.power_base_epoch,
        replaced_day_reward: s.replaced_day_reward.clone().unwrap_or_default(),
        sector_key_cid: s.sector_key_cid,
        flags: s.flags.bits(),
        daily_fee: s.daily_fee.clone(),
    }
}

fn partition_json(p: &ActorPartition) -> Partition {
    let live = &p.sectors - &p.terminated;
    let active = &(&live - &p.faults) - &p.unproven;
    Partition {
        all_sectors: bits(&p.sectors),
        faulty_sectors: bits(&p.faults),
        recovering_sectors: bits(&p.recoveries),
        live_sectors: bits(&live),
        active_sectors: bits(&active),
    }
}

impl<BS: Blockstore + Send + Sync + 'static> Node<BS> {
    /// Runs `f` over a miner's state in `key`'s parent state (as Lotus's
    /// state methods read it), on a blocking thread.
    async fn with_miner<T, F>(&self, miner: Address, key: &TipSetKey, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&MinerState, &StateTree<&BS>, i64) -> Result<T> + Send + 'static,
    {
        let ts = self.tipset(key)?;
        let height = ts.height();
        self.with_state(ts.parent_state(), move |tree| {
            let id = tree
                .lookup_id(&miner)?
                .ok_or_else(|| NodeError::NotFound(format!("actor not found: {miner}")))?;
            let (st, _) = miner_state(tree, id)?;
            f(&st, tree, height)
        })
        .await
    }
}

/// Lotus quotes deposits and pledges 10% above the price in the state, so
/// that a message sent with the quote still covers it a few epochs later.
fn with_margin(t: TokenAmount) -> TokenAmount {
    TokenAmount::from_atto(t.atto() * 110 / 100)
}

impl<BS: Blockstore + Send + Sync + 'static> Node<BS> {
    /// A pre-committed sector in `key`'s parent state.
    pub(crate) async fn pre_commit_info(
        &self,
        miner: Address,
        num: SectorNumber,
        key: &TipSetKey,
    ) -> Result<Option<SectorPreCommitOnChainInfo>> {
        self.with_miner(miner, key, move |st, tree, _| {
            let pc = st
                .get_precommitted_sector(tree.store(), num)
                .map_err(|e| state_err("pre-committed sectors", e))?;
            Ok(pc.map(|pc| SectorPreCommitOnChainInfo {
                info: SectorPreCommitInfo {
                    seal_proof: i64::from(pc.info.seal_proof),
                    sector_number: pc.info.sector_number,
                    sealed_cid: pc.info.sealed_cid,
                    seal_rand_epoch: pc.info.seal_rand_epoch,
                    deal_ids: pc.info.deal_ids.clone(),
                    expiration: pc.info.expiration,
                    unsealed_cid: pc.info.unsealed_cid.0,
                },
                pre_commit_deposit: pc.pre_commit_deposit,
                pre_commit_epoch: pc.pre_commit_epoch,
            }))
        })
        .await
    }

    /// The pledge inputs of `key`'s parent state.
    async fn pledge_inputs(&self, key: &TipSetKey) -> Result<PledgeInputs> {
        let ts = self.tipset(key)?;
        let height = ts.height();
        self.with_state(ts.parent_state(), move |tree| {
            Ok(PledgeInputs::read(tree, height)?)
        })
        .await
    }
}

/// Registers the miner-state methods on `m`.
pub(crate) fn register<BS: Blockstore + Send + Sync + 'static>(
    m: &mut RpcModule,
    n: &Arc<Node<BS>>,
) {
    // Lotus prices the deposit at the sector size's most power, whatever
    // the miner; the miner is not looked up.
    m.register_with::<StateMinerPreCommitDepositForPower, _, _, _>(
        n,
        |n, _, (_, pci, k)| async move {
            let size = RegisteredSealProof::from(pci.seal_proof)
                .sector_size()
                .map_err(|e| {
                    NodeError::Invalid(format!("failed to resolve sector size for seal proof: {e}"))
                })?;
            let inputs = n.pledge_inputs(&k.0).await?;
            Ok(Lotus(with_margin(inputs.pre_commit_deposit(size))))
        },
    );
    m.register_with::<StateMinerInitialPledgeForSector, _, _, _>(
        n,
        |n, _, (duration, size, verified, k)| async move {
            // Lotus's checks and texts.
            if duration <= 0 {
                return Err(
                    NodeError::Invalid("sector duration must greater than 0".into()).into(),
                );
            }
            if size == 0 {
                return Err(NodeError::Invalid("sector size must be non-zero".into()).into());
            }
            if verified > size {
                return Err(NodeError::Invalid(
                    "verified size must be less than or equal to sector size".into(),
                )
                .into());
            }
            // Lotus takes any number; the actors' power formula takes the
            // sector sizes there are.
            let Some(sector) = <SectorSize as num_traits::FromPrimitive>::from_u64(size) else {
                return Err(
                    NodeError::Invalid(format!("{size} bytes is not a sector size")).into(),
                );
            };
            let inputs = n.pledge_inputs(&k.0).await?;
            Ok(Lotus(with_margin(
                inputs.sector_initial_pledge(sector, duration, verified),
            )))
        },
    );
    m.register_with::<StateMinerProvingDeadline, _, _, _>(n, |n, _, (a, k)| async move {
        let policy = n.consensus().params().policy.clone();
        Ok(n.with_miner(a.0, &k.0, move |st, _, height| {
            let d = st.deadline_info(&policy, height).next_not_elapsed();
            Ok(DeadlineInfo {
                current_epoch: d.current_epoch,
                period_start: d.period_start,
                index: d.index,
                open: d.open,
                close: d.close,
                challenge: d.challenge,
                fault_cutoff: d.fault_cutoff,
                w_post_period_deadlines: d.w_post_period_deadlines,
                w_post_proving_period: d.w_post_proving_period,
                w_post_challenge_window: d.w_post_challenge_window,
                w_post_challenge_lookback: d.w_post_challenge_lookback,
                fault_declaration_cutoff: d.fault_declaration_cutoff,
            })
        })
        .await?)
    });
    m.register_with::<StateMinerAllocated, _, _, _>(n, |n, _, (a, k)| async move {
        Ok(n.with_miner(a.0, &k.0, |st, tree, _| {
            let b: BitField = tree.read_state(&st.allocated_sectors, "allocated sectors")?;
            Ok(bits(&b))
        })
        .await?)
    });
    m.register_with::<StateMinerSectorAllocated, _, _, _>(n, |n, _, (a, num, k)| async move {
        Ok(n.with_miner(a.0, &k.0, move |st, tree, _| {
            let b: BitField = tree.read_state(&st.allocated_sectors, "allocated sectors")?;
            Ok(b.get(num))
        })
        .await?)
    });
    m.register_with::<StateSectorPreCommitInfo, _, _, _>(n, |n, _, (a, num, k)| async move {
        Ok(n.pre_commit_info(a.0, num, &k.0).await?)
    });
    m.register_with::<StateSectorGetInfo, _, _, _>(n, |n, _, (a, num, k)| async move {
        Ok(n.with_miner(a.0, &k.0, move |st, tree, _| {
            let s = st
                .get_sector(tree.store(), num)
                .map_err(|e| state_err("sectors", e))?;
            Ok(s.as_ref().map(sector_json))
        })
        .await?)
    });
    m.register_with::<StateMinerSectors, _, _, _>(n, |n, _, (a, filter, k)| async move {
        Ok(n.with_miner(a.0, &k.0, move |st, tree, _| {
            // Filtered while walking the miner's sectors: a bitfield of
            // 2^64 numbers costs no more than the sectors there are.
            let wanted = filter.map(|f| f.ranges());
            let keep = |n: SectorNumber| match &wanted {
                None => true,
                Some(ranges) => {
                    let i = ranges.partition_point(|r| r.end <= n);
                    ranges.get(i).is_some_and(|r| r.contains(&n))
                }
            };
            let mut out = Vec::new();
            st.for_each_sector(tree.store(), |s| {
                if keep(s.sector_number) {
                    out.push(sector_json(s));
                }
                Ok(())
            })
            .map_err(|e| state_err("sectors", e))?;
            Ok(out)
        })
        .await?)
    });
    m.register_with::<StateMinerPartitions, _, _, _>(n, |n, _, (a, dl, k)| async move {
        Ok(n.with_miner(a.0, &k.0, move |st, tree, _| {
            let store = tree.store();
            let deadlines = st
                .load_deadlines(store)
                .map_err(|e| state_err("deadlines", e))?;
            if dl >= deadlines.due.len() as u64 {
                return Err(NodeError::Invalid(format!(
                    "deadline {dl} out of range (a period has {})",
                    deadlines.due.len()
                )));
            }
            let d = deadlines
                .load_deadline(store, dl)
                .map_err(|e| state_err("deadline", e))?;
            let parts = d
                .partitions_amt(store)
                .map_err(|e| state_err("partitions", e))?;
            let mut out = Vec::new();
            parts
                .for_each(|_, p| {
                    out.push(partition_json(p));
                    Ok(())
                })
                .map_err(|e| state_err("partitions", e))?;
            Ok(out)
        })
        .await?)
    });
    m.register_with::<StateMinerDeadlines, _, _, _>(n, |n, _, (a, k)| async move {
        Ok(n.with_miner(a.0, &k.0, move |st, tree, _| {
            let store = tree.store();
            let deadlines = st
                .load_deadlines(store)
                .map_err(|e| state_err("deadlines", e))?;
            let mut out = Vec::new();
            for i in 0..deadlines.due.len() as u64 {
                let d = deadlines
                    .load_deadline(store, i)
                    .map_err(|e| state_err("deadline", e))?;
                let proofs = d
                    .optimistic_proofs_amt(store)
                    .map_err(|e| state_err("optimistic proofs", e))?;
                out.push(Deadline {
                    post_submissions: bits(&d.partitions_posted),
                    disputable_proof_count: proofs.count(),
                    daily_fee: d.daily_fee.clone(),
                });
            }
            Ok(out)
        })
        .await?)
    });
    m.register_with::<StateSectorPartition, _, _, _>(n, |n, _, (a, num, k)| async move {
        Ok(n.with_miner(a.0, &k.0, move |st, tree, _| {
            let store = tree.store();
            let deadlines = st
                .load_deadlines(store)
                .map_err(|e| state_err("deadlines", e))?;
            let (deadline, partition) = deadlines.find_sector(store, num).map_err(|e| {
                NodeError::NotFound(format!("sector {num} not due at any deadline: {e}"))
            })?;
            Ok(Some(SectorLocation {
                deadline,
                partition,
            }))
        })
        .await?)
    });
}
