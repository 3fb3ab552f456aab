//! [`SqlMemberStore`]: member switches in SQL (venus-sql), one row per
//! miner that was ever switched.

use async_trait::async_trait;
use venus_core::Address;
use venus_sql::sqlx;
use venus_sql::{row, Db, SqlBackend};

use super::MemberStore;
use crate::{now_ms, MinerError, Result};

/// Member switches on a database migrated with [`crate::MIGRATIONS`].
#[derive(Debug, Clone)]
pub struct SqlMemberStore {
    db: Db,
}

impl SqlMemberStore {
    /// The switches on `db`.
    pub fn new(db: Db) -> Self {
        SqlMemberStore { db }
    }
}

#[async_trait]
impl MemberStore for SqlMemberStore {
    async fn set_enabled(&self, miner: &Address, enabled: bool) -> Result<()> {
        let upsert = match self.db.backend() {
            SqlBackend::Sqlite => {
                "INSERT INTO miner_switches (miner, enabled, updated_at_ms) VALUES (?, ?, ?) \
                 ON CONFLICT (miner) DO UPDATE SET enabled = excluded.enabled, \
                 updated_at_ms = excluded.updated_at_ms"
            }
            SqlBackend::MySql => {
                "INSERT INTO miner_switches (miner, enabled, updated_at_ms) VALUES (?, ?, ?) \
                 ON DUPLICATE KEY UPDATE enabled = VALUES(enabled), \
                 updated_at_ms = VALUES(updated_at_ms)"
            }
        };
        sqlx::query(upsert)
            .bind(miner.to_string())
            .bind(i64::from(enabled))
            .bind(now_ms())
            .execute(self.db.pool())
            .await?;
        Ok(())
    }

    async fn switches(&self) -> Result<Vec<(Address, bool)>> {
        let rows = sqlx::query("SELECT miner, enabled FROM miner_switches ORDER BY miner")
            .fetch_all(self.db.pool())
            .await?;
        rows.iter()
            .map(|r| {
                let m = row::text(r, 0)?;
                let miner = m
                    .parse()
                    .map_err(|e| MinerError::Corrupt(format!("miner {m:?}: {e}")))?;
                Ok((miner, row::int(r, 1)? != 0))
            })
            .collect()
    }
}
