//! Wallet signing (38-byte payload, `unknown` type, sign record written) in
//! process and through the daemon on loopback, against the raw key; and
//! unlocking one key at the production scrypt parameters.

#![allow(missing_docs)] // criterion_group! generates undocumented pub fns.

use std::sync::Arc;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use tokio::runtime::Runtime;
use venus_core::crypto::PrivateKey;
use venus_core::traits::RemoteSigner;
use venus_core::types::{MsgMeta, MsgType};
use venus_core::SignatureType;
use venus_rpc::{ClientConfig, Endpoint, Hs256Verifier, Permission, RpcClient};
use venus_wallet_lib::rpc::WalletClient;
use venus_wallet_lib::service::serve;
use venus_wallet_lib::{KdfParams, LocalWallet, WalletDb};

const SECRET: &[u8] = b"bench secret";

fn signing(c: &mut Criterion) {
    let rt = Runtime::new().expect("runtime");
    let wallet = Arc::new(LocalWallet::new(
        rt.block_on(WalletDb::in_memory()).expect("db"),
        KdfParams::FAST_INSECURE,
    ));
    rt.block_on(wallet.set_password(None, "pw"))
        .expect("password");
    let server = rt
        .block_on(serve(
            wallet.clone(),
            SECRET,
            "127.0.0.1:0".parse().expect("addr"),
        ))
        .expect("serve");
    let token = Hs256Verifier::new(SECRET)
        .sign(Permission::Admin.and_below(), None, None)
        .expect("token");
    let client = rt
        .block_on(RpcClient::connect_with(
            Endpoint::new(server.http_url(), Some(token)),
            ClientConfig::default(),
        ))
        .expect("client");
    let remote = WalletClient::new(client);
    let meta = MsgMeta {
        msg_type: MsgType::Unknown,
        extra: vec![],
    };
    let data = [9u8; 38];

    for t in [SignatureType::Secp256k1, SignatureType::BLS] {
        let key = PrivateKey::generate(t);
        let addr = rt.block_on(wallet.add_key(key.clone())).expect("add");
        let mut g = c.benchmark_group(format!("wallet sign {t:?} (38 bytes)"));
        g.throughput(Throughput::Elements(1));
        g.bench_function("raw PrivateKey::sign", |b| {
            b.iter(|| key.sign(&data).expect("sign"))
        });
        g.bench_function("in-process LocalWallet", |b| {
            b.iter(|| rt.block_on(wallet.sign(&addr, &data, &meta)).expect("sign"))
        });
        g.bench_function("daemon over HTTP loopback", |b| {
            b.iter(|| rt.block_on(remote.sign(&addr, &data, &meta)).expect("sign"))
        });
        g.finish();
    }
    rt.block_on(server.stop());
}

fn unlock(c: &mut Criterion) {
    let rt = Runtime::new().expect("runtime");
    let wallet = LocalWallet::new(
        rt.block_on(WalletDb::in_memory()).expect("db"),
        KdfParams::PRODUCTION,
    );
    rt.block_on(wallet.set_password(None, "pw"))
        .expect("password");
    rt.block_on(wallet.new_key(SignatureType::BLS))
        .expect("key");
    let mut g = c.benchmark_group("wallet unlock, scrypt N=2^18 r=8 p=1");
    g.sample_size(10).measurement_time(Duration::from_secs(30));
    g.bench_function("1 key (password check + key)", |b| {
        b.iter(|| rt.block_on(wallet.unlock("pw")).expect("unlock"))
    });
    g.finish();
}

criterion_group!(benches, signing, unlock);
criterion_main!(benches);
