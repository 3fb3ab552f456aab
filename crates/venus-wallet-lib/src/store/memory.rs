//! [`MemoryKeyStore`]: keys in memory, for tests and for wallets that load
//! keys from elsewhere at start.

use async_trait::async_trait;
use tokio::sync::Mutex;

use super::{KeySnapshot, KeyStore, StoredKey};
use crate::{Result, WalletError};

/// A [`KeyStore`] in memory: gone when dropped.
#[derive(Debug, Default)]
pub struct MemoryKeyStore {
    inner: Mutex<KeySnapshot>,
}

impl MemoryKeyStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }
}

#[async_trait]
impl KeyStore for MemoryKeyStore {
    async fn snapshot(&self) -> Result<KeySnapshot> {
        Ok(self.inner.lock().await.clone())
    }

    async fn password_check(&self) -> Result<Option<String>> {
        Ok(self.inner.lock().await.canary.clone())
    }

    async fn insert_key(&self, key: &StoredKey, canary: &str) -> Result<()> {
        let mut s = self.inner.lock().await;
        if s.canary.as_deref() != Some(canary) {
            return Err(WalletError::PasswordChanged);
        }
        if s.keys.iter().any(|k| k.address == key.address) {
            return Err(WalletError::Duplicate(key.address.clone()));
        }
        s.keys.push(key.clone());
        Ok(())
    }

    async fn replace_keys(
        &self,
        was: &KeySnapshot,
        entries: &[(String, String)],
        canary: &str,
    ) -> Result<bool> {
        let mut s = self.inner.lock().await;
        if *s != *was {
            return Ok(false);
        }
        let mut next = s.clone();
        for (addr, entry) in entries {
            let Some(k) = next.keys.iter_mut().find(|k| &k.address == addr) else {
                return Err(WalletError::Corrupt(format!(
                    "key {addr} could not be re-encrypted; nothing was changed"
                )));
            };
            k.entry = entry.clone();
        }
        next.canary = Some(canary.to_string());
        *s = next;
        Ok(true)
    }

    async fn delete_key(&self, address: &str) -> Result<bool> {
        let mut s = self.inner.lock().await;
        let before = s.keys.len();
        s.keys.retain(|k| k.address != address);
        Ok(s.keys.len() < before)
    }
}
