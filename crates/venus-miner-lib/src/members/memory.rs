//! [`MemoryMemberStore`]: member switches in memory.

use std::collections::BTreeMap;
use std::sync::Mutex;

use async_trait::async_trait;
use venus_core::Address;

use super::MemberStore;
use crate::{MinerError, Result};

/// Member switches in memory (forgotten on exit).
#[derive(Default)]
pub struct MemoryMemberStore {
    switches: Mutex<BTreeMap<String, bool>>,
}

impl MemoryMemberStore {
    /// No switches set.
    pub fn new() -> Self {
        Self::default()
    }
}

#[async_trait]
impl MemberStore for MemoryMemberStore {
    async fn set_enabled(&self, miner: &Address, enabled: bool) -> Result<()> {
        self.switches
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(miner.to_string(), enabled);
        Ok(())
    }

    async fn switches(&self) -> Result<Vec<(Address, bool)>> {
        self.switches
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .map(|(m, on)| {
                let miner = m
                    .parse()
                    .map_err(|e| MinerError::Corrupt(format!("miner {m:?}: {e}")))?;
                Ok((miner, *on))
            })
            .collect()
    }
}
