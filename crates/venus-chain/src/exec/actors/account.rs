//! The account actor (builtin-actors `actors/account`).

use fil_actors_shared::v17::ActorError;
use fvm_ipld_blockstore::Blockstore;
use fvm_ipld_encoding::ipld_block::IpldBlock;
use fvm_shared::MethodNum;

use super::super::runtime::{no_params, ret, MethodResult, Rt};
use crate::exec::FIRST_EXPORTED_METHOD;

/// `PubkeyAddress`: the account's key address.
pub const PUBKEY_ADDRESS: MethodNum = 2;
/// `AuthenticateMessage` (FRC-0042 hash of the name): checks a signature
/// over a message; not modeled.
pub const AUTHENTICATE_MESSAGE: MethodNum = 2_643_134_072;

pub(super) fn invoke<BS: Blockstore + Clone>(
    rt: &mut Rt<'_, BS>,
    method: MethodNum,
    p: Option<IpldBlock>,
) -> MethodResult {
    match method {
        PUBKEY_ADDRESS => {
            no_params(&p)?;
            let st: fil_actor_account_state::v17::State = rt.state()?;
            ret(&st.address)
        }
        // The fallback accepts any exported method (token hooks, say) but
        // AuthenticateMessage, which is not modeled.
        m if m >= FIRST_EXPORTED_METHOD && m != AUTHENTICATE_MESSAGE => Ok(None),
        m => {
            Err(ActorError::unhandled_message(format!("account method {m} is not modeled")).into())
        }
    }
}
