//! One suite, run against SQLite and MySQL.

use std::sync::Arc;

use venus_auth_lib::*;
use venus_rpc::Permission;

fn user(name: &str) -> User {
    User {
        name: name.into(),
        comment: format!("comment of {name}"),
        enabled: true,
        created_at: 1_700_000_000,
    }
}

const TRICKY: [&str; 6] = [
    "Robert'); DROP TABLE auth_users;--",
    "名前🚀utf8mb4",
    "quote\"back\\slash",
    "100%_wild*card",
    "Ünïcödé NFC \u{e9}",
    "Ünïcödé NFC e\u{301}",
];

pub async fn users_round_trip_exactly(s: Arc<dyn AuthStore>) {
    for n in TRICKY {
        s.create_user(&user(n))
            .await
            .unwrap_or_else(|e| panic!("{n:?}: {e}"));
    }
    for n in TRICKY {
        let got = s
            .user(n)
            .await
            .expect("get")
            .unwrap_or_else(|| panic!("{n:?} missing"));
        assert_eq!(got, user(n), "stored exactly");
    }
    assert_eq!(
        s.users().await.expect("list").len(),
        TRICKY.len(),
        "the two é forms are distinct names"
    );
    assert!(matches!(
        s.create_user(&user(TRICKY[0])).await,
        Err(AuthServiceError::Duplicate(_))
    ));
    let mut u = user(TRICKY[1]);
    u.enabled = false;
    u.comment = "disabled — for now".into();
    s.update_user(&u).await.expect("update");
    assert_eq!(s.user(TRICKY[1]).await.expect("get"), Some(u));
    assert!(matches!(
        s.update_user(&user("nobody")).await,
        Err(AuthServiceError::NotFound(_))
    ));
    s.delete_user(TRICKY[0]).await.expect("delete");
    assert_eq!(s.user(TRICKY[0]).await.expect("get"), None);
    assert!(matches!(
        s.delete_user(TRICKY[0]).await,
        Err(AuthServiceError::NotFound(_))
    ));
}

pub async fn concurrent_creates_lose_nothing(s: Arc<dyn AuthStore>) {
    let distinct: Vec<_> = (0..32)
        .map(|i| {
            let s = s.clone();
            tokio::spawn(async move { s.create_user(&user(&format!("worker-{i:02}"))).await })
        })
        .collect();
    for t in distinct {
        t.await.expect("task").expect("distinct create");
    }
    let same: Vec<_> = (0..32)
        .map(|_| {
            let s = s.clone();
            tokio::spawn(async move { s.create_user(&user("contended")).await })
        })
        .collect();
    let mut ok = 0;
    for t in same {
        match t.await.expect("task") {
            Ok(()) => ok += 1,
            Err(AuthServiceError::Duplicate(_)) => {}
            Err(e) => panic!("unexpected {e}"),
        }
    }
    assert_eq!(ok, 1, "exactly one create of the same name wins");
    let names: Vec<String> = s
        .users()
        .await
        .expect("list")
        .into_iter()
        .map(|u| u.name)
        .collect();
    assert_eq!(names.len(), 33);
    assert!((0..32).all(|i| names.contains(&format!("worker-{i:02}"))));
}

pub async fn registry(s: Arc<dyn AuthStore>) {
    for n in ["alice", "bob"] {
        s.create_user(&user(n)).await.expect("user");
    }
    s.put_miner(&Miner {
        address: "f01000".into(),
        user: "alice".into(),
        open_mining: true,
    })
    .await
    .expect("miner");
    s.put_miner(&Miner {
        address: "f01001".into(),
        user: "alice".into(),
        open_mining: false,
    })
    .await
    .expect("miner");
    assert!(matches!(
        s.put_miner(&Miner {
            address: "f09".into(),
            user: "nobody".into(),
            open_mining: true
        })
        .await,
        Err(AuthServiceError::NotFound(_))
    ));
    // A miner belongs to exactly one user: putting it again moves it.
    s.put_miner(&Miner {
        address: "f01001".into(),
        user: "bob".into(),
        open_mining: true,
    })
    .await
    .expect("move");
    assert_eq!(s.miners(Some("alice")).await.expect("list").len(), 1);
    assert_eq!(
        s.miners(Some("bob")).await.expect("list"),
        vec![Miner {
            address: "f01001".into(),
            user: "bob".into(),
            open_mining: true
        }]
    );
    assert_eq!(s.miners(None).await.expect("all").len(), 2);
    s.delete_miner("f01000").await.expect("delete");
    assert!(matches!(
        s.delete_miner("f01000").await,
        Err(AuthServiceError::NotFound(_))
    ));

    // Signers are many-to-many, and binding twice is harmless.
    s.bind_signer("f3shared", "alice").await.expect("bind");
    s.bind_signer("f3shared", "bob").await.expect("bind");
    s.bind_signer("f3shared", "bob").await.expect("idempotent");
    s.bind_signer("f1own", "alice").await.expect("bind");
    assert_eq!(
        s.signers(None, Some("f3shared"))
            .await
            .expect("by address")
            .len(),
        2
    );
    assert_eq!(
        s.signers(Some("alice"), None).await.expect("by user").len(),
        2
    );
    s.unbind_signer("f3shared", "bob").await.expect("unbind");
    assert!(s.unbind_signer("f3shared", "bob").await.is_err());
    assert_eq!(s.signers(None, None).await.expect("all").len(), 2);

    // Rate limits.
    assert_eq!(s.rate_limit("alice").await.expect("none"), None);
    let l = UserRateLimit {
        requests: 10,
        window_ms: 1000,
    };
    s.set_rate_limit("alice", Some(l)).await.expect("set");
    assert_eq!(s.rate_limit("alice").await.expect("get"), Some(l));
    assert!(s
        .set_rate_limit(
            "alice",
            Some(UserRateLimit {
                requests: 0,
                window_ms: 1
            })
        )
        .await
        .is_err());
    s.set_rate_limit("alice", None).await.expect("clear");
    assert_eq!(s.rate_limit("alice").await.expect("cleared"), None);

    // Deleting a user takes what it owns.
    s.delete_user("alice").await.expect("delete");
    assert!(s
        .signers(Some("alice"), None)
        .await
        .expect("gone")
        .is_empty());
}

pub async fn tokens(s: Arc<dyn AuthStore>) {
    s.create_user(&user("carol")).await.expect("user");
    let auth = AuthService::new(s.clone(), b"suite secret", CacheConfig::default());
    let t = auth
        .create_token("carol", Permission::Sign)
        .await
        .expect("token");
    let listed = s.tokens(Some("carol")).await.expect("list");
    assert_eq!(
        (listed.len(), listed[0].perm, listed[0].revoked),
        (1, Permission::Sign, false)
    );
    use venus_rpc::TokenVerifier;
    let c = auth.verify(&t).await.expect("verify");
    assert_eq!(
        (c.name.as_deref(), c.allow.clone()),
        (Some("carol"), Permission::Sign.and_below())
    );
    auth.revoke(&listed[0].id).await.expect("revoke by id");
    assert!(
        auth.verify(&t).await.is_err(),
        "revoked at once in this process"
    );
    assert!(s.tokens(None).await.expect("all")[0].revoked);
    assert!(matches!(
        s.revoke_token("no-such-id").await,
        Err(AuthServiceError::NotFound(_))
    ));
}

macro_rules! suite {
    ($backend:ident, $make:expr) => {
        mod $backend {
            use std::sync::Arc;
            macro_rules! case {
                ($name:ident) => {
                    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                    async fn $name() {
                        #[allow(clippy::redundant_closure_call)]
                        let Some((store, _guard)) = ($make)().await
                        else {
                            return;
                        };
                        super::$name(Arc::new(store)).await;
                    }
                };
            }
            case!(users_round_trip_exactly);
            case!(concurrent_creates_lose_nothing);
            case!(registry);
            case!(tokens);
        }
    };
}

suite!(sqlite, || async { Some(crate::sqlite().await) });
suite!(mysql, || async { crate::mysql().await });
