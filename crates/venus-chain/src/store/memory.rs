//! [`SyncMemoryBlockstore`]: blocks in memory behind a lock, for a node
//! (or a test) whose store threads share. The IPLD crates'
//! `MemoryBlockstore` is single-threaded.

use std::collections::HashMap;
use std::sync::RwLock;

use cid::Cid;
use fvm_ipld_blockstore::Blockstore;

/// A thread-safe blockstore in memory.
#[derive(Debug, Default)]
pub struct SyncMemoryBlockstore(RwLock<HashMap<Cid, Vec<u8>>>);

impl SyncMemoryBlockstore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }
}

impl Blockstore for SyncMemoryBlockstore {
    fn get(&self, k: &Cid) -> anyhow::Result<Option<Vec<u8>>> {
        let map = self.0.read().unwrap_or_else(|p| p.into_inner());
        Ok(map.get(k).cloned())
    }

    fn put_keyed(&self, k: &Cid, block: &[u8]) -> anyhow::Result<()> {
        let mut map = self.0.write().unwrap_or_else(|p| p.into_inner());
        map.insert(*k, block.to_vec());
        Ok(())
    }

    fn has(&self, k: &Cid) -> anyhow::Result<bool> {
        let map = self.0.read().unwrap_or_else(|p| p.into_inner());
        Ok(map.contains_key(k))
    }
}
