//! The pipeline's store on SQLite and on MariaDB (`VENUS_TEST_MYSQL_URL`):
//! sector steps are compare-and-set, a task goes to one worker at a time
//! even when many claim at once, a lapsed lease hands the task to another
//! and the first one's result is refused, a deadline is held by one
//! sealer until its lease lapses.

#![cfg(feature = "pipeline")]
#![allow(missing_docs)]

use std::time::Duration;

use venus_api::sealer::{TaskInput, TaskKind, TaskOutput, TaskResult, WorkerRequest};
use venus_core::shared::sector::RegisteredSealProof;
use venus_sealer_lib::pipeline::{NewTask, SealingStore, SectorInfo, SectorState, MIGRATIONS};

fn req(worker: &str, kinds: &[TaskKind]) -> WorkerRequest {
    WorkerRequest {
        worker: worker.into(),
        free: kinds.iter().map(|k| (*k, 1)).collect(),
    }
}

fn task(s: &SectorInfo, kind: TaskKind) -> NewTask {
    NewTask {
        id: s.step_id(kind.as_str()),
        kind,
        input: TaskInput {
            seal_proof: 5,
            ticket: "00".repeat(32),
            seed: String::new(),
            comm_r: String::new(),
            comm_d: String::new(),
            pieces: vec![],
        },
    }
}

async fn suite(db: venus_sql::Db) {
    let store = SealingStore::from_db(db);
    let seal = RegisteredSealProof::StackedDRG2KiBV1P1;

    // Sector numbers are unique per miner.
    let s = SectorInfo::new(1000, 3, seal, 1);
    assert!(store.insert_sector(&s).await.expect("insert"));
    assert!(
        !store.insert_sector(&s).await.expect("again"),
        "a taken number"
    );
    assert!(store
        .insert_sector(&SectorInfo::new(1001, 3, seal, 1))
        .await
        .expect("other miner"));
    assert_eq!(store.max_number(1000).await.expect("max"), Some(3));
    assert_eq!(store.max_number(7).await.expect("max"), None);

    // A step is a compare-and-set: the second of two takes nothing.
    let mut next = s.clone();
    next.state = SectorState::Pc1;
    next.ticket = Some([7; 32]);
    let t = task(&next, TaskKind::Pc1);
    assert!(store.update(&s, &next, Some(&t)).await.expect("step"));
    assert!(!store.update(&s, &next, Some(&t)).await.expect("stale step"));
    let read = store.sector(1000, 3).await.expect("read").expect("there");
    assert_eq!((read.state, read.ticket), (SectorState::Pc1, Some([7; 32])));
    assert_eq!(store.sectors(true).await.expect("active").len(), 2);

    // A worker with no free slot for the kind gets nothing.
    assert!(store
        .claim(&req("w0", &[TaskKind::C2]), 60_000)
        .await
        .expect("claim")
        .is_none());

    // 16 workers claim at once: the task goes to exactly one.
    let mut claims = Vec::new();
    for i in 0..16 {
        let store = store.clone();
        claims.push(tokio::spawn(async move {
            store
                .claim(
                    &req(&format!("w{i}"), &[TaskKind::Pc1, TaskKind::Pc2]),
                    60_000,
                )
                .await
                .expect("claim")
                .map(|t| (t, format!("w{i}")))
        }));
    }
    let mut got = Vec::new();
    for c in claims {
        if let Some(x) = c.await.expect("join") {
            got.push(x);
        }
    }
    assert_eq!(got.len(), 1, "one claimer gets the task");
    let (claimed, holder) = got.pop().expect("one");
    assert_eq!(
        (claimed.id.as_str(), claimed.kind),
        (t.id.as_str(), TaskKind::Pc1)
    );
    assert_eq!(claimed.input.ticket, "00".repeat(32));
    assert!(store
        .heartbeat(&claimed.id, &holder, 60_000)
        .await
        .expect("beat"));
    assert!(!store
        .heartbeat(&claimed.id, "stranger", 60_000)
        .await
        .expect("beat"));
    let workers = store.workers(0).await.expect("workers");
    assert_eq!(workers.len(), 16);
    let w = workers
        .iter()
        .find(|w| w.name == holder)
        .expect("holder listed");
    assert_eq!(w.running, vec![claimed.id.clone()]);

    // Its lease lapses (its worker died): another claims it, and the
    // first worker's late result is refused.
    assert!(store
        .heartbeat(&claimed.id, &holder, 0)
        .await
        .expect("shorten"));
    tokio::time::sleep(Duration::from_millis(20)).await;
    let again = store
        .claim(&req("rescuer", &[TaskKind::Pc1]), 60_000)
        .await
        .expect("claim")
        .expect("the lapsed task");
    assert_eq!(again.id, claimed.id);
    let out = TaskResult::Ok(TaskOutput::default());
    assert!(
        !store.finish(&again.id, &holder, &out).await.expect("late"),
        "not the holder any more"
    );
    assert!(store
        .finish(&again.id, "rescuer", &out)
        .await
        .expect("finish"));
    assert!(
        !store
            .finish(&again.id, "rescuer", &out)
            .await
            .expect("twice"),
        "finished once"
    );
    let row = store.task(&again.id).await.expect("task").expect("there");
    assert_eq!(
        (row.state.as_str(), row.claims, row.worker.as_str()),
        ("done", 2, "rescuer")
    );
    assert!(store
        .claim(&req("w", &[TaskKind::Pc1]), 60_000)
        .await
        .expect("claim")
        .is_none());

    // A task whose workers keep dying fails after `max_claims`.
    let mut n2 = next.clone();
    n2.attempt = 1;
    let t2 = task(&n2, TaskKind::Pc1);
    assert!(store
        .update(&next, &n2, Some(&t2))
        .await
        .expect("retry step"));
    for i in 0..2 {
        let c = store
            .claim(&req(&format!("d{i}"), &[TaskKind::Pc1]), 0)
            .await
            .expect("claim");
        assert_eq!(c.map(|c| c.id), Some(t2.id.clone()));
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(store.fail_lapsed(2).await.expect("sweep"), 1);
    let row = store.task(&t2.id).await.expect("task").expect("there");
    assert_eq!(row.state, "failed");
    assert!(row.error.contains("stopped answering"), "{}", row.error);

    // A deadline is held by one sealer until its lease lapses.
    assert!(store
        .lease_post(1000, 40, 2, "a", 60_000)
        .await
        .expect("lease"));
    assert!(!store
        .lease_post(1000, 40, 2, "b", 60_000)
        .await
        .expect("held"));
    assert!(store.lease_post(1000, 40, 2, "a", 0).await.expect("renew"));
    tokio::time::sleep(Duration::from_millis(5)).await;
    assert!(store
        .lease_post(1000, 40, 2, "b", 60_000)
        .await
        .expect("takeover"));
    let mut p = store.post(1000, 40, 2).await.expect("post").expect("row");
    p.state = "Submitted".into();
    p.msg = "m".into();
    p.skipped = vec![5, 9];
    assert!(!store.set_post(&p, "a").await.expect("set"), "a lost it");
    assert!(store.set_post(&p, "b").await.expect("set"));
    let read = store.post(1000, 40, 2).await.expect("post").expect("row");
    assert_eq!(
        (read.state.as_str(), read.skipped),
        ("Submitted", vec![5, 9])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sealing_store_conforms_on_each_backend() {
    let ran = venus_sql::harness::on_each_backend(&MIGRATIONS, suite).await;
    assert!(ran.contains(&venus_sql::SqlBackend::Sqlite));
}
