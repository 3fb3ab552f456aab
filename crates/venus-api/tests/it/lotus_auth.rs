//! Lotus's `AuthVerify` and `AuthNew` (`auth_module`): tokens made with the
//! daemon's secret and verified as Lotus does, base64 on the wire, new
//! tokens for admins only and not at all without a signer, forged ones
//! refused with their code.

use std::sync::Arc;

use venus_api::lotus::{auth_module, AuthNew, AuthVerify};
use venus_rpc::{
    codes, ClientConfig, Endpoint, Error, Hs256Verifier, Permission, RpcClient, RpcServer,
    ServerHandle, TokenVerifier,
};

async fn client(server: &ServerHandle, token: String) -> RpcClient {
    RpcClient::connect_with(
        Endpoint::new(server.http_url(), Some(token)),
        ClientConfig::default(),
    )
    .await
    .expect("client")
}

fn code(r: venus_rpc::Result<impl std::fmt::Debug>) -> i64 {
    match r {
        Err(Error::Rpc(e)) => e.code,
        other => panic!("expected an RPC error, got {other:?}"),
    }
}

/// `auth_module` on loopback, its tokens `signer`'s, with `AuthNew` only
/// when `mints`.
async fn serve(signer: &Hs256Verifier, mints: bool) -> ServerHandle {
    let verifier: Arc<dyn TokenVerifier> = Arc::new(signer.clone());
    RpcServer::builder(auth_module(verifier.clone(), mints.then(|| signer.clone())))
        .verifier(verifier)
        .build()
        .start("127.0.0.1:0".parse().expect("addr"))
        .await
        .expect("start")
}

#[tokio::test]
async fn tokens_are_made_and_verified_as_lotus_does() {
    let signer = Hs256Verifier::new(&[7u8; 32]);
    let server = serve(&signer, true).await;
    let token = |p: Permission| signer.sign(p.and_below(), None, None).expect("token");
    let admin = client(&server, token(Permission::Admin)).await;
    let reader = client(&server, token(Permission::Read)).await;

    let made = admin
        .call::<AuthNew>((vec![Permission::Read, Permission::Write],))
        .await
        .expect("AuthNew");
    let made = String::from_utf8(made.0).expect("a token is text");
    // On the wire the token is base64, as Lotus sends `[]byte`.
    let raw = admin
        .call_raw("Filecoin.AuthNew", serde_json::json!([["read"]]))
        .await
        .expect("AuthNew");
    let raw = raw.as_str().expect("a base64 string");
    assert!(!raw.contains('.'), "the JWT itself, not base64: {raw}");
    for asker in [&admin, &reader] {
        assert_eq!(
            asker
                .call::<AuthVerify>((made.clone(),))
                .await
                .expect("AuthVerify"),
            vec![Permission::Read, Permission::Write]
        );
    }
    // The new token works as what it grants.
    let writer = client(&server, made).await;
    assert_eq!(
        writer
            .call::<AuthVerify>((token(Permission::Sign),))
            .await
            .expect("AuthVerify"),
        Permission::Sign.and_below()
    );

    // Only an admin makes tokens; one granting nothing, as Lotus's.
    assert_eq!(
        code(reader.call::<AuthNew>((vec![Permission::Admin],)).await),
        codes::METHOD_ERROR
    );
    assert_eq!(
        code(writer.call::<AuthNew>((vec![Permission::Read],)).await),
        codes::METHOD_ERROR
    );
    let none = admin.call::<AuthNew>((vec![],)).await.expect("AuthNew");
    let none = String::from_utf8(none.0).expect("a token is text");
    assert_eq!(
        admin.call::<AuthVerify>((none,)).await.expect("AuthVerify"),
        vec![]
    );
    // A token signed with another secret, or not a token, is refused.
    let forged = Hs256Verifier::new(&[8u8; 32])
        .sign(Permission::Admin.and_below(), None, None)
        .expect("forged");
    for bad in [forged, "not-a-token".to_string()] {
        assert_eq!(
            code(admin.call::<AuthVerify>((bad,)).await),
            codes::TOKEN_REFUSED
        );
    }
    server.stop().await;

    // Without a signer (tokens come from venus-auth), no AuthNew.
    let server = serve(&signer, false).await;
    let admin = client(&server, token(Permission::Admin)).await;
    assert_eq!(
        code(admin.call::<AuthNew>((vec![Permission::Read],)).await),
        codes::METHOD_NOT_FOUND
    );
    assert_eq!(
        admin
            .call::<AuthVerify>((token(Permission::Write),))
            .await
            .expect("AuthVerify"),
        Permission::Write.and_below()
    );
    server.stop().await;
}
