//! # venus-wallet-lib
//!
//! The miner-side wallet of a venus-rs pool. Private keys never leave it:
//! every signature is asked for together with the object being signed, and
//! the wallet decodes that object, recomputes the bytes itself and refuses
//! any mismatch — for every `MsgType`, chain messages included.
//!
//! - Keys: BLS and secp256k1, Lotus KeyInfo import/export.
//! - Keystore: a small [`KeyStore`] trait, on SQL ([`SqlKeyStore`], SQLite
//!   by default, through venus-sql) or in memory ([`MemoryKeyStore`]); each
//!   key encrypted with scrypt (parameters stored per key) → AES-128-CTR,
//!   with an HMAC over the ciphertext.
//! - Lock/unlock; decrypted keys live in memory only while unlocked, zeroized after.
//! - Sign policies (addresses × types × actor methods), grouped and bound to
//!   the caller named in the auth token; admins may sign anything.
//! - A queryable record of every signature and every refusal.
//! - [`rpc`]: the server of Lotus's remote-wallet API (`Filecoin.WalletSign`,
//!   …) for the `venus-wallet` daemon; each refusal reaches the caller with
//!   its code. The API and its client, [`rpc::WalletClient`] (a
//!   `RemoteSigner`), live in `venus_api::wallet`, re-exported here: a crate
//!   that only asks for signatures depends on `venus-api`, not on this crate.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> venus_wallet_lib::Result<()> {
//! use venus_core::{types::MsgMeta, SignatureType};
//! use venus_wallet_lib::{KdfParams, LocalWallet, WalletDb};
//!
//! let wallet = LocalWallet::new(WalletDb::in_memory().await?, KdfParams::FAST_INSECURE);
//! wallet.set_password(None, "correct horse").await?;
//! let addr = wallet.new_key(SignatureType::BLS).await?;
//! let raw = b"raw bytes".to_vec();
//! let sig = venus_core::traits::RemoteSigner::sign(&wallet, &addr,
//!     &raw, &MsgMeta { msg_type: venus_core::types::MsgType::Unknown, extra: vec![] }).await?;
//! venus_core::crypto::verify(&sig, &raw, &addr)?;
//! # Ok(()) }
//! ```

mod check;
#[cfg(feature = "cli")]
pub mod cli;
mod crypt;
mod db;
mod error;
mod policy;
mod record;
pub mod rpc;
pub mod service;
pub mod store;
mod wallet;

pub use check::{check, Signed};
pub use crypt::{decrypt, encrypt, EncryptedKey, KdfParams};
pub use db::{WalletDb, MIGRATIONS};
pub use error::{Result, WalletError};
pub use policy::{Caller, Policy, PolicyGroup};
pub use record::{RecordQuery, SignRecord};
pub use store::{KeySnapshot, KeyStore, MemoryKeyStore, SqlKeyStore, StoredKey};
pub use wallet::{LocalWallet, UnlockReport};
