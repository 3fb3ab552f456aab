//! [`SqlRecords`]: mining records in SQL (venus-sql), one row per miner,
//! epoch and instance; the stage times as JSON (`[["base_info", µs], …]`).

use std::time::Duration;

use async_trait::async_trait;
use venus_sql::sqlx::{self, any::AnyRow};
use venus_sql::{row, Db, SqlBackend};

use super::{MiningRecords, Outcome, Record, RecordQuery, Stage};
use crate::{MinerError, Result};

/// Mining records on a database migrated with [`crate::MIGRATIONS`].
#[derive(Debug, Clone)]
pub struct SqlRecords {
    db: Db,
}

impl SqlRecords {
    /// The records on `db`.
    pub fn new(db: Db) -> Self {
        SqlRecords { db }
    }
}

fn stages_json(stages: &[(Stage, Duration)]) -> Result<String> {
    let micros: Vec<(Stage, u64)> = stages
        .iter()
        .map(|(s, d)| (*s, u64::try_from(d.as_micros()).unwrap_or(u64::MAX)))
        .collect();
    serde_json::to_string(&micros).map_err(|e| MinerError::Corrupt(e.to_string()))
}

fn record(r: &AnyRow) -> Result<Record> {
    let miner = row::text(r, 0)?;
    let outcome = row::int(r, 3)?;
    let stages: Vec<(Stage, u64)> = serde_json::from_str(&row::text(r, 5)?)
        .map_err(|e| MinerError::Corrupt(format!("stage times of {miner}: {e}")))?;
    Ok(Record {
        miner: miner
            .parse()
            .map_err(|e| MinerError::Corrupt(format!("miner {miner:?}: {e}")))?,
        epoch: row::int(r, 1)?,
        instance: row::text(r, 2)?,
        outcome: Outcome::from_code(outcome)
            .ok_or_else(|| MinerError::Corrupt(format!("outcome {outcome}")))?,
        reason: row::text(r, 4)?,
        stages: stages
            .into_iter()
            .map(|(s, us)| (s, Duration::from_micros(us)))
            .collect(),
        at_ms: row::int(r, 6)?,
    })
}

#[async_trait]
impl MiningRecords for SqlRecords {
    async fn record(&self, rec: &Record) -> Result<()> {
        // One statement: two instances recording the same round never
        // wait on each other's locks.
        let on_conflict = match self.db.backend() {
            SqlBackend::Sqlite => {
                "ON CONFLICT (miner, epoch, instance) DO UPDATE SET outcome = excluded.outcome, \
                 reason = excluded.reason, stages = excluded.stages, at_ms = excluded.at_ms"
            }
            SqlBackend::MySql => {
                "ON DUPLICATE KEY UPDATE outcome = VALUES(outcome), reason = VALUES(reason), \
                 stages = VALUES(stages), at_ms = VALUES(at_ms)"
            }
        };
        let sql = format!(
            "INSERT INTO mining_records (miner, epoch, instance, outcome, reason, stages, at_ms) \
             VALUES (?, ?, ?, ?, ?, ?, ?) {on_conflict}"
        );
        sqlx::query(&sql)
            .bind(rec.miner.to_string())
            .bind(rec.epoch)
            .bind(&rec.instance)
            .bind(rec.outcome.code())
            .bind(&rec.reason)
            .bind(stages_json(&rec.stages)?)
            .bind(rec.at_ms)
            .execute(self.db.pool())
            .await?;
        Ok(())
    }

    async fn query(&self, q: &RecordQuery) -> Result<Vec<Record>> {
        let rows = sqlx::query(
            "SELECT miner, epoch, instance, outcome, reason, stages, at_ms FROM mining_records \
             WHERE miner = ? AND epoch >= ? AND epoch < ? ORDER BY epoch, instance",
        )
        .bind(q.miner.to_string())
        .bind(q.from)
        .bind(
            q.from
                .saturating_add(i64::try_from(q.limit.max(1)).unwrap_or(i64::MAX)),
        )
        .fetch_all(self.db.pool())
        .await?;
        rows.iter().map(record).collect()
    }

    async fn prune(&self, before_ms: i64) -> Result<u64> {
        let done = sqlx::query("DELETE FROM mining_records WHERE at_ms < ?")
            .bind(before_ms)
            .execute(self.db.pool())
            .await?;
        Ok(done.rows_affected())
    }
}
