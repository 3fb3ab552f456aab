//! [`ChainStore`]: headers and messages in the blockstore, the head and
//! each executed tipset's result in the [`MetaStore`], and in memory the
//! head's chain by height and the validated blocks near the head.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};

use cid::Cid;
use fvm_ipld_amt::Amtv0;
use fvm_ipld_blockstore::Blockstore;
use fvm_shared::clock::ChainEpoch;
use num_bigint::BigInt;
use tokio::sync::mpsc;
use venus_core::encoding::{cid_of, from_cbor, to_cbor};
use venus_core::types::{
    BlockHeader, BlockMessages, HeadChange, HeadChangeType, SignedMessage, TipSet, TipSetKey,
    TxMeta,
};
use venus_core::Message;

use super::weight::{breaks_tie, weight};
use crate::error::{store_err, ChainError, Result};
use crate::state::tree::get;
use crate::store::MetaStore;

/// A reorg reverting this many tipsets of the current chain or more is
/// ignored:
/// Lotus's `ForkLengthThreshold`, the chain finality.
pub const FORK_LENGTH_THRESHOLD: usize = 900;

/// Head-change batches a subscriber may fall behind by before it is
/// dropped (its stream ends; re-subscribing is its job, as with Lotus).
const SUBSCRIBER_BUFFER: usize = 64;

/// Tipset weights kept before the cache starts over.
const WEIGHT_CACHE: usize = 8192;

const KEY_GENESIS: &[u8] = b"genesis";
const KEY_HEAD: &[u8] = b"head";
const KEY_TIPSET_RESULT: &[u8] = b"tsr/";

/// What executing a tipset gave: the state root and receipts root its
/// children's headers must carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TipsetResult {
    /// The state after the tipset's messages, rewards and cron.
    pub state_root: Cid,
    /// The root of its receipts AMT.
    pub receipts_root: Cid,
}

/// What a head switch does: the tipsets reverted (from the old head down),
/// those applied (up to the new head) and the common ancestor's height.
pub type ReorgOps = (Vec<TipSet>, Vec<TipSet>, ChainEpoch);

/// Where [`ChainStore::tipset_by_height`] lands when the height asked for
/// is a null round.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NullRound {
    /// The tipset below it (Lotus's `ChainGetTipSetByHeight`).
    Below,
    /// The tipset above it (Lotus's `ChainGetTipSetAfterHeight`).
    Above,
}

/// The chain: blocks, tipsets, the head and fork choice.
///
/// Blocks go in with [`ChainStore::add_block`] once validated; the store
/// then forms the heaviest tipset it can and takes it as head if it is
/// heavier than the head (Lotus's `RefreshHeaviestTipSet`), telling
/// subscribers what was reverted and applied.
///
/// ```
/// use std::sync::Arc;
/// use venus_chain::chain::ChainStore;
/// use venus_chain::store::{MemoryBlockstore, MemoryMeta};
/// use venus_chain::GenesisBuilder;
///
/// let bs = MemoryBlockstore::new();
/// let genesis = GenesisBuilder::new("devnet").build(&bs).unwrap();
/// let chain = ChainStore::open(&bs, Arc::new(MemoryMeta::default()), &genesis.block).unwrap();
/// assert_eq!(chain.head().height(), 0);
/// assert_eq!(chain.head().key(), chain.genesis().key());
/// ```
pub struct ChainStore<BS> {
    bs: BS,
    meta: Arc<dyn MetaStore>,
    genesis: TipSet,
    inner: Mutex<Inner>,
    subscribers: Mutex<Vec<mpsc::Sender<Vec<HeadChange>>>>,
}

struct Inner {
    head: TipSet,
    /// The head's chain: each non-null height's tipset key.
    by_height: BTreeMap<ChainEpoch, TipSetKey>,
    /// Validated blocks by height (Lotus's tipset tracker), for forming
    /// the heaviest tipset at a height.
    tracker: BTreeMap<ChainEpoch, Vec<Cid>>,
    weights: HashMap<TipSetKey, BigInt>,
}

impl<BS> std::fmt::Debug for ChainStore<BS> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChainStore")
            .field("genesis", self.genesis.key())
            .finish_non_exhaustive()
    }
}

impl<BS: Blockstore> ChainStore<BS> {
    /// Opens the chain in `bs` and `meta`: on a new store, writes `genesis`
    /// and makes it the head; on a store that holds a chain, checks that
    /// it starts at `genesis` and restores its head.
    pub fn open(bs: BS, meta: Arc<dyn MetaStore>, genesis: &BlockHeader) -> Result<Self> {
        let gcid = put_header(&bs, genesis)?;
        match meta.get_meta(KEY_GENESIS).map_err(store_err)? {
            Some(stored) if stored != gcid.to_bytes() => {
                let stored = Cid::try_from(stored.as_slice())
                    .map(|c| c.to_string())
                    .unwrap_or_else(|_| "an unreadable CID".into());
                return Err(ChainError::Chain(format!(
                    "this store holds the chain of genesis {stored}, not {gcid}"
                )));
            }
            Some(_) => {}
            None => {
                meta.put_meta(KEY_GENESIS, &gcid.to_bytes())
                    .map_err(store_err)?;
            }
        }
        let genesis = TipSet::new(vec![genesis.clone()]).map_err(core_err)?;
        let head = match meta.get_meta(KEY_HEAD).map_err(store_err)? {
            Some(bytes) => {
                let key = TipSetKey::from_bytes(&bytes).map_err(core_err)?;
                load_tipset(&bs, &key)?
            }
            None => {
                meta.put_meta(KEY_HEAD, &genesis.key().to_bytes())
                    .map_err(store_err)?;
                genesis.clone()
            }
        };
        let mut by_height = BTreeMap::new();
        let mut ts = head.clone();
        loop {
            by_height.insert(ts.height(), ts.key().clone());
            if ts.height() == 0 {
                break;
            }
            ts = load_tipset(&bs, &ts.parents())?;
        }
        if ts.key() != genesis.key() {
            return Err(ChainError::Chain(format!(
                "the head's chain starts at {}, not at the genesis {}",
                ts.key(),
                genesis.key()
            )));
        }
        let mut tracker = BTreeMap::new();
        tracker.insert(head.height(), head.key().cids().to_vec());
        tracing::info!(
            target: "venus_chain::chain",
            head = %head.key(), height = head.height(), "chain opened"
        );
        Ok(ChainStore {
            bs,
            meta,
            genesis,
            inner: Mutex::new(Inner {
                head,
                by_height,
                tracker,
                weights: HashMap::new(),
            }),
            subscribers: Mutex::new(Vec::new()),
        })
    }

    /// The blockstore.
    pub fn blockstore(&self) -> &BS {
        &self.bs
    }

    /// The genesis tipset.
    pub fn genesis(&self) -> &TipSet {
        &self.genesis
    }

    /// The current head.
    pub fn head(&self) -> TipSet {
        self.lock().head.clone()
    }

    /// Writes a header; returns its CID.
    pub fn put_header(&self, header: &BlockHeader) -> Result<Cid> {
        put_header(&self.bs, header)
    }

    /// Writes messages and their block's message meta; returns the meta
    /// (its CID is the header's `Messages`).
    pub fn put_messages(&self, bls: &[Message], secp: &[SignedMessage]) -> Result<TxMeta> {
        let mut bls_cids = Vec::with_capacity(bls.len());
        for m in bls {
            let (cid, bytes) = cid_of(m).map_err(core_err)?;
            self.bs.put_keyed(&cid, &bytes).map_err(store_err)?;
            bls_cids.push(cid);
        }
        let mut secp_cids = Vec::with_capacity(secp.len());
        for m in secp {
            let (cid, bytes) = cid_of(m).map_err(core_err)?;
            self.bs.put_keyed(&cid, &bytes).map_err(store_err)?;
            secp_cids.push(cid);
        }
        let meta = TxMeta::build_in(&self.bs, &bls_cids, &secp_cids).map_err(core_err)?;
        let (cid, bytes) = cid_of(&meta).map_err(core_err)?;
        self.bs.put_keyed(&cid, &bytes).map_err(store_err)?;
        Ok(meta)
    }

    /// A header by CID.
    pub fn header(&self, cid: &Cid) -> Result<BlockHeader> {
        get(&self.bs, cid, "block header")
    }

    /// A tipset by key; the empty key is the head.
    pub fn tipset(&self, key: &TipSetKey) -> Result<TipSet> {
        if key.is_empty() {
            return Ok(self.head());
        }
        load_tipset(&self.bs, key)
    }

    /// A message by CID: an unsigned one (a BLS message's CID is its
    /// unsigned CID) or the message of a signed one.
    pub fn message(&self, cid: &Cid) -> Result<Message> {
        let bytes = self.bs.get(cid).map_err(store_err)?;
        let bytes = bytes.ok_or(ChainError::Missing(*cid))?;
        if let Ok(m) = from_cbor::<Message>(&bytes) {
            return Ok(m);
        }
        from_cbor::<SignedMessage>(&bytes)
            .map(|m| m.message)
            .map_err(|e| decode("message", e))
    }

    /// The messages a block includes, BLS then secp, as it lists them.
    pub fn block_messages(&self, header: &BlockHeader) -> Result<BlockMessages> {
        let meta: TxMeta = get(&self.bs, &header.messages, "message meta")?;
        let bls_cids = amt_cids(&self.bs, &meta.bls_message_root)?;
        let secp_cids = amt_cids(&self.bs, &meta.secp_message_root)?;
        let bls_messages = bls_cids
            .iter()
            .map(|c| get::<Message>(&self.bs, c, "BLS message"))
            .collect::<Result<Vec<_>>>()?;
        let secpk_messages = secp_cids
            .iter()
            .map(|c| get::<SignedMessage>(&self.bs, c, "secp256k1 message"))
            .collect::<Result<Vec<_>>>()?;
        Ok(BlockMessages {
            bls_messages,
            secpk_messages,
            cids: bls_cids.into_iter().chain(secp_cids).collect(),
        })
    }

    /// The tipset at `height` on the chain ending at `anchor` (the head
    /// when `None`). At a null round, the tipset below or above it.
    pub fn tipset_by_height(
        &self,
        height: ChainEpoch,
        anchor: Option<&TipSet>,
        null: NullRound,
    ) -> Result<TipSet> {
        let anchor = match anchor {
            Some(a) => a.clone(),
            None => self.head(),
        };
        if height > anchor.height() {
            return Err(ChainError::Chain(format!(
                "looking for tipset with height greater than start point: {height} > {}",
                anchor.height()
            )));
        }
        if height < 0 {
            return Err(ChainError::Chain(format!("negative height {height}")));
        }
        let mut ts = anchor;
        let mut above = ts.clone();
        loop {
            if ts.height() == height {
                return Ok(ts);
            }
            if ts.height() < height {
                return Ok(match null {
                    NullRound::Below => ts,
                    NullRound::Above => above,
                });
            }
            // Above the height: on the head's chain the index answers.
            let indexed = {
                let inner = self.lock();
                if inner.by_height.get(&ts.height()) == Some(ts.key()) {
                    let found = match null {
                        NullRound::Below => inner.by_height.range(..=height).next_back(),
                        NullRound::Above => inner.by_height.range(height..=ts.height()).next(),
                    };
                    Some(found.map(|(_, k)| k.clone()))
                } else {
                    None
                }
            };
            if let Some(key) = indexed {
                let key = key.ok_or_else(|| {
                    ChainError::Chain(format!("no tipset at or around height {height}"))
                })?;
                return self.tipset(&key);
            }
            above = ts.clone();
            ts = load_tipset(&self.bs, &ts.parents())?;
        }
    }

    /// A tipset's weight (cached).
    pub fn weight(&self, ts: &TipSet) -> Result<BigInt> {
        let mut inner = self.lock();
        self.weight_locked(&mut inner, ts)
    }

    /// The recorded result of executing the tipset `key`, if it has run.
    pub fn tipset_result(&self, key: &TipSetKey) -> Result<Option<TipsetResult>> {
        let k = [KEY_TIPSET_RESULT, &key.to_bytes()].concat();
        match self.meta.get_meta(&k).map_err(store_err)? {
            Some(bytes) => from_cbor::<(Cid, Cid)>(&bytes)
                .map(|(state_root, receipts_root)| {
                    Some(TipsetResult {
                        state_root,
                        receipts_root,
                    })
                })
                .map_err(|e| decode("tipset result", e)),
            None => Ok(None),
        }
    }

    /// Records the result of executing the tipset `key`.
    pub fn put_tipset_result(&self, key: &TipSetKey, result: &TipsetResult) -> Result<()> {
        let k = [KEY_TIPSET_RESULT, &key.to_bytes()].concat();
        let bytes = to_cbor(&(result.state_root, result.receipts_root)).map_err(core_err)?;
        self.meta.put_meta(&k, &bytes).map_err(store_err)
    }

    /// Adds a validated block (its header and messages already stored),
    /// then takes the heaviest tipset it can form as head if that is
    /// heavier. Returns the head changes, if the head moved.
    ///
    /// Two blocks by one miner at one height are an equivocation: neither
    /// goes into a tipset, as in Lotus's `FormHeaviestTipSetForHeight`.
    pub fn add_block(&self, header: &BlockHeader) -> Result<Option<Vec<HeadChange>>> {
        if !self.bs.has(&header.messages).map_err(store_err)? {
            return Err(ChainError::Chain(format!(
                "block at {} by {}: its messages ({}) are not stored",
                header.height, header.miner, header.messages
            )));
        }
        let cid = self.put_header(header)?;
        let mut inner = self.lock();
        let at = inner.tracker.entry(header.height).or_default();
        if !at.contains(&cid) {
            at.push(cid);
        }
        let keep_from = inner.head.height() - FORK_LENGTH_THRESHOLD as ChainEpoch;
        inner.tracker = inner.tracker.split_off(&keep_from);
        self.refresh_head(&mut inner, header.height)
    }

    /// Lotus's `RefreshHeaviestTipSet`: the heaviest of the head, the best
    /// tipset at the head's height (which may have grown or lost blocks to
    /// an equivocation) and the best at `new_height`.
    fn refresh_head(
        &self,
        inner: &mut MutexGuard<'_, Inner>,
        new_height: ChainEpoch,
    ) -> Result<Option<Vec<HeadChange>>> {
        let head = inner.head.clone();
        let head_weight = self.weight_locked(inner, &head)?;
        let mut best = self.form_heaviest(inner, head.height())?;
        let shrank = match &best {
            None => true,
            Some((_, w)) => *w < head_weight,
        };
        if shrank {
            tracing::warn!(
                target: "venus_chain::chain",
                height = head.height(), "the head's weight shrank: an equivocation"
            );
            let mut found: Option<(TipSet, BigInt)> = best.take();
            for h in ((head.height() - 4)..=(head.height() + 5)).rev() {
                if let Some((ts, w)) = self.form_heaviest(inner, h)? {
                    if found.as_ref().is_none_or(|(_, fw)| w > *fw) {
                        found = Some((ts, w));
                    }
                }
            }
            best = found;
        }
        let (mut best_ts, best_w) = best.unwrap_or((head.clone(), head_weight));
        if new_height != best_ts.height() {
            if let Some((ts, w)) = self.form_heaviest(inner, new_height)? {
                let heavier = w > best_w || (w == best_w && breaks_tie(&ts, &best_ts));
                if heavier {
                    best_ts = ts;
                }
            }
        }
        if best_ts.key() == head.key() {
            return Ok(None);
        }
        self.take_head(inner, best_ts)
    }

    fn weight_locked(&self, inner: &mut Inner, ts: &TipSet) -> Result<BigInt> {
        if let Some(w) = inner.weights.get(ts.key()) {
            return Ok(w.clone());
        }
        let w = weight(&self.bs, ts)?;
        if inner.weights.len() >= WEIGHT_CACHE {
            inner.weights.clear();
        }
        inner.weights.insert(ts.key().clone(), w.clone());
        Ok(w)
    }

    /// Lotus's `FormHeaviestTipSetForHeight`.
    fn form_heaviest(
        &self,
        inner: &mut Inner,
        height: ChainEpoch,
    ) -> Result<Option<(TipSet, BigInt)>> {
        let Some(cids) = inner.tracker.get(&height).cloned() else {
            return Ok(None);
        };
        let mut seen = HashSet::new();
        let mut bad = HashSet::new();
        let mut headers = Vec::with_capacity(cids.len());
        for c in &cids {
            let h = self.header(c)?;
            if !seen.insert(h.miner) {
                bad.insert(h.miner);
                continue;
            }
            headers.push(h);
        }
        let mut by_parents: BTreeMap<Vec<Cid>, Vec<BlockHeader>> = BTreeMap::new();
        for h in headers.into_iter().filter(|h| !bad.contains(&h.miner)) {
            by_parents.entry(h.parents.clone()).or_default().push(h);
        }
        let mut best: Option<(TipSet, BigInt)> = None;
        for (_, blocks) in by_parents {
            let ts = TipSet::new(blocks).map_err(core_err)?;
            let w = self.weight_locked(inner, &ts)?;
            let heavier = match &best {
                None => true,
                Some((bts, bw)) => w > *bw || (w == *bw && breaks_tie(&ts, bts)),
            };
            if heavier {
                best = Some((ts, w));
            }
        }
        Ok(best)
    }

    /// Makes `ts` the head: persists it, re-indexes the chain and tells
    /// subscribers the reverts (from the old head down) and applies (up to
    /// the new head). A fork deeper than [`FORK_LENGTH_THRESHOLD`] is
    /// ignored, as Lotus's `exceedsForkLength` ignores it.
    fn take_head(&self, inner: &mut Inner, ts: TipSet) -> Result<Option<Vec<HeadChange>>> {
        let Some((reverted, applied, ancestor)) =
            self.reorg_ops_within(&inner.head, &ts, FORK_LENGTH_THRESHOLD - 1)?
        else {
            tracing::warn!(
                target: "venus_chain::chain",
                fork = %ts.key(),
                "ignoring a heavier fork deeper than the fork length threshold"
            );
            return Ok(None);
        };
        self.meta
            .put_meta(KEY_HEAD, &ts.key().to_bytes())
            .map_err(store_err)?;
        inner.by_height.split_off(&(ancestor + 1));
        for t in &applied {
            inner.by_height.insert(t.height(), t.key().clone());
        }
        tracing::info!(
            target: "venus_chain::chain",
            head = %ts.key(), height = ts.height(),
            reverted = reverted.len(), applied = applied.len(), "new head"
        );
        inner.head = ts;
        let changes: Vec<HeadChange> = reverted
            .into_iter()
            .map(|val| HeadChange {
                change_type: HeadChangeType::Revert,
                val,
            })
            .chain(applied.into_iter().map(|val| HeadChange {
                change_type: HeadChangeType::Apply,
                val,
            }))
            .collect();
        self.notify(&changes);
        Ok(Some(changes))
    }

    /// Lotus's `ReorgOps`: the tipsets from `from` down to the common
    /// ancestor (exclusive), those from the ancestor up to `to` (in
    /// ascending order), and the ancestor's height.
    pub fn reorg_ops(&self, from: &TipSet, to: &TipSet) -> Result<ReorgOps> {
        Ok(self
            .reorg_ops_within(from, to, usize::MAX)?
            .expect("no bound"))
    }

    /// [`ChainStore::reorg_ops`], or `None` as soon as more than
    /// `max_reverted` tipsets would be reverted: the walk stops there.
    fn reorg_ops_within(
        &self,
        from: &TipSet,
        to: &TipSet,
        max_reverted: usize,
    ) -> Result<Option<ReorgOps>> {
        let mut left = from.clone();
        let mut right = to.clone();
        let mut reverted = Vec::new();
        let mut applied = Vec::new();
        while left.key() != right.key() {
            if left.height() > right.height() {
                if reverted.len() >= max_reverted {
                    return Ok(None);
                }
                let parent = load_tipset(&self.bs, &left.parents())?;
                reverted.push(std::mem::replace(&mut left, parent));
            } else {
                let parent = load_tipset(&self.bs, &right.parents())?;
                applied.push(std::mem::replace(&mut right, parent));
            }
        }
        applied.reverse();
        Ok(Some((reverted, applied, left.height())))
    }

    /// Head changes from now on: first `[Current(head)]`, then each move of
    /// the head as one batch of reverts and applies. A subscriber that
    /// falls 64 batches behind is dropped (its stream ends).
    pub fn subscribe(&self) -> mpsc::Receiver<Vec<HeadChange>> {
        let (tx, rx) = mpsc::channel(SUBSCRIBER_BUFFER);
        // The head is read under the chain's lock, which a head change
        // holds while it notifies: no change slips between the two. (Lock
        // order everywhere: chain, then subscribers.)
        let inner = self.lock();
        let mut subs = self.subscribers.lock().unwrap_or_else(|p| p.into_inner());
        let current = HeadChange {
            change_type: HeadChangeType::Current,
            val: inner.head.clone(),
        };
        if tx.try_send(vec![current]).is_ok() {
            subs.push(tx);
        }
        rx
    }

    fn notify(&self, changes: &[HeadChange]) {
        let mut subs = self.subscribers.lock().unwrap_or_else(|p| p.into_inner());
        subs.retain(|tx| match tx.try_send(changes.to_vec()) {
            Ok(()) => true,
            Err(mpsc::error::TrySendError::Full(_)) => {
                tracing::warn!(target: "venus_chain::chain", "dropping a head-change subscriber that fell behind");
                false
            }
            Err(mpsc::error::TrySendError::Closed(_)) => false,
        });
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn put_header<BS: Blockstore>(bs: &BS, header: &BlockHeader) -> Result<Cid> {
    let bytes = header.to_cbor().map_err(core_err)?;
    let cid = venus_core::encoding::cid_of_cbor_bytes(&bytes);
    bs.put_keyed(&cid, &bytes).map_err(store_err)?;
    Ok(cid)
}

fn load_tipset<BS: Blockstore>(bs: &BS, key: &TipSetKey) -> Result<TipSet> {
    if key.is_empty() {
        return Err(ChainError::Chain("an empty tipset key".into()));
    }
    let headers = key
        .cids()
        .iter()
        .map(|c| get::<BlockHeader>(bs, c, "block header"))
        .collect::<Result<Vec<_>>>()?;
    let ts = TipSet::new(headers).map_err(core_err)?;
    if ts.key() != key {
        return Err(ChainError::Chain(format!(
            "tipset key {key} is not in ticket order (expected {})",
            ts.key()
        )));
    }
    Ok(ts)
}

fn amt_cids<BS: Blockstore>(bs: &BS, root: &Cid) -> Result<Vec<Cid>> {
    let amt = Amtv0::<Cid, _>::load(root, bs)?;
    let mut out = Vec::with_capacity(amt.count() as usize);
    amt.for_each(|_, c| {
        out.push(*c);
        Ok(())
    })?;
    Ok(out)
}

fn decode(what: &'static str, e: impl std::fmt::Display) -> ChainError {
    ChainError::Decode {
        what,
        msg: e.to_string(),
    }
}

fn core_err(e: venus_core::Error) -> ChainError {
    ChainError::Chain(e.to_string())
}
