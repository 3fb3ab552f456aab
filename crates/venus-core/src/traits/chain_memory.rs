//! [`MemoryChain`]: an in-memory [`ChainApi`](super::ChainApi) for tests and examples.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;
use cid::Cid;
use futures::StreamExt;
use fvm_shared::address::Address;
use fvm_shared::clock::ChainEpoch;
use fvm_shared::message::Message;
use tokio::sync::broadcast;
use tokio_stream::wrappers::BroadcastStream;

use super::chain::{BlockApi, ChainRead, HeadChangeStream, MessageApi, StateRead};
use crate::crypto::bls_aggregate;
use crate::types::*;
use crate::{Error, Result};

/// Gas limit [`MemoryChain`] fills in when a message has none.
const DEFAULT_GAS_LIMIT: u64 = 10_000_000;

#[derive(Default)]
struct Inner {
    tipsets: HashMap<TipSetKey, TipSet>,
    head: Option<TipSet>,
    actors: HashMap<Address, ActorState>,
    base_info: HashMap<Address, MiningBaseInfo>,
    pool: Vec<(Cid, SignedMessage)>,
    lookups: HashMap<Cid, MsgLookup>,
    submitted: Vec<BlockMsg>,
    /// Every message pushed, by signed CID and (for BLS) unsigned CID, to answer block_messages.
    known: HashMap<Cid, SignedMessage>,
}

/// A chain held in memory: tipsets, a head, actors, a message pool and the
/// blocks submitted to it.
///
/// It models no state execution: a block's parent state root, receipts root
/// and base fee are copied from its parent, and weight grows by one per epoch.
/// Submitted blocks that share parents and height form the new head tipset.
/// Cheap to clone; clones share the chain.
#[derive(Clone)]
pub struct MemoryChain {
    inner: Arc<Mutex<Inner>>,
    changes: broadcast::Sender<Vec<HeadChange>>,
}

impl MemoryChain {
    /// A chain whose head is `genesis`.
    pub fn new(genesis: TipSet) -> Self {
        let (changes, _) = broadcast::channel(64);
        let mut inner = Inner::default();
        inner.tipsets.insert(genesis.key().clone(), genesis.clone());
        inner.head = Some(genesis);
        MemoryChain {
            inner: Arc::new(Mutex::new(inner)),
            changes,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A poisoned lock means a panic mid-update elsewhere; the maps are still usable.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Sets an actor's state.
    pub fn put_actor(&self, addr: Address, actor: ActorState) {
        self.lock().actors.insert(addr, actor);
    }

    /// Sets the mining base info returned for `miner`.
    pub fn put_mining_base_info(&self, miner: Address, info: MiningBaseInfo) {
        self.lock().base_info.insert(miner, info);
    }

    /// Records where a message executed.
    pub fn put_lookup(&self, lookup: MsgLookup) {
        self.lock().lookups.insert(lookup.message, lookup);
    }

    /// The blocks submitted so far, in order.
    pub fn submitted_blocks(&self) -> Vec<BlockMsg> {
        self.lock().submitted.clone()
    }

    /// The messages waiting in the pool.
    pub fn pending(&self) -> Vec<SignedMessage> {
        self.lock().pool.iter().map(|(_, m)| m.clone()).collect()
    }

    /// Makes `ts` the head, notifying subscribers with the reverts and
    /// applies between the old head and `ts`.
    pub fn set_head(&self, ts: TipSet) -> Result<()> {
        let mut inner = self.lock();
        inner.tipsets.insert(ts.key().clone(), ts.clone());
        let mut old = inner.head.clone();
        let mut new = Some(ts.clone());
        let (mut reverts, mut applies) = (Vec::new(), Vec::new());
        // Walk both branches back to their common ancestor.
        while let (Some(o), Some(n)) = (old.clone(), new.clone()) {
            if o.key() == n.key() {
                break;
            }
            if o.height() >= n.height() {
                reverts.push(HeadChange {
                    change_type: HeadChangeType::Revert,
                    val: o.clone(),
                });
                old = inner.tipsets.get(&o.parents()).cloned();
            } else {
                applies.push(HeadChange {
                    change_type: HeadChangeType::Apply,
                    val: n.clone(),
                });
                new = inner.tipsets.get(&n.parents()).cloned();
            }
        }
        applies.reverse();
        reverts.extend(applies);
        inner.head = Some(ts);
        drop(inner);
        // No subscribers is not an error.
        let _ = self.changes.send(reverts);
        Ok(())
    }
}

#[async_trait]
impl ChainRead for MemoryChain {
    async fn head(&self) -> Result<TipSet> {
        self.lock()
            .head
            .clone()
            .ok_or_else(|| Error::NotFound("head".into()))
    }

    async fn tipset(&self, key: &TipSetKey) -> Result<TipSet> {
        if key.is_empty() {
            return self.head().await;
        }
        self.lock()
            .tipsets
            .get(key)
            .cloned()
            .ok_or_else(|| Error::NotFound(format!("tipset {key}")))
    }

    async fn tipset_by_height(&self, height: ChainEpoch, anchor: &TipSetKey) -> Result<TipSet> {
        let mut ts = self.tipset(anchor).await?;
        if height > ts.height() {
            return Err(Error::NotFound(format!(
                "height {height} is above the anchor {}",
                ts.height()
            )));
        }
        while ts.height() > height {
            let parent = self.lock().tipsets.get(&ts.parents()).cloned();
            match parent {
                // Below a null round Lotus returns the tipset under it.
                Some(p) if p.height() < height => return Ok(p),
                Some(p) => ts = p,
                None => return Err(Error::NotFound(format!("no tipset at height {height}"))),
            }
        }
        Ok(ts)
    }

    async fn block_messages(&self, block: &Cid) -> Result<BlockMessages> {
        let inner = self.lock();
        let Some(b) = inner
            .submitted
            .iter()
            .find(|b| b.header.cid().ok().as_ref() == Some(block))
        else {
            // A block of a tipset given, not submitted (the genesis): no messages.
            let given = inner
                .tipsets
                .values()
                .flat_map(|ts| ts.blocks())
                .any(|h| h.cid().ok().as_ref() == Some(block));
            return match given {
                true => Ok(BlockMessages::default()),
                false => Err(Error::NotFound(format!("block {block}"))),
            };
        };
        let find = |c: &Cid| {
            inner
                .known
                .get(c)
                .cloned()
                .ok_or_else(|| Error::NotFound(format!("message {c}")))
        };
        Ok(BlockMessages {
            bls_messages: b
                .bls_messages
                .iter()
                .map(|c| find(c).map(|m| m.message))
                .collect::<Result<_>>()?,
            secpk_messages: b.secpk_messages.iter().map(find).collect::<Result<_>>()?,
            cids: b
                .bls_messages
                .iter()
                .chain(&b.secpk_messages)
                .copied()
                .collect(),
        })
    }

    async fn subscribe_head_changes(&self) -> Result<HeadChangeStream> {
        let head = self.head().await?;
        let rx = BroadcastStream::new(self.changes.subscribe());
        let first = futures::stream::iter([vec![HeadChange {
            change_type: HeadChangeType::Current,
            val: head,
        }]]);
        // A lagging subscriber skips the batches it missed rather than blocking the chain.
        Ok(first
            .chain(rx.filter_map(|r| async move { r.ok() }))
            .boxed())
    }
}

#[async_trait]
impl StateRead for MemoryChain {
    async fn actor(&self, addr: &Address, _key: &TipSetKey) -> Result<ActorState> {
        self.lock()
            .actors
            .get(addr)
            .cloned()
            .ok_or_else(|| Error::NotFound(format!("actor {addr}")))
    }

    async fn mining_base_info(
        &self,
        miner: &Address,
        _: ChainEpoch,
        _: &TipSetKey,
    ) -> Result<Option<MiningBaseInfo>> {
        Ok(self.lock().base_info.get(miner).cloned())
    }

    async fn search_message(&self, cid: &Cid) -> Result<Option<MsgLookup>> {
        Ok(self.lock().lookups.get(cid).cloned())
    }
}

#[async_trait]
impl BlockApi for MemoryChain {
    async fn create_block(&self, t: BlockTemplate) -> Result<BlockMsg> {
        let parent = self.tipset(&t.parents).await?;
        let (bls, secp): (Vec<_>, Vec<_>) = t.messages.iter().partition(|m| m.is_bls());
        let bls_cids = bls
            .iter()
            .map(|m| message_cid(&m.message))
            .collect::<Result<Vec<_>>>()?;
        let secp_cids = secp.iter().map(|m| m.cid()).collect::<Result<Vec<_>>>()?;
        let p = &parent.blocks()[0];
        let header = BlockHeader {
            miner: t.miner,
            ticket: t.ticket,
            election_proof: t.eproof,
            beacon_entries: t.beacon_values,
            win_post_proof: t.winning_post_proof,
            parents: parent.key().cids().to_vec(),
            parent_weight: &p.parent_weight + 1,
            height: t.epoch,
            parent_state_root: p.parent_state_root,
            parent_message_receipts: p.parent_message_receipts,
            messages: TxMeta::build(&bls_cids, &secp_cids)?.cid()?,
            bls_aggregate: Some(bls_aggregate(bls.iter().map(|m| &m.signature))?),
            timestamp: t.timestamp,
            block_sig: None,
            fork_signaling: 0,
            parent_base_fee: p.parent_base_fee.clone(),
        };
        Ok(BlockMsg {
            header,
            bls_messages: bls_cids,
            secpk_messages: secp_cids,
        })
    }

    async fn submit_block(&self, block: BlockMsg) -> Result<()> {
        block.check_msg_root()?;
        if block.header.block_sig.is_none() {
            return Err(Error::InvalidSignature(
                "submitted block is unsigned".into(),
            ));
        }
        let siblings: Vec<BlockHeader> = {
            let mut inner = self.lock();
            let included: Vec<Cid> = block
                .bls_messages
                .iter()
                .chain(&block.secpk_messages)
                .copied()
                .collect();
            inner.pool.retain(|(c, _)| !included.contains(c));
            inner.submitted.push(block.clone());
            inner
                .submitted
                .iter()
                .filter(|b| {
                    b.header.height == block.header.height
                        && b.header.parents == block.header.parents
                })
                .map(|b| b.header.clone())
                .collect()
        };
        let ts = TipSet::new(siblings)?;
        let head = self.head().await?;
        if ts.height() > head.height()
            || (ts.height() == head.height() && ts.blocks().len() > head.blocks().len())
        {
            self.set_head(ts)?;
        }
        Ok(())
    }
}

#[async_trait]
impl MessageApi for MemoryChain {
    async fn select_messages(&self, _key: &TipSetKey, _quality: f64) -> Result<Vec<SignedMessage>> {
        let mut msgs = self.pending();
        msgs.sort_by(|a, b| {
            (a.message.from.to_bytes(), a.message.sequence)
                .cmp(&(b.message.from.to_bytes(), b.message.sequence))
        });
        Ok(msgs)
    }

    async fn push_message(&self, msg: SignedMessage) -> Result<Cid> {
        msg.verify()?;
        let cid = msg.cid()?;
        let mut inner = self.lock();
        if !inner.pool.iter().any(|(c, _)| *c == cid) {
            inner.known.insert(cid, msg.clone());
            inner.pool.push((cid, msg));
        }
        Ok(cid)
    }

    async fn estimate_message_gas(
        &self,
        mut msg: Message,
        _: Option<MessageSendSpec>,
        key: &TipSetKey,
    ) -> Result<Message> {
        let base_fee = self.parent_base_fee(key).await?;
        if msg.gas_limit == 0 {
            msg.gas_limit = DEFAULT_GAS_LIMIT;
        }
        if msg.gas_premium.is_zero() {
            msg.gas_premium = fvm_shared::econ::TokenAmount::from_atto(100_000);
        }
        if msg.gas_fee_cap.is_zero() {
            msg.gas_fee_cap = base_fee * 2 + &msg.gas_premium;
        }
        Ok(msg)
    }
}
