//! The cron actor (builtin-actors `actors/cron`): at the end of every
//! epoch the system calls `EpochTick`, which calls each entry (power's
//! `OnEpochTickEnd`, market's `CronTick`), ignoring their failures.

use fil_actor_cron_state::v17::State;
use fvm_ipld_blockstore::Blockstore;
use fvm_ipld_encoding::ipld_block::IpldBlock;
use fvm_shared::econ::TokenAmount;
use fvm_shared::MethodNum;

use super::super::runtime::{no_params, Abort, MethodResult, Rt};
use crate::state::ids::SYSTEM_ID;

/// `EpochTick`.
pub const EPOCH_TICK: MethodNum = 2;

pub(super) fn epoch_tick<BS: Blockstore + Clone>(
    rt: &mut Rt<'_, BS>,
    p: Option<IpldBlock>,
) -> MethodResult {
    no_params(&p)?;
    rt.validate_caller_is(&[SYSTEM_ID])?;
    let st: State = rt.state()?;
    for entry in st.entries {
        match rt.send(
            &entry.receiver,
            entry.method_num,
            None,
            TokenAmount::default(),
        ) {
            Ok(_) => {}
            Err(Abort::Actor(e)) => {
                tracing::error!(target: "venus::chain", receiver = %entry.receiver, method = entry.method_num, error = %e.msg(), code = %e.exit_code(), "cron entry failed");
            }
            Err(other) => return Err(other),
        }
    }
    Ok(None)
}
