//! [`RocksBlockstore`]: blocks in RocksDB, keyed by their CID's bytes,
//! for the node. Batches of blocks ([`Blockstore::put_many_keyed`], which
//! [`Buffered`](super::Buffered) uses) are one RocksDB write batch.

use std::path::Path;
use std::sync::Arc;

use cid::Cid;
use fvm_ipld_blockstore::Blockstore;
use rocksdb::{Options, WriteBatch, DB};

use crate::error::{ChainError, Result};

/// A blockstore in a RocksDB directory. Cheap to clone.
#[derive(Clone)]
pub struct RocksBlockstore {
    db: Arc<DB>,
}

impl std::fmt::Debug for RocksBlockstore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RocksBlockstore")
            .field("path", &self.db.path())
            .finish()
    }
}

impl RocksBlockstore {
    /// Opens (creating if needed) the blockstore in directory `path`.
    pub fn open(path: &Path) -> Result<Self> {
        let mut opts = Options::default();
        opts.create_if_missing(true);
        opts.set_compression_type(rocksdb::DBCompressionType::Lz4);
        // Blocks are looked up by key only: a bloom filter per table saves
        // the disk reads of keys that are not there.
        let mut table = rocksdb::BlockBasedOptions::default();
        table.set_bloom_filter(10.0, false);
        opts.set_block_based_table_factory(&table);
        let db = DB::open(&opts, path).map_err(|e| {
            ChainError::Store(format!("opening the blockstore at {}: {e}", path.display()))
        })?;
        Ok(RocksBlockstore { db: Arc::new(db) })
    }

    /// Writes everything written so far to disk (RocksDB's write-ahead log
    /// is otherwise synced by the OS, not on every write).
    pub fn sync(&self) -> Result<()> {
        self.db
            .flush_wal(true)
            .map_err(|e| ChainError::Store(format!("syncing the blockstore: {e}")))
    }
}

/// Metadata keys live beside the blocks under this prefix, which no CID's
/// bytes start with (a CIDv1 starts with 0x01, a CIDv0 with 0x12).
const META_PREFIX: &[u8] = b"/meta/";

impl super::MetaStore for RocksBlockstore {
    fn get_meta(&self, key: &[u8]) -> anyhow::Result<Option<Vec<u8>>> {
        Ok(self.db.get([META_PREFIX, key].concat())?)
    }

    /// Written with a synced write-ahead log: what returns survives a
    /// power cut, with every block written before it.
    fn put_meta(&self, key: &[u8], value: &[u8]) -> anyhow::Result<()> {
        let mut opts = rocksdb::WriteOptions::default();
        opts.set_sync(true);
        Ok(self.db.put_opt([META_PREFIX, key].concat(), value, &opts)?)
    }
}

impl Blockstore for RocksBlockstore {
    fn get(&self, k: &Cid) -> anyhow::Result<Option<Vec<u8>>> {
        Ok(self.db.get(k.to_bytes())?)
    }

    fn put_keyed(&self, k: &Cid, block: &[u8]) -> anyhow::Result<()> {
        Ok(self.db.put(k.to_bytes(), block)?)
    }

    fn has(&self, k: &Cid) -> anyhow::Result<bool> {
        Ok(self.db.get_pinned(k.to_bytes())?.is_some())
    }

    fn put_many_keyed<D, I>(&self, blocks: I) -> anyhow::Result<()>
    where
        Self: Sized,
        D: AsRef<[u8]>,
        I: IntoIterator<Item = (Cid, D)>,
    {
        let mut batch = WriteBatch::default();
        for (k, block) in blocks {
            batch.put(k.to_bytes(), block.as_ref());
        }
        Ok(self.db.write(batch)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use fvm_ipld_encoding::CborStore;
    use multihash_codetable::Code;

    #[test]
    fn blocks_survive_a_reopen() {
        let dir = tempfile::tempdir().expect("tempdir");
        let cid = {
            let bs = RocksBlockstore::open(dir.path()).expect("open");
            let cid = bs.put_cbor(&("a", 1u64), Code::Blake2b256).expect("put");
            bs.put_many_keyed([(Cid::default(), b"x".to_vec())])
                .expect("batch");
            bs.sync().expect("sync");
            cid
        };
        let bs = RocksBlockstore::open(dir.path()).expect("reopen");
        assert_eq!(
            bs.get_cbor::<(String, u64)>(&cid).expect("get"),
            Some(("a".into(), 1))
        );
        assert!(bs.has(&Cid::default()).expect("has"));
        let absent = fvm_ipld_blockstore::MemoryBlockstore::new()
            .put_cbor(&"absent", Code::Blake2b256)
            .expect("cid");
        assert!(!bs.has(&absent).expect("has"));
        use super::super::MetaStore;
        bs.put_meta(b"head", b"h1").expect("meta");
        drop(bs);
        let bs = RocksBlockstore::open(dir.path()).expect("reopen again");
        assert_eq!(bs.get_meta(b"head").expect("meta"), Some(b"h1".to_vec()));
        assert_eq!(bs.get_meta(b"none").expect("meta"), None);
        assert_eq!(bs.get(&absent).expect("get"), None);
    }

    #[test]
    fn a_directory_that_cannot_be_opened_is_a_clear_error() {
        let err =
            RocksBlockstore::open(Path::new("/proc/no-such/blockstore")).expect_err("refused");
        assert!(
            err.to_string().contains("/proc/no-such/blockstore"),
            "{err}"
        );
    }
}
