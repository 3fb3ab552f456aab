//! Tokens and permissions.

use std::time::Duration;

use venus_rpc::*;

use crate::*;

async fn outcome(
    url: &str,
    token: Option<String>,
    perm: Permission,
) -> std::result::Result<String, Error> {
    let c = RpcClient::connect_with(Endpoint::new(url, token), ClientConfig::default()).await?;
    match perm {
        Permission::Read => c.call::<Add>((1, 1)).await.map(|v| v.to_string()),
        Permission::Write => c.call::<WriteOp>([]).await,
        Permission::Sign => c.call::<SignOp>([]).await,
        Permission::Admin => c.call::<AdminOp>([]).await,
    }
}

#[tokio::test]
async fn permission_matrix() {
    let server = start(ServerConfig::default()).await;
    for url in [server.http_url(), server.ws_url()] {
        // No token: read only, as Lotus.
        for needed in Permission::ALL {
            let r = outcome(&url, None, needed).await;
            assert_eq!(
                r.is_ok(),
                needed == Permission::Read,
                "anonymous → {needed}"
            );
        }
        // A token for each level (with the levels below it, as Lotus issues them).
        for granted in Permission::ALL {
            let tok = token(&granted.and_below());
            for needed in Permission::ALL {
                match outcome(&url, Some(tok.clone()), needed).await {
                    Ok(_) => assert!(needed <= granted, "{granted} token ran a {needed} method"),
                    Err(Error::Rpc(e)) => {
                        assert!(
                            needed > granted,
                            "{granted} token refused a {needed} method"
                        );
                        assert_eq!(e.code, codes::METHOD_ERROR);
                        assert!(
                            e.message.contains(&format!("(need '{needed}')")),
                            "{}",
                            e.message
                        );
                    }
                    Err(other) => panic!("unexpected {other:?}"),
                }
            }
        }
        // Lotus checks membership: a token with only `sign` cannot read.
        assert!(
            outcome(&url, Some(token(&[Permission::Sign])), Permission::Read)
                .await
                .is_err()
        );
    }
    server.stop().await;
}

#[tokio::test]
async fn bad_signature_expired_and_garbage_tokens_get_401() {
    let server = start(ServerConfig::default()).await;
    let forged = Hs256Verifier::new(b"another secret")
        .sign(Permission::ALL.to_vec(), None, None)
        .expect("token");
    let expired = {
        let t = Hs256Verifier::new(SECRET)
            .sign(vec![Permission::Read], None, Some(Duration::from_secs(1)))
            .expect("token");
        tokio::time::sleep(Duration::from_millis(2100)).await;
        t
    };
    for bad in [
        forged,
        expired,
        "not.a.jwt".to_string(),
        String::new() + "x",
    ] {
        let http = outcome(&server.http_url(), Some(bad.clone()), Permission::Read).await;
        assert!(
            matches!(http, Err(Error::Unauthorized(_))),
            "http: {http:?}"
        );
        let ws = outcome(&server.ws_url(), Some(bad.clone()), Permission::Read).await;
        assert!(matches!(ws, Err(Error::Unauthorized(_))), "ws: {ws:?}");
    }
    // ?token= works too.
    let tok = token(&[Permission::Read, Permission::Write]);
    let c = client(&format!("{}?token={tok}", server.http_url()), None).await;
    assert_eq!(c.call::<WriteOp>([]).await.expect("query token"), "wrote");
    server.stop().await;
}

#[tokio::test]
async fn lotus_format_tokens_verify() {
    // Lotus signs {"Allow": [...]} with HS256 and no other claims.
    let payload = serde_json::json!({"Allow": ["read", "write"]});
    let key = jsonwebtoken::EncodingKey::from_secret(SECRET);
    let tok =
        jsonwebtoken::encode(&jsonwebtoken::Header::default(), &payload, &key).expect("encode");
    let claims = Hs256Verifier::new(SECRET)
        .verify(&tok)
        .await
        .expect("lotus token");
    assert_eq!(claims.allow, vec![Permission::Read, Permission::Write]);
    assert_eq!(claims.name, None);
    let unknown = jsonwebtoken::encode(
        &jsonwebtoken::Header::default(),
        &serde_json::json!({"Allow": ["root"]}),
        &key,
    )
    .expect("encode");
    assert!(Hs256Verifier::new(SECRET).verify(&unknown).await.is_err());
}
