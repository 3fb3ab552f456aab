//! The auth daemon against a hostile caller: anonymous registry reads,
//! anonymous floods, and revoked tokens on open WebSockets.

use std::sync::Arc;
use std::time::Duration;

use venus_auth_lib::rpc::*;
use venus_auth_lib::*;
use venus_rpc::*;

use crate::client;

async fn daemon(
    config: ServerConfig,
) -> (Arc<AuthService>, ServerHandle, venus_sql::harness::TestDb) {
    let (store, dir) = crate::sqlite().await;
    let auth = Arc::new(AuthService::new(
        Arc::new(store),
        &[7u8; 32],
        CacheConfig::default(),
    ));
    let server = auth_server(auth.clone(), Arc::new(LocalRateLimiter::new()), config)
        .start("127.0.0.1:0".parse().expect("addr"))
        .await
        .expect("auth daemon");
    (auth, server, dir)
}

fn needs_token<T: std::fmt::Debug>(r: std::result::Result<T, Error>) {
    match r {
        Err(Error::Rpc(e)) => assert!(e.message.contains("needs a token"), "{e}"),
        other => panic!("an anonymous registry read was answered: {other:?}"),
    }
}

#[tokio::test]
async fn the_registry_needs_a_token_and_anonymous_verify_is_rate_limited() {
    let (auth, server, _d) = daemon(ServerConfig {
        anonymous_rate_limit: Some(RateLimit {
            requests: 5,
            window_ms: 60_000,
        }),
        ..ServerConfig::daemon()
    })
    .await;
    auth.create_user("alice", "owns f01000")
        .await
        .expect("user");
    auth.store()
        .put_miner(&Miner {
            address: "f01000".into(),
            user: "alice".into(),
            open_mining: true,
        })
        .await
        .expect("miner");
    let token = auth
        .create_token("alice", Permission::Read)
        .await
        .expect("token");

    let anon = client(&server.http_url(), None).await;
    needs_token(anon.call::<AuthListUsers>([]).await);
    needs_token(anon.call::<AuthGetUser>(("alice".into(),)).await);
    needs_token(anon.call::<AuthListMiners>((None,)).await);
    needs_token(anon.call::<AuthListSigners>((None, None)).await);
    needs_token(anon.call::<AuthGetRateLimit>(("alice".into(),)).await);

    // With a token they answer.
    let reader = client(&server.http_url(), Some(&token)).await;
    let users = reader.call::<AuthListUsers>([]).await.expect("list users");
    assert_eq!(users.len(), 1);
    let miners = reader
        .call::<AuthListMiners>((None,))
        .await
        .expect("miners");
    assert_eq!(miners[0].address, "f01000");

    // Anyone may verify, within the per-address budget.
    for _ in 0..5 {
        let claims = anon
            .call::<AuthVerify>((token.clone(),))
            .await
            .expect("verify");
        assert_eq!(claims.name.as_deref(), Some("alice"));
    }
    match anon.call::<AuthVerify>((token.clone(),)).await {
        Err(Error::Rpc(e)) => assert_eq!(e.code, codes::RATE_LIMITED, "{e}"),
        other => panic!("sixth anonymous verify: {other:?}"),
    }
    server.stop().await;
}

#[tokio::test]
async fn a_revoked_admin_token_cannot_mint_over_its_open_websocket() {
    let (auth, server, _d) = daemon(ServerConfig::daemon()).await;
    auth.create_user("root", "").await.expect("user");
    auth.create_user("mallory", "").await.expect("user");
    let admin = auth
        .create_token("root", Permission::Admin)
        .await
        .expect("token");
    let ws = client(&server.ws_url(), Some(&admin)).await;
    ws.call::<AuthCreateToken>(("mallory".into(), Permission::Admin))
        .await
        .expect("admin may mint");

    auth.revoke(&admin).await.expect("revoke");
    // The in-process verifier's cache is purged at once: the very next call is refused.
    match ws
        .call::<AuthCreateToken>(("mallory".into(), Permission::Admin))
        .await
    {
        Err(Error::Unauthorized(why)) => assert!(why.contains("revoked"), "{why}"),
        other => panic!("a revoked token minted a token: {other:?}"),
    }
    let minted = auth.store().tokens(Some("mallory")).await.expect("tokens");
    assert_eq!(minted.len(), 1, "only the token minted before revocation");

    // Disabling the user ends its open sockets the same way.
    let other = auth
        .create_token("mallory", Permission::Read)
        .await
        .expect("token");
    let ws = client(&server.ws_url(), Some(&other)).await;
    ws.call::<AuthListUsers>([]).await.expect("reads");
    auth.set_enabled("mallory", false).await.expect("disable");
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(matches!(
        ws.call::<AuthListUsers>([]).await,
        Err(Error::Unauthorized(_))
    ));
    server.stop().await;
}

/// A verifier tells "this token is refused" (close its connections) from
/// "I cannot tell" (keep them): the auth daemon down, or the verifier's own
/// token refused, is the second.
#[tokio::test]
async fn a_remote_verifier_refuses_only_what_the_daemon_refuses() {
    let (auth, server, _d) = daemon(ServerConfig::daemon()).await;
    auth.create_user("svc", "a pool daemon")
        .await
        .expect("user");
    auth.create_user("alice", "").await.expect("user");
    let own = auth
        .create_token("svc", Permission::Read)
        .await
        .expect("token");
    let remote = RemoteVerifier::new(
        client(&server.http_url(), Some(&own)).await,
        CacheConfig {
            ttl: Duration::ZERO,
            capacity: 10,
        },
    );
    let alice = auth
        .create_token("alice", Permission::Sign)
        .await
        .expect("token");
    assert_eq!(
        remote.verify(&alice).await.expect("valid").name.as_deref(),
        Some("alice")
    );
    auth.revoke(&alice).await.expect("revoke");
    assert!(matches!(
        remote.verify(&alice).await,
        Err(AuthError::Refused(_))
    ));

    let alice = auth
        .create_token("alice", Permission::Sign)
        .await
        .expect("token");
    auth.revoke(&own)
        .await
        .expect("revoke the verifier's own token");
    match remote.verify(&alice).await {
        Err(AuthError::Unavailable(why)) => assert!(why.contains("own token"), "{why}"),
        other => panic!("alice's valid token judged by the verifier's own: {other:?}"),
    }
    server.stop().await;
    match remote.verify(&alice).await {
        Err(AuthError::Unavailable(_)) => {}
        other => panic!("auth daemon down: {other:?}"),
    }
}
