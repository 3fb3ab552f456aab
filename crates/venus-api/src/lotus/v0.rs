//! Lotus's v0 full-node API where it differs from v1, for clients that
//! still speak it (`api/v0api/full.go`; Lotus serves them through
//! `api/v0api/v1_wrapper.go`). A server mounts these on `/rpc/v0` in place
//! of the v1 methods of the same name
//! (`venus_rpc::RpcServerBuilder::v0`); every other method is the same on
//! both paths.

use venus_core::json::Lotus;
use venus_core::shared::receipt::Receipt;
use venus_core::types::{BeaconEntry, MsgLookup, TipSetKey};
use venus_core::{Address, ChainEpoch, Cid};
use venus_rpc::{rpc_method, NoParams};

use super::{ApiVersion, Bytes, SectorPreCommitOnChainInfo};

/// The API version a v0 path reports: 1.5.0 (Lotus's `FullAPIVersion0`).
pub const FULL_API_VERSION_V0: u32 = 1 << 16 | 5 << 8;

rpc_method! {
    /// The node's version, with the v0 API version.
    pub Version = "Filecoin.Version", read, idempotent, NoParams => ApiVersion
}
rpc_method! {
    /// Searches the whole chain for a message, replacements allowed.
    pub StateSearchMsg = "Filecoin.StateSearchMsg", read, idempotent,
        (Lotus<Cid>,) => Lotus<Option<MsgLookup>>
}
rpc_method! {
    /// Searches `limit` epochs back for a message, replacements allowed.
    pub StateSearchMsgLimited = "Filecoin.StateSearchMsgLimited", read, idempotent,
        (Lotus<Cid>, ChainEpoch) => Lotus<Option<MsgLookup>>
}
rpc_method! {
    /// Waits for a message to sit under `confidence` tipsets.
    pub StateWaitMsg = "Filecoin.StateWaitMsg", read, idempotent,
        (Lotus<Cid>, u64) => Lotus<Option<MsgLookup>>
}
rpc_method! {
    /// `StateWaitMsg` looking `limit` epochs back.
    pub StateWaitMsgLimited = "Filecoin.StateWaitMsgLimited", read, idempotent,
        (Lotus<Cid>, u64, ChainEpoch) => Lotus<Option<MsgLookup>>
}
rpc_method! {
    /// A message's receipt, searched for from a tipset (null if not found).
    pub StateGetReceipt = "Filecoin.StateGetReceipt", read, idempotent,
        (Lotus<Cid>, Lotus<TipSetKey>) => Lotus<Option<Receipt>>
}
rpc_method! {
    /// A pre-committed sector; an error where v1 answers null.
    pub StateSectorPreCommitInfo = "Filecoin.StateSectorPreCommitInfo", read, idempotent,
        (Lotus<Address>, u64, Lotus<TipSetKey>) => SectorPreCommitOnChainInfo
}
rpc_method! {
    /// v1's `StateGetRandomnessFromTickets` with the tipset first.
    pub ChainGetRandomnessFromTickets = "Filecoin.ChainGetRandomnessFromTickets", read, idempotent,
        (Lotus<TipSetKey>, i64, ChainEpoch, Bytes) => Bytes
}
rpc_method! {
    /// v1's `StateGetRandomnessFromBeacon` with the tipset first.
    pub ChainGetRandomnessFromBeacon = "Filecoin.ChainGetRandomnessFromBeacon", read, idempotent,
        (Lotus<TipSetKey>, i64, ChainEpoch, Bytes) => Bytes
}
rpc_method! {
    /// v1's `StateGetBeaconEntry`.
    pub BeaconGetEntry = "Filecoin.BeaconGetEntry", read, idempotent, (ChainEpoch,) => Lotus<BeaconEntry>
}
