//! What a pool needs from a Filecoin node, split into four small traits.
//!
//! [`ChainApi`] is all four together, with a blanket impl: a Lotus client,
//! our own node and [`MemoryChain`](super::MemoryChain) implement the parts
//! and get `ChainApi` for free.
//!
//! Common contract:
//! - **Errors.** Unknown objects give [`Error::NotFound`]; transport or remote
//!   failures give [`Error::Backend`]; operations a backend lacks give
//!   [`Error::Unsupported`].
//! - **Cancel-safety.** Every read is cancel-safe (dropping the future has no
//!   effect). `push_message` and `submit_block` are not: once sent, a drop
//!   does not unsend.
//! - **Tipset keys.** An empty [`TipSetKey`] means "the current head", as in Lotus.

use std::collections::HashSet;
use std::time::Duration;

use async_trait::async_trait;
use cid::Cid;
use futures::stream::BoxStream;
use fvm_shared::address::Address;
use fvm_shared::clock::ChainEpoch;
use fvm_shared::econ::TokenAmount;
use fvm_shared::message::Message;

use crate::types::{
    ActorState, BlockMessages, BlockMsg, BlockTemplate, HeadChange, MessageSendSpec,
    MiningBaseInfo, MsgLookup, SignedMessage, TipSet, TipSetKey,
};
use crate::{Error, Result};

/// A stream of head-change batches; the first batch is `[Current(head)]`.
pub type HeadChangeStream = BoxStream<'static, Vec<HeadChange>>;

/// Reading the chain: the head, tipsets, and head changes.
#[async_trait]
pub trait ChainRead: Send + Sync {
    /// The current head.
    async fn head(&self) -> Result<TipSet>;

    /// A tipset by key. Idempotent.
    async fn tipset(&self, key: &TipSetKey) -> Result<TipSet>;

    /// The tipset at `height` on the chain ending at `anchor` (head if empty).
    /// Lotus returns the tipset below a null round; so must implementations.
    async fn tipset_by_height(&self, height: ChainEpoch, anchor: &TipSetKey) -> Result<TipSet>;

    /// Subscribes to head changes. The stream ends when the backend goes away;
    /// re-subscribing is the caller's job.
    async fn subscribe_head_changes(&self) -> Result<HeadChangeStream>;

    /// The messages a block includes (`ChainGetBlockMessages`). The default
    /// says the backend cannot tell.
    async fn block_messages(&self, block: &Cid) -> Result<BlockMessages> {
        let _ = block;
        Err(Error::Unsupported("block_messages"))
    }

    /// The base fee in the blocks of `key` (what Lotus's `ChainGetParentBaseFee` reads).
    async fn parent_base_fee(&self, key: &TipSetKey) -> Result<TokenAmount> {
        let ts = self.tipset(key).await?;
        Ok(ts.blocks()[0].parent_base_fee.clone())
    }
}

/// Reading state: actors, mining inputs, message lookups.
#[async_trait]
pub trait StateRead: Send + Sync {
    /// An actor's state at `key`. Unknown actors give [`Error::NotFound`].
    async fn actor(&self, addr: &Address, key: &TipSetKey) -> Result<ActorState>;

    /// The inputs for `miner`'s election at `epoch` on top of `key`; `None`
    /// when the miner has no power there.
    async fn mining_base_info(
        &self,
        miner: &Address,
        epoch: ChainEpoch,
        key: &TipSetKey,
    ) -> Result<Option<MiningBaseInfo>>;

    /// Where a message executed, if it has; `None` if not (yet) on chain.
    async fn search_message(&self, cid: &Cid) -> Result<Option<MsgLookup>>;

    /// Waits until `cid` has executed, then returns its lookup. The default
    /// polls [`StateRead::search_message`] every `poll` until `timeout`.
    /// Confidence (epochs to wait on top) is the backend's affair.
    async fn wait_message(
        &self,
        cid: &Cid,
        poll: Duration,
        timeout: Duration,
    ) -> Result<MsgLookup> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            if let Some(found) = self.search_message(cid).await? {
                return Ok(found);
            }
            if tokio::time::Instant::now() + poll > deadline {
                return Err(Error::NotFound(format!(
                    "message {cid} not executed within {timeout:?}"
                )));
            }
            tokio::time::sleep(poll).await;
        }
    }
}

/// Producing blocks.
#[async_trait]
pub trait BlockApi: Send + Sync {
    /// Assembles a block from a template. The header may come back unsigned
    /// (`block_sig: None`): the worker's signature is the caller's to add.
    async fn create_block(&self, template: BlockTemplate) -> Result<BlockMsg>;

    /// Submits a signed block to the network. Not idempotent on every backend.
    async fn submit_block(&self, block: BlockMsg) -> Result<()>;
}

/// The node's message pool.
#[async_trait]
pub trait MessageApi: Send + Sync {
    /// Messages for one block on top of `key`, for a ticket of this quality.
    async fn select_messages(
        &self,
        key: &TipSetKey,
        ticket_quality: f64,
    ) -> Result<Vec<SignedMessage>>;

    /// Pushes a signed message; returns its CID.
    async fn push_message(&self, msg: SignedMessage) -> Result<Cid>;

    /// Fills in gas limit, fee cap and premium.
    async fn estimate_message_gas(
        &self,
        msg: Message,
        spec: Option<MessageSendSpec>,
        key: &TipSetKey,
    ) -> Result<Message>;

    /// One message list per ticket quality, with no message in two lists and
    /// each sender's messages in one list (Venus's `MpoolSelects`).
    ///
    /// The default is [`select_disjoint`]. Backends with a real multi-winner
    /// selection should override it.
    async fn select_messages_multi(
        &self,
        key: &TipSetKey,
        ticket_qualities: &[f64],
    ) -> Result<Vec<Vec<SignedMessage>>> {
        select_disjoint(self, key, ticket_qualities).await
    }
}

/// Multi-winner selection from single selections: selects for each quality in
/// turn and drops, from later lists, senders already taken (so no message
/// appears twice and each sender's messages stay in one list). The default of
/// [`MessageApi::select_messages_multi`], and a fallback for nodes without one.
pub async fn select_disjoint<A: MessageApi + ?Sized>(
    api: &A,
    key: &TipSetKey,
    ticket_qualities: &[f64],
) -> Result<Vec<Vec<SignedMessage>>> {
    let mut taken_senders: HashSet<Address> = HashSet::new();
    let mut out = Vec::with_capacity(ticket_qualities.len());
    for &q in ticket_qualities {
        let picked = api.select_messages(key, q).await?;
        let mine: Vec<SignedMessage> = picked
            .into_iter()
            .filter(|m| !taken_senders.contains(&m.message.from))
            .collect();
        taken_senders.extend(mine.iter().map(|m| m.message.from));
        out.push(mine);
    }
    Ok(out)
}

/// Everything a pool needs from a node.
pub trait ChainApi: ChainRead + StateRead + BlockApi + MessageApi {}

impl<T: ChainRead + StateRead + BlockApi + MessageApi + ?Sized> ChainApi for T {}
