//! What the miner actor charges for new power, priced from a state
//! without running it: the pre-commit deposit and the initial pledge of a
//! sector, from the reward actor's estimates, the power actor's smoothed
//! network power and pledge ramp, and the circulating supply, as Lotus's
//! `StateMinerPreCommitDepositForPower` and
//! `StateMinerInitialPledgeForSector` read them (`node/impl/full/state.go`).
//! The formulas are builtin-actors v17's own (`fil_actor_miner_state`).

use fil_actor_miner_state::v17::{
    initial_pledge_for_power, pre_commit_deposit_for_power, qa_power_for_weight, qa_power_max,
};
use fil_actors_shared::v17::builtin::reward::smooth::FilterEstimate;
use fvm_ipld_blockstore::Blockstore;
use fvm_shared::clock::ChainEpoch;
use fvm_shared::econ::TokenAmount;
use fvm_shared::sector::{SectorSize, StoragePower};

use super::message::circulating_supply;
use crate::consensus::power_state;
use crate::error::Result;
use crate::state::ids::REWARD_ID;
use crate::state::StateTree;

/// The inputs the miner actor prices new power with, as one state holds
/// them.
#[derive(Debug, Clone, PartialEq)]
pub struct PledgeInputs {
    /// The reward actor's baseline power this epoch.
    pub baseline_power: StoragePower,
    /// The reward actor's smoothed per-epoch reward.
    pub reward_smoothed: FilterEstimate,
    /// The power actor's smoothed quality-adjusted network power.
    pub qa_power_smoothed: FilterEstimate,
    /// The circulating supply the actors see.
    pub circulating_supply: TokenAmount,
    /// Epochs since the FIP-0081 pledge ramp started, and its length; both
    /// 0 when it has not (Lotus's `getPledgeRampParams`).
    pub ramp: (i64, u64),
}

impl PledgeInputs {
    /// Reads the inputs from `tree`, for a tipset at `height` (the ramp
    /// counts from it).
    pub fn read<BS: Blockstore>(tree: &StateTree<BS>, height: ChainEpoch) -> Result<Self> {
        let reward = tree.actor(REWARD_ID)?;
        let reward: fil_actor_reward_state::v17::State =
            tree.read_state(&reward.state, "reward state")?;
        let power = power_state(tree)?;
        let ramp = if power.ramp_start_epoch > 0 {
            (height - power.ramp_start_epoch, power.ramp_duration_epochs)
        } else {
            (0, 0)
        };
        Ok(Self {
            baseline_power: reward.this_epoch_baseline_power,
            reward_smoothed: reward.this_epoch_reward_smoothed,
            qa_power_smoothed: power.this_epoch_qa_power_smoothed,
            circulating_supply: circulating_supply(tree)?,
            ramp,
        })
    }

    /// The deposit `PreCommitSector` locks for a sector of `size`: priced
    /// at the most power such a sector can have, as the actor does since
    /// network version 17.
    pub fn pre_commit_deposit(&self, size: SectorSize) -> TokenAmount {
        pre_commit_deposit_for_power(
            &self.reward_smoothed,
            &self.qa_power_smoothed,
            &qa_power_max(size),
        )
    }

    /// The initial pledge of `qa_power` of new power.
    pub fn initial_pledge(&self, qa_power: &StoragePower) -> TokenAmount {
        initial_pledge_for_power(
            qa_power,
            &self.baseline_power,
            &self.reward_smoothed,
            &self.qa_power_smoothed,
            &self.circulating_supply,
            self.ramp.0,
            self.ramp.1,
        )
    }

    /// The initial pledge of a sector of `size` committed for `duration`
    /// epochs with `verified` bytes of verified data.
    pub fn sector_initial_pledge(
        &self,
        size: SectorSize,
        duration: ChainEpoch,
        verified: u64,
    ) -> TokenAmount {
        let weight = StoragePower::from(verified) * duration;
        self.initial_pledge(&qa_power_for_weight(size, duration, &weight))
    }
}
