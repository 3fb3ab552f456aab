//! One SlashFilter suite, run on the in-memory filter, SQLite and MySQL;
//! and two instances racing for the same epochs on one database.

#![allow(missing_docs)]

use std::sync::Arc;
use std::time::Duration;

use cid::Cid;
use venus_core::types::TipSetKey;
use venus_core::Address;
use venus_miner_lib::slash::{
    BlockClaim, BlockState, BlocksQuery, Claim, LeaseHolder, MemorySlashFilter, Refusal,
    SlashFilter, SqlSlashFilter,
};
use venus_miner_lib::MIGRATIONS;
use venus_sql::harness::TestDb;

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_millis() as i64
}

fn cid(n: u32) -> Cid {
    let mut d = [0u8; 32];
    d[..4].copy_from_slice(&n.to_be_bytes());
    Cid::new_v1(
        0x71,
        cid::multihash::Multihash::wrap(0xb220, &d).expect("multihash"),
    )
}

fn miner(id: u64) -> Address {
    Address::new_id(id)
}

/// A block of `m` at `epoch` on `parents` (their CIDs), numbered `n`.
fn block(m: u64, epoch: i64, parents: &[u32], n: u32, instance: &str) -> BlockClaim {
    BlockClaim {
        miner: miner(m),
        epoch,
        parent_epoch: epoch - 1,
        parents: TipSetKey::new(parents.iter().map(|p| cid(*p)).collect()),
        unsigned: cid(n),
        instance: instance.into(),
    }
}

async fn suite(f: Arc<dyn SlashFilter>) {
    // A first claim, and the same block again (a restart that rebuilt it).
    let b10 = block(1000, 10, &[900], 1, "a");
    assert_eq!(f.claim(&b10).await.expect("claim"), Claim::Granted);
    assert_eq!(f.claim(&b10).await.expect("again"), Claim::Again);
    // Another block at the same epoch: double-fork from this instance,
    // taken from another (even the very same block: its holder signs it).
    let other = block(1000, 10, &[901], 2, "a");
    assert_eq!(
        f.claim(&other).await.expect("claim"),
        Claim::Refused(Refusal::DoubleFork { other: cid(1) })
    );
    let elsewhere = block(1000, 10, &[902], 3, "b");
    assert_eq!(
        f.claim(&elsewhere).await.expect("claim"),
        Claim::Refused(Refusal::TakenBy {
            instance: "a".into()
        })
    );
    let same_elsewhere = BlockClaim {
        instance: "b".into(),
        ..b10.clone()
    };
    assert_eq!(
        f.claim(&same_elsewhere).await.expect("claim"),
        Claim::Refused(Refusal::TakenBy {
            instance: "a".into()
        })
    );
    // Nobody but the holder touches a claim.
    assert!(f.signed(&same_elsewhere, &cid(99), &[]).await.is_err());
    assert!(f
        .finish(&same_elsewhere, BlockState::Failed, "")
        .await
        .is_err());
    assert!(!f.release(&same_elsewhere).await.expect("release"));
    assert!(
        f.signed(&other, &cid(99), &[]).await.is_err(),
        "another block's claim"
    );
    // The same parents at another epoch: time-offset (b10 is signed, so
    // it may have left the miner).
    f.signed(&b10, &cid(100), &[]).await.expect("signed");
    let offset = block(1000, 12, &[900], 4, "a");
    assert_eq!(
        f.claim(&offset).await.expect("claim"),
        Claim::Refused(Refusal::TimeOffset {
            other: cid(1),
            epoch: 10
        })
    );
    // Another miner is not held by any of it.
    assert_eq!(
        f.claim(&block(1001, 10, &[900], 5, "a"))
            .await
            .expect("claim"),
        Claim::Granted
    );

    // Parent-grinding: once our block of epoch 10 is signed, a block at 11
    // must build on it...
    let grinding = block(1000, 11, &[901, 902], 6, "a");
    assert_eq!(
        f.claim(&grinding).await.expect("claim"),
        Claim::Refused(Refusal::ParentGrinding { ours: cid(100) })
    );
    // After a null round the check is at the parents' height, not the
    // epoch before.
    let mut after_null = block(1000, 13, &[901], 40, "a");
    after_null.parent_epoch = 10;
    assert_eq!(
        f.claim(&after_null).await.expect("claim"),
        Claim::Refused(Refusal::ParentGrinding { ours: cid(100) })
    );
    let b11 = block(1000, 11, &[100, 901], 7, "a");
    assert_eq!(f.claim(&b11).await.expect("claim"), Claim::Granted);
    // ...but a claim that never got its signature binds nothing (it is
    // fenced).
    assert_eq!(
        f.claim(&block(1001, 11, &[903], 8, "a"))
            .await
            .expect("claim"),
        Claim::Granted
    );

    // Outcomes, kept with the claim; a failed block still holds its epoch.
    f.finish(&b11, BlockState::Failed, "node refused it: 'x'; --")
        .await
        .expect("finish");
    f.finish(&b10, BlockState::Submitted, "")
        .await
        .expect("finish");
    assert_eq!(
        f.claim(&block(1000, 11, &[100], 9, "a"))
            .await
            .expect("claim"),
        Claim::Refused(Refusal::DoubleFork { other: cid(7) })
    );
    let unclaimed = block(1000, 99, &[1], 1, "a");
    assert!(f.finish(&unclaimed, BlockState::Failed, "").await.is_err());
    assert!(f.signed(&unclaimed, &cid(1), &[]).await.is_err());

    // Newest first, filtered and paged.
    let all = f.list(&BlocksQuery::default()).await.expect("list");
    let got: Vec<(String, i64)> = all.iter().map(|b| (b.miner.to_string(), b.epoch)).collect();
    assert_eq!(
        got,
        vec![
            ("f01000".to_string(), 11),
            ("f01001".to_string(), 11),
            ("f01000".to_string(), 10),
            ("f01001".to_string(), 10),
        ]
    );
    let first = &all[2];
    assert_eq!(first.unsigned, cid(1));
    assert_eq!(first.cid, Some(cid(100)));
    assert_eq!(first.state, BlockState::Submitted);
    assert_eq!(first.parents, TipSetKey::new(vec![cid(900)]));
    assert_eq!(first.parent_epoch, 9);
    assert_eq!(first.instance, "a");
    assert_eq!(all[0].state, BlockState::Failed);
    assert_eq!(all[0].reason, "node refused it: 'x'; --");
    let page = f
        .list(&BlocksQuery {
            miners: vec![miner(1000)],
            limit: 1,
            offset: 1,
        })
        .await
        .expect("page");
    assert_eq!(page.len(), 1);
    assert_eq!((page[0].miner, page[0].epoch), (miner(1000), 10));

    // A claim whose signature never came can be given up, freeing its
    // epoch and its parents; another block's claim or a signed one cannot.
    let refused = block(1002, 20, &[950], 30, "a");
    assert_eq!(f.claim(&refused).await.expect("claim"), Claim::Granted);
    assert!(!f
        .release(&block(1002, 20, &[950], 31, "a"))
        .await
        .expect("release"));
    assert!(f.release(&refused).await.expect("release"));
    assert!(!f.release(&refused).await.expect("again"));
    let b20 = block(1002, 20, &[951], 33, "a");
    assert_eq!(
        f.claim(&b20).await.expect("the epoch, free again"),
        Claim::Granted
    );
    // (After a null round: b20 is not at these parents' height.)
    let mut after_null = block(1002, 21, &[950], 32, "a");
    after_null.parent_epoch = 19;
    assert_eq!(
        f.claim(&after_null)
            .await
            .expect("same parents, no longer held"),
        Claim::Granted
    );
    f.signed(&b20, &cid(200), &[]).await.expect("signed");
    assert!(!f.release(&b20).await.expect("signed: kept"));

    // A claim whose signature was never recorded never left the miner (an
    // instance killed or hung between claim and signature): the next
    // epoch's claim fences it, whichever instance holds it, so it can no
    // longer be signed, and its row says why.
    let pending = block(1003, 30, &[960], 50, "b");
    assert_eq!(f.claim(&pending).await.expect("claim"), Claim::Granted);
    let next = block(1003, 31, &[961], 51, "a");
    assert_eq!(f.claim(&next).await.expect("claim"), Claim::Granted);
    assert!(
        f.signed(&pending, &cid(53), &[]).await.is_err(),
        "a fenced claim cannot be signed"
    );
    assert_eq!(
        f.claim(&pending).await.expect("claim"),
        Claim::Refused(Refusal::Fenced),
        "its instance, claiming it again (restarted), learns before asking for a signature"
    );
    assert!(f.finish(&pending, BlockState::Submitted, "").await.is_err());
    let rows = f
        .list(&BlocksQuery {
            miners: vec![miner(1003)],
            ..Default::default()
        })
        .await
        .expect("list");
    assert_eq!(rows[1].epoch, 30);
    assert_eq!(rows[1].state, BlockState::Failed);
    assert!(
        rows[1].reason.contains("instance a claimed epoch 31"),
        "{}",
        rows[1].reason
    );
    f.signed(&next, &cid(54), &[])
        .await
        .expect("the fencing claim signs");
    // A signature recorded first wins over the fence: the later claim is
    // refused.
    let signed_first = block(1009, 30, &[990], 80, "b");
    assert_eq!(f.claim(&signed_first).await.expect("claim"), Claim::Granted);
    f.signed(&signed_first, &cid(81), &[])
        .await
        .expect("signed");
    assert_eq!(
        f.claim(&block(1009, 31, &[991], 82, "a"))
            .await
            .expect("claim"),
        Claim::Refused(Refusal::ParentGrinding { ours: cid(81) })
    );

    // The same on the same parents: a later block there is no time-offset
    // against an unsigned claim (it takes the parents over) and fences it,
    // while its own epoch stays held; once one is signed, it binds.
    let unsent = block(1008, 30, &[980], 70, "a");
    assert_eq!(f.claim(&unsent).await.expect("claim"), Claim::Granted);
    let b31 = block(1008, 31, &[980], 71, "a");
    assert_eq!(f.claim(&b31).await.expect("claim"), Claim::Granted);
    assert!(f.signed(&unsent, &cid(79), &[]).await.is_err(), "fenced");
    assert_eq!(
        f.claim(&unsent).await.expect("claim"),
        Claim::Refused(Refusal::Fenced)
    );
    assert_eq!(
        f.claim(&b31).await.expect("claim"),
        Claim::Again,
        "the fencing claim, unsigned yet, may be signed again"
    );
    let b32 = block(1008, 32, &[980], 72, "b");
    assert_eq!(
        f.claim(&b32).await.expect("claim"),
        Claim::Granted,
        "another instance's unsigned claim does not stall the miner"
    );
    assert!(f.signed(&b31, &cid(73), &[]).await.is_err(), "fenced");
    assert_eq!(
        f.claim(&b31).await.expect("claim"),
        Claim::Refused(Refusal::Fenced),
        "fenced in turn"
    );
    assert_eq!(
        f.claim(&BlockClaim {
            instance: "b".into(),
            ..b31.clone()
        })
        .await
        .expect("claim"),
        Claim::Refused(Refusal::TakenBy {
            instance: "a".into()
        }),
        "another instance's fenced block stays its"
    );
    f.signed(&b32, &cid(74), &[]).await.expect("signed");
    assert_eq!(
        f.claim(&block(1008, 33, &[980], 75, "a"))
            .await
            .expect("claim"),
        Claim::Refused(Refusal::TimeOffset {
            other: cid(72),
            epoch: 32
        }),
        "a signed block binds"
    );
    assert!(f
        .release(&unsent)
        .await
        .expect("the unsent claim is released"));
    assert_eq!(
        f.claim(&block(1008, 34, &[980], 76, "b"))
            .await
            .expect("claim"),
        Claim::Refused(Refusal::TimeOffset {
            other: cid(72),
            epoch: 32
        }),
        "releasing the fenced claim left the parents' holder"
    );

    // Nothing is claimed below an epoch the miner already claimed (by
    // any instance): that block's parents could not hold it.
    assert_eq!(
        f.claim(&block(1006, 50, &[970], 60, "a"))
            .await
            .expect("claim"),
        Claim::Granted
    );
    assert_eq!(
        f.claim(&block(1006, 49, &[971], 61, "b"))
            .await
            .expect("claim"),
        Claim::Refused(Refusal::Later { epoch: 50 })
    );
    assert_eq!(
        f.claim(&block(1007, 49, &[972], 62, "b"))
            .await
            .expect("claim"),
        Claim::Granted,
        "another miner's epochs are its own"
    );

    unsent_blocks(&*f).await;

    // Leases: the first instance to take a won round keeps it (also
    // after a restart); the other is told who has it; other epochs and
    // miners are free.
    let m = venus_core::Address::new_id(1004);
    let long = Duration::from_secs(60);
    let holder = |l: Option<LeaseHolder>| l.map(|h| (h.instance, h.proved));
    assert_eq!(f.lease(&m, 40, "a", long).await.expect("lease"), None);
    assert_eq!(f.lease(&m, 40, "a", long).await.expect("renew"), None);
    let taken = f.lease(&m, 40, "b", long).await.expect("taken");
    assert_eq!(holder(taken.clone()), Some(("a".into(), false)));
    assert!(taken.expect("held").until_ms > now_ms() + 50_000);
    assert_eq!(f.lease(&m, 41, "b", long).await.expect("next epoch"), None);
    let other = venus_core::Address::new_id(1005);
    assert_eq!(
        f.lease(&other, 40, "b", long).await.expect("other miner"),
        None
    );

    // A lease that lapses (its holder stopped renewing) is taken over by
    // the next instance that asks; the old holder is then told so.
    let short = Duration::from_millis(100);
    assert_eq!(f.lease(&m, 42, "a", short).await.expect("lease"), None);
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert_eq!(f.lease(&m, 42, "b", long).await.expect("take over"), None);
    assert_eq!(
        holder(f.lease(&m, 42, "a", long).await.expect("late renew")),
        Some(("b".into(), false))
    );
    assert!(!f.settle_lease(&m, 42, "a", true).await.expect("not a's"));
    // A proved lease never lapses.
    assert!(f.settle_lease(&m, 42, "b", true).await.expect("proved"));
    assert_eq!(f.lease(&m, 42, "b", short).await.expect("b's still"), None);
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert_eq!(
        holder(f.lease(&m, 42, "c", long).await.expect("proved")),
        Some(("b".into(), true))
    );
    // A lease given back (the proof failed) is free at once.
    assert_eq!(f.lease(&m, 43, "a", long).await.expect("lease"), None);
    assert!(f
        .settle_lease(&m, 43, "a", false)
        .await
        .expect("given back"));
    assert_eq!(f.lease(&m, 43, "b", long).await.expect("free"), None);
    assert!(!f.settle_lease(&m, 44, "a", true).await.expect("no lease"));
    // Pruning forgets the epochs below the mark only.
    assert_eq!(f.prune_leases(42).await.expect("prune"), 3);
    assert_eq!(f.lease(&m, 40, "c", long).await.expect("forgotten"), None);
    assert_eq!(
        holder(f.lease(&m, 42, "c", long).await.expect("kept")),
        Some(("b".into(), true))
    );
}

/// The newest recorded block of `m`.
async fn newest(f: &dyn SlashFilter, m: Address) -> Vec<venus_miner_lib::slash::MinedBlock> {
    f.list(&BlocksQuery {
        miners: vec![m],
        limit: 1,
        offset: 0,
    })
    .await
    .expect("list")
}

/// A signed block no node is known to have taken is kept with its bytes
/// and offered to any instance once the grace passed, and at once after a
/// failed send, until one records it taken; claims without a signature,
/// blocks taken, other miners and epochs below the mark are not offered.
/// Its signer's late outcome does not undo a send by another.
async fn unsent_blocks(f: &dyn SlashFilter) {
    let (m10, m11) = (miner(1010), miner(1011));
    let s55 = block(1010, 55, &[985], 88, "a");
    let s60 = block(1010, 60, &[990], 90, "a");
    for b in [&s55, &s60] {
        assert_eq!(f.claim(b).await.expect("claim"), Claim::Granted);
    }
    f.signed(&s55, &cid(89), b"block 55").await.expect("signed");
    f.signed(&s60, &cid(91), b"block 60").await.expect("signed");
    let claimed_only = block(1011, 60, &[990], 92, "b");
    assert_eq!(f.claim(&claimed_only).await.expect("claim"), Claim::Granted);
    let taken = block(1011, 62, &[992], 93, "b");
    assert_eq!(f.claim(&taken).await.expect("claim"), Claim::Granted);
    f.signed(&taken, &cid(94), b"block 62")
        .await
        .expect("signed");
    f.finish(&taken, BlockState::Submitted, "")
        .await
        .expect("finish");
    let both = [m10, m11];
    let offered = f.unsent(&both, 60, Duration::ZERO).await.expect("unsent");
    assert_eq!(offered.len(), 1, "{offered:?}");
    let u = &offered[0];
    assert_eq!((u.miner, u.epoch, u.cid), (m10, 60, cid(91)));
    assert_eq!((u.instance.as_str(), u.state), ("a", BlockState::Signed));
    assert_eq!(u.block, b"block 60");
    assert!(
        f.unsent(&both, 60, Duration::from_secs(60))
            .await
            .expect("unsent")
            .is_empty(),
        "within the grace the signer still sends it"
    );
    assert!(f
        .unsent(&both, 61, Duration::ZERO)
        .await
        .expect("unsent")
        .is_empty());
    assert!(f
        .unsent(&[m11], 0, Duration::ZERO)
        .await
        .expect("unsent")
        .is_empty());
    // A failed send is offered too, at once.
    f.finish(&s60, BlockState::Failed, "submit: refused")
        .await
        .expect("finish");
    let offered = f
        .unsent(&both, 60, Duration::from_secs(60))
        .await
        .expect("unsent");
    assert_eq!(offered.len(), 1);
    assert_eq!(offered[0].state, BlockState::Failed);
    assert!(f.resent(&offered[0], "b").await.expect("resent"));
    assert!(!f.resent(&offered[0], "c").await.expect("once"));
    assert!(f
        .unsent(&both, 60, Duration::ZERO)
        .await
        .expect("unsent")
        .is_empty());
    let row = newest(f, m10).await;
    assert_eq!(row[0].state, BlockState::Submitted);
    assert!(
        row[0].reason.contains("sent again by instance b"),
        "{}",
        row[0].reason
    );
    // Its signer, alive after all, records a failed send late: the block
    // stays taken.
    f.finish(&s60, BlockState::Failed, "submit: timed out")
        .await
        .expect("finish");
    let row = newest(f, m10).await;
    assert_eq!(row[0].state, BlockState::Submitted);
    assert!(row[0].reason.contains("sent again"), "{}", row[0].reason);
}

#[tokio::test]
async fn memory_filter_conforms() {
    suite(Arc::new(MemorySlashFilter::new())).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sql_filter_conforms_on_each_backend() {
    venus_sql::harness::on_each_backend(&MIGRATIONS, |db| async move {
        suite(Arc::new(SqlSlashFilter::new(db))).await
    })
    .await;
}

type Filter = Arc<dyn SlashFilter>;

/// Two instances' filters, each on its own connection pool, over one fresh
/// database of `backend` (which the returned `TestDb` keeps); `None` when
/// that backend is not configured (the harness says it was skipped).
async fn two_instances(backend: venus_sql::SqlBackend) -> Option<(TestDb, Filter, Filter)> {
    let t = venus_sql::harness::fresh(backend, &MIGRATIONS).await?;
    let a: Filter = Arc::new(SqlSlashFilter::new(t.db.clone()));
    let other = venus_sql::connect(&t.url, &MIGRATIONS)
        .await
        .expect("second pool");
    let b: Filter = Arc::new(SqlSlashFilter::new(other));
    Some((t, a, b))
}

/// Two instances, each with its own connection pool on one database,
/// claim the same 20 epochs for three miners at once, each with a block of
/// its own: every (miner, epoch) is granted to exactly one of them, and
/// the other is told who holds it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_never_both_get_an_epoch() {
    for backend in [venus_sql::SqlBackend::Sqlite, venus_sql::SqlBackend::MySql] {
        let Some((_db, a, b)) = two_instances(backend).await else {
            continue;
        };
        let mut granted = std::collections::HashMap::new();
        // Epoch after epoch, as miners claim (a claim below a claimed
        // epoch is refused); within one epoch, all at once.
        for epoch in 1..=20i64 {
            let mut tasks = Vec::new();
            for m in 1000..1003u64 {
                for (i, (f, name)) in [(a.clone(), "a"), (b.clone(), "b")].into_iter().enumerate() {
                    let n = (epoch as u32) * 100 + (m as u32 - 1000) * 10 + i as u32;
                    let mut claim = block(m, epoch, &[epoch as u32 * 7 + i as u32], n, name);
                    claim.parent_epoch = 0;
                    tasks.push(tokio::spawn(async move {
                        (m, epoch, name, f.claim(&claim).await.expect("claim"))
                    }));
                }
            }
            for t in tasks {
                let (m, epoch, name, claim) = t.await.expect("task");
                match claim {
                    Claim::Granted => {
                        assert!(
                            granted.insert((m, epoch), name).is_none(),
                            "{m} at {epoch} granted twice"
                        );
                    }
                    Claim::Refused(Refusal::TakenBy { instance }) => {
                        assert_ne!(instance, name, "refused in favour of another instance")
                    }
                    other => panic!("{m} at {epoch} for {name}: {other:?}"),
                }
            }
        }
        assert_eq!(
            granted.len(),
            60,
            "{backend:?}: every (miner, epoch) granted once"
        );
    }
}

/// Two instances racing over two connection pools, 30 times on each
/// backend, with their starts staggered by 0–3 ms: never two signed blocks
/// that are a fault.
///
/// - An instance records its signature while another's claim on the same
///   parents at a later epoch would fence it: exactly one of them wins.
/// - A late winner claims and signs epoch 100 while another instance
///   claims epoch 101 on parents without it: never both signed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_instances_never_both_sign_a_fault() {
    for backend in [venus_sql::SqlBackend::Sqlite, venus_sql::SqlBackend::MySql] {
        let Some((_db, a, b)) = two_instances(backend).await else {
            continue;
        };
        let (mut fenced, mut both_refused) = (0, 0);
        for m in 2000..2030u64 {
            let n = m as u32 * 10;
            let stagger = Duration::from_millis(m % 4);
            // The same parents, after a null round at 10.
            let mut first = block(m, 10, &[n], n + 1, "a");
            first.parent_epoch = 9;
            assert_eq!(a.claim(&first).await.expect("claim"), Claim::Granted);
            let mut later = block(m, 11, &[n], n + 2, "b");
            later.parent_epoch = 9;
            let (a2, first2) = (a.clone(), first.clone());
            let sign = tokio::spawn(async move {
                tokio::time::sleep(stagger).await;
                a2.signed(&first2, &cid(n + 3), &[]).await.is_ok()
            });
            let claim = b.claim(&later).await.expect("claim");
            let signed = sign.await.expect("task");
            match claim {
                Claim::Granted => {
                    assert!(!signed, "{backend:?} {m}: signed and fenced");
                    fenced += 1;
                }
                Claim::Refused(Refusal::TimeOffset { other, epoch }) => {
                    assert!(signed, "{backend:?} {m}: neither won");
                    assert_eq!((other, epoch), (cid(n + 1), 10));
                }
                other => panic!("{backend:?} {m}: {other:?}"),
            }

            // Epoch 100 (late) against 101 on parents without it.
            let m = m + 100;
            let low = block(m, 100, &[n + 5], n + 6, "a");
            let mut high = block(m, 101, &[n + 7], n + 8, "b");
            high.parent_epoch = 100;
            let sign_if_granted = |f: Arc<dyn SlashFilter>, c: BlockClaim, sig: u32, wait| async move {
                tokio::time::sleep(wait).await;
                match f.claim(&c).await.expect("claim") {
                    Claim::Granted => f.signed(&c, &cid(sig), &[]).await.is_ok(),
                    Claim::Refused(_) => false,
                    Claim::Again => panic!("a first claim answered Again"),
                }
            };
            let low_task = tokio::spawn(sign_if_granted(a.clone(), low, n + 9, stagger));
            let high_signed = sign_if_granted(b.clone(), high, n + 4, Duration::ZERO).await;
            let low_signed = low_task.await.expect("task");
            assert!(
                !(low_signed && high_signed),
                "{backend:?} {m}: 101 signed on parents without our signed 100"
            );
            both_refused += usize::from(!low_signed && !high_signed);
        }
        println!(
            "{backend:?}: the later claim fenced the signature in {fenced} of 30 races; \
             100 and 101 were both given up in {both_refused} of 30"
        );
    }
}
