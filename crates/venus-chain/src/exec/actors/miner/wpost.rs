//! `SubmitWindowedPoSt` (5), as builtin-actors v17 runs it: the proof is
//! for the current deadline and committed to this chain; the partitions'
//! sectors are recorded proven (newly activated sectors gain power, faults
//! declared recovered regain it). As in the real actor, the proof is
//! verified at once only when it recovers power; otherwise it is kept for
//! a dispute (`DisputeWindowedPoSt`, not modeled).

use fil_actor_miner_state::v17::{
    load_partitions_sectors_max, Sectors, State, SubmitWindowedPoStParams,
};
use fil_actors_shared::v17::{ActorDowncast, ActorError};
use fvm_ipld_blockstore::Blockstore;
use fvm_ipld_encoding::ipld_block::IpldBlock;
use fvm_shared::address::Address;
use fvm_shared::error::ExitCode;
use fvm_shared::randomness::Randomness;
use fvm_shared::sector::{SectorInfo, WindowPoStVerifyInfo};
use venus_core::crypto::DomainSeparationTag;

use super::super::super::runtime::{params, Abort, MethodResult, Rt};
use super::{check_invariants, controlling, miner_info, request_update_power};

/// `SubmitWindowedPoSt`.
pub const SUBMIT_WINDOWED_POST: u64 = 5;

/// The length of chain randomness.
const RANDOMNESS_LENGTH: usize = 32;

pub(in crate::exec::actors) fn submit_windowed_post<BS: Blockstore + Clone>(
    rt: &mut Rt<'_, BS>,
    p: Option<IpldBlock>,
) -> MethodResult {
    let mut p: SubmitWindowedPoStParams = params(p)?;
    let epoch = rt.epoch();
    let policy = rt.policy().clone();
    let bad = |m: String| -> Abort { ActorError::illegal_argument(m).into() };
    if p.proofs.len() != 1 {
        return Err(bad(format!(
            "expected exactly one proof, got {}",
            p.proofs.len()
        )));
    }
    if !policy
        .valid_post_proof_type
        .contains(p.proofs[0].post_proof)
    {
        return Err(bad(format!(
            "proof type {:?} not allowed",
            p.proofs[0].post_proof
        )));
    }
    if p.deadline >= policy.wpost_period_deadlines {
        return Err(bad(format!(
            "invalid deadline {} of {}",
            p.deadline, policy.wpost_period_deadlines
        )));
    }
    if p.chain_commit_rand.0.len() > RANDOMNESS_LENGTH {
        return Err(bad(format!(
            "expected at most {RANDOMNESS_LENGTH} bytes of randomness, got {}",
            p.chain_commit_rand.0.len()
        )));
    }

    let mut st: State = rt.state()?;
    let info = miner_info(&st, rt.store())?;
    let max_proof_size = info.window_post_proof_type.proof_size().map_err(|e| {
        ActorError::illegal_state(format!(
            "failed to determine max window post proof size: {e}"
        ))
    })?;
    rt.validate_caller_is(&controlling(&info))?;
    if p.proofs[0].post_proof != info.window_post_proof_type {
        return Err(bad(format!(
            "expected proof of type {:?}, got {:?}",
            info.window_post_proof_type, p.proofs[0].post_proof
        )));
    }
    let max_size = max_proof_size * p.partitions.len();
    if p.proofs[0].proof_bytes.len() > max_size {
        return Err(bad(format!(
            "expected proof to be smaller than {max_size} bytes"
        )));
    }
    let limit = std::cmp::min(
        load_partitions_sectors_max(&policy, info.window_post_partition_sectors),
        policy.posted_partitions_max,
    );
    if p.partitions.len() as u64 > limit {
        return Err(bad(format!(
            "too many partitions {}, limit {limit}",
            p.partitions.len()
        )));
    }
    let current = st.deadline_info(&policy, epoch);
    if !current.is_open() {
        return Err(ActorError::illegal_state(format!(
            "proving period {} not yet open at {epoch}",
            current.period_start
        ))
        .into());
    }
    if p.deadline != current.index {
        return Err(bad(format!(
            "invalid deadline {} at epoch {epoch}, expected {}",
            p.deadline, current.index
        )));
    }
    if p.chain_commit_epoch < current.challenge {
        return Err(bad(format!(
            "expected chain commit epoch {} to be after {}",
            p.chain_commit_epoch, current.challenge
        )));
    }
    if p.chain_commit_epoch >= epoch {
        return Err(bad(format!(
            "chain commit epoch {} must be less than the current epoch {epoch}",
            p.chain_commit_epoch
        )));
    }
    let comm_rand = rt.randomness_from_tickets(
        DomainSeparationTag::PoStChainCommit,
        p.chain_commit_epoch,
        &[],
    )?;
    if Randomness(comm_rand.to_vec()) != p.chain_commit_rand {
        return Err(bad("post commit randomness mismatched".into()));
    }

    let store = rt.store().clone();
    let sectors = Sectors::load(&store, &st.sectors)
        .map_err(|e| ActorError::illegal_state(format!("failed to load sectors: {e}")))?;
    let mut deadlines = st
        .load_deadlines(&store)
        .map_err(|e| e.wrap("failed to load deadlines"))?;
    let mut deadline = deadlines.load_deadline(&store, p.deadline)?;
    let fault_expiration = current.last() + policy.fault_max_age;
    let result = deadline
        .record_proven_sectors(
            &store,
            &sectors,
            info.sector_size,
            current.quant_spec(),
            fault_expiration,
            &mut p.partitions,
        )
        .map_err(|e| {
            e.downcast_default(
                ExitCode::USR_ILLEGAL_STATE,
                format!(
                    "failed to process post submission for deadline {}",
                    p.deadline
                ),
            )
        })?;
    let proven = &result.sectors - &result.ignored_sectors;
    if proven.is_empty() {
        return Err(bad("cannot prove partitions with no active sectors".into()));
    }
    if result.recovered_power.is_zero() {
        deadline
            .record_post_proofs(&store, &result.partitions, &p.proofs)
            .map_err(|e| {
                e.downcast_default(
                    ExitCode::USR_ILLEGAL_STATE,
                    "failed to record proof for optimistic verification",
                )
            })?;
    } else {
        let infos = sectors
            .load_for_proof(&result.sectors, &result.ignored_sectors)
            .map_err(|e| {
                e.downcast_default(
                    ExitCode::USR_ILLEGAL_STATE,
                    "failed to load sectors for post verification",
                )
            })?;
        let entropy =
            fvm_ipld_encoding::to_vec(&Address::new_id(rt.receiver)).map_err(ActorError::from)?;
        let randomness = rt.randomness_from_beacon(
            DomainSeparationTag::WindowedPoStChallengeSeed,
            current.challenge,
            &entropy,
        )?;
        let verify = WindowPoStVerifyInfo {
            randomness: Randomness(randomness.to_vec()),
            proofs: p.proofs.clone(),
            challenged_sectors: infos
                .iter()
                .map(|s| SectorInfo {
                    proof: s.seal_proof,
                    sector_number: s.sector_number,
                    sealed_cid: s.sealed_cid,
                })
                .collect(),
            prover: rt.receiver,
        };
        // The FVM's verify_post fails for a proof that does not verify.
        match rt.verify_window_post(&verify) {
            Ok(true) => {}
            Ok(false) | Err(Abort::Actor(_)) => {
                return Err(bad("window post failed: invalid post was submitted".into()))
            }
            Err(other) => return Err(other),
        }
    }
    deadlines
        .update_deadline(&policy, &store, p.deadline, &deadline)
        .map_err(|e| {
            e.downcast_default(
                ExitCode::USR_ILLEGAL_STATE,
                format!("failed to update deadline {}", p.deadline),
            )
        })?;
    st.save_deadlines(&store, deadlines)
        .map_err(|e| e.downcast_default(ExitCode::USR_ILLEGAL_STATE, "failed to save deadlines"))?;
    rt.set_state(&st)?;

    request_update_power(rt, result.power_delta)?;
    check_invariants(rt)?;
    Ok(None)
}
