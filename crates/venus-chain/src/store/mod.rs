//! Blockstores: the [`Blockstore`] trait of the IPLD crates,
//! [`MemoryBlockstore`] for tests, [`Buffered`], which batches writes, and
//! (feature `rocksdb`) `RocksBlockstore` for the node.

mod buffered;
#[cfg(feature = "rocksdb")]
mod rocks;

pub use buffered::Buffered;
pub use fvm_ipld_blockstore::{Blockstore, MemoryBlockstore};
#[cfg(feature = "rocksdb")]
pub use rocks::RocksBlockstore;
