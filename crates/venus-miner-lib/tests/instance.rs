//! The instance-name lock on SQLite and MySQL: one live process per name,
//! taken over when the holder's heartbeat stops or its process is gone.

#![allow(missing_docs)]

use std::time::Duration;

use venus_miner_lib::instance::InstanceLock;
use venus_miner_lib::{MinerError, MIGRATIONS};
use venus_sql::sqlx;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_live_process_per_instance_name() {
    venus_sql::harness::on_each_backend(&MIGRATIONS, |db| async move {
        let ttl = Duration::from_millis(1_000);
        let a = InstanceLock::acquire(db.clone(), "miner-a", ttl)
            .await
            .expect("free name");
        // Another name is free.
        let other = InstanceLock::acquire(db.clone(), "miner-b", ttl)
            .await
            .expect("other name");

        // While a beats, a second process under its name waits out one
        // lifetime and is refused, naming the holder.
        let beating = tokio::spawn({
            let a = a.clone();
            async move { a.keep().await }
        });
        match InstanceLock::acquire(db.clone(), "miner-a", ttl).await {
            Err(MinerError::InstanceInUse { holder, .. }) => assert_eq!(holder, a.owner()),
            other => panic!("a live holder's name was taken: {other:?}"),
        }
        beating.abort();

        // a stops beating (hung or gone): once its heartbeat is older than
        // the lifetime the name is taken over, and a learns it lost it.
        tokio::time::sleep(ttl + Duration::from_millis(100)).await;
        let b = InstanceLock::acquire(db.clone(), "miner-a", ttl)
            .await
            .expect("take over a stopped heartbeat");
        assert!(matches!(
            a.renew().await,
            Err(MinerError::InstanceInUse { .. })
        ));
        assert!(matches!(
            tokio::time::timeout(Duration::from_secs(5), a.keep()).await,
            Ok(MinerError::InstanceInUse { .. })
        ));
        b.renew().await.expect("b holds it");

        // A graceful stop gives the name up at once.
        b.release().await.expect("release");
        let c = tokio::time::timeout(
            Duration::from_millis(1_000),
            InstanceLock::acquire(db.clone(), "miner-a", Duration::from_secs(60)),
        )
        .await
        .expect("no wait after a release")
        .expect("released name");

        // A holder that was a process of this host which no longer runs
        // (killed, then restarted): taken over at once, however fresh its
        // heartbeat.
        let host = venus_miner_lib::instance::this_host();
        if cfg!(target_os = "linux")
            && std::path::Path::new("/proc/sys/kernel/random/boot_id").exists()
        {
            let mut dead = std::process::Command::new("true").spawn().expect("spawn");
            let pid = dead.id();
            dead.wait().expect("wait");
            sqlx::query("UPDATE miner_instances SET owner = ?, beat_ms = ? WHERE instance = ?")
                .bind(format!("{host}/{pid}/0"))
                .bind(i64::MAX / 2)
                .bind("miner-a")
                .execute(db.pool())
                .await
                .expect("plant a dead holder");
            tokio::time::timeout(
                Duration::from_millis(1_000),
                InstanceLock::acquire(db.clone(), "miner-a", Duration::from_secs(60)),
            )
            .await
            .expect("no wait for a dead process")
            .expect("taken from a dead process");
            assert!(c.renew().await.is_err());
        }
        other.renew().await.expect("miner-b untouched");
    })
    .await;
}
