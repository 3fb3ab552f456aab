//! The messager through a real devnet node (venus-node's test net): every
//! state transition, and Venus's reported failures reproduced and held
//! (venus#5675 estimate failures, venus#5375 multi-height reverts,
//! venus#5589 a replace racing the original, venus#5969 messages that
//! landed while the messager was down).

#![allow(missing_docs)]

use std::sync::Arc;
use std::time::Duration;

use venus_core::traits::{ChainApi, ChainRead, MemorySigner, MessageApi, RemoteSigner};
use venus_core::types::{SignedMessage, TipSet};
use venus_core::{Address, Message, TokenAmount};
use venus_messager_lib::store::{ListQuery, MessageStore, SqlMessageStore};
use venus_messager_lib::{
    MessageState, Messager, MessagerConfig, MessagerError, SendSpec, Signers, MIGRATIONS,
};
use venus_node::testing::{mine, net, Net};
use venus_sql::harness::TestDb;

struct Pool {
    n: Net,
    m: Messager,
    store: Arc<SqlMessageStore>,
    from: Address,
    _db: TestDb,
}

async fn pool() -> Pool {
    let n = net();
    let db = venus_sql::harness::sqlite(&MIGRATIONS).await;
    let store = Arc::new(SqlMessageStore::new(db.db.clone()));
    let from = n.secp.address().expect("address");
    store.add_address(&from).await.expect("add");
    let m = messager(&n, store.clone(), "one");
    Pool {
        n,
        m,
        store,
        from,
        _db: db,
    }
}

fn messager(n: &Net, store: Arc<SqlMessageStore>, instance: &str) -> Messager {
    let wallet = MemorySigner::new();
    wallet.add(n.secp.clone()).expect("key");
    let wallet: Arc<dyn RemoteSigner> = Arc::new(wallet);
    let signers: Arc<dyn Signers> = Arc::new(wallet);
    let chain: Arc<dyn ChainApi> = n.node.clone();
    Messager::builder(MessagerConfig {
        instance: instance.into(),
        replace_after_epochs: 0,
        ..Default::default()
    })
    .store(store)
    .chain(chain)
    .signers(signers)
    .build()
    .expect("messager")
}

fn send(from: Address, value: u64) -> Message {
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

/// Mines one block on the head with `msgs` (the pool's selection when
/// `None`) and makes it the head.
async fn step(n: &Net, msgs: Option<Vec<SignedMessage>>) -> TipSet {
    let head = n.node.head().await.expect("head");
    let msgs = match msgs {
        Some(m) => m,
        None => n
            .node
            .select_messages(head.key(), 1.0)
            .await
            .expect("select"),
    };
    let b = mine(n, &head, head.height() + 1, msgs).await;
    n.node.submit_block(b).await.expect("submit");
    n.node.head().await.expect("head")
}

/// Pushes one transfer per value, in order; returns their ids.
async fn push_sends(p: &Pool, values: std::ops::Range<u64>) -> Vec<String> {
    let mut ids = Vec::new();
    for v in values {
        ids.push(
            p.m.push(None, send(p.from, v), SendSpec::default(), "alice")
                .await
                .expect("push"),
        );
    }
    ids
}

async fn state(p: &Pool, id: &str) -> MessageState {
    p.m.get(id).await.expect("get").state
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_transition_through_a_real_node() {
    let p = pool().await;
    let ids = push_sends(&p, 1000..1003).await;
    assert_eq!(state(&p, &ids[0]).await, MessageState::Unfilled);

    // Filled: nonce, gas and signature, pushed to the node.
    let r = p.m.pass().await.expect("pass");
    assert_eq!((r.filled, r.signed, r.push_failures), (3, 3, 0));
    for (i, id) in ids.iter().enumerate() {
        let m = p.m.get(id).await.expect("get");
        assert_eq!(m.state, MessageState::Filled);
        assert_eq!(m.nonce, Some(i as u64));
        assert!(m.message.gas_limit > 0 && !m.message.gas_fee_cap.is_zero());
        let signed = m.signed().expect("signed");
        assert_eq!(Some(signed.cid().expect("cid")), m.signed_cid);
    }
    assert_eq!(p.n.node.mpool().pending().await.len(), 3);
    // A filled message holds a nonce: it is replaced, never marked bad.
    assert!(matches!(
        p.m.mark_bad(&ids[0]).await,
        Err(MessagerError::State {
            state: MessageState::Filled,
            ..
        })
    ));

    // On chain: included in one block, executed in the next.
    step(&p.n, None).await;
    step(&p.n, None).await;
    let r = p.m.pass().await.expect("pass");
    assert_eq!(r.landed, 3);
    for id in &ids {
        let m = p.m.wait(id, 0, Duration::from_secs(5)).await.expect("wait");
        assert_eq!(m.state, MessageState::OnChain);
        let receipt = m.receipt.expect("receipt");
        assert!(receipt.exit_code.is_success());
        assert!(receipt.gas_used > 0);
        assert!(m.height.is_some() && m.tipset.is_some());
    }

    // Failed: marked bad; a message on chain cannot be.
    let bad =
        p.m.push(
            Some("bad-1".into()),
            send(p.from, 1),
            SendSpec::default(),
            "alice",
        )
        .await
        .expect("push");
    p.m.mark_bad(&bad).await.expect("mark bad");
    assert_eq!(state(&p, &bad).await, MessageState::Failed);
    assert!(matches!(
        p.m.mark_bad(&ids[0]).await,
        Err(MessagerError::State {
            state: MessageState::OnChain,
            ..
        })
    ));

    // Bad input: a clear error and nothing stored.
    let before = p
        .store
        .list(&ListQuery::default())
        .await
        .expect("list")
        .len();
    let stranger = venus_node::testing::key(venus_core::SignatureType::Secp256k1, 99)
        .address()
        .expect("address");
    assert!(matches!(
        p.m.push(None, send(stranger, 1), SendSpec::default(), "alice")
            .await,
        Err(MessagerError::Address(_))
    ));
    let rich = send(p.from, 0);
    let rich = Message {
        value: TokenAmount::from_whole(1_000_000),
        ..rich
    };
    assert!(matches!(
        p.m.push(None, rich, SendSpec::default(), "alice").await,
        Err(MessagerError::Invalid(e)) if e.contains("balance")
    ));
    // Another message under a taken id is refused; the same one again (a
    // retry that lost its answer) answers the id and stores nothing.
    assert!(matches!(
        p.m.push(
            Some("bad-1".into()),
            send(p.from, 2),
            SendSpec::default(),
            "alice"
        )
        .await,
        Err(MessagerError::Duplicate(_))
    ));
    assert_eq!(
        p.m.push(
            Some("bad-1".into()),
            send(p.from, 1),
            SendSpec::default(),
            "alice"
        )
        .await
        .expect("retry"),
        "bad-1"
    );
    assert!(matches!(
        p.m.get("no-such-id").await,
        Err(MessagerError::NotFound(_))
    ));
    assert_eq!(
        p.store
            .list(&ListQuery::default())
            .await
            .expect("list")
            .len(),
        before
    );
}

/// venus#5675: messages whose estimate fails take no nonce and do not
/// hold back the sender's later messages.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_estimate_failure_holds_back_nothing() {
    let p = pool().await;
    let failing = Message {
        to: p.n.miner,
        method_num: 9_999,
        ..send(p.from, 0)
    };
    let early =
        p.m.push(None, failing, SendSpec::default(), "alice")
            .await
            .expect("push");
    let later = push_sends(&p, 10..12).await;
    let r = p.m.pass().await.expect("pass");
    assert_eq!((r.estimate_failures, r.filled), (1, 2));
    let e = p.m.get(&early).await.expect("get");
    assert_eq!((e.state, e.nonce), (MessageState::Unfilled, None));
    assert!(e.error.contains("exit"), "{}", e.error);
    step(&p.n, None).await;
    step(&p.n, None).await;
    p.m.pass().await.expect("pass");
    for (i, id) in later.iter().enumerate() {
        let m = p.m.get(id).await.expect("get");
        assert_eq!((m.state, m.nonce), (MessageState::OnChain, Some(i as u64)));
    }
    assert_eq!(state(&p, &early).await, MessageState::Unfilled);
}

/// venus#5969: messages that landed while the messager was down are found
/// by the first pass of the next one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_that_landed_while_down_are_found_at_start() {
    let p = pool().await;
    let ids = push_sends(&p, 0..4).await;
    p.m.pass().await.expect("pass");
    let Pool {
        n, m, store, _db, ..
    } = p;
    drop(m);
    step(&n, None).await;
    step(&n, None).await;
    let again = messager(&n, store.clone(), "one");
    let r = again.pass().await.expect("pass");
    assert_eq!(r.landed, 4);
    for id in &ids {
        assert_eq!(
            again.get(id).await.expect("get").state,
            MessageState::OnChain
        );
    }
}

/// venus#5375: a reorg reverts 3 heights that held our messages; they go
/// back to filled, are pushed again, and land on the heavier fork, nonces
/// with no gap.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revert_of_three_heights_then_a_different_apply() {
    let p = pool().await;
    let g = p.n.node.head().await.expect("head");
    let ids = push_sends(&p, 0..3).await;
    let (stop, rx) = tokio::sync::oneshot::channel::<()>();
    let runner = {
        let m = p.m.clone();
        tokio::spawn(async move { m.run(async move { rx.await.unwrap_or(()) }).await })
    };
    // Fork A: the messages at height 1, executed at 2, then height 3.
    wait_until(&p, &ids, MessageState::Filled).await;
    let a1 = step(&p.n, None).await;
    assert_eq!(a1.height(), 1);
    step(&p.n, Some(vec![])).await;
    step(&p.n, Some(vec![])).await;
    wait_until(&p, &ids, MessageState::OnChain).await;

    // Fork B from genesis: null round 1, then 2..5 without them: heavier.
    let mut base = g;
    for round in 2..=5 {
        let b = mine(&p.n, &base, round, vec![]).await;
        p.n.node.submit_block(b.clone()).await.expect("b");
        base = TipSet::new(vec![b.header]).expect("tipset");
    }
    assert_eq!(
        p.n.node.head().await.expect("head").key(),
        base.key(),
        "fork B won"
    );
    wait_until(&p, &ids, MessageState::Filled).await;
    for id in &ids {
        let m = p.m.get(id).await.expect("get");
        assert!(m.receipt.is_none() && m.height.is_none());
    }
    // A different apply: they land on fork B.
    step(&p.n, None).await;
    step(&p.n, None).await;
    wait_until(&p, &ids, MessageState::OnChain).await;
    let mut nonces = Vec::new();
    for id in &ids {
        let m = p.m.get(id).await.expect("get");
        assert!(m.height.expect("height") > 5, "executed on fork B");
        nonces.push(m.nonce.expect("nonce"));
    }
    assert_eq!(nonces, [0, 1, 2]);
    let _ = stop.send(());
    runner.await.expect("join").expect("run");
}

async fn wait_until(p: &Pool, ids: &[String], want: MessageState) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let mut all = true;
        for id in ids {
            all &= state(p, id).await == want;
        }
        if all {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "messages not {want} within 30 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// venus#5589, both orders: a replace races the original's inclusion;
/// whichever lands is the one the message ends with, and the sender's
/// next nonces go on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replace_racing_the_original_ends_with_whichever_landed() {
    for original_lands in [true, false] {
        let p = pool().await;
        let id =
            p.m.push(None, send(p.from, 7), SendSpec::default(), "alice")
                .await
                .expect("push");
        p.m.pass().await.expect("pass");
        let first = p.m.get(&id).await.expect("get");
        let original = first.signed().expect("signed");
        let new_cid =
            p.m.replace(&id, &Default::default())
                .await
                .expect("replace");
        let replaced = p.m.get(&id).await.expect("get");
        assert_eq!(replaced.signed_cid, Some(new_cid));
        assert_eq!(replaced.replaced, vec![first.signed_cid.expect("cid")]);
        assert!(replaced.message.gas_premium > original.message.gas_premium);
        let pending = p.n.node.mpool().pending().await;
        assert_eq!(pending.len(), 1, "the node took the replacement");
        assert_eq!(pending[0].cid().expect("cid"), new_cid);

        let landing = if original_lands {
            original.clone()
        } else {
            pending[0].clone()
        };
        step(&p.n, Some(vec![landing.clone()])).await;
        step(&p.n, Some(vec![])).await;
        let next =
            p.m.push(None, send(p.from, 8), SendSpec::default(), "alice")
                .await
                .expect("push");
        p.m.pass().await.expect("pass");
        let m = p.m.get(&id).await.expect("get");
        assert_eq!(
            m.state,
            MessageState::OnChain,
            "original lands: {original_lands}"
        );
        assert_eq!(m.signed_cid, Some(landing.cid().expect("cid")));
        assert_eq!(m.nonce, Some(0));
        let other = if original_lands {
            new_cid
        } else {
            original.cid().expect("cid")
        };
        assert_eq!(m.replaced, vec![other]);
        assert_eq!(p.m.get(&next).await.expect("get").nonce, Some(1));
    }
}

/// A message from the same sender and nonce sent around the messager
/// lands: ours is marked a nonce conflict, and the next nonce goes on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_message_on_our_nonce_is_a_conflict() {
    let p = pool().await;
    let id =
        p.m.push(None, send(p.from, 7), SendSpec::default(), "alice")
            .await
            .expect("push");
    p.m.pass().await.expect("pass");
    let outside = venus_node::testing::send(&p.n.secp, 0);
    step(&p.n, Some(vec![outside])).await;
    step(&p.n, Some(vec![])).await;
    let r = p.m.pass().await.expect("pass");
    assert_eq!(r.conflicts, 1);
    let m = p.m.get(&id).await.expect("get");
    assert_eq!(m.state, MessageState::NonceConflict);
    let next =
        p.m.push(None, send(p.from, 8), SendSpec::default(), "alice")
            .await
            .expect("push");
    p.m.pass().await.expect("pass");
    assert_eq!(p.m.get(&next).await.expect("get").nonce, Some(1));
}
