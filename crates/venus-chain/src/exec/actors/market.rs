//! The storage market actor (builtin-actors `actors/market`): our devnet
//! publishes no deals, so only what a miner asks of an empty market runs.

use fil_actor_market_state::v17::{
    State, VerifyDealsForActivationParams, VerifyDealsForActivationReturn,
};
use fil_actors_shared::v17::ActorError;
use fvm_ipld_blockstore::Blockstore;
use fvm_ipld_encoding::ipld_block::IpldBlock;
use fvm_shared::error::ExitCode;
use fvm_shared::MethodNum;

/// The market's exit code for a deal that is no longer there.
const EX_DEAL_EXPIRED: ExitCode = ExitCode::new(32);

use super::super::runtime::{no_params, params, ret, MethodResult, Rt};
use crate::state::ids::CRON_ID;
use crate::state::ActorKind;

/// `OnMinerSectorsTerminate`.
pub const ON_MINER_SECTORS_TERMINATE: MethodNum = 7;
/// `CronTick`.
pub const CRON_TICK: MethodNum = 9;
/// `VerifyDealsForActivation`.
pub const VERIFY_DEALS_FOR_ACTIVATION: MethodNum = 5;

/// The CommD each sector's deals make: none for a sector without deals.
/// A deal ID is checked against the market's proposals as the real actor
/// checks it (`get_proposals`); since none are ever published here, any
/// ID is not found.
pub(super) fn verify_deals_for_activation<BS: Blockstore + Clone>(
    rt: &mut Rt<'_, BS>,
    p: Option<IpldBlock>,
) -> MethodResult {
    let p: VerifyDealsForActivationParams = params(p)?;
    rt.validate_caller_type(&[ActorKind::Miner])?;
    let st: State = rt.state()?;
    let proposals = st.load_proposals(rt.store())?;
    let mut unsealed_cids = Vec::with_capacity(p.sectors.len());
    for sector in &p.sectors {
        let mut seen = std::collections::BTreeSet::new();
        for id in &sector.deal_ids {
            if !seen.insert(*id) {
                return Err(ActorError::illegal_argument(format!(
                    "duplicate deal ID {id} in sector"
                ))
                .into());
            }
            if *id >= st.next_id {
                return Err(ActorError::not_found(format!("no such deal {id}")).into());
            }
            let found = proposals
                .get(*id)
                .map_err(|e| ActorError::illegal_state(e.to_string()))?
                .is_some();
            if !found {
                // A deal that was published and is gone has expired.
                return Err(
                    ActorError::unchecked(EX_DEAL_EXPIRED, format!("deal {id} expired")).into(),
                );
            }
        }
        if !sector.deal_ids.is_empty() {
            return Err(ActorError::unhandled_message(
                "deals are not modeled on this devnet".to_string(),
            )
            .into());
        }
        sector
            .sector_type
            .sector_size()
            .map_err(|e| ActorError::illegal_argument(format!("sector size unknown: {e}")))?;
        unsealed_cids.push(None);
    }
    ret(&VerifyDealsForActivationReturn { unsealed_cids })
}

/// The market's cron: with no deal ever published there is nothing to
/// settle; it records the epoch, as the real actor does.
pub(super) fn cron_tick<BS: Blockstore + Clone>(
    rt: &mut Rt<'_, BS>,
    p: Option<IpldBlock>,
) -> MethodResult {
    no_params(&p)?;
    rt.validate_caller_is(&[CRON_ID])?;
    let mut st: State = rt.state()?;
    if st.next_id != 0 {
        return Err(
            ActorError::unhandled_message("deals are not modeled on this devnet".into()).into(),
        );
    }
    st.last_cron = rt.epoch();
    rt.set_state(&st)?;
    Ok(None)
}

/// A miner's sectors ended: a market without deals has none to end.
pub(super) fn on_miner_sectors_terminate<BS: Blockstore + Clone>(
    rt: &mut Rt<'_, BS>,
    p: Option<IpldBlock>,
) -> MethodResult {
    let _: fil_actor_market_state::v17::OnMinerSectorsTerminateParams = params(p)?;
    rt.validate_caller_type(&[ActorKind::Miner])?;
    let st: State = rt.state()?;
    if st.next_id != 0 {
        return Err(
            ActorError::unhandled_message("deals are not modeled on this devnet".into()).into(),
        );
    }
    Ok(None)
}
