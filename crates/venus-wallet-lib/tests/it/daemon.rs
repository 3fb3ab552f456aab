//! The wallet's API over a real socket, with permissions.

use std::sync::Arc;

use venus_core::crypto::{verify, KeyInfo, PrivateKey};
use venus_core::encoding::RawBytes;
use venus_core::json::Lotus;
use venus_core::traits::RemoteSigner;
use venus_core::types::MsgType;
use venus_core::SignatureType;
use venus_rpc::{
    ClientConfig, Endpoint, Error, Hs256Verifier, Permission, RpcClient, ServerHandle,
};
use venus_wallet_lib::rpc::*;
use venus_wallet_lib::service::{api_info, serve};
use venus_wallet_lib::{Policy, PolicyGroup, RecordQuery};

use crate::*;

const SECRET: &[u8] = b"wallet daemon test secret";

/// A fresh wallet served on a free loopback port, and its HTTP URL.
async fn served() -> (ServerHandle, String) {
    let wallet = Arc::new(wallet().await);
    let server = serve(wallet, SECRET, "127.0.0.1:0".parse().expect("addr"))
        .await
        .expect("serve");
    let url = server.http_url();
    (server, url)
}

async fn client(url: &str, perm: Permission, name: &str) -> RpcClient {
    let token = Hs256Verifier::new(SECRET)
        .sign(perm.and_below(), Some(name.into()), None)
        .expect("token");
    client_with(url, token).await
}

async fn client_with(url: &str, token: String) -> RpcClient {
    RpcClient::connect_with(Endpoint::new(url, Some(token)), ClientConfig::default())
        .await
        .expect("client")
}

#[tokio::test]
async fn every_api_method_over_a_socket_with_permissions() {
    let (server, url) = served().await;
    let admin = client(&url, Permission::Admin, "root").await;
    let signer = client(&url, Permission::Sign, "miner").await;
    let reader = client(&url, Permission::Read, "watcher").await;

    let bls = admin
        .call::<WalletNew>(("bls".into(),))
        .await
        .expect("WalletNew")
        .0;
    assert!(admin.call::<WalletNew>(("rsa".into(),)).await.is_err());
    assert!(admin
        .call::<WalletHas>((Lotus(bls),))
        .await
        .expect("WalletHas"));
    assert_eq!(
        admin.call::<WalletList>([]).await.expect("WalletList").0,
        vec![bls]
    );
    let imported = PrivateKey::generate(SignatureType::Secp256k1);
    let secp = admin
        .call::<WalletImport>((KeyInfo::from_private_key(&imported),))
        .await
        .expect("WalletImport")
        .0;
    assert_eq!(secp, imported.address().expect("addr"));
    let ki = admin
        .call::<WalletExport>((Lotus(secp),))
        .await
        .expect("WalletExport");
    assert_eq!(ki.to_private_key().expect("key").bytes(), imported.bytes());

    // The miner may sign once a policy binds it; the admin policy allows everything.
    let data = Lotus(RawBytes::new(b"raw bytes".to_vec()));
    let meta = Lotus(unknown());
    assert!(
        signer
            .call::<WalletSign>((Lotus(bls), data.clone(), meta.clone()))
            .await
            .is_err(),
        "no policy yet"
    );
    admin
        .call::<PolicyPut>((Policy {
            name: "raw".into(),
            addresses: vec![],
            msg_types: vec![MsgType::Unknown],
            methods: vec![],
        },))
        .await
        .expect("PolicyPut");
    admin
        .call::<PolicyGroupPut>((PolicyGroup {
            name: "g".into(),
            policies: vec!["raw".into()],
        },))
        .await
        .expect("PolicyGroupPut");
    admin
        .call::<PolicyBind>(("miner".into(), "g".into()))
        .await
        .expect("PolicyBind");
    assert_eq!(
        admin
            .call::<PolicyList>([])
            .await
            .expect("PolicyList")
            .len(),
        1
    );
    assert_eq!(
        admin
            .call::<PolicyGroupList>([])
            .await
            .expect("PolicyGroupList")
            .len(),
        1
    );
    let sig = signer
        .call::<WalletSign>((Lotus(bls), data.clone(), meta.clone()))
        .await
        .expect("WalletSign")
        .0;
    verify(&sig, b"raw bytes", &bls).expect("valid");

    // Permissions: a read token cannot sign; a sign token cannot export or delete.
    let e = reader
        .call::<WalletSign>((Lotus(bls), data.clone(), meta.clone()))
        .await
        .expect_err("read cannot sign");
    assert!(
        matches!(&e, Error::Rpc(r) if r.message.contains("need 'sign'")),
        "{e}"
    );
    let e = signer
        .call::<WalletExport>((Lotus(bls),))
        .await
        .expect_err("sign cannot export");
    assert!(
        matches!(&e, Error::Rpc(r) if r.message.contains("need 'admin'")),
        "{e}"
    );
    assert!(signer.call::<WalletDelete>((Lotus(secp),)).await.is_err());
    assert!(!reader
        .call::<WalletLockState>([])
        .await
        .expect("lock state"));

    // Lock, sign refused, unlock, records, password, delete.
    admin.call::<WalletLock>([]).await.expect("WalletLock");
    assert!(reader.call::<WalletLockState>([]).await.expect("state"));
    assert!(
        signer
            .call::<WalletSign>((Lotus(bls), data.clone(), meta.clone()))
            .await
            .is_err(),
        "locked"
    );
    assert!(admin.call::<WalletUnlock>(("wrong".into(),)).await.is_err());
    assert!(admin
        .call::<WalletUnlock>((PW.into(),))
        .await
        .expect("WalletUnlock")
        .is_empty());
    let records = admin
        .call::<SignRecords>((RecordQuery::default(),))
        .await
        .expect("SignRecords");
    // No policy, signed, locked; the read token never reached the wallet.
    assert_eq!(
        (records.len(), records.iter().filter(|r| r.ok).count()),
        (3, 1)
    );
    admin
        .call::<WalletSetPassword>((Some(PW.into()), "next".into()))
        .await
        .expect("WalletSetPassword");
    admin
        .call::<WalletDelete>((Lotus(secp),))
        .await
        .expect("WalletDelete");
    assert!(!admin.call::<WalletHas>((Lotus(secp),)).await.expect("has"));
    assert!(admin
        .call::<PolicyDelete>(("raw".into(),))
        .await
        .expect("PolicyDelete"));

    // WalletClient is a RemoteSigner over the daemon.
    let remote = WalletClient::new(client(&url, Permission::Admin, "root").await);
    assert!(remote.has(&bls).await.expect("has"));
    let sig = remote
        .sign(&bls, b"via client", &unknown())
        .await
        .expect("remote sign");
    verify(&sig, b"via client", &bls).expect("valid");

    // The API-info string points at this daemon.
    let info = api_info("TOKEN", server.local_addr()).expect("info");
    assert_eq!(
        info,
        format!(
            "TOKEN:/ip4/127.0.0.1/tcp/{}/http",
            server.local_addr().port()
        )
    );
    server.stop().await;
}

/// Lotus's `AuthVerify` and `AuthNew`, as Venus's wallet serves them: an
/// admin makes a token, which is what it grants here; a token without a
/// caller's name signs nothing (no policy names it); a signer may not make
/// tokens.
#[tokio::test]
async fn auth_verify_and_new_as_venus_wallet() {
    use venus_api::lotus::{AuthNew, AuthVerify};
    let (server, url) = served().await;
    let admin = client(&url, Permission::Admin, "root").await;
    let bls = admin
        .call::<WalletNew>(("bls".into(),))
        .await
        .expect("WalletNew")
        .0;
    let made = admin
        .call::<AuthNew>((Permission::Sign.and_below(),))
        .await
        .expect("AuthNew");
    let made = String::from_utf8(made.0).expect("a token");
    assert_eq!(
        admin
            .call::<AuthVerify>((made.clone(),))
            .await
            .expect("AuthVerify"),
        Permission::Sign.and_below()
    );
    let anonymous = client_with(&url, made).await;
    assert!(anonymous
        .call::<WalletHas>((Lotus(bls),))
        .await
        .expect("WalletHas with the made token"));
    let refused = anonymous
        .call::<WalletSign>((
            Lotus(bls),
            Lotus(RawBytes::new(b"x".to_vec())),
            Lotus(unknown()),
        ))
        .await
        .expect_err("a token naming no caller has no policy");
    assert!(
        refused.to_string().contains("no policy is bound"),
        "{refused}"
    );
    let signer = client(&url, Permission::Sign, "miner").await;
    let minted = signer.call::<AuthNew>((vec![Permission::Admin],)).await;
    assert!(
        matches!(&minted, Err(Error::Rpc(e)) if e.code == venus_rpc::codes::METHOD_ERROR),
        "a signer made a token: {minted:?}"
    );
    // A token of another secret is refused, not answered with nothing.
    let forged = Hs256Verifier::new(b"another secret")
        .sign(Permission::Admin.and_below(), None, None)
        .expect("token");
    let verdict = signer.call::<AuthVerify>((forged,)).await;
    assert!(
        matches!(&verdict, Err(Error::Rpc(e)) if e.code == venus_rpc::codes::TOKEN_REFUSED),
        "a forged token: {verdict:?}"
    );
    server.stop().await;
}

/// Each refusal reaches the client with its code, and `WalletClient` reads it
/// back as its kind: no string matching anywhere.
#[tokio::test]
async fn refusals_arrive_with_their_codes() {
    use venus_api::Error as ApiError;
    use venus_rpc::codes;

    let (server, url) = served().await;
    let admin = WalletClient::new(client(&url, Permission::Admin, "root").await);
    let signer = WalletClient::new(client(&url, Permission::Sign, "miner").await);
    let code = |e: &Error| match e {
        Error::Rpc(r) => r.code,
        other => panic!("not an rpc error: {other}"),
    };

    let bls = admin.wallet_new(SignatureType::BLS).await.expect("new");
    let data = Lotus(RawBytes::new(b"raw bytes".to_vec()));
    let meta = Lotus(unknown());

    // No policy binds the miner yet.
    let e = signer
        .rpc()
        .call::<WalletSign>((Lotus(bls), data.clone(), meta.clone()))
        .await
        .expect_err("no policy");
    assert_eq!(code(&e), codes::POLICY_DENIED, "{e}");
    let e = signer
        .wallet_sign(&bls, b"raw bytes", &unknown())
        .await
        .expect_err("no policy");
    assert!(matches!(e, ApiError::PolicyDenied(_)), "{e:?}");

    // Locked.
    admin.lock().await.expect("lock");
    let e = admin
        .rpc()
        .call::<WalletSign>((Lotus(bls), data.clone(), meta.clone()))
        .await
        .expect_err("locked");
    assert_eq!(code(&e), codes::LOCKED, "{e}");
    let e = admin
        .wallet_sign(&bls, b"raw bytes", &unknown())
        .await
        .expect_err("locked");
    assert!(matches!(e, ApiError::Locked(_)), "{e:?}");
    let e = admin.unlock("wrong").await.expect_err("wrong password");
    assert!(matches!(e, ApiError::WrongPassword(_)), "{e:?}");
    assert!(admin.unlock(PW).await.expect("unlock").is_empty());

    // No such key; a key imported twice; bytes that are not the message they claim to be.
    let stranger = PrivateKey::generate(SignatureType::Secp256k1);
    let e = admin
        .wallet_sign(&stranger.address().expect("addr"), b"x", &unknown())
        .await
        .expect_err("no key");
    assert!(matches!(e, ApiError::NotFound(_)), "{e:?}");
    let ki = KeyInfo::from_private_key(&stranger);
    admin.wallet_import(ki.clone()).await.expect("import");
    let e = admin.wallet_import(ki).await.expect_err("twice");
    assert!(matches!(e, ApiError::Duplicate(_)), "{e:?}");
    let chain_msg = venus_core::types::MsgMeta {
        msg_type: MsgType::ChainMsg,
        extra: vec![],
    };
    let e = admin
        .wallet_sign(&bls, b"not a message", &chain_msg)
        .await
        .expect_err("mismatch");
    assert!(matches!(e, ApiError::Mismatch(_)), "{e:?}");
    server.stop().await;
}
