//! Where a message's fees go once it has run, as Lotus's
//! `ComputeGasOutputs` (`chain/vm/burn.go`) and ref-fvm's
//! `GasOutputs::compute` (`fvm/src/gas/outputs.rs`) split them.

use num_bigint::BigInt;

use crate::TokenAmount;

/// A message that used less than 10/11 of its limit burns part of the rest.
const GAS_OVERUSE_NUM: u64 = 11;
const GAS_OVERUSE_DENOM: u64 = 10;

/// How the `gas_limit × fee_cap` a sender put up for one message is
/// divided. `base_fee_burn + over_estimation_burn + miner_tip + refund`
/// is always that amount; `miner_penalty` is charged to the block's miner
/// on top (by the reward actor), not taken from the sender.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GasOutputs {
    /// `min(base fee, fee cap) × gas used`, burnt (to f099).
    pub base_fee_burn: TokenAmount,
    /// The base fee on the gas burnt for over-estimation, burnt (to f099).
    pub over_estimation_burn: TokenAmount,
    /// What the block's miner owes because the fee cap was below the base
    /// fee (the shortfall on the gas used and burnt).
    pub miner_penalty: TokenAmount,
    /// `min(premium, fee cap − base fee) × gas limit`, to the miner
    /// (through the reward actor).
    pub miner_tip: TokenAmount,
    /// Back to the sender.
    pub refund: TokenAmount,
    /// Gas units refunded.
    pub gas_refund: u64,
    /// Gas units burnt for over-estimation.
    pub gas_burned: u64,
}

/// `(refund, burn)` in gas units for a message that used `gas_used` of
/// `gas_limit` (Lotus's `ComputeGasOverestimationBurn`): up to 10% over
/// what it used is free; past that, a share of the unused gas that grows
/// with the over-estimation is burnt.
pub fn overestimation_burn(gas_used: u64, gas_limit: u64) -> (u64, u64) {
    if gas_used == 0 {
        return (0, gas_limit);
    }
    let allowed = (GAS_OVERUSE_NUM as u128 * gas_used as u128 / GAS_OVERUSE_DENOM as u128) as i128;
    let over = gas_limit as i128 - allowed;
    let unused = gas_limit.saturating_sub(gas_used);
    if over < 0 {
        return (unused, 0);
    }
    let over = (over as u128).min(gas_used as u128);
    // u128: (limit − used) × over overflows u64 for pathological limits.
    let burn = (unused as u128 * over / gas_used as u128) as u64;
    (unused - burn, burn)
}

impl GasOutputs {
    /// Splits the fees of a message that used `gas_used` of `gas_limit` at
    /// `base_fee`, with the sender's `fee_cap` and `premium`. The network
    /// fee is always charged (as on every network version from 16 on).
    pub fn compute(
        gas_used: u64,
        gas_limit: u64,
        base_fee: &TokenAmount,
        fee_cap: &TokenAmount,
        premium: &TokenAmount,
    ) -> Self {
        let mul = |t: &TokenAmount, g: u64| TokenAmount::from_atto(t.atto() * BigInt::from(g));
        let mut out = GasOutputs::default();
        let mut base_fee_to_pay = base_fee;
        if base_fee > fee_cap {
            base_fee_to_pay = fee_cap;
            out.miner_penalty = mul(&(base_fee - fee_cap), gas_used);
        }
        out.base_fee_burn = mul(base_fee_to_pay, gas_used);
        let mut tip = premium.clone();
        if base_fee_to_pay + &tip > *fee_cap {
            tip = fee_cap - base_fee_to_pay;
        }
        out.miner_tip = mul(&tip, gas_limit);
        let (gas_refund, gas_burned) = overestimation_burn(gas_used, gas_limit);
        out.gas_refund = gas_refund;
        out.gas_burned = gas_burned;
        if gas_burned != 0 {
            out.over_estimation_burn = mul(base_fee_to_pay, gas_burned);
            out.miner_penalty += mul(&(base_fee - base_fee_to_pay), gas_burned);
        }
        out.refund = mul(fee_cap, gas_limit)
            - &out.base_fee_burn
            - &out.miner_tip
            - &out.over_estimation_burn;
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lotus_gas_burn_cases() {
        // chain/vm/burn_test.go, TestGasBurn: (used, limit, refund, burn).
        let cases: [(u64, u64, u64, u64); 12] = [
            (100, 200, 10, 90),
            (100, 150, 30, 20),
            (1000, 1300, 240, 60),
            (500, 700, 140, 60),
            (200, 200, 0, 0),
            (20000, 21000, 1000, 0),
            (0, 2000, 0, 2000),
            (500, 651, 121, 30),
            (500, 5000, 0, 4500),
            (7_499_000_000, 7_500_000_000, 1_000_000, 0),
            (3_750_000_000, 7_500_000_000, 375_000_000, 3_375_000_000),
            (1, 7_500_000_000, 0, 7_499_999_999),
        ];
        for (used, limit, refund, burn) in cases {
            assert_eq!(
                overestimation_burn(used, limit),
                (refund, burn),
                "used {used} of {limit}"
            );
        }
    }

    #[test]
    fn lotus_gas_outputs_cases() {
        // chain/vm/burn_test.go, TestGasOutputs, base fee 10: (used, limit,
        // fee cap, premium) → (base fee burn, over-estimation burn, miner
        // penalty, miner tip, refund).
        let cases: [(u64, u64, u64, u64, [u64; 5]); 4] = [
            (100, 110, 11, 1, [1000, 0, 0, 110, 100]),
            (100, 130, 11, 1, [1000, 60, 0, 130, 240]),
            (100, 110, 10, 1, [1000, 0, 0, 0, 100]),
            (100, 110, 6, 1, [600, 0, 400, 0, 60]),
        ];
        let t = TokenAmount::from_atto;
        for (used, limit, cap, premium, want) in cases {
            let o = GasOutputs::compute(used, limit, &t(10u64), &t(cap), &t(premium));
            let got = [
                &o.base_fee_burn,
                &o.over_estimation_burn,
                &o.miner_penalty,
                &o.miner_tip,
                &o.refund,
            ];
            assert_eq!(
                got,
                want.map(t).each_ref(),
                "used {used} of {limit}, cap {cap}"
            );
            // Everything the sender put up is accounted for.
            assert_eq!(
                &o.base_fee_burn + &o.over_estimation_burn + &o.miner_tip + &o.refund,
                t(cap * limit)
            );
        }
    }
}
