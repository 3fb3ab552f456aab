//! [`SqlStore`]: the stores on venus-sql, so one code path serves SQLite and MySQL.

use async_trait::async_trait;
use venus_rpc::Permission;
use venus_sql::row::text;
use venus_sql::sqlx::{self, any::AnyRow, AnyPool};
use venus_sql::{Db, Migrations, SqlBackend};

use super::{RegistryStore, TokenStore, UserStore};
use crate::model::{Miner, TokenInfo, User, UserRateLimit};
use crate::{AuthServiceError, Result};

/// The auth schema, per engine.
pub static MIGRATIONS: Migrations = Migrations::new()
    .sqlite(&sqlx::migrate!("./migrations/sqlite"))
    .mysql(&sqlx::migrate!("./migrations/mysql"));

/// Which database a URL names (venus-sql's [`SqlBackend`]).
pub type Backend = SqlBackend;

/// SQL storage for the auth service. Cheap to clone.
#[derive(Clone, Debug)]
pub struct SqlStore {
    pool: AnyPool,
    backend: Backend,
}

fn not_found(what: &str, name: &str) -> AuthServiceError {
    AuthServiceError::NotFound(format!("{what} {name:?}"))
}

impl SqlStore {
    /// Connects to `url` (`sqlite://…`, or `mysql://…` in a build with the
    /// `mysql` feature) and runs the migrations of its engine.
    pub async fn connect(url: &str) -> Result<Self> {
        let db = venus_sql::connect(url, &MIGRATIONS).await?;
        tracing::info!(target: "venus::auth", backend = db.backend().name(), "auth store ready");
        Ok(Self::on(db))
    }

    /// The store on `db`, already migrated with [`MIGRATIONS`].
    pub fn on(db: Db) -> Self {
        SqlStore {
            pool: db.pool().clone(),
            backend: db.backend(),
        }
    }

    /// The backend in use.
    pub fn backend(&self) -> Backend {
        self.backend
    }
}

fn user(r: &AnyRow) -> Result<User> {
    Ok(User {
        name: text(r, 0)?,
        comment: text(r, 1)?,
        enabled: venus_sql::row::flag(r, 2)?,
        created_at: venus_sql::row::int(r, 3)?,
    })
}

fn token(r: &AnyRow) -> Result<TokenInfo> {
    let perm = text(r, 2)?;
    Ok(TokenInfo {
        id: text(r, 0)?,
        user: text(r, 1)?,
        perm: perm
            .parse::<Permission>()
            .map_err(AuthServiceError::Storage)?,
        created_at: venus_sql::row::int(r, 3)?,
        revoked: venus_sql::row::flag(r, 4)?,
    })
}

#[async_trait]
impl UserStore for SqlStore {
    async fn create_user(&self, u: &User) -> Result<()> {
        sqlx::query(
            "INSERT INTO auth_users (name, comment, enabled, created_at) VALUES (?, ?, ?, ?)",
        )
        .bind(&u.name)
        .bind(&u.comment)
        .bind(u.enabled as i64)
        .bind(u.created_at)
        .execute(&self.pool)
        .await
        .map_err(|e| match AuthServiceError::from(e) {
            AuthServiceError::Duplicate(_) => {
                AuthServiceError::Duplicate(format!("user {:?}", u.name))
            }
            other => other,
        })?;
        Ok(())
    }

    async fn user(&self, name: &str) -> Result<Option<User>> {
        let r =
            sqlx::query("SELECT name, comment, enabled, created_at FROM auth_users WHERE name = ?")
                .bind(name)
                .fetch_optional(&self.pool)
                .await?;
        r.as_ref().map(user).transpose()
    }

    async fn users(&self) -> Result<Vec<User>> {
        let rows =
            sqlx::query("SELECT name, comment, enabled, created_at FROM auth_users ORDER BY name")
                .fetch_all(&self.pool)
                .await?;
        rows.iter().map(user).collect()
    }

    async fn update_user(&self, u: &User) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        let exists = sqlx::query("SELECT name FROM auth_users WHERE name = ?")
            .bind(&u.name)
            .fetch_optional(&mut *tx)
            .await?;
        if exists.is_none() {
            return Err(not_found("user", &u.name));
        }
        sqlx::query("UPDATE auth_users SET comment = ?, enabled = ? WHERE name = ?")
            .bind(&u.comment)
            .bind(u.enabled as i64)
            .bind(&u.name)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn delete_user(&self, name: &str) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        let n = sqlx::query("DELETE FROM auth_users WHERE name = ?")
            .bind(name)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if n == 0 {
            return Err(not_found("user", name));
        }
        for table in [
            "auth_tokens",
            "auth_miners",
            "auth_signers",
            "auth_rate_limits",
        ] {
            // Table names come from the list above, never from input.
            sqlx::query(&format!("DELETE FROM {table} WHERE user_name = ?"))
                .bind(name)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn set_rate_limit(&self, user: &str, limit: Option<UserRateLimit>) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM auth_rate_limits WHERE user_name = ?")
            .bind(user)
            .execute(&mut *tx)
            .await?;
        if let Some(l) = limit {
            if l.requests == 0 || l.window_ms == 0 {
                return Err(AuthServiceError::Invalid(
                    "a rate limit needs requests > 0 and window_ms > 0".into(),
                ));
            }
            sqlx::query(
                "INSERT INTO auth_rate_limits (user_name, requests, window_ms) VALUES (?, ?, ?)",
            )
            .bind(user)
            .bind(l.requests as i64)
            .bind(l.window_ms as i64)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn rate_limit(&self, user: &str) -> Result<Option<UserRateLimit>> {
        let r = sqlx::query("SELECT requests, window_ms FROM auth_rate_limits WHERE user_name = ?")
            .bind(user)
            .fetch_optional(&self.pool)
            .await?;
        r.map(|r| {
            Ok(UserRateLimit {
                requests: venus_sql::row::int(&r, 0)? as u64,
                window_ms: venus_sql::row::int(&r, 1)? as u64,
            })
        })
        .transpose()
    }
}

#[async_trait]
impl TokenStore for SqlStore {
    async fn insert_token(&self, t: &TokenInfo) -> Result<()> {
        sqlx::query("INSERT INTO auth_tokens (id, user_name, perm, created_at, revoked) VALUES (?, ?, ?, ?, ?)")
            .bind(&t.id)
            .bind(&t.user)
            .bind(t.perm.as_str())
            .bind(t.created_at)
            .bind(t.revoked as i64)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn token(&self, id: &str) -> Result<Option<TokenInfo>> {
        let r = sqlx::query(
            "SELECT id, user_name, perm, created_at, revoked FROM auth_tokens WHERE id = ?",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        r.as_ref().map(token).transpose()
    }

    async fn tokens(&self, user: Option<&str>) -> Result<Vec<TokenInfo>> {
        let rows = sqlx::query("SELECT id, user_name, perm, created_at, revoked FROM auth_tokens WHERE (? IS NULL OR user_name = ?) ORDER BY created_at, id")
            .bind(user)
            .bind(user)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(token).collect()
    }

    async fn revoke_token(&self, id: &str) -> Result<()> {
        if self.token(id).await?.is_none() {
            return Err(not_found("token", id));
        }
        sqlx::query("UPDATE auth_tokens SET revoked = 1 WHERE id = ?")
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

#[async_trait]
impl RegistryStore for SqlStore {
    async fn put_miner(&self, m: &Miner) -> Result<()> {
        if self.user(&m.user).await?.is_none() {
            return Err(not_found("user", &m.user));
        }
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM auth_miners WHERE address = ?")
            .bind(&m.address)
            .execute(&mut *tx)
            .await?;
        sqlx::query("INSERT INTO auth_miners (address, user_name, open_mining) VALUES (?, ?, ?)")
            .bind(&m.address)
            .bind(&m.user)
            .bind(m.open_mining as i64)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn miners(&self, user: Option<&str>) -> Result<Vec<Miner>> {
        let rows = sqlx::query("SELECT address, user_name, open_mining FROM auth_miners WHERE (? IS NULL OR user_name = ?) ORDER BY address")
            .bind(user)
            .bind(user)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(Miner {
                    address: text(r, 0)?,
                    user: text(r, 1)?,
                    open_mining: venus_sql::row::flag(r, 2)?,
                })
            })
            .collect()
    }

    async fn delete_miner(&self, address: &str) -> Result<()> {
        let n = sqlx::query("DELETE FROM auth_miners WHERE address = ?")
            .bind(address)
            .execute(&self.pool)
            .await?
            .rows_affected();
        if n == 0 {
            return Err(not_found("miner", address));
        }
        Ok(())
    }

    async fn bind_signer(&self, address: &str, user: &str) -> Result<()> {
        if self.user(user).await?.is_none() {
            return Err(not_found("user", user));
        }
        let r = sqlx::query("INSERT INTO auth_signers (address, user_name) VALUES (?, ?)")
            .bind(address)
            .bind(user)
            .execute(&self.pool)
            .await;
        match r.map_err(AuthServiceError::from) {
            Ok(_) | Err(AuthServiceError::Duplicate(_)) => Ok(()),
            Err(e) => Err(e),
        }
    }

    async fn unbind_signer(&self, address: &str, user: &str) -> Result<()> {
        let n = sqlx::query("DELETE FROM auth_signers WHERE address = ? AND user_name = ?")
            .bind(address)
            .bind(user)
            .execute(&self.pool)
            .await?
            .rows_affected();
        if n == 0 {
            return Err(not_found("signer binding", &format!("{address} → {user}")));
        }
        Ok(())
    }

    async fn signers(
        &self,
        user: Option<&str>,
        address: Option<&str>,
    ) -> Result<Vec<(String, String)>> {
        let rows = sqlx::query(
            "SELECT address, user_name FROM auth_signers WHERE (? IS NULL OR user_name = ?) AND (? IS NULL OR address = ?) ORDER BY address, user_name",
        )
        .bind(user)
        .bind(user)
        .bind(address)
        .bind(address)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok((text(r, 0)?, text(r, 1)?)))
            .collect()
    }
}
