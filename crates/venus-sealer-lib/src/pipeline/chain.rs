//! [`SealingApi`]: what the pipeline and the window PoSt scheduler ask of
//! the chain (a Lotus, Venus or our node, through the Lotus API) and of
//! the messager (venus-messager or sophon-messager).

use venus_api::lotus::*;
use venus_api::messager::{Message as TrackedMessage, MessagerClient};
use venus_core::crypto::DomainSeparationTag;
use venus_core::json::Lotus;
use venus_core::traits::ChainRead;
use venus_core::types::{TipSet, TipSetKey};
use venus_core::{Address, ChainEpoch, Message, TokenAmount};

use crate::SealerError;

use crate::Result;

fn node(what: &str) -> impl Fn(venus_rpc::Error) -> SealerError + '_ {
    move |e| SealerError::Node(format!("{what}: {}", venus_api::Error::from(e)))
}

/// A message from `from` to `miner`'s actor; the messager sets nonce and gas.
pub fn to_miner(
    from: Address,
    miner: Address,
    method: u64,
    params: fvm_ipld_encoding::RawBytes,
    value: TokenAmount,
) -> Message {
    Message {
        version: 0,
        from,
        to: miner,
        sequence: 0,
        value,
        method_num: method,
        params,
        gas_limit: 0,
        gas_fee_cap: TokenAmount::default(),
        gas_premium: TokenAmount::default(),
    }
}

/// The randomness entropy of `miner`'s draws: its address in CBOR.
pub fn entropy(miner: &Address) -> Result<Vec<u8>> {
    venus_core::encoding::to_cbor(miner).map_err(|e| SealerError::InvalidInput(e.to_string()))
}

/// Where a message the sealer sent stands at the messager.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Not on chain yet (unfilled or filled).
    Pending,
    /// Executed on chain, with this exit code (0: it succeeded).
    OnChain(u32),
    /// The messager gave it up (failed, or its nonce was taken), and why.
    GaveUp(String),
}

impl Outcome {
    /// Classifies a message the messager tracks.
    pub fn of(m: &TrackedMessage) -> Outcome {
        use venus_api::messager::MessageState::*;
        match m.state {
            OnChain => Outcome::OnChain(m.receipt.as_ref().map_or(0, |r| r.exit_code.value())),
            Failed | NonceConflict => Outcome::GaveUp(m.error_msg.clone()),
            Unfilled | Filled => Outcome::Pending,
        }
    }
}

/// The node and the messager, as the sealer uses them.
pub struct SealingApi {
    node: LotusClient,
    messager: MessagerClient,
}

impl SealingApi {
    /// Over a node client (connect over WebSocket to follow head changes)
    /// and a messager client whose token may send from the miner's worker.
    pub fn new(node: LotusClient, messager: MessagerClient) -> Self {
        SealingApi { node, messager }
    }

    /// The node client.
    pub fn node(&self) -> &LotusClient {
        &self.node
    }

    /// The chain's head.
    pub async fn head(&self) -> Result<TipSet> {
        self.node
            .head()
            .await
            .map_err(|e| SealerError::Node(format!("chain head: {e}")))
    }

    /// The miner's worker key (its key address: the chain names it by
    /// ID, a messager by key), which sends its messages.
    pub async fn worker(&self, miner: &Address) -> Result<Address> {
        let info = self
            .node
            .rpc()
            .call::<StateMinerInfo>((Lotus(*miner), Lotus(TipSetKey::default())))
            .await
            .map_err(node("StateMinerInfo"))?;
        if info.worker.id().is_err() {
            return Ok(info.worker);
        }
        Ok(self
            .node
            .rpc()
            .call::<StateAccountKey>((Lotus(info.worker), Lotus(TipSetKey::default())))
            .await
            .map_err(node("StateAccountKey"))?
            .0)
    }

    /// The sector numbers the chain has allocated for the miner.
    pub async fn allocated(
        &self,
        miner: &Address,
        at: &TipSetKey,
    ) -> Result<Vec<std::ops::Range<u64>>> {
        let runs = self
            .node
            .rpc()
            .call::<StateMinerAllocated>((Lotus(*miner), Lotus(at.clone())))
            .await
            .map_err(node("StateMinerAllocated"))?;
        Ok(runs.ranges())
    }

    /// The pre-commit challenge delay (epochs from a pre-commit to its seed).
    pub async fn pre_commit_challenge_delay(&self) -> Result<ChainEpoch> {
        let p = self
            .node
            .rpc()
            .call::<StateGetNetworkParams>([])
            .await
            .map_err(node("StateGetNetworkParams"))?;
        Ok(p.pre_commit_challenge_delay)
    }

    async fn randomness(
        &self,
        beacon: bool,
        tag: DomainSeparationTag,
        epoch: ChainEpoch,
        entropy: Vec<u8>,
        at: &TipSetKey,
    ) -> Result<[u8; 32]> {
        let params = (tag as i64, epoch, Bytes(entropy), Lotus(at.clone()));
        let out = if beacon {
            self.node
                .rpc()
                .call::<StateGetRandomnessFromBeacon>(params)
                .await
        } else {
            self.node
                .rpc()
                .call::<StateGetRandomnessFromTickets>(params)
                .await
        }
        .map_err(node("randomness"))?;
        out.0
            .try_into()
            .map_err(|_| SealerError::Node("the node's randomness is not 32 bytes".into()))
    }

    /// Randomness from the chain's tickets at `epoch` for `miner`'s `tag`.
    pub async fn ticket_randomness(
        &self,
        tag: DomainSeparationTag,
        epoch: ChainEpoch,
        entropy: Vec<u8>,
        at: &TipSetKey,
    ) -> Result<[u8; 32]> {
        self.randomness(false, tag, epoch, entropy, at).await
    }

    /// Randomness from the beacon at `epoch`.
    pub async fn beacon_randomness(
        &self,
        tag: DomainSeparationTag,
        epoch: ChainEpoch,
        entropy: Vec<u8>,
        at: &TipSetKey,
    ) -> Result<[u8; 32]> {
        self.randomness(true, tag, epoch, entropy, at).await
    }

    /// The deposit a pre-commit of `info` needs.
    pub async fn precommit_deposit(
        &self,
        miner: &Address,
        info: SectorPreCommitInfo,
    ) -> Result<TokenAmount> {
        Ok(self
            .node
            .rpc()
            .call::<StateMinerPreCommitDepositForPower>((
                Lotus(*miner),
                info,
                Lotus(TipSetKey::default()),
            ))
            .await
            .map_err(node("StateMinerPreCommitDepositForPower"))?
            .0)
    }

    /// The initial pledge of a sector of `size` bytes for `duration` epochs.
    pub async fn initial_pledge(&self, duration: ChainEpoch, size: u64) -> Result<TokenAmount> {
        Ok(self
            .node
            .rpc()
            .call::<StateMinerInitialPledgeForSector>((
                duration,
                size,
                0,
                Lotus(TipSetKey::default()),
            ))
            .await
            .map_err(node("StateMinerInitialPledgeForSector"))?
            .0)
    }

    /// The sector's pre-commit on chain, if any.
    pub async fn precommit_info(
        &self,
        miner: &Address,
        number: u64,
    ) -> Result<Option<SectorPreCommitOnChainInfo>> {
        self.node
            .rpc()
            .call::<StateSectorPreCommitInfo>((Lotus(*miner), number, Lotus(TipSetKey::default())))
            .await
            .map_err(node("StateSectorPreCommitInfo"))
    }

    /// The proven sector, if any.
    pub async fn sector_info(
        &self,
        miner: &Address,
        number: u64,
    ) -> Result<Option<SectorOnChainInfo>> {
        self.node
            .rpc()
            .call::<StateSectorGetInfo>((Lotus(*miner), number, Lotus(TipSetKey::default())))
            .await
            .map_err(node("StateSectorGetInfo"))
    }

    /// The miner's current (or next) proving deadline at `at`.
    pub async fn proving_deadline(&self, miner: &Address, at: &TipSetKey) -> Result<DeadlineInfo> {
        self.node
            .rpc()
            .call::<StateMinerProvingDeadline>((Lotus(*miner), Lotus(at.clone())))
            .await
            .map_err(node("StateMinerProvingDeadline"))
    }

    /// The deadline's partitions at `at`.
    pub async fn partitions(
        &self,
        miner: &Address,
        deadline: u64,
        at: &TipSetKey,
    ) -> Result<Vec<Partition>> {
        self.node
            .rpc()
            .call::<StateMinerPartitions>((Lotus(*miner), deadline, Lotus(at.clone())))
            .await
            .map_err(node("StateMinerPartitions"))
    }

    /// The miner's sectors among `numbers`.
    pub async fn sectors(
        &self,
        miner: &Address,
        numbers: BitFieldRuns,
        at: &TipSetKey,
    ) -> Result<Vec<SectorOnChainInfo>> {
        self.node
            .rpc()
            .call::<StateMinerSectors>((Lotus(*miner), Some(numbers), Lotus(at.clone())))
            .await
            .map_err(node("StateMinerSectors"))
    }

    /// Pushes `msg` under `id` at the messager: the same message under the
    /// same id again is accepted once; another message under a taken id
    /// keeps the first (its id is answered).
    pub async fn push(&self, id: &str, msg: &Message) -> Result<()> {
        match self.messager.push_with_id(id, msg, None).await {
            Ok(_) => Ok(()),
            Err(venus_api::Error::Duplicate(_)) => Ok(()),
            Err(e) => Err(SealerError::Messager(format!("pushing {id}: {e}"))),
        }
    }

    /// The message `id` as the messager tracks it.
    pub async fn message(&self, id: &str) -> Result<TrackedMessage> {
        self.message_opt(id)
            .await?
            .ok_or_else(|| SealerError::Messager(format!("message {id}: not found")))
    }

    /// The message `id`, or `None` when the messager has no such message
    /// (it was never pushed: a crash came between recording and pushing).
    pub async fn message_opt(&self, id: &str) -> Result<Option<TrackedMessage>> {
        match self.messager.get(id).await {
            Ok(m) => Ok(Some(m)),
            Err(venus_api::Error::NotFound(_)) => Ok(None),
            Err(e) => Err(SealerError::Messager(format!("message {id}: {e}"))),
        }
    }
}
