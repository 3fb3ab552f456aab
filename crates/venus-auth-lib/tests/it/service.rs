//! The service protecting a daemon: permissions, revocation, disabled users, bad tokens, rate limits.

use std::sync::Arc;
use std::time::{Duration, Instant};

use venus_auth_lib::rpc::{auth_server, AuthRevokeToken, AuthSetUserEnabled, RemoteVerifier};
use venus_auth_lib::*;
use venus_rpc::*;

use crate::client;

rpc_method! { pub R = "Svc.Read", read, NoParams => u8 }
rpc_method! { pub W = "Svc.Write", write, NoParams => u8 }
rpc_method! { pub S = "Svc.Sign", sign, NoParams => u8 }
rpc_method! { pub A = "Svc.Admin", admin, NoParams => u8 }

const SECRET: &[u8] = b"service test secret";

fn module() -> RpcModule {
    let mut m = RpcModule::new();
    m.register::<R, _, _>(|_, _| async { Ok(1) });
    m.register::<W, _, _>(|_, _| async { Ok(2) });
    m.register::<S, _, _>(|_, _| async { Ok(3) });
    m.register::<A, _, _>(|_, _| async { Ok(4) });
    m
}

async fn service(ttl: Duration) -> (Arc<AuthService>, venus_sql::harness::TestDb) {
    let (store, dir) = crate::sqlite().await;
    (
        Arc::new(AuthService::new(
            Arc::new(store),
            SECRET,
            CacheConfig { ttl, capacity: 100 },
        )),
        dir,
    )
}

async fn protected(
    verifier: Arc<dyn TokenVerifier>,
    limiter: Option<Arc<dyn RateLimiter>>,
) -> ServerHandle {
    let mut b = RpcServer::builder(module()).verifier(verifier);
    if let Some(l) = limiter {
        b = b.rate_limiter(l);
    }
    b.build()
        .start("127.0.0.1:0".parse().expect("addr"))
        .await
        .expect("start")
}

async fn call(c: &RpcClient, p: Permission) -> std::result::Result<u8, Error> {
    match p {
        Permission::Read => c.call::<R>([]).await,
        Permission::Write => c.call::<W>([]).await,
        Permission::Sign => c.call::<S>([]).await,
        Permission::Admin => c.call::<A>([]).await,
    }
}

#[tokio::test]
async fn permission_matrix_through_the_auth_service() {
    let (auth, _d) = service(Duration::from_secs(5)).await;
    auth.create_user("u", "").await.expect("user");
    let server = protected(auth.clone(), None).await;
    let anon = client(&server.http_url(), None).await;
    for needed in Permission::ALL {
        assert_eq!(
            call(&anon, needed).await.is_ok(),
            needed == Permission::Read,
            "anonymous → {needed}"
        );
    }
    for granted in Permission::ALL {
        let t = auth.create_token("u", granted).await.expect("token");
        let c = client(&server.http_url(), Some(&t)).await;
        for needed in Permission::ALL {
            let r = call(&c, needed).await;
            assert_eq!(
                r.is_ok(),
                needed <= granted,
                "{granted} token, {needed} method: {r:?}"
            );
        }
    }
    server.stop().await;
}

#[tokio::test]
async fn forged_expired_malformed_and_unknown_tokens_are_refused() {
    let (auth, _d) = service(Duration::from_secs(5)).await;
    auth.create_user("u", "").await.expect("user");
    let good = auth
        .create_token("u", Permission::Admin)
        .await
        .expect("token");
    let right = Hs256Verifier::new(SECRET);
    let forged = Hs256Verifier::new(b"not the secret")
        .sign_payload(&JwtPayload {
            allow: Permission::ALL.to_vec(),
            name: Some("u".into()),
            exp: None,
            jti: None,
        })
        .expect("forged");
    let expired = right
        .sign_payload(&JwtPayload {
            allow: vec![Permission::Read],
            name: Some("u".into()),
            exp: Some(1),
            jti: None,
        })
        .expect("expired");
    let unknown_id = right
        .sign_payload(&JwtPayload {
            allow: Permission::ALL.to_vec(),
            name: Some("u".into()),
            exp: None,
            jti: Some("ffff".into()),
        })
        .expect("unknown");
    for (what, t) in [
        ("forged", forged),
        ("expired", expired),
        ("unknown id", unknown_id),
        ("malformed", "a.b.c".to_string()),
        ("garbage", "%%%".to_string()),
    ] {
        assert!(auth.verify(&t).await.is_err(), "{what} accepted");
    }
    assert!(auth.verify(&good).await.is_ok());
    // Over HTTP a refused token is a 401.
    let server = protected(auth.clone(), None).await;
    let c = client(&server.http_url(), Some("a.b.c")).await;
    assert!(matches!(
        call(&c, Permission::Read).await,
        Err(Error::Unauthorized(_))
    ));
    server.stop().await;
}

/// An auth daemon, and a service protected by it through a RemoteVerifier with `ttl`.
async fn pool_of_two(
    ttl: Duration,
    limiter: Option<Arc<dyn RateLimiter>>,
) -> (
    Arc<AuthService>,
    ServerHandle,
    ServerHandle,
    venus_sql::harness::TestDb,
) {
    let (auth, dir) = service(Duration::ZERO).await;
    let auth_server = auth_server(
        auth.clone(),
        Arc::new(LocalRateLimiter::new()),
        ServerConfig::daemon(),
    )
    .start("127.0.0.1:0".parse().expect("addr"))
    .await
    .expect("auth daemon");
    let remote = RemoteVerifier::new(
        client(&auth_server.http_url(), None).await,
        CacheConfig { ttl, capacity: 100 },
    );
    let svc = protected(Arc::new(remote), limiter).await;
    (auth, auth_server, svc, dir)
}

#[tokio::test]
async fn revocation_and_disabling_take_effect_within_the_cache_bound() {
    let ttl = Duration::from_millis(400);
    let (auth, auth_server, svc, _d) = pool_of_two(ttl, None).await;
    auth.create_user("u", "").await.expect("user");
    auth.create_user("root", "").await.expect("user");
    let admin = client(
        &auth_server.http_url(),
        Some(
            &auth
                .create_token("root", Permission::Admin)
                .await
                .expect("t"),
        ),
    )
    .await;

    for action in ["revoke", "disable"] {
        if action == "disable" {
            admin
                .call::<AuthSetUserEnabled>(("u".into(), true))
                .await
                .ok();
        }
        let t = auth
            .create_token("u", Permission::Write)
            .await
            .expect("token");
        let c = client(&svc.http_url(), Some(&t)).await;
        assert_eq!(call(&c, Permission::Write).await.expect("works"), 2);
        let at = Instant::now();
        match action {
            "revoke" => admin
                .call::<AuthRevokeToken>((t.clone(),))
                .await
                .expect("revoke"),
            _ => admin
                .call::<AuthSetUserEnabled>(("u".into(), false))
                .await
                .expect("disable"),
        }
        loop {
            match call(&c, Permission::Write).await {
                Err(Error::Unauthorized(_)) => break,
                Ok(_) => assert!(
                    at.elapsed() < ttl + Duration::from_millis(300),
                    "{action}: still accepted after {:?}",
                    at.elapsed()
                ),
                Err(e) => panic!("{action}: unexpected {e}"),
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        assert!(
            at.elapsed() <= ttl + Duration::from_millis(300),
            "{action} took {:?}",
            at.elapsed()
        );
    }
    // The auth daemon's own cache is cut at once: a disabled user's new call fails immediately there.
    assert!(
        auth.create_token("u", Permission::Read).await.is_err(),
        "no tokens for a disabled user"
    );
    svc.stop().await;
    auth_server.stop().await;
}

#[tokio::test]
async fn exceeding_a_rate_limit_is_refused_then_allowed_after_the_window() {
    let (auth, auth_server, svc, _d) = pool_of_two(
        Duration::from_secs(5),
        Some(Arc::new(LocalRateLimiter::new())),
    )
    .await;
    auth.create_user("u", "").await.expect("user");
    auth.set_rate_limit(
        "u",
        Some(UserRateLimit {
            requests: 5,
            window_ms: 1000,
        }),
    )
    .await
    .expect("limit");
    let c = client(
        &svc.http_url(),
        Some(&auth.create_token("u", Permission::Read).await.expect("t")),
    )
    .await;
    // Align to the start of a window so five calls fit in it.
    let (_, left) = window_of(RateLimit {
        requests: 5,
        window_ms: 1000,
    });
    tokio::time::sleep(Duration::from_millis(left + 10)).await;
    for _ in 0..5 {
        call(&c, Permission::Read).await.expect("within budget");
    }
    let e = call(&c, Permission::Read).await.expect_err("over budget");
    match e {
        Error::Rpc(r) => {
            assert_eq!(r.code, codes::RATE_LIMITED);
            assert!(
                r.message.contains("5 requests per 1000 ms") && r.message.contains("user u"),
                "{}",
                r.message
            );
        }
        other => panic!("{other:?}"),
    }
    tokio::time::sleep(Duration::from_millis(1050)).await;
    call(&c, Permission::Read).await.expect("next window");
    svc.stop().await;
    auth_server.stop().await;
}

#[cfg(feature = "redis")]
#[tokio::test]
async fn redis_limiter_shares_counts_and_honours_fail_open() {
    let Ok(url) = std::env::var("VENUS_TEST_REDIS_URL") else {
        eprintln!("SKIPPED: VENUS_TEST_REDIS_URL is not set; the Redis limiter was not tested");
        return;
    };
    let prefix = format!("venus-auth-test-{}", std::process::id());
    let a = RedisRateLimiter::new(&url).expect("a").prefix(&prefix);
    let b = RedisRateLimiter::new(&url).expect("b").prefix(&prefix);
    let limit = RateLimit {
        requests: 4,
        window_ms: 60_000,
    };
    for i in 0..4 {
        let l = if i % 2 == 0 { &a } else { &b };
        l.admit("shared", limit).await.expect("within budget");
    }
    assert!(matches!(
        a.admit("shared", limit).await,
        Err(RateLimitError::Exceeded { .. })
    ));
    assert!(matches!(
        b.admit("shared", limit).await,
        Err(RateLimitError::Exceeded { .. })
    ));

    let closed = RedisRateLimiter::new("redis://127.0.0.1:1").expect("url");
    assert!(
        matches!(
            closed.admit("x", limit).await,
            Err(RateLimitError::Unavailable(_))
        ),
        "refuses by default"
    );
    let open = RedisRateLimiter::new("redis://127.0.0.1:1")
        .expect("url")
        .fail_open(true);
    open.admit("x", limit)
        .await
        .expect("fail-open lets it through");
}

/// With Redis unreachable (a listener whose backlog is full: connections
/// hang), requests do not queue behind one another's connection attempt:
/// they follow the fail-closed setting at once.
#[cfg(feature = "redis")]
#[tokio::test]
async fn an_unreachable_redis_does_not_queue_requests() {
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    socket
        .bind("127.0.0.1:0".parse().expect("addr"))
        .expect("bind");
    let addr = socket.local_addr().expect("addr");
    let listener = socket.listen(1).expect("listen");
    // Fill the accept queue; later connection attempts hang in SYN retries.
    let mut fillers = Vec::new();
    for _ in 0..8 {
        if let Ok(Ok(s)) = tokio::time::timeout(
            Duration::from_millis(200),
            tokio::net::TcpStream::connect(addr),
        )
        .await
        {
            fillers.push(s);
        }
    }
    let limiter = Arc::new(RedisRateLimiter::new(&format!("redis://{addr}")).expect("url"));
    let limit = RateLimit {
        requests: 10,
        window_ms: 1000,
    };
    let started = Instant::now();
    let calls: Vec<_> = (0..20)
        .map(|i| {
            let l = limiter.clone();
            tokio::spawn(async move { l.admit(&format!("u{i}"), limit).await })
        })
        .collect();
    for c in calls {
        assert!(matches!(
            c.await.expect("join"),
            Err(RateLimitError::Unavailable(_))
        ));
    }
    // All twenty waited on one attempt together (at most 1.5 s), not in turn.
    let took = started.elapsed();
    assert!(took < Duration::from_secs(4), "20 requests took {took:?}");
    // Once the first attempt failed, a request does not wait at all.
    let started = Instant::now();
    assert!(limiter.admit("late", limit).await.is_err());
    assert!(started.elapsed() < Duration::from_millis(500));
    drop((listener, fillers));
}
