//! # venus-pool-lib
//!
//! The whole pool, assembled: a devnet with several member miners, the
//! shared node, miner, messager and auth, and each member's own wallet (holding
//! its worker key) and sealer (holding its sectors, with a local worker),
//! mining real blocks with real proofs and signatures. `venus-pool devnet`
//! is a thin binary over [`Devnet`].
//!
//! Every component runs exactly as its own daemon does: the pool writes
//! each one's `config.toml` and starts it with its command line, either
//! as a task in this process ([`Mode::InProcess`], the default; each is
//! stopped through [`venus_daemon::scoped`]) or as its own process
//! ([`Mode::Processes`], restarted by a supervisor if it dies), so what
//! runs here is what a real deployment runs.
//!
//! The component crates are re-exported, so an integrator who assembles
//! a pool differently needs only this crate. The builder's slots:
//! [`DevnetBuilder::node`] puts a node the pool does not start (today
//! ours, run apart) in place of its own, reached by its API info through
//! the Lotus API only, [`DevnetBuilder::winning_prover`] puts your own
//! `ComputeProof` in place of the members' sealers for winning PoSts (see
//! `examples/pool_custom_prover.rs`), [`DevnetBuilder::slash_filter`] puts
//! your own `SlashFilter` in place of the miner's own database for the
//! claims and signatures that keep members from being slashed (in one
//! process; `tests/one_member.rs` reads every claim back from one),
//! [`DevnetBuilder::mysql`] puts the shared messager, miner and auth on a
//! MySQL server, and [`DevnetBuilder::proving_period`] shortens the
//! genesis's proving period, so a pledged sector's power comes sooner.
//!
//! ```no_run
//! use venus_pool_lib::{Devnet, Mode};
//!
//! # async fn demo(prover: venus_pool_lib::sealer::Prover) -> Result<(), venus_pool_lib::PoolError> {
//! let devnet = Devnet::builder("/tmp/my-pool")
//!     .members(3)
//!     .sectors(2)
//!     .block_time(10)
//!     .mode(Mode::InProcess)
//!     .build()?;
//! let layout = devnet.prepare(&prover).await?; // pre-seal, wallets, genesis (once)
//! // Mine 20 epochs, then stop everything and summarise the chain.
//! let stop = venus_pool_lib::daemon::CancellationToken::new();
//! let summary = devnet
//!     .run(&layout, &prover, Some(20), venus_pool_lib::Display::Plain, stop)
//!     .await?;
//! assert!(summary.blocks.values().all(|b| *b > 0));
//! # Ok(()) }
//! ```

pub mod cli;
mod devnet;
mod error;
mod launch;
mod registry;
mod run;
mod watch;

pub use devnet::{wallet_password, Devnet, DevnetBuilder, Layout, Member, PoolFile, SharedDb};
pub use error::{PoolError, Result};
pub use launch::{run_component, Kind, Mode};
pub use registry::member_user;
pub use run::{with_token, WALLET_PASSWORD_ENV};
pub use watch::{Display, Summary};

/// Method declarations and typed clients of every daemon.
pub use venus_api as api;
/// The token service (`venus-auth`).
pub use venus_auth_lib as auth;
/// Filecoin types, crypto and the backend traits.
pub use venus_core as core;
/// The daemon scaffold the components run on.
pub use venus_daemon as daemon;
/// The message manager (`venus-messager`).
pub use venus_messager_lib as messager;
/// The pool's block producer (`venus-miner`).
pub use venus_miner_lib as miner;
/// The chain node (`venus`).
pub use venus_node as node;
/// A member's sealer and workers (`venus-sealer`, `venus-worker`).
pub use venus_sealer_lib as sealer;
/// A member's wallet (`venus-wallet`).
pub use venus_wallet_lib as wallet;
