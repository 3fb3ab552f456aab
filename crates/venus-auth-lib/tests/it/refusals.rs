//! Each refusal of the auth daemon reaches the client with its code, and
//! `AuthClient` reads it back as its kind.

use std::sync::Arc;

use venus_api::Error as ApiError;
use venus_auth_lib::rpc::{auth_server, AuthClient, AuthCreateUser};
use venus_auth_lib::*;
use venus_rpc::{codes, Error, LocalRateLimiter, Permission, ServerConfig};

use crate::client;

#[tokio::test]
async fn refusals_arrive_with_their_codes() {
    let (store, _d) = crate::sqlite().await;
    let auth = Arc::new(AuthService::new(
        Arc::new(store),
        &[9u8; 32],
        CacheConfig::default(),
    ));
    let server = auth_server(
        auth.clone(),
        Arc::new(LocalRateLimiter::new()),
        ServerConfig::daemon(),
    )
    .start("127.0.0.1:0".parse().expect("addr"))
    .await
    .expect("auth daemon");
    auth.create_user("root", "").await.expect("user");
    let admin = auth
        .create_token("root", Permission::Admin)
        .await
        .expect("token");
    let rpc = client(&server.http_url(), Some(&admin)).await;

    // A duplicate user: the code on the wire…
    match rpc
        .call::<AuthCreateUser>(("root".into(), String::new()))
        .await
    {
        Err(Error::Rpc(e)) => assert_eq!(e.code, codes::DUPLICATE, "{e}"),
        other => panic!("a second root: {other:?}"),
    }
    // …and the kind at the typed client.
    let typed = AuthClient::new(rpc);
    let e = typed.create_user("root", "").await.expect_err("duplicate");
    assert!(matches!(e, ApiError::Duplicate(_)), "{e:?}");
    let e = typed
        .create_token("nobody", Permission::Read)
        .await
        .expect_err("no such user");
    assert!(matches!(e, ApiError::NotFound(_)), "{e:?}");
    let e = typed.create_user("", "").await.expect_err("empty name");
    assert!(matches!(e, ApiError::Invalid(_)), "{e:?}");
    let e = typed.verify("a.b.c").await.expect_err("bad token");
    assert!(matches!(e, ApiError::TokenRefused(_)), "{e:?}");
    assert_eq!(
        typed.verify(&admin).await.expect("valid").name.as_deref(),
        Some("root")
    );
    server.stop().await;
}
