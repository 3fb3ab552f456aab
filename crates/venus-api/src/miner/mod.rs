//! The block producer's API as sophon-miner serves it (`api/api_miner.go`):
//! the same method names (namespace `Filecoin.`), permissions and JSON, so
//! its CLI and the pool's tools talk to `venus-miner` as to sophon-miner.
//! Address lists are `Option`s: Go sends a nil slice as `null`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use venus_core::json::Lotus;
use venus_core::{Address, ChainEpoch};
use venus_rpc::{rpc_method, NoParams};

/// A member miner (`types.MinerInfo`): its venus-auth user's id and name
/// (empty for miners from configuration) and whether it is switched on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct MinerInfo {
    /// The miner.
    #[serde(with = "venus_core::json::lotus_json")]
    pub addr: Address,
    /// Its user's id.
    pub id: String,
    /// Its user's name.
    pub name: String,
    /// Whether the pool mines for it.
    pub open_mining: bool,
}

/// A miner's state (`types.MinerState`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct MinerState {
    /// The miner.
    #[serde(with = "venus_core::json::lotus_json")]
    pub addr: Address,
    /// Whether the pool mines for it now.
    pub is_mining: bool,
    /// Its latest errors, newest last (null when none).
    pub err: Option<Vec<String>>,
}

/// One epoch a miner won (`types.SimpleWinInfo`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WinInfo {
    /// The epoch.
    pub epoch: ChainEpoch,
    /// Its WinCount.
    pub win_count: i64,
    /// What went wrong, if anything.
    pub msg: String,
}

/// A miner's wins over a range (`types.CountWinners`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CountWinners {
    /// The miner.
    #[serde(with = "venus_core::json::lotus_json")]
    pub miner: Address,
    /// The sum of its WinCounts.
    pub total_win_count: i64,
    /// What went wrong, if anything.
    pub msg: String,
    /// The epochs it won (null when none).
    pub win_epoch_list: Option<Vec<WinInfo>>,
}

/// Which mined blocks `ListBlocks` returns (`types.BlocksQueryParams`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct BlocksQueryParams {
    /// Only these miners (all when empty or null).
    #[serde(default)]
    pub miners: Option<Vec<Lotus<Address>>>,
    /// At most this many (all when 0).
    #[serde(default)]
    pub limit: u64,
    /// Skipping this many.
    #[serde(default)]
    pub offset: u64,
}

/// A block the pool claimed (`types.MinedBlock`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct MinedBlock {
    /// Its parents' height.
    pub parent_epoch: ChainEpoch,
    /// Its parents, as `{cid,cid}`.
    pub parent_key: String,
    /// Its epoch.
    pub epoch: ChainEpoch,
    /// The miner.
    pub miner: String,
    /// The signed block's CID (empty until signed).
    pub cid: String,
    /// When it was claimed (RFC 3339).
    pub winning_at: String,
    /// sophon-miner's state: 0 mining, 1 success, 2 timeout, 3 chain
    /// forked, 4 error.
    pub mine_state: i64,
    /// Reserved (always 0, as in sophon-miner).
    pub consuming: i64,
}

/// Which records `QueryRecord` returns (`types.QueryRecordParams`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct QueryRecordParams {
    /// The miner.
    #[serde(with = "venus_core::json::lotus_json")]
    pub miner: Address,
    /// The first epoch.
    pub epoch: ChainEpoch,
    /// At most this many epochs (1 when 0; at most
    /// [`MAX_RECORD_EPOCHS`]).
    #[serde(default)]
    pub limit: u64,
}

/// The most epochs one `QueryRecord` covers (sophon-miner's
/// `MaxRecordPerQuery` default).
pub const MAX_RECORD_EPOCHS: u64 = 288;

rpc_method! {
    /// The member miners.
    pub ListAddress = "Filecoin.ListAddress", read, NoParams => Vec<MinerInfo>
}
rpc_method! {
    /// Re-reads the members (skip, limit); the ones mined for.
    pub UpdateAddress = "Filecoin.UpdateAddress", admin, (i64, i64) => Vec<MinerInfo>
}
rpc_method! {
    /// Whether each miner is mined for, and its latest errors (all when empty).
    pub StatesForMining = "Filecoin.StatesForMining", read, (Option<Vec<Lotus<Address>>>,) => Vec<MinerState>
}
rpc_method! {
    /// Which miners won in [start, end], by election only (no proofs).
    pub CountWinnersMethod = "Filecoin.CountWinners", read,
        (Option<Vec<Lotus<Address>>>, ChainEpoch, ChainEpoch) => Vec<CountWinners>
}
rpc_method! {
    /// The blocks the pool claimed, newest first.
    pub ListBlocks = "Filecoin.ListBlocks", read, (BlocksQueryParams,) => Vec<MinedBlock>
}
rpc_method! {
    /// Switches miners on (kept across restarts).
    pub Start = "Filecoin.Start", admin, (Option<Vec<Lotus<Address>>>,) => ()
}
rpc_method! {
    /// Switches miners off (kept across restarts).
    pub Stop = "Filecoin.Stop", admin, (Option<Vec<Lotus<Address>>>,) => ()
}
rpc_method! {
    /// A miner's round records from an epoch on, as string maps.
    pub QueryRecord = "Filecoin.QueryRecord", read,
        (QueryRecordParams,) => Vec<BTreeMap<String, String>>
}
