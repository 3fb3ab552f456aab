//! Backend traits: the seams a pool is assembled along.
//!
//! Each trait is small, object-safe (`Arc<dyn Trait>` works) and `Send + Sync`,
//! and documents its contract. Each has an in-memory reference implementation
//! beside it, used by tests and by integrators as a model.

pub mod chain;
mod chain_memory;
pub mod nonce;
pub mod proof;
pub mod signer;

pub use chain::{
    select_disjoint, BlockApi, ChainApi, ChainRead, HeadChangeStream, MessageApi, StateRead,
};
pub use chain_memory::MemoryChain;
pub use nonce::{MemoryNonceStore, NonceStore};
pub use proof::{winning_post_type, ComputeProof, DigestProver, ProofVerifier, SealVerifier};
pub use signer::{MemorySigner, RemoteSigner};
