//! `venus-pool devnet --processes` (on MariaDB with `--mysql` when
//! `VENUS_TEST_MYSQL_URL` is set): the miner's and the messager's
//! processes are each killed with SIGKILL mid-run; the supervisor restarts
//! them, no block is signed twice, no pushed message is lost and mining
//! resumes. An outside client, through the Lotus API only, sends FIL from
//! the devnet's funded key and sees its receipt. venus-auth holds the
//! members, and a member's token works on the shared services for its own
//! addresses only.

mod common;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;
use std::time::{Duration, Instant};

use common::{chain_counts, component_pids, count, head, signal, PoolRun};
use venus_api::auth::AuthClient;
use venus_api::lotus::{AuthNew, AuthVerify, LotusClient};
use venus_api::messager::{MessageState, MessagerClient};
use venus_api::miner::{BlocksQueryParams, ListBlocks, MinedBlock};
use venus_api::wallet::{RecordQuery, SignRecord, SignRecords};
use venus_core::crypto::{KeyInfo, PrivateKey};
use venus_core::traits::{ChainRead, MessageApi, StateRead};
use venus_core::types::{transfer, MsgType};
use venus_core::{Address, Message, SignatureType, TokenAmount};
use venus_pool_lib::wallet::service::WalletRepo;
use venus_pool_lib::{member_user, with_token};
use venus_rpc::{codes, Permission, RpcClient};

/// How long the pool has to come up, and to do each step after.
const UP: Duration = Duration::from_secs(900);
const STEP: Duration = Duration::from_secs(400);

/// The pid of the component process `kind` of the pool in `repo`.
fn component_pid(repo: &Path, kind: &str) -> Option<i32> {
    component_pids(repo)
        .into_iter()
        .find(|(_, args)| args.iter().any(|a| a == kind))
        .map(|(pid, _)| pid)
}

/// SIGKILLs the component `kind`; its pid.
fn kill9(repo: &Path, kind: &str) -> i32 {
    let pid = component_pid(repo, kind).unwrap_or_else(|| panic!("no {kind} process"));
    assert!(signal(pid.unsigned_abs(), "KILL"), "kill -KILL {pid}");
    pid
}

/// Waits until the component `kind` runs again as another process.
async fn wait_restarted(repo: &Path, kind: &str, old: i32) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if component_pid(repo, kind).is_some_and(|p| p != old) {
            return;
        }
        assert!(Instant::now() < deadline, "{kind} was not restarted");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Drops the devnet's databases from the MySQL server.
struct DropDatabases(venus_pool_lib::SharedDb);

impl Drop for DropDatabases {
    fn drop(&mut self) {
        let db = self.0.clone();
        // A thread of its own: this may run inside the test's runtime.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Runtime::new().expect("runtime");
            rt.block_on(async {
                for service in ["auth", "messager", "miner"] {
                    let name = format!("{}_{service}", db.prefix);
                    let _ = venus_sql::drop_mysql_database(&db.server, &name).await;
                }
            })
        })
        .join();
    }
}

/// Runs the example `name` (built beside this test by `cargo build -p
/// venus-examples --examples`, as CI does) against the pool; its stdout,
/// which must hold `expect`.
fn run_example(name: &str, args: &[&str], envs: &[(&str, &str)], expect: &str) -> String {
    let exe = std::env::current_exe().expect("test binary");
    let Some(bin) = exe
        .parent()
        .and_then(Path::parent)
        .map(|d| d.join("examples").join(name))
        .filter(|p| p.exists())
    else {
        eprintln!(
            "SKIPPED: the {name} example is not built (cargo build -p venus-examples --examples)"
        );
        return String::new();
    };
    let mut child = std::process::Command::new(&bin)
        .args(args)
        .envs(envs.iter().copied())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run the example");
    let deadline = Instant::now() + STEP;
    while matches!(child.try_wait(), Ok(None)) {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the {name} example still ran after {STEP:?}");
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    let out = child.wait_with_output().expect("the example's output");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success() && stdout.contains(expect),
        "the {name} example failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

fn fil(n: u64) -> TokenAmount {
    TokenAmount::from_atto(u128::from(n) * 1_000_000_000_000_000_000)
}

/// What an outside client does through the Lotus API alone: a transfer
/// from the funded key, signed here, pushed, waited for.
async fn send_from_funded_key(node: &LotusClient, repo: &Path) -> (Address, TokenAmount) {
    let export = std::fs::read_to_string(repo.join("funded.key")).expect("funded.key");
    let key = KeyInfo::from_lotus_export(&export).expect("Lotus export format");
    let from = key.address().expect("address");
    let to = PrivateKey::generate(SignatureType::Secp256k1)
        .address()
        .expect("address");
    let head = node.head().await.expect("head");
    let nonce = node.actor(&from, head.key()).await.expect("funded").nonce;
    let msg = Message {
        sequence: nonce,
        ..transfer(from, to, fil(5))
    };
    let msg = node
        .estimate_message_gas(msg, None, head.key())
        .await
        .expect("gas estimate");
    let cid = venus_core::types::message_cid(&msg).expect("cid");
    let signature = key.sign(&cid.to_bytes()).expect("sign");
    let pushed = node
        .push_message(venus_core::types::SignedMessage {
            message: msg,
            signature,
        })
        .await
        .expect("MpoolPush");
    let found = node
        .wait_message(&pushed, Duration::from_secs(1), Duration::from_secs(300))
        .await
        .expect("StateWaitMsg");
    assert!(
        found.receipt.exit_code.is_success(),
        "the transfer's receipt: {:?}",
        found.receipt
    );
    (to, fil(5))
}

/// venus-auth holds a user per member owning its miner (open, so the
/// pool's miner mines it) and its worker; a member's token reads the node,
/// and pushes to the messager from its own worker, not from another's.
async fn check_auth(env: &HashMap<String, String>, pool: &venus_pool_lib::PoolFile) {
    let auth = AuthClient::new(
        RpcClient::connect(&env["AUTH_API_INFO"])
            .await
            .expect("auth"),
    );
    let users: BTreeSet<String> = auth
        .users()
        .await
        .expect("users")
        .into_iter()
        .map(|u| u.name)
        .collect();
    for m in &pool.members {
        let user = member_user(&m.miner);
        assert!(users.contains(&user), "{user} in {users:?}");
        let miners = auth.miners(Some(&user)).await.expect("miners");
        assert!(
            miners.iter().any(|x| x.address == m.miner && x.open_mining),
            "{user} owns {} open for mining: {miners:?}",
            m.miner
        );
        let signers = auth.signers(Some(&user), None).await.expect("signers");
        assert!(
            signers.iter().any(|(a, _)| a == &m.worker),
            "{user}'s signers: {signers:?}"
        );
    }
    let [own, other, ..] = &pool.members[..] else {
        panic!("two members by default");
    };
    let token = &env[&format!("MEMBER_TOKEN_{}", own.miner)];
    let as_member = |info: &str| with_token(info, token);
    let node = LotusClient::connect(&as_member(&env["FULLNODE_API_INFO"]))
        .await
        .expect("node");
    node.head().await.expect("the node takes a member's token");
    let forged = LotusClient::connect(&with_token(&env["FULLNODE_API_INFO"], &format!("x{token}")))
        .await
        .expect("node");
    let refused = forged
        .rpc()
        .call::<venus_api::lotus::ChainHead>([])
        .await
        .expect_err("the node took a forged token");
    // Refused as a token (HTTP 401, or its code over a WebSocket, which
    // the client reads as the same), not failed for another reason.
    assert!(
        matches!(&refused, venus_rpc::Error::Unauthorized(_)),
        "a forged token: {refused}"
    );
    let messager = MessagerClient::connect(&as_member(&env["MESSAGER_API_INFO"]))
        .await
        .expect("messager");
    // The messager and the miner answer Lotus's `AuthVerify` about a
    // venus-auth token (their verifiers ask venus-auth), and make no
    // tokens of their own beside it (no `AuthNew`).
    let miner = RpcClient::connect(&as_member(&env["MINER_API_INFO"]))
        .await
        .expect("miner");
    for (daemon, rpc) in [("messager", messager.rpc()), ("miner", &miner)] {
        let allow = rpc
            .call::<AuthVerify>((token.clone(),))
            .await
            .unwrap_or_else(|e| panic!("AuthVerify on the {daemon}: {e}"));
        assert_eq!(allow, Permission::Write.and_below(), "the {daemon}");
        let minted = rpc.call::<AuthNew>((vec![Permission::Read],)).await;
        assert!(
            matches!(&minted, Err(venus_rpc::Error::Rpc(e)) if e.code == codes::METHOD_NOT_FOUND),
            "AuthNew on the {daemon} beside venus-auth: {minted:?}"
        );
    }
    let theirs: Address = other.worker.parse().expect("worker");
    let to: Address = pool.funded.parse().expect("funded");
    let refused = messager
        .push_with_id(
            "pool-auth-test-theirs",
            &transfer(theirs, to, TokenAmount::from_atto(1)),
            None,
        )
        .await
        .expect_err("a member pushed from another member's worker");
    assert_eq!(refused.code(), Some(codes::POLICY_DENIED), "{refused}");
    let ours: Address = own.worker.parse().expect("worker");
    let id = "pool-auth-test-ours";
    assert_eq!(
        messager
            .push_with_id(id, &transfer(ours, to, TokenAmount::from_atto(1)), None)
            .await
            .expect("a member pushes from its own worker"),
        id
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkilled_miner_and_messager_lose_nothing() {
    let mysql = std::env::var("VENUS_TEST_MYSQL_URL").ok();
    if mysql.is_none() {
        eprintln!(
            "SKIPPED (the MySQL part): VENUS_TEST_MYSQL_URL is not set; the pool runs on SQLite"
        );
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let repo = dir.path().join("pool");
    // No --epochs: the test stops the pool (SIGTERM) once it has seen all it needs.
    let mut args = vec!["--processes", "--block-time", "20"];
    if let Some(url) = &mysql {
        args.extend(["--mysql", url]);
    }
    // Declared before the pool: dropped after it has stopped.
    let drop_databases = std::cell::OnceCell::new();
    let mut run = PoolRun::spawn(&repo, &args);
    let env = tokio::task::block_in_place(|| run.wait_up(UP));
    let pool: venus_pool_lib::PoolFile =
        serde_json::from_slice(&std::fs::read(repo.join("pool.json")).expect("pool.json"))
            .expect("pool.json");
    // Dropped at the end, passed or failed.
    if let Some(m) = pool.mysql.clone() {
        let _ = drop_databases.set(DropDatabases(m));
    }
    if mysql.is_some() {
        assert!(pool.mysql.is_some(), "the devnet records its MySQL server");
        let cfg = std::fs::read_to_string(repo.join("miner/config.toml")).expect("config");
        assert!(
            cfg.contains("db = \"mysql://"),
            "the miner runs on MySQL: {cfg}"
        );
    }
    let node = LotusClient::connect(&env["FULLNODE_API_INFO"])
        .await
        .expect("node");

    check_auth(&env, &pool).await;
    // No token or password on a component's command line, which `ps`
    // shows to every user of the machine.
    let tokens: Vec<&str> = env
        .iter()
        .filter(|(k, _)| k.starts_with("MEMBER_TOKEN_") || k.contains("_API_INFO"))
        .filter_map(|(_, v)| v.split(':').next())
        .collect();
    let components = component_pids(&repo);
    assert!(components.len() >= 5, "component processes: {components:?}");
    for (pid, args) in &components {
        for a in args {
            assert!(
                !a.contains("mysql://") && !tokens.iter().any(|t| a.contains(t)),
                "component {pid} has a secret on its command line"
            );
        }
    }

    // Messages pushed to the messager, then the messager SIGKILLed at once:
    // every one it acknowledged lands.
    let member = &pool.members[0];
    let worker: Address = member.worker.parse().expect("worker");
    let funded: Address = pool.funded.parse().expect("funded");
    let messager = MessagerClient::connect(&env["MESSAGER_API_INFO"])
        .await
        .expect("messager");
    let mut ids = Vec::new();
    for i in 0..3u64 {
        let msg = transfer(worker, funded, TokenAmount::from_atto(1000 + i));
        let id = format!("pool-kill-test-{i}");
        assert_eq!(
            messager.push_with_id(&id, &msg, None).await.expect("push"),
            id
        );
        ids.push(id);
    }
    let old = kill9(&repo, "messager");
    wait_restarted(&repo, "messager", old).await;

    // The outside client, meanwhile: FIL from the funded key.
    let (to, value) = send_from_funded_key(&node, &repo).await;
    let got = node
        .actor(&to, node.head().await.expect("head").key())
        .await
        .expect("the new account");
    assert_eq!(got.balance, value, "the recipient's balance");

    // Every pushed message lands, through the restarted messager.
    let deadline = Instant::now() + STEP;
    for id in &ids {
        loop {
            // A new connection each time: the messager was restarted.
            let got = match MessagerClient::connect(&env["MESSAGER_API_INFO"]).await {
                Ok(c) => c.get(id).await.ok(),
                Err(_) => None,
            };
            if let Some(m) = got {
                if m.state == MessageState::OnChain {
                    let receipt = m.receipt.expect("an on-chain message has its receipt");
                    assert!(
                        receipt.exit_code.is_success(),
                        "{id}'s receipt: {receipt:?}"
                    );
                    break;
                }
                assert_ne!(
                    m.state,
                    MessageState::Failed,
                    "{id} failed: {}",
                    m.error_msg
                );
            }
            assert!(
                Instant::now() < deadline,
                "{id} did not land after the messager's restart"
            );
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }

    // The messager client example, against this pool.
    let last = &pool.members[pool.members.len() - 1].worker;
    tokio::task::block_in_place(|| {
        run_example(
            "messager_push_wait",
            &[last, &pool.funded, "7"],
            &[("MESSAGER_API_INFO", &env["MESSAGER_API_INFO"])],
            "landed at height",
        )
    });

    // The miner SIGKILLed once it has mined: mining resumes after it.
    let old = kill9(&repo, "miner");
    let killed_at = node.head().await.expect("head").height();
    wait_restarted(&repo, "miner", old).await;
    // Mining resumes: only the pool's members mine, so a head 3 epochs on
    // holds blocks the restarted miner made.
    let deadline = Instant::now() + STEP;
    while node.head().await.map_or(0, |h| h.height()) < killed_at + 3 {
        assert!(
            Instant::now() < deadline,
            "no mining after the miner's restart (killed at {killed_at})"
        );
        tokio::time::sleep(Duration::from_secs(1)).await;
    }

    // No block signed twice. Each member's wallet records every header it
    // signed (by the CID of the unsigned header); the pool records, per
    // (miner, epoch), the one block it claimed and, once signed, its CID.
    // Read the wallets first: every header signed by then is a claim with
    // its CID by the time the miner is asked, except one in flight at that
    // moment and one whose CID the SIGKILL cut off: at most 2 more per
    // member. A miner that signed again after its restart, for epochs it
    // had claimed and signed before, would pass that by its whole run.
    let mut signed = BTreeMap::new();
    for m in &pool.members {
        // The sign record is the wallet owner's: an admin token of its repo.
        let info = &env[&format!("WALLET_API_INFO_{}", m.miner)];
        let admin = WalletRepo::open(repo.join("members").join(&m.miner).join("wallet"))
            .and_then(|r| r.token(Permission::Admin, Some("pool-test".into())))
            .expect("an admin token");
        let wallet = RpcClient::connect(&with_token(info, &admin))
            .await
            .expect("wallet");
        let q = RecordQuery {
            msg_type: Some(MsgType::Block),
            limit: Some(10_000),
            ..Default::default()
        };
        let records: Vec<SignRecord> = wallet.call::<SignRecords>((q,)).await.expect("records");
        let headers: BTreeSet<String> = records
            .into_iter()
            .filter(|r| r.ok)
            .map(|r| r.object)
            .collect();
        signed.insert(m.miner.clone(), headers.len());
    }
    let miner = RpcClient::connect(&env["MINER_API_INFO"])
        .await
        .expect("miner");
    let deadline = Instant::now() + Duration::from_secs(60);
    let blocks: Vec<MinedBlock> = loop {
        let q = BlocksQueryParams {
            miners: None,
            limit: 10_000,
            offset: 0,
        };
        match miner.call::<ListBlocks>((q,)).await {
            Ok(b) => break b,
            Err(e) => assert!(Instant::now() < deadline, "the restarted miner's API: {e}"),
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    for (member, headers) in &signed {
        let claims = blocks
            .iter()
            .filter(|b| &b.miner == member && !b.cid.is_empty())
            .count();
        assert!(headers > &0, "{member}'s wallet signed no block");
        assert!(
            *headers <= claims + 2,
            "{member}'s wallet signed {headers} different headers for {claims} signed claims"
        );
    }

    // A miner's election, run by the example against the node with a
    // member's token and the member's wallet: it fails on any block of the
    // member at an epoch its election lost.
    let m = &pool.members[0];
    let info = &env[&format!("WALLET_API_INFO_{}", m.miner)];
    let miner_token = WalletRepo::open(repo.join("members").join(&m.miner).join("wallet"))
        .and_then(|r| r.token(Permission::Sign, Some("venus-pool-miner".into())))
        .expect("a token for the pool's miner");
    let token = &env[&format!("MEMBER_TOKEN_{}", m.miner)];
    let out = tokio::task::block_in_place(|| {
        run_example(
            "miner_election_check",
            &[&m.miner, "8"],
            &[
                (
                    "FULLNODE_API_INFO",
                    &with_token(&env["FULLNODE_API_INFO"], token),
                ),
                ("WALLET_API_INFO", &with_token(info, &miner_token)),
            ],
            "won but no block on chain",
        )
    });
    assert!(
        out.is_empty() || out.contains(" won epoch "),
        "{} won nothing in 8 epochs:\n{out}",
        m.miner
    );

    run.terminate();
    let summary = tokio::task::block_in_place(|| run.finish(Duration::from_secs(120)));
    eprintln!("summary: {summary:#}");
    let restarts = summary["restarts"].as_object().expect("restarts");
    for kind in ["messager", "miner"] {
        assert!(
            restarts.get(kind).is_some_and(|n| count(n) >= 1),
            "the supervisor restarted the {kind}: {restarts:?}"
        );
    }
    let from = summary["from"].as_i64().expect("from");
    // Read on a thread of its own: it runs a runtime of its own.
    let (node_repo, summary_head) = (repo.join("node"), head(&summary));
    let chain = std::thread::spawn(move || chain_counts(&node_repo, &summary_head, from))
        .join()
        .expect("the chain read back");
    let after: HashMap<_, _> = chain
        .heights
        .iter()
        .map(|(m, hs)| (m.clone(), hs.iter().filter(|h| **h > killed_at + 1).count()))
        .collect();
    assert!(
        after.values().sum::<usize>() >= 1,
        "no block after the miner's restart (killed at {killed_at}): {after:?}"
    );
    for m in &pool.members {
        assert!(
            chain.blocks.get(&m.miner).is_some_and(|n| *n >= 1),
            "{} mined no block: {:?}",
            m.miner,
            chain.blocks
        );
    }
    assert_eq!(count(&summary["tipsets"]), chain.tipsets, "tipsets");

    // The messager follows the node's head changes over WebSocket, in
    // each of its processes: none fell back to polling for them.
    let log = std::fs::read_to_string(repo.join("logs/messager.log")).expect("the messager's log");
    let polled: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("no head changes from the node"))
        .collect();
    assert!(
        polled.is_empty(),
        "the messager polled the node: {polled:?}"
    );
}
