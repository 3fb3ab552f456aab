//! # venus-core
//!
//! The foundation every venus-rs crate links: Filecoin types (re-exported from
//! `fvm_shared`, never rewritten), the chain types Lotus has beside them, their
//! DAG-CBOR and Lotus JSON forms (byte-identical to Lotus's), Filecoin crypto
//! on maintained crates, and the small backend traits a mining pool is
//! assembled from.
//!
//! ```
//! use venus_core::crypto::PrivateKey;
//! use venus_core::shared::crypto::signature::SignatureType;
//! use venus_core::shared::message::Message;
//! use venus_core::types::SignedMessage;
//!
//! # fn main() -> venus_core::Result<()> {
//! let key = PrivateKey::generate(SignatureType::Secp256k1);
//! let msg = Message {
//!     version: 0,
//!     from: key.address()?,
//!     to: venus_core::address::parse("f01000")?,
//!     sequence: 0,
//!     value: venus_core::TokenAmount::from_atto(1),
//!     method_num: 0,
//!     params: Default::default(),
//!     gas_limit: 1_000_000,
//!     gas_fee_cap: venus_core::TokenAmount::from_atto(100_000),
//!     gas_premium: venus_core::TokenAmount::from_atto(1_000),
//! };
//! let cid = venus_core::types::message_cid(&msg)?;
//! let signed = SignedMessage { signature: key.sign(&cid.to_bytes())?, message: msg };
//! signed.verify()?;
//! println!("{}", venus_core::json::to_value(&signed)?);
//! # Ok(()) }
//! ```
//!
//! ## Modules
//! - [`address`]: f0–f4 addresses with either network prefix.
//! - [`encoding`]: DAG-CBOR and CIDs.
//! - [`types`]: signed messages, blocks, tipsets, message roots, API types.
//! - [`json`]: Lotus JSON for all of them.
//! - [`crypto`]: signatures, randomness, VRF, WinCount, drand.
//! - [`validate`]: the header checks a node runs before it accepts a block
//!   (signature, election proof, ticket, drand entries), as Lotus runs them.
//! - [`traits`]: `ChainApi`, `RemoteSigner`, `ComputeProof`/`ProofVerifier`,
//!   `NonceStore`, each with an in-memory reference implementation.
//!
//! ## Feature flags
//! - `test-utils`: the `test_utils` module, fixtures for tests and benches.

pub mod address;
pub mod crypto;
pub mod encoding;
mod error;
pub mod gas;
pub mod json;
#[cfg(any(test, feature = "test-utils"))]
pub mod test_utils;
pub mod traits;
pub mod types;
pub mod validate;

pub use error::{Error, Result};

pub use cid::Cid;
/// The `fvm_shared` crate, re-exported so integrators use the same version.
pub use fvm_shared as shared;
pub use fvm_shared::address::Address;
pub use fvm_shared::clock::ChainEpoch;
pub use fvm_shared::crypto::signature::{Signature, SignatureType};
pub use fvm_shared::econ::TokenAmount;
pub use fvm_shared::message::Message;
pub use fvm_shared::sector::{PoStProof, RegisteredPoStProof, RegisteredSealProof, SectorNumber};
