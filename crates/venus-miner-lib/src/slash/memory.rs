//! [`MemorySlashFilter`]: the slash filter in memory, for one process
//! that may forget its claims when it exits (tests, a throwaway devnet).

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use async_trait::async_trait;
use cid::Cid;
use venus_core::ChainEpoch;

use super::{
    decide, parent_check, BlockClaim, BlockState, BlocksQuery, Claim, MinedBlock, Refusal,
    SlashFilter,
};
use crate::{now_ms, MinerError, Result};

#[derive(Default)]
struct Inner {
    /// By (miner, epoch).
    blocks: BTreeMap<(String, ChainEpoch), MinedBlock>,
    /// (miner, parent hash) → epoch.
    by_parents: HashMap<(String, String), ChainEpoch>,
    /// (miner, epoch) → the instance that took the round.
    leases: HashMap<(String, ChainEpoch), String>,
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
    async fn lease(
        &self,
        miner: &venus_core::Address,
        epoch: ChainEpoch,
        instance: &str,
    ) -> Result<Option<String>> {
        let mut inner = self.lock();
        let holder = inner
            .leases
            .entry((miner.to_string(), epoch))
            .or_insert_with(|| instance.to_string());
        Ok((holder != instance).then(|| holder.clone()))
    }

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
        if let Some(prev) = inner.blocks.get(&(miner.clone(), block.parent_epoch)) {
            if let Some(refused) = parent_check(block, prev) {
                return Ok(refused);
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

    async fn signed(&self, claim: &BlockClaim, cid: &Cid) -> Result<()> {
        let mut inner = self.lock();
        let b = held(&mut inner, claim)?;
        b.cid = Some(*cid);
        b.state = BlockState::Signed;
        Ok(())
    }

    async fn release(&self, claim: &BlockClaim) -> Result<bool> {
        let mut inner = self.lock();
        match held(&mut inner, claim) {
            Ok(b) if b.cid.is_none() => {}
            _ => return Ok(false),
        }
        inner.blocks.remove(&(claim.miner.to_string(), claim.epoch));
        inner
            .by_parents
            .remove(&(claim.miner.to_string(), claim.parent_hash()));
        Ok(true)
    }

    async fn finish(&self, claim: &BlockClaim, state: BlockState, reason: &str) -> Result<()> {
        let mut inner = self.lock();
        let b = held(&mut inner, claim)?;
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

/// The row holding `claim` itself (same block, same instance).
fn held<'a>(inner: &'a mut Inner, claim: &BlockClaim) -> Result<&'a mut MinedBlock> {
    inner
        .blocks
        .get_mut(&(claim.miner.to_string(), claim.epoch))
        .filter(|b| b.unsigned == claim.unsigned && b.instance == claim.instance)
        .ok_or_else(|| not_claimed(claim))
}

pub(super) fn not_claimed(claim: &BlockClaim) -> MinerError {
    MinerError::NotFound(format!(
        "{} holds no claim of block {} of {} at epoch {}",
        claim.instance, claim.unsigned, claim.miner, claim.epoch
    ))
}
