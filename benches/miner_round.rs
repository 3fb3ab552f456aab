//! One election round of the pool's miner for 1,000 member miners: base
//! info from memory, the ticket and the election VRF (two BLS signatures
//! per miner, asked of the signer with the `DrawRandomParams` they sign),
//! WinCount. With a local signer (`MemorySigner`) and through the wallet
//! daemon over HTTP loopback; against 1,000 and 2,000 raw BLS signatures.

#![allow(missing_docs)] // criterion_group! generates undocumented pub fns.

use std::sync::Arc;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use futures::stream::{self, StreamExt};
use num_bigint::BigInt;
use tokio::runtime::Runtime;
use venus_core::crypto::PrivateKey;
use venus_core::traits::{ChainRead, MemoryChain, MemorySigner, RemoteSigner};
use venus_core::types::{BeaconEntry, MiningBaseInfo, TipSet};
use venus_core::{Address, SignatureType};
use venus_miner_lib::round::{elect, OneSigner, Signers};
use venus_rpc::{Endpoint, Hs256Verifier, Permission, RpcClient};
use venus_wallet_lib::rpc::WalletClient;
use venus_wallet_lib::{KdfParams, LocalWallet, WalletDb};

const MINERS: u64 = 1000;
/// Elections in flight at once (`RoundConfig`'s default).
const CONCURRENCY: usize = 64;

/// Every miner's election at `round` on `base`; the number of winners.
async fn elections(chain: &MemoryChain, signers: &dyn Signers, base: &TipSet) -> usize {
    let round = base.height() + 1;
    let won: Vec<bool> = stream::iter(0..MINERS)
        .map(|i| async move {
            let miner = Address::new_id(10_000 + i);
            elect(chain, signers, &miner, base, round)
                .await
                .expect("election")
                .is_some()
        })
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    won.into_iter().filter(|w| *w).count()
}

fn round(c: &mut Criterion) {
    let rt = Runtime::new().expect("runtime");
    let net = venus_node::testing::net();
    let base = rt.block_on(net.node.head()).expect("head");
    let chain = MemoryChain::new(base.clone());
    let keys: Vec<PrivateKey> = (0..MINERS)
        .map(|_| PrivateKey::generate(SignatureType::BLS))
        .collect();
    let local = Arc::new(MemorySigner::new());
    for (i, key) in keys.iter().enumerate() {
        let worker = local.add(key.clone()).expect("key");
        chain.put_mining_base_info(
            Address::new_id(10_000 + i as u64),
            MiningBaseInfo {
                miner_power: BigInt::from(1),
                network_power: BigInt::from(MINERS),
                sectors: Vec::new(),
                worker_key: worker,
                sector_size: 2048,
                prev_beacon_entry: BeaconEntry {
                    round: 1,
                    data: vec![7; 96],
                },
                beacon_entries: vec![BeaconEntry {
                    round: 2,
                    data: vec![8; 96],
                }],
                eligible_for_mining: true,
            },
        );
    }

    // The wallet daemon holding the same keys, one client for the pool.
    let wallet = Arc::new(LocalWallet::new(
        rt.block_on(WalletDb::in_memory()).expect("db"),
        KdfParams::FAST_INSECURE,
    ));
    rt.block_on(wallet.set_password(None, "pw"))
        .expect("password");
    for key in &keys {
        rt.block_on(wallet.add_key(key.clone())).expect("add");
    }
    let secret = b"bench secret";
    let server = rt
        .block_on(venus_wallet_lib::service::serve(
            wallet,
            secret,
            "127.0.0.1:0".parse().expect("addr"),
        ))
        .expect("serve");
    let token = Hs256Verifier::new(secret)
        .sign(Permission::Admin.and_below(), None, None)
        .expect("token");
    let client = rt
        .block_on(RpcClient::connect_with(
            Endpoint::new(server.http_url(), Some(token)),
            Default::default(),
        ))
        .expect("client");
    let remote = OneSigner(Arc::new(WalletClient::new(client)) as Arc<dyn RemoteSigner>);
    let local = OneSigner(local as Arc<dyn RemoteSigner>);

    let digest = [3u8; 32];
    let mut g = c.benchmark_group(format!("miner election round ({MINERS} miners)"));
    g.sample_size(10).measurement_time(Duration::from_secs(20));
    g.bench_function("raw: 1000 BLS signatures", |b| {
        b.iter(|| {
            for k in keys.iter() {
                k.sign(&digest).expect("sign");
            }
        })
    });
    g.bench_function("raw: 2000 BLS signatures (a ticket and a VRF each)", |b| {
        b.iter(|| {
            for k in keys.iter().chain(keys.iter()) {
                k.sign(&digest).expect("sign");
            }
        })
    });
    g.bench_function("local signer", |b| {
        b.iter(|| rt.block_on(elections(&chain, &local, &base)))
    });
    g.bench_function("wallet daemon over HTTP loopback", |b| {
        b.iter(|| rt.block_on(elections(&chain, &remote, &base)))
    });
    g.finish();
    rt.block_on(server.stop());
}

criterion_group!(benches, round);
criterion_main!(benches);
