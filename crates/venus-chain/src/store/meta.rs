//! [`MetaStore`]: the few facts about the chain that are not content
//! addressed (the genesis, the head, each executed tipset's result), kept
//! beside the blocks. Lotus keeps the same in its `metadata` datastore.

use std::collections::HashMap;
use std::sync::Mutex;

/// A small key-value store for chain metadata.
///
/// A `put_meta` that returns has reached the store: on a store that
/// survives a crash (RocksDB), it survives a kill of the process, and a
/// write is never seen before the writes that preceded it.
pub trait MetaStore: Send + Sync {
    /// The value under `key`, if any.
    fn get_meta(&self, key: &[u8]) -> anyhow::Result<Option<Vec<u8>>>;
    /// Sets `key` to `value`.
    fn put_meta(&self, key: &[u8], value: &[u8]) -> anyhow::Result<()>;
}

/// A [`MetaStore`] in memory, for tests and throw-away nodes.
#[derive(Debug, Default)]
pub struct MemoryMeta(Mutex<HashMap<Vec<u8>, Vec<u8>>>);

impl MetaStore for MemoryMeta {
    fn get_meta(&self, key: &[u8]) -> anyhow::Result<Option<Vec<u8>>> {
        let map = self.0.lock().map_err(|_| anyhow::anyhow!("poisoned"))?;
        Ok(map.get(key).cloned())
    }

    fn put_meta(&self, key: &[u8], value: &[u8]) -> anyhow::Result<()> {
        let mut map = self.0.lock().map_err(|_| anyhow::anyhow!("poisoned"))?;
        map.insert(key.to_vec(), value.to_vec());
        Ok(())
    }
}

impl<T: MetaStore + ?Sized> MetaStore for std::sync::Arc<T> {
    fn get_meta(&self, key: &[u8]) -> anyhow::Result<Option<Vec<u8>>> {
        (**self).get_meta(key)
    }
    fn put_meta(&self, key: &[u8], value: &[u8]) -> anyhow::Result<()> {
        (**self).put_meta(key, value)
    }
}
