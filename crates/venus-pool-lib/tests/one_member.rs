//! A one-member pool in this process, with the builder's node and
//! slash-filter slots and a short proving period:
//! - the pool uses a node it did not start (ours, run apart on the pool's
//!   genesis with its own tokens, as a Lotus node would be), reached only
//!   through the Lotus API: every component, the pledge and the status
//!   line go through it; back on a node of its own, started anew, the
//!   pool refuses to run, as that node lacks the members' chain; a token
//!   for it that reads only (made with Lotus's `AuthNew`) is refused before
//!   anything starts;
//! - the miner claims, and records the signature of, every block in the
//!   integrator's filter instead of its own database; a custom filter is
//!   refused where it cannot reach the miner (each component its own
//!   process);
//! - a sector pledged through the member's sealer, over its API as an
//!   operator does (`venus-sealer pledge`), is sealed and proven, and adds
//!   to the member's power on chain while the pool mines.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use venus_pool_lib::api::lotus::{
    AuthNew, AuthVerify, LotusClient, StateMinerPower, StateMinerProvingDeadline,
};
use venus_pool_lib::api::sealer::{Pledge, SectorsStatus};
use venus_pool_lib::core::json::Lotus;
use venus_pool_lib::core::traits::ChainRead;
use venus_pool_lib::core::types::TipSetKey;
use venus_pool_lib::core::Address;
use venus_pool_lib::daemon::CancellationToken;
use venus_pool_lib::miner::slash::{BlocksQuery, MemorySlashFilter, SlashFilter};
use venus_pool_lib::sealer::params::{Circuit, ParamCache};
use venus_pool_lib::sealer::{ProofPool, Prover};
use venus_pool_lib::{
    run_component, wallet_password, Devnet, Display, Kind, Mode, PoolError, Summary,
    WALLET_PASSWORD_ENV,
};
use venus_rpc::{Permission, RpcClient};

/// One 2 KiB sector.
const SECTOR: u64 = 2048;
/// How long the pledged sector may take from the pledge to its power:
/// the seal, the pre-commit landing, the 10-epoch seed delay, the commit
/// landing and then its deadline's first window PoSt (about 30 epochs).
const PLEDGE_TO_POWER: Duration = Duration::from_secs(900);

/// `api-info.env` once the pool is up (all components serve).
async fn pool_up(
    repo: &Path,
    run: &tokio::task::JoinHandle<Result<Summary, PoolError>>,
) -> HashMap<String, String> {
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        if let Ok(text) = std::fs::read_to_string(repo.join("api-info.env")) {
            return text
                .lines()
                .filter_map(|l| l.split_once('='))
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
        }
        assert!(!run.is_finished(), "the pool ended before it was up");
        assert!(Instant::now() < deadline, "the pool was not up in 600 s");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn power(node: &LotusClient, miner: Address) -> u64 {
    let p = node
        .rpc()
        .call::<StateMinerPower>((Lotus(miner), Lotus(TipSetKey::default())))
        .await
        .expect("StateMinerPower");
    u64::try_from(p.miner_power.raw_byte_power).expect("power fits")
}

/// Our node, started apart from the pool on its genesis (the pool's own
/// node would verify tokens with the pool's venus-auth; this one has its
/// own secret, as a Lotus node has). Its API info, read from its repo as
/// Lotus's tools read LOTUS_PATH.
async fn outside_node(
    dir: &Path,
    genesis: &Path,
    prover: &Prover,
    stop: &CancellationToken,
) -> String {
    let args = [
        "venus",
        "--repo",
        &dir.display().to_string(),
        "daemon",
        "--genesis",
        &genesis.display().to_string(),
        "--listen",
        "127.0.0.1:0",
    ]
    .map(String::from)
    .to_vec();
    let node = tokio::spawn(venus_pool_lib::daemon::scoped(
        stop.clone(),
        run_component(Kind::Node, args, prover.clone()),
    ));
    let repo = venus_pool_lib::daemon::Repo::open("node", Some(dir.to_path_buf())).expect("repo");
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        // `token`:`api`, once both are written.
        if let Ok(info) = venus_pool_lib::daemon::repo_api_info(&repo) {
            if !info.starts_with(':') && !info.ends_with(':') {
                return info;
            }
        }
        if node.is_finished() {
            panic!("the outside node ended: {:?}", node.await);
        }
        assert!(
            Instant::now() < deadline,
            "the outside node did not serve in 300 s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[test]
fn node_and_slash_filter_slots_and_a_pledge_that_adds_power_while_mining() {
    let dir = tempfile::tempdir().expect("tempdir");
    let repo = dir.path().join("pool");
    // The in-memory filter: what the miner claimed and signed is read
    // back from it, and from nowhere else.
    let audited = Arc::new(MemorySlashFilter::new());

    // A filter in this process cannot reach a miner process.
    let refused = Devnet::builder(&repo)
        .slash_filter(audited.clone())
        .mode(Mode::Processes)
        .build();
    assert!(
        matches!(&refused, Err(PoolError::Invalid(why)) if why.contains("in-process")),
        "{refused:?}"
    );

    // The only test in this binary: nothing else reads the environment.
    std::env::set_var(
        WALLET_PASSWORD_ENV,
        wallet_password(&repo).expect("password"),
    );
    let params = Arc::new(ParamCache::from_env().expect("parameter cache"));
    let seal = venus_pool_lib::core::RegisteredSealProof::StackedDRG2KiBV1P1;
    for circuit in Circuit::all_for(seal).expect("circuits") {
        params
            .ensure(circuit, &|event| eprintln!("{event:?}"))
            .expect("parameters");
    }
    let prover = Prover::new(params, ProofPool::new(2));
    // 12 s epochs: one member's real winning PoSt, beside the pledged
    // sector's proofs, on 2 cores. A proving period of 4 deadlines of 5
    // epochs (a minute each): the new sector's first window PoSt comes
    // within a few minutes of its commit.
    let builder = Devnet::builder(&repo)
        .members(1)
        .sectors(1)
        .block_time(12)
        .proving_period(4, 5)
        .slash_filter(audited.clone());
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let node_stop = CancellationToken::new();
    let summary = rt.block_on(async {
        // Made first (the genesis), then the node started on it, then the
        // pool run with the node in its slot.
        let layout = builder
            .clone()
            .build()
            .expect("devnet")
            .prepare(&prover)
            .await
            .expect("prepared");
        let node_info = outside_node(
            &dir.path().join("outside-node"),
            &layout.genesis(),
            &prover,
            &node_stop,
        )
        .await;
        // A token of that node that reads only (Lotus's `AuthNew`, asked
        // with its admin token) is refused before anything starts: the
        // miner and the messager need write there.
        let admin = LotusClient::connect(&node_info).await.expect("node");
        let read_only = admin
            .rpc()
            .call::<AuthNew>((vec![Permission::Read],))
            .await
            .expect("AuthNew");
        let read_only = String::from_utf8(read_only.0).expect("a token");
        assert_eq!(
            admin
                .rpc()
                .call::<AuthVerify>((read_only.clone(),))
                .await
                .expect("AuthVerify"),
            vec![Permission::Read]
        );
        let (_, multiaddr) = node_info.split_once(':').expect("TOKEN:MULTIADDR");
        let refused = builder
            .clone()
            .node(format!("{read_only}:{multiaddr}"))
            .build()
            .expect("devnet")
            .run(
                &layout,
                &prover,
                None,
                Display::Plain,
                CancellationToken::new(),
            )
            .await;
        assert!(
            matches!(&refused, Err(PoolError::Invalid(why)) if why.contains("but not write")),
            "{refused:?}"
        );
        let devnet = builder.node(node_info.clone()).build().expect("devnet");
        let miner: Address = layout.pool.members[0].miner.parse().expect("miner");
        let stop = CancellationToken::new();
        let run = tokio::spawn({
            let (devnet, prover, stop) = (devnet.clone(), prover.clone(), stop.clone());
            async move {
                devnet
                    .run(&layout, &prover, None, Display::Plain, stop)
                    .await
            }
        });
        let env = pool_up(&repo, &run).await;
        assert_eq!(env["FULLNODE_API_INFO"], node_info, "the outside node");
        assert!(
            !repo.join("node").join("api").exists(),
            "the pool started a node of its own"
        );
        let node = LotusClient::connect(&env["FULLNODE_API_INFO"])
            .await
            .expect("node");
        // The genesis holds the period asked for.
        let dl = node
            .rpc()
            .call::<StateMinerProvingDeadline>((Lotus(miner), Lotus(TipSetKey::default())))
            .await
            .expect("StateMinerProvingDeadline");
        assert_eq!(
            (dl.w_post_period_deadlines, dl.w_post_challenge_window),
            (4, 5),
            "{dl:?}"
        );
        let before = power(&node, miner).await;
        assert_eq!(before, SECTOR, "the pre-sealed sector's power");

        // The operator's pledge, through the member's sealer API.
        let sealer = RpcClient::connect(&env[&format!("SEALER_API_INFO_{miner}")])
            .await
            .expect("sealer");
        let pledged = sealer.call::<Pledge>([]).await.expect("Sealer.Pledge");
        let pledged_at = node.head().await.expect("head").height();
        let start = Instant::now();
        let mut last_state = String::new();
        let grown = loop {
            let p = power(&node, miner).await;
            if p > before {
                break p;
            }
            let s = sealer
                .call::<SectorsStatus>((pledged.number,))
                .await
                .expect("Sealer.SectorsStatus");
            assert!(
                s.state != "Failed" && s.state != "Aborted",
                "the pledged sector: {s:?}"
            );
            if s.state != last_state {
                eprintln!(
                    "sector {} {} at height {} ({:?} after the pledge)",
                    s.number,
                    s.state,
                    node.head().await.map_or(-1, |h| h.height()),
                    start.elapsed()
                );
                last_state = s.state;
            }
            assert!(!run.is_finished(), "the pool ended while the sector sealed");
            assert!(
                start.elapsed() < PLEDGE_TO_POWER,
                "no power from the pledged sector after {PLEDGE_TO_POWER:?} (it is {last_state})"
            );
            tokio::time::sleep(Duration::from_secs(2)).await;
        };
        assert_eq!(grown, before + SECTOR, "one sector more");
        // The power shows once the prove-commit executes; the sealer moves
        // the sector to Proving on its next pass after the messager reports
        // the message landed, which may be a pass later.
        let settled = tokio::time::Instant::now();
        let status = loop {
            let status = sealer
                .call::<SectorsStatus>((pledged.number,))
                .await
                .expect("Sealer.SectorsStatus");
            if status.state == "Proving" || settled.elapsed() > Duration::from_secs(60) {
                break status;
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        };
        assert_eq!(status.state, "Proving", "{status:?}");
        eprintln!(
            "power {before} -> {grown} {:?} after the pledge at height {pledged_at}",
            start.elapsed()
        );
        stop.cancel();
        let summary = run.await.expect("the pool task").expect("the pool ran");
        // The pool's blocks are the outside node's chain.
        let head = node.head().await.expect("head");
        assert!(head.height() >= summary.to, "{summary:?}");
        node_stop.cancel();
        summary
    });

    // Back on a node of its own, started anew on the genesis, the pool
    // refuses to run: that node lacks the chain the member worked on.
    let own = Devnet::builder(&repo).build().expect("devnet");
    let refused = rt.block_on(async {
        let layout = own.prepare(&prover).await.expect("the same devnet");
        own.run(
            &layout,
            &prover,
            Some(1),
            Display::Quiet,
            CancellationToken::new(),
        )
        .await
    });
    assert!(
        matches!(&refused, Err(PoolError::Invalid(why)) if why.contains("does not hold this pool's chain")),
        "{refused:?}"
    );

    // The pool mined on through the pledge, and its summary has the power.
    let mined = summary.blocks.values().sum::<u64>();
    assert!(mined >= 1, "no block: {summary:?}");
    assert_eq!(
        summary.power.values().copied().collect::<Vec<_>>(),
        [2 * SECTOR],
        "the summary's power: {summary:?}"
    );

    // Every block went through the integrator's filter.
    let claimed = rt
        .block_on(audited.list(&BlocksQuery::default()))
        .expect("the custom filter's blocks");
    let signed: Vec<_> = claimed.iter().filter_map(|b| b.cid).collect();
    assert!(
        claimed.len() as u64 >= mined,
        "{mined} blocks, but only {} claims reached the custom filter",
        claimed.len()
    );
    assert!(
        signed.len() as u64 >= mined,
        "{mined} blocks, {} signatures recorded in the custom filter",
        signed.len()
    );
    // The blocks on chain are the ones whose signatures it recorded.
    assert!(!summary.head.is_empty(), "{summary:?}");
    for cid in &summary.head {
        assert!(
            signed.iter().any(|c| c.to_string() == *cid),
            "head block {cid} was not recorded in the custom filter ({signed:?})"
        );
    }
}
