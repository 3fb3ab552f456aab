//! The storage power actor (builtin-actors `actors/power`): miners are
//! created here, and it keeps each miner's claimed power and the totals.
//!
//! The state and its maps are `fil_actor_power_state`'s; the few state
//! helpers that crate keeps private (`add_to_claim`,
//! `update_stats_for_new_miner`) are written out below after
//! builtin-actors v17 `actors/power/src/state.rs`.

use fil_actor_init_state::v17::{ExecParams, ExecReturn};
use fil_actor_power_state::v17::ext::miner::{
    DeferredCronEventParams, MinerConstructorParams, ON_DEFERRED_CRON_EVENT_METHOD,
};
use fil_actor_power_state::v17::{
    consensus_miner_min_power, epoch_key, set_claim, Claim, ClaimsMap, CreateMinerParams,
    CreateMinerReturn, CronEvent, CurrentTotalPowerReturn, EnrollCronEventParams, State,
    UpdateClaimedPowerParams, CRON_QUEUE_AMT_BITWIDTH, CRON_QUEUE_HAMT_BITWIDTH,
};
use fil_actors_shared::v17::builtin::reward::smooth::{
    AlphaBetaFilter, DEFAULT_ALPHA, DEFAULT_BETA,
};
use fil_actors_shared::v17::builtin::reward::ThisEpochRewardReturn;
use fil_actors_shared::v17::runtime::Policy;
use fil_actors_shared::v17::{ActorDowncast, ActorError, Multimap};
use fvm_ipld_blockstore::Blockstore;
use fvm_ipld_encoding::ipld_block::IpldBlock;
use fvm_ipld_encoding::RawBytes;
use fvm_shared::address::Address;
use fvm_shared::bigint::bigint_ser::BigIntSer;
use fvm_shared::clock::ChainEpoch;
use fvm_shared::econ::TokenAmount;
use fvm_shared::error::ExitCode;
use fvm_shared::sector::{RegisteredPoStProof, StoragePower};
use fvm_shared::MethodNum;
use num_traits::Signed;

use super::super::runtime::{no_params, params, ret, returned, Abort, MethodResult, Rt};
use super::init::EXEC;
use super::reward::{request_this_epoch_reward, UPDATE_NETWORK_KPI};
use crate::state::ids::{CRON_ID, REWARD_ID};
use crate::state::{ActorKind, INIT_ACTOR_ID};

/// `CreateMiner`.
pub const CREATE_MINER: MethodNum = 2;
/// `CreateMiner` as exported to any caller (FRC-0042).
pub const CREATE_MINER_EXPORTED: MethodNum = 1_173_380_165;
/// `OnEpochTickEnd`.
pub const ON_EPOCH_TICK_END: MethodNum = 5;
/// `EnrollCronEvent`.
pub const ENROLL_CRON_EVENT: MethodNum = 4;
/// `UpdateClaimedPower`.
pub const UPDATE_CLAIMED_POWER: MethodNum = 3;
/// `UpdatePledgeTotal`.
pub const UPDATE_PLEDGE_TOTAL: MethodNum = 6;
/// `CurrentTotalPower`.
pub const CURRENT_TOTAL_POWER: MethodNum = 9;

/// Creates a miner through init's `Exec`, with the value sent as its
/// balance, and gives it an empty claim.
pub(super) fn create_miner<BS: Blockstore + Clone>(
    rt: &mut Rt<'_, BS>,
    p: Option<IpldBlock>,
) -> MethodResult {
    let p: CreateMinerParams = params(p)?;
    let constructor_params = RawBytes::serialize(MinerConstructorParams {
        owner: p.owner,
        worker: p.worker,
        window_post_proof_type: p.window_post_proof_type,
        peer_id: p.peer,
        multi_addresses: p.multiaddrs,
        control_addresses: Vec::new(),
    })
    .map_err(ActorError::from)?;
    let code_cid = rt.vm.manifest().code(ActorKind::Miner);
    let value = rt.value.clone();
    let created = rt.send(
        &Address::new_id(INIT_ACTOR_ID),
        EXEC,
        IpldBlock::serialize_cbor(&ExecParams {
            code_cid,
            constructor_params,
        })
        .map_err(ActorError::from)?,
        value,
    )?;
    let ExecReturn {
        id_address,
        robust_address,
    } = returned(created)?;

    let mut st: State = rt.state()?;
    let mut claims = st.load_claims(rt.store())?;
    set_claim(
        &mut claims,
        &id_address,
        Claim {
            window_post_proof_type: p.window_post_proof_type,
            quality_adj_power: Default::default(),
            raw_byte_power: Default::default(),
        },
    )?;
    st.miner_count += 1;
    update_stats_for_new_miner(&mut st, rt.policy(), p.window_post_proof_type).map_err(|e| {
        e.downcast_default(
            ExitCode::USR_ILLEGAL_STATE,
            format!("failed to update power stats for new miner {id_address}"),
        )
    })?;
    st.save_claims(&mut claims)?;
    rt.set_state(&st)?;
    ret(&CreateMinerReturn {
        id_address,
        robust_address,
    })
}

/// A miner queues a cron event for itself.
pub(super) fn enroll_cron_event<BS: Blockstore + Clone>(
    rt: &mut Rt<'_, BS>,
    p: Option<IpldBlock>,
) -> MethodResult {
    let p: EnrollCronEventParams = params(p)?;
    rt.validate_caller_type(&[ActorKind::Miner])?;
    if p.event_epoch < 0 {
        return Err(ActorError::illegal_argument(format!(
            "cron event epoch {} cannot be less than zero",
            p.event_epoch
        ))
        .into());
    }
    let mut st: State = rt.state()?;
    let event = CronEvent {
        miner_addr: Address::new_id(rt.caller),
        callback_payload: p.payload,
    };
    append_cron_event(&mut st, rt.store(), p.event_epoch, event)?;
    rt.set_state(&st)?;
    Ok(None)
}

/// A miner adds to (or takes from) its claimed power.
pub(super) fn update_claimed_power<BS: Blockstore + Clone>(
    rt: &mut Rt<'_, BS>,
    p: Option<IpldBlock>,
) -> MethodResult {
    let p: UpdateClaimedPowerParams = params(p)?;
    rt.validate_caller_type(&[ActorKind::Miner])?;
    let miner = Address::new_id(rt.caller);
    let policy = rt.policy().clone();
    let mut st: State = rt.state()?;
    let mut claims = st.load_claims(rt.store())?;
    add_to_claim(
        &mut st,
        &policy,
        &mut claims,
        &miner,
        &p.raw_byte_delta,
        &p.quality_adjusted_delta,
    )?;
    st.save_claims(&mut claims)?;
    rt.set_state(&st)?;
    Ok(None)
}

/// Power's cron, at the end of every epoch: each miner's deferred cron
/// events up to this epoch run (a miner whose callback fails loses its
/// claim, as in the real actor); this epoch's power and pledge become the
/// totals; the smoothed power estimate moves; the reward actor learns
/// the realized power.
pub(super) fn on_epoch_tick_end<BS: Blockstore + Clone>(
    rt: &mut Rt<'_, BS>,
    p: Option<IpldBlock>,
) -> MethodResult {
    no_params(&p)?;
    rt.validate_caller_is(&[CRON_ID])?;
    let reward = request_this_epoch_reward(rt, "failed to check epoch baseline power")?;
    process_deferred_cron_events(rt, &reward)?;

    let mut st: State = rt.state()?;
    let (raw, qa) = st.current_total_power();
    st.this_epoch_pledge_collateral = st.total_pledge_collateral.clone();
    st.this_epoch_quality_adj_power = qa;
    st.this_epoch_raw_byte_power = raw;
    let filter = AlphaBetaFilter::load(
        &st.this_epoch_qa_power_smoothed,
        &DEFAULT_ALPHA,
        &DEFAULT_BETA,
    );
    st.this_epoch_qa_power_smoothed = filter.next_estimate(&st.this_epoch_quality_adj_power, 1);
    let realized = st.this_epoch_raw_byte_power.clone();
    rt.set_state(&st)?;
    rt.send(
        &Address::new_id(REWARD_ID),
        UPDATE_NETWORK_KPI,
        IpldBlock::serialize_cbor(&BigIntSer(&realized)).map_err(ActorError::from)?,
        TokenAmount::default(),
    )
    .map_err(|e| e.wrap("failed to update network KPI with reward actor"))?;
    Ok(None)
}

/// Runs the cron events queued up to this epoch, in epoch order.
fn process_deferred_cron_events<BS: Blockstore + Clone>(
    rt: &mut Rt<'_, BS>,
    reward: &ThisEpochRewardReturn,
) -> Result<(), Abort> {
    let epoch = rt.epoch();
    let mut st: State = rt.state()?;
    let store = rt.store().clone();
    let mut events = Multimap::from_root(
        &store,
        &st.cron_event_queue,
        CRON_QUEUE_HAMT_BITWIDTH,
        CRON_QUEUE_AMT_BITWIDTH,
    )
    .map_err(|e| ActorError::illegal_state(format!("failed to load cron events: {e}")))?;
    let claims = st.load_claims(&store)?;
    let mut due = Vec::new();
    for e in st.first_cron_epoch..=epoch {
        let mut at = Vec::new();
        events
            .for_each(&epoch_key(e), |_, ev: &CronEvent| {
                at.push(ev.clone());
                Ok(())
            })
            .map_err(|err| {
                ActorError::illegal_state(format!("failed to load cron events at {e}: {err}"))
            })?;
        if at.is_empty() {
            continue;
        }
        for ev in at {
            if claims.contains_key(&ev.miner_addr)? {
                due.push(ev);
            } else {
                tracing::debug!(target: "venus::chain", miner = %ev.miner_addr, "skipping cron event for unknown miner");
            }
        }
        events.remove_all(&epoch_key(e)).map_err(|err| {
            ActorError::illegal_state(format!("failed to clear cron events at {e}: {err}"))
        })?;
    }
    st.first_cron_epoch = epoch + 1;
    st.cron_event_queue = events
        .root()
        .map_err(|e| ActorError::illegal_state(format!("failed to flush events: {e}")))?;
    let qa_smoothed = st.this_epoch_qa_power_smoothed.clone();
    rt.set_state(&st)?;

    let mut failed = Vec::new();
    for ev in due {
        let params = IpldBlock::serialize_cbor(&DeferredCronEventParams {
            event_payload: ev.callback_payload.to_vec(),
            reward_smoothed: reward.this_epoch_reward_smoothed.clone(),
            quality_adj_power_smoothed: qa_smoothed.clone(),
        })
        .map_err(ActorError::from)?;
        match rt.send(
            &ev.miner_addr,
            ON_DEFERRED_CRON_EVENT_METHOD,
            params,
            TokenAmount::default(),
        ) {
            Ok(_) => {}
            Err(Abort::Actor(e)) => {
                tracing::error!(target: "venus::chain", miner = %ev.miner_addr, error = %e.msg(), "OnDeferredCronEvent failed; the miner loses its claim");
                failed.push(ev.miner_addr);
            }
            Err(other) => return Err(other),
        }
    }
    if !failed.is_empty() {
        let policy = rt.policy().clone();
        let mut st: State = rt.state()?;
        let mut claims = st.load_claims(rt.store())?;
        for miner in failed {
            let Some(old) = claims.get(&miner)?.cloned() else {
                // delete_claim is a no-op for a missing claim; the count
                // still drops, as in the real actor.
                st.miner_count -= 1;
                continue;
            };
            let (raw, qa) = (-old.raw_byte_power.clone(), -old.quality_adj_power.clone());
            if let Err(e) = add_to_claim(&mut st, &policy, &mut claims, &miner, &raw, &qa) {
                tracing::error!(target: "venus::chain", %miner, error = %e.msg(), "failed to delete the claim");
                continue;
            }
            claims.delete(&miner)?;
            st.miner_count -= 1;
        }
        st.save_claims(&mut claims)?;
        rt.set_state(&st)?;
    }
    Ok(())
}

/// A miner reports a change of its pledge.
pub(super) fn update_pledge_total<BS: Blockstore + Clone>(
    rt: &mut Rt<'_, BS>,
    p: Option<IpldBlock>,
) -> MethodResult {
    let delta: TokenAmount = params(p)?;
    rt.validate_caller_type(&[ActorKind::Miner])?;
    let mut st: State = rt.state()?;
    let caller = Address::new_id(rt.caller);
    let claims = st.load_claims(rt.store())?;
    if !claims.contains_key(&caller)? {
        return Err(ActorError::forbidden(format!(
            "unknown miner {caller} forbidden to interact with power actor"
        ))
        .into());
    }
    st.total_pledge_collateral += delta;
    if st.total_pledge_collateral.is_negative() {
        return Err(ActorError::illegal_state(format!(
            "negative total pledge collateral {}",
            st.total_pledge_collateral
        ))
        .into());
    }
    rt.set_state(&st)?;
    Ok(None)
}

/// This epoch's power and pledge totals, and the smoothed power estimate.
pub(super) fn current_total_power<BS: Blockstore + Clone>(
    rt: &mut Rt<'_, BS>,
    p: Option<IpldBlock>,
) -> MethodResult {
    no_params(&p)?;
    let st: State = rt.state()?;
    ret(&CurrentTotalPowerReturn {
        raw_byte_power: st.this_epoch_raw_byte_power,
        quality_adj_power: st.this_epoch_quality_adj_power,
        pledge_collateral: st.this_epoch_pledge_collateral,
        quality_adj_power_smoothed: st.this_epoch_qa_power_smoothed,
        ramp_start_epoch: st.ramp_start_epoch,
        ramp_duration_epochs: st.ramp_duration_epochs,
    })
}

/// A new miner starts above the minimum only where the minimum is zero.
fn update_stats_for_new_miner(
    st: &mut State,
    policy: &Policy,
    proof: RegisteredPoStProof,
) -> anyhow::Result<()> {
    let min_power = consensus_miner_min_power(policy, proof)?;
    if !min_power.is_positive() {
        st.miner_above_min_power_count += 1;
    }
    Ok(())
}

/// Adds `power` and `qa_power` to `miner`'s claim and to the totals; a
/// miner's power counts in the network totals only once it reaches the
/// consensus minimum.
pub(crate) fn add_to_claim<BS: Blockstore>(
    st: &mut State,
    policy: &Policy,
    claims: &mut ClaimsMap<BS>,
    miner: &Address,
    power: &StoragePower,
    qa_power: &StoragePower,
) -> Result<(), ActorError> {
    let old = claims
        .get(miner)?
        .cloned()
        .ok_or_else(|| ActorError::not_found(format!("no claim for actor {miner}")))?;
    st.total_qa_bytes_committed += qa_power;
    st.total_bytes_committed += power;
    let new = Claim {
        raw_byte_power: &old.raw_byte_power + power,
        quality_adj_power: &old.quality_adj_power + qa_power,
        window_post_proof_type: old.window_post_proof_type,
    };
    let min_power = consensus_miner_min_power(policy, old.window_post_proof_type)
        .map_err(|e| ActorError::illegal_state(e.to_string()))?;
    let prev_below = old.raw_byte_power < min_power;
    let still_below = new.raw_byte_power < min_power;
    if prev_below && !still_below {
        st.miner_above_min_power_count += 1;
        st.total_quality_adj_power += &new.quality_adj_power;
        st.total_raw_byte_power += &new.raw_byte_power;
    } else if !prev_below && still_below {
        st.miner_above_min_power_count -= 1;
        st.total_quality_adj_power -= &old.quality_adj_power;
        st.total_raw_byte_power -= &old.raw_byte_power;
        if st.total_quality_adj_power.is_negative() || st.total_raw_byte_power.is_negative() {
            return Err(ActorError::illegal_state("negative total power".into()));
        }
    } else if !prev_below && !still_below {
        st.total_quality_adj_power += qa_power;
        st.total_raw_byte_power += power;
    }
    if new.raw_byte_power.is_negative() || new.quality_adj_power.is_negative() {
        return Err(ActorError::illegal_state(format!(
            "negative claimed power for {miner}: {} raw, {} quality-adjusted",
            new.raw_byte_power, new.quality_adj_power
        )));
    }
    if st.miner_above_min_power_count < 0 {
        return Err(ActorError::illegal_state(format!(
            "negative count of miners above the minimum: {}",
            st.miner_above_min_power_count
        )));
    }
    set_claim(claims, miner, new)
}

/// Queues `event` for cron at `epoch` (`append_cron_event`).
pub(crate) fn append_cron_event<BS: Blockstore>(
    st: &mut State,
    store: &BS,
    epoch: ChainEpoch,
    event: CronEvent,
) -> Result<(), ActorError> {
    let mut events = Multimap::from_root(
        store,
        &st.cron_event_queue,
        CRON_QUEUE_HAMT_BITWIDTH,
        CRON_QUEUE_AMT_BITWIDTH,
    )
    .map_err(|e| ActorError::illegal_state(format!("failed to load cron events: {e}")))?;
    if epoch < st.first_cron_epoch {
        st.first_cron_epoch = epoch;
    }
    events.add(epoch_key(epoch), event).map_err(|e| {
        ActorError::illegal_state(format!("failed to store cron event at epoch {epoch}: {e}"))
    })?;
    st.cron_event_queue = events
        .root()
        .map_err(|e| ActorError::illegal_state(format!("failed to flush cron events: {e}")))?;
    Ok(())
}
