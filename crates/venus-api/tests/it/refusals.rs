//! The clients read a refusal's kind from its code, whatever its words say.

use venus_api::auth::AuthClient;
use venus_api::wallet::WalletClient;
use venus_api::Error;
use venus_core::traits::RemoteSigner;
use venus_core::types::{MsgMeta, MsgType};
use venus_core::Address;
use venus_rpc::{codes, Permission, RpcClient, RpcError, RpcModule, RpcServer, ServerHandle};

/// A daemon answering each named method with an error of the given code,
/// all with the same misleading words.
async fn refusing(answers: &[(&'static str, i64)]) -> ServerHandle {
    let mut m = RpcModule::new();
    for &(name, code) in answers {
        m.register_raw(name, Permission::Read, move |_, _| async move {
            Err(RpcError::new(
                code,
                "not found: already exists (wallet is locked)",
            ))
        });
    }
    RpcServer::builder(m)
        .build()
        .start("127.0.0.1:0".parse().expect("addr"))
        .await
        .expect("start")
}

fn meta() -> MsgMeta {
    MsgMeta {
        msg_type: MsgType::Unknown,
        extra: vec![],
    }
}

#[tokio::test]
async fn wallet_refusals_arrive_as_their_kind() {
    let addr = Address::new_id(1000);
    for (code, signer_refused) in [
        (codes::LOCKED, true),
        (codes::POLICY_DENIED, true),
        (codes::SIGN_MISMATCH, true),
        (codes::NOT_FOUND, true),
        // A Lotus wallet refuses with code 1.
        (codes::METHOD_ERROR, true),
        (codes::INTERNAL_ERROR, false),
    ] {
        let server = refusing(&[("Filecoin.WalletSign", code)]).await;
        let wallet = WalletClient::new(
            RpcClient::connect(&server.http_url())
                .await
                .expect("client"),
        );
        let e = wallet
            .wallet_sign(&addr, b"bytes", &meta())
            .await
            .expect_err("refused");
        assert_eq!(e.code(), Some(code), "{e:?}");
        match code {
            codes::LOCKED => assert!(matches!(e, Error::Locked(_)), "{e:?}"),
            codes::POLICY_DENIED => assert!(matches!(e, Error::PolicyDenied(_)), "{e:?}"),
            codes::SIGN_MISMATCH => assert!(matches!(e, Error::Mismatch(_)), "{e:?}"),
            codes::NOT_FOUND => assert!(matches!(e, Error::NotFound(_)), "{e:?}"),
            _ => assert!(matches!(e, Error::Rpc(_)), "{e:?}"),
        }
        let e = wallet
            .sign(&addr, b"bytes", &meta())
            .await
            .expect_err("refused");
        assert_eq!(
            matches!(e, venus_core::Error::SignRefused(_)),
            signer_refused,
            "{code}: {e:?}"
        );
        server.stop().await;
    }
}

#[tokio::test]
async fn auth_refusals_arrive_as_their_kind() {
    let server = refusing(&[
        ("Venus.AuthCreateUser", codes::DUPLICATE),
        ("Venus.AuthCreateToken", codes::NOT_FOUND),
        ("Venus.AuthVerify", codes::TOKEN_REFUSED),
        ("Venus.AuthListUsers", codes::INVALID_PARAMS),
    ])
    .await;
    let auth = AuthClient::new(
        RpcClient::connect(&server.http_url())
            .await
            .expect("client"),
    );
    let e = auth.create_user("alice", "").await.expect_err("taken");
    assert!(matches!(e, Error::Duplicate(_)), "{e:?}");
    let e = auth
        .create_token("bob", Permission::Read)
        .await
        .expect_err("no bob");
    assert!(matches!(e, Error::NotFound(_)), "{e:?}");
    let e = auth.verify("a.b.c").await.expect_err("refused");
    assert!(matches!(e, Error::TokenRefused(_)), "{e:?}");
    let e = auth.users().await.expect_err("invalid");
    assert!(matches!(e, Error::Invalid(_)), "{e:?}");
    // An unregistered method is none of the kinds.
    let e = auth.miners(None).await.expect_err("no such method");
    assert_eq!(e.code(), Some(codes::METHOD_NOT_FOUND));
    assert!(matches!(e, Error::Rpc(_)), "{e:?}");
    server.stop().await;
}
