//! The reward actor (builtin-actors `actors/reward`): the block reward of
//! each winner, and the minting state that power's cron moves on every
//! epoch ([`math`]).

mod math;

use fil_actor_miner_state::v17::ApplyRewardParams;
use fil_actor_reward_state::v17::{
    AwardBlockRewardParams, State, UpdateNetworkKPIParams, PENALTY_MULTIPLIER,
};
use fil_actors_shared::v17::builtin::reward::ThisEpochRewardReturn;
use fil_actors_shared::v17::{ActorError, EXPECTED_LEADERS_PER_EPOCH};
use fvm_ipld_blockstore::Blockstore;
use fvm_ipld_encoding::ipld_block::IpldBlock;
use fvm_shared::address::Address;
use fvm_shared::econ::TokenAmount;
use fvm_shared::{MethodNum, METHOD_SEND};

use super::super::runtime::{no_params, params, ret, returned, Abort, MethodResult, Rt};
use super::miner::APPLY_REWARDS;
use crate::state::ids::{BURNT_FUNDS_ID, POWER_ID, REWARD_ID, SYSTEM_ID};

/// `AwardBlockReward`.
pub const AWARD_BLOCK_REWARD: MethodNum = 2;
/// `ThisEpochReward`: the smoothed reward estimate and the baseline power.
pub const THIS_EPOCH_REWARD: MethodNum = 3;
/// `UpdateNetworkKPI`.
pub const UPDATE_NETWORK_KPI: MethodNum = 4;

pub(super) fn this_epoch_reward<BS: Blockstore + Clone>(
    rt: &mut Rt<'_, BS>,
    p: Option<IpldBlock>,
) -> MethodResult {
    no_params(&p)?;
    let st: State = rt.state()?;
    ret(&ThisEpochRewardReturn {
        this_epoch_baseline_power: st.this_epoch_baseline_power,
        this_epoch_reward_smoothed: st.this_epoch_reward_smoothed,
    })
}

/// Asks the reward actor for this epoch's estimates (`ThisEpochReward`),
/// an error prefixed with `context`.
pub(super) fn request_this_epoch_reward<BS: Blockstore + Clone>(
    rt: &mut Rt<'_, BS>,
    context: &str,
) -> Result<ThisEpochRewardReturn, Abort> {
    let r = rt
        .send(
            &Address::new_id(REWARD_ID),
            THIS_EPOCH_REWARD,
            None,
            TokenAmount::default(),
        )
        .map_err(|e| e.wrap(context))?;
    returned(r)
}

/// The reward of one block: the epoch's reward times its win count over
/// the expected leaders, plus its messages' tips, sent to the miner's
/// `ApplyRewards` (or burnt if the miner refuses it); the penalty its
/// messages earned it, tripled.
pub(super) fn award_block_reward<BS: Blockstore + Clone>(
    rt: &mut Rt<'_, BS>,
    p: Option<IpldBlock>,
) -> MethodResult {
    let p: AwardBlockRewardParams = params(p)?;
    rt.validate_caller_is(&[SYSTEM_ID])?;
    let prior = rt.balance()?;
    if p.penalty.is_negative() {
        return Err(ActorError::illegal_argument(format!("negative penalty {}", p.penalty)).into());
    }
    if p.gas_reward.is_negative() {
        return Err(
            ActorError::illegal_argument(format!("negative gas reward {}", p.gas_reward)).into(),
        );
    }
    if prior < p.gas_reward {
        return Err(ActorError::illegal_state(format!(
            "actor current balance {prior} insufficient to pay gas reward {}",
            p.gas_reward
        ))
        .into());
    }
    if p.win_count <= 0 {
        return Err(
            ActorError::illegal_argument(format!("invalid win count {}", p.win_count)).into(),
        );
    }
    let miner = rt
        .resolve_address(&p.miner)?
        .ok_or_else(|| ActorError::not_found("failed to resolve given owner address".into()))?;
    let penalty = &p.penalty * PENALTY_MULTIPLIER;
    let mut st: State = rt.state()?;
    let mut block_reward =
        (&st.this_epoch_reward * p.win_count).div_floor(EXPECTED_LEADERS_PER_EPOCH);
    let mut total = &p.gas_reward + &block_reward;
    if total > prior {
        tracing::warn!(target: "venus::chain", balance = %prior, expected = %total, "reward actor pays out the rest of its balance");
        total = prior.clone();
        block_reward = &total - &p.gas_reward;
    }
    st.total_storage_power_reward += block_reward;
    rt.set_state(&st)?;

    let to_miner = rt.send(
        &Address::new_id(miner),
        APPLY_REWARDS,
        IpldBlock::serialize_cbor(&ApplyRewardParams {
            reward: total.clone(),
            penalty,
        })
        .map_err(ActorError::from)?,
        total.clone(),
    );
    if let Err(e) = to_miner {
        // The miner is responsible; its reward is burnt.
        if !matches!(e, Abort::Actor(_)) {
            return Err(e);
        }
        tracing::warn!(target: "venus::chain", miner, "ApplyRewards failed; the reward is burnt");
        if let Err(e) = rt.send(&Address::new_id(BURNT_FUNDS_ID), METHOD_SEND, None, total) {
            if !matches!(e, Abort::Actor(_)) {
                return Err(e);
            }
        }
    }
    Ok(None)
}

/// Power's cron reports this epoch's realized power: the minting state
/// catches up over null rounds, computes this epoch's reward and smooths
/// it.
pub(super) fn update_network_kpi<BS: Blockstore + Clone>(
    rt: &mut Rt<'_, BS>,
    p: Option<IpldBlock>,
) -> MethodResult {
    let p: UpdateNetworkKPIParams = params(p)?;
    rt.validate_caller_is(&[POWER_ID])?;
    let power = p
        .curr_realized_power
        .ok_or_else(|| ActorError::illegal_argument("argument cannot be None".into()))?
        .0;
    let epoch = rt.epoch();
    let mut st: State = rt.state()?;
    let prev = st.epoch;
    while st.epoch < epoch {
        math::update_to_next_epoch(&mut st, &power);
    }
    math::update_to_next_epoch_with_reward(&mut st, &power);
    let delta = st.epoch - prev;
    math::update_smoothed_estimates(&mut st, delta);
    rt.set_state(&st)?;
    Ok(None)
}

/// The reward actor's genesis state minting `simple_total` (decaying
/// with a 6-year half-life) and `baseline_total` (released as the network
/// reaches its baseline); mainnet's are 330 and 770 million FIL.
pub fn genesis_state(simple_total: TokenAmount, baseline_total: TokenAmount) -> State {
    math::constructed(simple_total, baseline_total)
}

/// What a block would pay its miner now, for a caller that wants to show
/// it: the epoch's reward times `win_count` over the expected leaders.
pub fn block_reward(st: &State, win_count: i64) -> TokenAmount {
    (&st.this_epoch_reward * win_count).div_floor(EXPECTED_LEADERS_PER_EPOCH)
}
