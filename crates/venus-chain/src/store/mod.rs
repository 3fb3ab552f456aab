//! Blockstores: the [`Blockstore`] trait of the IPLD crates,
//! [`MemoryBlockstore`] for tests, [`SyncMemoryBlockstore`] for threads that share one, [`Buffered`], which batches writes, and
//! (feature `rocksdb`) `RocksBlockstore` for the node; [`MetaStore`] for the
//! chain's few facts that are not content addressed (`RocksBlockstore`
//! keeps them too).

mod buffered;
mod memory;
mod meta;
#[cfg(feature = "rocksdb")]
mod rocks;

pub use buffered::Buffered;
pub use fvm_ipld_blockstore::{Blockstore, MemoryBlockstore};
pub use memory::SyncMemoryBlockstore;
pub use meta::{MemoryMeta, MetaStore};
#[cfg(feature = "rocksdb")]
pub use rocks::RocksBlockstore;
