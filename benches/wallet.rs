//! Wallet signing (38-byte payload, `unknown` type, sign record written) in
//! process and through the daemon on loopback, against the raw key; 64
//! signers at once against a file-backed daemon on a runtime of its own (as
//! a daemon runs apart from its callers), with and without sign records,
//! in wall time, the whole process's CPU time, the daemon's threads' CPU
//! time and the record writer's threads' CPU time; and unlocking one key
//! at the production scrypt parameters.

#![allow(missing_docs)] // criterion_group! generates undocumented pub fns.

use std::sync::atomic::{AtomicUsize, Ordering};
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

/// Sets `wallet`'s password, serves it on loopback from `server_rt`, and
/// connects `clients` admin clients to it on `rt`.
fn daemon(
    rt: &Runtime,
    server_rt: &Runtime,
    wallet: &Arc<LocalWallet>,
    clients: usize,
) -> (venus_rpc::ServerHandle, Vec<WalletClient>) {
    server_rt
        .block_on(wallet.set_password(None, "pw"))
        .expect("password");
    let server = server_rt
        .block_on(serve(
            wallet.clone(),
            SECRET,
            "127.0.0.1:0".parse().expect("addr"),
        ))
        .expect("serve");
    let token = Hs256Verifier::new(SECRET)
        .sign(Permission::Admin.and_below(), None, None)
        .expect("token");
    let clients = (0..clients)
        .map(|_| {
            let client = rt
                .block_on(RpcClient::connect_with(
                    Endpoint::new(server.http_url(), Some(token.clone())),
                    ClientConfig::default(),
                ))
                .expect("client");
            WalletClient::new(client)
        })
        .collect();
    (server, clients)
}

fn signing(c: &mut Criterion) {
    let rt = Runtime::new().expect("runtime");
    let wallet = Arc::new(LocalWallet::new(
        rt.block_on(WalletDb::in_memory()).expect("db"),
        KdfParams::FAST_INSECURE,
    ));
    let (server, remote) = daemon(&rt, &rt, &wallet, 1);
    let remote = remote.into_iter().next().expect("a client");
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

/// 64 signers at once over loopback against a daemon whose database is a
/// SQLite file at full durability: signatures per second with sign records
/// (group-committed) and without (the bench-only switch), against the raw
/// key signing on every core.
///
/// A round's 1024 signatures are one shared count that the 64 signers take
/// from until it is spent, so all 64 sign until the last 64 are in flight.
/// A fixed 16 each (before) made a round the time of its slowest signer:
/// the first finished 16 to 21% of the round before the last (secp256k1),
/// and the round's end ran with fewer and fewer signers.
fn concurrent(c: &mut Criterion) {
    const SIGNERS: usize = 64;
    const TOTAL: usize = 1024;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let server_rt = tokio::runtime::Builder::new_multi_thread()
        .thread_name(DAEMON_THREAD)
        .enable_all()
        .build()
        .expect("runtime");
    let dir = tempfile::tempdir().expect("tempdir");
    let db = server_rt
        .block_on(WalletDb::open(&dir.path().join("wallet.db")))
        .expect("db");
    let wallet = Arc::new(LocalWallet::new(db.clone(), KdfParams::FAST_INSECURE));
    let (server, clients) = daemon(&rt, &server_rt, &wallet, SIGNERS);
    let clients: Vec<Arc<WalletClient>> = clients.into_iter().map(Arc::new).collect();
    let meta = Arc::new(MsgMeta {
        msg_type: MsgType::Unknown,
        extra: vec![],
    });
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    for t in [SignatureType::BLS, SignatureType::Secp256k1] {
        let key = PrivateKey::generate(t);
        let addr = server_rt
            .block_on(wallet.add_key(key.clone()))
            .expect("add");
        let total = TOTAL;
        let mut g = c.benchmark_group(format!(
            "wallet sign {t:?}, {SIGNERS} concurrent signers ({total} signatures)"
        ));
        g.throughput(Throughput::Elements(total as u64));
        g.sample_size(10);
        g.bench_function(format!("raw PrivateKey::sign on {cores} threads"), |b| {
            b.iter(|| {
                std::thread::scope(|s| {
                    for t in 0..cores {
                        // An uneven split's remainder goes to the first threads.
                        let n = total / cores + usize::from(t < total % cores);
                        let key = &key;
                        s.spawn(move || {
                            for i in 0..n {
                                key.sign(&[i as u8; 38]).expect("sign");
                            }
                        });
                    }
                })
            })
        });
        let round = || {
            rt.block_on(async {
                let taken = Arc::new(AtomicUsize::new(0));
                let tasks: Vec<_> = clients
                    .iter()
                    .map(|client| {
                        let (client, meta, taken) = (client.clone(), meta.clone(), taken.clone());
                        tokio::spawn(async move {
                            loop {
                                let i = taken.fetch_add(1, Ordering::Relaxed);
                                if i >= total {
                                    break;
                                }
                                let data = [i as u8; 38];
                                client.sign(&addr, &data, &meta).await.expect("sign");
                            }
                        })
                    })
                    .collect();
                for t in tasks {
                    t.await.expect("task");
                }
            })
        };
        for (label, on) in [
            ("daemon, sign records on", true),
            ("daemon, sign records off", false),
        ] {
            db.bench_set_recording(on);
            g.bench_function(label, |b| b.iter(round));
        }
        g.finish();
        // The same rounds in CPU time, which idle time spent waiting for a
        // commit does not inflate: of the whole process (every thread:
        // clients, server, record writer, SQLite), of the daemon's threads
        // alone (its runtime's workers and blocking threads, the record
        // writer, SQLite's): what a signature costs the daemon; and of the
        // record writer's threads alone (records on only: off, they idle),
        // the records' own cost, which varies far less between runs on a
        // shared machine than the difference of the other two.
        let both: &[bool] = &[true, false];
        let clocks = [
            (
                "process CPU time",
                process_cpu_time as fn() -> Duration,
                both,
            ),
            ("daemon threads' CPU time", daemon_cpu_time, both),
            ("record writer threads' CPU time", writer_cpu_time, &[true]),
        ];
        for (what, clock, modes) in clocks {
            let mut g = c.benchmark_group(format!(
                "wallet sign {t:?}, {SIGNERS} concurrent signers, {what} per {total}"
            ));
            g.throughput(Throughput::Elements(total as u64));
            g.sample_size(10);
            for &on in modes {
                db.bench_set_recording(on);
                // A clock that a round does not move (no thread by that
                // name) would have criterion grow the iterations without end.
                let start = clock();
                round();
                assert!(clock() > start, "{what}: no thread of the daemon matched");
                let label = if on {
                    "daemon, sign records on"
                } else {
                    "daemon, sign records off"
                };
                g.bench_function(label, |b| {
                    b.iter_custom(|iters| {
                        let start = clock();
                        for _ in 0..iters {
                            round();
                        }
                        clock().saturating_sub(start)
                    })
                });
            }
            g.finish();
        }
        db.bench_set_recording(true);
    }
    server_rt.block_on(server.stop());
}

/// The name of the daemon runtime's threads in the concurrent bench.
const DAEMON_THREAD: &str = "wallet-daemon";

/// CPU time used so far by the daemon's live threads: its runtime's
/// (workers and blocking threads), the group-commit writer's and SQLite's.
fn daemon_cpu_time() -> Duration {
    threads_cpu_time(|comm| comm == DAEMON_THREAD || is_writer_thread(comm))
}

/// CPU time used so far by the sign-record writer's threads: the
/// group-commit writer's and SQLite's (whose pool threads idle while the
/// bench's admin callers sign: no policy is read).
fn writer_cpu_time() -> Duration {
    threads_cpu_time(is_writer_thread)
}

fn is_writer_thread(comm: &str) -> bool {
    // Linux cuts thread names to 15 bytes.
    comm.starts_with(&venus_sql::WRITER_THREAD[..15]) || comm.starts_with("sqlx-sqlite")
}

/// CPU time used so far by the live threads whose name `pick`s
/// (`/proc/self/task/*/schedstat`, in nanoseconds).
fn threads_cpu_time(pick: impl Fn(&str) -> bool) -> Duration {
    let mut ns = 0u64;
    for task in std::fs::read_dir("/proc/self/task").expect("/proc/self/task") {
        let dir = task.expect("task").path();
        let comm = std::fs::read_to_string(dir.join("comm")).unwrap_or_default();
        if pick(comm.trim_end()) {
            let stat = std::fs::read_to_string(dir.join("schedstat")).unwrap_or_default();
            ns += stat
                .split_whitespace()
                .next()
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(0);
        }
    }
    Duration::from_nanos(ns)
}

/// CPU time used by every thread of this process so far.
fn process_cpu_time() -> Duration {
    let ts = rustix::time::clock_gettime(rustix::time::ClockId::ProcessCPUTime);
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

criterion_group!(benches, signing, concurrent, unlock);
criterion_main!(benches);
