//! A MySQL server's databases: one per service, made on demand
//! ([`mysql_database`]), so services that share a server never share tables.

use crate::backend::{redact_url, SqlBackend};
use crate::{Result, SqlError};

/// `server` (a `mysql://` URL, with or without a database) naming the
/// database `name` instead; the URL's query (`?ssl-mode=…`) is kept.
pub fn with_database(server: &str, name: &str) -> Result<String> {
    let bad = |reason: &str| SqlError::Url {
        url: redact_url(server),
        reason: reason.into(),
    };
    let scheme_end = server
        .find("://")
        .map(|i| i + 3)
        .ok_or_else(|| bad("expected mysql://USER[:PASSWORD]@HOST[:PORT][/DATABASE]"))?;
    let (base, query) = match server.find('?') {
        Some(i) => (&server[..i], &server[i..]),
        None => (server, ""),
    };
    let host_start = scheme_end + host_start(&base[scheme_end..]);
    let host_end = base[host_start..]
        .find('/')
        .map_or(base.len(), |i| i + host_start);
    if host_end == host_start {
        return Err(bad("the URL names no host"));
    }
    Ok(format!("{}/{name}{query}", &base[..host_end]))
}

/// The database a `mysql://` URL names, if any (read as [`with_database`]
/// reads the host: after the last `@`).
pub fn database_name(url: &str) -> Option<&str> {
    let rest = &url[url.find("://")? + 3..];
    let path = rest.split('?').next().unwrap_or("");
    let (_, db) = path[host_start(path)..].split_once('/')?;
    (!db.is_empty()).then_some(db)
}

/// Where the host starts in `rest` (a URL after `scheme://`, without its
/// query): after the last `@`. A password may hold `@`, and one holding an
/// unencoded `/` (ill-formed: no driver connects with it) stays whole in
/// the user information rather than be read as the database, whose name
/// errors quote. A database name holds no `@`.
fn host_start(rest: &str) -> usize {
    rest.rfind('@').map_or(0, |at| at + 1)
}

/// Makes the database `name` on the MySQL server at `server` if it does
/// not exist (utf8mb4, binary collation, as the stores expect) and
/// returns its URL. `name` is letters, digits and `_` only, at most 64.
pub async fn mysql_database(server: &str, name: &str) -> Result<String> {
    let url = with_database(server, checked_name(server, name)?)?;
    on_server(
        server,
        &format!(
            "CREATE DATABASE IF NOT EXISTS `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"
        ),
    )
    .await?;
    tracing::debug!(target: "venus::sql", url = %redact_url(&url), "database ready on the server");
    Ok(url)
}

/// The URL of the database `name` on the MySQL server at `server` if it
/// is there, `None` if it is not (a service that must find its data, not
/// an empty database made in its place, asks this before
/// [`mysql_database`]).
pub async fn existing_mysql_database(server: &str, name: &str) -> Result<Option<String>> {
    let url = with_database(server, checked_name(server, name)?)?;
    let admin = admin_pool(server).await?;
    let found = sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?",
    )
    .bind(name)
    .fetch_one(&admin)
    .await;
    admin.close().await;
    Ok((found.map_err(SqlError::from)? > 0).then_some(url))
}

/// Drops the database `name` from the MySQL server at `server`, if it
/// exists (what a test made with [`mysql_database`] it drops with this).
pub async fn drop_mysql_database(server: &str, name: &str) -> Result<()> {
    let name = checked_name(server, name)?;
    on_server(server, &format!("DROP DATABASE IF EXISTS `{name}`")).await
}

/// `name` if it is a database name this crate puts in SQL: letters,
/// digits and `_`, at most 64; `server` a MySQL URL in a build with MySQL.
fn checked_name<'a>(server: &str, name: &'a str) -> Result<&'a str> {
    let backend = SqlBackend::from_url(server)?;
    if backend != SqlBackend::MySql {
        return Err(SqlError::Url {
            url: redact_url(server),
            reason: "a MySQL server URL (mysql://…) is needed here".into(),
        });
    }
    backend.ensure_compiled()?;
    if name.is_empty()
        || name.len() > 64
        || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
    {
        return Err(SqlError::Url {
            url: redact_url(server),
            reason: format!("{name:?} is not a database name (letters, digits and _, at most 64)"),
        });
    }
    Ok(name)
}

/// Runs `statement` on the server at `server`, connected without a
/// database (one that may not exist yet, or is being dropped).
async fn on_server(server: &str, statement: &str) -> Result<()> {
    let admin = admin_pool(server).await?;
    let done = sqlx::query(statement).execute(&admin).await;
    admin.close().await;
    done.map(drop).map_err(SqlError::from)
}

/// A connection to the server at `server` without a database.
async fn admin_pool(server: &str) -> Result<sqlx::AnyPool> {
    sqlx::any::install_default_drivers();
    let admin_url = with_database(server, "")?;
    sqlx::AnyPool::connect(&admin_url)
        .await
        .map_err(|e| SqlError::Database(format!("connecting to {}: {e}", redact_url(&admin_url))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_name_another_database() {
        let cases = [
            (
                "mysql://root@127.0.0.1:3306/test",
                "mysql://root@127.0.0.1:3306/x",
            ),
            (
                "mysql://root@127.0.0.1:3306",
                "mysql://root@127.0.0.1:3306/x",
            ),
            (
                "mysql://u:p@h/db?ssl-mode=disabled",
                "mysql://u:p@h/x?ssl-mode=disabled",
            ),
            (
                "mysql://h?ssl-mode=disabled",
                "mysql://h/x?ssl-mode=disabled",
            ),
        ];
        for (from, to) in cases {
            assert_eq!(with_database(from, "x").expect(from), to);
        }
        // A password holding `@`, or (ill-formed) an unencoded `/`, is never
        // read as the database, which errors quote.
        assert_eq!(
            with_database("mysql://u:p@s/s@h:1/db", "x").expect("parsed"),
            "mysql://u:p@s/s@h:1/x"
        );
        assert_eq!(database_name("mysql://u:p@s/s@h:1/db"), Some("db"));
        assert_eq!(database_name("mysql://u:p/ss@h:1"), None);
        assert!(with_database("mysql:///db", "x").is_err());
        assert!(with_database("mysql://u:p@/db", "x").is_err());
        assert!(with_database("127.0.0.1:3306", "x").is_err());
        assert_eq!(database_name("mysql://root@h:1/pool?a=b"), Some("pool"));
        assert_eq!(database_name("mysql://root@h:1/?a=b"), None);
        assert_eq!(database_name("mysql://root@h:1"), None);
    }
}
