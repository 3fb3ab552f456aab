//! The wallet's database (venus-sql; SQLite by default): encrypted keys
//! (through [`SqlKeyStore`]), policies, bindings and sign records.

use std::path::Path;

use venus_sql::sqlx;
use venus_sql::{row, Db, GroupCommit, Migrations, Statement};

use crate::policy::{Policy, PolicyGroup};
use crate::record::{RecordQuery, SignRecord};
use crate::store::SqlKeyStore;
use crate::{Result, WalletError};

/// The wallet's schema, per engine.
pub static MIGRATIONS: Migrations = Migrations::new()
    .sqlite(&sqlx::migrate!("./migrations/sqlite"))
    .mysql(&sqlx::migrate!("./migrations/mysql"));

/// Sign records per commit at most.
const RECORD_BATCH: usize = 512;

/// How long the record writer waits before a commit while signers arrive
/// together, so that more of their records share it. With 64 concurrent
/// secp256k1 signers (`benches/wallet.rs`, this machine, before the bench
/// ran the daemon on a runtime of its own) a record cost 37% more process
/// CPU per signature without the wait (about 3 records per commit) and 20%
/// with 1 ms (about 25); 2 and 4 ms saved no more CPU and cost throughput.
/// A lone signer waits at most once, right after a burst.
const RECORD_LINGER: std::time::Duration = std::time::Duration::from_millis(1);

/// The wallet's storage. Cheap to clone.
#[derive(Clone, Debug)]
pub struct WalletDb {
    db: Db,
    records: GroupCommit,
    /// The record insert, built once and cloned per record.
    record_insert: Statement,
    /// Bench-only: whether sign records are written.
    recording: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

/// `v` as JSON text; a value that cannot be written is invalid input.
pub(crate) fn json<T: serde::Serialize>(v: &T) -> Result<String> {
    serde_json::to_string(v).map_err(|e| WalletError::Invalid(e.to_string()))
}

fn parse<T: serde::de::DeserializeOwned>(what: &str, s: &str) -> Result<T> {
    serde_json::from_str(s).map_err(|e| WalletError::Corrupt(format!("{what}: {e}")))
}

impl WalletDb {
    /// Opens (creating if needed) the SQLite file at `path` and runs migrations.
    ///
    /// `synchronous=FULL`: in WAL mode, `NORMAL` may lose the last commits on
    /// power loss, and a key that `WalletNew` returned must survive one.
    pub async fn open(path: &Path) -> Result<Self> {
        Self::connect(&venus_sql::sqlite_url(path)?).await
    }

    /// Opens the database at a venus-sql URL (`sqlite://…`, or `mysql://…`
    /// in a build with MySQL), with full durability.
    pub async fn connect(url: &str) -> Result<Self> {
        let db = venus_sql::connect(url, &MIGRATIONS).await?;
        Ok(Self::on(db))
    }

    /// The wallet's storage on `db`, already migrated with [`MIGRATIONS`].
    /// Sign records are written by a group-commit writer on a thread of its
    /// own; on an in-memory database it is a task, which needs a Tokio
    /// runtime.
    pub fn on(db: Db) -> Self {
        WalletDb {
            records: GroupCommit::with_linger(db.clone(), RECORD_BATCH, RECORD_LINGER),
            record_insert: Statement::insert(
                "sign_records",
                &[
                    "at_ms", "caller", "address", "msg_type", "object", "ok", "error",
                ],
            ),
            db,
            recording: std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true)),
        }
    }

    /// A database in memory, for tests.
    pub async fn in_memory() -> Result<Self> {
        Self::connect("sqlite::memory:").await
    }

    /// The keys' store on this database.
    pub fn key_store(&self) -> SqlKeyStore {
        SqlKeyStore::new(self.db.clone())
    }

    /// SQLite's `synchronous` level on the wallet's connections (2 = FULL):
    /// what a committed key survives.
    pub async fn synchronous(&self) -> Result<i64> {
        let r = sqlx::query("PRAGMA synchronous")
            .fetch_one(self.db.pool())
            .await?;
        Ok(row::int(&r, 0)?)
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
        let sql = self
            .db
            .backend()
            .upsert("policies", &["name", "body"], "name");
        sqlx::query(&sql)
            .bind(&p.name)
            .bind(json(p)?)
            .execute(self.db.pool())
            .await?;
        Ok(())
    }

    /// Removes a policy; returns whether it existed.
    pub async fn delete_policy(&self, name: &str) -> Result<bool> {
        Ok(sqlx::query("DELETE FROM policies WHERE name = ?")
            .bind(name)
            .execute(self.db.pool())
            .await?
            .rows_affected()
            > 0)
    }

    /// All policies.
    pub async fn policies(&self) -> Result<Vec<Policy>> {
        let rows = sqlx::query("SELECT body FROM policies ORDER BY name")
            .fetch_all(self.db.pool())
            .await?;
        rows.iter()
            .map(|r| parse("policy", &row::text(r, 0)?))
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
        let sql = self
            .db
            .backend()
            .upsert("policy_groups", &["name", "policies"], "name");
        sqlx::query(&sql)
            .bind(&g.name)
            .bind(json(&g.policies)?)
            .execute(self.db.pool())
            .await?;
        Ok(())
    }

    /// All groups.
    pub async fn groups(&self) -> Result<Vec<PolicyGroup>> {
        let rows = sqlx::query("SELECT name, policies FROM policy_groups ORDER BY name")
            .fetch_all(self.db.pool())
            .await?;
        rows.iter()
            .map(|r| {
                Ok(PolicyGroup {
                    name: row::text(r, 0)?,
                    policies: parse("group", &row::text(r, 1)?)?,
                })
            })
            .collect()
    }

    /// Binds a caller (a token name) to a group.
    pub async fn bind(&self, caller: &str, group: &str) -> Result<()> {
        if !self.groups().await?.iter().any(|g| g.name == group) {
            return Err(WalletError::Invalid(format!("unknown group {group}")));
        }
        let sql = self
            .db
            .backend()
            .upsert("bindings", &["caller", "group_name"], "caller");
        sqlx::query(&sql)
            .bind(caller)
            .bind(group)
            .execute(self.db.pool())
            .await?;
        Ok(())
    }

    /// The policies that apply to a caller.
    pub async fn policies_for(&self, caller: &str) -> Result<Vec<Policy>> {
        let row = sqlx::query("SELECT g.policies FROM bindings b JOIN policy_groups g ON g.name = b.group_name WHERE b.caller = ?")
            .bind(caller)
            .fetch_optional(self.db.pool())
            .await?;
        let Some(row) = row else {
            return Ok(Vec::new());
        };
        let names: Vec<String> = parse("group", &row::text(&row, 0)?)?;
        Ok(self
            .policies()
            .await?
            .into_iter()
            .filter(|p| names.contains(&p.name))
            .collect())
    }

    /// Records a signature or refusal, returning once it is committed.
    /// Concurrent signers share commits ([`GroupCommit`]).
    pub(crate) async fn insert_record(&self, r: &SignRecord) -> Result<()> {
        if !self.recording.load(std::sync::atomic::Ordering::Relaxed) {
            return Ok(());
        }
        let stmt = self
            .record_insert
            .clone()
            .bind(r.at_ms)
            .bind(r.caller.as_str())
            .bind(r.address.as_str())
            .bind(json(&r.msg_type)?)
            .bind(r.object.as_str())
            .bind(r.ok)
            .bind(r.error.clone());
        Ok(self.records.execute(stmt).await?)
    }

    /// For benches only: stops (or restarts) writing sign records, to
    /// measure what they cost. A wallet that signs must record.
    #[doc(hidden)]
    pub fn bench_set_recording(&self, on: bool) {
        self.recording
            .store(on, std::sync::atomic::Ordering::Relaxed);
    }

    /// Sign records matching `q`, newest first.
    pub async fn records(&self, q: &RecordQuery) -> Result<Vec<SignRecord>> {
        let mt = q.msg_type.map(|t| json(&t)).transpose()?;
        let rows = sqlx::query(
            "SELECT at_ms, caller, address, msg_type, object, ok, error FROM sign_records
             WHERE (? IS NULL OR address = ?) AND (? IS NULL OR msg_type = ?)
               AND (? IS NULL OR at_ms >= ?) AND (? IS NULL OR at_ms < ?)
             ORDER BY id DESC LIMIT ?",
        )
        .bind(&q.address)
        .bind(&q.address)
        .bind(&mt)
        .bind(&mt)
        .bind(q.from_ms)
        .bind(q.from_ms)
        .bind(q.to_ms)
        .bind(q.to_ms)
        .bind(q.limit.unwrap_or(1000) as i64)
        .fetch_all(self.db.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(SignRecord {
                    at_ms: row::int(r, 0)?,
                    caller: row::text(r, 1)?,
                    address: row::text(r, 2)?,
                    msg_type: parse("record type", &row::text(r, 3)?)?,
                    object: row::text(r, 4)?,
                    ok: row::flag(r, 5)?,
                    error: row::opt_text(r, 6)?,
                })
            })
            .collect()
    }
}
