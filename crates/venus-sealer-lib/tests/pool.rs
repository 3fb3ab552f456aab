//! ProofPool: the bound holds, panics become errors, abandoned jobs keep their slot until done.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use venus_sealer_lib::{ProofPool, SealerError};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn never_more_than_the_limit_at_once() {
    let pool = ProofPool::new(2);
    let running = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new(AtomicUsize::new(0));
    let jobs = (0..8).map(|i| {
        let (pool, running, peak) = (pool.clone(), running.clone(), peak.clone());
        async move {
            pool.run("test", move || {
                let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                peak.fetch_max(now, Ordering::SeqCst);
                std::thread::sleep(Duration::from_millis(30));
                running.fetch_sub(1, Ordering::SeqCst);
                Ok(i)
            })
            .await
        }
    });
    let results = futures_join(jobs).await;
    assert_eq!(results, (0..8).map(Ok).collect::<Vec<_>>());
    assert_eq!(
        peak.load(Ordering::SeqCst),
        2,
        "two jobs ran together, never three"
    );
    assert_eq!(pool.available(), 2);
}

async fn futures_join<
    F: std::future::Future<Output = venus_sealer_lib::Result<i32>> + Send + 'static,
>(
    jobs: impl Iterator<Item = F>,
) -> Vec<Result<i32, String>> {
    let handles: Vec<_> = jobs.map(tokio::spawn).collect();
    let mut out = Vec::new();
    for h in handles {
        out.push(h.await.expect("task").map_err(|e| e.to_string()));
    }
    out
}

#[tokio::test]
async fn a_panic_is_an_error_and_the_slot_comes_back() {
    let pool = ProofPool::new(1);
    let err = pool
        .run::<(), _>("c2", || panic!("bellperson exploded"))
        .await
        .expect_err("panic must surface as an error");
    assert!(
        matches!(err, SealerError::Panicked { stage: "c2", .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("bellperson exploded"), "{err}");
    assert_eq!(pool.available(), 1);
    assert_eq!(
        pool.run("after", || Ok(5)).await.expect("pool still works"),
        5
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_abandoned_job_finishes_before_its_slot_is_freed() {
    let pool = ProofPool::new(1);
    let finished = Arc::new(AtomicUsize::new(0));
    let done = finished.clone();
    let job = pool.run("slow", move || {
        std::thread::sleep(Duration::from_millis(300));
        done.fetch_add(1, Ordering::SeqCst);
        Ok(())
    });
    // Abandon it once it is running.
    let _ = tokio::time::timeout(Duration::from_millis(50), job).await;
    assert_eq!(pool.available(), 0, "the job still runs and holds its slot");
    // A queued job waits for it rather than running beside it.
    let seen = finished.clone();
    let next = pool.run("next", move || Ok(seen.load(Ordering::SeqCst)));
    assert_eq!(
        next.await.expect("next job"),
        1,
        "the abandoned job completed first"
    );
    assert_eq!(pool.available(), 1);
}

#[tokio::test]
async fn a_waiting_job_can_be_cancelled_and_a_closed_pool_refuses() {
    let pool = ProofPool::new(1);
    let (tx, rx) = std::sync::mpsc::channel::<()>();
    let busy = pool.clone();
    let holder = tokio::spawn(async move {
        busy.run("hold", move || {
            let _ = rx.recv_timeout(Duration::from_secs(5));
            Ok(())
        })
        .await
    });
    tokio::time::sleep(Duration::from_millis(50)).await;
    let waiting = pool.run("never", || Ok(()));
    assert!(tokio::time::timeout(Duration::from_millis(50), waiting)
        .await
        .is_err());
    tx.send(()).expect("release");
    holder.await.expect("join").expect("hold job");
    assert_eq!(pool.available(), 1, "the cancelled waiter took no slot");
    pool.close();
    let err = pool.run("late", || Ok(())).await.expect_err("closed");
    assert!(matches!(err, SealerError::PoolClosed("late")), "{err:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_short_job_does_not_wait_behind_the_slots() {
    let pool = ProofPool::new(1);
    let (tx, rx) = std::sync::mpsc::channel::<()>();
    let busy = pool.clone();
    let holder = tokio::spawn(async move {
        busy.run("winning post", move || {
            let _ = rx.recv_timeout(Duration::from_secs(10));
            Ok(())
        })
        .await
    });
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(pool.available(), 0, "the long job holds the only slot");
    // A verification runs beside it, within a bound the long job is far from.
    let short = pool.run_short("verify winning post", || Ok(7));
    let out = tokio::time::timeout(Duration::from_secs(5), short)
        .await
        .expect("a short job must not queue behind the slot");
    assert_eq!(out.expect("short job"), 7);
    let err = pool
        .run_short::<(), _>("verify", || panic!("verifier exploded"))
        .await
        .expect_err("a panic surfaces");
    assert!(
        matches!(
            err,
            SealerError::Panicked {
                stage: "verify",
                ..
            }
        ),
        "{err:?}"
    );
    tx.send(()).expect("release");
    holder.await.expect("join").expect("long job");
    pool.close();
    let err = pool.run_short("late", || Ok(())).await.expect_err("closed");
    assert!(matches!(err, SealerError::PoolClosed("late")), "{err:?}");
}
