//! Lock, unlock, passwords, tampering, restarts and concurrency.

use std::sync::Arc;

use sqlx::Row;
use venus_core::crypto::verify;
use venus_core::traits::RemoteSigner;
use venus_core::SignatureType;
use venus_wallet_lib::{KdfParams, LocalWallet, WalletDb, WalletError};

use crate::*;

#[tokio::test]
async fn locked_wallets_refuse_and_passwords_are_checked() {
    let w = LocalWallet::new(
        WalletDb::in_memory().await.expect("db"),
        KdfParams::FAST_INSECURE,
    );
    assert!(matches!(w.unlock("x").await, Err(WalletError::NoPassword)));
    assert!(matches!(
        w.new_key(SignatureType::BLS).await,
        Err(WalletError::Locked)
    ));
    w.set_password(None, PW).await.expect("set");
    let addr = w.new_key(SignatureType::BLS).await.expect("key");
    w.lock().await;
    assert!(w.is_locked().await);
    let e = w.sign(&addr, b"x", &unknown()).await.expect_err("locked");
    assert!(e.to_string().contains("locked"), "{e}");
    assert!(matches!(w.export(&addr).await, Err(WalletError::Locked)));
    assert!(matches!(
        w.unlock("wrong").await,
        Err(WalletError::WrongPassword)
    ));
    assert!(w.is_locked().await);
    assert_eq!(w.unlock(PW).await.expect("unlock").keys, 1);
    w.sign(&addr, b"x", &unknown())
        .await
        .expect("unlocked signs");

    // Changing the password re-encrypts every key.
    assert!(w.set_password(Some("wrong"), "new").await.is_err());
    w.set_password(Some(PW), "new password")
        .await
        .expect("change");
    w.lock().await;
    assert!(matches!(
        w.unlock(PW).await,
        Err(WalletError::WrongPassword)
    ));
    assert_eq!(w.unlock("new password").await.expect("new").keys, 1);
}

#[tokio::test]
async fn restart_keeps_keys_and_a_corrupt_entry_spares_the_others() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("wallet.db");
    let (a, b) = {
        let w = LocalWallet::new(
            WalletDb::open(&path).await.expect("db"),
            KdfParams::FAST_INSECURE,
        );
        w.set_password(None, PW).await.expect("set");
        (
            w.new_key(SignatureType::Secp256k1).await.expect("a"),
            w.new_key(SignatureType::BLS).await.expect("b"),
        )
    };
    // Restart: a new instance over the same file.
    let w = LocalWallet::new(
        WalletDb::open(&path).await.expect("db"),
        KdfParams::FAST_INSECURE,
    );
    assert!(w.is_locked().await);
    assert_eq!(w.unlock(PW).await.expect("unlock").keys, 2);
    let sig = w
        .sign(&b, b"after restart", &unknown())
        .await
        .expect("sign");
    verify(&sig, b"after restart", &b).expect("valid");
    drop(w);

    // Tamper with a's ciphertext, truncate nothing else.
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", path.display()))
        .await
        .expect("raw");
    let row = sqlx::query("SELECT entry FROM keys WHERE address = ?")
        .bind(a.to_string())
        .fetch_one(&pool)
        .await
        .expect("row");
    let mut entry: serde_json::Value =
        serde_json::from_str(&row.get::<String, _>(0)).expect("json");
    let ct = entry["ciphertext"].as_str().expect("ct").to_string();
    let flipped = format!(
        "{}{}",
        if ct.starts_with('0') { "1" } else { "0" },
        &ct[1..]
    );
    entry["ciphertext"] = flipped.into();
    sqlx::query("UPDATE keys SET entry = ? WHERE address = ?")
        .bind(entry.to_string())
        .bind(a.to_string())
        .execute(&pool)
        .await
        .expect("tamper");
    pool.close().await;

    let w = LocalWallet::new(
        WalletDb::open(&path).await.expect("db"),
        KdfParams::FAST_INSECURE,
    );
    let report = w.unlock(PW).await.expect("unlock with one bad entry");
    assert_eq!(report.keys, 1);
    assert_eq!(report.corrupt.len(), 1);
    assert_eq!(report.corrupt[0].0, a.to_string());
    assert!(
        report.corrupt[0].1.contains("tampered"),
        "{}",
        report.corrupt[0].1
    );
    assert!(
        w.sign(&a, b"x", &unknown()).await.is_err(),
        "the damaged key is unusable"
    );
    w.sign(&b, b"x", &unknown())
        .await
        .expect("the other key still signs");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixty_four_tasks_sign_concurrently_with_both_key_types() {
    let w = Arc::new(wallet().await);
    let bls = w.new_key(SignatureType::BLS).await.expect("bls");
    let secp = w.new_key(SignatureType::Secp256k1).await.expect("secp");
    let tasks: Vec<_> = (0..64u32)
        .map(|i| {
            let w = w.clone();
            let addr = if i % 2 == 0 { bls } else { secp };
            tokio::spawn(async move {
                let data = format!("payload {i}").into_bytes();
                let sig = w.sign(&addr, &data, &unknown()).await.expect("sign");
                (addr, data, sig)
            })
        })
        .collect();
    for t in tasks {
        let (addr, data, sig) = t.await.expect("task");
        verify(&sig, &data, &addr).expect("every signature verifies");
    }
}
