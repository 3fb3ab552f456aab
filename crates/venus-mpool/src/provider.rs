//! [`MpoolProvider`]: the chain state a pool needs.

use async_trait::async_trait;
use venus_core::types::{SignedMessage, TipSet};
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

    /// The messages `ts`'s blocks include (BLS ones with their signatures as pushed, when known).
    async fn messages_in(&self, ts: &TipSet) -> Result<Vec<SignedMessage>>;
}
