//! The wallet's SQLite database: encrypted keys, policies, bindings, sign records.

use std::path::Path;
use std::str::FromStr;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Row, Sqlite, SqlitePool};

use crate::crypt::EncryptedKey;
use crate::policy::{Policy, PolicyGroup};
use crate::record::{RecordQuery, SignRecord};
use crate::{Result, WalletError};

/// The wallet's storage. Cheap to clone.
#[derive(Clone, Debug)]
pub struct WalletDb {
    pool: SqlitePool,
}

/// The `meta` row holding the password check (a canary encrypted with the password).
pub(crate) const PASSWORD_CHECK: &str = "password_check";

/// What the keystore holds: the password check and every key row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct KeySnapshot {
    pub canary: Option<String>,
    pub keys: Vec<(String, u8, String)>,
}

async fn meta_in<'e, E: sqlx::Executor<'e, Database = Sqlite>>(
    e: E,
    name: &str,
) -> Result<Option<String>> {
    let row = sqlx::query("SELECT value FROM meta WHERE name = ?")
        .bind(name)
        .fetch_optional(e)
        .await?;
    Ok(row.map(|r| r.try_get(0)).transpose()?)
}

async fn keys_in<'e, E: sqlx::Executor<'e, Database = Sqlite>>(
    e: E,
) -> Result<Vec<(String, u8, String)>> {
    let rows =
        sqlx::query("SELECT address, key_type, entry FROM keys ORDER BY created_at, address")
            .fetch_all(e)
            .await?;
    rows.iter()
        .map(|r| {
            let address: String = r.try_get(0)?;
            let key_type = u8::try_from(r.try_get::<i64, _>(1)?).map_err(|_| {
                WalletError::Corrupt(format!("key {address}: key type out of range"))
            })?;
            Ok((address, key_type, r.try_get(2)?))
        })
        .collect()
}

fn json<T: serde::Serialize>(v: &T) -> Result<String> {
    serde_json::to_string(v).map_err(|e| WalletError::Invalid(e.to_string()))
}

fn parse<T: serde::de::DeserializeOwned>(what: &str, s: &str) -> Result<T> {
    serde_json::from_str(s).map_err(|e| WalletError::Corrupt(format!("{what}: {e}")))
}

impl WalletDb {
    /// Opens (creating if needed) the database file and runs migrations.
    ///
    /// `synchronous=FULL`: in WAL mode, `NORMAL` may lose the last commits on
    /// power loss, and a key that `WalletNew` returned must survive one.
    pub async fn open(path: &Path) -> Result<Self> {
        let opts = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full);
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(opts)
            .await?;
        Self::migrate(pool).await
    }

    /// SQLite's `synchronous` level on the wallet's connections (2 = FULL):
    /// what a committed key survives.
    pub async fn synchronous(&self) -> Result<i64> {
        let row = sqlx::query("PRAGMA synchronous")
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get(0)?)
    }

    /// A database in memory, for tests.
    pub async fn in_memory() -> Result<Self> {
        let opts = SqliteConnectOptions::from_str("sqlite::memory:")?;
        // One connection: each in-memory connection would be its own database.
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(opts)
            .await?;
        Self::migrate(pool).await
    }

    async fn migrate(pool: SqlitePool) -> Result<Self> {
        sqlx::migrate!("./migrations").run(&pool).await?;
        Ok(WalletDb { pool })
    }

    pub(crate) async fn meta(&self, name: &str) -> Result<Option<String>> {
        meta_in(&self.pool, name).await
    }

    /// The password check and every key, read in one transaction so that a
    /// re-encryption committed by another process is seen whole or not at all.
    pub(crate) async fn snapshot(&self) -> Result<KeySnapshot> {
        let mut tx = self.pool.begin().await?;
        let snap = KeySnapshot {
            canary: meta_in(&mut *tx, PASSWORD_CHECK).await?,
            keys: keys_in(&mut *tx).await?,
        };
        tx.commit().await?;
        Ok(snap)
    }

    /// Stores a new key, provided the password check is still `canary`:
    /// a key encrypted under a password that another process has since
    /// replaced would never open again.
    pub(crate) async fn insert_key(
        &self,
        address: &str,
        key_type: u8,
        entry: &EncryptedKey,
        canary: &str,
    ) -> Result<()> {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0);
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        if meta_in(&mut *tx, PASSWORD_CHECK).await?.as_deref() != Some(canary) {
            return Err(WalletError::PasswordChanged);
        }
        let r = sqlx::query(
            "INSERT INTO keys (address, key_type, entry, created_at) VALUES (?, ?, ?, ?)",
        )
        .bind(address)
        .bind(key_type as i64)
        .bind(json(entry)?)
        .bind(now)
        .execute(&mut *tx)
        .await;
        match r {
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                return Err(WalletError::Duplicate(address.into()))
            }
            other => other?,
        };
        tx.commit().await?;
        Ok(())
    }

    /// Replaces every key entry and the password check, provided the
    /// database still holds exactly `was`: the re-encryption then covers
    /// every key it holds. Returns `false` (and changes nothing) when another
    /// writer changed the keys meanwhile.
    pub(crate) async fn replace_keys(
        &self,
        was: &KeySnapshot,
        entries: &[(String, EncryptedKey)],
        canary: &EncryptedKey,
    ) -> Result<bool> {
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let now = KeySnapshot {
            canary: meta_in(&mut *tx, PASSWORD_CHECK).await?,
            keys: keys_in(&mut *tx).await?,
        };
        if &now != was {
            return Ok(false);
        }
        for (addr, e) in entries {
            let done = sqlx::query("UPDATE keys SET entry = ? WHERE address = ?")
                .bind(json(e)?)
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
        sqlx::query("INSERT INTO meta (name, value) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value = excluded.value")
            .bind(PASSWORD_CHECK)
            .bind(json(canary)?)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Every stored key: (address, key type, raw entry). Entries are parsed by the caller, so one bad row cannot hide the rest.
    pub(crate) async fn keys(&self) -> Result<Vec<(String, u8, String)>> {
        keys_in(&self.pool).await
    }

    pub(crate) async fn delete_key(&self, address: &str) -> Result<bool> {
        let r = sqlx::query("DELETE FROM keys WHERE address = ?")
            .bind(address)
            .execute(&self.pool)
            .await?;
        Ok(r.rows_affected() > 0)
    }

    /// Adds or replaces a policy. A policy that allows `unknown` is stored
    /// with a logged warning (see [`Policy::warnings`]).
    pub async fn put_policy(&self, p: &Policy) -> Result<()> {
        if p.name.is_empty() {
            return Err(WalletError::Invalid("policy needs a name".into()));
        }
        for w in p.warnings() {
            tracing::warn!(target: "venus::wallet", policy = %p.name, "{w}");
        }
        sqlx::query("INSERT INTO policies (name, body) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET body = excluded.body")
            .bind(&p.name)
            .bind(json(p)?)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Removes a policy; returns whether it existed.
    pub async fn delete_policy(&self, name: &str) -> Result<bool> {
        Ok(sqlx::query("DELETE FROM policies WHERE name = ?")
            .bind(name)
            .execute(&self.pool)
            .await?
            .rows_affected()
            > 0)
    }

    /// All policies.
    pub async fn policies(&self) -> Result<Vec<Policy>> {
        let rows = sqlx::query("SELECT body FROM policies ORDER BY name")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| parse("policy", &r.try_get::<String, _>(0)?))
            .collect()
    }

    /// Adds or replaces a group; every policy it names must exist.
    pub async fn put_group(&self, g: &PolicyGroup) -> Result<()> {
        let known: Vec<String> = self.policies().await?.into_iter().map(|p| p.name).collect();
        if let Some(missing) = g.policies.iter().find(|p| !known.contains(p)) {
            return Err(WalletError::Invalid(format!(
                "group {} names unknown policy {missing}",
                g.name
            )));
        }
        sqlx::query("INSERT INTO policy_groups (name, policies) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET policies = excluded.policies")
            .bind(&g.name)
            .bind(json(&g.policies)?)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// All groups.
    pub async fn groups(&self) -> Result<Vec<PolicyGroup>> {
        let rows = sqlx::query("SELECT name, policies FROM policy_groups ORDER BY name")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(PolicyGroup {
                    name: r.try_get(0)?,
                    policies: parse("group", &r.try_get::<String, _>(1)?)?,
                })
            })
            .collect()
    }

    /// Binds a caller (a token name) to a group.
    pub async fn bind(&self, caller: &str, group: &str) -> Result<()> {
        if !self.groups().await?.iter().any(|g| g.name == group) {
            return Err(WalletError::Invalid(format!("unknown group {group}")));
        }
        sqlx::query("INSERT INTO bindings (caller, group_name) VALUES (?, ?) ON CONFLICT(caller) DO UPDATE SET group_name = excluded.group_name")
            .bind(caller)
            .bind(group)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The policies that apply to a caller.
    pub async fn policies_for(&self, caller: &str) -> Result<Vec<Policy>> {
        let row = sqlx::query("SELECT g.policies FROM bindings b JOIN policy_groups g ON g.name = b.group_name WHERE b.caller = ?")
            .bind(caller)
            .fetch_optional(&self.pool)
            .await?;
        let Some(row) = row else {
            return Ok(Vec::new());
        };
        let names: Vec<String> = parse("group", &row.try_get::<String, _>(0)?)?;
        Ok(self
            .policies()
            .await?
            .into_iter()
            .filter(|p| names.contains(&p.name))
            .collect())
    }

    pub(crate) async fn insert_record(&self, r: &SignRecord) -> Result<()> {
        sqlx::query("INSERT INTO sign_records (at_ms, caller, address, msg_type, object, ok, error) VALUES (?, ?, ?, ?, ?, ?, ?)")
            .bind(r.at_ms)
            .bind(&r.caller)
            .bind(&r.address)
            .bind(json(&r.msg_type)?)
            .bind(&r.object)
            .bind(r.ok as i64)
            .bind(&r.error)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Sign records matching `q`, newest first.
    pub async fn records(&self, q: &RecordQuery) -> Result<Vec<SignRecord>> {
        let mt = q.msg_type.map(|t| json(&t)).transpose()?;
        let rows = sqlx::query(
            "SELECT at_ms, caller, address, msg_type, object, ok, error FROM sign_records
             WHERE (?1 IS NULL OR address = ?1) AND (?2 IS NULL OR msg_type = ?2)
               AND (?3 IS NULL OR at_ms >= ?3) AND (?4 IS NULL OR at_ms < ?4)
             ORDER BY id DESC LIMIT ?5",
        )
        .bind(&q.address)
        .bind(mt)
        .bind(q.from_ms)
        .bind(q.to_ms)
        .bind(q.limit.unwrap_or(1000) as i64)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(SignRecord {
                    at_ms: r.try_get(0)?,
                    caller: r.try_get(1)?,
                    address: r.try_get(2)?,
                    msg_type: parse("record type", &r.try_get::<String, _>(3)?)?,
                    object: r.try_get(4)?,
                    ok: r.try_get::<i64, _>(5)? != 0,
                    error: r.try_get(6)?,
                })
            })
            .collect()
    }
}
