//! The miner's cron and rewards, as builtin-actors v17 runs them:
//! `OnDeferredCronEvent` (12) from power's cron at the last epoch of each
//! proving deadline (`handle_proving_deadline`: expired pre-commits burnt,
//! the deadline advanced so partitions without a proof become faulty and
//! lose power, continued-fault and daily fees charged, debts repaid, funds
//! vested, the next deadline enrolled) and for early terminations; and
//! `ApplyRewards` (14), which locks three quarters of a block reward to
//! vest and takes the block's penalty.

use fil_actor_miner_state::v17::{
    daily_proof_fee_payable, expected_reward_for_power, locked_reward_from_reward,
    pledge_penalty_for_continued_fault, pledge_penalty_for_termination, qa_power_for_sector,
    ApplyRewardParams, CronEventPayload, DeferredCronEventParams, PowerPair, Sectors, State,
    CRON_EVENT_PROCESS_EARLY_TERMINATIONS, CRON_EVENT_PROVING_DEADLINE,
};
use fil_actors_shared::v17::builtin::reward::FilterEstimate;
use fil_actors_shared::v17::{ActorDowncast, ActorError, EPOCHS_IN_DAY};
use fvm_ipld_bitfield::BitField;
use fvm_ipld_blockstore::Blockstore;
use fvm_ipld_encoding::ipld_block::IpldBlock;
use fvm_shared::address::Address;
use fvm_shared::econ::TokenAmount;
use fvm_shared::error::ExitCode;
use num_traits::{Signed, Zero};

use super::super::super::runtime::{params, Abort, MethodResult, Rt};
use super::super::market::ON_MINER_SECTORS_TERMINATE;
use super::admin::process_pending_worker;
use super::{
    burn, check_invariants, enroll_cron_event, notify_pledge_changed, request_update_power,
};
use crate::state::ids::{MARKET_ID, POWER_ID, REWARD_ID};

/// `OnDeferredCronEvent`.
pub const ON_DEFERRED_CRON_EVENT: u64 = 12;
/// `ApplyRewards`.
pub const APPLY_REWARDS: u64 = 14;

fn illegal(what: &str, e: impl std::fmt::Display) -> Abort {
    ActorError::illegal_state(format!("{what}: {e}")).into()
}

pub(in crate::exec::actors) fn apply_rewards<BS: Blockstore + Clone>(
    rt: &mut Rt<'_, BS>,
    p: Option<IpldBlock>,
) -> MethodResult {
    let p: ApplyRewardParams = params(p)?;
    if p.reward.is_negative() {
        return Err(ActorError::illegal_argument(
            "cannot lock up a negative amount of funds".into(),
        )
        .into());
    }
    if p.penalty.is_negative() {
        return Err(ActorError::illegal_argument(
            "cannot penalize a negative amount of funds".into(),
        )
        .into());
    }
    let mut st: State = rt.state()?;
    rt.validate_caller_is(&[REWARD_ID])?;
    let (to_lock, spec) = locked_reward_from_reward(p.reward);
    let balance = rt.balance()?;
    let unlocked = st
        .get_unlocked_balance(&balance)
        .map_err(|e| illegal("failed to calculate unlocked balance", e))?;
    if unlocked < to_lock {
        return Err(ActorError::insufficient_funds(format!(
            "insufficient funds to lock, available: {unlocked}, requested: {to_lock}"
        ))
        .into());
    }
    let epoch = rt.epoch();
    let newly_vested = st
        .add_locked_funds(rt.store(), epoch, &to_lock, spec)
        .map_err(|e| illegal("failed to lock funds in vesting table", e))?;
    let mut pledge_delta = &to_lock - &newly_vested;
    st.apply_penalty(&p.penalty)
        .map_err(|e| illegal("failed to apply penalty", e))?;
    let (to_burn, unlocked) = st
        .repay_partial_debt_in_priority_order(rt.store(), epoch, &balance)
        .map_err(|e| e.downcast_default(ExitCode::USR_ILLEGAL_STATE, "failed to repay penalty"))?;
    pledge_delta -= &unlocked;
    rt.set_state(&st)?;
    notify_pledge_changed(rt, &pledge_delta)?;
    burn(rt, to_burn)?;
    check_invariants(rt)?;
    Ok(None)
}

pub(in crate::exec::actors) fn on_deferred_cron_event<BS: Blockstore + Clone>(
    rt: &mut Rt<'_, BS>,
    p: Option<IpldBlock>,
) -> MethodResult {
    let p: DeferredCronEventParams = params(p)?;
    rt.validate_caller_is(&[POWER_ID])?;
    let payload: CronEventPayload =
        fvm_ipld_encoding::from_slice(&p.event_payload).map_err(|e| {
            ActorError::illegal_state(format!(
                "failed to unmarshal miner cron payload into expected structure: {e}"
            ))
        })?;
    match payload.event_type {
        CRON_EVENT_PROVING_DEADLINE => {
            handle_proving_deadline(rt, &p.reward_smoothed, &p.quality_adj_power_smoothed)?
        }
        CRON_EVENT_PROCESS_EARLY_TERMINATIONS => {
            if process_early_terminations(rt, &p.reward_smoothed, &p.quality_adj_power_smoothed)? {
                let next = rt.epoch() + 1;
                enroll_cron_event(rt, next, CRON_EVENT_PROCESS_EARLY_TERMINATIONS)?;
            }
        }
        other => {
            tracing::error!(target: "venus::chain", event = other, "onDeferredCronEvent invalid event type")
        }
    }
    check_invariants(rt)?;
    Ok(None)
}

fn handle_proving_deadline<BS: Blockstore + Clone>(
    rt: &mut Rt<'_, BS>,
    reward: &FilterEstimate,
    qa_power: &FilterEstimate,
) -> Result<(), Abort> {
    let epoch = rt.epoch();
    let policy = rt.policy().clone();
    let store = rt.store().clone();
    let mut st: State = rt.state()?;
    let mut info = st.get_info(&store).map_err(|e| {
        e.downcast_default(ExitCode::USR_ILLEGAL_STATE, "could not read miner info")
    })?;
    if process_pending_worker(&mut info, epoch) {
        st.save_info(&store, &info).map_err(|e| {
            e.downcast_default(ExitCode::USR_ILLEGAL_STATE, "failed to save miner info")
        })?;
    }
    let deposit_to_burn = st
        .cleanup_expired_pre_commits(&policy, &store, epoch)
        .map_err(|e| {
            e.downcast_default(
                ExitCode::USR_ILLEGAL_STATE,
                "failed to expire pre-committed sectors",
            )
        })?;
    st.apply_penalty(&deposit_to_burn)
        .map_err(|e| illegal("failed to apply penalty", e))?;
    let had_early_terminations = !st.early_terminations.is_empty();
    let result = st.advance_deadline(&policy, &store, epoch).map_err(|e| {
        e.downcast_default(ExitCode::USR_ILLEGAL_STATE, "failed to advance deadline")
    })?;
    let continued_fault =
        pledge_penalty_for_continued_fault(reward, qa_power, &result.previously_faulty_power.qa);
    let mut power_delta = result.power_delta.clone();
    let mut pledge_delta = result.pledge_delta.clone();
    st.apply_penalty(&continued_fault)
        .map_err(|e| illegal("failed to apply penalty", e))?;
    if result.daily_fee.is_positive() {
        let day_reward =
            expected_reward_for_power(reward, qa_power, &result.live_power.qa, EPOCHS_IN_DAY);
        let fee = daily_proof_fee_payable(&policy, &result.daily_fee, &day_reward);
        st.apply_penalty(&fee)
            .map_err(|e| illegal("failed to apply penalty", e))?;
    }
    let balance = rt.balance()?;
    let (penalty, unlocked) = st
        .repay_partial_debt_in_priority_order(&store, epoch, &balance)
        .map_err(|e| e.downcast_default(ExitCode::USR_ILLEGAL_STATE, "failed to unlock penalty"))?;
    pledge_delta -= unlocked;
    let vested = st
        .unlock_vested_funds(&store, epoch)
        .map_err(|e| e.downcast_default(ExitCode::USR_ILLEGAL_STATE, "failed to vest funds"))?;
    pledge_delta -= vested;
    let continue_cron = st.continue_deadline_cron();
    if !continue_cron {
        st.deadline_cron_active = false;
    }
    rt.set_state(&st)?;

    request_update_power(rt, std::mem::replace(&mut power_delta, PowerPair::zero()))?;
    burn(rt, penalty)?;
    notify_pledge_changed(rt, &pledge_delta)?;
    if continue_cron {
        let next = st.deadline_info(&policy, epoch + 1).last();
        enroll_cron_event(rt, next, CRON_EVENT_PROVING_DEADLINE)?;
    } else {
        tracing::info!(target: "venus::chain", miner = rt.receiver, "miner going inactive, deadline cron discontinued");
    }
    let st: State = rt.state()?;
    if !had_early_terminations
        && !st.early_terminations.is_empty()
        && process_early_terminations(rt, reward, qa_power)?
    {
        let next = rt.epoch() + 1;
        enroll_cron_event(rt, next, CRON_EVENT_PROCESS_EARLY_TERMINATIONS)?;
    }
    Ok(())
}

/// Terminated sectors' pledge returned and their termination fee charged,
/// a batch at a time; whether more remain.
fn process_early_terminations<BS: Blockstore + Clone>(
    rt: &mut Rt<'_, BS>,
    reward: &FilterEstimate,
    qa_power: &FilterEstimate,
) -> Result<bool, Abort> {
    let policy = rt.policy().clone();
    let store = rt.store().clone();
    let epoch = rt.epoch();
    let mut st: State = rt.state()?;
    let (result, more) = st
        .pop_early_terminations(
            &policy,
            &store,
            policy.addressed_partitions_max,
            policy.addressed_sectors_max,
        )
        .map_err(|e| {
            e.downcast_default(
                ExitCode::USR_ILLEGAL_STATE,
                "failed to pop early terminations",
            )
        })?;
    if result.is_empty() {
        // Popping may still have cleared stale bits; keep them cleared.
        rt.set_state(&st)?;
        return Ok(more);
    }
    let info = st.get_info(&store).map_err(|e| {
        e.downcast_default(ExitCode::USR_ILLEGAL_STATE, "could not read miner info")
    })?;
    let sectors = Sectors::load(&store, &st.sectors)
        .map_err(|e| illegal("failed to load sectors array", e))?;
    let mut total_pledge = TokenAmount::zero();
    let mut total_penalty = TokenAmount::zero();
    let mut with_data = Vec::new();
    for (at, numbers) in result.iter() {
        let infos = sectors
            .load_sectors(numbers)
            .map_err(|e| e.wrap("failed to load sector infos"))?;
        for s in &infos {
            total_pledge += &s.initial_pledge;
            let power = qa_power_for_sector(info.sector_size, s);
            let fault_fee = pledge_penalty_for_continued_fault(reward, qa_power, &power);
            total_penalty +=
                pledge_penalty_for_termination(&s.initial_pledge, at - s.activation, &fault_fee);
            if s.deal_weight.is_positive() || s.verified_deal_weight.is_positive() {
                with_data.push(s.sector_number);
            }
        }
    }
    st.apply_penalty(&total_penalty)
        .map_err(|e| illegal("failed to apply penalty", e))?;
    let mut pledge_delta = -total_pledge;
    st.add_initial_pledge(&pledge_delta)
        .map_err(|e| illegal("failed to add initial pledge", e))?;
    let balance = rt.balance()?;
    let (penalty, unlocked) = st
        .repay_partial_debt_in_priority_order(&store, epoch, &balance)
        .map_err(|e| e.downcast_default(ExitCode::USR_ILLEGAL_STATE, "failed to repay penalty"))?;
    pledge_delta -= unlocked;
    rt.set_state(&st)?;
    burn(rt, penalty)?;
    notify_pledge_changed(rt, &pledge_delta)?;
    if !with_data.is_empty() {
        let sectors =
            BitField::try_from_bits(with_data).map_err(|e| illegal("invalid sector number", e))?;
        rt.send(
            &Address::new_id(MARKET_ID),
            ON_MINER_SECTORS_TERMINATE,
            IpldBlock::serialize_cbor(
                &fil_actor_market_state::v17::OnMinerSectorsTerminateParams { epoch, sectors },
            )
            .map_err(ActorError::from)?,
            TokenAmount::zero(),
        )?;
    }
    Ok(more)
}
