//! The members from `venus-auth`: its miners with `open_mining`.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use venus_api::auth::AuthClient;
use venus_core::Address;

use crate::builder::Members;
use crate::{MinerError, Result};

/// The miners `venus-auth` opens for mining, with their users, re-read
/// every `refresh` (sophon-miner polls every 60 s). Only the first read
/// waits for venus-auth; later re-reads run in the background while the
/// last list answers, so a slow or restarting venus-auth never holds up a
/// round. When a re-read fails the last list stays, and the next try
/// comes a tenth of the period later.
pub struct AuthMembers {
    inner: Arc<Inner>,
}

struct Inner {
    client: AuthClient,
    refresh: Duration,
    /// The last list and when it is due to be read again.
    cached: Mutex<Option<(Instant, HashMap<Address, String>)>>,
    refreshing: AtomicBool,
}

impl AuthMembers {
    /// Members read through `client`, re-read every `refresh`.
    pub fn new(client: AuthClient, refresh: Duration) -> Self {
        AuthMembers {
            inner: Arc::new(Inner {
                client,
                refresh,
                cached: Mutex::new(None),
                refreshing: AtomicBool::new(false),
            }),
        }
    }

    async fn read(&self) -> Result<HashMap<Address, String>> {
        let cached = self.inner.lock().clone();
        let Some((due, list)) = cached else {
            return self.inner.fetch().await;
        };
        if Instant::now() >= due && !self.inner.refreshing.swap(true, Ordering::SeqCst) {
            let inner = self.inner.clone();
            tokio::spawn(async move {
                if let Err(e) = inner.fetch().await {
                    tracing::warn!(target: "venus_miner", error = %e, "re-reading the members from venus-auth failed; keeping the last list");
                    if let Some((due, _)) = &mut *inner.lock() {
                        *due = Instant::now() + inner.refresh / 10;
                    }
                }
                inner.refreshing.store(false, Ordering::SeqCst);
            });
        }
        Ok(list)
    }
}

impl Inner {
    fn lock(&self) -> std::sync::MutexGuard<'_, Option<(Instant, HashMap<Address, String>)>> {
        self.cached.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Reads the list from venus-auth and keeps it.
    async fn fetch(&self) -> Result<HashMap<Address, String>> {
        let miners = self
            .client
            .miners(None)
            .await
            .map_err(|e| MinerError::Members(format!("venus-auth: {e}")))?;
        let mut list = HashMap::new();
        for m in miners.into_iter().filter(|m| m.open_mining) {
            match venus_core::address::parse(&m.address) {
                Ok(addr) => {
                    list.insert(addr, m.user);
                }
                Err(e) => {
                    tracing::warn!(target: "venus_miner", miner = %m.address, error = %e, "venus-auth lists a miner that is not an address; skipped")
                }
            }
        }
        *self.lock() = Some((Instant::now() + self.refresh, list.clone()));
        Ok(list)
    }
}

#[async_trait]
impl Members for AuthMembers {
    async fn miners(&self) -> Result<Vec<Address>> {
        let mut list: Vec<Address> = self.read().await?.into_keys().collect();
        list.sort_by_key(|a| a.to_bytes());
        Ok(list)
    }

    async fn owners(&self) -> Result<HashMap<Address, String>> {
        self.read().await
    }
}
