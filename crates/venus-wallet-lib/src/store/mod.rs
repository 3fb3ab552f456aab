//! [`KeyStore`]: where the wallet keeps its encrypted keys and its password
//! check, with a SQL implementation ([`SqlKeyStore`], SQLite by default) and
//! an in-memory one ([`MemoryKeyStore`]) beside it.
//!
//! Contract, checked by one conformance suite on every implementation:
//! - a key is stored only while the password check is the one the caller
//!   encrypted under ([`WalletError::PasswordChanged`] otherwise), and a
//!   stored address is [`WalletError::Duplicate`];
//! - [`KeyStore::replace_keys`] is a compare-and-swap: it re-encrypts
//!   exactly the keys the store holds, or changes nothing;
//! - a snapshot is one moment: the check and the keys together;
//! - keys list in the order they were stored;
//! - every call is one transaction: a dropped future leaves no half change.

mod memory;
mod sql;

use async_trait::async_trait;

pub use memory::MemoryKeyStore;
pub use sql::SqlKeyStore;

use crate::Result;
#[allow(unused_imports)] // doc links
use crate::WalletError;

/// One stored key: its address as stored, its type, and its encrypted entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredKey {
    /// The address (as printed when stored; the network prefix may differ
    /// from the reader's).
    pub address: String,
    /// The signature type (1 secp256k1, 2 BLS).
    pub key_type: u8,
    /// The encrypted key, as the wallet's JSON.
    pub entry: String,
}

/// The password check and every key, as of one moment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeySnapshot {
    /// The password check (a canary encrypted under the password), if a
    /// password was set.
    pub canary: Option<String>,
    /// Every key, in the order stored.
    pub keys: Vec<StoredKey>,
}

/// Storage for the wallet's encrypted keys.
#[async_trait]
pub trait KeyStore: Send + Sync {
    /// The password check and every key, read together.
    async fn snapshot(&self) -> Result<KeySnapshot>;

    /// The password check alone.
    async fn password_check(&self) -> Result<Option<String>>;

    /// Stores `key`, provided the password check is still `canary`.
    async fn insert_key(&self, key: &StoredKey, canary: &str) -> Result<()>;

    /// Replaces the entry of every key named in `entries` and the password
    /// check, provided the store still holds exactly `was`; `false` (and
    /// nothing changed) when another writer changed it meanwhile. `entries`
    /// must name every key of `was`.
    async fn replace_keys(
        &self,
        was: &KeySnapshot,
        entries: &[(String, String)],
        canary: &str,
    ) -> Result<bool>;

    /// Deletes a key; whether it was there.
    async fn delete_key(&self, address: &str) -> Result<bool>;
}
