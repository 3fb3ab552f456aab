//! The members from `venus-auth`: its miners with `open_mining`.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use tokio::sync::Mutex;
use venus_api::auth::AuthClient;
use venus_core::Address;

use crate::builder::Members;
use crate::{MinerError, Result};

/// The miners `venus-auth` opens for mining, with their users, re-read at
/// most every `refresh` (sophon-miner polls every 60 s). When a re-read
/// fails the last list stays, so an auth restart does not stop the pool.
pub struct AuthMembers {
    client: AuthClient,
    refresh: Duration,
    cached: Mutex<Option<(Instant, HashMap<Address, String>)>>,
}

impl AuthMembers {
    /// Members read through `client`, re-read at most every `refresh`.
    pub fn new(client: AuthClient, refresh: Duration) -> Self {
        AuthMembers {
            client,
            refresh,
            cached: Mutex::new(None),
        }
    }

    async fn read(&self) -> Result<HashMap<Address, String>> {
        let mut cached = self.cached.lock().await;
        if let Some((at, list)) = &*cached {
            if at.elapsed() < self.refresh {
                return Ok(list.clone());
            }
        }
        match self.client.miners(None).await {
            Ok(miners) => {
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
                *cached = Some((Instant::now(), list.clone()));
                Ok(list)
            }
            Err(e) => match &mut *cached {
                Some((at, list)) => {
                    tracing::warn!(target: "venus_miner", error = %e, "re-reading the members from venus-auth failed; keeping the last list");
                    // Try again in a tenth of the period, not at every call.
                    *at = Instant::now()
                        .checked_sub(self.refresh - self.refresh / 10)
                        .unwrap_or_else(Instant::now);
                    Ok(list.clone())
                }
                None => Err(MinerError::Members(format!("venus-auth: {e}"))),
            },
        }
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
