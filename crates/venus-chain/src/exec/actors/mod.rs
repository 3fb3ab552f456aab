//! The builtin actors' methods that run natively, dispatched by actor
//! type and method number as builtin-actors v17 dispatches them. A method
//! not listed exits with `USR_UNHANDLED_MESSAGE`, as the FVM does for a
//! method an actor lacks, so nothing pretends to have run.

mod account;
mod cron;
mod init;
mod market;
mod miner;
mod power;
mod reward;

use fil_actors_shared::v17::ActorError;
use fvm_ipld_blockstore::Blockstore;
use fvm_ipld_encoding::ipld_block::IpldBlock;
use fvm_shared::{MethodNum, METHOD_CONSTRUCTOR};

use super::runtime::{MethodResult, Rt};
use crate::state::ids::SYSTEM_ID;
use crate::state::{ActorKind, INIT_ACTOR_ID};

pub use account::{AUTHENTICATE_MESSAGE, PUBKEY_ADDRESS};
pub use cron::EPOCH_TICK;
pub use init::EXEC;
pub use market::{CRON_TICK, ON_MINER_SECTORS_TERMINATE, VERIFY_DEALS_FOR_ACTIVATION};
pub use miner::{
    APPLY_REWARDS, CHANGE_WORKER_ADDRESS, CHANGE_WORKER_ADDRESS_EXPORTED,
    CONFIRM_CHANGE_WORKER_ADDRESS, CONFIRM_CHANGE_WORKER_ADDRESS_EXPORTED, DECLARE_FAULTS,
    DECLARE_FAULTS_RECOVERED, ON_DEFERRED_CRON_EVENT, PRE_COMMIT_SECTOR_BATCH2,
    PROVE_COMMIT_SECTORS3, SUBMIT_WINDOWED_POST, WITHDRAW_BALANCE, WITHDRAW_BALANCE_EXPORTED,
};
pub(crate) use power::{add_to_claim, append_cron_event};
pub use power::{
    CREATE_MINER, CREATE_MINER_EXPORTED, CURRENT_TOTAL_POWER, ENROLL_CRON_EVENT, ON_EPOCH_TICK_END,
    UPDATE_CLAIMED_POWER, UPDATE_PLEDGE_TOTAL,
};
pub use reward::{
    block_reward, genesis_state as reward_genesis_state, AWARD_BLOCK_REWARD, THIS_EPOCH_REWARD,
    UPDATE_NETWORK_KPI,
};

/// Runs `method` of the receiver of `rt`, an actor of type `kind`.
pub(crate) fn invoke<BS: Blockstore + Clone>(
    rt: &mut Rt<'_, BS>,
    kind: ActorKind,
    method: MethodNum,
    params: Option<IpldBlock>,
) -> MethodResult {
    match (kind, method) {
        (ActorKind::Miner, METHOD_CONSTRUCTOR) => miner::constructor(rt, params),
        // Every other constructor runs at genesis or through init's Exec;
        // none is modeled, and all refuse any other caller.
        (_, METHOD_CONSTRUCTOR) => {
            rt.validate_caller_is(&[SYSTEM_ID, INIT_ACTOR_ID])?;
            Err(unhandled(kind, method))
        }
        (ActorKind::Account, m) => account::invoke(rt, m, params),
        (ActorKind::Init, EXEC) => init::exec(rt, params),
        (ActorKind::Power, CREATE_MINER | CREATE_MINER_EXPORTED) => power::create_miner(rt, params),
        (ActorKind::Power, CURRENT_TOTAL_POWER) => power::current_total_power(rt, params),
        (ActorKind::Power, ENROLL_CRON_EVENT) => power::enroll_cron_event(rt, params),
        (ActorKind::Market, VERIFY_DEALS_FOR_ACTIVATION) => {
            market::verify_deals_for_activation(rt, params)
        }
        (ActorKind::Miner, PRE_COMMIT_SECTOR_BATCH2) => miner::pre_commit_sector_batch2(rt, params),
        (ActorKind::Miner, PROVE_COMMIT_SECTORS3) => miner::prove_commit_sectors3(rt, params),
        (ActorKind::Miner, SUBMIT_WINDOWED_POST) => miner::submit_windowed_post(rt, params),
        (ActorKind::Miner, DECLARE_FAULTS) => miner::declare_faults(rt, params),
        (ActorKind::Miner, DECLARE_FAULTS_RECOVERED) => miner::declare_faults_recovered(rt, params),
        (ActorKind::Miner, CHANGE_WORKER_ADDRESS | CHANGE_WORKER_ADDRESS_EXPORTED) => {
            miner::change_worker_address(rt, params)
        }
        (
            ActorKind::Miner,
            CONFIRM_CHANGE_WORKER_ADDRESS | CONFIRM_CHANGE_WORKER_ADDRESS_EXPORTED,
        ) => miner::confirm_change_worker_address(rt, params),
        (ActorKind::Miner, WITHDRAW_BALANCE | WITHDRAW_BALANCE_EXPORTED) => {
            miner::withdraw_balance(rt, params)
        }
        (ActorKind::Power, UPDATE_PLEDGE_TOTAL) => power::update_pledge_total(rt, params),
        (ActorKind::Power, UPDATE_CLAIMED_POWER) => power::update_claimed_power(rt, params),
        (ActorKind::Reward, THIS_EPOCH_REWARD) => reward::this_epoch_reward(rt, params),
        (ActorKind::Reward, AWARD_BLOCK_REWARD) => reward::award_block_reward(rt, params),
        (ActorKind::Reward, UPDATE_NETWORK_KPI) => reward::update_network_kpi(rt, params),
        (ActorKind::Cron, EPOCH_TICK) => cron::epoch_tick(rt, params),
        (ActorKind::Power, ON_EPOCH_TICK_END) => power::on_epoch_tick_end(rt, params),
        (ActorKind::Market, CRON_TICK) => market::cron_tick(rt, params),
        (ActorKind::Market, ON_MINER_SECTORS_TERMINATE) => {
            market::on_miner_sectors_terminate(rt, params)
        }
        (ActorKind::Miner, APPLY_REWARDS) => miner::apply_rewards(rt, params),
        (ActorKind::Miner, ON_DEFERRED_CRON_EVENT) => miner::on_deferred_cron_event(rt, params),
        _ => Err(unhandled(kind, method)),
    }
}

fn unhandled(kind: ActorKind, method: MethodNum) -> super::runtime::Abort {
    ActorError::unhandled_message(format!("{kind:?} method {method} is not modeled")).into()
}
