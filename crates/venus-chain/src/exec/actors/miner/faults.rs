//! `DeclareFaults` (10) and `DeclareFaultsRecovered` (11), as
//! builtin-actors v17 runs them: declarations for deadlines whose fault
//! cutoff has not passed; faults lose their power at once, recoveries
//! regain it with their deadline's next window PoSt.

use fil_actor_miner_state::v17::{
    new_deadline_info, DeadlineInfo, DeadlineSectorMap, DeclareFaultsParams,
    DeclareFaultsRecoveredParams, PowerPair, Sectors, State,
};
use fil_actors_shared::v17::runtime::Policy;
use fil_actors_shared::v17::{ActorDowncast, ActorError};
use fvm_ipld_bitfield::BitField;
use fvm_ipld_blockstore::Blockstore;
use fvm_ipld_encoding::ipld_block::IpldBlock;
use fvm_shared::clock::ChainEpoch;
use fvm_shared::error::ExitCode;

use super::super::super::runtime::{params, Abort, MethodResult, Rt};
use super::{
    burn, check_invariants, controlling, miner_info, repay_debts_or_abort, request_update_power,
};

/// `DeclareFaults`.
pub const DECLARE_FAULTS: u64 = 10;
/// `DeclareFaultsRecovered`.
pub const DECLARE_FAULTS_RECOVERED: u64 = 11;

/// The declarations by deadline and partition, checked against the
/// addressing limits.
fn to_process(
    policy: &Policy,
    declarations: impl IntoIterator<Item = (u64, u64, BitField)>,
) -> Result<DeadlineSectorMap, Abort> {
    let mut map = DeadlineSectorMap::new();
    for (deadline, partition, sectors) in declarations {
        map.add(policy, deadline, partition, sectors).map_err(|e| {
            ActorError::illegal_argument(format!(
                "failed to process deadline {deadline}, partition {partition}: {e}"
            ))
        })?;
    }
    map.check(
        policy.addressed_partitions_max,
        policy.addressed_sectors_max,
    )
    .map_err(|e| {
        ActorError::illegal_argument(format!("cannot process requested parameters: {e}"))
    })?;
    Ok(map)
}

/// The deadline a declaration for `idx` targets: its next occurrence that
/// has not closed, which must be before its fault cutoff.
fn declaration_deadline(
    policy: &Policy,
    st: &State,
    idx: u64,
    epoch: ChainEpoch,
    what: &str,
) -> Result<DeadlineInfo, Abort> {
    if idx >= policy.wpost_period_deadlines {
        return Err(ActorError::illegal_argument(format!(
            "invalid {what} declaration deadline {idx}: invalid deadline {idx}, must be < {}",
            policy.wpost_period_deadlines
        ))
        .into());
    }
    let start = st.current_proving_period_start(policy, epoch);
    let dl = new_deadline_info(policy, start, idx, epoch).next_not_elapsed();
    if dl.fault_cutoff_passed() {
        return Err(ActorError::illegal_argument(format!(
            "failed {what} declaration at deadline {idx}: late fault or recovery declaration"
        ))
        .into());
    }
    Ok(dl)
}

pub(in crate::exec::actors) fn declare_faults<BS: Blockstore + Clone>(
    rt: &mut Rt<'_, BS>,
    p: Option<IpldBlock>,
) -> MethodResult {
    let p: DeclareFaultsParams = params(p)?;
    let policy = rt.policy().clone();
    let mut map = to_process(
        &policy,
        p.faults
            .into_iter()
            .map(|f| (f.deadline, f.partition, f.sectors)),
    )?;
    let mut st: State = rt.state()?;
    let info = miner_info(&st, rt.store())?;
    rt.validate_caller_is(&controlling(&info))?;
    let store = rt.store().clone();
    let epoch = rt.epoch();
    let mut deadlines = st
        .load_deadlines(&store)
        .map_err(|e| e.wrap("failed to load deadlines"))?;
    let sectors = Sectors::load(&store, &st.sectors)
        .map_err(|e| ActorError::illegal_state(format!("failed to load sectors array: {e}")))?;
    let mut new_faults = PowerPair::zero();
    for (idx, partitions) in map.iter() {
        let target = declaration_deadline(&policy, &st, idx, epoch, "fault")?;
        let mut deadline = deadlines.load_deadline(&store, idx)?;
        let delta = deadline
            .record_faults(
                &store,
                &sectors,
                info.sector_size,
                target.quant_spec(),
                target.last() + policy.fault_max_age,
                partitions,
            )
            .map_err(|e| {
                e.downcast_default(
                    ExitCode::USR_ILLEGAL_STATE,
                    format!("failed to declare faults for deadline {idx}"),
                )
            })?;
        deadlines
            .update_deadline(&policy, &store, idx, &deadline)
            .map_err(|e| {
                e.downcast_default(
                    ExitCode::USR_ILLEGAL_STATE,
                    format!("failed to store deadline {idx} partitions"),
                )
            })?;
        new_faults += &delta;
    }
    st.save_deadlines(&store, deadlines)
        .map_err(|e| e.downcast_default(ExitCode::USR_ILLEGAL_STATE, "failed to save deadlines"))?;
    rt.set_state(&st)?;
    request_update_power(rt, new_faults)?;
    Ok(None)
}

pub(in crate::exec::actors) fn declare_faults_recovered<BS: Blockstore + Clone>(
    rt: &mut Rt<'_, BS>,
    p: Option<IpldBlock>,
) -> MethodResult {
    let p: DeclareFaultsRecoveredParams = params(p)?;
    let policy = rt.policy().clone();
    let mut map = to_process(
        &policy,
        p.recoveries
            .into_iter()
            .map(|r| (r.deadline, r.partition, r.sectors)),
    )?;
    let mut st: State = rt.state()?;
    let balance = rt.balance()?;
    let fee_to_burn = repay_debts_or_abort(&mut st, &balance)?;
    let info = miner_info(&st, rt.store())?;
    rt.validate_caller_is(&controlling(&info))?;
    let epoch = rt.epoch();
    if epoch <= info.consensus_fault_elapsed {
        return Err(ActorError::forbidden(
            "recovery not allowed during active consensus fault".into(),
        )
        .into());
    }
    let store = rt.store().clone();
    let mut deadlines = st
        .load_deadlines(&store)
        .map_err(|e| e.wrap("failed to load deadlines"))?;
    let sectors = Sectors::load(&store, &st.sectors)
        .map_err(|e| ActorError::illegal_state(format!("failed to load sectors array: {e}")))?;
    for (idx, partitions) in map.iter() {
        declaration_deadline(&policy, &st, idx, epoch, "recovery")?;
        let mut deadline = deadlines.load_deadline(&store, idx)?;
        deadline
            .declare_faults_recovered(&store, &sectors, info.sector_size, partitions)
            .map_err(|e| {
                e.downcast_default(
                    ExitCode::USR_ILLEGAL_STATE,
                    format!("failed to declare recoveries for deadline {idx}"),
                )
            })?;
        deadlines
            .update_deadline(&policy, &store, idx, &deadline)
            .map_err(|e| {
                e.downcast_default(
                    ExitCode::USR_ILLEGAL_STATE,
                    format!("failed to store deadline {idx}"),
                )
            })?;
    }
    st.save_deadlines(&store, deadlines)
        .map_err(|e| e.downcast_default(ExitCode::USR_ILLEGAL_STATE, "failed to save deadlines"))?;
    rt.set_state(&st)?;
    burn(rt, fee_to_burn)?;
    check_invariants(rt)?;
    Ok(None)
}
