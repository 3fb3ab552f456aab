//! [`Buffered`]: a blockstore that keeps writes in memory and hands them
//! to the store beneath in one batch ([`Buffered::flush`]), so applying a
//! tipset costs the backing store one write (one RocksDB write batch)
//! instead of one per HAMT node.

use std::collections::HashMap;
use std::sync::Mutex;

use cid::Cid;
use fvm_ipld_blockstore::Blockstore;

/// Writes held in memory over a backing store; reads see them.
#[derive(Debug)]
pub struct Buffered<BS> {
    inner: BS,
    pending: Mutex<HashMap<Cid, Vec<u8>>>,
}

impl<BS: Blockstore> Buffered<BS> {
    /// An empty buffer over `inner`.
    pub fn new(inner: BS) -> Self {
        Buffered {
            inner,
            pending: Mutex::new(HashMap::new()),
        }
    }

    fn pending(&self) -> std::sync::MutexGuard<'_, HashMap<Cid, Vec<u8>>> {
        // A panic while holding the lock left the map whole: keep going.
        self.pending.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Blocks waiting to be written.
    pub fn len(&self) -> usize {
        self.pending().len()
    }

    /// Whether nothing waits to be written.
    pub fn is_empty(&self) -> bool {
        self.pending().is_empty()
    }

    /// Writes every held block to the backing store in one batch.
    pub fn flush(&self) -> anyhow::Result<()> {
        let blocks = std::mem::take(&mut *self.pending());
        self.inner.put_many_keyed(blocks)
    }

    /// Drops the held writes.
    pub fn discard(&self) {
        self.pending().clear();
    }
}

impl<BS: Blockstore> Blockstore for Buffered<BS> {
    fn get(&self, k: &Cid) -> anyhow::Result<Option<Vec<u8>>> {
        if let Some(b) = self.pending().get(k) {
            return Ok(Some(b.clone()));
        }
        self.inner.get(k)
    }

    fn put_keyed(&self, k: &Cid, block: &[u8]) -> anyhow::Result<()> {
        self.pending().insert(*k, block.to_vec());
        Ok(())
    }

    fn has(&self, k: &Cid) -> anyhow::Result<bool> {
        if self.pending().contains_key(k) {
            return Ok(true);
        }
        self.inner.has(k)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use fvm_ipld_blockstore::MemoryBlockstore;
    use fvm_ipld_encoding::CborStore;
    use multihash_codetable::Code;

    #[test]
    fn writes_reach_the_store_only_on_flush() {
        let base = MemoryBlockstore::new();
        let buf = Buffered::new(&base);
        let cid = buf.put_cbor(&"hello", Code::Blake2b256).expect("put");
        assert_eq!(
            buf.get_cbor::<String>(&cid).expect("get").as_deref(),
            Some("hello")
        );
        assert!(!base.has(&cid).expect("has"));
        buf.flush().expect("flush");
        assert!(base.has(&cid).expect("has"));
        assert!(buf.is_empty());
    }
}
