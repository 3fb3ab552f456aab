//! [`MemorySlashFilter`]: the slash filter in memory, for one process
//! that may forget its claims when it exits (tests, a throwaway devnet).

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;
use cid::Cid;
use venus_core::{Address, ChainEpoch};

use super::{
    decide, lapse_at, parent_check, unsent_own, BlockClaim, BlockState, BlocksQuery, Claim,
    LeaseHolder, MinedBlock, Refusal, SlashFilter,
};
use crate::{now_ms, MinerError, Result};

#[derive(Default)]
struct Inner {
    /// By (miner, epoch).
    blocks: BTreeMap<(String, ChainEpoch), MinedBlock>,
    /// (miner, parent hash) → epoch.
    by_parents: HashMap<(String, String), ChainEpoch>,
    /// (miner, epoch) → the lease on the won round.
    leases: HashMap<(String, ChainEpoch), LeaseHolder>,
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
        miner: &Address,
        epoch: ChainEpoch,
        instance: &str,
        ttl: Duration,
    ) -> Result<Option<LeaseHolder>> {
        let mut inner = self.lock();
        let until_ms = lapse_at(ttl);
        let lease = inner
            .leases
            .entry((miner.to_string(), epoch))
            .or_insert_with(|| LeaseHolder {
                instance: instance.to_string(),
                proved: false,
                until_ms,
            });
        if !lease.proved && (lease.instance == instance || lease.until_ms < now_ms()) {
            lease.instance = instance.to_string();
            lease.until_ms = until_ms;
        }
        Ok((lease.instance != instance).then(|| lease.clone()))
    }

    async fn settle_lease(
        &self,
        miner: &Address,
        epoch: ChainEpoch,
        instance: &str,
        proved: bool,
    ) -> Result<bool> {
        let mut inner = self.lock();
        let Some(lease) = inner
            .leases
            .get_mut(&(miner.to_string(), epoch))
            .filter(|l| l.instance == instance)
        else {
            return Ok(false);
        };
        if proved {
            lease.proved = true;
        } else if !lease.proved {
            lease.until_ms = 0;
        }
        Ok(true)
    }

    async fn prune_leases(&self, epoch: ChainEpoch) -> Result<u64> {
        let mut inner = self.lock();
        let before = inner.leases.len();
        inner.leases.retain(|(_, e), _| *e >= epoch);
        Ok((before - inner.leases.len()) as u64)
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
                .ok_or_else(|| MinerError::Corrupt("a parents entry without its block".into()))?;
            if !unsent_own(block, other) {
                return Ok(Claim::Refused(Refusal::TimeOffset {
                    other: other.unsigned,
                    epoch: *epoch,
                }));
            }
            // Never sent: it keeps its epoch, and gives up its parents.
            inner.by_parents.remove(&(miner.clone(), hash.clone()));
        }
        if let Some(((_, epoch), _)) = inner
            .blocks
            .range((miner.clone(), block.epoch.saturating_add(1))..)
            .next()
            .filter(|((m, _), _)| *m == miner)
        {
            return Ok(Claim::Refused(Refusal::Later { epoch: *epoch }));
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
        let key = (claim.miner.to_string(), claim.parent_hash());
        if inner.by_parents.get(&key) == Some(&claim.epoch) {
            inner.by_parents.remove(&key);
        }
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
