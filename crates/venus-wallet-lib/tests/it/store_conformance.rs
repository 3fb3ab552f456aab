//! One KeyStore suite, run on the in-memory store, SQLite and MySQL.

use std::sync::Arc;

use venus_wallet_lib::{
    KeySnapshot, KeyStore, MemoryKeyStore, SqlKeyStore, StoredKey, WalletError, MIGRATIONS,
};

fn key(address: &str, entry: &str) -> StoredKey {
    StoredKey {
        address: address.into(),
        key_type: 2,
        entry: entry.into(),
    }
}

/// Sets the first password check through a compare-and-swap on the empty store.
async fn set_check(s: &dyn KeyStore, canary: &str) {
    let was = s.snapshot().await.expect("snapshot");
    assert!(s
        .replace_keys(&was, &[], canary)
        .await
        .expect("first check"));
}

async fn suite(s: Arc<dyn KeyStore>) {
    assert_eq!(s.snapshot().await.expect("empty"), KeySnapshot::default());
    // No password check yet: nothing can be stored.
    assert!(matches!(
        s.insert_key(&key("t3aaa", "e1"), "c1").await,
        Err(WalletError::PasswordChanged)
    ));
    set_check(&*s, "c1").await;
    assert_eq!(
        s.password_check().await.expect("check").as_deref(),
        Some("c1")
    );

    // Stored in order, exactly; a second copy is Duplicate; a stale check refused.
    let tricky = "{\"quote\":\"'); DROP TABLE `keys`;--\",\"名前\":\"🚀\"}";
    for (a, e) in [("t3zzz", tricky), ("t3aaa", "e2"), ("t1mmm", "e3")] {
        s.insert_key(&key(a, e), "c1").await.expect("insert");
    }
    assert!(matches!(
        s.insert_key(&key("t3aaa", "other"), "c1").await,
        Err(WalletError::Duplicate(_))
    ));
    assert!(matches!(
        s.insert_key(&key("t3new", "e"), "stale").await,
        Err(WalletError::PasswordChanged)
    ));
    let snap = s.snapshot().await.expect("snapshot");
    let order: Vec<&str> = snap.keys.iter().map(|k| k.address.as_str()).collect();
    assert_eq!(order, vec!["t3zzz", "t3aaa", "t1mmm"], "the order stored");
    assert_eq!(snap.keys[0].entry, tricky);

    // Compare-and-swap: a stale snapshot changes nothing.
    let entries: Vec<(String, String)> = snap
        .keys
        .iter()
        .map(|k| (k.address.clone(), format!("re-{}", k.address)))
        .collect();
    let mut stale = snap.clone();
    stale.keys.pop();
    assert!(!s.replace_keys(&stale, &entries, "c2").await.expect("cas"));
    assert_eq!(s.snapshot().await.expect("same"), snap);
    // A key that is not there fails the whole replacement.
    let mut bad = entries.clone();
    bad.push(("t3ghost".into(), "x".into()));
    assert!(s.replace_keys(&snap, &bad, "c2").await.is_err());
    assert_eq!(s.snapshot().await.expect("same"), snap, "nothing half done");
    assert!(s.replace_keys(&snap, &entries, "c2").await.expect("cas"));
    let after = s.snapshot().await.expect("after");
    assert_eq!(after.canary.as_deref(), Some("c2"));
    assert!(after
        .keys
        .iter()
        .all(|k| k.entry == format!("re-{}", k.address)));

    // Delete.
    assert!(s.delete_key("t3aaa").await.expect("delete"));
    assert!(!s.delete_key("t3aaa").await.expect("again"));
    assert_eq!(s.snapshot().await.expect("after").keys.len(), 2);

    // Concurrent inserts of distinct keys all land; of one key, exactly one.
    let distinct: Vec<_> = (0..16)
        .map(|i| {
            let s = s.clone();
            tokio::spawn(async move { s.insert_key(&key(&format!("t3w{i:02}"), "e"), "c2").await })
        })
        .collect();
    for t in distinct {
        t.await.expect("task").expect("distinct insert");
    }
    let same: Vec<_> = (0..16)
        .map(|_| {
            let s = s.clone();
            tokio::spawn(async move { s.insert_key(&key("t3same", "e"), "c2").await })
        })
        .collect();
    let mut ok = 0;
    for t in same {
        match t.await.expect("task") {
            Ok(()) => ok += 1,
            Err(WalletError::Duplicate(_)) => {}
            Err(e) => panic!("{e}"),
        }
    }
    assert_eq!(ok, 1);
    assert_eq!(s.snapshot().await.expect("all").keys.len(), 2 + 16 + 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn key_store_conformance_in_memory() {
    suite(Arc::new(MemoryKeyStore::new())).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn key_store_conformance_on_sqlite_and_mysql() {
    let ran = venus_sql::harness::on_each_backend(&MIGRATIONS, |db| async move {
        suite(Arc::new(SqlKeyStore::new(db))).await
    })
    .await;
    assert!(!ran.is_empty());
}

/// A wallet whose keys live in memory signs like any other.
#[tokio::test]
async fn a_wallet_over_the_memory_store_signs() {
    use venus_core::SignatureType;
    use venus_wallet_lib::{KdfParams, LocalWallet, WalletDb};
    let w = LocalWallet::with_key_store(
        WalletDb::in_memory().await.expect("db"),
        Arc::new(MemoryKeyStore::new()),
        KdfParams::FAST_INSECURE,
    );
    w.set_password(None, crate::PW).await.expect("password");
    let a = w.new_key(SignatureType::BLS).await.expect("key");
    let sig = w
        .sign_as(
            &venus_wallet_lib::Caller::local(),
            &a,
            b"raw",
            &crate::unknown(),
        )
        .await
        .expect("signed");
    venus_core::crypto::verify(&sig, b"raw", &a).expect("valid");
    w.lock().await;
    w.unlock(crate::PW).await.expect("unlock");
    assert_eq!(w.addresses().await.expect("addresses"), vec![a]);
}
