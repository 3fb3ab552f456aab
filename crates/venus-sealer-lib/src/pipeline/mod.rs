//! The sealing pipeline (feature `pipeline`): a persisted sector state
//! machine, a task queue workers pull from, and the window PoSt
//! scheduler, for one member miner.
//!
//! - [`Pipeline`]: add piece → PC1 → PC2 → pre-commit (through the
//!   messager, waiting until it lands) → the seed → C1 → C2 →
//!   prove-commit → proving, with failure states, bounded retries and a
//!   manual retry or abort. Every step is a row change in the
//!   [`SealingStore`], so a restart resumes each sector where it stood.
//! - [`Worker`]: pulls PC1, PC2, C1 and C2 tasks from a [`TaskSource`]
//!   (the store in-process, or a sealer over RPC), each leased with a
//!   heartbeat; a dead worker's tasks go back to the queue.
//! - [`WindowPoster`]: proves each deadline with real proofs, skips and
//!   declares bad sectors, declares recoveries, gives up at a deadline's
//!   close.
//! - [`Sealer`]: the three on one store, run on the chain's head, and
//!   [`sealer_module`], the API workers and operators call.
//!
//! Two sealers on one MySQL database (the same miner, the same storage)
//! share the work and cover for each other: sector steps are
//! compare-and-set on the row, tasks are claimed with `FOR UPDATE SKIP
//! LOCKED`, deadlines are leased.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use std::sync::Arc;
//! use venus_sealer_lib::pipeline::{SealingApi, SealingStore, Sealer, Worker};
//! use venus_sealer_lib::{params::ParamCache, LocalSectorStore, ProofPool, Prover};
//! use venus_api::{lotus::LotusClient, messager::MessagerClient};
//!
//! let api = SealingApi::new(
//!     LotusClient::connect("ws://127.0.0.1:1234/rpc/v1").await?,
//!     MessagerClient::connect("TOKEN:/ip4/127.0.0.1/tcp/39812/http").await?,
//! );
//! let store = SealingStore::open("sqlite:///var/lib/sealer/sealer.db").await?;
//! let prover = Prover::new(Arc::new(ParamCache::from_env()?), ProofPool::new(1));
//! let sectors = Arc::new(LocalSectorStore::new("/var/lib/sealer/sectors"));
//! let sealer = Arc::new(
//!     Sealer::builder(store, api, prover.clone(), sectors.clone(), "t01000".parse()?)
//!         .build()?,
//! );
//! // A worker in this process; remote ones use `RemoteTasks`.
//! let worker = Arc::new(Worker::new("local", sealer.local_tasks(), prover, sectors));
//! tokio::spawn(worker.run(std::future::pending()));
//! sealer.pledge().await?;
//! sealer.run(std::future::pending()).await;
//! # Ok(()) }
//! ```

mod chain;
mod fsm;
mod service;
mod state;
mod store;
#[cfg(feature = "test-utils")]
pub mod testing;
mod wdpost;
mod worker;

pub use chain::{entropy, to_miner, Outcome, SealingApi};
pub use fsm::{Pipeline, PipelineConfig};
pub use service::{sealer_module, Sealer, SealerBuilder};
pub use state::{SectorInfo, SectorState};
pub use store::{NewTask, PostRow, SealingStore, TaskRow, MIGRATIONS};
pub use wdpost::{PostConfig, WindowPoster, DECLARE_ATTEMPTS};
pub use worker::{run_task, LocalTasks, RemoteTasks, TaskSource, Worker};
