//! The one error type of `venus-sql`.

/// SQL layer errors. Unique-key violations are [`SqlError::Duplicate`], so
/// a store can answer "already exists" without matching engine messages.
#[derive(Debug, thiserror::Error)]
pub enum SqlError {
    /// A unique key is taken (SQLite's `UNIQUE`/`PRIMARY KEY` constraint,
    /// MySQL's error 1062).
    #[error("duplicate: {0}")]
    Duplicate(String),
    /// The transaction lost a race with another writer and was rolled back
    /// (MySQL's deadlock, SQLSTATE 40001; SQLite's busy database): run it
    /// again.
    #[error("conflict with another writer, rolled back: {0}")]
    Conflict(String),
    /// The URL names no engine this crate knows.
    #[error("database URL {url:?}: {reason}")]
    Url {
        /// The URL, with any password removed.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The URL names an engine this build was compiled without.
    #[error("{engine} support is not in this build: enable the `{feature}` feature of venus-sql (or of the crate that uses it)")]
    NotCompiled {
        /// `SQLite` or `MySQL`.
        engine: &'static str,
        /// The Cargo feature that adds it.
        feature: &'static str,
    },
    /// A migration failed or the database was migrated by a newer version.
    #[error("migration: {0}")]
    Migrate(String),
    /// The database failed (connection, statement, transaction).
    #[error("database: {0}")]
    Database(String),
    /// A stored row does not hold what the schema promises.
    #[error("corrupt row: {0}")]
    Corrupt(String),
    /// The group-commit writer is gone (its runtime shut down).
    #[error("the group-commit writer stopped")]
    WriterGone,
}

impl From<sqlx::Error> for SqlError {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::Database(d) if d.is_unique_violation() => {
                SqlError::Duplicate(d.message().to_string())
            }
            // SQLSTATE 40001 (MySQL 1213 deadlock); SQLITE_BUSY (5), SQLITE_LOCKED (6).
            sqlx::Error::Database(d)
                if matches!(d.code().as_deref(), Some("40001") | Some("5") | Some("6")) =>
            {
                SqlError::Conflict(d.message().to_string())
            }
            _ => SqlError::Database(e.to_string()),
        }
    }
}

impl From<sqlx::migrate::MigrateError> for SqlError {
    fn from(e: sqlx::migrate::MigrateError) -> Self {
        SqlError::Migrate(e.to_string())
    }
}

/// `Result` with [`SqlError`].
pub type Result<T, E = SqlError> = std::result::Result<T, E>;
