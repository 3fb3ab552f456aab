//! venus-sql on both engines: errors, rows, group commit, and a writer
//! killed with SIGKILL losing nothing it acknowledged.

#![allow(missing_docs)] // test fixtures

use std::sync::Arc;

use venus_sql::sqlx;
use venus_sql::{harness, row, Db, GroupCommit, Migrations, SqlBackend, SqlError, Statement};

static MIGRATIONS: Migrations = Migrations::new()
    .sqlite(&sqlx::migrate!("./tests/migrations/sqlite"))
    .mysql(&sqlx::migrate!("./tests/migrations/mysql"));

fn insert(id: i64, name: &str) -> Statement {
    Statement::insert("items", &["id", "name", "body"])
        .bind(id)
        .bind(name)
        .bind(vec![0u8, 1, 2, 255])
}

async fn count(db: &Db) -> i64 {
    sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM items")
        .fetch_one(db.pool())
        .await
        .expect("count")
}

async fn suite(db: Db) {
    // Unique keys are Duplicate, on either engine.
    let w = GroupCommit::new(db.clone(), 64);
    w.execute(insert(1, "名前🚀")).await.expect("insert");
    match w.execute(insert(2, "名前🚀")).await {
        Err(SqlError::Duplicate(_)) => {}
        other => panic!("a taken name: {other:?}"),
    }
    let r = sqlx::query("SELECT name, body, id FROM items WHERE id = 1")
        .fetch_one(db.pool())
        .await
        .expect("row");
    assert_eq!(row::text(&r, 0).expect("text"), "名前🚀");
    assert_eq!(row::int(&r, 2).expect("int"), 1);

    // 64 concurrent writers, one of them a duplicate: the others all land,
    // and the duplicate fails alone.
    let tasks: Vec<_> = (0..64i64)
        .map(|i| {
            let w = w.clone();
            tokio::spawn(async move {
                let name = if i == 40 {
                    "名前🚀".to_string()
                } else {
                    format!("w{i}")
                };
                w.execute(insert(100 + i, &name)).await
            })
        })
        .collect();
    let mut failed = Vec::new();
    for (i, t) in tasks.into_iter().enumerate() {
        if let Err(e) = t.await.expect("task") {
            assert!(matches!(e, SqlError::Duplicate(_)), "{e}");
            failed.push(i);
        }
    }
    assert_eq!(failed, vec![40]);
    assert_eq!(count(&db).await, 64);

    // Statements of different shapes in one batch share a transaction.
    let rename = |id: i64| {
        Statement::new("UPDATE items SET name = ? WHERE id = ?")
            .bind(format!("renamed{id}"))
            .bind(id)
    };
    let (a, b, c) = tokio::join!(
        w.execute(insert(500, "t500")),
        w.execute(rename(1)),
        w.execute(rename(101)),
    );
    a.expect("insert");
    b.expect("update");
    c.expect("update");
    let names: Vec<String> =
        sqlx::query_scalar("SELECT name FROM items WHERE id IN (1, 101, 500) ORDER BY id")
            .fetch_all(db.pool())
            .await
            .expect("names");
    assert_eq!(names, ["renamed1", "renamed101", "t500"]);

    lingering(db).await;
}

/// A lingering writer: writers arriving together share one commit after
/// the linger, a duplicate among them still fails alone, and a lone writer
/// is delayed at most once, right after a burst.
async fn lingering(db: Db) {
    use sqlx::Connection;
    use std::time::{Duration, Instant};
    const LINGER: Duration = Duration::from_secs(2);
    let w = GroupCommit::with_linger(db.clone(), 64, LINGER);
    // 32 at once while another connection holds the write lock: the
    // writer's first commit waits for it, the rest queue meanwhile and
    // share the next commit, so the writer knows writers arrive together.
    let mut holder = db.pool().acquire().await.expect("connection");
    let mut lock = holder
        .begin_with(db.backend().begin_write())
        .await
        .expect("begin");
    sqlx::query(&format!(
        "SELECT id FROM items{}",
        db.backend().for_update()
    ))
    .fetch_all(&mut *lock)
    .await
    .expect("lock the table");
    let warm: Vec<_> = (1000..1032i64)
        .map(|id| {
            let w = w.clone();
            tokio::spawn(async move { w.execute(insert(id, &format!("l{id}"))).await })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(300)).await;
    lock.rollback().await.expect("release");
    for t in warm {
        t.await.expect("task").expect("insert");
    }
    // Eight writers started 100 ms apart, one a duplicate: the first waits
    // for the last (its commit is held for the linger), all but the
    // duplicate land.
    let started = Instant::now();
    let mut tasks = Vec::new();
    for i in 0..8i64 {
        let w = w.clone();
        let name = if i == 5 {
            "l1000".to_string()
        } else {
            format!("l{}", 1040 + i)
        };
        tasks.push(tokio::spawn(async move {
            let r = w.execute(insert(1040 + i, &name)).await;
            (r, started.elapsed())
        }));
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let last_started = started.elapsed();
    let mut outcomes = Vec::new();
    for t in tasks {
        outcomes.push(t.await.expect("task"));
    }
    assert!(
        outcomes[0].1 >= last_started,
        "the first writer answered at {:?}, before the last one started at {last_started:?}",
        outcomes[0].1
    );
    for (i, (r, _)) in outcomes.iter().enumerate() {
        match (i, r) {
            (5, Err(SqlError::Duplicate(_))) => {}
            (5, other) => panic!("the duplicate: {other:?}"),
            (_, r) => assert!(r.is_ok(), "writer {i}: {r:?}"),
        }
    }
    // One more alone (the last batch had several: it lingers), then a lone
    // writer's statements are committed at once.
    w.execute(insert(1100, "l1100")).await.expect("insert");
    let alone = Instant::now();
    for id in 1101..1104 {
        w.execute(insert(id, &format!("l{id}")))
            .await
            .expect("insert");
    }
    assert!(
        alone.elapsed() < LINGER,
        "three lone writes took {:?}",
        alone.elapsed()
    );
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM items WHERE id >= 1000 AND id < 2000")
        .fetch_one(db.pool())
        .await
        .expect("count");
    assert_eq!(n, 32 + 7 + 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_suite_on_sqlite_and_mysql() {
    let ran = harness::on_each_backend(&MIGRATIONS, suite).await;
    assert_eq!(ran.first(), Some(&SqlBackend::Sqlite));
    if std::env::var(harness::MYSQL_URL_VAR).is_ok() {
        assert_eq!(ran, vec![SqlBackend::Sqlite, SqlBackend::MySql]);
    }
}

#[tokio::test]
async fn urls_of_unknown_engines_and_bad_files_are_clear_errors() {
    match venus_sql::connect("postgres://u@h/db", &MIGRATIONS).await {
        Err(SqlError::Url { .. }) => {}
        other => panic!("{other:?}"),
    }
    match venus_sql::connect("sqlite:///nonexistent-dir/x/y.db", &MIGRATIONS).await {
        Err(SqlError::Database(m)) => assert!(m.contains("nonexistent-dir"), "{m}"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn an_in_memory_database_is_one_database() {
    let db = venus_sql::connect("sqlite::memory:", &MIGRATIONS)
        .await
        .expect("memory");
    let w = GroupCommit::new(db.clone(), 8);
    let tasks: Vec<_> = (0..16)
        .map(|i| {
            let w = w.clone();
            tokio::spawn(async move { w.execute(insert(i, &format!("m{i}"))).await })
        })
        .collect();
    for t in tasks {
        t.await.expect("task").expect("insert");
    }
    assert_eq!(count(&db).await, 16);
}

const CHILD: &str = "VENUS_SQL_TEST_CHILD_URL";

/// Run as a child process by the test below: writes rows through a group
/// commit from 16 tasks, printing each id once its write is acknowledged.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "the child process of a_killed_writer_loses_no_acknowledged_row"]
async fn child_writer() {
    let url = std::env::var(CHILD).expect("run by a_killed_writer_loses_no_acknowledged_row");
    let db = venus_sql::connect(&url, &MIGRATIONS)
        .await
        .expect("connect");
    let w = GroupCommit::new(db, 64);
    let out = Arc::new(std::sync::Mutex::new(std::io::stdout()));
    let tasks: Vec<_> = (0..16i64)
        .map(|t| {
            let (w, out) = (w.clone(), out.clone());
            tokio::spawn(async move {
                for n in 0.. {
                    let id = t * 1_000_000 + n;
                    w.execute(insert(id, &format!("k{id}")))
                        .await
                        .expect("insert");
                    use std::io::Write;
                    let mut o = out.lock().expect("stdout");
                    let _ = writeln!(o, "acked {id}");
                    let _ = o.flush();
                }
            })
        })
        .collect();
    for t in tasks {
        let _ = t.await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_writer_loses_no_acknowledged_row() {
    use std::io::{BufRead, BufReader};
    let t = harness::sqlite(&MIGRATIONS).await;
    let mut child = std::process::Command::new(std::env::current_exe().expect("exe"))
        .args(["child_writer", "--exact", "--ignored", "--nocapture"])
        .env(CHILD, &t.url)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("child");
    let stdout = child.stdout.take().expect("stdout");
    let acked: Vec<i64> = tokio::task::spawn_blocking(move || {
        let mut acked = Vec::new();
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if let Some(id) = line.strip_prefix("acked ") {
                acked.push(id.parse().expect("id"));
                if acked.len() == 3_000 {
                    break;
                }
            }
        }
        acked
    })
    .await
    .expect("reader");
    // SIGKILL mid-stream: no chance to flush or commit anything more.
    let pid = child.id().to_string();
    std::process::Command::new("kill")
        .args(["-KILL", &pid])
        .status()
        .expect("kill");
    let _ = child.wait();
    assert_eq!(acked.len(), 3_000, "the child acknowledged writes");
    let stored: std::collections::HashSet<i64> =
        sqlx::query_scalar::<_, i64>("SELECT id FROM items")
            .fetch_all(t.db.pool())
            .await
            .expect("ids")
            .into_iter()
            .collect();
    let lost: Vec<_> = acked.iter().filter(|id| !stored.contains(id)).collect();
    assert!(lost.is_empty(), "acknowledged but lost: {lost:?}");
}

#[tokio::test]
async fn a_service_database_is_made_once_on_the_server() {
    let Ok(server) = std::env::var("VENUS_TEST_MYSQL_URL") else {
        eprintln!("SKIPPED: VENUS_TEST_MYSQL_URL is not set; mysql_database was not tested");
        return;
    };
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("time")
        .subsec_nanos();
    let name = format!("venus_test_svc_{}_{nanos}", std::process::id());
    let absent = venus_sql::existing_mysql_database(&server, &name)
        .await
        .expect("asked");
    assert_eq!(absent, None, "not made yet");
    let url = venus_sql::mysql_database(&server, &name)
        .await
        .expect("made");
    assert_eq!(venus_sql::database_name(&url), Some(name.as_str()));
    let found = venus_sql::existing_mysql_database(&server, &name)
        .await
        .expect("asked");
    assert_eq!(found.as_deref(), Some(url.as_str()), "made");
    let db = venus_sql::connect(&url, &MIGRATIONS)
        .await
        .expect("connect");
    GroupCommit::new(db.clone(), 8)
        .execute(insert(1, "kept"))
        .await
        .expect("insert");
    // Made again: the same database, its rows kept.
    let again = venus_sql::mysql_database(&server, &name)
        .await
        .expect("again");
    let db2 = venus_sql::connect(&again, &MIGRATIONS)
        .await
        .expect("connect");
    assert_eq!(count(&db2).await, 1);
    let bad = venus_sql::mysql_database(&server, "x; DROP DATABASE test")
        .await
        .expect_err("not a name");
    assert!(bad.to_string().contains("not a database name"), "{bad}");
    db.close().await;
    db2.close().await;
    venus_sql::drop_mysql_database(&server, &name)
        .await
        .expect("drop");
    let gone = venus_sql::existing_mysql_database(&server, &name)
        .await
        .expect("asked");
    assert_eq!(gone, None, "dropped");
}
