//! Gas reward and gas performance, as Lotus ranks messages.

use num_bigint::BigInt;
use num_traits::{Signed, ToPrimitive};
use venus_core::{Message, TokenAmount};

pub use venus_core::gas::BLOCK_GAS_LIMIT;

/// Below this much gas left a block counts as full (Lotus's
/// `gasguess.MinGas`, `chain/messagepool/gasguess/guessgas.go`): selection
/// stops, and optimal selection closes a partition.
pub const MIN_GAS: u64 = 1_298_450;

/// What including `msg` pays the miner at `base_fee`:
/// `min(fee cap − base fee, premium) × gas limit`, tripled when negative (Lotus's penalty).
pub fn gas_reward(msg: &Message, base_fee: &TokenAmount) -> BigInt {
    let cap = msg.gas_fee_cap.atto() - base_fee.atto();
    let premium = msg.gas_premium.atto();
    let per_gas = if &cap < premium { cap } else { premium.clone() };
    let reward = per_gas * BigInt::from(msg.gas_limit);
    if reward.is_negative() {
        reward * 3
    } else {
        reward
    }
}

/// Reward per unit of gas, scaled to a full block: `reward × block gas limit / gas limit`.
pub fn gas_perf(reward: &BigInt, gas_limit: u64) -> f64 {
    if gas_limit == 0 {
        return 0.0;
    }
    let scaled = (reward * BigInt::from(BLOCK_GAS_LIMIT))
        .to_f64()
        .unwrap_or(0.0);
    scaled / gas_limit as f64
}
