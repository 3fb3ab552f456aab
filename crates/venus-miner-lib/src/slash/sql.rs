//! [`SqlSlashFilter`]: the slash filter in SQL (venus-sql: a SQLite file
//! for one miner, MySQL for instances that share the pool). The table's
//! primary key (miner, epoch) and unique (miner, parent hash) make a claim
//! exclusive across every instance on the database: the insert is the
//! claim, and a duplicate makes the claim look again, to say who holds it.
//! The checks across epochs (a later claim; the parents' height) are read
//! before the insert and again after it, so that of two instances
//! inserting at once at least one sees the other.

use async_trait::async_trait;
use cid::Cid;
use std::time::Duration;

use venus_core::types::TipSetKey;
use venus_core::{Address, ChainEpoch};
use venus_sql::sqlx::{self, any::AnyRow};
use venus_sql::{row, Db, SqlError};

use super::memory::not_claimed;
use super::{
    decide, fenced_hash, fenced_reason, lapse_at, offset_check, parent_check, parents_hash,
    resent_reason, since, BlockClaim, BlockState, BlocksQuery, Check, Claim, LeaseHolder,
    MinedBlock, Refusal, SlashFilter, UnsentBlock, CLAIM_TRIES, UNSENT_LIMIT,
};
use crate::{now_ms, MinerError, Result};

const COLUMNS: &str = "miner, epoch, parent_epoch, parent_key, unsigned_cid, cid, instance, \
                       state, reason, claimed_at_ms";

/// The slash filter on a database migrated with [`crate::MIGRATIONS`].
/// Cheap to clone; every clone, and every instance on the same database,
/// shares the claims.
#[derive(Debug, Clone)]
pub struct SqlSlashFilter {
    db: Db,
}

impl SqlSlashFilter {
    /// The filter on `db`.
    pub fn new(db: Db) -> Self {
        SqlSlashFilter { db }
    }

    async fn at(&self, miner: &str, epoch: ChainEpoch) -> Result<Option<MinedBlock>> {
        self.find("epoch", miner, epoch).await
    }

    async fn on_parents(&self, miner: &str, hash: &str) -> Result<Option<MinedBlock>> {
        self.find("parent_hash", miner, hash.to_string()).await
    }

    /// The miner's row whose `column` is `value`.
    async fn find<T>(&self, column: &str, miner: &str, value: T) -> Result<Option<MinedBlock>>
    where
        T: for<'q> sqlx::Encode<'q, sqlx::Any> + sqlx::Type<sqlx::Any> + Send,
    {
        let sql = format!("SELECT {COLUMNS} FROM miner_blocks WHERE miner = ? AND {column} = ?");
        let r = sqlx::query(&sql)
            .bind(miner)
            .bind(value)
            .fetch_optional(self.db.pool())
            .await?;
        r.map(|r| mined(&r)).transpose()
    }

    /// One try at claiming `block`: `None` when a row it read changed
    /// under it (another claim or signature got in between), so it must
    /// look again.
    async fn try_claim(&self, block: &BlockClaim, miner: &str) -> Result<Option<Claim>> {
        if let Some(held) = self.at(miner, block.epoch).await? {
            // Read only where it decides: this instance's own block, unsigned.
            let own = held.instance == block.instance && held.unsigned == block.unsigned;
            let fenced = own && held.cid.is_none() && self.is_fenced(&held).await?;
            return Ok(Some(decide(block, &held, fenced)));
        }
        // Refusals first; then the fences, so that a refused claim fences
        // nothing (unless it loses a race after them: the fenced block was
        // late by then anyway).
        let mut fences = Vec::new();
        if let Some(other) = self.on_parents(miner, &block.parent_hash()).await? {
            match offset_check(block, &other) {
                Check::Refuse(why) => return Ok(Some(Claim::Refused(why))),
                Check::Fence => fences.push(other),
                Check::Clear => {}
            }
        }
        if let Some(epoch) = self.later(miner, block.epoch).await? {
            return Ok(Some(Claim::Refused(Refusal::Later { epoch })));
        }
        if let Some(prev) = self.at(miner, block.parent_epoch).await? {
            match parent_check(block, &prev) {
                Check::Refuse(why) => return Ok(Some(Claim::Refused(why))),
                Check::Fence => fences.push(prev),
                Check::Clear => {}
            }
        }
        for other in &fences {
            if !self.fence(other, block).await? {
                return Ok(None);
            }
        }
        let now = now_ms();
        let inserted = sqlx::query(
            "INSERT INTO miner_blocks (miner, epoch, parent_epoch, parent_key, parent_hash, \
             unsigned_cid, cid, instance, state, reason, claimed_at_ms, updated_at_ms) \
             VALUES (?, ?, ?, ?, ?, ?, '', ?, ?, '', ?, ?)",
        )
        .bind(miner)
        .bind(block.epoch)
        .bind(block.parent_epoch)
        .bind(parents_text(&block.parents))
        .bind(block.parent_hash())
        .bind(block.unsigned.to_string())
        .bind(&block.instance)
        .bind(BlockState::Claimed.code())
        .bind(now)
        .bind(now)
        .execute(self.db.pool())
        .await
        .map_err(SqlError::from);
        match inserted {
            Ok(_) => {}
            // Someone claimed between the reads and the insert.
            Err(SqlError::Duplicate(_)) => return Ok(None),
            Err(e) => return Err(e.into()),
        }
        match self.recheck(block, miner).await? {
            None => Ok(Some(Claim::Granted)),
            Some(why) => {
                SlashFilter::release(self, block).await?;
                Ok(Some(Claim::Refused(why)))
            }
        }
    }

    /// The miner's first claimed epoch above `epoch`.
    async fn later(&self, miner: &str, epoch: ChainEpoch) -> Result<Option<ChainEpoch>> {
        let r = sqlx::query(
            "SELECT epoch FROM miner_blocks WHERE miner = ? AND epoch > ? ORDER BY epoch LIMIT 1",
        )
        .bind(miner)
        .bind(epoch)
        .fetch_optional(self.db.pool())
        .await?;
        r.map(|r| row::int(&r, 0)).transpose().map_err(Into::into)
    }

    /// The checks across epochs again, once `block`'s claim is in: another
    /// instance may have claimed a later epoch, or at the parents' height,
    /// between this one's reads and its insert. Of two such inserts, each
    /// re-checked after its own, at least one sees the other: the lower
    /// gives way (`Later`), the higher fences the lower. Why `block` must
    /// give its claim up, if it must.
    async fn recheck(&self, block: &BlockClaim, miner: &str) -> Result<Option<Refusal>> {
        if let Some(epoch) = self.later(miner, block.epoch).await? {
            return Ok(Some(Refusal::Later { epoch }));
        }
        for _ in 0..CLAIM_TRIES {
            let Some(prev) = self.at(miner, block.parent_epoch).await? else {
                return Ok(None);
            };
            match parent_check(block, &prev) {
                Check::Refuse(why) => return Ok(Some(why)),
                Check::Clear => return Ok(None),
                Check::Fence => {
                    if self.fence(&prev, block).await? {
                        return Ok(None);
                    }
                    // Signed meanwhile, or another block there now: look
                    // again.
                }
            }
        }
        Ok(Some(Refusal::Contended))
    }

    /// Whether `held`'s row is fenced: it keeps the parent key a fence
    /// gives it ([`fenced_hash`]).
    async fn is_fenced(&self, held: &MinedBlock) -> Result<bool> {
        let r = sqlx::query("SELECT parent_hash FROM miner_blocks WHERE miner = ? AND epoch = ?")
            .bind(held.miner.to_string())
            .bind(held.epoch)
            .fetch_optional(self.db.pool())
            .await?;
        match r {
            Some(r) => Ok(row::text(&r, 0)? == fenced_hash(held)),
            None => Ok(false),
        }
    }

    /// Fences `other` (its signature not recorded) for `by`, in one
    /// conditional update against its signature being recorded. Whether
    /// it is fenced now (by this call or an earlier one), or gone; `false`
    /// when it got signed first or its epoch holds another block now.
    async fn fence(&self, other: &MinedBlock, by: &BlockClaim) -> Result<bool> {
        let miner = other.miner.to_string();
        let done = sqlx::query(
            // The reason first: MySQL reads `state` in later assignments as
            // already set.
            "UPDATE miner_blocks SET reason = CASE WHEN state = ? THEN reason ELSE ? END, \
             parent_hash = ?, state = ?, updated_at_ms = ? \
             WHERE miner = ? AND epoch = ? AND unsigned_cid = ? AND cid = '' AND parent_hash = ?",
        )
        .bind(BlockState::Failed.code())
        .bind(fenced_reason(by))
        .bind(fenced_hash(other))
        .bind(BlockState::Failed.code())
        .bind(now_ms())
        .bind(&miner)
        .bind(other.epoch)
        .bind(other.unsigned.to_string())
        .bind(parents_hash(&other.parents))
        .execute(self.db.pool())
        .await?;
        // sqlx counts the rows matched (MySQL's CLIENT_FOUND_ROWS).
        if done.rows_affected() > 0 {
            return Ok(true);
        }
        let now = sqlx::query(
            "SELECT unsigned_cid, cid, parent_hash FROM miner_blocks WHERE miner = ? AND epoch = ?",
        )
        .bind(&miner)
        .bind(other.epoch)
        .fetch_optional(self.db.pool())
        .await?;
        Ok(match now {
            None => true,
            Some(r) => {
                row::text(&r, 0)? == other.unsigned.to_string()
                    && row::text(&r, 1)?.is_empty()
                    && row::text(&r, 2)? == fenced_hash(other)
            }
        })
    }

    /// Sets `set` (its values bound by `bind`) and the time on `claim`'s
    /// own row, while it holds its parents.
    async fn update(
        &self,
        claim: &BlockClaim,
        set: &str,
        bind: impl for<'q> FnOnce(AnyQuery<'q>) -> AnyQuery<'q> + Send,
    ) -> Result<()> {
        let sql = format!(
            "UPDATE miner_blocks SET {set}, updated_at_ms = ? \
             WHERE miner = ? AND epoch = ? AND unsigned_cid = ? AND instance = ? \
             AND parent_hash = ?"
        );
        let done = bind(sqlx::query(&sql))
            .bind(now_ms())
            .bind(claim.miner.to_string())
            .bind(claim.epoch)
            .bind(claim.unsigned.to_string())
            .bind(&claim.instance)
            .bind(claim.parent_hash())
            .execute(self.db.pool())
            .await?;
        if done.rows_affected() == 0 {
            return Err(not_claimed(claim));
        }
        Ok(())
    }
}

type AnyQuery<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>;

/// `n` placeholders for an `IN (…)` list.
fn marks(n: usize) -> String {
    vec!["?"; n].join(", ")
}

fn miner_of(s: &str) -> Result<Address> {
    s.parse()
        .map_err(|e| MinerError::Corrupt(format!("miner {s:?}: {e}")))
}

fn state_of(code: i64) -> Result<BlockState> {
    BlockState::from_code(code).ok_or_else(|| MinerError::Corrupt(format!("block state {code}")))
}

fn cid_of(what: &str, s: &str) -> Result<Cid> {
    Cid::try_from(s).map_err(|e| MinerError::Corrupt(format!("{what} {s:?}: {e}")))
}

fn parents_text(key: &TipSetKey) -> String {
    key.cids()
        .iter()
        .map(|c| c.to_string())
        .collect::<Vec<_>>()
        .join(",")
}

fn mined(r: &AnyRow) -> Result<MinedBlock> {
    let parents = row::text(r, 3)?;
    let parents = if parents.is_empty() {
        TipSetKey::default()
    } else {
        TipSetKey::new(
            parents
                .split(',')
                .map(|c| cid_of("parent", c))
                .collect::<Result<_>>()?,
        )
    };
    let cid = row::text(r, 5)?;
    Ok(MinedBlock {
        miner: miner_of(&row::text(r, 0)?)?,
        epoch: row::int(r, 1)?,
        parent_epoch: row::int(r, 2)?,
        parents,
        unsigned: cid_of("unsigned cid", &row::text(r, 4)?)?,
        cid: (!cid.is_empty()).then(|| cid_of("cid", &cid)).transpose()?,
        instance: row::text(r, 6)?,
        state: state_of(row::int(r, 7)?)?,
        reason: row::text(r, 8)?,
        claimed_at_ms: row::int(r, 9)?,
    })
}

#[async_trait]
impl SlashFilter for SqlSlashFilter {
    async fn claim(&self, block: &BlockClaim) -> Result<Claim> {
        let miner = block.miner.to_string();
        for _ in 0..CLAIM_TRIES {
            if let Some(answer) = self.try_claim(block, &miner).await? {
                return Ok(answer);
            }
        }
        Ok(Claim::Refused(Refusal::Contended))
    }

    async fn signed(&self, claim: &BlockClaim, cid: &Cid, block: &[u8]) -> Result<()> {
        let (cid, block) = (cid.to_string(), block.to_vec());
        let state = BlockState::Signed.code();
        self.update(claim, "cid = ?, block = ?, state = ?", move |q| {
            q.bind(cid).bind(block).bind(state)
        })
        .await
    }

    async fn unsent(
        &self,
        miners: &[Address],
        from: ChainEpoch,
        grace: Duration,
    ) -> Result<Vec<UnsentBlock>> {
        if miners.is_empty() {
            return Ok(Vec::new());
        }
        let marks = marks(miners.len());
        let sql = format!(
            "SELECT miner, epoch, cid, instance, state, block FROM miner_blocks \
             WHERE miner IN ({marks}) AND epoch >= ? AND cid <> '' AND block IS NOT NULL \
             AND (state = ? OR (state = ? AND updated_at_ms <= ?)) ORDER BY epoch LIMIT ?"
        );
        let mut q = sqlx::query(&sql);
        for m in miners {
            q = q.bind(m.to_string());
        }
        let before = since(grace);
        let rows = q
            .bind(from)
            .bind(BlockState::Failed.code())
            .bind(BlockState::Signed.code())
            .bind(before)
            .bind(UNSENT_LIMIT as i64)
            .fetch_all(self.db.pool())
            .await?;
        rows.iter()
            .map(|r| {
                Ok(UnsentBlock {
                    miner: miner_of(&row::text(r, 0)?)?,
                    epoch: row::int(r, 1)?,
                    cid: cid_of("cid", &row::text(r, 2)?)?,
                    instance: row::text(r, 3)?,
                    state: state_of(row::int(r, 4)?)?,
                    block: row::bytes(r, 5)?,
                })
            })
            .collect()
    }

    async fn resent(&self, block: &UnsentBlock, instance: &str) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE miner_blocks SET reason = ?, state = ?, updated_at_ms = ? \
             WHERE miner = ? AND epoch = ? AND cid = ? AND state <> ?",
        )
        .bind(resent_reason(block, instance))
        .bind(BlockState::Submitted.code())
        .bind(now_ms())
        .bind(block.miner.to_string())
        .bind(block.epoch)
        .bind(block.cid.to_string())
        .bind(BlockState::Submitted.code())
        .execute(self.db.pool())
        .await?;
        Ok(done.rows_affected() > 0)
    }

    async fn lease(
        &self,
        miner: &Address,
        epoch: ChainEpoch,
        instance: &str,
        ttl: Duration,
    ) -> Result<Option<LeaseHolder>> {
        let miner = miner.to_string();
        let until_ms = lapse_at(ttl);
        let inserted = sqlx::query(
            "INSERT INTO miner_leases (miner, epoch, instance, at_ms, until_ms, proved) \
             VALUES (?, ?, ?, ?, ?, 0)",
        )
        .bind(&miner)
        .bind(epoch)
        .bind(instance)
        .bind(now_ms())
        .bind(until_ms)
        .execute(self.db.pool())
        .await
        .map_err(SqlError::from);
        match inserted {
            Ok(_) => return Ok(None),
            Err(SqlError::Duplicate(_)) => {}
            Err(e) => return Err(e.into()),
        }
        // Renewed by its holder, or taken over once it lapsed: one
        // statement, so two instances cannot both take over.
        sqlx::query(
            "UPDATE miner_leases SET instance = ?, until_ms = ? \
             WHERE miner = ? AND epoch = ? AND proved = 0 AND (instance = ? OR until_ms < ?)",
        )
        .bind(instance)
        .bind(until_ms)
        .bind(&miner)
        .bind(epoch)
        .bind(instance)
        .bind(now_ms())
        .execute(self.db.pool())
        .await?;
        let r = sqlx::query(
            "SELECT instance, proved, until_ms FROM miner_leases WHERE miner = ? AND epoch = ?",
        )
        .bind(&miner)
        .bind(epoch)
        .fetch_one(self.db.pool())
        .await?;
        let holder = LeaseHolder {
            instance: row::text(&r, 0)?,
            proved: row::int(&r, 1)? != 0,
            until_ms: row::int(&r, 2)?,
        };
        Ok((holder.instance != instance).then_some(holder))
    }

    async fn settle_lease(
        &self,
        miner: &Address,
        epoch: ChainEpoch,
        instance: &str,
        proved: bool,
    ) -> Result<bool> {
        let set = if proved {
            "proved = 1"
        } else {
            "until_ms = CASE WHEN proved = 0 THEN 0 ELSE until_ms END"
        };
        let sql =
            format!("UPDATE miner_leases SET {set} WHERE miner = ? AND epoch = ? AND instance = ?");
        sqlx::query(&sql)
            .bind(miner.to_string())
            .bind(epoch)
            .bind(instance)
            .execute(self.db.pool())
            .await?;
        // Read back who holds it now.
        let holder = sqlx::query("SELECT instance FROM miner_leases WHERE miner = ? AND epoch = ?")
            .bind(miner.to_string())
            .bind(epoch)
            .fetch_optional(self.db.pool())
            .await?;
        Ok(match holder {
            Some(r) => row::text(&r, 0)? == instance,
            None => false,
        })
    }

    async fn prune_leases(&self, epoch: ChainEpoch) -> Result<u64> {
        let done = sqlx::query("DELETE FROM miner_leases WHERE epoch < ?")
            .bind(epoch)
            .execute(self.db.pool())
            .await?;
        Ok(done.rows_affected())
    }

    async fn release(&self, claim: &BlockClaim) -> Result<bool> {
        let done = sqlx::query(
            "DELETE FROM miner_blocks WHERE miner = ? AND epoch = ? AND unsigned_cid = ? \
             AND instance = ? AND cid = ''",
        )
        .bind(claim.miner.to_string())
        .bind(claim.epoch)
        .bind(claim.unsigned.to_string())
        .bind(&claim.instance)
        .execute(self.db.pool())
        .await?;
        Ok(done.rows_affected() > 0)
    }

    async fn finish(&self, claim: &BlockClaim, state: BlockState, reason: &str) -> Result<()> {
        let (reason, state, sent) = (
            reason.to_string(),
            state.code(),
            BlockState::Submitted.code(),
        );
        // A block sent again by another instance stays so (the reason
        // first: MySQL reads `state` in later assignments as already set).
        self.update(
            claim,
            "reason = CASE WHEN state = ? THEN reason ELSE ? END, \
             state = CASE WHEN state = ? THEN state ELSE ? END",
            move |q| q.bind(sent).bind(reason).bind(sent).bind(state),
        )
        .await
    }

    async fn list(&self, query: &BlocksQuery) -> Result<Vec<MinedBlock>> {
        let mut sql = format!("SELECT {COLUMNS} FROM miner_blocks");
        if !query.miners.is_empty() {
            let marks = marks(query.miners.len());
            sql.push_str(&format!(" WHERE miner IN ({marks})"));
        }
        sql.push_str(" ORDER BY epoch DESC, miner");
        let limit = i64::try_from(query.limit).unwrap_or(i64::MAX);
        let offset = i64::try_from(query.offset).unwrap_or(i64::MAX);
        sql.push_str(" LIMIT ? OFFSET ?");
        let mut q = sqlx::query(&sql);
        for m in &query.miners {
            q = q.bind(m.to_string());
        }
        let rows = q
            .bind(if limit == 0 { i64::MAX } else { limit })
            .bind(offset)
            .fetch_all(self.db.pool())
            .await?;
        rows.iter().map(mined).collect()
    }
}
