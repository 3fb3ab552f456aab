//! Types that cross the node API: head changes, lookups, mining inputs, actors.

use cid::Cid;
use fvm_ipld_encoding::tuple::{Deserialize_tuple, Serialize_tuple};
use fvm_shared::address::Address;
use fvm_shared::bigint::BigInt;
use fvm_shared::clock::ChainEpoch;
use fvm_shared::econ::TokenAmount;
use fvm_shared::receipt::Receipt;
use fvm_shared::sector::{PoStProof, RegisteredSealProof, SectorNumber};
use serde::{Deserialize, Serialize};

use super::{BeaconEntry, ElectionProof, SignedMessage, Ticket, TipSet, TipSetKey};
use crate::json::lotus_json_struct;

/// What happened to the head.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HeadChangeType {
    /// The head at subscription time (the first notification).
    Current,
    /// A tipset became part of the chain.
    Apply,
    /// A tipset left the chain in a reorg.
    Revert,
}

crate::json::plain_json_enum!(HeadChangeType);

/// One head change, as `ChainNotify` delivers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeadChange {
    /// Current, apply or revert.
    pub change_type: HeadChangeType,
    /// The tipset concerned.
    pub val: TipSet,
}

lotus_json_struct! {
    /// Lotus JSON of a [`HeadChange`]: `{"Type": "apply", "Val": tipset}`.
    HeadChange => HeadChangeJson {
        change_type: HeadChangeType = "Type" via "crate::json::lotus_json",
        val: TipSet = "Val" via "crate::json::lotus_json",
    }
}

/// Where and how a message executed.
#[derive(Debug, Clone, PartialEq)]
pub struct MsgLookup {
    /// The message CID (the one found on chain, which may be a replacement).
    pub message: Cid,
    /// Its receipt.
    pub receipt: Receipt,
    /// The decoded return value, when the node decoded it.
    pub return_dec: Option<serde_json::Value>,
    /// The tipset whose state includes the message's execution.
    pub tipset: TipSetKey,
    /// That tipset's height.
    pub height: ChainEpoch,
}

lotus_json_struct! {
    /// Lotus JSON of a [`MsgLookup`].
    MsgLookup => MsgLookupJson {
        message: Cid = "Message" via "crate::json::lotus_json",
        receipt: Receipt = "Receipt" via "crate::json::lotus_json",
        return_dec: Option<serde_json::Value> = "ReturnDec" via "crate::json::lotus_json",
        tipset: TipSetKey = "TipSet" via "crate::json::lotus_json",
        height: ChainEpoch = "Height" via "crate::json::lotus_json",
    }
}

/// A sector as the winning PoSt sees it (Lotus's `builtin.ExtendedSectorInfo`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize_tuple, Deserialize_tuple)]
pub struct ExtendedSectorInfo {
    /// The seal proof type.
    pub seal_proof: RegisteredSealProof,
    /// The sector number.
    pub sector_number: SectorNumber,
    /// CommR before a snap-deal update, if any.
    pub sector_key: Option<Cid>,
    /// CommR.
    pub sealed_cid: Cid,
}

lotus_json_struct! {
    /// Lotus JSON of an [`ExtendedSectorInfo`].
    ExtendedSectorInfo => ExtendedSectorInfoJson {
        seal_proof: RegisteredSealProof = "SealProof" via "crate::json::lotus_json",
        sector_number: SectorNumber = "SectorNumber" via "crate::json::lotus_json",
        sector_key: Option<Cid> = "SectorKey" via "crate::json::lotus_json",
        sealed_cid: Cid = "SealedCID" via "crate::json::lotus_json",
    }
}

/// What a miner needs from the node to run one election (`MinerGetBaseInfo`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MiningBaseInfo {
    /// The miner's quality-adjusted power at the lookback.
    pub miner_power: BigInt,
    /// The network's quality-adjusted power at the lookback.
    pub network_power: BigInt,
    /// The sectors challenged for the winning PoSt.
    pub sectors: Vec<ExtendedSectorInfo>,
    /// The worker key that signs tickets, election proofs and the block.
    pub worker_key: Address,
    /// The miner's sector size in bytes.
    pub sector_size: u64,
    /// The last beacon entry before this epoch's.
    pub prev_beacon_entry: BeaconEntry,
    /// The beacon entries for this epoch.
    pub beacon_entries: Vec<BeaconEntry>,
    /// Whether the miner meets the minimum power to mine.
    pub eligible_for_mining: bool,
}

lotus_json_struct! {
    /// Lotus JSON of a [`MiningBaseInfo`].
    MiningBaseInfo => MiningBaseInfoJson {
        miner_power: BigInt = "MinerPower" via "crate::json::lotus_json",
        network_power: BigInt = "NetworkPower" via "crate::json::lotus_json",
        sectors: Vec<ExtendedSectorInfo> = "Sectors" via "crate::json::lotus_json",
        worker_key: Address = "WorkerKey" via "crate::json::lotus_json",
        sector_size: u64 = "SectorSize" via "crate::json::lotus_json",
        prev_beacon_entry: BeaconEntry = "PrevBeaconEntry" via "crate::json::lotus_json",
        beacon_entries: Vec<BeaconEntry> = "BeaconEntries" via "crate::json::lotus_json",
        eligible_for_mining: bool = "EligibleForMining" via "crate::json::lotus_json",
    }
}

/// Everything a node needs to assemble a block for a winner (`MinerCreateBlock`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockTemplate {
    /// The winning miner.
    pub miner: Address,
    /// The parent tipset.
    pub parents: TipSetKey,
    /// The ticket.
    pub ticket: Option<Ticket>,
    /// The election proof.
    pub eproof: Option<ElectionProof>,
    /// Beacon entries to include.
    pub beacon_values: Vec<BeaconEntry>,
    /// The selected messages.
    pub messages: Vec<SignedMessage>,
    /// The block's epoch.
    pub epoch: ChainEpoch,
    /// The block's timestamp.
    pub timestamp: u64,
    /// The winning PoSt.
    pub winning_post_proof: Vec<PoStProof>,
}

lotus_json_struct! {
    /// Lotus JSON of a [`BlockTemplate`].
    BlockTemplate => BlockTemplateJson {
        miner: Address = "Miner" via "crate::json::lotus_json",
        parents: TipSetKey = "Parents" via "crate::json::lotus_json",
        ticket: Option<Ticket> = "Ticket" via "crate::json::lotus_json",
        eproof: Option<ElectionProof> = "Eproof" via "crate::json::lotus_json",
        beacon_values: Vec<BeaconEntry> = "BeaconValues" via "crate::json::lotus_json",
        messages: Vec<SignedMessage> = "Messages" via "crate::json::lotus_json",
        epoch: ChainEpoch = "Epoch" via "crate::json::lotus_json",
        timestamp: u64 = "Timestamp" via "crate::json::lotus_json",
        winning_post_proof: Vec<PoStProof> = "WinningPoStProof" via "crate::json::lotus_json",
    }
}

/// An actor's on-chain state (`StateGetActor`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize_tuple, Deserialize_tuple)]
pub struct ActorState {
    /// The actor's code CID.
    pub code: Cid,
    /// The actor's state root.
    pub head: Cid,
    /// The next nonce the actor's messages must use.
    pub nonce: u64,
    /// The balance.
    pub balance: TokenAmount,
    /// The f4 address, if any.
    pub delegated_address: Option<Address>,
}

lotus_json_struct! {
    /// Lotus JSON of an [`ActorState`].
    ActorState => ActorStateJson {
        code: Cid = "Code" via "crate::json::lotus_json",
        head: Cid = "Head" via "crate::json::lotus_json",
        nonce: u64 = "Nonce" via "crate::json::lotus_json",
        balance: TokenAmount = "Balance" via "crate::json::lotus_json",
        delegated_address: Option<Address> = "DelegatedAddress" via "crate::json::lotus_json",
    }
}

/// Options for gas estimation and pushing (`MessageSendSpec`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MessageSendSpec {
    /// The most the sender will pay in fees; zero means the node's default.
    pub max_fee: TokenAmount,
    /// A caller-chosen UUID that identifies the send.
    pub msg_uuid: String,
    /// Set the fee cap to the maximum the max fee allows.
    pub maximize_fee_cap: bool,
}

lotus_json_struct! {
    /// Lotus JSON of a [`MessageSendSpec`].
    MessageSendSpec => MessageSendSpecJson {
        max_fee: TokenAmount = "MaxFee" via "crate::json::lotus_json",
        msg_uuid: String = "MsgUuid" via "crate::json::lotus_json",
        maximize_fee_cap: bool = "MaximizeFeeCap" via "crate::json::lotus_json",
    }
}
