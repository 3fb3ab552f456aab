//! The reward actor (builtin-actors `actors/reward`).

use fil_actors_shared::v17::builtin::reward::ThisEpochRewardReturn;
use fvm_ipld_blockstore::Blockstore;
use fvm_ipld_encoding::ipld_block::IpldBlock;
use fvm_shared::MethodNum;

use super::super::runtime::{no_params, ret, MethodResult, Rt};

/// `ThisEpochReward`: the smoothed reward estimate and the baseline power.
pub const THIS_EPOCH_REWARD: MethodNum = 3;

pub(super) fn this_epoch_reward<BS: Blockstore + Clone>(
    rt: &mut Rt<'_, BS>,
    p: Option<IpldBlock>,
) -> MethodResult {
    no_params(&p)?;
    let st: fil_actor_reward_state::v17::State = rt.state()?;
    ret(&ThisEpochRewardReturn {
        this_epoch_baseline_power: st.this_epoch_baseline_power,
        this_epoch_reward_smoothed: st.this_epoch_reward_smoothed,
    })
}
