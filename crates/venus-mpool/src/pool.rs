//! [`MessagePool`]: Lotus's acceptance rules, head changes, pruning, and selection over the pending set.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use cid::Cid;
use hashlink::LruCache;
use tokio::sync::Mutex;
use venus_core::types::{SignedMessage, TipSet};
use venus_core::{Address, ChainEpoch, TokenAmount};

use crate::chains::{create_chains_at, MsgChain, SenderState};
use crate::engine::BlockLimits;
use crate::inclusion::{check_inclusion, NetworkVersion, NotIncludable, DEFAULT_NETWORK_VERSION};
use crate::multi::{select_excluding, select_for_winners};
use crate::optimal::select_optimal;
use crate::provider::MpoolProvider;
use crate::{MpoolError, Result};

/// Pool settings, with Lotus's defaults.
#[derive(Debug, Clone)]
pub struct MpoolConfig {
    /// Senders whose messages are selected first and never pruned.
    pub priority_addrs: Vec<Address>,
    /// Prune when the pool holds more than this (30,000)…
    pub size_limit_high: usize,
    /// …down to this (20,000).
    pub size_limit_low: usize,
    /// Largest nonce gap accepted from the network (4).
    pub max_nonce_gap: u64,
    /// Pending messages per sender, for local pushes and network adds
    /// (1,000: Lotus's `MaxActorPendingMessages`).
    pub max_pending_trusted: usize,
    /// Pending messages per sender for untrusted pushes
    /// (10: Lotus's `MaxUntrustedActorPendingMessages`).
    pub max_pending_untrusted: usize,
    /// Signatures of BLS messages from the network remembered for reverts
    /// (100,000; least recently seen evicted first). Local messages'
    /// signatures are kept apart and never evicted: they are dropped only
    /// once their message has been on chain for [`LOCAL_SIG_FINALITY`] epochs.
    pub bls_sig_cache: usize,
    /// The least time between two prunes (1 minute, Lotus's `PruneCooldown`).
    pub prune_cooldown: std::time::Duration,
    /// The network version in force: it prices the gas of carrying a
    /// message and decides which address protocols exist
    /// ([`DEFAULT_NETWORK_VERSION`]; every version from 18 on is alike).
    pub network_version: NetworkVersion,
}

/// Epochs after which a landed local message is final and its BLS signature
/// is forgotten (Lotus's `policy.ChainFinality`).
pub const LOCAL_SIG_FINALITY: ChainEpoch = 900;

/// The most tipsets between the pool's head and a base tipset that
/// selection walks ([`MessagePool::select_on`]): a chain finality.
pub const MAX_SELECTION_DEPTH: usize = 900;

impl Default for MpoolConfig {
    fn default() -> Self {
        MpoolConfig {
            priority_addrs: Vec::new(),
            size_limit_high: 30_000,
            size_limit_low: 20_000,
            max_nonce_gap: 4,
            max_pending_trusted: 1_000,
            max_pending_untrusted: 10,
            bls_sig_cache: 100_000,
            network_version: DEFAULT_NETWORK_VERSION,
            prune_cooldown: std::time::Duration::from_secs(60),
        }
    }
}

struct Pending {
    by_sender: HashMap<Address, BTreeMap<u64, SignedMessage>>,
    cids: HashMap<Cid, (Address, u64)>,
    local: HashSet<Address>,
    /// BLS signatures of network messages seen, so reverted BLS messages
    /// can come back signed. Bounded: anyone can fill it.
    bls_sigs: LruCache<Cid, venus_core::Signature>,
    /// BLS signatures of local messages, with the epoch each landed at: a
    /// local message lost in a revert would leave a nonce gap that blocks
    /// every later message of its sender.
    local_bls: HashMap<Cid, (venus_core::Signature, Option<ChainEpoch>)>,
}

impl Pending {
    fn new(bls_sig_cache: usize) -> Self {
        Pending {
            by_sender: HashMap::new(),
            cids: HashMap::new(),
            local: HashSet::new(),
            bls_sigs: LruCache::new(bls_sig_cache.max(1)),
            local_bls: HashMap::new(),
        }
    }

    /// The signature of a BLS message seen, local or not.
    fn bls_sig(&mut self, cid: &Cid) -> Option<venus_core::Signature> {
        match self.local_bls.get_mut(cid) {
            Some((sig, landed)) => {
                *landed = None;
                Some(sig.clone())
            }
            None => self.bls_sigs.get(cid).cloned(),
        }
    }

    fn insert(&mut self, m: SignedMessage, cid: Cid) -> Option<SignedMessage> {
        let (from, nonce) = (m.message.from, m.message.sequence);
        let old = self.by_sender.entry(from).or_default().insert(nonce, m);
        if let Some(o) = &old {
            if let Ok(c) = o.cid() {
                self.cids.remove(&c);
                if c != cid {
                    // Replaced by fee: the old message may still land (it was
                    // broadcast), so its signature stays known, but bounded.
                    if let Some((sig, _)) = self.local_bls.remove(&c) {
                        self.bls_sigs.insert(c, sig);
                    }
                }
            }
        }
        self.cids.insert(cid, (from, nonce));
        old
    }

    /// A reverted message comes back as Lotus's `addSkipChecks` adds it: a
    /// pending message with its nonce (a replacement sent meanwhile) gives
    /// way only by the replace-by-fee rule.
    fn reinsert(&mut self, m: SignedMessage, cid: Cid) {
        let pending = self
            .by_sender
            .get(&m.message.from)
            .and_then(|msgs| msgs.get(&m.message.sequence));
        if let Some(existing) = pending {
            let same = existing.cid().ok() == Some(cid);
            if same || m.message.gas_premium < min_rbf(&existing.message.gas_premium) {
                tracing::debug!(target: "venus::mpool", %cid, "reverted message left out: the pending one with its nonce stays");
                return;
            }
        }
        self.insert(m, cid);
    }

    fn remove(&mut self, from: &Address, nonce: u64) {
        if let Some(msgs) = self.by_sender.get_mut(from) {
            if let Some(m) = msgs.remove(&nonce) {
                if let Ok(c) = m.cid() {
                    self.cids.remove(&c);
                }
            }
            if msgs.is_empty() {
                self.by_sender.remove(from);
            }
        }
    }

    fn len(&self) -> usize {
        self.cids.len()
    }

    /// The signature of a BLS message seen, without touching its bookkeeping.
    fn peek_bls_sig(&self, cid: &Cid) -> Option<venus_core::Signature> {
        match self.local_bls.get(cid) {
            Some((sig, _)) => Some(sig.clone()),
            None => self.bls_sigs.peek(cid).cloned(),
        }
    }
}

/// Where a message comes from; it decides the nonce-gap and per-sender rules
/// (Lotus's `Push`, `Add` and `PushUntrusted`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// The node's own trusted push: no nonce-gap limit, never pruned.
    Local,
    /// From the network (strict): at most `max_nonce_gap`, no replace-by-fee
    /// across a gap, and a fee cap of at least a hundredth of the base fee.
    Network,
    /// A push from an API caller the node does not trust (Lotus's
    /// `PushUntrusted`): not local (no republishing, prunable, the fee-cap
    /// floor applies), no nonce gap at all, and `max_pending_untrusted`
    /// messages per sender.
    Untrusted,
}

/// A message pool over a chain [`MpoolProvider`].
pub struct MessagePool {
    provider: Arc<dyn MpoolProvider>,
    config: MpoolConfig,
    head: Mutex<TipSet>,
    pending: Mutex<Pending>,
    /// When the pool was last pruned.
    last_prune: std::sync::Mutex<Option<std::time::Instant>>,
}

/// Lotus's `getBaseFeeLowerBound`: the base fee divided by `factor`, and at
/// least the 100 attoFIL minimum base fee.
fn base_fee_lower_bound(base_fee: &TokenAmount, factor: u64) -> TokenAmount {
    std::cmp::max(
        TokenAmount::from_atto(base_fee.atto() / factor),
        TokenAmount::from_atto(100),
    )
}

fn min_rbf(premium: &TokenAmount) -> TokenAmount {
    // new ≥ old × 1.10 + 1
    TokenAmount::from_atto(premium.atto() * 110 / 100 + 1)
}

impl MessagePool {
    /// A pool whose view of the chain starts at `head`.
    pub fn new(provider: Arc<dyn MpoolProvider>, head: TipSet, config: MpoolConfig) -> Self {
        MessagePool {
            provider,
            head: Mutex::new(head),
            pending: Mutex::new(Pending::new(config.bls_sig_cache)),
            last_prune: std::sync::Mutex::new(None),
            config,
        }
    }

    /// The pool's settings.
    pub fn config(&self) -> &MpoolConfig {
        &self.config
    }

    /// The nonce `addr`'s next message must use (Lotus's `GetNonce`): the
    /// sender's nonce after the head, moved past the pending messages
    /// that follow it without a gap. A sender the chain does not know
    /// starts at 0.
    pub async fn next_nonce(&self, addr: &Address) -> Result<u64> {
        let head = self.head.lock().await.clone();
        let mut nonce = match self.provider.actor(addr, &head).await {
            Ok((n, _)) => n,
            Err(venus_core::Error::NotFound(_)) => 0,
            Err(e) => return Err(e.into()),
        };
        let p = self.pending.lock().await;
        if let Some(msgs) = p.by_sender.get(addr) {
            while msgs.contains_key(&nonce) {
                nonce += 1;
            }
        }
        Ok(nonce)
    }

    /// Pending messages in all.
    pub async fn len(&self) -> usize {
        self.pending.lock().await.len()
    }

    /// Whether nothing is pending.
    pub async fn is_empty(&self) -> bool {
        self.len().await == 0
    }

    /// All pending messages.
    pub async fn pending(&self) -> Vec<SignedMessage> {
        self.pending
            .lock()
            .await
            .by_sender
            .values()
            .flat_map(|m| m.values().cloned())
            .collect()
    }

    /// Lotus's `checkMessage`: the size cap, a non-zero gas limit, the fee
    /// cap floor, and `ValidForBlockInclusion` at the configured version.
    fn check_message(&self, m: &SignedMessage) -> Result<()> {
        let size = m.to_cbor()?.len();
        if size > 64 << 10 {
            return Err(MpoolError::TooBig(size));
        }
        if m.message.gas_limit == 0 {
            return Err(MpoolError::GasLimitZero);
        }
        check_inclusion(m, self.config.network_version).map_err(|e| match e {
            NotIncludable::Version(v) => MpoolError::BadVersion(v),
            NotIncludable::GasLimitAboveBlock => MpoolError::GasLimitTooHigh(m.message.gas_limit),
            NotIncludable::GasLimitBelowMin { limit, min } => {
                MpoolError::GasLimitBelowMin { limit, min }
            }
            NotIncludable::PremiumAboveFeeCap => MpoolError::PremiumAboveFeeCap {
                premium: m.message.gas_premium.clone(),
                cap: m.message.gas_fee_cap.clone(),
            },
            other => MpoolError::NotIncludable(other),
        })?;
        if m.message.gas_fee_cap < TokenAmount::from_atto(100) {
            return Err(MpoolError::FeeCapTooLow(m.message.gas_fee_cap.clone()));
        }
        Ok(())
    }

    /// Verifies the signature on a blocking thread (a BLS check is ~1 ms of CPU).
    async fn check_signature(&self, m: &SignedMessage) -> Result<()> {
        let m = m.clone();
        match tokio::task::spawn_blocking(move || m.verify()).await {
            Ok(r) => r.map_err(|e| MpoolError::BadSignature(e.to_string())),
            Err(e) => Err(MpoolError::BadSignature(format!(
                "verification task failed: {e}"
            ))),
        }
    }

    /// Adds a message: `local` for the node's own pushes
    /// ([`Origin::Local`]), otherwise as from the network
    /// ([`Origin::Network`]). See [`MessagePool::add_from`].
    pub async fn add(&self, m: SignedMessage, local: bool) -> Result<Cid> {
        let origin = if local {
            Origin::Local
        } else {
            Origin::Network
        };
        self.add_from(m, origin).await
    }

    /// Adds a message under the rules of its [`Origin`], as Lotus's
    /// `msgSet.add` applies them. Each rule that fails gives its own
    /// [`MpoolError`]; a refused message changes nothing.
    pub async fn add_from(&self, m: SignedMessage, origin: Origin) -> Result<Cid> {
        let local = origin == Origin::Local;
        self.check_message(&m)?;
        let cid = m.cid()?;
        // Gossip re-delivers messages often: a duplicate costs no signature check.
        if self.pending.lock().await.cids.contains_key(&cid) {
            return Err(MpoolError::Duplicate(cid));
        }
        self.check_signature(&m).await?;
        // Held until the message is in: a head change cannot slip between
        // the state read below and the insert (Lotus holds `curTsLk`).
        let head_guard = self.head.lock().await;
        let head = head_guard.clone();
        if !local {
            // Lotus's `addTs`: a network message must be able to pay the base
            // fee for a while (the bound is a hundredth of it, at least 100).
            let bound = base_fee_lower_bound(&self.provider.base_fee(&head).await?, 100);
            if m.message.gas_fee_cap < bound {
                return Err(MpoolError::FeeCapBelowBaseFeeBound {
                    cap: m.message.gas_fee_cap.clone(),
                    bound,
                });
            }
        }
        let from = m.message.from;
        let (state_nonce, balance) = match self.provider.actor(&from, &head).await {
            Ok(s) => s,
            Err(venus_core::Error::NotFound(_)) => (0, TokenAmount::from_atto(0)),
            Err(e) => return Err(e.into()),
        };
        let mut p = self.pending.lock().await;
        if p.cids.contains_key(&cid) {
            return Err(MpoolError::Duplicate(cid));
        }
        let nonce = m.message.sequence;
        if nonce < state_nonce {
            return Err(MpoolError::NonceTooLow {
                nonce,
                expected: state_nonce,
            });
        }
        let mine = p.by_sender.get(&from);
        // The next nonce after the contiguous run of pending messages.
        let mut next = state_nonce;
        if let Some(msgs) = mine {
            while msgs.contains_key(&next) {
                next += 1;
            }
        }
        let max_gap = match origin {
            Origin::Local => None,
            Origin::Network => Some(self.config.max_nonce_gap),
            Origin::Untrusted => Some(0),
        };
        if let Some(max_gap) = max_gap {
            if nonce > next && nonce - next > max_gap {
                return Err(MpoolError::NonceGap {
                    nonce,
                    next,
                    gap: nonce - next,
                });
            }
        }
        let replacing = mine.and_then(|msgs| msgs.get(&nonce)).cloned();
        if replacing.is_some() && origin == Origin::Network && nonce > next {
            return Err(MpoolError::ReplaceAcrossGap { nonce, next });
        }
        if let Some(old) = &replacing {
            let min = min_rbf(&old.message.gas_premium);
            if m.message.gas_premium < min {
                return Err(MpoolError::ReplaceByFeeTooLow {
                    min,
                    got: m.message.gas_premium.clone(),
                });
            }
        }
        let cap = match origin {
            Origin::Untrusted => self.config.max_pending_untrusted,
            Origin::Local | Origin::Network => self.config.max_pending_trusted,
        };
        let count = mine.map(|m| m.len()).unwrap_or(0);
        if replacing.is_none() && count >= cap {
            return Err(MpoolError::TooManyPending(count));
        }
        // Lotus's `checkBalance`: `RequiredFunds`, fee cap × gas limit, of
        // this message and the sender's other pending ones; value is not
        // counted (a message whose value fails still pays for its gas).
        let cost = |x: &SignedMessage| &x.message.gas_fee_cap * x.message.gas_limit;
        let mut required = cost(&m);
        if let Some(msgs) = mine {
            for (n, other) in msgs {
                if *n != nonce {
                    required += cost(other);
                }
            }
        }
        if required > balance {
            return Err(MpoolError::InsufficientBalance { balance, required });
        }
        if local {
            p.local.insert(from);
        }
        if m.is_bls() {
            if local {
                p.local_bls.insert(cid, (m.signature.clone(), None));
            } else {
                p.bls_sigs.insert(cid, m.signature.clone());
            }
        }
        p.insert(m, cid);
        let over = p.len() > self.config.size_limit_high;
        drop(p);
        drop(head_guard);
        if over {
            self.prune().await;
        }
        tracing::debug!(target: "venus::mpool", %cid, %from, nonce, local, "message added");
        Ok(cid)
    }

    /// Lotus's `pruneMessages`, at most once per `prune_cooldown`: the
    /// messages of local and priority senders are kept and counted; every
    /// other sender's messages are chained over its real state after the head
    /// at a tenth of the base fee (at least 100), and chains are kept best
    /// first until `size_limit_low` messages are kept in all. Every other
    /// message goes, including those no chain takes (after a gap, unpayable).
    pub async fn prune(&self) {
        {
            let mut last = self.last_prune.lock().unwrap_or_else(|p| p.into_inner());
            if last.is_some_and(|t| t.elapsed() < self.config.prune_cooldown) {
                tracing::debug!(target: "venus::mpool", "pruning skipped: cooling down");
                return;
            }
            *last = Some(std::time::Instant::now());
        }
        let head = self.head.lock().await.clone();
        let base_fee = match self.provider.base_fee(&head).await {
            Ok(f) => f,
            Err(e) => {
                tracing::warn!(target: "venus::mpool", error = %e, "pruning skipped: no base fee");
                return;
            }
        };
        let bound = base_fee_lower_bound(&base_fee, 10);
        let (snapshot, protected) = {
            let p = self.pending.lock().await;
            if p.len() <= self.config.size_limit_low {
                return;
            }
            let keep: HashSet<Address> = p
                .local
                .iter()
                .chain(&self.config.priority_addrs)
                .copied()
                .collect();
            let mut protected = 0;
            let mut snapshot: Vec<(Address, Vec<SignedMessage>)> = Vec::new();
            for (a, msgs) in &p.by_sender {
                if keep.contains(a) {
                    protected += msgs.len();
                } else {
                    snapshot.push((*a, msgs.values().cloned().collect()));
                }
            }
            (snapshot, protected)
        };
        let mut senders = Vec::with_capacity(snapshot.len());
        for (addr, msgs) in snapshot {
            let (nonce, balance) = match self.provider.actor(&addr, &head).await {
                Ok(s) => s,
                Err(venus_core::Error::NotFound(_)) => (0, TokenAmount::from_atto(0)),
                Err(e) => {
                    tracing::warn!(target: "venus::mpool", error = %e, "pruning skipped: sender state unreadable");
                    return;
                }
            };
            senders.push((msgs, SenderState { nonce, balance }));
        }
        // Chain building and sorting: CPU work, off the async workers.
        let (nv, low) = (self.config.network_version, self.config.size_limit_low);
        let victims = tokio::task::spawn_blocking(move || {
            let mut all: Vec<(Address, u64)> = Vec::new();
            let mut chains: Vec<MsgChain> = Vec::new();
            for (msgs, state) in senders {
                all.extend(msgs.iter().map(|m| (m.message.from, m.message.sequence)));
                chains.extend(create_chains_at(msgs, &state, &bound, nv));
            }
            chains.sort_by(|a, b| b.gas_perf.total_cmp(&a.gas_perf));
            let mut kept: HashSet<(Address, u64)> = HashSet::new();
            let mut count = protected;
            'keep: for c in &chains {
                for m in &c.msgs {
                    if count >= low {
                        break 'keep;
                    }
                    kept.insert((m.message.from, m.message.sequence));
                    count += 1;
                }
            }
            all.retain(|k| !kept.contains(k));
            all
        })
        .await;
        let Ok(victims) = victims else {
            tracing::error!(target: "venus::mpool", "pruning task failed; the pool was not pruned");
            return;
        };
        let mut p = self.pending.lock().await;
        for (from, nonce) in &victims {
            p.remove(from, *nonce);
        }
        tracing::info!(target: "venus::mpool", pruned = victims.len(), remaining = p.len(), "pruned the pool");
    }

    /// Applies a head change: messages of `applied` tipsets leave the pool,
    /// those of `reverted` ones come back (unchecked; BLS ones when the pool
    /// saw their signature). `reverted` runs from the old head backwards, as
    /// `ChainNotify` gives it; after a revert alone the head is the parent of
    /// the oldest reverted tipset.
    pub async fn head_change(&self, reverted: &[TipSet], applied: &[TipSet]) -> Result<()> {
        // Held throughout, before `pending` (the order `add_from` takes them in).
        let mut head = self.head.lock().await;
        // The new head: the last applied tipset, or after a revert alone the
        // parent of the oldest reverted one (whose messages are pending again).
        let new_head = match (applied.last(), reverted.last()) {
            (Some(ts), _) => Some(ts.clone()),
            (None, Some(oldest)) => Some(self.provider.tipset(&oldest.parents()).await?),
            (None, None) => None,
        };
        let mut back = Vec::new();
        for ts in reverted {
            back.push(self.provider.messages_in(ts).await?);
        }
        let mut gone = Vec::new();
        for ts in applied {
            gone.push(self.provider.messages_in(ts).await?);
        }
        let mut p = self.pending.lock().await;
        for b in back {
            for m in b.secpk_messages {
                if let Ok(c) = m.cid() {
                    p.reinsert(m, c);
                }
            }
            for m in b.bls_messages {
                let Ok(c) = venus_core::types::message_cid(&m) else {
                    continue;
                };
                match p.bls_sig(&c) {
                    Some(signature) => {
                        p.reinsert(
                            SignedMessage {
                                message: m,
                                signature,
                            },
                            c,
                        );
                    }
                    None => {
                        tracing::debug!(target: "venus::mpool", cid = %c, "reverted BLS message without a known signature dropped")
                    }
                }
            }
        }
        for (b, ts) in gone.iter().zip(applied) {
            for m in &b.bls_messages {
                if let Ok(c) = venus_core::types::message_cid(m) {
                    if let Some((_, landed)) = p.local_bls.get_mut(&c) {
                        *landed = Some(ts.height());
                    }
                }
            }
            for m in b.messages() {
                p.remove(&m.from, m.sequence);
            }
        }
        if let Some(top) = applied.last().map(TipSet::height) {
            p.local_bls
                .retain(|_, (_, landed)| landed.is_none_or(|at| top - at < LOCAL_SIG_FINALITY));
        }
        drop(p);
        if let Some(ts) = new_head {
            *head = ts;
        }
        Ok(())
    }

    /// Local messages still pending, to re-broadcast.
    pub async fn republish_candidates(&self) -> Vec<SignedMessage> {
        let p = self.pending.lock().await;
        p.local
            .iter()
            .filter_map(|a| p.by_sender.get(a))
            .flat_map(|m| m.values().cloned())
            .collect()
    }

    /// Each sender's pending messages with its state after `base`, and the
    /// base fee of a block mined on `base` (the head when `None`). When the
    /// base is not the pool's head, the pending set is adjusted as Lotus's
    /// `getPendingMessages` does: the messages of tipsets between the head
    /// and the common ancestor come back (BLS ones whose signature the pool
    /// saw), and those of tipsets from there up to the base leave.
    async fn selection_inputs(
        &self,
        base: Option<&TipSet>,
    ) -> Result<(Vec<(Vec<SignedMessage>, SenderState)>, TokenAmount)> {
        // Held until the pending set is read, as Lotus holds `curTsLk`: a
        // head change cannot slip between the head and the pending set.
        let head_guard = self.head.lock().await;
        let head = head_guard.clone();
        let base = match base {
            Some(b) if b.key() != head.key() => b.clone(),
            _ => head.clone(),
        };
        let base_fee = self.provider.base_fee(&base).await?;
        let by_sender: Vec<(Address, Vec<SignedMessage>)> = if base.key() == head.key() {
            let p = self.pending.lock().await;
            p.by_sender
                .iter()
                .map(|(a, m)| (*a, m.values().cloned().collect()))
                .collect()
        } else {
            let (reverted, applied) = self.reorg_ops(&head, &base).await?;
            let mut back = Vec::new();
            for ts in &reverted {
                back.push(self.provider.messages_in(ts).await?);
            }
            let mut gone = Vec::new();
            for ts in &applied {
                gone.push(self.provider.messages_in(ts).await?);
            }
            let p = self.pending.lock().await;
            let mut set: HashMap<Address, BTreeMap<u64, SignedMessage>> = p.by_sender.clone();
            for b in back {
                let bls = b.bls_messages.into_iter().filter_map(|m| {
                    let c = venus_core::types::message_cid(&m).ok()?;
                    let signature = p.peek_bls_sig(&c)?;
                    Some(SignedMessage {
                        message: m,
                        signature,
                    })
                });
                for m in b.secpk_messages.into_iter().chain(bls.collect::<Vec<_>>()) {
                    set.entry(m.message.from)
                        .or_default()
                        .insert(m.message.sequence, m);
                }
            }
            drop(p);
            for b in gone {
                for m in b.messages() {
                    if let Some(msgs) = set.get_mut(&m.from) {
                        msgs.remove(&m.sequence);
                    }
                }
            }
            set.into_iter()
                .filter(|(_, m)| !m.is_empty())
                .map(|(a, m)| (a, m.into_values().collect()))
                .collect()
        };
        drop(head_guard);
        let mut inputs = Vec::with_capacity(by_sender.len());
        for (addr, msgs) in by_sender {
            let (nonce, balance) = match self.provider.actor(&addr, &base).await {
                Ok(s) => s,
                Err(venus_core::Error::NotFound(_)) => continue,
                Err(e) => return Err(e.into()),
            };
            inputs.push((msgs, SenderState { nonce, balance }));
        }
        Ok((inputs, base_fee))
    }

    /// Lotus's `ReorgOps`: the tipsets to revert from `from` (newest first)
    /// and to apply to reach `to` (newest first), walking back from the
    /// higher one until they meet. Unlike Lotus, the walk stops after
    /// [`MAX_SELECTION_DEPTH`] tipsets: a caller naming a base far from the
    /// head gets an error, not a walk through the whole chain.
    async fn reorg_ops(&self, from: &TipSet, to: &TipSet) -> Result<(Vec<TipSet>, Vec<TipSet>)> {
        let (mut left, mut right) = (from.clone(), to.clone());
        let (mut revert, mut apply) = (Vec::new(), Vec::new());
        while left.key() != right.key() {
            if revert.len() + apply.len() >= MAX_SELECTION_DEPTH {
                return Err(MpoolError::BaseTooFar {
                    base: to.key().to_string(),
                    head: from.key().to_string(),
                    depth: MAX_SELECTION_DEPTH,
                });
            }
            if left.height() > right.height() {
                let parent = self.provider.tipset(&left.parents()).await?;
                revert.push(std::mem::replace(&mut left, parent));
            } else {
                let parent = self.provider.tipset(&right.parents()).await?;
                apply.push(std::mem::replace(&mut right, parent));
            }
        }
        apply.reverse();
        Ok((revert, apply))
    }

    /// Reads the state, then builds the chains and runs `select` on a blocking
    /// thread: selecting from tens of thousands of messages takes tens of ms.
    async fn run_selection<T: Send + 'static>(
        &self,
        base: Option<&TipSet>,
        select: impl FnOnce(&[MsgChain], &[Address], &TokenAmount) -> T + Send + 'static,
    ) -> Result<T> {
        let (inputs, base_fee) = self.selection_inputs(base).await?;
        let priority = self.config.priority_addrs.clone();
        let nv = self.config.network_version;
        tokio::task::spawn_blocking(move || {
            let chains: Vec<MsgChain> = inputs
                .into_iter()
                .flat_map(|(m, s)| create_chains_at(m, &s, &base_fee, nv))
                .collect();
            select(&chains, &priority, &base_fee)
        })
        .await
        .map_err(|e| {
            MpoolError::State(venus_core::Error::Backend(format!(
                "selection task failed: {e}"
            )))
        })
    }

    /// Messages for one block on the current head, for a ticket of this quality.
    pub async fn select(&self, ticket_quality: f64) -> Result<Vec<SignedMessage>> {
        self.select_on(None, ticket_quality).await
    }

    /// Messages for one block mined on `base` (the head when `None`), as
    /// Lotus's `SelectMessages`: pending set and sender states as they
    /// stand after `base`, at the base fee of a block on `base`.
    pub async fn select_on(
        &self,
        base: Option<&TipSet>,
        ticket_quality: f64,
    ) -> Result<Vec<SignedMessage>> {
        let mut msgs = self
            .run_selection(base, move |c, prio, fee| {
                select_optimal(c, ticket_quality, BlockLimits::default(), prio, fee)
            })
            .await?;
        msgs.truncate(BlockLimits::default().messages);
        Ok(msgs)
    }

    /// Disjoint lists for several winners on the current head, in the order
    /// of `ticket_qualities` (see [`select_for_winners`]).
    pub async fn select_multi(&self, ticket_qualities: &[f64]) -> Result<Vec<Vec<SignedMessage>>> {
        self.select_multi_on(None, ticket_qualities).await
    }

    /// Disjoint lists for several winners mining on `base`: Venus's
    /// `MpoolSelects` (`MultipleSelectMessages`).
    pub async fn select_multi_on(
        &self,
        base: Option<&TipSet>,
        ticket_qualities: &[f64],
    ) -> Result<Vec<Vec<SignedMessage>>> {
        let q = ticket_qualities.to_vec();
        self.run_selection(base, move |c, prio, fee| {
            select_for_winners(c, &q, BlockLimits::default(), prio, fee)
        })
        .await
    }

    /// Messages for one more winner, leaving out the senders other pool winners already chose.
    pub async fn select_excluding(
        &self,
        ticket_quality: f64,
        already: &[SignedMessage],
    ) -> Result<Vec<SignedMessage>> {
        let already = already.to_vec();
        self.run_selection(None, move |c, prio, fee| {
            select_excluding(
                c,
                ticket_quality,
                &already,
                BlockLimits::default(),
                prio,
                fee,
            )
        })
        .await
    }
}
