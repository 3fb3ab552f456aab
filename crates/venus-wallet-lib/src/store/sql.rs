//! [`SqlKeyStore`]: keys in the wallet's SQL database (venus-sql: SQLite by
//! default, MySQL too).

use async_trait::async_trait;
use venus_sql::sqlx::{self, Any, Executor};
use venus_sql::{row, Db};

use super::{KeySnapshot, KeyStore, StoredKey};
use crate::{Result, WalletError};

/// The `meta` row holding the password check.
pub(crate) const PASSWORD_CHECK: &str = "password_check";

/// A [`KeyStore`] on a venus-sql database migrated with the wallet's
/// migrations ([`crate::WalletDb`] opens one). Cheap to clone.
#[derive(Debug, Clone)]
pub struct SqlKeyStore {
    db: Db,
}

impl SqlKeyStore {
    /// The key store of `db`, which must carry the wallet's schema.
    pub fn new(db: Db) -> Self {
        SqlKeyStore { db }
    }
}

async fn check_in<'e, E: Executor<'e, Database = Any>>(e: E, lock: &str) -> Result<Option<String>> {
    let sql = format!("SELECT value FROM meta WHERE name = ?{lock}");
    let row = sqlx::query(&sql)
        .bind(PASSWORD_CHECK)
        .fetch_optional(e)
        .await?;
    Ok(row.map(|r| row::text(&r, 0)).transpose()?)
}

async fn keys_in<'e, E: Executor<'e, Database = Any>>(e: E) -> Result<Vec<StoredKey>> {
    let rows = sqlx::query(
        "SELECT address, key_type, entry FROM `keys` ORDER BY seq, created_at, address",
    )
    .fetch_all(e)
    .await?;
    rows.iter()
        .map(|r| {
            let address = row::text(r, 0)?;
            let key_type = row::small::<u8>(r, 1, &format!("key {address}: key type"))?;
            Ok(StoredKey {
                address,
                key_type,
                entry: row::text(r, 2)?,
            })
        })
        .collect()
}

fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

#[async_trait]
impl KeyStore for SqlKeyStore {
    async fn snapshot(&self) -> Result<KeySnapshot> {
        // One transaction: a re-encryption another process commits is seen
        // whole or not at all.
        let mut tx = self.db.pool().begin().await?;
        let snap = KeySnapshot {
            canary: check_in(&mut *tx, "").await?,
            keys: keys_in(&mut *tx).await?,
        };
        tx.commit().await?;
        Ok(snap)
    }

    async fn password_check(&self) -> Result<Option<String>> {
        check_in(self.db.pool(), "").await
    }

    async fn insert_key(&self, key: &StoredKey, canary: &str) -> Result<()> {
        let mut tx = self.db.begin_write().await?;
        let lock = self.db.backend().for_update();
        if check_in(&mut *tx, lock).await?.as_deref() != Some(canary) {
            return Err(WalletError::PasswordChanged);
        }
        let seq: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(seq), 0) + 1 FROM `keys`")
            .fetch_one(&mut *tx)
            .await?;
        let r = sqlx::query(
            "INSERT INTO `keys` (address, key_type, entry, created_at, seq) VALUES (?, ?, ?, ?, ?)",
        )
        .bind(&key.address)
        .bind(key.key_type as i64)
        .bind(&key.entry)
        .bind(now_secs())
        .bind(seq)
        .execute(&mut *tx)
        .await
        .map_err(venus_sql::SqlError::from);
        match r {
            Err(venus_sql::SqlError::Duplicate(_)) => {
                return Err(WalletError::Duplicate(key.address.clone()))
            }
            other => other?,
        };
        tx.commit().await?;
        Ok(())
    }

    async fn replace_keys(
        &self,
        was: &KeySnapshot,
        entries: &[(String, String)],
        canary: &str,
    ) -> Result<bool> {
        match self.try_replace_keys(was, entries, canary).await {
            // Lost a race with another writer (two first passwords at once
            // on MySQL deadlock on the missing meta row): the store changed
            // or may have; the caller re-reads and tries again.
            Err(WalletError::Storage(_)) | Err(WalletError::Corrupt(_))
                if self.changed_since(was).await =>
            {
                Ok(false)
            }
            other => other,
        }
    }

    async fn delete_key(&self, address: &str) -> Result<bool> {
        // Under the same lock as insert and replace, so a password change
        // never meets a key vanishing halfway.
        let mut tx = self.db.begin_write().await?;
        check_in(&mut *tx, self.db.backend().for_update()).await?;
        let r = sqlx::query("DELETE FROM `keys` WHERE address = ?")
            .bind(address)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(r.rows_affected() > 0)
    }
}

impl SqlKeyStore {
    /// Whether the store no longer holds `was` (or cannot tell).
    async fn changed_since(&self, was: &KeySnapshot) -> bool {
        self.snapshot().await.map_or(true, |now| &now != was)
    }

    async fn try_replace_keys(
        &self,
        was: &KeySnapshot,
        entries: &[(String, String)],
        canary: &str,
    ) -> Result<bool> {
        let mut tx = self.db.begin_write().await?;
        let lock = self.db.backend().for_update();
        let now = KeySnapshot {
            canary: check_in(&mut *tx, lock).await?,
            keys: keys_in(&mut *tx).await?,
        };
        if &now != was {
            return Ok(false);
        }
        for (addr, e) in entries {
            let done = sqlx::query("UPDATE `keys` SET entry = ? WHERE address = ?")
                .bind(e)
                .bind(addr)
                .execute(&mut *tx)
                .await?;
            if done.rows_affected() != 1 {
                // Dropping the transaction rolls every update back.
                return Err(WalletError::Corrupt(format!(
                    "key {addr} could not be re-encrypted; nothing was changed"
                )));
            }
        }
        let upsert = self.db.backend().upsert("meta", &["name", "value"], "name");
        sqlx::query(&upsert)
            .bind(PASSWORD_CHECK)
            .bind(canary)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(true)
    }
}
