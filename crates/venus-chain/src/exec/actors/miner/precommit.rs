//! `PreCommitSectorBatch2` (28), as builtin-actors v17's
//! `pre_commit_sector_batch_inner` runs it: per-sector checks before
//! anything is read, the deposit for the most a sector can weigh, the
//! sector numbers allocated, the pre-commits and their clean-up queued,
//! and the miner's deadline cron enrolled on its first pre-commit.

use fil_actor_market_state::v17::{
    SectorDeals, VerifyDealsForActivationParams, VerifyDealsForActivationReturn,
};
use fil_actor_miner_state::v17::{
    can_pre_commit_seal_proof, is_sealed_sector, is_unsealed_sector, max_prove_commit_duration,
    pre_commit_deposit_for_power, qa_power_max, seal_proof_sector_maximum_lifetime,
    sector_deals_max, CollisionPolicy, PreCommitSectorBatchParams2, SectorPreCommitInfo,
    SectorPreCommitOnChainInfo, State, CRON_EVENT_PROVING_DEADLINE,
};
use fil_actors_shared::v17::runtime::policy_constants::MAX_SECTOR_NUMBER;
use fil_actors_shared::v17::runtime::Policy;
use fil_actors_shared::v17::{ActorDowncast, ActorError};
use fvm_ipld_bitfield::BitField;
use fvm_ipld_blockstore::Blockstore;
use fvm_ipld_encoding::ipld_block::IpldBlock;
use fvm_shared::address::Address;
use fvm_shared::clock::ChainEpoch;
use fvm_shared::econ::TokenAmount;
use fvm_shared::error::ExitCode;
use fvm_shared::sector::RegisteredSealProof;

use super::super::super::runtime::{params, returned, Abort, MethodResult, Rt};
use super::super::market::VERIFY_DEALS_FOR_ACTIVATION;
use super::{
    burn, check_invariants, controlling, enroll_cron_event, miner_info, repay_debts_or_abort,
};
use super::{request_current_epoch_block_reward, request_current_total_power};
use crate::state::ids::MARKET_ID;

/// `PreCommitSectorBatch2`.
pub const PRE_COMMIT_SECTOR_BATCH2: u64 = 28;

pub(in crate::exec::actors) fn pre_commit_sector_batch2<BS: Blockstore + Clone>(
    rt: &mut Rt<'_, BS>,
    p: Option<IpldBlock>,
) -> MethodResult {
    let p: PreCommitSectorBatchParams2 = params(p)?;
    let sectors = p.sectors;
    let epoch = rt.epoch();
    let policy = rt.policy().clone();
    if sectors.is_empty() {
        return Err(ActorError::illegal_argument("batch empty".into()).into());
    }
    let earliest = epoch - policy.max_pre_commit_randomness_lookback;
    let mut numbers = BitField::new();
    let mut sectors_deals = Vec::with_capacity(sectors.len());
    for pc in &sectors {
        check_precommit(&policy, epoch, earliest, &mut numbers, pc)?;
        sectors_deals.push(SectorDeals {
            sector_number: pc.sector_number,
            sector_type: pc.seal_proof,
            sector_expiry: pc.expiration,
            deal_ids: pc.deal_ids.clone(),
        });
    }

    let reward = request_current_epoch_block_reward(rt)?;
    let power = request_current_total_power(rt)?;
    // `verify_deals`: the market is asked only when a sector has deals.
    let verified = if sectors_deals.iter().all(|s| s.deal_ids.is_empty()) {
        VerifyDealsForActivationReturn {
            unsealed_cids: vec![None; sectors.len()],
        }
    } else {
        let r = rt.send(
            &Address::new_id(MARKET_ID),
            VERIFY_DEALS_FOR_ACTIVATION,
            IpldBlock::serialize_cbor(&VerifyDealsForActivationParams {
                sectors: sectors_deals,
            })
            .map_err(ActorError::from)?,
            TokenAmount::default(),
        )?;
        returned(r)?
    };
    if verified.unsealed_cids.len() != sectors.len() {
        return Err(ActorError::illegal_state(format!(
            "deal weight request returned {} records, expected {}",
            verified.unsealed_cids.len(),
            sectors.len()
        ))
        .into());
    }

    let mut st: State = rt.state()?;
    let balance = rt.balance()?;
    let available = st.get_available_balance(&balance).map_err(|e| {
        ActorError::illegal_state(format!("failed to calculate available balance: {e}"))
    })?;
    let fee_to_burn = repay_debts_or_abort(&mut st, &balance)?;
    let info = miner_info(&st, rt.store())?;
    rt.validate_caller_is(&controlling(&info))?;
    if epoch <= info.consensus_fault_elapsed {
        return Err(ActorError::forbidden(
            "pre-commit not allowed during active consensus fault".into(),
        )
        .into());
    }

    let deal_count_max = sector_deals_max(&policy, info.sector_size);
    let deposit = pre_commit_deposit_for_power(
        &reward.this_epoch_reward_smoothed,
        &power.quality_adj_power_smoothed,
        &qa_power_max(info.sector_size),
    );
    let mut chain_infos = Vec::with_capacity(sectors.len());
    let mut total_deposit = TokenAmount::default();
    let mut clean_ups = Vec::with_capacity(sectors.len());
    for (pc, computed) in sectors.into_iter().zip(verified.unsealed_cids) {
        let post = pc.seal_proof.registered_window_post_proof().map_err(|_| {
            ActorError::illegal_argument(format!(
                "failed to lookup Window PoSt proof type for sector seal proof {}",
                i64::from(pc.seal_proof)
            ))
        })?;
        if post != info.window_post_proof_type {
            return Err(ActorError::illegal_argument(format!(
                "sector Window PoSt proof type {} must match miner Window PoSt proof type {} (seal proof type {})",
                i64::from(post),
                i64::from(info.window_post_proof_type),
                i64::from(pc.seal_proof)
            ))
            .into());
        }
        if pc.deal_ids.len() as u64 > deal_count_max {
            return Err(ActorError::illegal_argument(format!(
                "too many deals for sector {} > {deal_count_max}",
                pc.deal_ids.len()
            ))
            .into());
        }
        if let Some(computed) = computed {
            if pc.unsealed_cid.get_cid(pc.seal_proof)? != computed {
                return Err(ActorError::illegal_argument(format!(
                    "computed {computed} and passed {:?} CommDs not equal",
                    pc.unsealed_cid
                ))
                .into());
            }
        }
        let msd = max_prove_commit_duration(&policy, pc.seal_proof).ok_or_else(|| {
            ActorError::illegal_argument(format!(
                "no max seal duration set for proof type: {}",
                i64::from(pc.seal_proof)
            ))
        })?;
        clean_ups.push((
            epoch + msd + policy.expired_pre_commit_clean_up_delay,
            pc.sector_number,
        ));
        total_deposit += &deposit;
        chain_infos.push(SectorPreCommitOnChainInfo {
            info: pc,
            pre_commit_deposit: deposit.clone(),
            pre_commit_epoch: epoch,
        });
    }
    if available < total_deposit {
        return Err(ActorError::insufficient_funds(format!(
            "insufficient funds {available} for pre-commit deposit: {total_deposit}"
        ))
        .into());
    }
    st.add_pre_commit_deposit(&total_deposit).map_err(|e| {
        ActorError::illegal_state(format!(
            "failed to add pre-commit deposit {total_deposit}: {e}"
        ))
    })?;
    st.allocate_sector_numbers(rt.store(), &numbers, CollisionPolicy::DenyCollisions)?;
    st.put_precommitted_sectors(rt.store(), chain_infos)
        .map_err(|e| {
            e.downcast_default(
                ExitCode::USR_ILLEGAL_STATE,
                "failed to write pre-committed sectors",
            )
        })?;
    st.add_pre_commit_clean_ups(&policy, rt.store(), clean_ups)
        .map_err(|e| {
            e.downcast_default(
                ExitCode::USR_ILLEGAL_STATE,
                "failed to add pre-commit expiry to queue",
            )
        })?;
    let needs_cron = !st.deadline_cron_active;
    st.deadline_cron_active = true;
    rt.set_state(&st)?;

    burn(rt, fee_to_burn)?;
    check_invariants(rt)?;
    if needs_cron {
        enroll_cron_event(
            rt,
            st.deadline_info(&policy, epoch).last(),
            CRON_EVENT_PROVING_DEADLINE,
        )?;
    }
    Ok(None)
}

/// The checks made on each pre-commit before anything is read.
fn check_precommit(
    policy: &Policy,
    epoch: ChainEpoch,
    earliest: ChainEpoch,
    numbers: &mut BitField,
    pc: &SectorPreCommitInfo,
) -> Result<(), Abort> {
    let bad = |m: String| -> Result<(), Abort> { Err(ActorError::illegal_argument(m).into()) };
    if numbers.get(pc.sector_number) {
        return bad(format!("duplicate sector number {}", pc.sector_number));
    }
    if pc.sector_number == u64::MAX {
        // The real actor's bitfield panics on it, which the FVM turns
        // into an assertion failure.
        return Err(ActorError::assertion_failed(format!(
            "sector number {} overflows the bitfield",
            pc.sector_number
        ))
        .into());
    }
    if pc.sector_number > MAX_SECTOR_NUMBER {
        // Checked before the bitfield takes it; the actor checks it after
        // the proof type.
        return bad(format!(
            "sector number {} out of range 0..(2^63-1)",
            pc.sector_number
        ));
    }
    numbers.set(pc.sector_number);
    if !can_pre_commit_seal_proof(policy, pc.seal_proof) {
        return bad(format!(
            "unsupported seal proof type {}",
            i64::from(pc.seal_proof)
        ));
    }
    if !is_sealed_sector(&pc.sealed_cid) {
        return bad("sealed CID had wrong prefix".into());
    }
    if pc.seal_rand_epoch >= epoch {
        return bad(format!(
            "seal challenge epoch {} must be before now {epoch}",
            pc.seal_rand_epoch
        ));
    }
    if pc.seal_rand_epoch < earliest {
        return bad(format!(
            "seal challenge epoch {} too old, must be after {earliest}",
            pc.seal_rand_epoch
        ));
    }
    if let Some(commd) = &pc.unsealed_cid.0 {
        if !is_unsealed_sector(commd) {
            return bad("unsealed CID had wrong prefix".into());
        }
    }
    let max_activation =
        epoch + max_prove_commit_duration(policy, pc.seal_proof).unwrap_or_default();
    validate_expiration(policy, epoch, max_activation, pc.expiration, pc.seal_proof)
}

/// A sector's expiration against its activation (`validate_expiration`).
fn validate_expiration(
    policy: &Policy,
    epoch: ChainEpoch,
    activation: ChainEpoch,
    expiration: ChainEpoch,
    proof: RegisteredSealProof,
) -> Result<(), Abort> {
    let bad = |m: String| -> Result<(), Abort> { Err(ActorError::illegal_argument(m).into()) };
    if expiration <= activation {
        return bad(format!(
            "sector expiration {expiration} must be after activation {activation}"
        ));
    }
    if expiration - activation < policy.min_sector_expiration {
        return bad(format!(
            "invalid expiration {expiration}, total sector lifetime ({}) must exceed {} after activation {activation}",
            expiration - activation,
            policy.min_sector_expiration
        ));
    }
    if expiration > epoch + policy.max_sector_expiration_extension {
        return bad(format!(
            "invalid expiration {expiration}, cannot be more than {} past current epoch {epoch}",
            policy.max_sector_expiration_extension
        ));
    }
    let max_lifetime = seal_proof_sector_maximum_lifetime(proof).ok_or_else(|| {
        ActorError::illegal_argument(format!("unrecognized seal proof type {proof:?}"))
    })?;
    if expiration - activation > max_lifetime {
        return bad(format!(
            "invalid expiration {expiration}, total sector lifetime ({}) cannot exceed {max_lifetime} after activation {activation}",
            expiration - activation
        ));
    }
    Ok(())
}
