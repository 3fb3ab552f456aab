//! The rest of the Lotus v1 methods the pool's programs call (sophon-miner,
//! sophon-messager, damocles-manager, Lotus's CLI), with the result types
//! that have no home in `venus_core`. A node that serves them registers
//! these declarations; clients call them through `venus_rpc::RpcClient`.
//!
//! Field names and shapes are Lotus's (`api/api_full.go`, `api/types.go`),
//! checked against the OpenRPC examples in `shared/vectors/lotus-openrpc`.

use serde::{Deserialize, Serialize};
use venus_core::json::{lotus_json, Lotus};
use venus_core::shared::receipt::Receipt;
use venus_core::types::{BeaconEntry, BlockHeader, SignedMessage, TipSet, TipSetKey};
use venus_core::{Address, ChainEpoch, Cid, Message, TokenAmount};
use venus_rpc::{rpc_method, NoParams, Permission};

/// The API version sophon-miner requires of a node: 2.3.0, as Lotus
/// encodes it (`major << 16 | minor << 8 | patch`).
pub const FULL_API_VERSION: u32 = 2 << 16 | 3 << 8;

/// Bytes as Lotus writes them: base64 (`null` when empty).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Bytes(#[serde(with = "venus_core::json::base64_bytes")] pub Vec<u8>);

/// `Version`'s answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiVersion {
    /// The node's version string.
    #[serde(rename = "Version")]
    pub version: String,
    /// The API version, as [`FULL_API_VERSION`] encodes it.
    #[serde(rename = "APIVersion")]
    pub api_version: u32,
    /// Seconds between epochs.
    #[serde(rename = "BlockDelay")]
    pub block_delay: u64,
}

/// `StateGetNetworkParams`'s answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct NetworkParams {
    /// The network's name.
    pub network_name: String,
    /// Seconds between epochs.
    pub block_delay_secs: u64,
    /// The minimum power a miner needs to mine, in bytes.
    #[serde(with = "lotus_json")]
    pub consensus_miner_min_power: venus_core::shared::bigint::BigInt,
    /// Epochs between a pre-commit and its seed.
    pub pre_commit_challenge_delay: ChainEpoch,
    /// Upgrade heights by Lotus's names (a devnet starts at its version:
    /// every upgrade at or below height zero).
    pub fork_upgrade_params: serde_json::Map<String, serde_json::Value>,
    /// The EVM chain id.
    #[serde(rename = "Eip155ChainID")]
    pub eip155_chain_id: u64,
    /// The genesis block's timestamp.
    pub genesis_timestamp: u64,
}

/// One sync worker in `SyncState`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ActiveSync {
    /// The worker's id.
    #[serde(rename = "WorkerID")]
    pub worker_id: u64,
    /// Where the sync started.
    #[serde(with = "lotus_json")]
    pub base: Option<TipSet>,
    /// Where it goes.
    #[serde(with = "lotus_json")]
    pub target: Option<TipSet>,
    /// Lotus's `SyncStateStage` (5 = complete).
    pub stage: u64,
    /// The height reached.
    pub height: ChainEpoch,
    /// When it started (RFC 3339).
    pub start: String,
    /// When it ended (RFC 3339).
    pub end: String,
    /// A note.
    pub message: String,
}

/// Lotus's `StageSyncComplete`.
pub const STAGE_SYNC_COMPLETE: u64 = 5;

/// `SyncState`'s answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SyncState {
    /// The sync workers.
    pub active_syncs: Vec<ActiveSync>,
    /// Messages applied by the VM since start.
    #[serde(rename = "VMApplied")]
    pub vm_applied: u64,
}

/// `MpoolGetConfig`'s answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct MpoolConfigJson {
    /// Senders whose messages are selected first.
    #[serde(with = "lotus_json")]
    pub priority_addrs: Vec<Address>,
    /// Pruning starts above this many messages.
    pub size_limit_high: i64,
    /// Pruning stops at this many.
    pub size_limit_low: i64,
    /// A replacement's premium must be this many times the old one.
    pub replace_by_fee_ratio: f64,
    /// Nanoseconds between prunes.
    pub prune_cooldown: i64,
    /// What estimated gas limits are multiplied by.
    pub gas_limit_overestimation: f64,
}

/// A power claim.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PowerClaim {
    /// Raw bytes.
    #[serde(with = "lotus_json")]
    pub raw_byte_power: venus_core::shared::bigint::BigInt,
    /// Quality-adjusted bytes.
    #[serde(with = "lotus_json")]
    pub quality_adj_power: venus_core::shared::bigint::BigInt,
}

/// `StateMinerPower`'s answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct MinerPower {
    /// The miner's claim.
    pub miner_power: PowerClaim,
    /// The network's totals.
    pub total_power: PowerClaim,
    /// Whether the miner meets the consensus minimum.
    pub has_min_power: bool,
}

/// A message with its CID (`ChainGetMessagesInTipset`, `ChainGetParentMessages`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CidAndMessage {
    /// The CID a block lists it under.
    #[serde(with = "lotus_json")]
    pub cid: Cid,
    /// The unsigned message.
    #[serde(with = "lotus_json")]
    pub message: Message,
}

/// A message to estimate in `GasBatchEstimateMessageGas` (Venus).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct EstimateMessage {
    /// The message.
    #[serde(with = "lotus_json")]
    pub msg: Message,
    /// Its send spec (Venus's shape).
    #[serde(default)]
    pub spec: Option<BatchSendSpec>,
}

/// Venus's `MessageSendSpec` (`venus-shared/types/api_types.go`), which
/// its batch estimate reads: Venus's node multiplies the gas used by
/// `GasOverEstimation` as given (0 gives a gas limit of 0), so a caller
/// sets it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct BatchSendSpec {
    /// The most the message may cost (attoFIL; 0: no cap).
    #[serde(with = "lotus_json")]
    pub max_fee: TokenAmount,
    /// The gas limit is the gas used times this.
    #[serde(default)]
    pub gas_over_estimation: f64,
    /// The premium is the estimate times this (0: as estimated).
    #[serde(default)]
    pub gas_over_premium: f64,
}

/// One answer of `GasBatchEstimateMessageGas`: the filled message, or why not.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct EstimateResult {
    /// The message with gas and nonce filled (null on error).
    #[serde(with = "lotus_json")]
    pub msg: Option<Message>,
    /// The error, empty on success.
    pub err: String,
}

/// A miner's beneficiary term.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct BeneficiaryTerm {
    /// How much the beneficiary may withdraw.
    #[serde(with = "lotus_json")]
    pub quota: TokenAmount,
    /// How much it has.
    #[serde(with = "lotus_json")]
    pub used_quota: TokenAmount,
    /// Until when.
    pub expiration: ChainEpoch,
}

/// `StateMinerInfo`'s answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct MinerInfo {
    /// The owner.
    #[serde(with = "lotus_json")]
    pub owner: Address,
    /// The worker (signs blocks).
    #[serde(with = "lotus_json")]
    pub worker: Address,
    /// A pending worker change.
    #[serde(with = "lotus_json")]
    pub new_worker: Option<Address>,
    /// Control addresses.
    #[serde(with = "lotus_json")]
    pub control_addresses: Vec<Address>,
    /// When the pending worker change takes effect (-1 for none).
    pub worker_change_epoch: ChainEpoch,
    /// The libp2p peer id, if set.
    pub peer_id: Option<String>,
    /// Multiaddresses, as bytes.
    pub multiaddrs: Vec<Bytes>,
    /// The window PoSt proof type.
    pub window_po_st_proof_type: i64,
    /// The sector size.
    pub sector_size: u64,
    /// Sectors per window PoSt partition.
    pub window_po_st_partition_sectors: u64,
    /// When the last consensus fault's penalty ends.
    pub consensus_fault_elapsed: ChainEpoch,
    /// A pending owner change.
    #[serde(with = "lotus_json")]
    pub pending_owner_address: Option<Address>,
    /// Who withdraws the balance.
    #[serde(with = "lotus_json")]
    pub beneficiary: Address,
    /// Its term.
    pub beneficiary_term: BeneficiaryTerm,
    /// A pending change of beneficiary.
    pub pending_beneficiary_term: Option<serde_json::Value>,
}

rpc_method! {
    /// What a token grants on this daemon, its `Allow` list as signed
    /// (Lotus's `Common.AuthVerify`, `api/api_common.go`). A token that is
    /// malformed, wrongly signed or refused answers
    /// [`codes::TOKEN_REFUSED`](venus_rpc::codes::TOKEN_REFUSED) (Lotus:
    /// code 1, "JWT Verification failed").
    pub AuthVerify = "Filecoin.AuthVerify", read, idempotent, (String,) => Vec<Permission>
}
rpc_method! {
    /// A new token granting the given permissions, signed with the daemon's
    /// own secret (Lotus's `Common.AuthNew`; the token's bytes, base64 on the
    /// wire as Lotus sends `[]byte`).
    pub AuthNew = "Filecoin.AuthNew", admin, (Vec<Permission>,) => Bytes
}
rpc_method! {
    /// The node's version and API version.
    pub Version = "Filecoin.Version", read, idempotent, NoParams => ApiVersion
}
rpc_method! {
    /// The network's name.
    pub StateNetworkName = "Filecoin.StateNetworkName", read, idempotent, NoParams => String
}
rpc_method! {
    /// The network version at a tipset.
    pub StateNetworkVersion = "Filecoin.StateNetworkVersion", read, idempotent, (Lotus<TipSetKey>,) => u32
}
rpc_method! {
    /// The network's parameters.
    pub StateGetNetworkParams = "Filecoin.StateGetNetworkParams", read, idempotent, NoParams => NetworkParams
}
rpc_method! {
    /// The sync workers' state.
    pub SyncStateMethod = "Filecoin.SyncState", read, idempotent, NoParams => SyncState
}
rpc_method! {
    /// The beacon entry for an epoch.
    pub StateGetBeaconEntry = "Filecoin.StateGetBeaconEntry", read, idempotent, (ChainEpoch,) => Lotus<BeaconEntry>
}
rpc_method! {
    /// A miner's info.
    pub StateMinerInfo = "Filecoin.StateMinerInfo", read, idempotent, (Lotus<Address>, Lotus<TipSetKey>) => MinerInfo
}
rpc_method! {
    /// A miner's power and the network's.
    pub StateMinerPower = "Filecoin.StateMinerPower", read, idempotent, (Lotus<Address>, Lotus<TipSetKey>) => MinerPower
}
rpc_method! {
    /// The messages a tipset includes, each once.
    pub ChainGetMessagesInTipset = "Filecoin.ChainGetMessagesInTipset", read, idempotent, (Lotus<TipSetKey>,) => Vec<CidAndMessage>
}
rpc_method! {
    /// The messages a block's parents included, in execution order.
    pub ChainGetParentMessages = "Filecoin.ChainGetParentMessages", read, idempotent, (Lotus<Cid>,) => Vec<CidAndMessage>
}
rpc_method! {
    /// The receipts of a block's parent messages.
    pub ChainGetParentReceipts = "Filecoin.ChainGetParentReceipts", read, idempotent, (Lotus<Cid>,) => Lotus<Vec<Receipt>>
}
rpc_method! {
    /// A block header.
    pub ChainGetBlock = "Filecoin.ChainGetBlock", read, idempotent, (Lotus<Cid>,) => Lotus<BlockHeader>
}
rpc_method! {
    /// A message by CID.
    pub ChainGetMessage = "Filecoin.ChainGetMessage", read, idempotent, (Lotus<Cid>,) => Lotus<Message>
}
rpc_method! {
    /// An IPLD block's raw bytes.
    pub ChainReadObj = "Filecoin.ChainReadObj", read, idempotent, (Lotus<Cid>,) => Bytes
}
rpc_method! {
    /// Whether the store has a block.
    pub ChainHasObj = "Filecoin.ChainHasObj", read, idempotent, (Lotus<Cid>,) => bool
}
rpc_method! {
    /// A key address's ID address.
    pub StateLookupID = "Filecoin.StateLookupID", read, idempotent, (Lotus<Address>, Lotus<TipSetKey>) => Lotus<Address>
}
rpc_method! {
    /// An account's key address.
    pub StateAccountKey = "Filecoin.StateAccountKey", read, idempotent, (Lotus<Address>, Lotus<TipSetKey>) => Lotus<Address>
}
rpc_method! {
    /// The balance at the head.
    pub WalletBalance = "Filecoin.WalletBalance", read, idempotent, (Lotus<Address>,) => Lotus<TokenAmount>
}
rpc_method! {
    /// The next nonce for a sender, counting its pending messages.
    pub MpoolGetNonce = "Filecoin.MpoolGetNonce", read, (Lotus<Address>,) => u64
}
rpc_method! {
    /// Pending messages.
    pub MpoolPending = "Filecoin.MpoolPending", read, (Lotus<TipSetKey>,) => Lotus<Vec<SignedMessage>>
}
rpc_method! {
    /// The pool's settings.
    pub MpoolGetConfig = "Filecoin.MpoolGetConfig", read, NoParams => MpoolConfigJson
}
rpc_method! {
    /// Pushes messages from an untrusted caller (strict nonce rules).
    pub MpoolBatchPushUntrusted = "Filecoin.MpoolBatchPushUntrusted", write, (Lotus<Vec<SignedMessage>>,) => Lotus<Vec<Cid>>
}
rpc_method! {
    /// Pushes messages.
    pub MpoolBatchPush = "Filecoin.MpoolBatchPush", write, (Lotus<Vec<SignedMessage>>,) => Lotus<Vec<Cid>>
}
rpc_method! {
    /// The gas a message uses on the head.
    pub GasEstimateGasLimit = "Filecoin.GasEstimateGasLimit", read, (Lotus<Message>, Lotus<TipSetKey>) => i64
}
rpc_method! {
    /// A premium for inclusion within some blocks: (blocks, sender, gas limit, tipset).
    pub GasEstimateGasPremium = "Filecoin.GasEstimateGasPremium", read,
        (u64, Lotus<Address>, i64, Lotus<TipSetKey>) => Lotus<TokenAmount>
}
rpc_method! {
    /// A fee cap for a message to wait some blocks: (message, blocks, tipset).
    pub GasEstimateFeeCap = "Filecoin.GasEstimateFeeCap", read,
        (Lotus<Message>, i64, Lotus<TipSetKey>) => Lotus<TokenAmount>
}
rpc_method! {
    /// Venus's batch estimate: messages of one sender from a nonce on.
    pub GasBatchEstimateMessageGas = "Filecoin.GasBatchEstimateMessageGas", read,
        (Vec<EstimateMessage>, u64, Lotus<TipSetKey>) => Vec<EstimateResult>
}
rpc_method! {
    /// Randomness from tickets: (personalization, epoch, entropy, tipset).
    pub StateGetRandomnessFromTickets = "Filecoin.StateGetRandomnessFromTickets", read, idempotent,
        (i64, ChainEpoch, Bytes, Lotus<TipSetKey>) => Bytes
}
rpc_method! {
    /// Randomness from the beacon: (personalization, epoch, entropy, tipset).
    pub StateGetRandomnessFromBeacon = "Filecoin.StateGetRandomnessFromBeacon", read, idempotent,
        (i64, ChainEpoch, Bytes, Lotus<TipSetKey>) => Bytes
}

/// A bitfield as Lotus writes it: the lengths of its runs, starting with
/// a run of unset bits (`[5, 1]` is sector 5 alone).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct BitFieldRuns(pub Vec<u64>);

impl BitFieldRuns {
    /// The runs of the set bits given as ranges, in order.
    pub fn from_ranges(ranges: impl IntoIterator<Item = std::ops::Range<u64>>) -> Self {
        let mut runs = Vec::new();
        let mut at = 0;
        for r in ranges {
            if r.is_empty() {
                continue;
            }
            runs.push(r.start - at);
            runs.push(r.end - r.start);
            at = r.end;
        }
        BitFieldRuns(runs)
    }

    /// The set bits' ranges.
    pub fn ranges(&self) -> Vec<std::ops::Range<u64>> {
        let mut out = Vec::new();
        let mut at: u64 = 0;
        for (i, len) in self.0.iter().enumerate() {
            let end = at.saturating_add(*len);
            if i % 2 == 1 && *len > 0 {
                out.push(at..end);
            }
            at = end;
        }
        out
    }
}

/// `StateMinerProvingDeadline`'s answer (`dline.Info`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeadlineInfo {
    /// The epoch it was computed at.
    pub current_epoch: ChainEpoch,
    /// The proving period's first epoch.
    pub period_start: ChainEpoch,
    /// The deadline's index in the period.
    pub index: u64,
    /// Its first epoch.
    pub open: ChainEpoch,
    /// The first epoch after it.
    pub close: ChainEpoch,
    /// The epoch of its challenge randomness.
    pub challenge: ChainEpoch,
    /// The last epoch to declare faults for it.
    pub fault_cutoff: ChainEpoch,
    /// Deadlines per proving period.
    #[serde(rename = "WPoStPeriodDeadlines")]
    pub w_post_period_deadlines: u64,
    /// Epochs per proving period.
    #[serde(rename = "WPoStProvingPeriod")]
    pub w_post_proving_period: ChainEpoch,
    /// Epochs per deadline.
    #[serde(rename = "WPoStChallengeWindow")]
    pub w_post_challenge_window: ChainEpoch,
    /// How far before a deadline its challenge is drawn.
    #[serde(rename = "WPoStChallengeLookback")]
    pub w_post_challenge_lookback: ChainEpoch,
    /// How far before a deadline faults must be declared.
    pub fault_declaration_cutoff: ChainEpoch,
}

/// A pre-committed sector's parameters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SectorPreCommitInfo {
    /// The seal proof type.
    pub seal_proof: i64,
    /// The sector number.
    pub sector_number: u64,
    /// CommR.
    #[serde(rename = "SealedCID", with = "lotus_json")]
    pub sealed_cid: Cid,
    /// The epoch of the sealing ticket.
    pub seal_rand_epoch: ChainEpoch,
    /// Deal ids.
    #[serde(rename = "DealIDs")]
    pub deal_ids: Vec<u64>,
    /// When the sector expires.
    pub expiration: ChainEpoch,
    /// CommD, when the sector has data.
    #[serde(with = "lotus_json")]
    pub unsealed_cid: Option<Cid>,
}

/// `StateSectorPreCommitInfo`'s answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SectorPreCommitOnChainInfo {
    /// What was pre-committed.
    pub info: SectorPreCommitInfo,
    /// The deposit held.
    #[serde(with = "lotus_json")]
    pub pre_commit_deposit: TokenAmount,
    /// When.
    pub pre_commit_epoch: ChainEpoch,
}

/// A proven sector (`StateSectorGetInfo`, `StateMinerSectors`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SectorOnChainInfo {
    /// The sector number.
    pub sector_number: u64,
    /// The seal proof type.
    pub seal_proof: i64,
    /// CommR.
    #[serde(rename = "SealedCID", with = "lotus_json")]
    pub sealed_cid: Cid,
    /// When it was activated.
    pub activation: ChainEpoch,
    /// When it expires.
    pub expiration: ChainEpoch,
    /// Deal weight.
    #[serde(with = "lotus_json")]
    pub deal_weight: venus_core::shared::bigint::BigInt,
    /// Verified deal weight.
    #[serde(with = "lotus_json")]
    pub verified_deal_weight: venus_core::shared::bigint::BigInt,
    /// The pledge held.
    #[serde(with = "lotus_json")]
    pub initial_pledge: TokenAmount,
    /// Expected reward per day.
    #[serde(with = "lotus_json")]
    pub expected_day_reward: TokenAmount,
    /// Expected pledge.
    #[serde(with = "lotus_json")]
    pub expected_storage_pledge: TokenAmount,
    /// The epoch its power counts from.
    pub power_base_epoch: ChainEpoch,
    /// The day reward of a sector it replaced.
    #[serde(with = "lotus_json")]
    pub replaced_day_reward: TokenAmount,
    /// CommR before a snap update.
    #[serde(rename = "SectorKeyCID", with = "lotus_json")]
    pub sector_key_cid: Option<Cid>,
    /// Flags.
    pub flags: u32,
    /// The fee it pays per day.
    #[serde(with = "lotus_json")]
    pub daily_fee: TokenAmount,
}

/// One partition of a deadline (`StateMinerPartitions`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Partition {
    /// Every sector ever in it.
    pub all_sectors: BitFieldRuns,
    /// Faulty ones.
    pub faulty_sectors: BitFieldRuns,
    /// Faulty ones declared recovering.
    pub recovering_sectors: BitFieldRuns,
    /// Not terminated.
    pub live_sectors: BitFieldRuns,
    /// Live, proven and not faulty.
    pub active_sectors: BitFieldRuns,
}

/// One deadline (`StateMinerDeadlines`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Deadline {
    /// Partitions proven in the current period.
    pub post_submissions: BitFieldRuns,
    /// Proofs that can still be disputed.
    pub disputable_proof_count: u64,
    /// The deadline's daily fee.
    #[serde(with = "lotus_json")]
    pub daily_fee: TokenAmount,
}

/// Where a sector is proven (`StateSectorPartition`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SectorLocation {
    /// The deadline.
    pub deadline: u64,
    /// The partition in it.
    pub partition: u64,
}

rpc_method! {
    /// A miner's current or next proving deadline.
    pub StateMinerProvingDeadline = "Filecoin.StateMinerProvingDeadline", read, idempotent,
        (Lotus<Address>, Lotus<TipSetKey>) => DeadlineInfo
}
rpc_method! {
    /// Whether a sector number is allocated.
    pub StateMinerSectorAllocated = "Filecoin.StateMinerSectorAllocated", read, idempotent,
        (Lotus<Address>, u64, Lotus<TipSetKey>) => bool
}
rpc_method! {
    /// The allocated sector numbers.
    pub StateMinerAllocated = "Filecoin.StateMinerAllocated", read, idempotent,
        (Lotus<Address>, Lotus<TipSetKey>) => BitFieldRuns
}
rpc_method! {
    /// A pre-committed sector, or null.
    pub StateSectorPreCommitInfo = "Filecoin.StateSectorPreCommitInfo", read, idempotent,
        (Lotus<Address>, u64, Lotus<TipSetKey>) => Option<SectorPreCommitOnChainInfo>
}
rpc_method! {
    /// A proven sector, or null.
    pub StateSectorGetInfo = "Filecoin.StateSectorGetInfo", read, idempotent,
        (Lotus<Address>, u64, Lotus<TipSetKey>) => Option<SectorOnChainInfo>
}
rpc_method! {
    /// A miner's sectors (those in the bitfield, or all when null).
    pub StateMinerSectors = "Filecoin.StateMinerSectors", read, idempotent,
        (Lotus<Address>, Option<BitFieldRuns>, Lotus<TipSetKey>) => Vec<SectorOnChainInfo>
}
rpc_method! {
    /// A deadline's partitions.
    pub StateMinerPartitions = "Filecoin.StateMinerPartitions", read, idempotent,
        (Lotus<Address>, u64, Lotus<TipSetKey>) => Vec<Partition>
}
rpc_method! {
    /// A miner's deadlines.
    pub StateMinerDeadlines = "Filecoin.StateMinerDeadlines", read, idempotent,
        (Lotus<Address>, Lotus<TipSetKey>) => Vec<Deadline>
}
rpc_method! {
    /// Where a sector is proven.
    pub StateSectorPartition = "Filecoin.StateSectorPartition", read, idempotent,
        (Lotus<Address>, u64, Lotus<TipSetKey>) => Option<SectorLocation>
}
rpc_method! {
    /// The deposit a pre-commit of this sector locks, with Lotus's 10%
    /// margin for the network moving before it lands.
    pub StateMinerPreCommitDepositForPower = "Filecoin.StateMinerPreCommitDepositForPower", read, idempotent,
        (Lotus<Address>, SectorPreCommitInfo, Lotus<TipSetKey>) => Lotus<TokenAmount>
}
rpc_method! {
    /// The initial pledge of a sector (duration in epochs, size in bytes,
    /// verified bytes), with Lotus's 10% margin.
    pub StateMinerInitialPledgeForSector = "Filecoin.StateMinerInitialPledgeForSector", read, idempotent,
        (ChainEpoch, u64, u64, Lotus<TipSetKey>) => Lotus<TokenAmount>
}
