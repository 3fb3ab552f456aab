//! Key and password changes that race each other, in one process and across
//! two on one database file, leave a wallet that opens whole after a restart.

use std::sync::Arc;
use std::time::Duration;

use venus_core::types::{MsgMeta, MsgType};
use venus_core::SignatureType;
use venus_wallet_lib::*;

/// Slow enough (tens of ms a key) that the races below overlap.
const KDF: KdfParams = KdfParams {
    log_n: 13,
    r: 8,
    p: 1,
};

async fn open(dir: &std::path::Path) -> Arc<LocalWallet> {
    Arc::new(LocalWallet::new(
        WalletDb::open(&dir.join("wallet.db")).await.expect("db"),
        KDF,
    ))
}

/// Reopens the file as after a restart: every key opens with `pw`.
async fn reopened_keys(dir: &std::path::Path, pw: &str) -> usize {
    let w = open(dir).await;
    let report = w.unlock(pw).await.expect("unlock after restart");
    assert!(
        report.corrupt.is_empty(),
        "corrupt after restart: {:?}",
        report.corrupt
    );
    report.keys
}

async fn seeded(dir: &std::path::Path, pw: &str, keys: usize) -> Arc<LocalWallet> {
    let w = open(dir).await;
    w.set_password(None, pw).await.expect("password");
    for _ in 0..keys {
        w.new_key(SignatureType::Secp256k1).await.expect("key");
    }
    w
}

#[tokio::test]
async fn new_keys_racing_a_password_change_are_all_under_the_new_password() {
    let dir = tempfile::tempdir().expect("dir");
    let w = seeded(dir.path(), "one", 3).await;
    let (changed, added) = tokio::join!(w.set_password(Some("one"), "two"), async {
        let mut n = 0;
        for _ in 0..4 {
            tokio::task::yield_now().await;
            w.new_key(SignatureType::BLS).await.expect("new key");
            n += 1;
        }
        n
    });
    changed.expect("password changed");
    drop(w);
    assert_eq!(reopened_keys(dir.path(), "two").await, 3 + added);
}

#[tokio::test]
async fn a_lock_during_an_unlock_leaves_the_wallet_locked() {
    let dir = tempfile::tempdir().expect("dir");
    drop(seeded(dir.path(), "pw", 6).await);
    let w = open(dir.path()).await;
    let unlocking = tokio::spawn({
        let w = w.clone();
        async move { w.unlock("pw").await }
    });
    // The unlock is deriving keys (6 × scrypt) when the lock arrives.
    tokio::time::sleep(Duration::from_millis(10)).await;
    // The lock does not wait for the unlock's key derivations: it overtakes it.
    w.lock().await;
    match unlocking.await.expect("join") {
        Err(WalletError::LockedMeanwhile) => {}
        other => panic!("an unlock overtaken by a lock: {other:?}"),
    }
    // The lock asked for after the unlock started wins.
    assert!(
        w.is_locked().await,
        "lock() returned, yet the wallet is unlocked"
    );
}

#[tokio::test]
async fn a_key_deleted_during_an_unlock_stays_deleted() {
    let dir = tempfile::tempdir().expect("dir");
    let w = seeded(dir.path(), "pw", 6).await;
    let victim = w.addresses().await.expect("list")[0];
    let again = tokio::spawn({
        let w = w.clone();
        async move { w.unlock("pw").await }
    });
    tokio::time::sleep(Duration::from_millis(10)).await;
    w.delete(&victim).await.expect("delete");
    again.await.expect("join").expect("unlock");
    assert!(!w.addresses().await.expect("list").contains(&victim));
    let meta = MsgMeta {
        msg_type: MsgType::Unknown,
        extra: vec![],
    };
    match w.sign_as(&Caller::local(), &victim, b"data", &meta).await {
        Err(WalletError::UnknownAddress(_)) => {}
        other => panic!("a deleted key still signs: {other:?}"),
    }
    drop(w);
    assert_eq!(reopened_keys(dir.path(), "pw").await, 5);
}

#[tokio::test]
async fn two_processes_on_one_file_never_store_a_key_under_a_stale_password() {
    let dir = tempfile::tempdir().expect("dir");
    let a = seeded(dir.path(), "one", 2).await;
    let b = open(dir.path()).await;
    b.unlock("one").await.expect("b unlocks");

    // b changes the password while a (another process) still holds the old one.
    b.set_password(Some("one"), "two")
        .await
        .expect("b changes it");
    match a.new_key(SignatureType::BLS).await {
        Err(WalletError::PasswordChanged) => {}
        other => panic!("a key stored under the replaced password: {other:?}"),
    }
    a.unlock("two").await.expect("a unlocks again");
    a.new_key(SignatureType::BLS).await.expect("now it stores");

    // A change racing the other process's new keys re-encrypts whatever the file holds.
    let (changed, stored) = tokio::join!(b.set_password(Some("two"), "three"), async {
        let mut stored = 0;
        for _ in 0..3 {
            tokio::task::yield_now().await;
            match a.new_key(SignatureType::Secp256k1).await {
                Ok(_) => stored += 1,
                Err(WalletError::PasswordChanged) => break,
                Err(e) => panic!("{e}"),
            }
        }
        stored
    });
    changed.expect("changed");
    drop((a, b));
    assert_eq!(reopened_keys(dir.path(), "three").await, 3 + stored);
}

#[tokio::test]
async fn the_keystore_is_written_with_full_durability() {
    let dir = tempfile::tempdir().expect("dir");
    let db = WalletDb::open(&dir.path().join("wallet.db"))
        .await
        .expect("db");
    // 2 = FULL: in WAL mode NORMAL can lose the last commits on power loss.
    assert_eq!(db.synchronous().await.expect("pragma"), 2);
}

#[test]
fn a_policy_allowing_raw_bytes_comes_with_a_warning() {
    let raw = Policy {
        name: "anything".into(),
        addresses: vec![],
        msg_types: vec![MsgType::ChainMsg, MsgType::Unknown],
        methods: vec![5],
    };
    let w = raw.warnings();
    assert_eq!(w.len(), 1);
    assert!(w[0].contains("method restriction"), "{w:?}");
    let strict = Policy {
        msg_types: vec![MsgType::ChainMsg],
        ..raw
    };
    assert!(strict.warnings().is_empty());
}
