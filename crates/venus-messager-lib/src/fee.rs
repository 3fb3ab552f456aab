//! Fee rules ([`FeeSpec`]) and how they apply to an estimated message.
//!
//! A rule may be set per message (its [`SendSpec`](crate::SendSpec)), per
//! address, per actor code and method, and globally; each field takes the
//! first value set in that order ([`FeeSpec::or`]), as Venus's messager
//! merges its `SendSpec`, address and shared parameters.

use serde::{Deserialize, Serialize};
use venus_core::{Message, TokenAmount};

/// The over-estimation of gas limits that Lotus's and our node's
/// `GasEstimateMessageGas` apply (Lotus `GasLimitOverestimation`).
pub const NODE_GAS_OVER_ESTIMATION: f64 = 1.25;

/// Operator's fee rules; every field is optional. JSON names are Venus's
/// (`venus-shared/types/messager/spec.go`, `FeeSpec`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct FeeSpec {
    /// The gas limit is the node's estimate of gas used times this (the
    /// node's own 1.25 is replaced, not compounded).
    #[serde(rename = "gasOverEstimation", skip_serializing_if = "Option::is_none")]
    pub gas_over_estimation: Option<f64>,
    /// The premium is the node's estimate times this.
    #[serde(rename = "gasOverPremium", skip_serializing_if = "Option::is_none")]
    pub gas_over_premium: Option<f64>,
    /// The fee cap, instead of the node's estimate (attoFIL per gas).
    #[serde(
        rename = "gasFeeCap",
        with = "opt_atto",
        skip_serializing_if = "Option::is_none"
    )]
    pub gas_fee_cap: Option<TokenAmount>,
    /// The most the message may cost (fee cap × gas limit), attoFIL.
    #[serde(
        rename = "maxFee",
        with = "opt_atto",
        skip_serializing_if = "Option::is_none"
    )]
    pub max_fee: Option<TokenAmount>,
    /// Messages are held (not filled) while the parent base fee is above
    /// this (attoFIL per gas).
    #[serde(
        rename = "baseFee",
        with = "opt_atto",
        skip_serializing_if = "Option::is_none"
    )]
    pub base_fee: Option<TokenAmount>,
}

impl FeeSpec {
    /// Each field of `self`, or of `fallback` where `self` has none.
    pub fn or(&self, fallback: &FeeSpec) -> FeeSpec {
        FeeSpec {
            gas_over_estimation: self.gas_over_estimation.or(fallback.gas_over_estimation),
            gas_over_premium: self.gas_over_premium.or(fallback.gas_over_premium),
            gas_fee_cap: self.gas_fee_cap.clone().or(fallback.gas_fee_cap.clone()),
            max_fee: self.max_fee.clone().or(fallback.max_fee.clone()),
            base_fee: self.base_fee.clone().or(fallback.base_fee.clone()),
        }
    }

    /// Checks the values: ratios finite and positive, amounts not negative.
    pub fn validate(&self) -> Result<(), String> {
        for (name, r) in [
            ("GasOverEstimation", self.gas_over_estimation),
            ("GasOverPremium", self.gas_over_premium),
        ] {
            if let Some(r) = r {
                if !r.is_finite() || r <= 0.0 {
                    return Err(format!("{name} must be a positive number, not {r}"));
                }
            }
        }
        for (name, a) in [
            ("GasFeeCap", &self.gas_fee_cap),
            ("MaxFee", &self.max_fee),
            ("BaseFee", &self.base_fee),
        ] {
            if a.as_ref().is_some_and(|a| a.is_negative()) {
                return Err(format!("{name} must not be negative"));
            }
        }
        Ok(())
    }

    /// Whether messages under this rule wait at `base_fee`.
    pub fn holds_at(&self, base_fee: &TokenAmount) -> bool {
        self.base_fee
            .as_ref()
            .is_some_and(|limit| !limit.is_zero() && base_fee > limit)
    }

    /// Before the node estimates `msg`: the rules' fee cap, where the
    /// sender left it zero (the node estimates only what is zero).
    pub fn prepare(&self, msg: &mut Message) {
        if let Some(cap) = self.gas_fee_cap.as_ref().filter(|c| !c.is_zero()) {
            if msg.gas_fee_cap.is_zero() {
                msg.gas_fee_cap = cap.clone();
            }
        }
    }

    /// After the node estimated `msg`: scales the gas limit (when the node
    /// estimated it, `limit_estimated`) and the premium, then caps the fee
    /// at `MaxFee` (the premium never above the fee cap).
    pub fn apply(&self, msg: &mut Message, limit_estimated: bool) {
        if let Some(r) = self.gas_over_estimation.filter(|_| limit_estimated) {
            let used = msg.gas_limit as f64 / NODE_GAS_OVER_ESTIMATION;
            msg.gas_limit = (used * r).ceil() as u64;
        }
        if let Some(r) = self.gas_over_premium {
            msg.gas_premium = scale(&msg.gas_premium, r);
        }
        self.cap(msg);
    }

    /// Caps the fee cap so that fee cap × gas limit ≤ `MaxFee` (Lotus's
    /// `capGasFee`), and the premium at the fee cap.
    pub fn cap(&self, msg: &mut Message) {
        if let Some(max) = self.max_fee.as_ref().filter(|m| !m.is_zero()) {
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

/// Amounts as attoFIL decimal strings (Lotus's JSON for `BigInt`).
mod opt_atto {
    use serde::{Deserialize, Deserializer, Serializer};
    use venus_core::TokenAmount;

    pub fn serialize<S: Serializer>(v: &Option<TokenAmount>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(a) => s.serialize_str(&a.atto().to_string()),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<TokenAmount>, D::Error> {
        let Some(s) = Option::<String>::deserialize(d)? else {
            return Ok(None);
        };
        if s.is_empty() {
            return Ok(None);
        }
        let atto: venus_core::shared::bigint::BigInt = s
            .parse()
            .map_err(|_| serde::de::Error::custom(format!("not an attoFIL amount: {s:?}")))?;
        Ok(Some(TokenAmount::from_atto(atto)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn atto(n: u64) -> TokenAmount {
        TokenAmount::from_atto(n)
    }

    #[test]
    fn the_first_rule_set_wins_field_by_field() {
        let msg = FeeSpec {
            max_fee: Some(atto(5)),
            ..Default::default()
        };
        let addr = FeeSpec {
            max_fee: Some(atto(7)),
            gas_over_premium: Some(2.0),
            ..Default::default()
        };
        let global = FeeSpec {
            gas_over_estimation: Some(1.5),
            gas_over_premium: Some(3.0),
            ..Default::default()
        };
        let merged = msg.or(&addr).or(&global);
        assert_eq!(merged.max_fee, Some(atto(5)));
        assert_eq!(merged.gas_over_premium, Some(2.0));
        assert_eq!(merged.gas_over_estimation, Some(1.5));
        assert_eq!(merged.gas_fee_cap, None);
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
        FeeSpec {
            gas_over_estimation: Some(2.0),
            gas_over_premium: Some(1.5),
            max_fee: Some(atto(1_000_000_000)),
            ..Default::default()
        }
        .apply(&mut m, true);
        assert_eq!(m.gas_limit, 2_000_000);
        assert_eq!(m.gas_premium, atto(150));
        assert_eq!(m.gas_fee_cap, atto(500));
        // A fee cap capped below the premium takes the premium down.
        let mut m2 = m.clone();
        FeeSpec {
            max_fee: Some(atto(200_000_000)),
            ..Default::default()
        }
        .apply(&mut m2, false);
        assert_eq!(m2.gas_fee_cap, atto(100));
        assert_eq!(m2.gas_premium, atto(100));
    }

    #[test]
    fn json_names_and_amounts_are_venus_s() {
        let spec = FeeSpec {
            gas_over_estimation: Some(1.25),
            max_fee: Some(atto(10)),
            ..Default::default()
        };
        let json = serde_json::to_string(&spec).expect("ok");
        assert_eq!(json, r#"{"gasOverEstimation":1.25,"maxFee":"10"}"#);
        assert_eq!(serde_json::from_str::<FeeSpec>(&json).expect("ok"), spec);
        assert!(serde_json::from_str::<FeeSpec>(r#"{"maxFee":"ten"}"#).is_err());
        assert!(FeeSpec {
            gas_over_premium: Some(f64::NAN),
            ..Default::default()
        }
        .validate()
        .is_err());
    }

    #[test]
    fn replace_premium_is_lotus_minimum() {
        assert_eq!(min_replace_premium(&atto(100)), atto(111));
        assert_eq!(scale(&atto(3), 1.5), atto(5));
    }
}
