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
use fil_actors_shared::v17::builtin::reward::ThisEpochRewardReturn;
use fvm_ipld_blockstore::Blockstore;
use fvm_shared::address::Address;
use fvm_shared::econ::TokenAmount;

use super::super::runtime::{returned, Abort, Rt};
use super::power::CURRENT_TOTAL_POWER;
use super::reward::THIS_EPOCH_REWARD;
use crate::state::ids::{POWER_ID, REWARD_ID};

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

fn wrap(e: Abort, msg: &str) -> Abort {
    match e {
        Abort::Actor(a) => Abort::Actor(a.wrap(msg)),
        other => other,
    }
}
