//! Crash safety of the `venus-messager` process: runs of 200 pushed
//! messages (100 runs unless `VENUS_CRASH_RUNS` says otherwise), each run's
//! daemon killed with SIGKILL at a random moment while the messages are
//! pushed, filled, signed and sent, then restarted and the run's messages
//! pushed again under their ids. After each restart every message is
//! there exactly once; at the end every message is on chain and the
//! sender's nonces run 0..N with no gap and no duplicate.
//!
//! The devnet node and the wallet run in this process over RPC; a task
//! here mines a block every 300 ms with what the node's pool selects.

#![allow(missing_docs)]

use std::collections::{BTreeSet, HashMap};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use venus_api::messager::{MessageState, MessagerClient, MsgQueryParams};
use venus_api::wallet::{WalletHas, WalletList, WalletSign};
use venus_core::json::Lotus;
use venus_core::traits::{ChainRead, MemorySigner, MessageApi, RemoteSigner, StateRead};
use venus_core::{Address, Message, TokenAmount};
use venus_messager_lib::store::{MessageStore, SqlMessageStore};
use venus_node::testing::NetBuilder;
use venus_rpc::{RpcModule, RpcServer, ServerHandle};

const PER_RUN: usize = 200;

async fn serve(module: RpcModule) -> ServerHandle {
    RpcServer::builder(module)
        .insecure_allow_all()
        .build()
        .start("127.0.0.1:0".parse().expect("addr"))
        .await
        .expect("serve")
}

fn wallet_module(signer: Arc<MemorySigner>, keys: Vec<Address>) -> RpcModule {
    let mut m = RpcModule::new();
    m.register_with::<WalletSign, _, _, _>(&signer, |s, _, (addr, data, meta)| async move {
        let sig = s
            .sign(&addr.0, data.0.bytes(), &meta.0)
            .await
            .map_err(venus_rpc::RpcError::method)?;
        Ok(Lotus(sig))
    });
    m.register_with::<WalletList, _, _, _>(&keys, |k, _, _| async move { Ok(Lotus(k)) });
    m.register_with::<WalletHas, _, _, _>(
        &keys,
        |k, _, (addr,)| async move { Ok(k.contains(&addr.0)) },
    );
    m
}

struct Daemon {
    child: Child,
    api: String,
}

impl Daemon {
    fn start(repo: &Path) -> Daemon {
        let mut child = Command::new(env!("CARGO_BIN_EXE_venus-messager"))
            .env(
                "RUST_LOG",
                std::env::var("VENUS_TEST_MESSAGER_LOG").unwrap_or_else(|_| "error".into()),
            )
            .arg("--repo")
            .arg(repo)
            .arg("run")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn venus-messager");
        let out = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(out).lines();
        let api = loop {
            let line = lines
                .next()
                .expect("venus-messager printed its API info before exiting")
                .expect("read");
            if let Some(info) = line.strip_prefix("MESSAGER_API_INFO=") {
                break info.to_string();
            }
        };
        Daemon { child, api }
    }

    fn kill9(&mut self) {
        let _ = self.child.kill(); // SIGKILL on Unix
        let _ = self.child.wait();
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        self.kill9();
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

/// The id and value of message `i` of `run`.
fn nth(run: usize, i: usize) -> (String, u64) {
    (format!("run{run}-msg{i}"), (run * PER_RUN + i + 1) as u64)
}

/// Pushes the run's messages, 16 at a time, until all are accepted or
/// the daemon stops answering; returns the ids acknowledged.
async fn push_run(api: &str, from: Address, run: usize) -> Vec<String> {
    let mut acked = Vec::new();
    let Ok(client) = MessagerClient::connect(api).await else {
        return acked;
    };
    let client = Arc::new(client);
    for chunk in (0..PER_RUN).collect::<Vec<_>>().chunks(16) {
        let mut calls = Vec::new();
        for &i in chunk {
            let c = client.clone();
            calls.push(async move {
                let (id, value) = nth(run, i);
                c.push_with_id(&id, &transfer(from, value), None).await
            });
        }
        let mut stopped = false;
        for r in futures::future::join_all(calls).await {
            match r {
                Ok(id) => acked.push(id),
                Err(_) => stopped = true,
            }
        }
        if stopped {
            return acked;
        }
    }
    acked
}

/// The daemon's database, opened beside it.
async fn store(repo: &Path) -> SqlMessageStore {
    let url = venus_sql::sqlite_url(&repo.join("messager.db")).expect("url");
    let db = venus_sql::connect(&url, &venus_messager_lib::MIGRATIONS)
        .await
        .expect("database");
    SqlMessageStore::new(db)
}

async fn all_messages(api: &str) -> Vec<venus_api::messager::Message> {
    let client = MessagerClient::connect(api).await.expect("client");
    client
        .list(MsgQueryParams {
            asc: true,
            ..Default::default()
        })
        .await
        .expect("list")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_while_pushing_loses_nothing_and_gives_no_nonce_twice() {
    let runs: usize = std::env::var("VENUS_CRASH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100);
    // Deadlines of 3,000 epochs: no one proves here, and a missed window
    // PoSt would fault the miner's sector and end the chain's power.
    let policy = venus_chain::exec::policy::with_proving_period(
        venus_chain::exec::policy::devnet(),
        3,
        3_000,
    )
    .expect("policy");
    let n = Arc::new(NetBuilder::default().policy(policy).build());
    let from = n.secp.address().expect("address");
    let signer = Arc::new(MemorySigner::new());
    signer.add(n.secp.clone()).expect("key");
    let node = serve(venus_node::rpc::lotus_module(n.node.clone())).await;
    let wallet = serve(wallet_module(signer, vec![from])).await;

    // The chain moves on by itself: a block 300 ms after the last when
    // messages wait, else every 2 s (fewer epochs, the same test).
    let miner = {
        let n = n.clone();
        tokio::spawn(async move {
            let mut last = Instant::now();
            loop {
                tokio::time::sleep(Duration::from_millis(300)).await;
                let head = n.node.head().await.expect("head");
                let msgs = n
                    .node
                    .select_messages(head.key(), 1.0)
                    .await
                    .expect("select");
                if msgs.is_empty() && last.elapsed() < Duration::from_secs(2) {
                    continue;
                }
                last = Instant::now();
                // The fixed keys do not win every round: the next they win.
                let mut round = head.height() + 1;
                let b = loop {
                    if let Some(b) = n.try_mine(0, &head, round, msgs.clone()).await {
                        break b;
                    }
                    round += 1;
                };
                n.node.submit_block(b).await.expect("submit");
            }
        })
    };

    let dir = tempfile::tempdir().expect("tempdir");
    let repo = dir.path().join("messager");
    std::fs::create_dir_all(&repo).expect("repo");
    std::fs::write(
        repo.join("config.toml"),
        format!(
            "listen = \"127.0.0.1:0\"\nnode = \"{}\"\nwallets = [\"{}\"]\n\
             sel_msg_num = 200\nlease_ttl_secs = 10\nreplace_after_epochs = 0\n",
            node.ws_url(),
            wallet.http_url()
        ),
    )
    .expect("config");

    let mut killed_mid_push = 0;
    let started = Instant::now();
    for run in 0..runs {
        if run % 10 == 0 {
            eprintln!("run {run} at {:?}", started.elapsed());
        }
        let mut d = Daemon::start(&repo);
        // Killed at a random moment while the run's messages go in (and
        // the previous runs' are filled, signed and pushed).
        let kill_after = Duration::from_millis(rand::random::<u64>() % 1_000);
        let pushing = tokio::spawn({
            let api = d.api.clone();
            async move { push_run(&api, from, run).await }
        });
        tokio::time::sleep(kill_after).await;
        d.kill9();
        let acked = pushing.await.expect("pusher");
        if acked.len() < PER_RUN {
            killed_mid_push += 1;
        }
        // Before anything restarts: every acknowledged message is in the
        // killed daemon's database.
        {
            let store = store(&repo).await;
            for id in &acked {
                assert!(
                    store.get(id).await.expect("get").is_some(),
                    "run {run}: {id} was acknowledged, then lost"
                );
            }
        }

        // Restarted, the run's messages pushed again under their ids: the
        // acknowledged ones are answered, not stored twice.
        let d = Daemon::start(&repo);
        assert_eq!(
            push_run(&d.api, from, run).await.len(),
            PER_RUN,
            "run {run}"
        );
        // What the daemon persisted, read from its database: this run's
        // messages each once (ids are unique keys), and nothing more.
        let store = store(&repo).await;
        let stats = store.stats().await.expect("stats");
        let kept: u64 = stats.by_state.iter().map(|(_, n)| n).sum();
        assert_eq!(
            kept as usize,
            (run + 1) * PER_RUN,
            "run {run}: each message once"
        );
        for i in 0..PER_RUN {
            let (id, value) = nth(run, i);
            let m = store
                .get(&id)
                .await
                .expect("get")
                .expect("pushed message kept");
            assert_eq!(m.message.value, TokenAmount::from_atto(value), "{id}");
        }
        drop(d);
    }
    assert!(
        runs < 10 || killed_mid_push > 0,
        "no kill landed while messages were being pushed"
    );

    // One last daemon sees every message to the chain.
    eprintln!("runs done at {:?}", started.elapsed());
    let d = Daemon::start(&repo);
    let total = runs * PER_RUN;
    let deadline = Instant::now() + Duration::from_secs(600);
    let all = loop {
        let all = all_messages(&d.api).await;
        if all.iter().all(|m| m.state == MessageState::OnChain) {
            break all;
        }
        assert!(
            Instant::now() < deadline,
            "{} of {total} on chain after 10 min",
            all.iter()
                .filter(|m| m.state == MessageState::OnChain)
                .count()
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    miner.abort();
    assert_eq!(all.len(), total);
    let mut nonces: HashMap<u64, &str> = HashMap::new();
    for m in &all {
        let receipt = m.receipt.as_ref().expect("receipt");
        assert!(receipt.exit_code.is_success(), "{} failed on chain", m.id);
        assert!(
            nonces.insert(m.nonce, &m.id).is_none(),
            "nonce {} given twice",
            m.nonce
        );
    }
    let expected: BTreeSet<u64> = (0..total as u64).collect();
    assert_eq!(
        nonces.keys().copied().collect::<BTreeSet<_>>(),
        expected,
        "nonces 0..{total}, no gap"
    );
    // The chain agrees: the sender's nonce is the count of its messages.
    let head = n.node.head().await.expect("head");
    let actor = n.node.actor(&from, head.key()).await.expect("actor");
    assert_eq!(actor.nonce, total as u64);
    eprintln!("{runs} runs, {killed_mid_push} killed mid-push, {total} messages on chain");
}
