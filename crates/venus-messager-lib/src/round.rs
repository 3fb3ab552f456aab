//! One pass of the messager over the chain's head, and the loop that runs
//! a pass on every head change: reverts first, then for each address this
//! instance holds: track what landed, sign what a crash left unsigned,
//! fill new messages, replace stuck ones, push again what is pending.

use std::collections::HashMap;
use std::time::Duration;

use futures::StreamExt;
use venus_core::types::{HeadChangeType, MessageSendSpec, MsgMeta, SignedMessage, TipSet};
use venus_core::{Address, Message, TokenAmount};

use crate::fee::{min_replace_premium, FeeSpec};
use crate::gas::stored_rules;
use crate::push::push_all;
use crate::store::Landed;
use crate::{
    now_ms, AddressInfo, AddressState, MessageState, Messager, MessagerError, MsgRecord, Result,
};

const T: &str = "venus::messager";

/// How [`Messager::replace`] sets the replacement's gas (Venus's
/// `ReplacMessageParams`). `Default`: re-estimated, as a stuck message is
/// replaced.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReplaceSpec {
    /// Take `gas_premium` and `gas_fee_cap` as given (Venus's `Auto`
    /// false) instead of re-estimating.
    pub manual: bool,
    /// The most the replacement may cost (default: the message's rules).
    pub max_fee: Option<TokenAmount>,
    /// The gas limit (0: kept).
    pub gas_limit: u64,
    /// The premium: at least this (estimated), or this (manual). Below the
    /// node's replace-by-fee minimum it is refused.
    pub gas_premium: Option<TokenAmount>,
    /// The fee cap (manual; default: the old one).
    pub gas_fee_cap: Option<TokenAmount>,
    /// Estimated: the premium is the estimate times this.
    pub gas_over_premium: Option<f64>,
}

/// What one pass did, for logs, metrics and tests.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PassReport {
    /// Addresses this instance held in the pass.
    pub addresses: usize,
    /// Messages filled (nonce, gas, signature).
    pub filled: usize,
    /// Messages signed (new, recovered from a crash, or replaced).
    pub signed: usize,
    /// Messages found on chain.
    pub landed: usize,
    /// Messages whose nonce another message took.
    pub conflicts: usize,
    /// Messages replaced with a higher premium.
    pub replaced: usize,
    /// Messages whose estimate failed (they wait, unfilled).
    pub estimate_failures: usize,
    /// Pushes refused by every node.
    pub push_failures: usize,
}

impl PassReport {
    /// Adds `other`'s counts to these.
    pub fn add(&mut self, other: &PassReport) {
        self.addresses += other.addresses;
        self.filled += other.filled;
        self.signed += other.signed;
        self.landed += other.landed;
        self.conflicts += other.conflicts;
        self.replaced += other.replaced;
        self.estimate_failures += other.estimate_failures;
        self.push_failures += other.push_failures;
    }
}

/// Messages whose landing is searched at once.
const SEARCH_CONCURRENCY: usize = 16;

/// What the chain says of a message's versions.
enum Search {
    /// One landed.
    Landed(Box<venus_core::types::MsgLookup>),
    /// Another message took the nonce.
    Other,
    /// Not known yet.
    Unknown,
}

/// Epochs after which a pending message this process pushed is pushed
/// again (a node may have dropped it).
pub const REPUBLISH_EPOCHS: i64 = 3;

/// Epochs after which a message the node cannot find at all, while the
/// chain's nonce has passed it, counts as not landed (Lotus's finality):
/// a node that is syncing or lost a block answers "not found" for a while.
pub const FINALITY: i64 = 900;

/// Whether a search error means "not on chain as ours": the nonce went to
/// another message (Lotus's and our node's "equal nonce"); a node that
/// has never seen the CID counts only after [`FINALITY`].
fn means_other_landed(e: &venus_core::Error, final_: bool) -> bool {
    e.to_string().contains("equal nonce") || (final_ && matches!(e, venus_core::Error::NotFound(_)))
}

impl Messager {
    /// Messages on chain at `height` or above go back to filled (a revert
    /// took them off the chain) and are pushed again on the next pass.
    pub async fn revert_from(&self, height: i64) -> Result<Vec<String>> {
        let ids = self.inner.store.revert_from(height).await?;
        if !ids.is_empty() {
            tracing::info!(target: T, height, count = ids.len(), "messages reverted off the chain");
        }
        Ok(ids)
    }

    /// Checks that messages on chain within `depth` epochs of the head are
    /// still on the head's chain (a revert may have been missed while the
    /// messager was down or its head-change stream was dropped); the lowest
    /// that is not, and every one above it, go back to filled.
    pub async fn recheck(&self, depth: i64) -> Result<Vec<String>> {
        let head = self.head().await?;
        let on_chain = self
            .inner
            .store
            .list(&crate::store::ListQuery {
                states: vec![MessageState::OnChain, MessageState::NonceConflict],
                min_height: Some(head.height() - depth),
                ..Default::default()
            })
            .await?;
        let mut lowest: Option<i64> = None;
        // Each (height, tipset) asked of the chain once.
        let mut checked: HashMap<i64, Option<venus_core::types::TipSetKey>> = HashMap::new();
        for m in on_chain {
            let (Some(h), Some(key)) = (m.height, m.tipset.as_ref()) else {
                continue;
            };
            if lowest.is_some_and(|l| h >= l) {
                continue;
            }
            let here = match checked.get(&h) {
                Some(k) => k.clone(),
                None => {
                    let k = if h > head.height() {
                        None
                    } else {
                        self.inner
                            .chain
                            .tipset_by_height(h, head.key())
                            .await
                            .ok()
                            .map(|t| t.key().clone())
                    };
                    checked.insert(h, k.clone());
                    k
                }
            };
            if here.as_ref() != Some(key) {
                lowest = Some(h);
            }
        }
        match lowest {
            Some(h) => self.revert_from(h).await,
            None => Ok(Vec::new()),
        }
    }

    /// One pass over the current head.
    pub async fn pass(&self) -> Result<PassReport> {
        let _one = self.inner.pass.lock().await;
        let head = self.head().await?;
        let mut report = PassReport::default();
        let now = now_ms();
        let until = now + self.inner.config.lease_ttl.as_millis() as i64;
        for info in self.inner.store.addresses().await? {
            if info.state != AddressState::Alive {
                // Switched off: nothing new is filled, signed or pushed,
                // but what was pushed is still followed to the chain.
                let nonce = self.chain_nonce(&info.addr, &head).await?;
                self.track(&info.addr, nonce, &head, &mut report).await?;
                continue;
            }
            let me = &self.inner.config.instance;
            if !self.inner.store.lease(&info.addr, me, now, until).await? {
                continue;
            }
            report.addresses += 1;
            if let Err(e) = self.address_pass(&info, &head, &mut report).await {
                tracing::warn!(target: T, addr = %info.addr, error = %e, "address pass failed");
            }
        }
        self.inner
            .totals
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .add(&report);
        Ok(report)
    }

    /// Follows the filled messages of `addr` to the chain now (Venus's
    /// `UpdateFilledMessageByID` and `UpdateAllFilledMessage`): what landed
    /// moves to on chain, what another message's nonce took to nonce
    /// conflict. Nothing is filled, signed or pushed.
    pub async fn refresh_address(&self, addr: &Address) -> Result<PassReport> {
        let head = self.head().await?;
        let nonce = self.chain_nonce(addr, &head).await?;
        let mut report = PassReport::default();
        self.track(addr, nonce, &head, &mut report).await?;
        Ok(report)
    }

    /// Pushes a filled, signed message to the nodes again (Venus's
    /// `RepublishMessage`); returns how many nodes took it.
    pub async fn republish(&self, id: &str) -> Result<usize> {
        let m = self.get(id).await?;
        let signed = match (m.state, m.signed()) {
            (MessageState::Filled, Some(s)) => s,
            (state, _) => {
                return Err(MessagerError::State {
                    id: id.into(),
                    state,
                    what: "only a filled, signed message is pushed again",
                })
            }
        };
        let nodes = self.push_nodes();
        let c = &self.inner.config;
        let outcome = push_all(&nodes, &[signed], c.push_concurrency, c.push_timeout).await;
        Ok(outcome.first().map_or(0, |o| o.accepted))
    }

    async fn address_pass(
        &self,
        info: &AddressInfo,
        head: &TipSet,
        report: &mut PassReport,
    ) -> Result<()> {
        let addr = info.addr;
        let chain_nonce = self.chain_nonce(&addr, head).await?;
        let next = self.inner.store.reconcile_nonce(&addr, chain_nonce).await?;
        self.track(&addr, chain_nonce, head, report).await?;

        let filled = self.inner.store.filled(&addr).await?;
        let unsigned: Vec<MsgRecord> = filled
            .iter()
            .filter(|m| m.signature.is_none())
            .cloned()
            .collect();
        let mut to_push = self.sign(unsigned, report).await?;
        let pending = filled.len();
        let room = match info.sel_msg_num {
            0 => self.inner.config.sel_msg_num,
            n => n,
        }
        .saturating_sub(pending as u64);
        // No nonce for messages no wallet can sign yet.
        let room = if self.inner.signers.signer(&addr).is_some() {
            room
        } else {
            tracing::warn!(target: T, %addr, "no wallet holds this address's key: its messages wait unfilled");
            0
        };
        if room > 0 {
            let fresh = self.fill(info, head, next, room, report).await?;
            to_push.extend(self.sign(fresh, report).await?);
        }

        to_push.extend(self.replace_stuck(info, head, chain_nonce, report).await?);
        // Pending messages signed before this pass are pushed again (a node
        // may have dropped them) when this process has not pushed them for
        // REPUBLISH_EPOCHS (or at all: after a restart, every one once).
        let pushed: std::collections::HashSet<_> =
            to_push.iter().map(|m| m.message.sequence).collect();
        {
            let mut at = self
                .inner
                .pushed_at
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            at.retain(|(a, n), _| *a != addr || *n >= chain_nonce);
            for m in &filled {
                if let (Some(s), Some(n)) = (m.signed(), m.nonce) {
                    let due = at
                        .get(&(addr, n))
                        .is_none_or(|e| head.height() - e >= REPUBLISH_EPOCHS);
                    if n >= chain_nonce && !pushed.contains(&n) && due {
                        to_push.push(s);
                    }
                }
            }
            for m in &to_push {
                at.insert((addr, m.message.sequence), head.height());
            }
        }
        to_push.sort_by_key(|m| m.message.sequence);
        self.push_signed(&to_push, report).await;
        Ok(())
    }

    /// Filled messages whose nonce the chain passed: ours landed, or
    /// another message took the nonce.
    async fn track(
        &self,
        addr: &Address,
        chain_nonce: u64,
        head: &TipSet,
        report: &mut PassReport,
    ) -> Result<()> {
        let mut batch = Vec::new();
        let passed: Vec<MsgRecord> = self
            .inner
            .store
            .filled(addr)
            .await?
            .into_iter()
            .take_while(|m| m.nonce.is_some_and(|n| n < chain_nonce))
            .collect();
        // Searched SEARCH_CONCURRENCY messages at a time.
        for chunk in passed.chunks(SEARCH_CONCURRENCY) {
            let mut searches = Vec::with_capacity(chunk.len());
            for m in chunk {
                searches.push(self.search_versions(m, head));
            }
            for (m, outcome) in chunk.iter().zip(futures::future::join_all(searches).await) {
                match outcome {
                    Search::Landed(l) => {
                        let l = *l;
                        let landed = Landed {
                            cid: l.message,
                            receipt: l.receipt,
                            height: l.height,
                            tipset: l.tipset,
                        };
                        tracing::debug!(target: T, id = %m.id, nonce = ?m.nonce, cid = %landed.cid, height = landed.height, "message on chain");
                        batch.push((m.id.clone(), landed));
                    }
                    Search::Other => {
                        self.inner
                            .store
                            .conflicted(&m.id, head.height(), head.key())
                            .await?;
                        tracing::warn!(target: T, id = %m.id, from = %addr, nonce = ?m.nonce, "another message took this nonce");
                        report.conflicts += 1;
                    }
                    Search::Unknown => {}
                }
            }
        }
        if !batch.is_empty() {
            let moved = self.inner.store.landed(&batch).await?;
            tracing::info!(target: T, %addr, landed = moved, "messages on chain");
            report.landed += moved;
        }
        Ok(())
    }

    /// Which version of `m` (signed now, or before a replace) the chain
    /// executed, if any. The secp unsigned CID is never searched (no chain
    /// holds it); a message never signed cannot have landed as ours.
    async fn search_versions(&self, m: &MsgRecord, head: &TipSet) -> Search {
        let mut candidates: Vec<cid::Cid> = m.signed_cid.into_iter().collect();
        candidates.extend(m.replaced.iter().rev().copied());
        let final_ = head.height() - m.filled_epoch.unwrap_or(0) >= FINALITY;
        let mut other = 0;
        for c in &candidates {
            match self.inner.chain.search_message(c).await {
                Ok(Some(l)) => return Search::Landed(Box::new(l)),
                Ok(None) => other += 1,
                Err(e) if means_other_landed(&e, final_) => other += 1,
                Err(e) => {
                    tracing::debug!(target: T, id = %m.id, error = %e, "search failed; trying again next pass");
                    return Search::Unknown;
                }
            }
        }
        if other == candidates.len() {
            Search::Other
        } else {
            Search::Unknown
        }
    }

    /// Estimates and fills up to `room` unfilled messages of the address,
    /// whose next nonce is `next`.
    async fn fill(
        &self,
        info: &AddressInfo,
        head: &TipSet,
        next: u64,
        room: u64,
        report: &mut PassReport,
    ) -> Result<Vec<MsgRecord>> {
        let store = &self.inner.store;
        let candidates = store.unfilled(&info.addr, room).await?;
        if candidates.is_empty() {
            return Ok(Vec::new());
        }
        let base_fee = self
            .inner
            .chain
            .parent_base_fee(head.key())
            .await
            .map_err(|e| MessagerError::Node(format!("base fee: {e}")))?;
        // Looked up once per recipient and per (actor code, method).
        let mut codes: HashMap<Address, Option<String>> = HashMap::new();
        let mut stored: HashMap<(Option<String>, u64), FeeSpec> = HashMap::new();
        let mut asks = Vec::new();
        for m in candidates {
            if m.spec.expire_epoch > 0 && head.height() > m.spec.expire_epoch {
                let why = format!("expired at epoch {}", m.spec.expire_epoch);
                store.fail(&m.id, &why).await?;
                continue;
            }
            let to = m.message.to;
            let code = match codes.get(&to) {
                Some(c) => c.clone(),
                None => {
                    let c = self.actor_code(&to, head).await.unwrap_or(None);
                    codes.insert(to, c.clone());
                    c
                }
            };
            let key = (code, m.message.method_num);
            let base = match stored.get(&key) {
                Some(r) => r.clone(),
                None => {
                    let r = stored_rules(store.as_ref(), key.0.as_deref(), key.1).await?;
                    stored.insert(key, r.clone());
                    r
                }
            };
            let rules = self.merged_rules(&m, info, &base);
            if rules.holds_at(&base_fee) {
                tracing::debug!(target: T, id = %m.id, %base_fee, "held: base fee above the cut-off");
                continue;
            }
            let mut msg = m.message.clone();
            msg.sequence = next + asks.len() as u64;
            crate::fee::prepare(&rules, &mut msg);
            let limit_estimated = msg.gas_limit == 0;
            let spec = MessageSendSpec {
                max_fee: rules.max_fee.clone().unwrap_or_default(),
                ..Default::default()
            };
            asks.push((m.id.clone(), rules, limit_estimated, msg, spec));
        }
        let estimates = self
            .inner
            .estimator
            .estimate(
                asks.iter().map(|a| (a.3.clone(), a.4.clone())).collect(),
                head.key(),
            )
            .await;
        let mut ok: Vec<(String, Message)> = Vec::new();
        for ((id, rules, limit_estimated, _, _), est) in asks.into_iter().zip(estimates) {
            match est {
                Ok(msg) if msg.gas_limit == 0 || msg.gas_fee_cap.is_zero() => {
                    // A node that answers no gas limit or fee cap (a Venus
                    // node given no over-estimation) must not fill the
                    // message: no pool would take it.
                    store
                        .set_error(&id, "the node's estimate has no gas limit or fee cap")
                        .await?;
                    report.estimate_failures += 1;
                }
                Ok(mut msg) => {
                    crate::fee::apply(&rules, &mut msg, limit_estimated);
                    if msg.gas_limit > venus_core::gas::BLOCK_GAS_LIMIT {
                        store
                            .set_error(&id, "gas limit above the block gas limit")
                            .await?;
                        report.estimate_failures += 1;
                        continue;
                    }
                    ok.push((id, msg));
                }
                Err(e) => {
                    tracing::info!(target: T, %id, error = %e, "estimate failed; the message waits");
                    store.set_error(&id, &e.to_string()).await?;
                    report.estimate_failures += 1;
                }
            }
        }
        // Estimates can take long (a node's batch estimate grows with the
        // square of the batch): the lease is renewed before the fill checks
        // it, so a slow pass still fills instead of failing every time.
        let me = &self.inner.config.instance;
        let now = now_ms();
        let until = now + self.inner.config.lease_ttl.as_millis() as i64;
        if !store.lease(&info.addr, me, now, until).await? {
            return Err(MessagerError::NotOwner(info.addr.to_string()));
        }
        let filled = store.fill(&info.addr, me, &ok, head.height()).await?;
        report.filled += filled.len();
        Ok(filled)
    }

    /// The actor code of `to` at `head`; `None` when it has no actor yet.
    async fn actor_code(&self, to: &Address, head: &TipSet) -> Result<Option<String>> {
        match self.inner.chain.actor(to, head.key()).await {
            Ok(a) => Ok(Some(a.code.to_string())),
            Err(venus_core::Error::NotFound(_)) => Ok(None),
            Err(e) => Err(MessagerError::Node(format!("actor {to}: {e}"))),
        }
    }

    /// A message's fee rules: its own, its address's, the `stored` ones
    /// ([`stored_rules`]), then the configured global ones.
    fn merged_rules(&self, m: &MsgRecord, info: &AddressInfo, stored: &FeeSpec) -> FeeSpec {
        m.spec
            .fee
            .or(&info.fee)
            .or(stored)
            .or(&self.inner.config.fee)
    }

    /// Asks the wallet to sign `msgs` (each with the message as the object
    /// signed), stores the signatures, and returns the signed messages.
    /// A message the wallet does not sign stays filled and unsigned, and is
    /// asked for again on the next pass.
    async fn sign(
        &self,
        msgs: Vec<MsgRecord>,
        report: &mut PassReport,
    ) -> Result<Vec<SignedMessage>> {
        if msgs.is_empty() {
            return Ok(Vec::new());
        }
        // Chunks joined in turn, not a buffered stream of closures: the
        // pass runs in spawned tasks, where closures borrowing `self` trip
        // the compiler's higher-ranked `Send` check.
        let mut signed: Vec<Option<(String, SignedMessage)>> = Vec::with_capacity(msgs.len());
        for chunk in msgs.chunks(16) {
            let mut calls = Vec::with_capacity(chunk.len());
            for m in chunk {
                calls.push(async move {
                    match self.sign_one(&m.message).await {
                        Ok(s) => Some((m.id.clone(), s)),
                        Err(e) => {
                            tracing::warn!(target: T, id = %m.id, error = %e, "not signed; asking again next pass");
                            None
                        }
                    }
                });
            }
            signed.extend(futures::future::join_all(calls).await);
        }
        let mut rows = Vec::new();
        let mut out = Vec::new();
        for (id, s) in signed.into_iter().flatten() {
            let cid = s.cid().map_err(|e| MessagerError::Invalid(e.to_string()))?;
            let unsigned = venus_core::types::message_cid(&s.message)
                .map_err(|e| MessagerError::Invalid(e.to_string()))?;
            rows.push((id, s.signature.clone(), cid, unsigned));
            out.push(s);
        }
        self.inner.store.set_signed(&rows).await?;
        report.signed += out.len();
        Ok(out)
    }

    async fn sign_one(&self, msg: &Message) -> Result<SignedMessage> {
        let signer = self
            .inner
            .signers
            .signer(&msg.from)
            .ok_or_else(|| MessagerError::Wallet(format!("no wallet holds {}", msg.from)))?;
        let cid = venus_core::types::message_cid(msg)
            .map_err(|e| MessagerError::Invalid(e.to_string()))?;
        let meta = MsgMeta::message(msg).map_err(|e| MessagerError::Invalid(e.to_string()))?;
        let signature = signer
            .sign(&msg.from, &cid.to_bytes(), &meta)
            .await
            .map_err(|e| MessagerError::Wallet(e.to_string()))?;
        Ok(SignedMessage {
            message: msg.clone(),
            signature,
        })
    }

    /// Replaces the address's pending messages signed at least
    /// `replace_after_epochs` ago.
    async fn replace_stuck(
        &self,
        info: &AddressInfo,
        head: &TipSet,
        chain_nonce: u64,
        report: &mut PassReport,
    ) -> Result<Vec<SignedMessage>> {
        let after = self.inner.config.replace_after_epochs;
        if after <= 0 {
            return Ok(Vec::new());
        }
        let mut out = Vec::new();
        for m in self.inner.store.filled(&info.addr).await? {
            // Only what the chain has not passed: a message below the
            // chain's nonce is the tracker's to resolve.
            let stuck = m.signature.is_some()
                && m.nonce.is_some_and(|n| n >= chain_nonce)
                && m.filled_epoch.is_some_and(|e| head.height() - e >= after);
            if !stuck {
                continue;
            }
            match self
                .replace_one(&m, info, head, &ReplaceSpec::default())
                .await
            {
                Ok(s) => {
                    report.replaced += 1;
                    report.signed += 1;
                    out.push(s);
                }
                Err(e) => tracing::warn!(target: T, id = %m.id, error = %e, "not replaced"),
            }
        }
        Ok(out)
    }

    /// Replaces a filled message as `how` says (by default: a new premium
    /// of at least the node's replace-by-fee minimum, the fee cap
    /// re-estimated, both capped by `MaxFee`); the replacement is recorded
    /// before it is signed, and the old CID kept so that whichever lands is
    /// found.
    pub(crate) async fn replace_one(
        &self,
        m: &MsgRecord,
        info: &AddressInfo,
        head: &TipSet,
        how: &ReplaceSpec,
    ) -> Result<SignedMessage> {
        let old = &m.message;
        let code = self.actor_code(&old.to, head).await?;
        let base = stored_rules(self.inner.store.as_ref(), code.as_deref(), old.method_num).await?;
        let rules = self.merged_rules(m, info, &base);
        let max_fee = how.max_fee.clone().or(rules.max_fee.clone());
        let min = min_replace_premium(&old.gas_premium);
        let mut new = old.clone();
        if how.gas_limit > 0 {
            let size = venus_core::encoding::to_cbor(old)
                .map_err(|e| MessagerError::Invalid(e.to_string()))?
                .len();
            crate::messager::check_gas_limit(how.gas_limit, size)?;
            new.gas_limit = how.gas_limit;
        }
        if how.manual {
            // The caller's values, checked, not estimated.
            new.gas_premium = how.gas_premium.clone().unwrap_or_else(|| min.clone());
            new.gas_fee_cap = [
                how.gas_fee_cap
                    .clone()
                    .unwrap_or_else(|| old.gas_fee_cap.clone()),
                new.gas_premium.clone(),
            ]
            .into_iter()
            .max()
            .unwrap_or_default();
        } else {
            let mut ask = new.clone();
            ask.gas_premium = TokenAmount::default();
            ask.gas_fee_cap = TokenAmount::default();
            let spec = MessageSendSpec {
                max_fee: max_fee.clone().unwrap_or_default(),
                ..Default::default()
            };
            let est = self
                .inner
                .estimator
                .estimate(vec![(ask, spec)], head.key())
                .await
                .pop()
                .unwrap_or_else(|| Err(MessagerError::Node("no estimate".into())))?;
            let estimated = match how.gas_over_premium.filter(|r| r.is_finite() && *r > 0.0) {
                Some(r) => crate::fee::scale(&est.gas_premium, r),
                None => est.gas_premium,
            };
            new.gas_premium = [
                estimated,
                min.clone(),
                how.gas_premium.clone().unwrap_or_default(),
            ]
            .into_iter()
            .max()
            .unwrap_or_default();
            new.gas_fee_cap = [
                est.gas_fee_cap,
                old.gas_fee_cap.clone(),
                new.gas_premium.clone(),
            ]
            .into_iter()
            .max()
            .unwrap_or_default();
        }
        crate::fee::cap(
            &FeeSpec {
                max_fee,
                ..Default::default()
            },
            &mut new,
        );
        if new.gas_premium < min {
            return Err(MessagerError::Invalid(format!(
                "a replacement needs a premium of at least {} attoFIL, above what MaxFee allows",
                min.atto()
            )));
        }
        let rec = self.inner.store.replace(&m.id, &new, head.height()).await?;
        let signed = self.sign_one(&rec.message).await?;
        let cid = signed
            .cid()
            .map_err(|e| MessagerError::Invalid(e.to_string()))?;
        self.inner
            .store
            .set_signed(&[(
                m.id.clone(),
                signed.signature.clone(),
                cid,
                rec.unsigned_cid.unwrap_or(cid),
            )])
            .await?;
        tracing::info!(target: T, id = %m.id, nonce = new.sequence, premium = %new.gas_premium.atto(), "message replaced");
        Ok(signed)
    }

    /// Replaces the message `id` now as `how` says (Venus's
    /// `ReplaceMessage`); returns the new CID.
    pub async fn replace(&self, id: &str, how: &ReplaceSpec) -> Result<cid::Cid> {
        // Not while a pass signs or replaces.
        let _one = self.inner.pass.lock().await;
        let m = self.get(id).await?;
        let info = self
            .inner
            .store
            .address(&m.message.from)
            .await?
            .ok_or_else(|| MessagerError::Address(m.message.from.to_string()))?;
        let head = self.head().await?;
        let signed = self.replace_one(&m, &info, &head, how).await?;
        let mut report = PassReport::default();
        self.push_signed(std::slice::from_ref(&signed), &mut report)
            .await;
        signed
            .cid()
            .map_err(|e| MessagerError::Invalid(e.to_string()))
    }

    /// The nodes messages are pushed to now.
    fn push_nodes(&self) -> Vec<crate::push::PushNode> {
        self.inner
            .nodes
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    async fn push_signed(&self, msgs: &[SignedMessage], report: &mut PassReport) {
        if msgs.is_empty() {
            return;
        }
        let nodes = self.push_nodes();
        let c = &self.inner.config;
        for (m, o) in msgs
            .iter()
            .zip(push_all(&nodes, msgs, c.push_concurrency, c.push_timeout).await)
        {
            if o.accepted == 0 {
                report.push_failures += 1;
                tracing::debug!(target: T, from = %m.message.from, nonce = m.message.sequence, failed = ?o.failed, "no node took the message");
            }
        }
    }

    /// Runs passes until `stop` resolves: one at start (it finds messages
    /// that landed while the messager was down), one per head change (after
    /// moving reverted messages back to filled), and one every third of the
    /// lease time without one. Gives up its address leases when it stops.
    pub async fn run(&self, stop: impl std::future::Future<Output = ()>) -> Result<()> {
        tokio::pin!(stop);
        let tick = self.inner.config.lease_ttl / 3;
        let mut heads = None;
        let mut last_recheck: Option<tokio::time::Instant> = None;
        loop {
            if heads.is_none() {
                heads = match self.inner.chain.subscribe_head_changes().await {
                    Ok(h) => Some(h),
                    Err(e) => {
                        if last_recheck.is_none() {
                            tracing::warn!(target: T, error = %e, "no head changes from the node (connect over ws for them): polling, reverts found by a recheck every minute");
                        }
                        None
                    }
                };
                // Reverts missed while down or unsubscribed: at every
                // (re)subscription, and once a minute while polling.
                let due = heads.is_some()
                    || last_recheck.is_none_or(|t| t.elapsed() >= Duration::from_secs(60));
                if due {
                    last_recheck = Some(tokio::time::Instant::now());
                    if let Err(e) = self.recheck(FINALITY).await {
                        tracing::warn!(target: T, error = %e, "recheck failed");
                    }
                }
            }
            if let Err(e) = self.pass().await {
                tracing::warn!(target: T, error = %e, "pass failed");
            }
            let next = async {
                match heads.as_mut() {
                    Some(h) => tokio::time::timeout(tick, h.next()).await,
                    None => {
                        tokio::time::sleep(Duration::from_secs(1)).await;
                        Ok(None)
                    }
                }
            };
            tokio::select! {
                biased;
                _ = &mut stop => break,
                got = next => match got {
                    Ok(Some(changes)) => {
                        let lowest = changes
                            .iter()
                            .filter(|c| c.change_type == HeadChangeType::Revert)
                            .map(|c| c.val.height())
                            .min();
                        if let Some(h) = lowest {
                            if let Err(e) = self.revert_from(h).await {
                                tracing::warn!(target: T, error = %e, "revert failed");
                            }
                        }
                    }
                    Ok(None) => heads = None,
                    Err(_) => {}
                },
            }
        }
        for a in self.inner.store.addresses().await.unwrap_or_default() {
            let _ = self
                .inner
                .store
                .release(&a.addr, &self.inner.config.instance)
                .await;
        }
        Ok(())
    }
}
