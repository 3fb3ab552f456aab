//! One live process per instance name.
//!
//! Instances of the pool's miner tell each other apart by name in the
//! slash filter: a restarted instance takes up its own claims again
//! ([`Claim::Again`](crate::slash::Claim::Again)). Two live processes
//! under one name (a copied config, a cloned repo) would count as one, so
//! an [`InstanceLock`] holds the name in the database the instances share:
//! a row with its owner (host, process id and a random part) and a
//! heartbeat. A process starting under a held name takes it over when the
//! heartbeat is older than the lock's lifetime, or at once when the holder
//! was a process of this host that no longer runs (a restart after a
//! crash); otherwise it refuses to start.

use std::time::Duration;

use venus_sql::{row, sqlx, Db, SqlError};

use crate::{now_ms, MinerError, Result};

/// How often [`InstanceLock::acquire`] looks again at a name held by a
/// live-looking process.
const RETRY: Duration = Duration::from_millis(500);

/// The name `instance` held by this process in the shared database.
#[derive(Debug, Clone)]
pub struct InstanceLock {
    db: Db,
    instance: String,
    owner: String,
    ttl: Duration,
}

impl InstanceLock {
    /// Takes `instance` for this process; its heartbeat must be renewed
    /// ([`renew`](Self::renew)) more often than every `ttl`. Waits up to
    /// `ttl` for a holder's heartbeat to stop, then fails with
    /// [`MinerError::InstanceInUse`].
    pub async fn acquire(db: Db, instance: &str, ttl: Duration) -> Result<InstanceLock> {
        let lock = InstanceLock {
            db,
            instance: instance.to_string(),
            owner: owner(),
            ttl,
        };
        let give_up = tokio::time::Instant::now() + ttl + RETRY;
        loop {
            match lock.try_take().await? {
                None => return Ok(lock),
                Some((holder, age_ms)) if tokio::time::Instant::now() >= give_up => {
                    return Err(MinerError::InstanceInUse {
                        instance: lock.instance.clone(),
                        holder,
                        age_ms,
                    })
                }
                Some((holder, age_ms)) => {
                    tracing::info!(target: "venus_miner", instance, %holder, age_ms, "the instance name is held; waiting for its heartbeat to stop");
                    tokio::time::sleep(RETRY).await;
                }
            }
        }
    }

    /// `None` when taken; else the live holder and its heartbeat's age (ms).
    async fn try_take(&self) -> Result<Option<(String, i64)>> {
        let now = now_ms();
        let inserted =
            sqlx::query("INSERT INTO miner_instances (instance, owner, beat_ms) VALUES (?, ?, ?)")
                .bind(&self.instance)
                .bind(&self.owner)
                .bind(now)
                .execute(self.db.pool())
                .await
                .map_err(SqlError::from);
        match inserted {
            Ok(_) => return Ok(None),
            Err(SqlError::Duplicate(_)) => {}
            Err(e) => return Err(e.into()),
        }
        let Some((holder, beat_ms)) = self.holder().await? else {
            // Released between the insert and the read: try again.
            return Ok(Some((String::new(), 0)));
        };
        let age = now.saturating_sub(beat_ms);
        let lapsed = age > i64::try_from(self.ttl.as_millis()).unwrap_or(i64::MAX);
        if !lapsed && !dead_here(&holder) {
            return Ok(Some((holder, age)));
        }
        // Taken over from exactly that holder at exactly that heartbeat:
        // two processes taking over at once cannot both succeed, and a
        // holder that beat meanwhile keeps its name.
        let done = sqlx::query(
            "UPDATE miner_instances SET owner = ?, beat_ms = ? \
             WHERE instance = ? AND owner = ? AND beat_ms = ?",
        )
        .bind(&self.owner)
        .bind(now)
        .bind(&self.instance)
        .bind(&holder)
        .bind(beat_ms)
        .execute(self.db.pool())
        .await?;
        if done.rows_affected() == 1 {
            tracing::info!(target: "venus_miner", instance = %self.instance, previous = %holder, "took over the instance name from a process that stopped");
            return Ok(None);
        }
        Ok(Some((
            self.holder().await?.map(|h| h.0).unwrap_or_default(),
            0,
        )))
    }

    async fn holder(&self) -> Result<Option<(String, i64)>> {
        let r = sqlx::query("SELECT owner, beat_ms FROM miner_instances WHERE instance = ?")
            .bind(&self.instance)
            .fetch_optional(self.db.pool())
            .await?;
        r.map(|r| Ok((row::text(&r, 0)?, row::int(&r, 1)?)))
            .transpose()
    }

    /// The heartbeat. Fails with [`MinerError::InstanceInUse`] when another
    /// process took the name over (this one missed its heartbeats): it
    /// must stop mining.
    pub async fn renew(&self) -> Result<()> {
        sqlx::query("UPDATE miner_instances SET beat_ms = ? WHERE instance = ? AND owner = ?")
            .bind(now_ms())
            .bind(&self.instance)
            .bind(&self.owner)
            .execute(self.db.pool())
            .await?;
        // Read back who holds it now.
        match self.holder().await? {
            Some((holder, _)) if holder == self.owner => Ok(()),
            other => Err(MinerError::InstanceInUse {
                instance: self.instance.clone(),
                holder: other.map(|h| h.0).unwrap_or_default(),
                age_ms: 0,
            }),
        }
    }

    /// Renews the heartbeat every third of the lifetime until renewing
    /// fails for good (the name was taken over, or the database was
    /// unreachable for a whole lifetime); the error.
    pub async fn keep(&self) -> MinerError {
        let every = (self.ttl / 3).max(Duration::from_millis(10));
        let mut last_beat = tokio::time::Instant::now();
        loop {
            tokio::time::sleep(every).await;
            let renewed = tokio::time::timeout(every, self.renew())
                .await
                .unwrap_or_else(|_| Err(MinerError::Node("the database did not answer".into())));
            match renewed {
                Ok(()) => last_beat = tokio::time::Instant::now(),
                Err(e @ MinerError::InstanceInUse { .. }) => return e,
                Err(e) => {
                    tracing::warn!(target: "venus_miner", error = %e, "renewing the instance's heartbeat failed");
                    // Before the heartbeat lapses: another process may take
                    // the name once it has.
                    if last_beat.elapsed() + every >= self.ttl {
                        return e;
                    }
                }
            }
        }
    }

    /// Gives the name up (a graceful stop): the next process takes it at
    /// once.
    pub async fn release(&self) -> Result<()> {
        sqlx::query("DELETE FROM miner_instances WHERE instance = ? AND owner = ?")
            .bind(&self.instance)
            .bind(&self.owner)
            .execute(self.db.pool())
            .await?;
        Ok(())
    }

    /// This process's owner string (`HOST/PID/RANDOM`).
    pub fn owner(&self) -> &str {
        &self.owner
    }
}

/// `HOST/PID/RANDOM` for this process, where HOST is the host name with
/// the boot id and the pid namespace (Linux), so that a cloned machine or
/// a container with a fixed host name is not taken for this one.
fn owner() -> String {
    format!(
        "{}/{}/{:016x}",
        this_host(),
        std::process::id(),
        rand::random::<u64>()
    )
}

/// This host as an owner string names it: the host name, the boot id and
/// the pid namespace.
pub fn this_host() -> String {
    let name = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "unknown-host".into());
    let boot = std::fs::read_to_string("/proc/sys/kernel/random/boot_id")
        .map(|b| b.trim().to_string())
        .unwrap_or_default();
    let pidns = std::fs::read_link("/proc/self/ns/pid")
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    // No '/' inside: the owner string splits on it.
    format!("{name}@{boot}@{pidns}").replace('/', "_")
}

/// Whether `owner` names a process of this host that no longer runs
/// (Linux's `/proc`; elsewhere nothing is known dead).
fn dead_here(owner: &str) -> bool {
    let mut parts = owner.split('/');
    let (Some(h), Some(pid)) = (parts.next(), parts.next()) else {
        return false;
    };
    // Only a process of this very host, boot and pid namespace can be
    // looked up; with no boot id, nothing is known dead.
    let booted = h.split('@').nth(1).is_some_and(|b| !b.is_empty());
    if h != this_host() || !booted || !cfg!(target_os = "linux") {
        return false;
    }
    match pid.parse::<u32>() {
        Ok(pid) if pid != std::process::id() => {
            !std::path::Path::new(&format!("/proc/{pid}")).exists()
        }
        _ => false,
    }
}
