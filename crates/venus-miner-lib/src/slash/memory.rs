//! [`MemorySlashFilter`]: the slash filter in memory, for one process
//! that may forget its claims when it exits (tests, a throwaway devnet).

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use async_trait::async_trait;
use cid::Cid;
use venus_core::{Address, ChainEpoch};

use super::{decide, BlockClaim, BlockState, BlocksQuery, Claim, MinedBlock, Refusal, SlashFilter};
use crate::{now_ms, MinerError, Result};

#[derive(Default)]
struct Inner {
    /// By (miner, epoch).
    blocks: BTreeMap<(String, ChainEpoch), MinedBlock>,
    /// (miner, parent hash) → epoch.
    by_parents: HashMap<(String, String), ChainEpoch>,
}

/// The slash filter in memory.
#[derive(Default)]
pub struct MemorySlashFilter {
    inner: Mutex<Inner>,
}

impl MemorySlashFilter {
    /// An empty filter.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[async_trait]
impl SlashFilter for MemorySlashFilter {
    async fn claim(&self, block: &BlockClaim) -> Result<Claim> {
        let mut inner = self.lock();
        let miner = block.miner.to_string();
        if let Some(held) = inner.blocks.get(&(miner.clone(), block.epoch)) {
            return Ok(decide(block, &held.unsigned, &held.instance));
        }
        let hash = block.parent_hash();
        if let Some(epoch) = inner.by_parents.get(&(miner.clone(), hash.clone())) {
            let other = inner
                .blocks
                .get(&(miner.clone(), *epoch))
                .map(|b| b.unsigned)
                .ok_or_else(|| MinerError::Corrupt("a parents entry without its block".into()))?;
            return Ok(Claim::Refused(Refusal::TimeOffset {
                other,
                epoch: *epoch,
            }));
        }
        if let Some(ours) = inner
            .blocks
            .get(&(miner.clone(), block.parent_epoch))
            .and_then(|b| b.cid)
        {
            if !block.parents.cids().contains(&ours) {
                return Ok(Claim::Refused(Refusal::ParentGrinding { ours }));
            }
        }
        inner.by_parents.insert((miner.clone(), hash), block.epoch);
        inner.blocks.insert(
            (miner, block.epoch),
            MinedBlock {
                miner: block.miner,
                epoch: block.epoch,
                parent_epoch: block.parent_epoch,
                parents: block.parents.clone(),
                unsigned: block.unsigned,
                cid: None,
                instance: block.instance.clone(),
                state: BlockState::Claimed,
                reason: String::new(),
                claimed_at_ms: now_ms(),
            },
        );
        Ok(Claim::Granted)
    }

    async fn signed(&self, miner: &Address, epoch: ChainEpoch, cid: &Cid) -> Result<()> {
        let mut inner = self.lock();
        let b = inner
            .blocks
            .get_mut(&(miner.to_string(), epoch))
            .ok_or_else(|| not_claimed(miner, epoch))?;
        b.cid = Some(*cid);
        b.state = BlockState::Signed;
        Ok(())
    }

    async fn release(&self, miner: &Address, epoch: ChainEpoch, unsigned: &Cid) -> Result<bool> {
        let mut inner = self.lock();
        let key = (miner.to_string(), epoch);
        let Some(b) = inner.blocks.get(&key) else {
            return Ok(false);
        };
        if b.cid.is_some() || b.unsigned != *unsigned {
            return Ok(false);
        }
        let parents = BlockClaim {
            miner: *miner,
            epoch,
            parent_epoch: b.parent_epoch,
            parents: b.parents.clone(),
            unsigned: *unsigned,
            instance: String::new(),
        }
        .parent_hash();
        inner.blocks.remove(&key);
        inner.by_parents.remove(&(key.0, parents));
        Ok(true)
    }

    async fn finish(
        &self,
        miner: &Address,
        epoch: ChainEpoch,
        state: BlockState,
        reason: &str,
    ) -> Result<()> {
        let mut inner = self.lock();
        let b = inner
            .blocks
            .get_mut(&(miner.to_string(), epoch))
            .ok_or_else(|| not_claimed(miner, epoch))?;
        b.state = state;
        b.reason = reason.to_string();
        Ok(())
    }

    async fn list(&self, query: &BlocksQuery) -> Result<Vec<MinedBlock>> {
        let inner = self.lock();
        let mut out: Vec<MinedBlock> = inner
            .blocks
            .values()
            .filter(|b| query.miners.is_empty() || query.miners.contains(&b.miner))
            .cloned()
            .collect();
        // Newest first; one epoch's blocks by miner.
        out.sort_by(|a, b| {
            b.epoch
                .cmp(&a.epoch)
                .then_with(|| a.miner.to_string().cmp(&b.miner.to_string()))
        });
        let limit = if query.limit == 0 {
            usize::MAX
        } else {
            query.limit
        };
        Ok(out.into_iter().skip(query.offset).take(limit).collect())
    }
}

pub(super) fn not_claimed(miner: &Address, epoch: ChainEpoch) -> MinerError {
    MinerError::NotFound(format!("no block of {miner} claimed at epoch {epoch}"))
}
