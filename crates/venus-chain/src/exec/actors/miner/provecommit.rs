//! `ProveCommitSectors3` (34), as builtin-actors v17 runs it: the
//! pre-commits checked (due, past the challenge delay), each seal proof
//! verified for real against the ticket and the interactive seed drawn
//! from the chain, the CommD the pieces make checked against the declared
//! one, and the sectors activated: pledge locked, deposits released,
//! sectors assigned to deadlines. Power comes with the first window PoSt.
//!
//! Not modeled: aggregate proofs, verified allocations (the verified
//! registry answers `USR_UNHANDLED_MESSAGE`) and data notifications.

use fil_actor_miner_state::v17::{
    daily_proof_fee, initial_pledge_for_power, max_prove_commit_duration, qa_power_for_weight,
    CompactCommD, ProveCommitSectors3Params, ProveCommitSectors3Return, SectorOnChainInfo,
    SectorOnChainInfoFlags, SectorPreCommitOnChainInfo, State, ERR_BALANCE_INVARIANTS_BROKEN,
};
use fil_actors_shared::v17::{stack, ActorDowncast, ActorError, BatchReturnGen};
use fvm_ipld_blockstore::Blockstore;
use fvm_ipld_encoding::ipld_block::IpldBlock;
use fvm_shared::address::Address;
use fvm_shared::econ::TokenAmount;
use fvm_shared::error::ExitCode;
use fvm_shared::piece::PieceInfo;
use fvm_shared::randomness::Randomness;
use fvm_shared::sector::{SealVerifyInfo, SectorID};
use num_traits::Zero;
use venus_core::crypto::DomainSeparationTag;

use super::super::super::runtime::{params, ret, Abort, MethodResult, Rt};
use super::{controlling, miner_info, notify_pledge_changed};
use super::{request_current_epoch_block_reward, request_current_total_power};

/// `ProveCommitSectors3`.
pub const PROVE_COMMIT_SECTORS3: u64 = 34;

pub(in crate::exec::actors) fn prove_commit_sectors3<BS: Blockstore + Clone>(
    rt: &mut Rt<'_, BS>,
    p: Option<IpldBlock>,
) -> MethodResult {
    let p: ProveCommitSectors3Params = params(p)?;
    let st: State = rt.state()?;
    let miner_id = rt.receiver;
    let policy = rt.policy().clone();
    let epoch = rt.epoch();
    let info = miner_info(&st, rt.store())?;
    rt.validate_caller_is(&controlling(&info))?;

    let numbers: Vec<u64> = p
        .sector_activations
        .iter()
        .map(|a| a.sector_number)
        .collect();
    let precommits = st
        .get_precommitted_sectors(rt.store(), &numbers)
        .map_err(|e| e.wrap("loading precommits"))?;
    if precommits.is_empty() {
        return Err(ActorError::illegal_argument("no sectors to prove".into()).into());
    }
    if p.sector_proofs.is_empty() == p.aggregate_proof.is_empty() {
        return Err(ActorError::illegal_argument(
            "exactly one of sector proofs or aggregate proof must be non-empty".into(),
        )
        .into());
    }
    if p.sector_proofs.is_empty() {
        if p.aggregate_proof_type != Some(fvm_shared::sector::RegisteredAggregateProof::SnarkPackV2)
        {
            return Err(ActorError::illegal_argument(
                "aggregate proof type must be SnarkPackV2".into(),
            )
            .into());
        }
        return Err(ActorError::unhandled_message(
            "aggregate seal proofs are not modeled on this devnet".into(),
        )
        .into());
    }
    if p.aggregate_proof_type.is_some() {
        return Err(ActorError::illegal_argument(
            "aggregate proof type must be null with batched proofs".into(),
        )
        .into());
    }
    if p.sector_activations.len() != p.sector_proofs.len() {
        return Err(ActorError::illegal_argument(format!(
            "mismatched lengths: {} sector activations, {} proofs",
            p.sector_activations.len(),
            p.sector_proofs.len()
        ))
        .into());
    }
    let max_proof = precommits[0].info.seal_proof.proof_size().map_err(|e| {
        ActorError::illegal_state(format!("failed to determine max proof size: {e}"))
    })?;
    for proof in &p.sector_proofs {
        if proof.len() > max_proof {
            return Err(ActorError::illegal_argument(format!(
                "sector proof size {} exceeds max {max_proof}",
                proof.len()
            ))
            .into());
        }
    }

    // validate_precommits: due, proof types alike, past the delay; the
    // seal inputs of every pre-commit.
    let mut validation = BatchReturnGen::new(precommits.len());
    let mut inputs = Vec::with_capacity(precommits.len());
    let entropy =
        fvm_ipld_encoding::to_vec(&Address::new_id(miner_id)).map_err(ActorError::from)?;
    for (i, pc) in precommits.iter().enumerate() {
        let mut failed = !pc.info.deal_ids.is_empty();
        let msd = max_prove_commit_duration(&policy, pc.info.seal_proof).ok_or_else(|| {
            ActorError::illegal_state(format!(
                "no max seal duration for proof type: {}",
                i64::from(pc.info.seal_proof)
            ))
        })?;
        if epoch > pc.pre_commit_epoch + msd {
            failed = true;
        }
        if i >= 1 && precommits[i - 1].info.seal_proof != pc.info.seal_proof {
            return Err(ActorError::illegal_state(
                "seal proof group for verification contains mismatched seal proofs".into(),
            )
            .into());
        }
        let interactive_epoch = pc.pre_commit_epoch + policy.pre_commit_challenge_delay;
        if epoch <= interactive_epoch {
            return Err(ActorError::forbidden("too early to prove sector".into()).into());
        }
        let ticket = rt.randomness_from_tickets(
            DomainSeparationTag::SealRandomness,
            pc.info.seal_rand_epoch,
            &entropy,
        )?;
        let seed = rt.randomness_from_beacon(
            DomainSeparationTag::InteractiveSealChallengeSeed,
            interactive_epoch,
            &entropy,
        )?;
        inputs.push((
            ticket,
            seed,
            pc.info.unsealed_cid.get_cid(pc.info.seal_proof)?,
        ));
        if failed {
            if p.require_activation_success {
                return Err(ActorError::illegal_argument(format!(
                    "invalid pre-commit {i} while requiring activation success"
                ))
                .into());
            }
            validation.add_fail(ExitCode::USR_ILLEGAL_ARGUMENT);
        } else {
            validation.add_success();
        }
    }
    let validation = validation.generate();
    if validation.success_count == 0 {
        return Err(ActorError::illegal_argument("no valid precommits specified".into()).into());
    }
    let valid: Vec<usize> = (0..precommits.len())
        .filter(|i| !validation.fail_codes.iter().any(|f| f.idx as usize == *i))
        .collect();

    // Verify each valid sector's proof.
    let mut proven_gen = BatchReturnGen::new(valid.len());
    let mut proven = Vec::new();
    for &i in &valid {
        let pc = &precommits[i];
        let (ticket, seed, unsealed_cid) = &inputs[i];
        let ok = rt.verify_seal(&SealVerifyInfo {
            registered_proof: pc.info.seal_proof,
            sector_id: SectorID {
                miner: miner_id,
                number: pc.info.sector_number,
            },
            deal_ids: vec![],
            randomness: Randomness(ticket.to_vec()),
            interactive_randomness: Randomness(seed.to_vec()),
            proof: p.sector_proofs[i].to_vec(),
            sealed_cid: pc.info.sealed_cid,
            unsealed_cid: *unsealed_cid,
        })?;
        if ok {
            proven.push(i);
            proven_gen.add_success();
        } else {
            proven_gen.add_fail(ExitCode::USR_ILLEGAL_ARGUMENT);
            if p.require_activation_success {
                return Err(ActorError::illegal_argument(format!(
                    "invalid proof for sector {} while requiring activation success",
                    pc.info.sector_number
                ))
                .into());
            }
        }
    }
    let proven_batch = proven_gen.generate();
    if proven_batch.success_count == 0 {
        return Err(ActorError::illegal_argument("no valid proofs specified".into()).into());
    }

    // activate_sectors_pieces: the declared CommD must be what the pieces
    // make; unverified pieces count as deal space.
    let mut data_gen = BatchReturnGen::new(proven.len());
    let mut activated = Vec::new();
    for &i in &proven {
        let pc = &precommits[i];
        let pieces = &p.sector_activations[i].pieces;
        if pieces
            .iter()
            .any(|piece| piece.verified_allocation_key.is_some() || !piece.notify.is_empty())
        {
            return Err(ActorError::unhandled_message(
                "verified allocations and data notifications are not modeled on this devnet".into(),
            )
            .into());
        }
        let computed = if pieces.is_empty() {
            CompactCommD::empty()
        } else {
            let infos: Vec<PieceInfo> = pieces
                .iter()
                .map(|piece| PieceInfo {
                    cid: piece.cid,
                    size: piece.size,
                })
                .collect();
            CompactCommD::of(rt.compute_unsealed_sector_cid(pc.info.seal_proof, &infos)?)
        };
        let computed = computed.get_cid(pc.info.seal_proof)?;
        if pc.info.unsealed_cid.get_cid(pc.info.seal_proof)? != computed {
            return Err(ActorError::illegal_argument(format!(
                "unsealed CID does not match pieces for sector {}, computed {computed:?} declared {:?}",
                pc.info.sector_number, pc.info.unsealed_cid
            ))
            .into());
        }
        let unverified: num_bigint::BigInt = pieces
            .iter()
            .map(|piece| num_bigint::BigInt::from(piece.size.0))
            .sum();
        activated.push((pc, unverified));
        data_gen.add_success();
    }
    let data_batch = data_gen.generate();

    activate_new_sector_infos(rt, &activated, &info)?;
    ret(&ProveCommitSectors3Return {
        activation_results: stack(&[validation, proven_batch, data_batch]),
    })
}

/// `activate_new_sector_infos`: the sectors written with their pledge and
/// weights, the pre-commits deleted and their deposits released, the
/// sectors assigned to deadlines, and the pledge reported to power.
fn activate_new_sector_infos<BS: Blockstore + Clone>(
    rt: &mut Rt<'_, BS>,
    activated: &[(&SectorPreCommitOnChainInfo, num_bigint::BigInt)],
    info: &fil_actor_miner_state::v17::MinerInfo,
) -> Result<(), Abort> {
    let reward = request_current_epoch_block_reward(rt)?;
    let power = request_current_total_power(rt)?;
    let supply = rt.circulating_supply()?;
    let epoch = rt.epoch();
    let policy = rt.policy().clone();
    let mut st: State = rt.state()?;
    let mut numbers = Vec::with_capacity(activated.len());
    let mut sectors = Vec::with_capacity(activated.len());
    let mut to_unlock = TokenAmount::zero();
    let mut total_pledge = TokenAmount::zero();
    for (pc, unverified_space) in activated {
        let duration = pc.info.expiration - epoch;
        if duration < policy.min_sector_expiration {
            return Err(ActorError::illegal_argument(format!(
                "precommit {} has lifetime {duration} less than minimum {}. ignoring",
                pc.info.sector_number, policy.min_sector_expiration
            ))
            .into());
        }
        let deal_weight = unverified_space * duration;
        let verified_deal_weight = num_bigint::BigInt::zero();
        let qa = qa_power_for_weight(info.sector_size, duration, &verified_deal_weight);
        let pledge = initial_pledge_for_power(
            &qa,
            &reward.this_epoch_baseline_power,
            &reward.this_epoch_reward_smoothed,
            &power.quality_adj_power_smoothed,
            &supply,
            epoch - power.ramp_start_epoch,
            power.ramp_duration_epochs,
        );
        to_unlock += &pc.pre_commit_deposit;
        total_pledge += &pledge;
        numbers.push(pc.info.sector_number);
        sectors.push(SectorOnChainInfo {
            sector_number: pc.info.sector_number,
            seal_proof: pc.info.seal_proof,
            sealed_cid: pc.info.sealed_cid,
            deprecated_deal_ids: vec![],
            expiration: pc.info.expiration,
            activation: epoch,
            deal_weight,
            verified_deal_weight,
            initial_pledge: pledge,
            expected_day_reward: None,
            expected_storage_pledge: None,
            power_base_epoch: epoch,
            replaced_day_reward: None,
            sector_key_cid: None,
            flags: SectorOnChainInfoFlags::SIMPLE_QA_POWER,
            daily_fee: daily_proof_fee(&policy, &supply, &qa),
        });
    }
    st.put_sectors(rt.store(), sectors.clone()).map_err(|e| {
        e.downcast_default(ExitCode::USR_ILLEGAL_STATE, "failed to put new sectors")
    })?;
    st.delete_precommitted_sectors(rt.store(), &numbers)?;
    st.assign_sectors_to_deadlines(
        &policy,
        rt.store(),
        epoch,
        sectors,
        info.window_post_partition_sectors,
        info.sector_size,
    )
    .map_err(|e| {
        e.downcast_default(
            ExitCode::USR_ILLEGAL_STATE,
            "failed to assign new sectors to deadlines",
        )
    })?;
    st.add_pre_commit_deposit(&(-to_unlock))
        .map_err(|e| ActorError::illegal_state(format!("failed to add precommit deposit: {e}")))?;
    let balance = rt.balance()?;
    let unlocked = st.get_unlocked_balance(&balance).map_err(|e| {
        ActorError::illegal_state(format!("failed to calculate unlocked balance: {e}"))
    })?;
    if unlocked < total_pledge {
        return Err(ActorError::insufficient_funds(format!(
            "insufficient funds for aggregate initial pledge requirement {total_pledge}, available: {unlocked}"
        ))
        .into());
    }
    st.add_initial_pledge(&total_pledge)
        .map_err(|e| ActorError::illegal_state(format!("failed to add initial pledge: {e}")))?;
    st.check_balance_invariants(&balance).map_err(|e| {
        Abort::Actor(ActorError::unchecked(
            ERR_BALANCE_INVARIANTS_BROKEN,
            format!("balance invariants broken: {e}"),
        ))
    })?;
    rt.set_state(&st)?;
    notify_pledge_changed(rt, &total_pledge)?;
    Ok(())
}
