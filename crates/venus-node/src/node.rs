//! [`Node`]: the chain, its consensus and the message pool, kept in step.

use std::sync::Arc;

use async_trait::async_trait;
use cid::Cid;
use fvm_ipld_blockstore::Blockstore;
use venus_chain::beacon::LocalBeacon;
use venus_chain::chain::ChainStore;
use venus_chain::consensus::Consensus;
use venus_chain::StateTree;
use venus_core::encoding::{cid_of, from_cbor};
use venus_core::types::{
    BlockMessages, BlockMsg, FullBlock, HeadChange, HeadChangeType, SignedMessage, TipSet,
    TipSetKey,
};
use venus_core::{Address, Message, TokenAmount};
use venus_mpool::{MessagePool, MpoolConfig, MpoolProvider};

use crate::error::{NodeError, Result};

/// The clock a node checks block timestamps against: seconds since the
/// Unix epoch.
pub type Clock = Arc<dyn Fn() -> u64 + Send + Sync>;

/// The system clock.
pub fn system_clock() -> Clock {
    Arc::new(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0)
    })
}

/// A chain node: blocks come in through [`Node::submit_block`] (validated,
/// stored, and taken as head when heavier), messages through
/// [`Node::push`]; the message pool follows every head change before the
/// submit returns. It implements `venus_core::traits::ChainApi` and is
/// served as the Lotus API by [`crate::rpc::lotus_module`].
pub struct Node<BS> {
    pub(crate) consensus: Arc<Consensus<BS>>,
    pub(crate) beacon: Arc<LocalBeacon>,
    pub(crate) mpool: Arc<MessagePool>,
    pub(crate) network_name: String,
    clock: Clock,
    /// Serializes head moves with the pool's view of them.
    head_move: Arc<tokio::sync::Mutex<()>>,
}

impl<BS> std::fmt::Debug for Node<BS> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Node")
            .field("network_name", &self.network_name)
            .finish_non_exhaustive()
    }
}

/// Builds a [`Node`] over a chain's consensus and its beacon.
pub struct NodeBuilder<BS> {
    consensus: Arc<Consensus<BS>>,
    beacon: Arc<LocalBeacon>,
    network_name: String,
    mpool: MpoolConfig,
    clock: Clock,
}

impl<BS: Blockstore + Send + Sync + 'static> NodeBuilder<BS> {
    /// The network's name (`StateNetworkName`); default `devnet`.
    pub fn network_name(mut self, name: impl Into<String>) -> Self {
        self.network_name = name.into();
        self
    }

    /// The message pool's settings; default [`MpoolConfig::default`] at
    /// the chain's network version.
    pub fn mpool_config(mut self, config: MpoolConfig) -> Self {
        self.mpool = config;
        self
    }

    /// The clock block timestamps are checked against; default the system clock.
    pub fn clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// The node, its pool starting at the chain's head.
    pub fn build(self) -> Arc<Node<BS>> {
        let head = self.consensus.chain().head();
        let provider = Arc::new(NodeProvider {
            consensus: self.consensus.clone(),
        });
        let mut mpool = self.mpool;
        mpool.network_version = self.consensus.params().network_version;
        Arc::new(Node {
            mpool: Arc::new(MessagePool::new(provider, head, mpool)),
            consensus: self.consensus,
            beacon: self.beacon,
            network_name: self.network_name,
            clock: self.clock,
            head_move: Arc::new(tokio::sync::Mutex::new(())),
        })
    }
}

impl<BS: Blockstore + Send + Sync + 'static> Node<BS> {
    /// A builder over `consensus`, whose blocks carry `beacon`'s entries.
    pub fn builder(consensus: Arc<Consensus<BS>>, beacon: Arc<LocalBeacon>) -> NodeBuilder<BS> {
        NodeBuilder {
            consensus,
            beacon,
            network_name: "devnet".into(),
            mpool: MpoolConfig::default(),
            clock: system_clock(),
        }
    }

    /// The chain.
    pub fn chain(&self) -> &Arc<ChainStore<BS>> {
        self.consensus.chain()
    }

    /// Consensus over the chain.
    pub fn consensus(&self) -> &Arc<Consensus<BS>> {
        &self.consensus
    }

    /// The message pool.
    pub fn mpool(&self) -> &Arc<MessagePool> {
        &self.mpool
    }

    /// The devnet beacon.
    pub fn beacon(&self) -> &Arc<LocalBeacon> {
        &self.beacon
    }

    /// The network's name.
    pub fn network_name(&self) -> &str {
        &self.network_name
    }

    /// The node's clock, in seconds since the Unix epoch.
    pub fn now(&self) -> u64 {
        (self.clock)()
    }

    /// Lotus's `SyncSubmitBlock`: the block's messages are looked up by
    /// CID (they came through the pool or `MinerCreateBlock`), the block
    /// is validated with every check of [`Consensus::validate_block`],
    /// stored, and taken as head if the tipset it forms is heavier. The
    /// pool has followed the head change when this returns.
    ///
    /// Returns the head change, if the head moved. A block that fails a
    /// check changes nothing: [`NodeError::InvalidBlock`] names the check.
    pub async fn submit_block(&self, block: BlockMsg) -> Result<Option<Vec<HeadChange>>> {
        let chain = self.chain().clone();
        let full = tokio::task::spawn_blocking(move || full_block(&chain, &block)).await??;
        self.submit_full_block(full).await
    }

    /// [`Node::submit_block`] for a block that carries its messages.
    pub async fn submit_full_block(&self, block: FullBlock) -> Result<Option<Vec<HeadChange>>> {
        let header = block.header.clone();
        let now = (self.clock)();
        self.consensus.validate_block(block, now).await?;
        // Storing the block, moving the head and the pool's following it
        // run as one task: a caller that goes away (a client disconnect
        // drops its handler) cannot leave the pool behind the chain.
        let (lock, chain, mpool) = (
            self.head_move.clone(),
            self.chain().clone(),
            self.mpool.clone(),
        );
        tokio::spawn(async move {
            let _moving = lock.lock_owned().await;
            let store = chain.clone();
            let changes = tokio::task::spawn_blocking(move || store.add_block(&header))
                .await?
                .inspect_err(|e| {
                    // Logged here: the caller may have gone.
                    tracing::warn!(target: "venus_node", error = %e, "storing a valid block failed")
                })?;
            if let Some(changes) = &changes {
                let (reverted, applied) = split(changes);
                mpool
                    .head_change(&reverted, &applied)
                    .await
                    .inspect_err(|e| {
                        tracing::warn!(target: "venus_node", error = %e, "the pool did not follow the head")
                    })?;
                let head = chain.head();
                tracing::info!(
                    target: "venus_node",
                    head = %head.key(), height = head.height(),
                    reverted = reverted.len(), applied = applied.len(),
                    "new head"
                );
            }
            Ok(changes)
        })
        .await?
    }

    /// Lotus's `MpoolPush`: the pool checks the message under the local
    /// rules; once accepted it is stored (as Lotus's pool stores what it
    /// takes), so blocks that include it can be submitted by CID.
    pub async fn push(&self, m: SignedMessage, origin: venus_mpool::Origin) -> Result<Cid> {
        // One task, so a caller that goes away cannot leave a pooled
        // message unstored; a refused message is never stored.
        let (mpool, chain) = (self.mpool.clone(), self.chain().clone());
        tokio::spawn(async move {
            let stored = m.clone();
            let cid = mpool.add_from(m, origin).await?;
            tokio::task::spawn_blocking(move || store_message(chain.blockstore(), &stored))
                .await??;
            Ok(cid)
        })
        .await?
    }

    /// The tipset with this key (the head for the empty key).
    pub fn tipset(&self, key: &TipSetKey) -> Result<TipSet> {
        Ok(self.chain().tipset(key)?)
    }

    /// Runs `f` with the state tree at `root` on a blocking thread.
    pub(crate) async fn with_state<T, F>(&self, root: Cid, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut StateTree<&BS>) -> Result<T> + Send + 'static,
    {
        let chain = self.chain().clone();
        tokio::task::spawn_blocking(move || {
            let mut tree = StateTree::load(chain.blockstore(), &root)?;
            f(&mut tree)
        })
        .await?
    }

    /// The state after executing `ts` (executing it if it has not run).
    pub async fn state_after(&self, ts: &TipSet) -> Result<Cid> {
        let (consensus, ts) = (self.consensus.clone(), ts.clone());
        let r = tokio::task::spawn_blocking(move || consensus.tipset_result(&ts)).await??;
        Ok(r.state_root)
    }

    /// The base fee of a block mined on `ts`.
    pub async fn next_base_fee(&self, ts: &TipSet) -> Result<TokenAmount> {
        let (consensus, ts) = (self.consensus.clone(), ts.clone());
        Ok(tokio::task::spawn_blocking(move || consensus.next_base_fee(&ts)).await??)
    }

    /// An actor's nonce and balance in the state `root`; `None` when no
    /// actor has this address.
    pub async fn actor_at(
        &self,
        root: Cid,
        addr: Address,
    ) -> Result<Option<fvm_shared::state::ActorState>> {
        self.with_state(root, move |tree| Ok(tree.find_actor(&addr)?))
            .await
    }

    /// The messages of `ts`'s blocks, a message in several blocks once,
    /// in the order the blocks list them.
    pub fn tipset_messages(&self, ts: &TipSet) -> Result<BlockMessages> {
        tipset_messages(self.chain(), ts)
    }
}

/// The block with its messages, from the store.
fn full_block<BS: Blockstore>(chain: &ChainStore<BS>, block: &BlockMsg) -> Result<FullBlock> {
    let bs = chain.blockstore();
    let block_cid = block
        .header
        .cid()
        .map_err(|e| NodeError::Invalid(e.to_string()))?;
    let missing = |message: Cid| {
        NodeError::MissingMessage(Box::new(crate::error::MissingMessage {
            block: block_cid,
            message,
        }))
    };
    let mut bls_messages = Vec::with_capacity(block.bls_messages.len());
    for c in &block.bls_messages {
        let bytes = bs.get(c).ok().flatten().ok_or_else(|| missing(*c))?;
        let m: Message = from_cbor(&bytes).map_err(|_| missing(*c))?;
        bls_messages.push(m);
    }
    let mut secp_messages = Vec::with_capacity(block.secpk_messages.len());
    for c in &block.secpk_messages {
        let bytes = bs.get(c).ok().flatten().ok_or_else(|| missing(*c))?;
        let m: SignedMessage = from_cbor(&bytes).map_err(|_| missing(*c))?;
        secp_messages.push(m);
    }
    Ok(FullBlock {
        header: block.header.clone(),
        bls_messages,
        secp_messages,
    })
}

/// The reverted tipsets (from the old head down) and the applied ones (up
/// to the new head) of one head change.
fn split(changes: &[HeadChange]) -> (Vec<TipSet>, Vec<TipSet>) {
    let mut reverted = Vec::new();
    let mut applied = Vec::new();
    for c in changes {
        match c.change_type {
            HeadChangeType::Revert => reverted.push(c.val.clone()),
            HeadChangeType::Apply => applied.push(c.val.clone()),
            HeadChangeType::Current => {}
        }
    }
    (reverted, applied)
}

pub(crate) fn tipset_messages<BS: Blockstore>(
    chain: &ChainStore<BS>,
    ts: &TipSet,
) -> Result<BlockMessages> {
    let mut seen = std::collections::HashSet::new();
    let mut out = BlockMessages {
        bls_messages: Vec::new(),
        secpk_messages: Vec::new(),
        cids: Vec::new(),
    };
    let mut secp_cids = Vec::new();
    for b in ts.blocks() {
        let msgs = chain.block_messages(b)?;
        let n_bls = msgs.bls_messages.len();
        for (m, c) in msgs.bls_messages.into_iter().zip(&msgs.cids[..n_bls]) {
            if seen.insert(*c) {
                out.bls_messages.push(m);
                out.cids.push(*c);
            }
        }
        for (m, c) in msgs.secpk_messages.into_iter().zip(&msgs.cids[n_bls..]) {
            if seen.insert(*c) {
                out.secpk_messages.push(m);
                secp_cids.push(*c);
            }
        }
    }
    out.cids.extend(secp_cids);
    Ok(out)
}

/// The pool's view of our own chain: actors in the state *after* a tipset
/// (Lotus's `GetActorAfter`), executing it if needed.
struct NodeProvider<BS> {
    consensus: Arc<Consensus<BS>>,
}

fn core(e: impl Into<NodeError>) -> venus_core::Error {
    e.into().into()
}

#[async_trait]
impl<BS: Blockstore + Send + Sync + 'static> MpoolProvider for NodeProvider<BS> {
    async fn actor(&self, addr: &Address, ts: &TipSet) -> venus_core::Result<(u64, TokenAmount)> {
        let (consensus, ts, addr) = (self.consensus.clone(), ts.clone(), *addr);
        let found = tokio::task::spawn_blocking(move || -> Result<_> {
            let root = consensus.tipset_result(&ts)?.state_root;
            let mut tree = StateTree::load(consensus.chain().blockstore(), &root)?;
            Ok(tree.find_actor(&addr)?)
        })
        .await
        .map_err(core)?
        .map_err(core)?;
        match found {
            Some(a) => Ok((a.sequence, a.balance)),
            None => Err(venus_core::Error::NotFound(format!(
                "actor not found: {addr}"
            ))),
        }
    }

    async fn base_fee(&self, ts: &TipSet) -> venus_core::Result<TokenAmount> {
        let (consensus, ts) = (self.consensus.clone(), ts.clone());
        tokio::task::spawn_blocking(move || consensus.next_base_fee(&ts))
            .await
            .map_err(core)?
            .map_err(core)
    }

    async fn messages_in(&self, ts: &TipSet) -> venus_core::Result<BlockMessages> {
        tipset_messages(self.consensus.chain(), ts).map_err(core)
    }

    async fn tipset(&self, key: &TipSetKey) -> venus_core::Result<TipSet> {
        self.consensus.chain().tipset(key).map_err(core)
    }
}

/// Stores a pooled message as a block lists it: a BLS message unsigned
/// (its signature goes in the block's aggregate), a secp one signed.
fn store_message<BS: Blockstore>(bs: &BS, m: &SignedMessage) -> Result<()> {
    let (cid, bytes) = if m.signature.sig_type == venus_core::SignatureType::BLS {
        cid_of(&m.message)
    } else {
        cid_of(m)
    }
    .map_err(|e| NodeError::Invalid(e.to_string()))?;
    bs.put_keyed(&cid, &bytes)
        .map_err(|e| NodeError::Chain(venus_chain::ChainError::Store(e.to_string())))
}
