//! Blockstores: the [`Blockstore`] trait of the IPLD crates,
//! [`MemoryBlockstore`] for tests, and [`Buffered`], which batches writes.

mod buffered;

pub use buffered::Buffered;
pub use fvm_ipld_blockstore::{Blockstore, MemoryBlockstore};
