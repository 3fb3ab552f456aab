//! [`MemoryRecords`]: mining records in memory.

use std::collections::BTreeMap;
use std::sync::Mutex;

use async_trait::async_trait;
use venus_core::ChainEpoch;

use super::{MiningRecords, Record, RecordQuery};
use crate::Result;

/// Mining records in memory.
#[derive(Default)]
pub struct MemoryRecords {
    /// By (miner, epoch, instance).
    records: Mutex<BTreeMap<(String, ChainEpoch, String), Record>>,
}

impl MemoryRecords {
    /// No records.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<(String, ChainEpoch, String), Record>> {
        self.records.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[async_trait]
impl MiningRecords for MemoryRecords {
    async fn record(&self, record: &Record) -> Result<()> {
        let key = (
            record.miner.to_string(),
            record.epoch,
            record.instance.clone(),
        );
        self.lock().insert(key, record.clone());
        Ok(())
    }

    async fn query(&self, query: &RecordQuery) -> Result<Vec<Record>> {
        let miner = query.miner.to_string();
        let end = query
            .from
            .saturating_add(i64::try_from(query.limit.max(1)).unwrap_or(i64::MAX));
        Ok(self
            .lock()
            .range((miner.clone(), query.from, String::new())..)
            .take_while(|((m, e, _), _)| *m == miner && *e < end)
            .map(|(_, r)| r.clone())
            .collect())
    }

    async fn prune(&self, before_ms: i64) -> Result<u64> {
        let mut records = self.lock();
        let before = records.len();
        records.retain(|_, r| r.at_ms >= before_ms);
        Ok((before - records.len()) as u64)
    }
}
