//! The actors' policy: the constants builtin-actors compiles in per
//! network, as [`Policy`] values.
//!
//! [`devnet`] is what builtin-actors v17 compiles for `devnet`
//! (`runtime/build.rs`: features `sector-2k`, `sector-8m`, `small-deals`,
//! `short-precommit`, `min-power-2k`, over the mainnet constants of
//! `runtime/src/runtime/policy.rs`). [`mainnet`] is the crate's default.
//!
//! Our devnet may shorten the proving period with
//! [`with_proving_period`], so a test sees several deadlines in minutes.
//! That is a setting of ours, not a builtin-actors network: Lotus's 2k
//! devnet keeps the day-long period.

use fil_actors_shared::v17::runtime::Policy;
use fvm_shared::clock::ChainEpoch;
use fvm_shared::sector::{RegisteredPoStProof, RegisteredSealProof, StoragePower};

/// The power at which a miner may mine on a devnet (`min-power-2k`: 2 KiB).
pub const DEVNET_MIN_POWER: i64 = 2 << 10;
/// The pre-commit challenge delay of a devnet (`short-precommit`).
pub const DEVNET_PRE_COMMIT_CHALLENGE_DELAY: ChainEpoch = 10;
/// The smallest verified allocation of a devnet (`small-deals`: 256 bytes).
pub const DEVNET_MIN_VERIFIED_ALLOCATION: i64 = 256;

/// The mainnet policy.
pub fn mainnet() -> Policy {
    Policy::default()
}

/// The devnet policy of builtin-actors v17: 2 KiB and 8 MiB sectors only,
/// a 10-epoch pre-commit delay, 2 KiB of minimum power, 256-byte deals.
pub fn devnet() -> Policy {
    let mut p = Policy::default();
    let mut post = fil_actors_shared::v17::runtime::ProofSet::default();
    post.insert(RegisteredPoStProof::StackedDRGWindow2KiBV1P1);
    post.insert(RegisteredPoStProof::StackedDRGWindow8MiBV1P1);
    p.valid_post_proof_type = post;
    let mut seal = fil_actors_shared::v17::runtime::ProofSet::default();
    for proof in [
        RegisteredSealProof::StackedDRG2KiBV1P1,
        RegisteredSealProof::StackedDRG2KiBV1P1_Feat_SyntheticPoRep,
        RegisteredSealProof::StackedDRG8MiBV1P1,
        RegisteredSealProof::StackedDRG8MiBV1P1_Feat_SyntheticPoRep,
    ] {
        seal.insert(proof);
    }
    p.valid_pre_commit_proof_type = seal;
    let mut ni = fil_actors_shared::v17::runtime::ProofSet::default();
    ni.insert(RegisteredSealProof::StackedDRG2KiBV1P2_Feat_NiPoRep);
    ni.insert(RegisteredSealProof::StackedDRG8MiBV1P2_Feat_NiPoRep);
    p.valid_prove_commit_ni_proof_type = ni;
    p.pre_commit_challenge_delay = DEVNET_PRE_COMMIT_CHALLENGE_DELAY;
    p.minimum_verified_allocation_size = StoragePower::from(DEVNET_MIN_VERIFIED_ALLOCATION);
    p.minimum_consensus_power = StoragePower::from(DEVNET_MIN_POWER);
    p
}

/// The power whose initial pledge a new miner must deposit
/// (`CREATE_MINER_DEPOSIT_POWER`, a tenth of the minimum consensus power,
/// computed from the policy as builtin-actors computes it per network).
pub fn create_miner_deposit_power(policy: &Policy) -> StoragePower {
    &policy.minimum_consensus_power / 10
}

/// `policy` with a proving period of `deadlines × challenge_window`
/// epochs: the window PoSt lookback and the fault cutoff shrink with the
/// window, keeping builtin-actors' ratios (of a 60-epoch window: a
/// lookback of 20, a cutoff of the lookback plus 50), the chain-commit
/// age stays one window and faults still expire after 42 periods. Errors if the window is shorter
/// than 3 epochs or there are no deadlines.
pub fn with_proving_period(
    mut policy: Policy,
    deadlines: u64,
    challenge_window: ChainEpoch,
) -> Result<Policy, String> {
    // Mainnet has 48 deadlines of 60 epochs. The bounds keep the sums
    // below (up to 42 periods) far from overflowing.
    if deadlines == 0 || deadlines > 1_000 || !(3..=1_000_000).contains(&challenge_window) {
        return Err(format!(
            "a proving period of {deadlines} deadlines of {challenge_window} epochs: need 1 to 1000 deadlines of 3 to 1000000 epochs"
        ));
    }
    policy.wpost_period_deadlines = deadlines;
    policy.wpost_challenge_window = challenge_window;
    policy.wpost_proving_period = deadlines as ChainEpoch * challenge_window;
    policy.wpost_max_chain_commit_age = challenge_window;
    policy.wpost_challenge_lookback = (challenge_window / 3).max(1);
    policy.fault_declaration_cutoff = policy.wpost_challenge_lookback + challenge_window * 5 / 6;
    // Faults expire after 42 proving periods.
    policy.fault_max_age = policy.wpost_proving_period * 42;
    Ok(policy)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devnet_differs_from_mainnet_where_the_bundle_features_say() {
        let (d, m) = (devnet(), mainnet());
        assert!(d
            .valid_post_proof_type
            .contains(RegisteredPoStProof::StackedDRGWindow2KiBV1P1));
        assert!(!d
            .valid_post_proof_type
            .contains(RegisteredPoStProof::StackedDRGWindow32GiBV1P1));
        assert!(m
            .valid_post_proof_type
            .contains(RegisteredPoStProof::StackedDRGWindow32GiBV1P1));
        assert!(d
            .valid_pre_commit_proof_type
            .contains(RegisteredSealProof::StackedDRG2KiBV1P1));
        assert_eq!(d.pre_commit_challenge_delay, 10);
        assert_eq!(m.pre_commit_challenge_delay, 150);
        assert_eq!(create_miner_deposit_power(&d), StoragePower::from(204));
        assert_eq!(d.wpost_proving_period, m.wpost_proving_period);
    }

    #[test]
    fn a_short_proving_period_keeps_the_windows_consistent() {
        let p = with_proving_period(devnet(), 4, 6).expect("valid");
        assert_eq!(p.wpost_proving_period, 24);
        assert_eq!(p.wpost_challenge_lookback, 2);
        assert_eq!(p.fault_declaration_cutoff, 7);
        // The ratios reproduce mainnet's values from mainnet's window.
        assert_eq!(
            with_proving_period(mainnet(), 48, 60).expect("valid"),
            mainnet()
        );
        assert!(with_proving_period(devnet(), 0, 6).is_err());
        assert!(with_proving_period(devnet(), 4, 2).is_err());
    }
}
