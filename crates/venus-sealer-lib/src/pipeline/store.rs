//! [`SealingStore`]: the sectors, the task queue, the workers and the
//! window PoSt deadlines, in SQL (venus-sql: a SQLite file by default,
//! MySQL/MariaDB for sealers that share it).
//!
//! Two sealers on one database coordinate here and nowhere else: a sector
//! moves by compare-and-set on its state (the step's task is queued in the
//! same transaction), a task is claimed under a row lock (`FOR UPDATE SKIP
//! LOCKED` on MySQL, so claimers never wait on each other's rows; SQLite's
//! write lock serialises them), and a deadline is proven by whoever holds
//! its row's lease.

use sqlx::any::AnyRow;
use venus_api::sealer::{
    PieceRef, PostView, Task, TaskInput, TaskKind, TaskOutput, TaskResult, WorkerRequest,
    WorkerView,
};
use venus_core::shared::sector::RegisteredSealProof;
use venus_sql::{row, Db, Migrations, SqlBackend, SqlError, Value};

use super::state::{SectorInfo, SectorState};
use crate::SealerError;

use crate::Result;

/// The store's migrations (SQLite and MySQL).
pub static MIGRATIONS: Migrations = Migrations::new()
    .sqlite(&sqlx::migrate!("./migrations/sqlite"))
    .mysql(&sqlx::migrate!("./migrations/mysql"));

const SECTOR_COLS: &str =
    "miner, number, seal_proof, state, retry_state, ticket, ticket_epoch, pieces, \
    comm_r, comm_d, precommit_msg, precommit_epoch, seed, seed_epoch, proof, commit_msg, attempt, \
    retries, error, created_ms, updated_ms";

/// A task's row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskRow {
    /// Its id.
    pub id: String,
    /// Its kind.
    pub kind: TaskKind,
    /// `queued`, `running`, `done` or `failed`.
    pub state: String,
    /// The worker holding or last holding it.
    pub worker: String,
    /// How often it was claimed.
    pub claims: u32,
    /// Its output, when done.
    pub output: Option<TaskOutput>,
    /// Why it failed.
    pub error: String,
}

/// A window PoSt deadline's row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostRow {
    /// The miner.
    pub miner: u64,
    /// The proving period's first epoch.
    pub period_start: i64,
    /// The deadline index.
    pub deadline: u64,
    /// `Proving`, `Submitted`, `Landed`, `Nothing`, `GaveUp`.
    pub state: String,
    /// Submissions so far (part of the message id).
    pub attempt: u32,
    /// The submission's id at the messager.
    pub msg: String,
    /// Sectors skipped as unprovable.
    pub skipped: Vec<u64>,
    /// Why it gave up.
    pub error: String,
    /// The sealer instance that holds (or last held) the deadline; a
    /// write names its holder itself ([`SealingStore::set_post`]).
    pub owner: String,
}

impl PostRow {
    /// As the API shows it.
    pub fn view(&self) -> PostView {
        PostView {
            miner: venus_core::Address::new_id(self.miner).to_string(),
            period_start: self.period_start,
            deadline: self.deadline,
            state: self.state.clone(),
            msg: self.msg.clone(),
            skipped: self.skipped.clone(),
            error: self.error.clone(),
            owner: self.owner.clone(),
        }
    }
}

/// The pipeline's SQL store. Cheap to clone.
#[derive(Debug, Clone)]
pub struct SealingStore {
    db: Db,
}

fn i(v: u64) -> Value {
    Value::Int(i64::try_from(v).unwrap_or(i64::MAX))
}

fn h32(v: &Option<[u8; 32]>) -> Value {
    Value::Text(v.map(hex::encode).unwrap_or_default())
}

fn corrupt(what: &str, e: impl std::fmt::Display) -> SealerError {
    SealerError::Sql(SqlError::Corrupt(format!("{what}: {e}")))
}

fn opt32(r: &AnyRow, i: usize, what: &str) -> Result<Option<[u8; 32]>> {
    let s = row::text(r, i)?;
    if s.is_empty() {
        return Ok(None);
    }
    let b = hex::decode(&s).map_err(|e| corrupt(what, e))?;
    let a: [u8; 32] = b.try_into().map_err(|_| corrupt(what, "not 32 bytes"))?;
    Ok(Some(a))
}

fn uint(r: &AnyRow, i: usize) -> Result<u64> {
    let v = row::int(r, i)?;
    u64::try_from(v).map_err(|_| corrupt("unsigned column", v))
}

fn sector_from_row(r: &AnyRow) -> Result<SectorInfo> {
    let state = row::text(r, 3)?;
    let retry = row::text(r, 4)?;
    Ok(SectorInfo {
        miner: uint(r, 0)?,
        number: uint(r, 1)?,
        seal_proof: RegisteredSealProof::from(row::int(r, 2)?),
        state: SectorState::parse(&state).ok_or_else(|| corrupt("sector state", &state))?,
        retry_state: if retry.is_empty() {
            None
        } else {
            Some(SectorState::parse(&retry).ok_or_else(|| corrupt("retry state", &retry))?)
        },
        ticket: opt32(r, 5, "ticket")?,
        ticket_epoch: row::int(r, 6)?,
        pieces: serde_json::from_str::<Vec<PieceRef>>(&row::text(r, 7)?)
            .map_err(|e| corrupt("pieces", e))?,
        comm_r: opt32(r, 8, "CommR")?,
        comm_d: opt32(r, 9, "CommD")?,
        precommit_msg: row::text(r, 10)?,
        precommit_epoch: row::int(r, 11)?,
        seed: opt32(r, 12, "seed")?,
        seed_epoch: row::int(r, 13)?,
        proof: hex::decode(row::text(r, 14)?).map_err(|e| corrupt("proof", e))?,
        commit_msg: row::text(r, 15)?,
        attempt: row::small(r, 16, "attempt")?,
        retries: row::small(r, 17, "retries")?,
        error: row::text(r, 18)?,
        created_ms: row::int(r, 19)?,
        updated_ms: row::int(r, 20)?,
    })
}

fn sector_values(s: &SectorInfo) -> Result<Vec<Value>> {
    Ok(vec![
        i(s.miner),
        i(s.number),
        Value::Int(i64::from(s.seal_proof)),
        s.state.as_str().into(),
        s.retry_state.map(|r| r.as_str()).unwrap_or("").into(),
        h32(&s.ticket),
        s.ticket_epoch.into(),
        serde_json::to_string(&s.pieces)
            .map_err(|e| corrupt("pieces", e))?
            .into(),
        h32(&s.comm_r),
        h32(&s.comm_d),
        s.precommit_msg.clone().into(),
        s.precommit_epoch.into(),
        h32(&s.seed),
        s.seed_epoch.into(),
        hex::encode(&s.proof).into(),
        s.commit_msg.clone().into(),
        i64::from(s.attempt).into(),
        i64::from(s.retries).into(),
        s.error.clone().into(),
        s.created_ms.into(),
        s.updated_ms.into(),
    ])
}

/// A task to queue with a sector's step.
#[derive(Debug, Clone)]
pub struct NewTask {
    /// Its id ([`SectorInfo::step_id`] of its kind).
    pub id: String,
    /// The kind.
    pub kind: TaskKind,
    /// Its input.
    pub input: TaskInput,
}

impl SealingStore {
    /// Connects to `url` (`sqlite://…` or `mysql://…`) and migrates.
    pub async fn open(url: &str) -> Result<Self> {
        Ok(Self::from_db(venus_sql::connect(url, &MIGRATIONS).await?))
    }

    /// A store over a database already migrated with [`MIGRATIONS`].
    pub fn from_db(db: Db) -> Self {
        SealingStore { db }
    }

    /// The database.
    pub fn db(&self) -> &Db {
        &self.db
    }

    fn backend(&self) -> SqlBackend {
        self.db.backend()
    }

    // ---- sectors ----

    /// Adds a sector; `false` when its number is taken.
    pub async fn insert_sector(&self, s: &SectorInfo) -> Result<bool> {
        let marks = vec!["?"; 21].join(", ");
        let sql = format!("INSERT INTO sealer_sectors ({SECTOR_COLS}) VALUES ({marks})");
        let args = sector_values(s)?;
        match venus_sql::query_with(&sql, &args)
            .execute(self.db.pool())
            .await
        {
            Ok(_) => Ok(true),
            Err(e) => match SqlError::from(e) {
                SqlError::Duplicate(_) => Ok(false),
                other => Err(other.into()),
            },
        }
    }

    /// The highest sector number the store holds for `miner`.
    pub async fn max_number(&self, miner: u64) -> Result<Option<u64>> {
        let r = sqlx::query("SELECT MAX(number) FROM sealer_sectors WHERE miner = ?")
            .bind(i64::try_from(miner).unwrap_or(i64::MAX))
            .fetch_one(self.db.pool())
            .await
            .map_err(SqlError::from)?;
        let v: Option<i64> = sqlx::Row::try_get(&r, 0).map_err(SqlError::from)?;
        Ok(v.and_then(|v| u64::try_from(v).ok()))
    }

    /// One sector.
    pub async fn sector(&self, miner: u64, number: u64) -> Result<Option<SectorInfo>> {
        let sql =
            format!("SELECT {SECTOR_COLS} FROM sealer_sectors WHERE miner = ? AND number = ?");
        let args = [i(miner), i(number)];
        let r = venus_sql::query_with(&sql, &args)
            .fetch_optional(self.db.pool())
            .await
            .map_err(SqlError::from)?;
        r.as_ref().map(sector_from_row).transpose()
    }

    /// Every sector (of every miner), newest first; only those the
    /// pipeline still works on when `active`.
    pub async fn sectors(&self, active: bool) -> Result<Vec<SectorInfo>> {
        let filter = if active {
            " WHERE state NOT IN ('Proving', 'Failed', 'Aborted')"
        } else {
            ""
        };
        let sql =
            format!("SELECT {SECTOR_COLS} FROM sealer_sectors{filter} ORDER BY miner, number DESC");
        let rows = sqlx::query(&sql)
            .fetch_all(self.db.pool())
            .await
            .map_err(SqlError::from)?;
        rows.iter().map(sector_from_row).collect()
    }

    /// Moves a sector from `prev` (its state and attempt as read) to what
    /// `next` holds, and queues `task` with it, in one transaction;
    /// `false`, with nothing written, when the row is no longer `prev`'s
    /// state and attempt (another sealer took the step).
    pub async fn update(
        &self,
        prev: &SectorInfo,
        next: &SectorInfo,
        task: Option<&NewTask>,
    ) -> Result<bool> {
        let mut tx = self.db.begin_write().await?;
        let sets = SECTOR_COLS
            .split(", ")
            .skip(2)
            .map(|c| format!("{c} = ?"))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "UPDATE sealer_sectors SET {sets} WHERE miner = ? AND number = ? AND state = ? AND attempt = ?"
        );
        let mut args = sector_values(next)?.split_off(2);
        args.extend([
            i(prev.miner),
            i(prev.number),
            prev.state.as_str().into(),
            i64::from(prev.attempt).into(),
        ]);
        let done = venus_sql::query_with(&sql, &args)
            .execute(&mut *tx)
            .await
            .map_err(SqlError::from)?;
        if done.rows_affected() != 1 {
            tx.rollback().await.map_err(SqlError::from)?;
            return Ok(false);
        }
        if let Some(t) = task {
            let now = venus_sql::now_ms();
            let sql = format!(
                "{} INTO sealer_tasks (id, miner, number, kind, input, state, worker, lease_until_ms, claims, output, error, created_ms, updated_ms) \
                 VALUES (?, ?, ?, ?, ?, 'queued', '', 0, 0, '', '', ?, ?)",
                self.backend().insert_ignore()
            );
            let input = serde_json::to_string(&t.input).map_err(|e| corrupt("task input", e))?;
            let args = [
                t.id.clone().into(),
                i(next.miner),
                i(next.number),
                t.kind.as_str().into(),
                input.into(),
                now.into(),
                now.into(),
            ];
            venus_sql::query_with(&sql, &args)
                .execute(&mut *tx)
                .await
                .map_err(SqlError::from)?;
        }
        tx.commit().await.map_err(SqlError::from)?;
        Ok(true)
    }

    // ---- tasks ----

    /// One task.
    pub async fn task(&self, id: &str) -> Result<Option<TaskRow>> {
        let r = sqlx::query(
            "SELECT id, kind, state, worker, claims, output, error FROM sealer_tasks WHERE id = ?",
        )
        .bind(id)
        .fetch_optional(self.db.pool())
        .await
        .map_err(SqlError::from)?;
        let Some(r) = r else { return Ok(None) };
        let kind = row::text(&r, 1)?;
        let output = row::text(&r, 5)?;
        Ok(Some(TaskRow {
            id: row::text(&r, 0)?,
            kind: TaskKind::parse(&kind).ok_or_else(|| corrupt("task kind", &kind))?,
            state: row::text(&r, 2)?,
            worker: row::text(&r, 3)?,
            claims: row::small(&r, 4, "claims")?,
            output: if output.is_empty() {
                None
            } else {
                Some(serde_json::from_str(&output).map_err(|e| corrupt("task output", e))?)
            },
            error: row::text(&r, 6)?,
        }))
    }

    /// Hands the oldest queued task of a kind the worker has room for (or
    /// one whose worker's lease lapsed) to `req.worker` for `lease_ms`.
    pub async fn claim(&self, req: &WorkerRequest, lease_ms: u64) -> Result<Option<Task>> {
        let now = venus_sql::now_ms();
        self.touch_worker(req, now).await?;
        let kinds: Vec<&str> = req
            .free
            .iter()
            .filter(|(_, n)| *n > 0)
            .map(|(k, _)| k.as_str())
            .collect();
        if kinds.is_empty() {
            return Ok(None);
        }
        let lock = match self.backend() {
            SqlBackend::MySql => " FOR UPDATE SKIP LOCKED",
            SqlBackend::Sqlite => "",
        };
        let sql = format!(
            "SELECT id, miner, number, kind, input FROM sealer_tasks \
             WHERE kind IN ({}) AND (state = 'queued' OR (state = 'running' AND lease_until_ms < ?)) \
             ORDER BY created_ms, id LIMIT 1{lock}",
            vec!["?"; kinds.len()].join(", ")
        );
        let mut args: Vec<Value> = kinds.iter().map(|k| Value::from(*k)).collect();
        args.push(now.into());
        let until = now.saturating_add(i64::try_from(lease_ms).unwrap_or(i64::MAX));
        let mut tx = self.db.begin_write().await?;
        let Some(r) = venus_sql::query_with(&sql, &args)
            .fetch_optional(&mut *tx)
            .await
            .map_err(SqlError::from)?
        else {
            tx.rollback().await.map_err(SqlError::from)?;
            return Ok(None);
        };
        let id = row::text(&r, 0)?;
        sqlx::query(
            "UPDATE sealer_tasks SET state = 'running', worker = ?, lease_until_ms = ?, \
             claims = claims + 1, updated_ms = ? WHERE id = ?",
        )
        .bind(req.worker.as_str())
        .bind(until)
        .bind(now)
        .bind(id.as_str())
        .execute(&mut *tx)
        .await
        .map_err(SqlError::from)?;
        tx.commit().await.map_err(SqlError::from)?;
        let kind = row::text(&r, 3)?;
        Ok(Some(Task {
            id,
            miner: uint(&r, 1)?,
            number: uint(&r, 2)?,
            kind: TaskKind::parse(&kind).ok_or_else(|| corrupt("task kind", &kind))?,
            input: serde_json::from_str(&row::text(&r, 4)?)
                .map_err(|e| corrupt("task input", e))?,
            lease_ms,
        }))
    }

    /// Renews `worker`'s lease on task `id`; `false` when it no longer
    /// holds it.
    pub async fn heartbeat(&self, id: &str, worker: &str, lease_ms: u64) -> Result<bool> {
        let now = venus_sql::now_ms();
        let until = now.saturating_add(i64::try_from(lease_ms).unwrap_or(i64::MAX));
        let done = sqlx::query(
            "UPDATE sealer_tasks SET lease_until_ms = ?, updated_ms = ? \
             WHERE id = ? AND worker = ? AND state = 'running'",
        )
        .bind(until)
        .bind(now)
        .bind(id)
        .bind(worker)
        .execute(self.db.pool())
        .await
        .map_err(SqlError::from)?;
        sqlx::query("UPDATE sealer_workers SET seen_ms = ? WHERE name = ?")
            .bind(now)
            .bind(worker)
            .execute(self.db.pool())
            .await
            .map_err(SqlError::from)?;
        Ok(done.rows_affected() == 1)
    }

    /// Records how task `id` ended on `worker`; `false` (nothing written)
    /// when the worker no longer holds it.
    pub async fn finish(&self, id: &str, worker: &str, result: &TaskResult) -> Result<bool> {
        let (state, output, error) = match result {
            TaskResult::Ok(out) => (
                "done",
                serde_json::to_string(out).map_err(|e| corrupt("task output", e))?,
                String::new(),
            ),
            TaskResult::Err(e) => ("failed", String::new(), e.chars().take(2_000).collect()),
        };
        if output.len() > 64 * 1024 {
            return Err(SealerError::InvalidInput(format!(
                "a task output of {} bytes (at most 64 KiB: large outputs stay on the sector storage)",
                output.len()
            )));
        }
        let done = sqlx::query(
            "UPDATE sealer_tasks SET state = ?, output = ?, error = ?, lease_until_ms = 0, updated_ms = ? \
             WHERE id = ? AND worker = ? AND state = 'running'",
        )
        .bind(state)
        .bind(output.as_str())
        .bind(error.as_str())
        .bind(venus_sql::now_ms())
        .bind(id)
        .bind(worker)
        .execute(self.db.pool())
        .await
        .map_err(SqlError::from)?;
        Ok(done.rows_affected() == 1)
    }

    /// Fails the sector's queued and running tasks with `why`.
    pub async fn cancel_tasks(&self, miner: u64, number: u64, why: &str) -> Result<u64> {
        let done = sqlx::query(
            "UPDATE sealer_tasks SET state = 'failed', error = ?, lease_until_ms = 0, updated_ms = ? \
             WHERE miner = ? AND number = ? AND state IN ('queued', 'running')",
        )
        .bind(why)
        .bind(venus_sql::now_ms())
        .bind(i64::try_from(miner).unwrap_or(i64::MAX))
        .bind(i64::try_from(number).unwrap_or(i64::MAX))
        .execute(self.db.pool())
        .await
        .map_err(SqlError::from)?;
        Ok(done.rows_affected())
    }

    /// Fails the tasks whose lease lapsed after `max_claims` claims: their
    /// workers died that often (a task that kills its worker).
    pub async fn fail_lapsed(&self, max_claims: u32) -> Result<u64> {
        let done = sqlx::query(
            "UPDATE sealer_tasks SET state = 'failed', error = ?, updated_ms = ? \
             WHERE state = 'running' AND lease_until_ms < ? AND claims >= ?",
        )
        .bind(format!("its worker stopped answering {max_claims} times"))
        .bind(venus_sql::now_ms())
        .bind(venus_sql::now_ms())
        .bind(i64::from(max_claims))
        .execute(self.db.pool())
        .await
        .map_err(SqlError::from)?;
        Ok(done.rows_affected())
    }

    async fn touch_worker(&self, req: &WorkerRequest, now: i64) -> Result<()> {
        let free = serde_json::to_string(&req.free).map_err(|e| corrupt("worker slots", e))?;
        let sql = self
            .backend()
            .upsert("sealer_workers", &["name", "free", "seen_ms"], "name");
        sqlx::query(&sql)
            .bind(req.worker.as_str())
            .bind(free)
            .bind(now)
            .execute(self.db.pool())
            .await
            .map_err(SqlError::from)?;
        Ok(())
    }

    /// The workers seen since `since_ms`, with the tasks they hold.
    pub async fn workers(&self, since_ms: i64) -> Result<Vec<WorkerView>> {
        let rows = sqlx::query(
            "SELECT name, free, seen_ms FROM sealer_workers WHERE seen_ms >= ? ORDER BY name",
        )
        .bind(since_ms)
        .fetch_all(self.db.pool())
        .await
        .map_err(SqlError::from)?;
        // The running tasks of all workers in one query, not one per worker.
        let mut running: std::collections::HashMap<String, Vec<String>> = Default::default();
        for r in
            sqlx::query("SELECT worker, id FROM sealer_tasks WHERE state = 'running' ORDER BY id")
                .fetch_all(self.db.pool())
                .await
                .map_err(SqlError::from)?
        {
            running
                .entry(row::text(&r, 0)?)
                .or_default()
                .push(row::text(&r, 1)?);
        }
        let mut out = Vec::new();
        for r in rows {
            let name = row::text(&r, 0)?;
            out.push(WorkerView {
                free: serde_json::from_str(&row::text(&r, 1)?)
                    .map_err(|e| corrupt("worker slots", e))?,
                running: running.remove(&name).unwrap_or_default(),
                name,
                seen_ms: row::int(&r, 2)?,
            });
        }
        Ok(out)
    }

    // ---- window PoSt deadlines ----

    /// The deadline's row.
    pub async fn post(
        &self,
        miner: u64,
        period_start: i64,
        deadline: u64,
    ) -> Result<Option<PostRow>> {
        let r = sqlx::query(
            "SELECT miner, period_start, deadline, state, attempt, msg, skipped, error, owner FROM sealer_posts \
             WHERE miner = ? AND period_start = ? AND deadline = ?",
        )
        .bind(i64::try_from(miner).unwrap_or(i64::MAX))
        .bind(period_start)
        .bind(i64::try_from(deadline).unwrap_or(i64::MAX))
        .fetch_optional(self.db.pool())
        .await
        .map_err(SqlError::from)?;
        r.as_ref().map(post_from_row).transpose()
    }

    /// Takes the deadline for `owner` for `lease_ms`: creates its row, or
    /// takes it over when its owner's lease lapsed, or renews it for its
    /// owner. `false` when another sealer holds it.
    pub async fn lease_post(
        &self,
        miner: u64,
        period_start: i64,
        deadline: u64,
        owner: &str,
        lease_ms: u64,
    ) -> Result<bool> {
        let now = venus_sql::now_ms();
        let until = now.saturating_add(i64::try_from(lease_ms).unwrap_or(i64::MAX));
        let (m, d) = (
            i64::try_from(miner).unwrap_or(i64::MAX),
            i64::try_from(deadline).unwrap_or(i64::MAX),
        );
        let sql = format!(
            "{} INTO sealer_posts (miner, period_start, deadline, state, owner, lease_until_ms, attempt, msg, skipped, error, updated_ms) \
             VALUES (?, ?, ?, 'Proving', ?, ?, 0, '', '[]', '', ?)",
            self.backend().insert_ignore()
        );
        let inserted = sqlx::query(&sql)
            .bind(m)
            .bind(period_start)
            .bind(d)
            .bind(owner)
            .bind(until)
            .bind(now)
            .execute(self.db.pool())
            .await
            .map_err(SqlError::from)?;
        if inserted.rows_affected() == 1 {
            return Ok(true);
        }
        let taken = sqlx::query(
            "UPDATE sealer_posts SET owner = ?, lease_until_ms = ?, updated_ms = ? \
             WHERE miner = ? AND period_start = ? AND deadline = ? AND (owner = ? OR lease_until_ms < ?)",
        )
        .bind(owner)
        .bind(until)
        .bind(now)
        .bind(m)
        .bind(period_start)
        .bind(d)
        .bind(owner)
        .bind(now)
        .execute(self.db.pool())
        .await
        .map_err(SqlError::from)?;
        Ok(taken.rows_affected() == 1)
    }

    /// Writes the deadline's state, if `owner` still holds it.
    pub async fn set_post(&self, p: &PostRow, owner: &str) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE sealer_posts SET state = ?, attempt = ?, msg = ?, skipped = ?, error = ?, updated_ms = ? \
             WHERE miner = ? AND period_start = ? AND deadline = ? AND owner = ?",
        )
        .bind(p.state.as_str())
        .bind(i64::from(p.attempt))
        .bind(p.msg.as_str())
        .bind(serde_json::to_string(&p.skipped).map_err(|e| corrupt("skipped", e))?)
        .bind(p.error.as_str())
        .bind(venus_sql::now_ms())
        .bind(i64::try_from(p.miner).unwrap_or(i64::MAX))
        .bind(p.period_start)
        .bind(i64::try_from(p.deadline).unwrap_or(i64::MAX))
        .bind(owner)
        .execute(self.db.pool())
        .await
        .map_err(SqlError::from)?;
        Ok(done.rows_affected() == 1)
    }

    /// The deadlines handled, newest first.
    pub async fn posts(&self, limit: u32) -> Result<Vec<PostRow>> {
        let rows = sqlx::query(
            "SELECT miner, period_start, deadline, state, attempt, msg, skipped, error, owner FROM sealer_posts \
             ORDER BY period_start DESC, deadline DESC LIMIT ?",
        )
        .bind(i64::from(limit))
        .fetch_all(self.db.pool())
        .await
        .map_err(SqlError::from)?;
        rows.iter().map(post_from_row).collect()
    }
}

fn post_from_row(r: &AnyRow) -> Result<PostRow> {
    Ok(PostRow {
        miner: uint(r, 0)?,
        period_start: row::int(r, 1)?,
        deadline: uint(r, 2)?,
        state: row::text(r, 3)?,
        attempt: row::small(r, 4, "attempt")?,
        msg: row::text(r, 5)?,
        skipped: serde_json::from_str(&row::text(r, 6)?).map_err(|e| corrupt("skipped", e))?,
        error: row::text(r, 7)?,
        owner: row::text(r, 8)?,
    })
}
