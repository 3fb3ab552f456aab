//! The devnet's randomness beacon: a local, drand-style chained beacon
//! ([`LocalBeacon`]). Its entries verify with the same code that verifies
//! real drand (`venus_core::crypto::DrandNetwork`, scheme
//! `pedersen-bls-chained`), so the node validates blocks the same way on
//! our devnet and on a network that follows drand.

mod local;

pub use local::LocalBeacon;
