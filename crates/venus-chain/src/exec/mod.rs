//! Execution: one message ([`Vm::apply_message`]) and a tipset's messages
//! in Lotus's order ([`apply_messages`]), with gas charged as
//! [`gas`] documents.

pub mod gas;
mod message;
mod tipset;

pub use message::{ApplyRet, ExecEnv, Vm, FIRST_EXPORTED_METHOD};
pub use tipset::{
    apply_messages, select_messages, BlockReward, BlockToApply, Selected, TipsetApplied,
};
