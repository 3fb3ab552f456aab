//! # venus-miner-lib
//!
//! The pool's block producer as a library. This first part is its slash
//! filter ([`slash`]): the pool claims every block before the member's
//! wallet is asked to sign it, in storage whose unique keys make the claim
//! exclusive, so that no crash, restart or second miner instance makes a
//! member sign two blocks that get it slashed (double-fork, time-offset,
//! parent-grinding), and two instances on one MySQL split the epochs
//! between them instead of both mining them. [`records`] keeps what came
//! of each miner's round at each epoch, with the time of each stage;
//! [`round::Round`] runs one epoch for every member miner, and [`Miner`]
//! runs rounds epoch after epoch on the node's head, for the
//! [`members`] switched on (a switch survives restarts); [`rpc`] serves
//! sophon-miner's API over them. Instances sharing a database lease each
//! won round before proving it (a lease lapses when its holder dies
//! mid-proof, and another instance takes the round over), and
//! [`instance::InstanceLock`] keeps one live process per instance name.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> venus_miner_lib::Result<()> {
//! use venus_core::types::TipSetKey;
//! use venus_miner_lib::slash::{BlockClaim, Claim, Refusal, SlashFilter, SqlSlashFilter};
//!
//! let db = venus_sql::connect("sqlite::memory:", &venus_miner_lib::MIGRATIONS).await?;
//! let filter = SqlSlashFilter::new(db);
//! let block = |unsigned: cid::Cid| BlockClaim {
//!     miner: "f01000".parse().unwrap(),
//!     epoch: 10,
//!     parent_epoch: 9,
//!     parents: TipSetKey::default(),
//!     unsigned,
//!     instance: "miner-a".into(),
//! };
//! let header = |n: u8| cid::Cid::new_v1(0x71, cid::multihash::Multihash::wrap(0xb220, &[n; 32]).unwrap());
//! let (a, b) = (header(1), header(2));
//! assert_eq!(filter.claim(&block(a)).await?, Claim::Granted); // sign it
//! assert_eq!(filter.claim(&block(a)).await?, Claim::Again); // after a restart: the same block
//! assert!(matches!(
//!     filter.claim(&block(b)).await?, // another block at epoch 10: never
//!     Claim::Refused(Refusal::DoubleFork { .. })
//! ));
//! # Ok(()) }
//! ```
//!
//! ## Feature flags
//! - `mysql`: the storage on MySQL/MariaDB too (SQLite is always there).
//! - `cli`: the `venus-miner` command line and daemon (the `cli` module).

mod builder;
#[cfg(feature = "cli")]
pub mod cli;
mod error;
pub mod instance;
pub mod members;
pub mod metrics;
pub mod records;
pub mod round;
pub mod rpc;
pub mod slash;

pub use builder::{Members, Miner, MinerBuilder, MinerConfig};
pub use error::{MinerError, Result};

use venus_sql::{sqlx, Migrations};

/// The miner's schema, per engine.
pub static MIGRATIONS: Migrations = Migrations::new()
    .sqlite(&sqlx::migrate!("./migrations/sqlite"))
    .mysql(&sqlx::migrate!("./migrations/mysql"));

pub(crate) use venus_sql::now_ms;
