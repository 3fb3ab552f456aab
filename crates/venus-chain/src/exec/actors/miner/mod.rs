//! The storage miner actor (builtin-actors v17 `actors/miner`), over
//! `fil_actor_miner_state`'s state and its state methods (deadlines,
//! partitions, sectors, vesting), which are the real actor's.

mod admin;
mod constructor;
mod cron;
mod faults;
mod precommit;
mod provecommit;
mod wpost;

pub(super) use admin::{change_worker_address, confirm_change_worker_address, withdraw_balance};
pub use admin::{
    CHANGE_WORKER_ADDRESS, CHANGE_WORKER_ADDRESS_EXPORTED, CONFIRM_CHANGE_WORKER_ADDRESS,
    CONFIRM_CHANGE_WORKER_ADDRESS_EXPORTED, WITHDRAW_BALANCE, WITHDRAW_BALANCE_EXPORTED,
};
pub(super) use constructor::constructor;
pub(super) use cron::{apply_rewards, on_deferred_cron_event};
pub use cron::{APPLY_REWARDS, ON_DEFERRED_CRON_EVENT};
pub(super) use faults::{declare_faults, declare_faults_recovered};
pub use faults::{DECLARE_FAULTS, DECLARE_FAULTS_RECOVERED};
pub(super) use precommit::pre_commit_sector_batch2;
pub use precommit::PRE_COMMIT_SECTOR_BATCH2;
pub(super) use provecommit::prove_commit_sectors3;
pub use provecommit::PROVE_COMMIT_SECTORS3;
pub(super) use wpost::submit_windowed_post;
pub use wpost::SUBMIT_WINDOWED_POST;

use fil_actor_miner_state::v17::ext::power::CurrentTotalPowerReturn;
use fil_actor_miner_state::v17::{
    CronEventPayload, MinerInfo, PowerPair, State, ERR_BALANCE_INVARIANTS_BROKEN,
};
use fil_actor_power_state::v17::{EnrollCronEventParams, UpdateClaimedPowerParams};
use fil_actors_shared::v17::builtin::reward::ThisEpochRewardReturn;
use fil_actors_shared::v17::{ActorDowncast, ActorError};
use fvm_ipld_blockstore::Blockstore;
use fvm_ipld_encoding::ipld_block::IpldBlock;
use fvm_ipld_encoding::RawBytes;
use fvm_shared::address::Address;
use fvm_shared::clock::ChainEpoch;
use fvm_shared::econ::TokenAmount;
use fvm_shared::error::ExitCode;
use fvm_shared::{ActorID, METHOD_SEND};

use super::super::runtime::{returned, Abort, Rt};
use super::power::{
    CURRENT_TOTAL_POWER, ENROLL_CRON_EVENT, UPDATE_CLAIMED_POWER, UPDATE_PLEDGE_TOTAL,
};
use super::reward::request_this_epoch_reward;
use crate::state::ids::{BURNT_FUNDS_ID, POWER_ID};

/// The reward actor's smoothed estimate and baseline (`ThisEpochReward`).
fn request_current_epoch_block_reward<BS: Blockstore + Clone>(
    rt: &mut Rt<'_, BS>,
) -> Result<ThisEpochRewardReturn, Abort> {
    request_this_epoch_reward(rt, "failed to check epoch reward")
}

/// The power actor's totals (`CurrentTotalPower`).
fn request_current_total_power<BS: Blockstore + Clone>(
    rt: &mut Rt<'_, BS>,
) -> Result<CurrentTotalPowerReturn, Abort> {
    let r = rt
        .send(
            &Address::new_id(POWER_ID),
            CURRENT_TOTAL_POWER,
            None,
            TokenAmount::default(),
        )
        .map_err(|e| e.wrap("failed to check current power"))?;
    returned(r)
}

/// The miner's info (`get_miner_info`).
fn miner_info<BS: Blockstore>(st: &State, store: &BS) -> Result<MinerInfo, Abort> {
    st.get_info(store).map_err(|e| {
        e.downcast_default(ExitCode::USR_ILLEGAL_STATE, "could not read miner info")
            .into()
    })
}

/// The addresses that control the miner: its control addresses, worker
/// and owner, as IDs.
fn controlling(info: &MinerInfo) -> Vec<ActorID> {
    info.control_addresses
        .iter()
        .chain([&info.worker, &info.owner])
        .filter_map(|a| a.id().ok())
        .collect()
}

/// Fails with `ERR_BALANCE_INVARIANTS_BROKEN` (1000) unless the balance
/// covers what the state locks (`check_balance_invariants`).
fn check_invariants<BS: Blockstore + Clone>(rt: &Rt<'_, BS>) -> Result<(), Abort> {
    let st: State = rt.state()?;
    st.check_balance_invariants(&rt.balance()?).map_err(|e| {
        Abort::Actor(ActorError::unchecked(
            ERR_BALANCE_INVARIANTS_BROKEN,
            format!("balance invariants broken: {e}"),
        ))
    })
}

/// Sends `amount` to the burnt-funds actor (`burn_funds`).
fn burn<BS: Blockstore + Clone>(rt: &mut Rt<'_, BS>, amount: TokenAmount) -> Result<(), Abort> {
    if amount.is_positive() {
        rt.send(&Address::new_id(BURNT_FUNDS_ID), METHOD_SEND, None, amount)?;
    }
    Ok(())
}

/// Tells the power actor of a change in the pledge (`notify_pledge_changed`).
fn notify_pledge_changed<BS: Blockstore + Clone>(
    rt: &mut Rt<'_, BS>,
    delta: &TokenAmount,
) -> Result<(), Abort> {
    if !delta.is_zero() {
        rt.send(
            &Address::new_id(POWER_ID),
            UPDATE_PLEDGE_TOTAL,
            IpldBlock::serialize_cbor(delta).map_err(ActorError::from)?,
            TokenAmount::default(),
        )?;
    }
    Ok(())
}

/// Queues a cron callback of `event_type` at `epoch` with power
/// (`enroll_cron_event`).
fn enroll_cron_event<BS: Blockstore + Clone>(
    rt: &mut Rt<'_, BS>,
    epoch: ChainEpoch,
    event_type: i64,
) -> Result<(), Abort> {
    let payload = RawBytes::serialize(CronEventPayload { event_type }).map_err(ActorError::from)?;
    rt.send(
        &Address::new_id(POWER_ID),
        ENROLL_CRON_EVENT,
        IpldBlock::serialize_cbor(&EnrollCronEventParams {
            event_epoch: epoch,
            payload,
        })
        .map_err(ActorError::from)?,
        TokenAmount::default(),
    )?;
    Ok(())
}

/// Tells the power actor of a change in the miner's power
/// (`request_update_power`).
fn request_update_power<BS: Blockstore + Clone>(
    rt: &mut Rt<'_, BS>,
    delta: PowerPair,
) -> Result<(), Abort> {
    if delta.is_zero() {
        return Ok(());
    }
    rt.send(
        &Address::new_id(POWER_ID),
        UPDATE_CLAIMED_POWER,
        IpldBlock::serialize_cbor(&UpdateClaimedPowerParams {
            raw_byte_delta: delta.raw,
            quality_adjusted_delta: delta.qa,
        })
        .map_err(ActorError::from)?,
        TokenAmount::default(),
    )
    .map_err(|e| e.wrap("failed to update power"))?;
    Ok(())
}

/// Repays the fee debt from the unlocked balance; what to burn
/// (`repay_debts_or_abort`).
fn repay_debts_or_abort(st: &mut State, balance: &TokenAmount) -> Result<TokenAmount, Abort> {
    st.repay_debts(balance).map_err(|e| {
        e.downcast_default(
            ExitCode::USR_ILLEGAL_STATE,
            "unlocked balance can not repay fee debt",
        )
        .into()
    })
}
