//! The messager's hot paths: accepting and persisting pushed messages (64
//! pushers at once, through the library, on SQLite and on MySQL when
//! `VENUS_TEST_MYSQL_URL` is set), and filling and signing 1,000 messages
//! of one address for one head with a local signer, against signing the
//! same 1,000 messages raw.

#![allow(missing_docs)] // criterion_group! generates undocumented pub fns.

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use tokio::runtime::Runtime;
use venus_core::traits::{ChainApi, MemorySigner, RemoteSigner};
use venus_core::types::{MessageSendSpec, MsgMeta, TipSetKey};
use venus_core::{Address, Message, TokenAmount};
use venus_messager_lib::gas::GasEstimator;
use venus_messager_lib::store::{MessageStore, SqlMessageStore};
use venus_messager_lib::{Messager, MessagerConfig, SendSpec, Signers, MIGRATIONS};
use venus_node::testing::{net, Net};

const PUSHERS: usize = 64;
const BATCH: usize = 1_000;

/// A fixed estimate, so the fill bench measures the messager, not the node.
struct Fixed;

#[async_trait]
impl GasEstimator for Fixed {
    async fn estimate(
        &self,
        msgs: Vec<(Message, MessageSendSpec)>,
        _key: &TipSetKey,
    ) -> Vec<venus_messager_lib::Result<Message>> {
        msgs.into_iter()
            .map(|(mut m, _)| {
                m.gas_limit = 1_000_000;
                m.gas_fee_cap = TokenAmount::from_atto(100_000u64);
                m.gas_premium = TokenAmount::from_atto(1_000u64);
                Ok(m)
            })
            .collect()
    }
}

fn transfer(from: Address, value: u64) -> Message {
    Message {
        version: 0,
        from,
        to: Address::new_id(100),
        sequence: 0,
        value: TokenAmount::from_atto(value),
        method_num: 0,
        params: Default::default(),
        gas_limit: 0,
        gas_fee_cap: TokenAmount::default(),
        gas_premium: TokenAmount::default(),
    }
}

fn messager(n: &Net, store: Arc<SqlMessageStore>, wallet: Arc<dyn RemoteSigner>) -> Messager {
    let chain: Arc<dyn ChainApi> = n.node.clone();
    Messager::builder(MessagerConfig {
        instance: "bench".into(),
        sel_msg_num: BATCH as u64,
        replace_after_epochs: 0,
        ..Default::default()
    })
    .store(store)
    .chain(chain)
    .estimator(Arc::new(Fixed))
    .signers(Arc::new(wallet) as Arc<dyn Signers>)
    // Not pushed anywhere: the bench measures filling and signing.
    .nodes(Vec::new())
    .build()
    .expect("messager")
}

/// `BATCH` messages pushed by `PUSHERS` tasks at once.
async fn push_batch(m: &Messager, from: Address, round: u64) {
    let mut tasks = Vec::new();
    for p in 0..PUSHERS {
        let m = m.clone();
        tasks.push(tokio::spawn(async move {
            for i in (p..BATCH).step_by(PUSHERS) {
                let value = round * BATCH as u64 + i as u64 + 1;
                m.push(None, transfer(from, value), SendSpec::default(), "bench")
                    .await
                    .expect("push");
            }
        }));
    }
    for t in tasks {
        t.await.expect("pusher");
    }
}

fn accept(c: &mut Criterion) {
    let rt = Runtime::new().expect("runtime");
    let n = net();
    let from = n.secp.address().expect("address");
    let wallet: Arc<dyn RemoteSigner> = Arc::new(MemorySigner::new());
    let mut g = c.benchmark_group("messager_accept");
    g.throughput(Throughput::Elements(BATCH as u64));
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(10));
    let dir = tempfile::tempdir().expect("tempdir");
    let mut backends = vec![(
        "sqlite",
        venus_sql::sqlite_url(&dir.path().join("messager.db")).expect("url"),
    )];
    match std::env::var("VENUS_TEST_MYSQL_URL") {
        Ok(url) => backends.push(("mysql", url)),
        Err(_) => eprintln!("messager_accept/mysql SKIPPED: set VENUS_TEST_MYSQL_URL"),
    }
    for (name, url) in backends {
        let db = rt
            .block_on(venus_sql::connect(&url, &MIGRATIONS))
            .expect("db");
        let store = Arc::new(SqlMessageStore::new(db));
        rt.block_on(store.add_address(&from)).expect("address");
        let m = messager(&n, store, wallet.clone());
        let mut round = 0u64;
        g.bench_function(format!("{name}_64_pushers"), |b| {
            b.iter(|| {
                round += 1;
                rt.block_on(push_batch(&m, from, round));
            })
        });
    }
    g.finish();
}

fn fill_and_sign(c: &mut Criterion) {
    let rt = Runtime::new().expect("runtime");
    let n = net();
    let from = n.secp.address().expect("address");
    let signer = MemorySigner::new();
    signer.add(n.secp.clone()).expect("key");
    let signer = Arc::new(signer);
    let wallet: Arc<dyn RemoteSigner> = signer.clone();
    let mut g = c.benchmark_group("messager_fill");
    g.throughput(Throughput::Elements(BATCH as u64));
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(15));

    g.bench_function("fill_and_sign_1000_sqlite", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let dir = tempfile::tempdir().expect("tempdir");
                let url = venus_sql::sqlite_url(&dir.path().join("m.db")).expect("url");
                let db = rt
                    .block_on(venus_sql::connect(&url, &MIGRATIONS))
                    .expect("db");
                let store = Arc::new(SqlMessageStore::new(db));
                rt.block_on(store.add_address(&from)).expect("address");
                let m = messager(&n, store, wallet.clone());
                rt.block_on(push_batch(&m, from, 0));
                let start = Instant::now();
                let report = rt.block_on(m.pass()).expect("pass");
                total += start.elapsed();
                assert_eq!((report.filled, report.signed), (BATCH, BATCH));
            }
            total
        })
    });

    // The same 1,000 messages signed raw, one after another.
    let msgs: Vec<Message> = (0..BATCH as u64)
        .map(|i| Message {
            sequence: i,
            gas_limit: 1_000_000,
            gas_fee_cap: TokenAmount::from_atto(100_000u64),
            gas_premium: TokenAmount::from_atto(1_000u64),
            ..transfer(from, i + 1)
        })
        .collect();
    g.bench_function("raw_sign_1000", |b| {
        b.iter(|| {
            rt.block_on(async {
                for msg in &msgs {
                    let cid = venus_core::types::message_cid(msg).expect("cid");
                    let meta = MsgMeta::message(msg).expect("meta");
                    signer
                        .sign(&from, &cid.to_bytes(), &meta)
                        .await
                        .expect("sign");
                }
            })
        })
    });
    g.finish();
}

criterion_group!(benches, accept, fill_and_sign);
criterion_main!(benches);
