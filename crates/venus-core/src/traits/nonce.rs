//! [`NonceStore`]: handing out message nonces with no gap and no duplicate.

use std::collections::HashMap;

use async_trait::async_trait;
use fvm_shared::address::Address;
use tokio::sync::Mutex;

use crate::Result;

/// Assigns nonces per sender address.
///
/// Contract:
/// - `next` hands out each nonce exactly once, in order, with no gap, under
///   any number of concurrent callers. It is not idempotent (each call
///   consumes a nonce) and a nonce handed out stays handed out even if the
///   caller's future is dropped afterwards.
/// - `reconcile` raises the next nonce to the chain's when the chain is
///   ahead (messages sent elsewhere) and never lowers it (local messages
///   still pending). It is idempotent.
/// - An address never seen starts at 0; reconcile it first.
#[async_trait]
pub trait NonceStore: Send + Sync {
    /// Takes the next nonce for `addr`.
    async fn next(&self, addr: &Address) -> Result<u64>;

    /// The nonce `next` would hand out, without taking it.
    async fn peek(&self, addr: &Address) -> Result<u64>;

    /// Makes the next nonce at least `chain_nonce`; returns the next nonce.
    async fn reconcile(&self, addr: &Address, chain_nonce: u64) -> Result<u64>;
}

/// A [`NonceStore`] in memory, behind one async mutex.
#[derive(Default)]
pub struct MemoryNonceStore {
    next: Mutex<HashMap<Address, u64>>,
}

impl MemoryNonceStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }
}

#[async_trait]
impl NonceStore for MemoryNonceStore {
    async fn next(&self, addr: &Address) -> Result<u64> {
        let mut map = self.next.lock().await;
        let slot = map.entry(*addr).or_insert(0);
        let n = *slot;
        *slot += 1;
        Ok(n)
    }

    async fn peek(&self, addr: &Address) -> Result<u64> {
        Ok(self.next.lock().await.get(addr).copied().unwrap_or(0))
    }

    async fn reconcile(&self, addr: &Address, chain_nonce: u64) -> Result<u64> {
        let mut map = self.next.lock().await;
        let slot = map.entry(*addr).or_insert(0);
        *slot = (*slot).max(chain_nonce);
        Ok(*slot)
    }
}
