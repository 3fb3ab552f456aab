//! The base fee of the next block, as Lotus's `ComputeNextBaseFee`
//! (`chain/store/basefee.go`): what a tipset's children carry as their
//! parent base fee, and what the message pool uses for admission, pruning
//! and selection (`ChainComputeBaseFee`).

use crate::TokenAmount;
use num_bigint::BigInt;
use num_integer::Integer;

use super::BLOCK_GAS_LIMIT;

/// Half the block gas limit: a tipset that used this much per block keeps the base fee.
pub const BLOCK_GAS_TARGET: u64 = BLOCK_GAS_LIMIT / 2;

/// The base fee never falls below 100 attoFIL.
pub const MINIMUM_BASE_FEE: u64 = 100;

/// At most 1/8 change per epoch.
const MAX_CHANGE_DENOM: i64 = 8;

/// The base fee of a block mined on a tipset of `blocks` blocks whose own
/// base fee was `parent` and whose distinct messages' gas limits sum to
/// `gas_limit_used`: `parent × (used/blocks − target) / target / 8`
/// added to `parent`, the difference clamped to ±target, floored at 100.
/// The rule after the Smoke upgrade (Lotus's `ComputeNextBaseFee`), in
/// force at every network version this crate supports before FIP-0115's
/// premium-based rule.
pub fn next_base_fee(parent: &TokenAmount, gas_limit_used: u64, blocks: usize) -> TokenAmount {
    let target = BLOCK_GAS_TARGET as i64;
    let per_block = if blocks == 0 {
        0
    } else {
        (gas_limit_used / blocks as u64).min(i64::MAX as u64) as i64
    };
    let delta = (per_block - target).clamp(-target, target);
    let change = (parent.atto() * BigInt::from(delta))
        .div_floor(&BigInt::from(target))
        .div_floor(&BigInt::from(MAX_CHANGE_DENOM));
    let next = parent.atto() + change;
    if next < BigInt::from(MINIMUM_BASE_FEE) {
        TokenAmount::from_atto(MINIMUM_BASE_FEE)
    } else {
        TokenAmount::from_atto(next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lotus_basefee_vectors_after_smoke() {
        // chain/store/basefee_test.go, the post-Smoke column, at base fee 100e6.
        let p = TokenAmount::from_atto(100_000_000u64);
        let cases = [
            (0, 1, 87_500_000u64),
            (0, 5, 87_500_000),
            (BLOCK_GAS_TARGET, 1, 100_000_000),
            (BLOCK_GAS_TARGET * 2, 2, 100_000_000),
            (2 * BLOCK_GAS_LIMIT, 2, 112_500_000),
            (BLOCK_GAS_LIMIT * 3 / 2, 2, 106_250_000),
        ];
        for (used, blocks, want) in cases {
            assert_eq!(
                next_base_fee(&p, used, blocks),
                TokenAmount::from_atto(want),
                "used {used} in {blocks} blocks"
            );
        }
    }

    #[test]
    fn a_falling_base_fee_rounds_down_as_go_does() {
        // Go's big.Int Div is Euclidean: -7/2 = -4. 1001 × (−1/8) = −125.125 → −126.
        let p = TokenAmount::from_atto(1001u64);
        assert_eq!(next_base_fee(&p, 0, 1), TokenAmount::from_atto(875u64));
    }

    #[test]
    fn the_base_fee_never_falls_below_the_minimum() {
        let p = TokenAmount::from_atto(101u64);
        assert_eq!(next_base_fee(&p, 0, 1), TokenAmount::from_atto(100u64));
    }
}
