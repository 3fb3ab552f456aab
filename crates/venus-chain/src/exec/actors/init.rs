//! The init actor's `Exec` (builtin-actors `actors/init`): creates an
//! actor of a type its caller may create, at a new ID and a robust (f2)
//! address, and runs its constructor with the value sent.

use fil_actor_init_state::v17::{ExecParams, ExecReturn, State};
use fil_actors_shared::v17::ActorError;
use fvm_ipld_blockstore::Blockstore;
use fvm_ipld_encoding::ipld_block::IpldBlock;
use fvm_ipld_encoding::DAG_CBOR;
use fvm_shared::address::Address;
use fvm_shared::{MethodNum, METHOD_CONSTRUCTOR};

use super::super::runtime::{params, ret, MethodResult, Rt};
use crate::state::ActorKind;

/// `Exec`.
pub const EXEC: MethodNum = 2;

pub(super) fn exec<BS: Blockstore + Clone>(
    rt: &mut Rt<'_, BS>,
    p: Option<IpldBlock>,
) -> MethodResult {
    let p: ExecParams = params(p)?;
    let caller = rt
        .kind_of(rt.caller)?
        .ok_or_else(|| ActorError::illegal_state(format!("no code for caller f0{}", rt.caller)))?;
    let target = rt.vm.manifest().kind_of(&p.code_cid);
    // can_exec: multisigs and payment channels by anyone, miners by the
    // power actor only.
    let allowed = match target {
        Some(ActorKind::Multisig | ActorKind::PaymentChannel) => true,
        Some(ActorKind::Miner) => caller == ActorKind::Power,
        _ => false,
    };
    if !allowed {
        return Err(ActorError::forbidden(format!(
            "called type {caller:?} cannot exec actor type {}",
            p.code_cid
        ))
        .into());
    }
    let robust = rt.next_actor_address()?;
    let mut st: State = rt.state()?;
    let (id, existing) = st
        .map_addresses_to_id(rt.store(), &robust, None)
        .map_err(|e| e.wrap("failed to allocate ID address"))?;
    if existing {
        return Err(
            ActorError::forbidden(format!("cannot exec over an existing actor f0{id}")).into(),
        );
    }
    rt.set_state(&st)?;
    rt.create_actor(p.code_cid, id)?;
    let value = rt.value.clone();
    rt.send(
        &Address::new_id(id),
        METHOD_CONSTRUCTOR,
        (!p.constructor_params.is_empty()).then(|| IpldBlock {
            codec: DAG_CBOR,
            data: p.constructor_params.to_vec(),
        }),
        value,
    )
    .map_err(|e| e.wrap("constructor failed"))?;
    ret(&ExecReturn {
        id_address: Address::new_id(id),
        robust_address: robust,
    })
}
