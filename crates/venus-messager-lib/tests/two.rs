//! Two messagers on one MariaDB push for the same addresses: no nonce is
//! given twice, and when one dies (its task aborted, its leases left to
//! lapse) the other takes its addresses over. Skipped, and said so,
//! without `VENUS_TEST_MYSQL_URL`.

#![allow(missing_docs)]

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use venus_core::traits::{ChainApi, ChainRead, MemorySigner, MessageApi, RemoteSigner, StateRead};
use venus_core::{Address, Message, SignatureType, TokenAmount};
use venus_messager_lib::store::{ListQuery, MessageStore, SqlMessageStore};
use venus_messager_lib::{MessageState, Messager, MessagerConfig, SendSpec, Signers, MIGRATIONS};
use venus_node::testing::{key, Net, NetBuilder};

const MESSAGES: u64 = 2_000;

fn messager(n: &Net, wallet: Arc<dyn RemoteSigner>, db: &venus_sql::Db, name: &str) -> Messager {
    let signers: Arc<dyn Signers> = Arc::new(wallet);
    let chain: Arc<dyn ChainApi> = n.node.clone();
    Messager::builder(MessagerConfig {
        instance: name.into(),
        lease_ttl: Duration::from_secs(2),
        sel_msg_num: 200,
        replace_after_epochs: 0,
        ..Default::default()
    })
    .store(Arc::new(SqlMessageStore::new(db.clone())))
    .chain(chain)
    .signers(signers)
    .build()
    .expect("messager")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_messagers_on_one_mariadb_never_give_a_nonce_twice() {
    let Some(t) = venus_sql::harness::mysql(&MIGRATIONS).await else {
        eprintln!("SKIPPED: two messagers on MySQL (set VENUS_TEST_MYSQL_URL)");
        return;
    };
    let extra: Vec<_> = (0..2)
        .map(|i| key(SignatureType::Secp256k1, 60 + i))
        .collect();
    let mut b = NetBuilder::default();
    for k in &extra {
        b = b.account(k.clone());
    }
    let n = b.build();
    let wallet = MemorySigner::new();
    let mut senders = Vec::new();
    for k in [n.secp.clone(), n.bls.clone()].into_iter().chain(extra) {
        senders.push(wallet.add(k).expect("key"));
    }
    let wallet: Arc<dyn RemoteSigner> = Arc::new(wallet);
    let store = SqlMessageStore::new(t.db.clone());
    for s in &senders {
        store.add_address(s).await.expect("add");
    }
    let a = messager(&n, wallet.clone(), &t.db, "messager-a");
    let b = messager(&n, wallet.clone(), &t.db, "messager-b");

    // Both accept messages for every address, interleaved.
    for i in 0..MESSAGES {
        let from: Address = senders[(i % senders.len() as u64) as usize];
        let msg = Message {
            version: 0,
            from,
            to: Address::new_id(100),
            sequence: 0,
            value: TokenAmount::from_atto(i + 1),
            method_num: 0,
            params: Default::default(),
            gas_limit: 0,
            gas_fee_cap: TokenAmount::default(),
            gas_premium: TokenAmount::default(),
        };
        let via = if i % 2 == 0 { &a } else { &b };
        via.push(None, msg, SendSpec::default(), "pool")
            .await
            .expect("push");
    }
    let run = |m: Messager| tokio::spawn(async move { m.run(std::future::pending()).await });
    let (ta, tb) = (run(a.clone()), run(b.clone()));

    let on_chain = || async {
        store
            .list(&ListQuery {
                states: vec![MessageState::OnChain],
                ..Default::default()
            })
            .await
            .expect("list")
            .len() as u64
    };
    let deadline = tokio::time::Instant::now() + Duration::from_secs(600);
    let mut killed = false;
    while on_chain().await < MESSAGES {
        assert!(
            tokio::time::Instant::now() < deadline,
            "not all on chain in 10 min"
        );
        if !killed && on_chain().await >= MESSAGES / 4 {
            // One instance dies mid-run: its leases lapse, the other goes on.
            let held_by_a = store
                .addresses()
                .await
                .expect("addresses")
                .iter()
                .filter(|i| i.owner == "messager-a")
                .count();
            assert!(
                held_by_a > 0,
                "messager-a serves some addresses when it dies"
            );
            ta.abort();
            killed = true;
        }
        let head = n.node.head().await.expect("head");
        let msgs = n
            .node
            .select_messages(head.key(), 1.0)
            .await
            .expect("select");
        // With these accounts the genesis differs: not every round is won.
        let mut round = head.height() + 1;
        let blk = loop {
            if let Some(b) = n.try_mine(0, &head, round, msgs.clone()).await {
                break b;
            }
            round += 1;
        };
        n.node.submit_block(blk).await.expect("submit");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    assert!(killed);
    tb.abort();

    // Per sender: nonces 0..k, each once, and all on chain.
    let all = store.list(&ListQuery::default()).await.expect("list");
    assert_eq!(all.len() as u64, MESSAGES);
    let mut by_sender: BTreeMap<Address, Vec<u64>> = BTreeMap::new();
    for m in &all {
        assert_eq!(m.state, MessageState::OnChain, "{}", m.id);
        by_sender
            .entry(m.message.from)
            .or_default()
            .push(m.nonce.expect("nonce"));
    }
    for (from, mut nonces) in by_sender {
        nonces.sort();
        let want: Vec<u64> = (0..nonces.len() as u64).collect();
        assert_eq!(nonces, want, "nonces of {from}");
        let actor = n
            .node
            .actor(&from, n.node.head().await.expect("head").key())
            .await
            .expect("actor");
        assert_eq!(
            actor.nonce,
            want.len() as u64,
            "the chain's nonce of {from}"
        );
    }
}
