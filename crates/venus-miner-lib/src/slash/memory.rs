//! [`MemorySlashFilter`]: the slash filter in memory, for one process
//! that may forget its claims when it exits (tests, a throwaway devnet).

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;
use cid::Cid;
use venus_core::{Address, ChainEpoch};

use super::{
    decide, fenced_reason, lapse_at, offset_check, parent_check, parents_hash, resent_reason,
    since, BlockClaim, BlockState, BlocksQuery, Check, Claim, LeaseHolder, MinedBlock, Refusal,
    SlashFilter, UnsentBlock, UNSENT_LIMIT,
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
    /// (miner, epoch) → the signed block's CBOR, and when its row last
    /// changed (Unix milliseconds).
    signed: HashMap<(String, ChainEpoch), (Vec<u8>, i64)>,
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
            // A claim unsigned and no longer holding its parents is fenced.
            let fenced = held.cid.is_none()
                && inner
                    .by_parents
                    .get(&(miner.clone(), parents_hash(&held.parents)))
                    != Some(&held.epoch);
            return Ok(decide(block, held, fenced));
        }
        let hash = block.parent_hash();
        // Refusals first; then the fences, so that a refused claim fences
        // nothing.
        let mut fences = Vec::new();
        if let Some(epoch) = inner.by_parents.get(&(miner.clone(), hash.clone())) {
            let other = inner
                .blocks
                .get(&(miner.clone(), *epoch))
                .ok_or_else(|| MinerError::Corrupt("a parents entry without its block".into()))?;
            match offset_check(block, other) {
                Check::Refuse(why) => return Ok(Claim::Refused(why)),
                Check::Fence => fences.push(*epoch),
                Check::Clear => {}
            }
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
            match parent_check(block, prev) {
                Check::Refuse(why) => return Ok(Claim::Refused(why)),
                Check::Fence => fences.push(block.parent_epoch),
                Check::Clear => {}
            }
        }
        for epoch in fences {
            fence(&mut inner, &miner, epoch, block);
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

    async fn signed(&self, claim: &BlockClaim, cid: &Cid, block: &[u8]) -> Result<()> {
        let mut inner = self.lock();
        let b = held(&mut inner, claim, true)?;
        b.cid = Some(*cid);
        b.state = BlockState::Signed;
        let key = (claim.miner.to_string(), claim.epoch);
        inner.signed.insert(key, (block.to_vec(), now_ms()));
        Ok(())
    }

    async fn unsent(
        &self,
        miners: &[Address],
        from: ChainEpoch,
        grace: Duration,
    ) -> Result<Vec<UnsentBlock>> {
        let inner = self.lock();
        let before = since(grace);
        let mut out: Vec<UnsentBlock> = inner
            .blocks
            .iter()
            .filter(|((_, epoch), b)| *epoch >= from && miners.contains(&b.miner))
            .filter_map(|(key, b)| {
                let (block, at) = inner.signed.get(key)?;
                let cid = b.cid?;
                let offered = match b.state {
                    BlockState::Failed => true,
                    BlockState::Signed => *at <= before,
                    _ => false,
                };
                offered.then(|| UnsentBlock {
                    miner: b.miner,
                    epoch: b.epoch,
                    cid,
                    instance: b.instance.clone(),
                    state: b.state,
                    block: block.clone(),
                })
            })
            .collect();
        out.sort_by_key(|b| b.epoch);
        out.truncate(UNSENT_LIMIT);
        Ok(out)
    }

    async fn resent(&self, block: &UnsentBlock, instance: &str) -> Result<bool> {
        let mut inner = self.lock();
        let key = (block.miner.to_string(), block.epoch);
        let Some(b) = inner
            .blocks
            .get_mut(&key)
            .filter(|b| b.cid == Some(block.cid) && b.state != BlockState::Submitted)
        else {
            return Ok(false);
        };
        b.state = BlockState::Submitted;
        b.reason = resent_reason(block, instance);
        Ok(true)
    }

    async fn release(&self, claim: &BlockClaim) -> Result<bool> {
        let mut inner = self.lock();
        match held(&mut inner, claim, false) {
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
        let b = held(&mut inner, claim, true)?;
        // A block sent again by another instance stays so.
        if b.state != BlockState::Submitted {
            b.state = state;
            b.reason = reason.to_string();
        }
        if let Some((_, at)) = inner
            .signed
            .get_mut(&(claim.miner.to_string(), claim.epoch))
        {
            *at = now_ms();
        }
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

/// The row holding `claim` itself (same block, same instance); if
/// `unfenced`, only while it still holds its parents.
fn held<'a>(
    inner: &'a mut Inner,
    claim: &BlockClaim,
    unfenced: bool,
) -> Result<&'a mut MinedBlock> {
    let key = (claim.miner.to_string(), claim.parent_hash());
    let holds_parents = inner.by_parents.get(&key) == Some(&claim.epoch);
    inner
        .blocks
        .get_mut(&(claim.miner.to_string(), claim.epoch))
        .filter(|b| {
            b.unsigned == claim.unsigned
                && b.instance == claim.instance
                && (holds_parents || !unfenced)
        })
        .ok_or_else(|| not_claimed(claim))
}

/// Fences the miner's unsigned block at `epoch` for `by`: it keeps its
/// epoch, gives up its parents, and can no longer be signed.
fn fence(inner: &mut Inner, miner: &str, epoch: ChainEpoch, by: &BlockClaim) {
    let Some(b) = inner.blocks.get_mut(&(miner.to_string(), epoch)) else {
        return;
    };
    let key = (miner.to_string(), parents_hash(&b.parents));
    if b.cid.is_none() && inner.by_parents.get(&key) == Some(&epoch) {
        inner.by_parents.remove(&key);
        if b.state != BlockState::Failed {
            b.state = BlockState::Failed;
            b.reason = fenced_reason(by);
        }
    }
}

pub(super) fn not_claimed(claim: &BlockClaim) -> MinerError {
    MinerError::NotFound(format!(
        "{} holds no claim of block {} of {} at epoch {} (or a later claim fenced it)",
        claim.instance, claim.unsigned, claim.miner, claim.epoch
    ))
}
