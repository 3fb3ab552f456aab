//! The owner's methods, as builtin-actors v17 runs them:
//! `ChangeWorkerAddress` (3) queues a new worker key that takes effect
//! after `worker_key_change_delay` (`ConfirmChangeWorkerAddress`, 21, or
//! the deadline cron applies it) and replaces the control addresses at
//! once; `WithdrawBalance` (16) pays the owner or beneficiary what is
//! neither locked nor owed.

use fil_actor_miner_state::v17::{
    ChangeWorkerAddressParams, State, WithdrawBalanceParams, WithdrawBalanceReturn, WorkerKeyChange,
};
use fil_actors_shared::v17::{ActorDowncast, ActorError};
use fvm_ipld_blockstore::Blockstore;
use fvm_ipld_encoding::ipld_block::IpldBlock;
use fvm_shared::address::Address;
use fvm_shared::error::ExitCode;
use fvm_shared::METHOD_SEND;

use super::super::super::runtime::{no_params, params, ret, Abort, MethodResult, Rt};
use super::constructor::resolve_worker_address;
use super::{burn, check_invariants, miner_info, notify_pledge_changed, repay_debts_or_abort};

/// `ChangeWorkerAddress`.
pub const CHANGE_WORKER_ADDRESS: u64 = 3;
/// `ChangeWorkerAddress` as exported (FRC-0042).
pub const CHANGE_WORKER_ADDRESS_EXPORTED: u64 = 3_302_309_124;
/// `WithdrawBalance`.
pub const WITHDRAW_BALANCE: u64 = 16;
/// `WithdrawBalance` as exported (FRC-0042).
pub const WITHDRAW_BALANCE_EXPORTED: u64 = 2_280_458_852;
/// `ConfirmChangeWorkerAddress`.
pub const CONFIRM_CHANGE_WORKER_ADDRESS: u64 = 21;
/// `ConfirmChangeWorkerAddress` as exported (FRC-0042).
pub const CONFIRM_CHANGE_WORKER_ADDRESS_EXPORTED: u64 = 2_354_970_453;

/// The owner's ID (the state always holds an ID address).
fn owner(info: &fil_actor_miner_state::v17::MinerInfo) -> Result<u64, Abort> {
    info.owner.id().map_err(|_| {
        ActorError::illegal_state(format!("owner {} is not an ID address", info.owner)).into()
    })
}

pub(in crate::exec::actors) fn change_worker_address<BS: Blockstore + Clone>(
    rt: &mut Rt<'_, BS>,
    p: Option<IpldBlock>,
) -> MethodResult {
    let p: ChangeWorkerAddressParams = params(p)?;
    let policy = rt.policy().clone();
    if p.new_control_addresses.len() > policy.max_control_addresses {
        return Err(ActorError::illegal_argument(format!(
            "control addresses length {} exceeds max control addresses length {}",
            p.new_control_addresses.len(),
            policy.max_control_addresses
        ))
        .into());
    }
    let new_worker = Address::new_id(resolve_worker_address(rt, p.new_worker)?);
    let mut control = Vec::with_capacity(p.new_control_addresses.len());
    for a in &p.new_control_addresses {
        let id = rt.resolve_address(a)?.ok_or_else(|| {
            ActorError::illegal_argument(format!("unable to resolve control address: {a}"))
        })?;
        control.push(Address::new_id(id));
    }
    let mut st: State = rt.state()?;
    let mut info = miner_info(&st, rt.store())?;
    let owner = owner(&info)?;
    rt.validate_caller_is(&[owner])?;
    info.control_addresses = control;
    if new_worker != info.worker && info.pending_worker_key.is_none() {
        info.pending_worker_key = Some(WorkerKeyChange {
            new_worker,
            effective_at: rt.epoch() + policy.worker_key_change_delay,
        });
    }
    st.save_info(rt.store(), &info).map_err(|e| {
        e.downcast_default(ExitCode::USR_ILLEGAL_STATE, "could not save miner info")
    })?;
    rt.set_state(&st)?;
    Ok(None)
}

pub(in crate::exec::actors) fn confirm_change_worker_address<BS: Blockstore + Clone>(
    rt: &mut Rt<'_, BS>,
    p: Option<IpldBlock>,
) -> MethodResult {
    no_params(&p)?;
    let mut st: State = rt.state()?;
    let mut info = miner_info(&st, rt.store())?;
    let owner = owner(&info)?;
    rt.validate_caller_is(&[owner])?;
    if process_pending_worker(&mut info, rt.epoch()) {
        st.save_info(rt.store(), &info).map_err(|e| {
            e.downcast_default(ExitCode::USR_ILLEGAL_STATE, "failed to save miner info")
        })?;
        rt.set_state(&st)?;
    }
    Ok(None)
}

/// Applies a pending worker key once its epoch has come; whether it did.
pub(super) fn process_pending_worker(
    info: &mut fil_actor_miner_state::v17::MinerInfo,
    epoch: fvm_shared::clock::ChainEpoch,
) -> bool {
    match &info.pending_worker_key {
        Some(k) if epoch >= k.effective_at => {
            info.worker = k.new_worker;
            info.pending_worker_key = None;
            true
        }
        _ => false,
    }
}

pub(in crate::exec::actors) fn withdraw_balance<BS: Blockstore + Clone>(
    rt: &mut Rt<'_, BS>,
    p: Option<IpldBlock>,
) -> MethodResult {
    let p: WithdrawBalanceParams = params(p)?;
    if p.amount_requested.is_negative() {
        return Err(ActorError::illegal_argument(format!(
            "negative fund requested for withdrawal: {}",
            p.amount_requested
        ))
        .into());
    }
    let mut st: State = rt.state()?;
    let mut info = miner_info(&st, rt.store())?;
    let allowed: Vec<u64> = [info.owner, info.beneficiary]
        .iter()
        .filter_map(|a| a.id().ok())
        .collect();
    rt.validate_caller_is(&allowed)?;
    if !st.early_terminations.is_empty() {
        return Err(ActorError::forbidden(format!(
            "cannot withdraw funds while {} deadlines have terminated sectors with outstanding fees",
            st.early_terminations.len()
        ))
        .into());
    }
    let epoch = rt.epoch();
    let newly_vested = st
        .unlock_vested_funds(rt.store(), epoch)
        .map_err(|e| e.downcast_default(ExitCode::USR_ILLEGAL_STATE, "Failed to vest fund"))?;
    let balance = rt.balance()?;
    let available = st.get_available_balance(&balance).map_err(|e| {
        ActorError::illegal_state(format!("failed to calculate available balance: {e}"))
    })?;
    let fee_to_burn = repay_debts_or_abort(&mut st, &balance)?;
    let mut amount = std::cmp::min(&available, &p.amount_requested).clone();
    if amount.is_negative() {
        return Err(
            ActorError::illegal_state(format!("negative amount to withdraw: {amount}")).into(),
        );
    }
    if info.beneficiary != info.owner {
        let remaining = info.beneficiary_term.available(epoch);
        if remaining.is_zero() {
            return Err(ActorError::forbidden(format!(
                "beneficiary expiration of epoch {} passed or quota of {} depleted with {} used",
                info.beneficiary_term.expiration,
                info.beneficiary_term.quota,
                info.beneficiary_term.used_quota
            ))
            .into());
        }
        amount = std::cmp::min(amount, remaining);
        if amount.is_positive() {
            info.beneficiary_term.used_quota += &amount;
            st.save_info(rt.store(), &info).map_err(|e| {
                e.downcast_default(ExitCode::USR_ILLEGAL_STATE, "failed to save miner info")
            })?;
        }
    }
    rt.set_state(&st)?;

    if amount.is_positive() {
        rt.send(&info.beneficiary, METHOD_SEND, None, amount.clone())?;
    }
    burn(rt, fee_to_burn)?;
    notify_pledge_changed(rt, &-newly_vested)?;
    check_invariants(rt)?;
    ret(&WithdrawBalanceReturn {
        amount_withdrawn: amount,
    })
}
