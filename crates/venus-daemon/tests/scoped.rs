//! `scoped`: a daemon's whole `run_services` stopped by a token instead of
//! a signal, so one process can run several daemons and stop each in its
//! own order; and a service that ends by itself still ends the run.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use venus_daemon::{run_services, scoped, CancellationToken, Service, ServiceHandle};

/// Records whether it was stopped; ends by itself when `die` is cancelled.
struct Probe {
    stopped: Arc<AtomicBool>,
    die: CancellationToken,
}

#[async_trait::async_trait]
impl Service for Probe {
    fn name(&self) -> &str {
        "probe"
    }

    async fn start(
        self: Box<Self>,
        cancel: CancellationToken,
    ) -> venus_daemon::Result<ServiceHandle> {
        let (stopped, die, c) = (self.stopped.clone(), self.die.clone(), cancel.clone());
        Ok(ServiceHandle::new("probe", cancel, async move {
            tokio::select! {
                _ = c.cancelled() => stopped.store(true, Ordering::SeqCst),
                _ = die.cancelled() => {}
            }
            Ok(())
        }))
    }
}

fn probe() -> (Probe, Arc<AtomicBool>, CancellationToken) {
    let stopped = Arc::new(AtomicBool::new(false));
    let die = CancellationToken::new();
    (
        Probe {
            stopped: stopped.clone(),
            die: die.clone(),
        },
        stopped,
        die,
    )
}

#[tokio::test]
async fn a_scope_token_stops_only_its_own_daemon() {
    let (a, a_stopped, _) = probe();
    let (b, b_stopped, _) = probe();
    let (stop_a, stop_b) = (CancellationToken::new(), CancellationToken::new());
    let run_a = tokio::spawn(scoped(stop_a.clone(), run_services(vec![Box::new(a)])));
    let run_b = tokio::spawn(scoped(stop_b.clone(), run_services(vec![Box::new(b)])));
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        !run_a.is_finished() && !run_b.is_finished(),
        "both serve until stopped"
    );

    stop_a.cancel();
    tokio::time::timeout(Duration::from_secs(5), run_a)
        .await
        .expect("a stops once its token is cancelled")
        .expect("join")
        .expect("a graceful stop is Ok");
    assert!(
        a_stopped.load(Ordering::SeqCst),
        "a's service was cancelled"
    );
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        !run_b.is_finished(),
        "b's token was not cancelled: it still serves"
    );
    assert!(!b_stopped.load(Ordering::SeqCst));

    stop_b.cancel();
    tokio::time::timeout(Duration::from_secs(5), run_b)
        .await
        .expect("b stops")
        .expect("join")
        .expect("Ok");
    // The process is still here: the scope's token is no "second signal"
    // that would make run_services exit the process.
    tokio::time::sleep(Duration::from_millis(200)).await;
}

#[tokio::test]
async fn a_service_that_ends_by_itself_ends_a_scoped_run_with_an_error() {
    let (p, _, die) = probe();
    let stop = CancellationToken::new();
    let run = tokio::spawn(scoped(stop.clone(), run_services(vec![Box::new(p)])));
    die.cancel();
    let r = tokio::time::timeout(Duration::from_secs(5), run)
        .await
        .expect("the run ends")
        .expect("join");
    let e = r.expect_err("ending unasked is a failure");
    assert!(e.to_string().contains("ended by itself"), "{e}");
    // The scope's owner stops it afterwards: that is no "second signal"
    // (which would exit the process with code 1 and end this test).
    stop.cancel();
    tokio::time::sleep(Duration::from_millis(300)).await;
}

#[tokio::test]
async fn only_a_scoped_daemon_knows_it_shares_the_process() {
    assert!(!venus_daemon::in_scope(), "outside scoped");
    assert!(
        scoped(CancellationToken::new(), async { venus_daemon::in_scope() }).await,
        "inside scoped"
    );
}
