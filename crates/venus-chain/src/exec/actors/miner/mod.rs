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
use fil_actor_miner_state::v17::{MinerInfo, State, ERR_BALANCE_INVARIANTS_BROKEN};
use fil_actors_shared::v17::builtin::reward::ThisEpochRewardReturn;
use fil_actors_shared::v17::{ActorDowncast, ActorError};
use fvm_ipld_blockstore::Blockstore;
use fvm_ipld_encoding::ipld_block::IpldBlock;
use fvm_shared::address::Address;
use fvm_shared::econ::TokenAmount;
use fvm_shared::error::ExitCode;
use fvm_shared::{ActorID, METHOD_SEND};

use super::super::runtime::{returned, Abort, Rt};
use super::power::{CURRENT_TOTAL_POWER, UPDATE_PLEDGE_TOTAL};
use super::reward::THIS_EPOCH_REWARD;
use crate::state::ids::{BURNT_FUNDS_ID, POWER_ID, REWARD_ID};

/// The reward actor's smoothed estimate and baseline (`ThisEpochReward`).
fn request_current_epoch_block_reward<BS: Blockstore + Clone>(
    rt: &mut Rt<'_, BS>,
) -> Result<ThisEpochRewardReturn, Abort> {
    let r = rt
        .send(
            &Address::new_id(REWARD_ID),
            THIS_EPOCH_REWARD,
            None,
            TokenAmount::default(),
        )
        .map_err(|e| wrap(e, "failed to check epoch reward"))?;
    returned(r)
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
        .map_err(|e| wrap(e, "failed to check current power"))?;
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

fn wrap(e: Abort, msg: &str) -> Abort {
    match e {
        Abort::Actor(a) => Abort::Actor(a.wrap(msg)),
        other => other,
    }
}
