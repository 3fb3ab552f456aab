//! The Lotus v1 full-node methods a pool uses, a client implementing
//! `ChainApi` over them, and a server module exposing any `ChainApi` with them.

mod client;
mod node;
mod server;
pub mod v0;

pub use node::*;

pub use crate::common::PERMISSIONS_TIMEOUT;
pub use client::{LotusClient, MESSAGE_CONFIDENCE};
pub use server::{auth_module, chain_api_module};

use venus_core::json::Lotus;
use venus_core::types::{
    ActorState, BlockMessages, BlockMsg, BlockTemplate, HeadChange, MessageSendSpec,
    MiningBaseInfo, MsgLookup, SignedMessage, TipSet, TipSetKey,
};
use venus_core::{Address, ChainEpoch, Cid, Message};

use venus_rpc::{channel_method, rpc_method, NoParams};

/// Lotus's `LookbackNoLimit`: search the whole chain.
pub const LOOKBACK_NO_LIMIT: ChainEpoch = -1;

rpc_method! {
    /// The current head.
    pub ChainHead = "Filecoin.ChainHead", read, idempotent, NoParams => Lotus<TipSet>
}
channel_method! {
    /// Head changes; the first value is `[current]`.
    pub ChainNotify = "Filecoin.ChainNotify", read, NoParams => Lotus<Vec<HeadChange>>
}
rpc_method! {
    /// The messages a block includes.
    pub ChainGetBlockMessages = "Filecoin.ChainGetBlockMessages", read, idempotent, (Lotus<Cid>,) => Lotus<BlockMessages>
}
rpc_method! {
    /// A tipset by key.
    pub ChainGetTipSet = "Filecoin.ChainGetTipSet", read, idempotent, (Lotus<TipSetKey>,) => Lotus<TipSet>
}
rpc_method! {
    /// The tipset at a height (the one below, at a null round).
    pub ChainGetTipSetByHeight = "Filecoin.ChainGetTipSetByHeight", read, idempotent,
        (ChainEpoch, Lotus<TipSetKey>) => Lotus<TipSet>
}
rpc_method! {
    /// An actor's state.
    pub StateGetActor = "Filecoin.StateGetActor", read, idempotent,
        (Lotus<Address>, Lotus<TipSetKey>) => Lotus<ActorState>
}
rpc_method! {
    /// A miner's election inputs.
    pub MinerGetBaseInfo = "Filecoin.MinerGetBaseInfo", read, idempotent,
        (Lotus<Address>, ChainEpoch, Lotus<TipSetKey>) => Lotus<Option<MiningBaseInfo>>
}
rpc_method! {
    /// Assembles a block from a template.
    pub MinerCreateBlock = "Filecoin.MinerCreateBlock", write, (Lotus<BlockTemplate>,) => Lotus<BlockMsg>
}
rpc_method! {
    /// Submits a block.
    pub SyncSubmitBlock = "Filecoin.SyncSubmitBlock", write, (Lotus<BlockMsg>,) => ()
}
rpc_method! {
    /// Messages for one block.
    pub MpoolSelect = "Filecoin.MpoolSelect", read, idempotent,
        (Lotus<TipSetKey>, f64) => Lotus<Vec<SignedMessage>>
}
rpc_method! {
    /// Venus's multi-winner selection: one disjoint list per ticket quality.
    pub MpoolSelects = "Filecoin.MpoolSelects", read, idempotent,
        (Lotus<TipSetKey>, Vec<f64>) => Lotus<Vec<Vec<SignedMessage>>>
}
rpc_method! {
    /// Pushes a signed message.
    pub MpoolPush = "Filecoin.MpoolPush", write, (Lotus<SignedMessage>,) => Lotus<Cid>
}
rpc_method! {
    /// Fills in a message's gas fields.
    pub GasEstimateMessageGas = "Filecoin.GasEstimateMessageGas", read, idempotent,
        (Lotus<Message>, Lotus<Option<MessageSendSpec>>, Lotus<TipSetKey>) => Lotus<Message>
}
rpc_method! {
    /// Where a message executed: (from, cid, lookback limit, allow replaced).
    pub StateSearchMsg = "Filecoin.StateSearchMsg", read, idempotent,
        (Lotus<TipSetKey>, Lotus<Cid>, ChainEpoch, bool) => Lotus<Option<MsgLookup>>
}
rpc_method! {
    /// Waits for a message: (cid, confidence, lookback limit, allow replaced).
    pub StateWaitMsg = "Filecoin.StateWaitMsg", read, idempotent,
        (Lotus<Cid>, u64, ChainEpoch, bool) => Lotus<Option<MsgLookup>>
}
