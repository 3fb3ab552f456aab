//! The `venus` daemon end to end, as a pool's miner sees it: a genesis
//! from a real pre-seal, the daemon on RocksDB, and `LotusClient` mining
//! on it with a `MemorySigner` (tickets, election VRF and block signature
//! asked for with the object signed) and a `PostProver` (a real winning
//! PoSt over the pre-sealed sector); a message pushed lands with its
//! receipt; a daemon killed with SIGKILL while taking a block restarts on
//! a consistent head and mines on.
//!
//! Proof parameters come from the shared cache (`venus-sealer params`).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use venus_api::lotus::LotusClient;
use venus_core::crypto::PrivateKey;
use venus_core::traits::{BlockApi, ChainRead, MemorySigner, MessageApi, StateRead};
use venus_core::types::{message_cid, SignedMessage, TipSet};
use venus_core::{Address, Message, RegisteredSealProof, SignatureType, TokenAmount};
use venus_node::testing::Miner;
use venus_sealer_lib::params::ParamCache;
use venus_sealer_lib::{
    preseal, LocalSectorStore, PostProver, PreSealConfig, PreSealMiner, ProofPool, Prover,
};

const MINER: u64 = 1000;
const DELAY: u64 = 4;

fn venus() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_venus"));
    cmd.env("RUST_LOG", "warn");
    cmd
}

/// Runs a `venus` command to completion; fails the test with its stderr.
fn run_ok(cmd: &mut Command) {
    let out = cmd.output().expect("run venus");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A daemon on `repo`, and the API info it printed.
fn start(repo: &Path, genesis: Option<&Path>) -> (Daemon, String) {
    start_with(repo, genesis, &[])
}

/// [`start`] with more daemon flags.
fn start_with(repo: &Path, genesis: Option<&Path>, flags: &[&str]) -> (Daemon, String) {
    let mut cmd = venus();
    cmd.arg("--repo")
        .arg(repo)
        .args(["daemon", "--listen", "127.0.0.1:0"])
        .args(flags);
    if let Some(g) = genesis {
        cmd.arg("--genesis").arg(g);
    }
    let mut child = Daemon(
        cmd.stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn venus daemon"),
    );
    let out = child.0.stdout.take().expect("stdout");
    let mut lines = BufReader::new(out).lines();
    let info = loop {
        let line = lines
            .next()
            .expect("the daemon printed its API info before exiting")
            .expect("read");
        if let Some(info) = line.strip_prefix("FULLNODE_API_INFO=") {
            break info.to_string();
        }
    };
    (child, info)
}

struct Member {
    signer: MemorySigner,
    worker: Address,
    prover: PostProver,
}

/// Mines the first round after `base` that the member wins (the ones
/// before it are null rounds), with the node's selection, through
/// `venus_node::testing::Miner`: keys and proof asked of the member as
/// sophon-miner asks them.
async fn mine(node: &LotusClient, m: &Member, base: &TipSet) -> venus_core::types::BlockMsg {
    let miner = Miner {
        api: node,
        miner: Address::new_id(MINER),
        worker: m.worker,
        signer: &m.signer,
        prover: &m.prover,
        block_delay: DELAY,
    };
    for round in base.height() + 1..base.height() + 20 {
        let messages = node.select_messages(base.key(), 0.9).await.expect("select");
        if let Some(b) = miner.mine_at(base, round, messages).await {
            return b;
        }
    }
    panic!("no win in 20 rounds: the only miner wins 99% of them");
}

fn send(key: &PrivateKey, to: Address, nonce: u64) -> SignedMessage {
    let message = Message {
        version: 0,
        from: key.address().expect("a"),
        to,
        sequence: nonce,
        value: TokenAmount::from_whole(1),
        method_num: 0,
        params: Default::default(),
        gas_limit: 10_000_000,
        gas_fee_cap: TokenAmount::from_atto(1_000_000_000),
        gas_premium: TokenAmount::from_atto(100_000),
    };
    let signature = key
        .sign(&message_cid(&message).expect("cid").to_bytes())
        .expect("sign");
    SignedMessage { message, signature }
}

/// A daemon process, killed with SIGKILL when dropped (also when a
/// failed assertion unwinds).
struct Daemon(Child);

impl Daemon {
    /// SIGKILL: no destructor, no flush.
    fn kill9(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        self.kill9();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lotus_client_mines_pushes_and_survives_sigkill() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    let prover = Prover::new(
        Arc::new(ParamCache::from_env().expect("parameter cache")),
        ProofPool::new(2),
    );
    let sectors_dir = root.join("sectors");
    let store = LocalSectorStore::new(&sectors_dir);
    let seal = RegisteredSealProof::StackedDRG2KiBV1P1;
    let sectors = preseal(
        &prover,
        &store,
        &PreSealConfig::new(MINER, seal, 1),
        &|_, _| {},
    )
    .await
    .expect("pre-seal");
    let worker_key = PrivateKey::generate(SignatureType::BLS);
    let entry = PreSealMiner::new(MINER, &worker_key, seal, sectors).expect("entry");
    let manifest = entry.write(&sectors_dir, MINER).expect("manifest");
    let user = PrivateKey::generate(SignatureType::Secp256k1);

    // A genesis whose first 300 rounds are already due.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("time")
        .as_secs();
    let genesis = root.join("genesis.json");
    run_ok(
        venus()
            .args(["genesis", "--out"])
            .arg(&genesis)
            .arg("--preseal")
            .arg(&manifest)
            .args(["--account", &format!("{}=1000", user.address().expect("a"))])
            .args(["--block-delay", &DELAY.to_string()])
            .args(["--timestamp", &(now - 300 * DELAY).to_string()]),
    );

    let repo: PathBuf = root.join("node");
    let (mut daemon, info) = start(&repo, Some(&genesis));
    let mut node = LotusClient::connect(&info).await.expect("connect");
    let signer = MemorySigner::new();
    let worker = signer.add(worker_key).expect("key");
    let member = Member {
        signer,
        worker,
        prover: PostProver::new(prover.clone(), Arc::new(store)),
    };

    let recipient = PrivateKey::generate(SignatureType::Secp256k1)
        .address()
        .expect("address");
    let msg = send(&user, recipient, 0);
    let cid = node.push_message(msg).await.expect("push");
    let g = node.head().await.expect("head");
    assert_eq!(g.height(), 0);
    let b1 = mine(&node, &member, &g).await;
    assert_eq!(
        b1.secpk_messages,
        vec![cid],
        "the pushed message is selected"
    );
    let b1_height = b1.header.height;
    node.submit_block(b1).await.expect("block 1 accepted");
    let t1 = node.head().await.expect("head");
    assert_eq!(t1.height(), b1_height);
    let b2 = mine(&node, &member, &t1).await;
    let b2_height = b2.header.height;
    node.submit_block(b2).await.expect("block 2 accepted");
    let found = node
        .search_message(&cid)
        .await
        .expect("search")
        .expect("executed");
    assert!(found.receipt.exit_code.is_success(), "{:?}", found.receipt);
    assert_eq!(found.height, b2_height);
    let balance = node
        .actor(&recipient, &Default::default())
        .await
        .expect("the recipient's new account")
        .balance;
    assert_eq!(balance, TokenAmount::from_whole(1));

    // SIGKILL while the node takes a block, at several points of it
    // (validation with the real PoSt check, execution, the head write):
    // it restarts on the old head or the new one, never on a broken one,
    // and mines on.
    let mut info = info;
    for delay_ms in [5, 60, 250] {
        let before = node.head().await.expect("head");
        let block = mine(&node, &member, &before).await;
        let height = block.header.height;
        let block_cid = block.header.cid().expect("cid");
        let submit = {
            let node = LotusClient::connect(&info).await.expect("connect");
            tokio::spawn(async move { node.submit_block(block).await })
        };
        tokio::time::sleep(Duration::from_millis(delay_ms)).await;
        daemon.kill9();
        let acknowledged = matches!(submit.await, Ok(Ok(())));

        let (restarted, new_info) = start(&repo, None);
        (daemon, info) = (restarted, new_info);
        node = LotusClient::connect(&info).await.expect("reconnect");
        let head = node.head().await.expect("head after restart");
        let took_it = head.key().cids() == [block_cid];
        assert!(
            head.key() == before.key() || took_it,
            "killed after {delay_ms} ms: restarted at height {}, not {} or {height}",
            head.height(),
            before.height()
        );
        // What the node acknowledged survives the kill.
        assert!(
            !acknowledged || took_it,
            "killed after {delay_ms} ms: an acknowledged block was lost"
        );
        eprintln!(
            "killed after {delay_ms} ms: acknowledged {acknowledged}, restarted on {}",
            if took_it {
                "the new block"
            } else {
                "the old head"
            }
        );
        let genesis_again = node
            .tipset_by_height(0, head.key())
            .await
            .expect("the chain down to genesis");
        assert_eq!(genesis_again.key(), g.key());
        let still = node
            .search_message(&cid)
            .await
            .expect("search")
            .expect("kept");
        assert_eq!(still.height, b2_height);
        let next = mine(&node, &member, &head).await;
        let next_height = next.header.height;
        node.submit_block(next)
            .await
            .expect("mines on after the restart");
        assert_eq!(node.head().await.expect("head").height(), next_height);
    }
    daemon.kill9();
}

/// `--auth-url`: tokens that `venus-auth` issued are verified by it, with
/// their permission; the repo's own admin token (the `token` file, which
/// the printed API info carries) still works; anyone else's is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auth_url_verifies_tokens_with_venus_auth() {
    use venus_auth_lib::{rpc::auth_server, AuthService, CacheConfig, SqlStore};
    use venus_rpc::{Hs256Verifier, LocalRateLimiter, Permission, RpcClient, ServerConfig};

    let store = SqlStore::connect("sqlite::memory:").await.expect("store");
    let auth = Arc::new(AuthService::new(
        Arc::new(store),
        b"the pool's auth secret",
        CacheConfig::default(),
    ));
    let auth_daemon = auth_server(
        auth.clone(),
        Arc::new(LocalRateLimiter::new()),
        ServerConfig::daemon(),
    )
    .start("127.0.0.1:0".parse().expect("addr"))
    .await
    .expect("auth daemon");
    auth.create_user("pool", "").await.expect("user");
    let read = auth
        .create_token("pool", Permission::Read)
        .await
        .expect("token");

    // A genesis without miners: nothing is mined here.
    let dir = tempfile::tempdir().expect("tempdir");
    let genesis = dir.path().join("genesis.json");
    run_ok(venus().args(["genesis", "--out"]).arg(&genesis));
    let repo = dir.path().join("node");
    let (_daemon, info) = start_with(
        &repo,
        Some(&genesis),
        &["--auth-url", &auth_daemon.http_url()],
    );
    let url = info.parse::<venus_rpc::Endpoint>().expect("api info").url;
    let call = |token: Option<String>, method: &'static str| {
        let endpoint = venus_rpc::Endpoint::new(url.clone(), token);
        async move {
            let c = RpcClient::connect_with(endpoint, Default::default()).await?;
            c.call_raw(method, serde_json::json!([])).await
        }
    };

    // venus-auth's read token reads, and may not write.
    call(Some(read.clone()), "Filecoin.ChainHead")
        .await
        .expect("a venus-auth token reads");
    let err = call(Some(read), "Filecoin.MpoolPush")
        .await
        .expect_err("read may not push");
    assert!(err.to_string().contains("need 'write'"), "{err}");
    // The repo's own admin token.
    let own = std::fs::read_to_string(repo.join("token")).expect("token file");
    call(Some(own), "Filecoin.ChainHead")
        .await
        .expect("the repo's token");
    // Another secret's token, and garbage.
    let stranger = Hs256Verifier::new(b"someone else")
        .sign(Permission::Admin.and_below(), None, None)
        .expect("sign");
    for bad in [stranger, "not a token".to_string()] {
        let err = call(Some(bad), "Filecoin.ChainHead")
            .await
            .expect_err("refused");
        assert!(err.to_string().contains("unauthorized"), "{err}");
    }
    auth_daemon.stop().await;
}
