//! # venus-api
//!
//! The APIs of venus-rs's daemons: every method declared once (name,
//! permission, params, result), the types they carry, and a typed client per
//! daemon. A crate that only *calls* a daemon depends on this crate, never on
//! the daemon's library: there is no storage here and no crypto backend.
//!
//! - [`lotus`]: the Lotus v1 full-node methods a pool uses, [`lotus::LotusClient`]
//!   implementing `venus_core::traits::ChainApi` over them, and
//!   [`lotus::chain_api_module`] serving any `ChainApi` with them.
//! - [`wallet`]: Lotus's remote-wallet API with the venus wallet's extras
//!   (locks, sign records, policies), and [`wallet::WalletClient`], a
//!   `RemoteSigner` over it.
//! - [`messager`]: the message manager's API, as Venus's messager serves it,
//!   and [`messager::MessagerClient`].
//! - [`miner`]: the block producer's API, as sophon-miner serves it.
//! - [`sealer`]: a member's winning PoSt over RPC ([`sealer::ProverClient`]).
//! - [`common`]: what every daemon answers (Lotus's `AuthVerify`), and
//!   [`common::check_token`], a start-time check of a client's token.
//! - [`auth`]: the auth daemon's registry and tokens, [`auth::AuthClient`],
//!   and [`auth::RemoteVerifier`], a `TokenVerifier` for any daemon.
//!
//! The daemons themselves (`venus-wallet-lib`, `venus-auth-lib`, …) register
//! handlers for these declarations on a `venus_rpc::RpcModule`.
//!
//! ## Errors keep their kind
//! A daemon answers a refusal with a code of `venus_rpc::codes` (locked,
//! policy denied, not found, duplicate, …); the clients return it as the
//! matching [`Error`] variant, so callers match on kinds, not on messages.
//!
//! ```no_run
//! use venus_api::lotus::LotusClient;
//! use venus_api::wallet::WalletClient;
//! use venus_api::Error;
//! use venus_core::traits::ChainRead;
//! use venus_core::SignatureType;
//! use venus_rpc::RpcClient;
//!
//! # async fn demo() -> venus_api::Result<()> {
//! // A node: `ChainApi` over Lotus's JSON-RPC.
//! let node = LotusClient::connect("TOKEN:/ip4/127.0.0.1/tcp/1234/ws").await?;
//! let head = node.head().await.expect("head");
//! println!("head at {}", head.height());
//!
//! // A wallet: a new BLS key, unless the wallet is locked.
//! let wallet = WalletClient::new(RpcClient::connect("TOKEN:/ip4/127.0.0.1/tcp/5678/http").await?);
//! match wallet.wallet_new(SignatureType::BLS).await {
//!     Ok(addr) => println!("new key {addr}"),
//!     Err(Error::Locked(why)) => println!("unlock the wallet first: {why}"),
//!     Err(e) => return Err(e),
//! }
//! # Ok(()) }
//! ```

mod error;

pub mod auth;
pub mod common;
pub mod lotus;
pub mod messager;
pub mod miner;
pub mod sealer;
pub mod time;
pub mod wallet;

pub use error::{Error, Result};
