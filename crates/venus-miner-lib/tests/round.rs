//! Rounds on the devnet node of `venus_node::testing`, with three member
//! miners whose worker keys sit in a `MemorySigner` (asked with the object
//! signed) and whose winning PoSts come from `DigestProver`.

#![allow(missing_docs)]

use std::collections::HashSet;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use venus_core::crypto::{DomainSeparationTag, WinCounter};
use venus_core::traits::{
    ChainApi, ChainRead, ComputeProof, DigestProver, MemorySigner, RemoteSigner, StateRead,
};
use venus_core::types::{DrawRandomParams, ExtendedSectorInfo, MsgMeta, TipSet};
use venus_core::PoStProof;
use venus_core::{Address, Signature};
use venus_miner_lib::records::{MemoryRecords, MiningRecords, Outcome, Record, RecordQuery};
use venus_miner_lib::round::{OneProver, OneSigner, Provers, Round, RoundConfig};
use venus_miner_lib::slash::{MemorySlashFilter, SlashFilter};
use venus_mpool::Origin;
use venus_node::testing::{send, Net, NetBuilder, DELAY};

const MINERS: usize = 3;

fn devnet() -> Net {
    NetBuilder::default().miners(MINERS).build()
}

fn signer(n: &Net) -> Arc<MemorySigner> {
    let s = MemorySigner::new();
    for m in &n.members {
        s.add(m.worker.clone()).expect("key");
    }
    Arc::new(s)
}

fn round(
    n: &Net,
    signer: Arc<dyn RemoteSigner>,
    provers: Arc<dyn Provers>,
    records: Arc<dyn MiningRecords>,
    timeout: Duration,
) -> Round {
    Round {
        chain: n.node.clone() as Arc<dyn ChainApi>,
        signers: Arc::new(OneSigner(signer)),
        provers,
        slash: Arc::new(MemorySlashFilter::new()) as Arc<dyn SlashFilter>,
        records,
        submit_to: Vec::new(),
        config: RoundConfig {
            instance: "test".into(),
            miner_timeout: timeout,
            concurrency: 8,
            block_delay: DELAY,
            lease_ttl: Duration::from_secs(5),
        },
    }
}

fn miners(n: &Net) -> Vec<Address> {
    n.members.iter().map(|m| m.miner).collect()
}

/// Whether `miner` wins at `round` on `base`, computed from the chain and
/// the worker's key directly (not through the wallet or the round).
async fn wins(n: &Net, member: usize, base: &TipSet, round: i64) -> bool {
    let m = &n.members[member];
    let Some(info) = n
        .node
        .mining_base_info(&m.miner, round, base.key())
        .await
        .expect("base info")
    else {
        return false;
    };
    let rbase = info
        .beacon_entries
        .last()
        .unwrap_or(&info.prev_beacon_entry);
    let params = DrawRandomParams {
        rbase: rbase.data.clone(),
        pers: DomainSeparationTag::ElectionProofProduction as i64,
        round,
        entropy: venus_core::encoding::to_cbor(&m.miner).expect("cbor"),
    };
    let vrf = m
        .worker
        .sign(&params.digest().expect("digest"))
        .expect("sign");
    WinCounter::new(&info.miner_power, &info.network_power).win_count(&vrf.bytes) > 0
}

/// Every record of `miner`.
async fn records_of(records: &dyn MiningRecords, miner: Address) -> Vec<Record> {
    records
        .query(&RecordQuery {
            miner,
            from: 0,
            limit: 1_000,
        })
        .await
        .expect("records")
}

/// Pushes `count` transfers from each of the net's two accounts.
async fn fill_pool(n: &Net, nonce: &mut u64, count: u64) {
    for _ in 0..count {
        for k in [&n.secp, &n.bls] {
            n.node
                .push(send(k, *nonce), Origin::Local)
                .await
                .expect("push");
        }
        *nonce += 1;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_miners_mine_thirty_epochs() {
    let n = devnet();
    let records = Arc::new(MemoryRecords::new());
    let r = round(
        &n,
        signer(&n),
        Arc::new(OneProver(Arc::new(DigestProver))),
        records.clone(),
        Duration::from_secs(30),
    );
    let mut nonce = 0;
    let mut nulls = 0;
    let mut mined_epochs = 0;
    for _ in 0..30 {
        fill_pool(&n, &mut nonce, 3).await;
        let base = n.node.head().await.expect("head");
        let epoch = base.height() + nulls + 1;
        n.now.store(
            base.min_timestamp() + DELAY * (nulls as u64 + 1),
            Ordering::SeqCst,
        );
        let results = r.run(&miners(&n), &base, nulls).await;
        assert_eq!(results.len(), MINERS);
        let mut seen = HashSet::new();
        let mut winners = 0;
        for (i, m) in n.members.iter().enumerate() {
            let res = results
                .iter()
                .find(|x| x.miner == m.miner)
                .expect("a result");
            let expected = wins(&n, i, &base, epoch).await;
            match res.outcome {
                Outcome::Mined => {
                    assert!(expected, "{} mined at {epoch} without winning", m.miner);
                    winners += 1;
                    let b = res.block.as_ref().expect("block");
                    assert_eq!(b.header.height, epoch);
                    for c in b.bls_messages.iter().chain(&b.secpk_messages) {
                        assert!(seen.insert(*c), "message {c} in two blocks at {epoch}");
                    }
                }
                Outcome::NotWinner => assert!(!expected, "{} lost a round it won", m.miner),
                other => panic!("{} at {epoch}: {other:?} {}", m.miner, res.reason),
            }
        }
        let head = n.node.head().await.expect("head");
        if winners == 0 {
            nulls += 1;
            assert_eq!(head.key(), base.key(), "a null round changes nothing");
        } else {
            nulls = 0;
            mined_epochs += 1;
            assert_eq!(head.height(), epoch, "the winners' blocks are the head");
            assert_eq!(head.blocks().len(), winners);
        }
    }
    assert!(
        mined_epochs >= 20,
        "three equal miners win most epochs: {mined_epochs}"
    );
    // Every round of every miner is recorded, with its stage times.
    let rec = records_of(&*records, n.members[0].miner).await;
    assert_eq!(rec.len(), 30);
    assert!(rec.iter().all(|x| !x.stages.is_empty()));
}

/// A wallet that stalls for one worker key.
struct Stalling {
    inner: Arc<MemorySigner>,
    stalled: Address,
}

#[async_trait]
impl RemoteSigner for Stalling {
    async fn sign(
        &self,
        addr: &Address,
        data: &[u8],
        meta: &MsgMeta,
    ) -> venus_core::Result<Signature> {
        if *addr == self.stalled {
            tokio::time::sleep(Duration::from_secs(3600)).await;
        }
        self.inner.sign(addr, data, meta).await
    }
    async fn has(&self, addr: &Address) -> venus_core::Result<bool> {
        self.inner.has(addr).await
    }
    async fn list(&self) -> venus_core::Result<Vec<Address>> {
        self.inner.list().await
    }
}

/// A prover that fails for one miner.
struct Failing {
    miner: Address,
}

#[async_trait]
impl ComputeProof for Failing {
    async fn compute_winning_post(
        &self,
        miner: &Address,
        sectors: &[ExtendedSectorInfo],
        randomness: &[u8; 32],
    ) -> venus_core::Result<Vec<PoStProof>> {
        if *miner == self.miner {
            return Err(venus_core::Error::Crypto("sector 0 is unreadable".into()));
        }
        DigestProver
            .compute_winning_post(miner, sectors, randomness)
            .await
    }
}

/// One member's wallet stalls and another's prover fails: each costs only
/// its own miner, recorded as a timeout and as an error with the reason;
/// the third still mines the epochs it wins.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_wallet_and_a_failed_prover_cost_only_their_miner() {
    let n = devnet();
    let stalled = n.members[1].worker.address().expect("address");
    let records = Arc::new(MemoryRecords::new());
    let r = round(
        &n,
        Arc::new(Stalling {
            inner: signer(&n),
            stalled,
        }),
        Arc::new(OneProver(Arc::new(Failing {
            miner: n.members[2].miner,
        }))),
        records.clone(),
        Duration::from_secs(3),
    );
    let mut mined = 0;
    let mut failed_proof = false;
    let mut nulls = 0;
    for _ in 0..6 {
        let base = n.node.head().await.expect("head");
        let epoch = base.height() + nulls + 1;
        n.now.store(
            base.min_timestamp() + DELAY * (nulls as u64 + 1),
            Ordering::SeqCst,
        );
        let results = r.run(&miners(&n), &base, nulls).await;
        let of = |i: usize| {
            results
                .iter()
                .find(|x| x.miner == n.members[i].miner)
                .expect("result")
        };
        assert_eq!(of(1).outcome, Outcome::Timeout, "{}", of(1).reason);
        match of(2).outcome {
            Outcome::Error => {
                assert!(
                    of(2).reason.contains("sector 0 is unreadable"),
                    "{}",
                    of(2).reason
                );
                failed_proof = true;
            }
            Outcome::NotWinner => assert!(!wins(&n, 2, &base, epoch).await),
            other => panic!("the failing prover's miner: {other:?}"),
        }
        if of(0).outcome == Outcome::Mined {
            mined += 1;
            nulls = 0;
        } else {
            assert_eq!(of(0).outcome, Outcome::NotWinner);
            nulls += 1;
        }
    }
    assert!(mined > 0, "the healthy miner mined");
    assert!(failed_proof, "the failing prover's miner won at least once");
    let rec = records_of(&*records, n.members[1].miner).await;
    assert_eq!(rec.len(), 6, "one record per round");
    assert!(rec.iter().all(|x| x.outcome == Outcome::Timeout));
}

/// `Miner::run` mines epoch after epoch on the node's head, over null
/// rounds, until stopped; every block it reports is on the chain.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_miner_runs_epoch_after_epoch() {
    use venus_miner_lib::{Miner, MinerConfig};
    let n = devnet();
    // Blocks of the 2023 devnet are all due: no waiting, none from the future.
    n.now.store(
        venus_node::testing::GENESIS_TIME + 1_000_000,
        Ordering::SeqCst,
    );
    let miner = Miner::builder(MinerConfig {
        round: RoundConfig {
            instance: "test".into(),
            miner_timeout: Duration::from_secs(30),
            concurrency: 8,
            block_delay: DELAY,
            lease_ttl: Duration::from_secs(5),
        },
        propagation_delay: Duration::ZERO,
        keep_records: Duration::from_secs(3600),
    })
    .chain(n.node.clone() as Arc<dyn ChainApi>)
    .signers(Arc::new(OneSigner(signer(&n))))
    .provers(Arc::new(OneProver(Arc::new(DigestProver))))
    .slash_filter(Arc::new(MemorySlashFilter::new()))
    .members(Arc::new(miners(&n)))
    .build()
    .expect("miner");
    let stop = Arc::new(tokio::sync::Notify::new());
    let mut rounds: Vec<(i64, usize)> = Vec::new();
    let stopped = stop.clone();
    miner
        .run(async move { stopped.notified().await }, |epoch, results| {
            assert!(results
                .iter()
                .all(|r| matches!(r.outcome, Outcome::Mined | Outcome::NotWinner)));
            rounds.push((
                epoch,
                results
                    .iter()
                    .filter(|r| r.outcome == Outcome::Mined)
                    .count(),
            ));
            if rounds.len() == 12 {
                stop.notify_one();
            }
        })
        .await;
    let epochs: Vec<i64> = rounds.iter().map(|r| r.0).collect();
    assert_eq!(
        epochs,
        (1..=12).collect::<Vec<_>>(),
        "one round per epoch, in order"
    );
    let head = n.node.head().await.expect("head");
    for (epoch, mined) in rounds {
        let ts = n
            .node
            .tipset_by_height(epoch, head.key())
            .await
            .expect("tipset");
        if mined > 0 {
            assert_eq!((ts.height(), ts.blocks().len()), (epoch, mined));
        } else {
            assert!(ts.height() < epoch, "epoch {epoch} is a null round");
        }
    }
}

/// Moves the chain two blocks past the head (members 1 and 2 mining, over
/// null rounds if they must); the new head.
async fn advance_past(n: &Net, times: usize) -> TipSet {
    for _ in 0..times {
        let base = n.node.head().await.expect("head");
        'found: for round in base.height() + 1..base.height() + 20 {
            for member in [1, 2] {
                if let Some(b) = n.try_mine(member, &base, round, Vec::new()).await {
                    n.node.submit_block(b).await.expect("submit");
                    break 'found;
                }
            }
        }
    }
    n.node.head().await.expect("head")
}

/// A prover during whose proof the chain moves on without the round's
/// base: two blocks by the other members (once).
struct Reorging {
    net: Arc<Net>,
    fired: std::sync::atomic::AtomicBool,
}

#[async_trait]
impl ComputeProof for Reorging {
    async fn compute_winning_post(
        &self,
        miner: &Address,
        sectors: &[ExtendedSectorInfo],
        randomness: &[u8; 32],
    ) -> venus_core::Result<Vec<PoStProof>> {
        if !self.fired.swap(true, Ordering::SeqCst) {
            advance_past(&self.net, 2).await;
        }
        DigestProver
            .compute_winning_post(miner, sectors, randomness)
            .await
    }
}

/// The head moves past the round while its winner proves: the round is
/// abandoned as chain-forked, nothing is claimed and no block is
/// submitted on the old base.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reorg_during_the_round_submits_nothing_on_the_old_base() {
    use venus_miner_lib::slash::BlocksQuery;
    let n = Arc::new(devnet());
    let prover = Arc::new(Reorging {
        net: n.clone(),
        fired: Default::default(),
    });
    let slash = Arc::new(MemorySlashFilter::new());
    let mut r = round(
        &n,
        signer(&n),
        Arc::new(OneProver(prover.clone())),
        Arc::new(MemoryRecords::new()),
        Duration::from_secs(10),
    );
    r.slash = slash.clone();
    let miner = n.members[0].miner;
    for _ in 0..10 {
        let base = n.node.head().await.expect("head");
        n.now.store(base.min_timestamp() + DELAY, Ordering::SeqCst);
        let results = r.run(&[miner], &base, 0).await;
        if !prover.fired.load(Ordering::SeqCst) {
            // Member 0 did not win on this base: move on and try again.
            assert_eq!(results[0].outcome, Outcome::NotWinner);
            advance_past(&n, 1).await;
            continue;
        }
        assert_eq!(
            results[0].outcome,
            Outcome::ChainForked,
            "{}",
            results[0].reason
        );
        assert!(results[0].block.is_none());
        let claimed = slash.list(&BlocksQuery::default()).await.expect("list");
        assert!(
            claimed.is_empty(),
            "claimed on an abandoned base: {claimed:?}"
        );
        let head = n.node.head().await.expect("head");
        assert!(head.height() > base.height() + 1);
        let mut ts = head;
        while ts.height() > base.height() {
            assert!(
                ts.blocks().iter().all(|b| b.miner != miner),
                "a block of the abandoned round reached the chain"
            );
            ts = ChainRead::tipset(&*n.node, &ts.parents())
                .await
                .expect("parent");
        }
        return;
    }
    panic!("member 0 never won in 10 rounds");
}

/// A prover that tells of each call, then hangs, fails, or proves (with
/// `DigestProver`) after a pause.
struct Scripted {
    mode: Mode,
    calls: std::sync::atomic::AtomicUsize,
    called: tokio::sync::Notify,
}

enum Mode {
    Hang,
    Fail,
    After(Duration),
}

impl Scripted {
    fn new(mode: Mode) -> Arc<Self> {
        Arc::new(Scripted {
            mode,
            calls: Default::default(),
            called: Default::default(),
        })
    }
}

#[async_trait]
impl ComputeProof for Scripted {
    async fn compute_winning_post(
        &self,
        miner: &Address,
        sectors: &[ExtendedSectorInfo],
        randomness: &[u8; 32],
    ) -> venus_core::Result<Vec<PoStProof>> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        self.called.notify_one();
        match self.mode {
            Mode::Hang => futures::future::pending().await,
            Mode::Fail => Err(venus_core::Error::Crypto("the sealer lost its disk".into())),
            Mode::After(d) => {
                tokio::time::sleep(d).await;
                DigestProver
                    .compute_winning_post(miner, sectors, randomness)
                    .await
            }
        }
    }
}

/// Two instances of the pool, "a" and "b", on one slash filter, each with
/// its own prover; leases last `ttl`.
fn two_instances(
    n: &Net,
    a: Arc<Scripted>,
    b: Arc<Scripted>,
    ttl: Duration,
) -> (Arc<Round>, Arc<Round>) {
    let slash: Arc<dyn SlashFilter> = Arc::new(MemorySlashFilter::new());
    let make = |name: &str, prover: Arc<Scripted>| {
        let mut r = round(
            n,
            signer(n),
            Arc::new(OneProver(prover)),
            Arc::new(MemoryRecords::new()),
            Duration::from_secs(20),
        );
        r.slash = slash.clone();
        r.config.instance = name.into();
        r.config.lease_ttl = ttl;
        Arc::new(r)
    };
    (make("a", a), make("b", b))
}

/// The head, and a member that wins over it after some null rounds.
async fn next_win(n: &Net) -> (TipSet, Address, i64) {
    let base = n.node.head().await.expect("head");
    for nulls in 0..30 {
        for i in 0..MINERS {
            if wins(n, i, &base, base.height() + nulls + 1).await {
                n.now.store(
                    base.min_timestamp() + DELAY * (nulls as u64 + 1),
                    Ordering::SeqCst,
                );
                return (base, n.members[i].miner, nulls);
            }
        }
    }
    panic!("nobody wins in 30 rounds");
}

/// The instance holding a won round dies during its proof (its round is
/// dropped: no renewal, no release): the other instance waits out the
/// lease, takes the round over and mines the block.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_won_round_whose_holder_died_is_taken_over() {
    let n = devnet();
    let (hang, ok) = (
        Scripted::new(Mode::Hang),
        Scripted::new(Mode::After(Duration::ZERO)),
    );
    let (a, b) = two_instances(&n, hang.clone(), ok.clone(), Duration::from_millis(600));
    let (base, miner, nulls) = next_win(&n).await;
    let task = tokio::spawn({
        let (a, base) = (a.clone(), base.clone());
        async move { a.run(&[miner], &base, nulls).await }
    });
    hang.called.notified().await;
    task.abort();
    let results = b.run(&[miner], &base, nulls).await;
    assert_eq!(results[0].outcome, Outcome::Mined, "{}", results[0].reason);
    assert_eq!(ok.calls.load(Ordering::SeqCst), 1);
    let head = n.node.head().await.expect("head");
    assert_eq!(head.height(), base.height() + nulls + 1);
    assert!(head.blocks().iter().any(|h| h.miner == miner));
}

/// A holder whose proof fails gives the round back: the other instance
/// mines it at once. A holder that proves slowly, renewing its lease
/// (here a 1 s lease, every third of it, for 4 s), keeps it: the other instance never
/// proves that win and records it as mined elsewhere.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_holder_frees_the_round_and_a_live_one_keeps_it() {
    let n = devnet();
    let (fail, ok) = (
        Scripted::new(Mode::Fail),
        Scripted::new(Mode::After(Duration::ZERO)),
    );
    // Leases that would outlast b's patience (half its 20 s): b mines
    // only if a gave the round back.
    let (a, b) = two_instances(&n, fail.clone(), ok.clone(), Duration::from_secs(60));
    let (base, miner, nulls) = next_win(&n).await;
    let failed = a.run(&[miner], &base, nulls).await;
    assert_eq!(failed[0].outcome, Outcome::Error);
    assert!(
        failed[0].reason.contains("lost its disk"),
        "{}",
        failed[0].reason
    );
    let results = b.run(&[miner], &base, nulls).await;
    assert_eq!(results[0].outcome, Outcome::Mined, "{}", results[0].reason);

    let (slow, counted) = (
        Scripted::new(Mode::After(Duration::from_secs(4))),
        Scripted::new(Mode::After(Duration::ZERO)),
    );
    let (a, b) = two_instances(&n, slow.clone(), counted.clone(), Duration::from_secs(1));
    let (base, miner, nulls) = next_win(&n).await;
    let task = tokio::spawn({
        let (a, base) = (a.clone(), base.clone());
        async move { a.run(&[miner], &base, nulls).await }
    });
    slow.called.notified().await;
    let other = b.run(&[miner], &base, nulls).await;
    assert_eq!(other[0].outcome, Outcome::Elsewhere, "{}", other[0].reason);
    assert_eq!(
        counted.calls.load(Ordering::SeqCst),
        0,
        "the win was proved twice"
    );
    let mined = task.await.expect("a's round");
    assert_eq!(mined[0].outcome, Outcome::Mined, "{}", mined[0].reason);
}

/// An extra submit node: records the blocks it gets, or refuses them.
struct ExtraNode {
    got: std::sync::Mutex<Vec<cid::Cid>>,
    refuse: bool,
}

#[async_trait]
impl venus_core::traits::BlockApi for ExtraNode {
    async fn create_block(
        &self,
        _: venus_core::types::BlockTemplate,
    ) -> venus_core::Result<venus_core::types::BlockMsg> {
        Err(venus_core::Error::Backend("not a miner's node".into()))
    }

    async fn submit_block(&self, block: venus_core::types::BlockMsg) -> venus_core::Result<()> {
        if self.refuse {
            return Err(venus_core::Error::Backend("this node is down".into()));
        }
        self.got
            .lock()
            .expect("lock")
            .push(block.header.cid().expect("cid"));
        Ok(())
    }
}

/// A mined block goes to the extra submit nodes too, after the node took
/// it; one that refuses costs nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_block_goes_to_the_extra_submit_nodes() {
    let n = devnet();
    let down = Arc::new(ExtraNode {
        got: Default::default(),
        refuse: true,
    });
    let up = Arc::new(ExtraNode {
        got: Default::default(),
        refuse: false,
    });
    let mut r = round(
        &n,
        signer(&n),
        Arc::new(OneProver(Arc::new(DigestProver))),
        Arc::new(MemoryRecords::new()),
        Duration::from_secs(20),
    );
    r.submit_to = vec![down, up.clone()];
    let (base, miner, nulls) = next_win(&n).await;
    let results = r.run(&[miner], &base, nulls).await;
    assert_eq!(results[0].outcome, Outcome::Mined, "{}", results[0].reason);
    let block = results[0].block.as_ref().expect("block");
    // Sent on the side, after the node took it.
    let start = std::time::Instant::now();
    while up.got.lock().expect("lock").is_empty() && start.elapsed() < Duration::from_secs(10) {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        *up.got.lock().expect("lock"),
        vec![block.header.cid().expect("cid")]
    );
    let head = n.node.head().await.expect("head");
    assert!(head
        .key()
        .cids()
        .contains(&block.header.cid().expect("cid")));
}

/// A signed block whose send never landed (here the node refused it as
/// from the future; a SIGKILL between the signature and the send leaves
/// the same row) is sent again by the next round, once its signer's grace
/// (the lease's time) passed, to the node and the extra submit nodes. Without that, every later block of its miner
/// on the same parents is refused as time-offset, and a chain that the
/// pool alone mines stalls for good.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signed_block_that_never_landed_is_sent_again() {
    use venus_miner_lib::slash::{BlockState, BlocksQuery};
    let n = devnet();
    let mut r = round(
        &n,
        signer(&n),
        Arc::new(OneProver(Arc::new(DigestProver))),
        Arc::new(MemoryRecords::new()),
        Duration::from_secs(30),
    );
    r.config.lease_ttl = Duration::from_secs(1);
    let extra = Arc::new(ExtraNode {
        got: Default::default(),
        refuse: false,
    });
    r.submit_to = vec![extra.clone()];
    let base = n.node.head().await.expect("head");
    // The node's clock an epoch or more behind the blocks' time: it
    // refuses every block of the round, after the signatures.
    let mut nulls = 0;
    let mut signed: Vec<Address> = loop {
        assert!(nulls < 10, "no member won in 10 rounds");
        n.now.store(base.min_timestamp(), Ordering::SeqCst);
        let results = r.run(&miners(&n), &base, nulls).await;
        let won: Vec<_> = results
            .iter()
            .filter(|x| x.outcome != Outcome::NotWinner)
            .collect();
        if won.is_empty() {
            nulls += 1;
            continue;
        }
        for x in &won {
            assert_eq!(x.outcome, Outcome::Error, "{}", x.reason);
            assert!(x.reason.contains("submit"), "{}", x.reason);
        }
        break won.iter().map(|x| x.miner).collect();
    };
    signed.sort_by_key(|a| a.to_string());
    let epoch = base.height() + nulls + 1;
    assert_eq!(n.node.head().await.expect("head").key(), base.key());
    let rows = r.slash.list(&BlocksQuery::default()).await.expect("list");
    assert_eq!(rows.len(), signed.len());
    assert!(rows
        .iter()
        .all(|b| b.epoch == epoch && b.state == BlockState::Failed && b.cid.is_some()));

    // The node's clock right again. Within the grace nothing is sent
    // again (its signer may still be sending it)...
    n.now.store(
        base.min_timestamp() + DELAY * (nulls as u64 + 2),
        Ordering::SeqCst,
    );
    let mut taken = 0;
    for x in &rows {
        taken += n.node.block_messages(&x.cid.expect("cid")).await.is_ok() as usize;
    }
    assert_eq!(taken, 0, "no block of the epoch reached the node");
    assert!(
        extra.got.lock().expect("lock").is_empty(),
        "a block the node refused went to the extra submit node"
    );
    // ...after it, the next round sends them before its own blocks.
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    let results = r.run(&miners(&n), &base, nulls + 1).await;
    for x in &rows {
        let cid = x.cid.expect("cid");
        n.node
            .block_messages(&cid)
            .await
            .unwrap_or_else(|e| panic!("block {cid} of {} was not sent again: {e}", x.miner));
        // Sent on the side, after the node took it.
        let start = std::time::Instant::now();
        while !extra.got.lock().expect("lock").contains(&cid) {
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "block {cid} of {} was not sent again to the extra submit node",
                x.miner
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    let rows = r.slash.list(&BlocksQuery::default()).await.expect("list");
    let resent: Vec<_> = rows.iter().filter(|b| b.epoch == epoch).collect();
    assert!(resent
        .iter()
        .all(|b| b.state == BlockState::Submitted
            && b.reason.contains("sent again by instance test")));
    // The signed blocks bind their parents: their miners sign nothing
    // else on the same base.
    for x in &results {
        if signed.contains(&x.miner) {
            assert_ne!(
                x.outcome,
                Outcome::Mined,
                "{} signed twice on one base",
                x.miner
            );
        }
    }
    let head = n.node.head().await.expect("head");
    assert!(
        head.height() >= epoch,
        "the chain moved on: {}",
        head.height()
    );
    let mut at_epoch: Vec<Address> = n
        .node
        .tipset_by_height(epoch, head.key())
        .await
        .expect("tipset")
        .blocks()
        .iter()
        .map(|b| b.miner)
        .collect();
    at_epoch.sort_by_key(|a| a.to_string());
    if head.height() == epoch {
        assert_eq!(at_epoch, signed, "the head is the blocks sent again");
    }
}
