//! The reward actor's minting arithmetic (builtin-actors v17
//! `actors/reward/src/{logic.rs,expneg.rs,state.rs}`), in Q.128 fixed
//! point, which `fil_actor_reward_state` keeps private: the baseline grows
//! 100% a year; the reward of an epoch is the simple mint (330 million FIL
//! decaying with a 6-year half-life) plus the baseline mint released as
//! the network's effective time advances. The test below checks one step
//! against the state crate's own `State::new`, which runs it.

use std::str::FromStr;
use std::sync::LazyLock;

use fil_actor_reward_state::v17::State;
use fil_actors_shared::v17::builtin::reward::math::{poly_parse, poly_val, PRECISION};
use fil_actors_shared::v17::builtin::reward::smooth::{
    AlphaBetaFilter, DEFAULT_ALPHA, DEFAULT_BETA,
};
use fvm_shared::bigint::{BigInt, Integer};
use fvm_shared::clock::ChainEpoch;
use fvm_shared::econ::TokenAmount;
use fvm_shared::sector::StoragePower;
use venus_core::crypto::{EXP_DENO, EXP_NUM};

fn parse(s: &str) -> BigInt {
    BigInt::from_str(s).unwrap_or_default()
}

/// e^(ln 2 / epochs in a year) in Q.128: the baseline doubles in a year.
static BASELINE_EXPONENT: LazyLock<BigInt> =
    LazyLock::new(|| parse("340282591298641078465964189926313473653"));
/// e^λ − 1 in Q.128, λ = ln 2 / (6 years of epochs).
static EXP_LAM_SUB_ONE: LazyLock<BigInt> =
    LazyLock::new(|| BigInt::from(37_396_273_494_747_879_394_193_016_954_629u128));
/// λ in Q.128.
static LAMBDA: LazyLock<BigInt> =
    LazyLock::new(|| BigInt::from(37_396_271_439_864_487_274_534_522_888_786u128));

/// The rational approximation of e^-x (venus-core's coefficients, which
/// Lotus's WinCount uses too), precise on [0, 1.725).
static EXPNEG: LazyLock<(Vec<BigInt>, Vec<BigInt>)> = LazyLock::new(|| {
    (
        poly_parse(&EXP_NUM).unwrap_or_default(),
        poly_parse(&EXP_DENO).unwrap_or_default(),
    )
});

/// e^-x, x and the result in Q.128.
fn expneg(x: &BigInt) -> BigInt {
    let (num, den) = &*EXPNEG;
    (poly_val(num, x) << PRECISION).div_floor(&poly_val(den, x))
}

/// The baseline one epoch on.
fn next_baseline(prev: &StoragePower) -> StoragePower {
    (prev * &*BASELINE_EXPONENT) >> PRECISION
}

/// The fractional effective network time (Q.128), interpolating between
/// the cumulative baselines around it.
fn r_theta(
    ent: ChainEpoch,
    baseline_at_ent: &BigInt,
    realized: &BigInt,
    baseline: &BigInt,
) -> BigInt {
    if ent == 0 {
        return BigInt::default();
    }
    (BigInt::from(ent) << PRECISION)
        - ((baseline - realized) << PRECISION).div_floor(baseline_at_ent)
}

/// The baseline mint released by effective time `theta` (Q.128).
fn baseline_supply(theta: &BigInt, total: &BigInt) -> BigInt {
    let etl = expneg(&((theta * &*LAMBDA) >> PRECISION));
    ((BigInt::from(1) << PRECISION) - etl) * total
}

/// The reward of `epoch` for effective time moving from `prev` to `curr`.
fn reward(
    epoch: ChainEpoch,
    prev: &BigInt,
    curr: &BigInt,
    simple: &TokenAmount,
    base: &TokenAmount,
) -> TokenAmount {
    let simple = ((simple.atto() * &*EXP_LAM_SUB_ONE) * expneg(&(&*LAMBDA * epoch))) >> PRECISION;
    let baseline = baseline_supply(curr, base.atto()) - baseline_supply(prev, base.atto());
    TokenAmount::from_atto((simple + baseline) >> PRECISION)
}

/// The reward actor's state as its constructor builds it with no power,
/// minting `simple_total` and `baseline_total` (the state crate's
/// `State::new` with other totals).
pub(super) fn constructed(simple_total: TokenAmount, baseline_total: TokenAmount) -> State {
    let mut st = State::new(StoragePower::default());
    let initial = parse("2888888880000000000");
    st.this_epoch_baseline_power =
        ((&initial << (2 * PRECISION)) / &*BASELINE_EXPONENT) >> PRECISION;
    st.effective_baseline_power = initial;
    st.epoch = -1;
    st.cumsum_realized = BigInt::default();
    st.cumsum_baseline = BigInt::default();
    st.effective_network_time = 0;
    st.this_epoch_reward = TokenAmount::default();
    st.simple_total = simple_total;
    st.baseline_total = baseline_total;
    update_to_next_epoch_with_reward(&mut st, &StoragePower::default());
    st
}

/// One epoch on, with `power` realized (a null round: no reward computed).
pub(super) fn update_to_next_epoch(st: &mut State, power: &StoragePower) {
    st.epoch += 1;
    st.this_epoch_baseline_power = next_baseline(&st.this_epoch_baseline_power);
    st.cumsum_realized += std::cmp::min(&st.this_epoch_baseline_power, power);
    while st.cumsum_realized > st.cumsum_baseline {
        st.effective_network_time += 1;
        st.effective_baseline_power = next_baseline(&st.effective_baseline_power);
        st.cumsum_baseline += &st.effective_baseline_power;
    }
}

/// One epoch on, and the reward of that epoch.
pub(super) fn update_to_next_epoch_with_reward(st: &mut State, power: &StoragePower) {
    let theta = |st: &State| {
        r_theta(
            st.effective_network_time,
            &st.effective_baseline_power,
            &st.cumsum_realized,
            &st.cumsum_baseline,
        )
    };
    let prev = theta(st);
    update_to_next_epoch(st, power);
    let curr = theta(st);
    st.this_epoch_reward = reward(st.epoch, &prev, &curr, &st.simple_total, &st.baseline_total);
}

/// The smoothed reward estimate after `delta` epochs.
pub(super) fn update_smoothed_estimates(st: &mut State, delta: ChainEpoch) {
    let filter = AlphaBetaFilter::load(
        &st.this_epoch_reward_smoothed,
        &DEFAULT_ALPHA,
        &DEFAULT_BETA,
    );
    st.this_epoch_reward_smoothed = filter.next_estimate(st.this_epoch_reward.atto(), delta);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The state crate's constructor runs one step from epoch -1; ours,
    /// from the same starting fields, must land on the same state.
    #[test]
    fn one_step_matches_the_state_crate() {
        let theirs = State::new(0.into());
        let ours = constructed(theirs.simple_total.clone(), theirs.baseline_total.clone());
        let cbor = |st: &State| fvm_ipld_encoding::to_vec(st).expect("cbor");
        assert_eq!(
            cbor(&ours),
            cbor(&theirs),
            "the same state, field for field"
        );
        // And with power, one more step each way.
        for power in [1u128 << 40, 10 << 60] {
            let power = StoragePower::from(power);
            let theirs = State::new(power.clone());
            let mut ours = constructed(theirs.simple_total.clone(), theirs.baseline_total.clone());
            // Undo the constructor's step and take it with this power.
            ours.epoch = -1;
            ours.this_epoch_baseline_power = ((&parse("2888888880000000000") << (2 * PRECISION))
                / &*BASELINE_EXPONENT)
                >> PRECISION;
            ours.cumsum_realized = BigInt::default();
            ours.cumsum_baseline = BigInt::default();
            ours.effective_network_time = 0;
            ours.effective_baseline_power = parse("2888888880000000000");
            update_to_next_epoch_with_reward(&mut ours, &power);
            assert_eq!(
                ours.this_epoch_reward, theirs.this_epoch_reward,
                "power {power}"
            );
            assert_eq!(ours.cumsum_baseline, theirs.cumsum_baseline);
            assert_eq!(ours.effective_network_time, theirs.effective_network_time);
        }
        // Other totals mint in proportion.
        let half = constructed(
            theirs.simple_total.div_floor(2),
            theirs.baseline_total.div_floor(2),
        );
        assert!(half.this_epoch_reward < theirs.this_epoch_reward);
    }

    #[test]
    fn the_reward_decays_and_catching_up_is_stepping() {
        let mut st = State::new(0.into());
        let first = st.this_epoch_reward.clone();
        assert!(first.is_positive());
        update_to_next_epoch_with_reward(&mut st, &0.into());
        assert!(st.this_epoch_reward < first, "the simple mint decays");
        // Two null rounds then a reward epoch land where three reward
        // epochs do: the baseline and the realized sums move alike.
        let power = StoragePower::from(1u64 << 50);
        let (mut a, mut b) = (st.clone(), st.clone());
        update_to_next_epoch(&mut a, &power);
        update_to_next_epoch(&mut a, &power);
        update_to_next_epoch_with_reward(&mut a, &power);
        for _ in 0..3 {
            update_to_next_epoch_with_reward(&mut b, &power);
        }
        assert_eq!(a.epoch, b.epoch);
        assert_eq!(a.this_epoch_baseline_power, b.this_epoch_baseline_power);
        assert_eq!(a.cumsum_realized, b.cumsum_realized);
        assert_eq!(a.this_epoch_reward, b.this_epoch_reward);
        // Smoothing over three epochs is not smoothing over one.
        let mut c = a.clone();
        update_smoothed_estimates(&mut a, 3);
        update_smoothed_estimates(&mut c, 1);
        assert_ne!(a.this_epoch_reward_smoothed, c.this_epoch_reward_smoothed);
    }
}
