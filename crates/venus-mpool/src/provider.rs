//! [`MpoolProvider`]: the chain state a pool needs.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use venus_core::traits::ChainApi;
use venus_core::types::{BlockMessages, TipSet, TipSetKey};
use venus_core::{Address, Result, TokenAmount};

/// What the pool reads from the chain.
///
/// Contract: reads at a given tipset are idempotent and cancel-safe. An
/// actor the chain does not know is [`venus_core::Error::NotFound`] (the
/// pool then treats it as nonce 0, balance 0).
#[async_trait]
pub trait MpoolProvider: Send + Sync {
    /// The actor's next nonce and balance in the state *after* `ts`'s own
    /// messages, as Lotus's pool reads them (`GetActorAfter`): a sender with
    /// a message in the head must next use the nonce after it.
    async fn actor(&self, addr: &Address, ts: &TipSet) -> Result<(u64, TokenAmount)>;

    /// The base fee of a block mined on `ts`, which the pool admits, prunes
    /// and selects at (Lotus's `ChainComputeBaseFee`; [`ChainProvider`]
    /// computes it with [`next_base_fee`](crate::next_base_fee)).
    async fn base_fee(&self, ts: &TipSet) -> Result<TokenAmount>;

    /// The messages `ts`'s blocks include (BLS ones unsigned, as blocks carry them).
    async fn messages_in(&self, ts: &TipSet) -> Result<BlockMessages>;

    /// The tipset with this key (the pool's head after a revert is the
    /// parent of the oldest reverted tipset).
    async fn tipset(&self, key: &TipSetKey) -> Result<TipSet>;
}

/// What one tipset's messages do: each sender's messages in execution
/// order, as (nonce, most it can spend), and the gas limits of its distinct
/// messages summed (for the next base fee).
#[derive(Default)]
struct Effects {
    by_sender: HashMap<Address, Vec<(u64, TokenAmount)>>,
    gas_limit_used: u64,
}

/// An [`MpoolProvider`] over any [`ChainApi`]: our devnet chain, a Lotus or
/// Venus node through `venus_api::lotus::LotusClient`, or `MemoryChain`.
///
/// A `ChainApi` reads actors in a tipset's parent state (`StateGetActor`),
/// before the tipset's own messages; this provider walks those messages on
/// top, as Lotus's pool does: each of the sender's messages whose nonce is
/// the next one moves the nonce on and takes the most it can spend (value +
/// fee cap × gas limit; the exact cost is only known after execution, so
/// the balance is a lower bound). The walk of the last tipset asked about is
/// cached.
///
/// The base fee is that of a block mined on the tipset, as Lotus's
/// `ChainComputeBaseFee`: [`next_base_fee`](crate::next_base_fee) of the
/// tipset's own base fee and its messages' gas limits.
pub struct ChainProvider {
    api: Arc<dyn ChainApi>,
    effects: Mutex<Option<(TipSetKey, Arc<Effects>)>>,
}

impl ChainProvider {
    /// A provider reading `api`.
    pub fn new(api: Arc<dyn ChainApi>) -> Self {
        ChainProvider {
            api,
            effects: Mutex::new(None),
        }
    }

    async fn effects(&self, ts: &TipSet) -> Result<Arc<Effects>> {
        let cached = self
            .lock()
            .as_ref()
            .and_then(|(key, e)| (key == ts.key()).then(|| e.clone()));
        if let Some(e) = cached {
            return Ok(e);
        }
        let msgs = self.messages_in(ts).await?;
        let mut effects = Effects::default();
        let mut seen = std::collections::HashSet::new();
        for m in msgs.messages() {
            // A message in several blocks of the tipset counts once.
            if !seen.insert(venus_core::types::message_cid(m)?) {
                continue;
            }
            effects.gas_limit_used = effects.gas_limit_used.saturating_add(m.gas_limit);
            let spend = &m.value + &m.gas_fee_cap * m.gas_limit;
            effects
                .by_sender
                .entry(m.from)
                .or_default()
                .push((m.sequence, spend));
        }
        let effects = Arc::new(effects);
        *self.lock() = Some((ts.key().clone(), effects.clone()));
        Ok(effects)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<(TipSetKey, Arc<Effects>)>> {
        self.effects.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[async_trait]
impl MpoolProvider for ChainProvider {
    async fn actor(&self, addr: &Address, ts: &TipSet) -> Result<(u64, TokenAmount)> {
        let a = self.api.actor(addr, ts.key()).await?;
        let (mut nonce, mut balance) = (a.nonce, a.balance);
        // A tipset whose messages cannot be read is the backend's failure,
        // not an unknown actor (which the pool would take for an empty one).
        let effects = self.effects(ts).await.map_err(|e| {
            venus_core::Error::Backend(format!("messages of tipset {}: {e}", ts.key()))
        })?;
        if let Some(msgs) = effects.by_sender.get(addr) {
            for (n, spend) in msgs {
                if *n == nonce {
                    nonce += 1;
                    balance = if *spend > balance {
                        TokenAmount::from_atto(0)
                    } else {
                        balance - spend
                    };
                }
            }
        }
        Ok((nonce, balance))
    }

    async fn base_fee(&self, ts: &TipSet) -> Result<TokenAmount> {
        // The tipset in hand carries its own; no round trip for it.
        let own = match ts.blocks().first() {
            Some(b) => b.parent_base_fee.clone(),
            None => self.api.parent_base_fee(ts.key()).await?,
        };
        let used = self.effects(ts).await?.gas_limit_used;
        Ok(crate::next_base_fee(&own, used, ts.key().cids().len()))
    }

    async fn messages_in(&self, ts: &TipSet) -> Result<BlockMessages> {
        let mut all = BlockMessages::default();
        for cid in ts.key().cids() {
            let b = self.api.block_messages(cid).await?;
            all.bls_messages.extend(b.bls_messages);
            all.secpk_messages.extend(b.secpk_messages);
            all.cids.extend(b.cids);
        }
        Ok(all)
    }

    async fn tipset(&self, key: &TipSetKey) -> Result<TipSet> {
        self.api.tipset(key).await
    }
}
