//! [`MpoolProvider`]: the chain state a pool needs.

use std::sync::Arc;

use async_trait::async_trait;
use venus_core::traits::ChainApi;
use venus_core::types::{BlockMessages, TipSet};
use venus_core::{Address, Result, TokenAmount};

/// What the pool reads from the chain.
///
/// Contract: reads at a given tipset are idempotent and cancel-safe. An
/// actor the chain does not know is [`venus_core::Error::NotFound`] (the
/// pool then treats it as nonce 0, balance 0).
#[async_trait]
pub trait MpoolProvider: Send + Sync {
    /// The actor's next nonce and balance in the state after `ts`.
    async fn actor(&self, addr: &Address, ts: &TipSet) -> Result<(u64, TokenAmount)>;

    /// The base fee the next block on `ts` pays.
    async fn base_fee(&self, ts: &TipSet) -> Result<TokenAmount>;

    /// The messages `ts`'s blocks include (BLS ones unsigned, as blocks carry them).
    async fn messages_in(&self, ts: &TipSet) -> Result<BlockMessages>;
}

/// An [`MpoolProvider`] over any [`ChainApi`]: our devnet chain, a Lotus or
/// Venus node through `venus_rpc::lotus::LotusClient`, or `MemoryChain`.
///
/// The base fee is read from the head's blocks (`ParentBaseFee`), the fee
/// the head itself paid; the next block's fee differs by at most 12.5 %.
pub struct ChainProvider(pub Arc<dyn ChainApi>);

#[async_trait]
impl MpoolProvider for ChainProvider {
    async fn actor(&self, addr: &Address, ts: &TipSet) -> Result<(u64, TokenAmount)> {
        let a = self.0.actor(addr, ts.key()).await?;
        Ok((a.nonce, a.balance))
    }

    async fn base_fee(&self, ts: &TipSet) -> Result<TokenAmount> {
        self.0.parent_base_fee(ts.key()).await
    }

    async fn messages_in(&self, ts: &TipSet) -> Result<BlockMessages> {
        let mut all = BlockMessages::default();
        for cid in ts.key().cids() {
            let b = self.0.block_messages(cid).await?;
            all.bls_messages.extend(b.bls_messages);
            all.secpk_messages.extend(b.secpk_messages);
            all.cids.extend(b.cids);
        }
        Ok(all)
    }
}
