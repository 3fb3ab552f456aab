//! venus-sealer-lib: real Filecoin proofs for a pool's sealers and miners.
//!
//! - [`Prover`]: add piece, PC1, PC2, C1, C2 and seal verification; winning
//!   PoSt challenge, generation and verification; window PoSt. Every sector size
//!   `filecoin-proofs-api` knows; devnets use 2 KiB.
//! - [`params`]: Groth parameters generated locally (never downloaded) into a
//!   cache outside any checkout, safe across processes, with progress events.
//! - [`SectorStore`]: where a sector's sealed file and cache live;
//!   [`LocalSectorStore`] is Lotus's directory layout.
//! - [`PostProver`] / [`PostVerifier`]: venus-core's `ComputeProof` and
//!   `ProofVerifier` over the real proofs; [`child`] proves winning PoSts in
//!   a child process, killed when the proof's caller gives up.
//! - [`preseal()`]: seal sectors for a devnet genesis miner, as `lotus-seed`.
//! - [`ProofPool`]: proof work on blocking threads, a bounded number at a time.
//! - `pipeline` (feature `pipeline`): the sector state machine persisted in
//!   SQL, the task queue workers pull from over RPC, and the window PoSt
//!   scheduler.
//!
//! The proving system is the `proofs` feature (on by default); without it the
//! crate keeps the store, pool and metadata types.
//!
//! ```no_run
//! # async fn run() -> Result<(), venus_sealer_lib::SealerError> {
//! use std::sync::Arc;
//! use venus_sealer_lib::{params::ParamCache, preseal, LocalSectorStore, PreSealConfig, ProofPool, Prover};
//! use venus_core::shared::sector::RegisteredSealProof;
//!
//! // Parameters in ~/.cache/venus-rs/params, one proof at a time.
//! let prover = Prover::new(Arc::new(ParamCache::from_env()?), ProofPool::new(1));
//! let store = LocalSectorStore::new("/tmp/sectors");
//! let config = PreSealConfig::new(1000, RegisteredSealProof::StackedDRG2KiBV1P1, 2);
//! let sectors = preseal(&prover, &store, &config, &|done, total| println!("{done}/{total}")).await?;
//! println!("CommR of sector 0: {}", sectors[0].sealed_cid);
//! # Ok(()) }
//! ```

pub mod error;
pub mod pool;
mod sector;
pub mod store;
pub mod types;

#[cfg(feature = "proofs")]
pub mod child;
#[cfg(feature = "cli")]
pub mod cli;
#[cfg(feature = "proofs")]
mod compute;
#[cfg(feature = "proofs")]
pub mod params;
#[cfg(feature = "pipeline")]
pub mod pipeline;
#[cfg(feature = "proofs")]
mod preseal;
#[cfg(feature = "proofs")]
mod prover;
#[cfg(feature = "server")]
pub mod rpc;

pub use error::{Result, SealerError};
pub use pool::ProofPool;
pub use sector::SectorRef;
pub use store::{LocalSectorStore, SectorPaths, SectorStore};
pub use types::SealedSector;

#[cfg(feature = "proofs")]
pub use compute::{PostProver, PostVerifier};
#[cfg(feature = "proofs")]
pub use preseal::{
    default_ticket, preseal, GenesisDeal, PreSealConfig, PreSealMiner, PreSealSector,
    GENESIS_DEAL_END, LOTUS_SEED_TICKET_PREIMAGE,
};
#[cfg(feature = "proofs")]
pub use prover::{C1Output, Pc1Output, PieceInfo, PostSector, PreCommit, Prover};
