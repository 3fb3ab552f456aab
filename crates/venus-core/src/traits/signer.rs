//! [`RemoteSigner`]: every signature a pool needs, asked for with the object signed.

use std::collections::HashMap;
use std::sync::RwLock;

use async_trait::async_trait;
use fvm_shared::address::Address;
use fvm_shared::crypto::signature::Signature;

use crate::crypto::PrivateKey;
use crate::types::MsgMeta;
use crate::{Error, Result};

/// A signer that holds keys the caller never sees.
///
/// Contract:
/// - `sign` receives the bytes to sign *and* the object they come from in
///   [`MsgMeta`]; implementations must recompute the bytes from the object and
///   refuse ([`Error::SignRefused`]) when they differ, and refuse unknown
///   addresses the same way.
/// - `sign` is not idempotent for secp256k1 in general (nonces may differ)
///   but any valid signature is acceptable; it is cancel-safe.
/// - `has` and `list` are reads, idempotent and cancel-safe.
#[async_trait]
pub trait RemoteSigner: Send + Sync {
    /// Signs `data` with the key of `addr`, after checking it against `meta`.
    async fn sign(&self, addr: &Address, data: &[u8], meta: &MsgMeta) -> Result<Signature>;

    /// Whether the signer has the key of `addr`.
    async fn has(&self, addr: &Address) -> Result<bool>;

    /// The addresses the signer has keys for.
    async fn list(&self) -> Result<Vec<Address>>;
}

/// An in-memory signer: keys in a map, checking messages, blocks and VRF
/// randomness against their `MsgMeta` with [`MsgMeta::check`].
///
/// It has no policy, no persistence and no lock; the wallet crate builds
/// those on top. Market `MsgType`s are refused because it cannot check them.
#[derive(Default)]
pub struct MemorySigner {
    keys: RwLock<HashMap<Address, PrivateKey>>,
}

impl MemorySigner {
    /// An empty signer.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a key; returns its address.
    pub fn add(&self, key: PrivateKey) -> Result<Address> {
        let addr = key.address()?;
        self.keys
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(addr, key);
        Ok(addr)
    }
}

#[async_trait]
impl RemoteSigner for MemorySigner {
    async fn sign(&self, addr: &Address, data: &[u8], meta: &MsgMeta) -> Result<Signature> {
        meta.check(addr, data).map_err(|e| match e {
            Error::Unsupported(what) => Error::SignRefused(format!("cannot check: {what}")),
            other => other,
        })?;
        let keys = self.keys.read().unwrap_or_else(|p| p.into_inner());
        let key = keys
            .get(addr)
            .ok_or_else(|| Error::SignRefused(format!("no key for {addr}")))?;
        key.sign(data)
    }

    async fn has(&self, addr: &Address) -> Result<bool> {
        Ok(self
            .keys
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .contains_key(addr))
    }

    async fn list(&self) -> Result<Vec<Address>> {
        Ok(self
            .keys
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .keys()
            .copied()
            .collect())
    }
}
