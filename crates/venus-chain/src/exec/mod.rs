//! Execution: one message ([`Vm::apply_message`]) and a tipset's messages
//! in Lotus's order ([`apply_messages`]), the builtin actors' methods run
//! natively ([`actors`]), with gas charged as [`gas`] documents and the
//! actors' constants from [`policy`]; [`pledge`] prices new power from a
//! state as the miner actor does.

pub mod actors;
mod externs;
pub mod gas;
mod message;
pub mod pledge;
pub mod policy;
mod runtime;
mod tipset;

pub use externs::{Externs, Randomness};
pub use message::{circulating_supply, ApplyRet, ExecEnv, Vm, FIRST_EXPORTED_METHOD};
pub use tipset::{
    apply_messages, apply_tipset, select_messages, BlockReward, BlockToApply, Selected,
    TipsetApplied,
};
