//! [`SqlBackend`]: which engine a URL names.

use crate::{Result, SqlError};

/// The SQL engines venus-rs runs on. Both are named whatever this build
/// was compiled with, so a URL for a missing one is a clear error
/// ([`SqlError::NotCompiled`]) rather than an unknown scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SqlBackend {
    /// `sqlite://path?mode=rwc`, `sqlite::memory:`: one file per service.
    Sqlite,
    /// `mysql://user:pass@host:port/db` (MariaDB too): for what a pool shares.
    MySql,
}

impl SqlBackend {
    /// The engine `url` names: `sqlite:` for SQLite, `mysql:` or `mariadb:` for MySQL.
    pub fn from_url(url: &str) -> Result<Self> {
        let scheme = url.split(':').next().unwrap_or_default();
        match scheme.to_ascii_lowercase().as_str() {
            "sqlite" => Ok(SqlBackend::Sqlite),
            "mysql" | "mariadb" => Ok(SqlBackend::MySql),
            _ => Err(SqlError::Url {
                url: redact_url(url),
                reason: "use sqlite://path (or sqlite::memory:) or mysql://user@host/db".into(),
            }),
        }
    }

    /// The engine's name, for messages.
    pub fn name(self) -> &'static str {
        match self {
            SqlBackend::Sqlite => "SQLite",
            SqlBackend::MySql => "MySQL",
        }
    }

    /// The Cargo feature that compiles the engine in.
    pub fn feature(self) -> &'static str {
        match self {
            SqlBackend::Sqlite => "sqlite",
            SqlBackend::MySql => "mysql",
        }
    }

    /// Whether this build can talk to the engine.
    pub fn compiled(self) -> bool {
        match self {
            SqlBackend::Sqlite => cfg!(feature = "sqlite"),
            SqlBackend::MySql => cfg!(feature = "mysql"),
        }
    }

    /// [`SqlError::NotCompiled`] unless [`SqlBackend::compiled`].
    pub fn ensure_compiled(self) -> Result<()> {
        if self.compiled() {
            Ok(())
        } else {
            Err(SqlError::NotCompiled {
                engine: self.name(),
                feature: self.feature(),
            })
        }
    }

    /// The statement that starts a transaction which will write: SQLite's
    /// `BEGIN IMMEDIATE` takes the write lock at once (so two writers do not
    /// both read and then fail to upgrade); MySQL locks rows as statements
    /// touch them (use [`SqlBackend::for_update`] on reads).
    pub fn begin_write(self) -> &'static str {
        match self {
            SqlBackend::Sqlite => "BEGIN IMMEDIATE",
            SqlBackend::MySql => "BEGIN",
        }
    }

    /// The suffix that locks the rows a `SELECT` reads until the transaction
    /// ends: ` FOR UPDATE` on MySQL; nothing on SQLite, whose
    /// [`begin_write`](SqlBackend::begin_write) already holds the database.
    pub fn for_update(self) -> &'static str {
        match self {
            SqlBackend::Sqlite => "",
            SqlBackend::MySql => " FOR UPDATE",
        }
    }

    /// `INSERT INTO table (cols) VALUES (?, …)` that updates the other
    /// columns when a row with the same `key` exists (`ON CONFLICT … DO
    /// UPDATE` on SQLite, `ON DUPLICATE KEY UPDATE` on MySQL).
    pub fn upsert(self, table: &str, cols: &[&str], key: &str) -> String {
        let marks = vec!["?"; cols.len()].join(", ");
        let others = cols.iter().filter(|c| **c != key);
        let (conflict, set): (String, Vec<String>) = match self {
            SqlBackend::Sqlite => (
                format!("ON CONFLICT({key}) DO UPDATE SET"),
                others.map(|c| format!("{c} = excluded.{c}")).collect(),
            ),
            SqlBackend::MySql => (
                "ON DUPLICATE KEY UPDATE".to_string(),
                others.map(|c| format!("{c} = VALUES({c})")).collect(),
            ),
        };
        format!(
            "INSERT INTO {table} ({}) VALUES ({marks}) {conflict} {}",
            cols.join(", "),
            set.join(", ")
        )
    }

    /// `INSERT` that skips a row whose unique key is taken.
    pub fn insert_ignore(self) -> &'static str {
        match self {
            SqlBackend::Sqlite => "INSERT OR IGNORE",
            SqlBackend::MySql => "INSERT IGNORE",
        }
    }
}

/// The URL of the SQLite database file at `path`, created if missing.
/// Characters a URL would misread (`?`, `#`, `%`, spaces…) are
/// percent-encoded, as sqlx decodes them.
pub fn sqlite_url(path: &std::path::Path) -> crate::Result<String> {
    let s = path.to_str().ok_or_else(|| SqlError::Url {
        url: path.display().to_string(),
        reason: "the database path is not valid UTF-8".into(),
    })?;
    let mut out = String::from("sqlite://");
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"/-_.~:".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    Ok(format!("{out}?mode=rwc"))
}

/// `url` without its password (`mysql://user:***@host/db`), for error
/// messages and logs. A URL that is not well formed (a password holding a
/// raw `/`, `?` or `#`, no `scheme://`) loses more than its password rather
/// than show any of it.
pub fn redact_url(url: &str) -> String {
    let Some(scheme_end) = url.find("://").map(|i| i + 3) else {
        return match url.rfind('@') {
            Some(at) => format!("***{}", &url[at..]),
            None => url.to_string(),
        };
    };
    let rest = &url[scheme_end..];
    // The user information ends at the authority's last `@` (a password
    // may hold `@` too); the authority, at the first `/`, `?` or `#`. With
    // no `@` there, one further on may end a password holding those.
    let authority = rest.find(['/', '?', '#']).map_or(rest, |end| &rest[..end]);
    let Some(at) = authority.rfind('@').or_else(|| rest.rfind('@')) else {
        return url.to_string();
    };
    match rest[..at].find(':') {
        Some(colon) => format!(
            "{}{}:***{}",
            &url[..scheme_end],
            &rest[..colon],
            &rest[at..]
        ),
        None => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_name_their_engine() {
        assert_eq!(
            SqlBackend::from_url("sqlite::memory:").ok(),
            Some(SqlBackend::Sqlite)
        );
        assert_eq!(
            SqlBackend::from_url("sqlite:///tmp/a.db?mode=rwc").ok(),
            Some(SqlBackend::Sqlite)
        );
        assert_eq!(
            SqlBackend::from_url("mysql://root@127.0.0.1:3306/test").ok(),
            Some(SqlBackend::MySql)
        );
        assert_eq!(
            SqlBackend::from_url("MariaDB://h/db").ok(),
            Some(SqlBackend::MySql)
        );
        let e = SqlBackend::from_url("postgres://u:secret@h/db").expect_err("not ours");
        assert!(!e.to_string().contains("secret"), "{e}");
        assert!(e.to_string().contains("u:***@h/db"), "{e}");
    }

    #[test]
    fn redacted_urls_keep_no_part_of_the_password() {
        for (url, shown) in [
            (
                "mysql://root:s3cret@h:3306/db",
                "mysql://root:***@h:3306/db",
            ),
            ("mysql://u:p@ss:w@h/db", "mysql://u:***@h/db"),
            ("mysql://root@h/db?x=a:b@c", "mysql://root@h/db?x=a:b@c"),
            ("mysql://h:3306/db", "mysql://h:3306/db"),
            ("mysql://u:p#ss@h/db", "mysql://u:***@h/db"),
            ("mysql://u:p/s?s@h/db", "mysql://u:***@h/db"),
            ("root:pw@h/db", "***@h/db"),
            ("mysql:root:pw@h/db", "***@h/db"),
            ("sqlite::memory:", "sqlite::memory:"),
        ] {
            assert_eq!(redact_url(url), shown);
        }
    }

    #[test]
    fn sqlite_urls_survive_odd_paths() {
        let url = sqlite_url(std::path::Path::new("/tmp/a b/w?x#y%z/é.db")).expect("url");
        assert_eq!(url, "sqlite:///tmp/a%20b/w%3Fx%23y%25z/%C3%A9.db?mode=rwc");
    }
}
