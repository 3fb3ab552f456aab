//! Fee rules ([`FeeSpec`]) and how they apply to an estimated message.
//!
//! A rule may be set per message (its [`SendSpec`](crate::SendSpec)), per
//! address, per actor code and method, and globally; each field takes the
//! first value set in that order ([`FeeSpec::or`]), as Venus's messager
//! merges its `SendSpec`, address and shared parameters. [`FeeSpec`] is
//! the wire type of `venus_api::messager`; [`prepare`], [`apply`] and
//! [`cap`] put a merged rule on a message.

pub use venus_api::messager::FeeSpec;
use venus_core::{Message, TokenAmount};

/// The over-estimation of gas limits that Lotus's and our node's
/// `GasEstimateMessageGas` apply (Lotus `GasLimitOverestimation`).
pub const NODE_GAS_OVER_ESTIMATION: f64 = 1.25;

/// Before the node estimates `msg`: the rules' fee cap, where the sender
/// left it zero (the node estimates only what is zero).
pub fn prepare(rules: &FeeSpec, msg: &mut Message) {
    if let Some(cap) = rules.gas_fee_cap.as_ref().filter(|c| !c.is_zero()) {
        if msg.gas_fee_cap.is_zero() {
            msg.gas_fee_cap = cap.clone();
        }
    }
}

/// After the node estimated `msg`: scales the gas limit (when the node
/// estimated it, `limit_estimated`) and the premium, then caps the fee at
/// `MaxFee` (the premium never above the fee cap).
pub fn apply(rules: &FeeSpec, msg: &mut Message, limit_estimated: bool) {
    if let Some(r) = rules.gas_over_estimation.filter(|_| limit_estimated) {
        let used = msg.gas_limit as f64 / NODE_GAS_OVER_ESTIMATION;
        msg.gas_limit = (used * r).ceil() as u64;
    }
    if let Some(r) = rules.gas_over_premium {
        msg.gas_premium = scale(&msg.gas_premium, r);
    }
    cap(rules, msg);
}

/// Caps the fee cap so that fee cap × gas limit ≤ `MaxFee` (Lotus's
/// `capGasFee`), and the premium at the fee cap.
pub fn cap(rules: &FeeSpec, msg: &mut Message) {
    if let Some(max) = rules.max_fee.as_ref().filter(|m| !m.is_zero()) {
        if msg.gas_limit > 0 {
            let most = TokenAmount::from_atto(max.atto() / msg.gas_limit);
            if msg.gas_fee_cap > most {
                msg.gas_fee_cap = most;
            }
        }
    }
    if msg.gas_premium > msg.gas_fee_cap {
        msg.gas_premium = msg.gas_fee_cap.clone();
    }
}

/// `amount × ratio`, rounded up, in attoFIL (ratios carry 6 decimals).
pub fn scale(amount: &TokenAmount, ratio: f64) -> TokenAmount {
    let micro = (ratio * 1e6).round().max(0.0) as u64;
    let scaled = amount.atto() * micro;
    let (q, r) = (&scaled / 1_000_000u64, &scaled % 1_000_000u64);
    let up = if r == 0u64.into() { q } else { q + 1u64 };
    TokenAmount::from_atto(up)
}

/// The least premium a node takes to replace a pending message (Lotus's
/// `ComputeMinRBF`, with the 110% minimum of `ReplaceByFeePercentageMinimum`).
pub fn min_replace_premium(old: &TokenAmount) -> TokenAmount {
    TokenAmount::from_atto(old.atto() * 110u64 / 100u64 + 1u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn atto(n: u64) -> TokenAmount {
        TokenAmount::from_atto(n)
    }

    #[test]
    fn apply_rescales_limit_and_premium_then_caps_at_max_fee() {
        let mut m = venus_core::Message {
            version: 0,
            from: venus_core::Address::new_id(1),
            to: venus_core::Address::new_id(2),
            sequence: 0,
            value: atto(0),
            method_num: 0,
            params: Default::default(),
            gas_limit: 1_250_000,
            gas_premium: atto(100),
            gas_fee_cap: atto(1_000),
        };
        let rules = FeeSpec {
            gas_over_estimation: Some(2.0),
            gas_over_premium: Some(1.5),
            max_fee: Some(atto(1_000_000_000)),
            ..Default::default()
        };
        apply(&rules, &mut m, true);
        assert_eq!(m.gas_limit, 2_000_000);
        assert_eq!(m.gas_premium, atto(150));
        assert_eq!(m.gas_fee_cap, atto(500));
        // A fee cap capped below the premium takes the premium down.
        let mut m2 = m.clone();
        let rules = FeeSpec {
            max_fee: Some(atto(200_000_000)),
            ..Default::default()
        };
        apply(&rules, &mut m2, false);
        assert_eq!(m2.gas_fee_cap, atto(100));
        assert_eq!(m2.gas_premium, atto(100));
    }

    #[test]
    fn replace_premium_is_lotus_minimum() {
        assert_eq!(min_replace_premium(&atto(100)), atto(111));
        assert_eq!(scale(&atto(3), 1.5), atto(5));
    }
}
