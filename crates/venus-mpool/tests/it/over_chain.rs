//! The pool over a real ChainApi: MemoryChain in process, and the same chain behind the Lotus JSON-RPC API.

use std::sync::Arc;

use venus_api::lotus::{chain_api_module, LotusClient};
use venus_core::crypto::PrivateKey;
use venus_core::test_utils;
use venus_core::traits::{ChainApi, MemoryChain};
use venus_core::types::*;
use venus_core::{SignatureType, TokenAmount};
use venus_mpool::{ChainProvider, MessagePool, MpoolConfig};
use venus_rpc::RpcServer;

fn genesis() -> TipSet {
    test_utils::tipset(0, 1)
}

fn signed(key: &PrivateKey, nonce: u64) -> SignedMessage {
    test_utils::signed(key, nonce)
}

/// Gives `key`'s address 10 FIL at nonce 0.
fn fund(chain: &MemoryChain, head: &TipSet, key: &PrivateKey) {
    chain.put_actor(
        key.address().expect("addr"),
        ActorState {
            code: head.parent_state(),
            head: head.parent_state(),
            nonce: 0,
            balance: TokenAmount::from_whole(10),
            delegated_address: None,
        },
    );
}

/// Mines one block on `head` holding `msgs` (already known to the chain); returns the new head.
async fn mine(api: &Arc<dyn ChainApi>, head: &TipSet, msgs: Vec<SignedMessage>) -> TipSet {
    let mut block = api
        .create_block(test_utils::block_template(head, msgs))
        .await
        .expect("create");
    test_utils::sign_block(&PrivateKey::generate(SignatureType::BLS), &mut block.header);
    api.submit_block(block).await.expect("submit");
    api.head().await.expect("head")
}

async fn run(api: Arc<dyn ChainApi>, chain: &MemoryChain) {
    let head = api.head().await.expect("head");
    let pool = MessagePool::new(
        Arc::new(ChainProvider::new(api.clone())),
        head.clone(),
        MpoolConfig::default(),
    );
    let bls = PrivateKey::generate(SignatureType::BLS);
    let secp = PrivateKey::generate(SignatureType::Secp256k1);
    for k in [&bls, &secp] {
        fund(chain, &head, k);
    }
    let msgs = [signed(&bls, 0), signed(&bls, 1), signed(&secp, 0)];
    for m in &msgs {
        pool.add(m.clone(), false).await.expect("pool accepts");
        api.push_message(m.clone()).await.expect("chain knows it");
    }
    let picked = pool.select(0.5).await.expect("select");
    assert_eq!(picked.len(), 3);

    // Mine a block with the first two, then follow the head change.
    let new_head = mine(&api, &head, vec![msgs[0].clone(), msgs[2].clone()]).await;
    pool.head_change(&[], std::slice::from_ref(&new_head))
        .await
        .expect("apply");
    let left: Vec<_> = pool.pending().await;
    assert_eq!(left, vec![msgs[1].clone()]);
    // A revert brings both back, the BLS one with the signature the pool remembered.
    pool.head_change(std::slice::from_ref(&new_head), &[])
        .await
        .expect("revert");
    assert_eq!(pool.len().await, 3);
}

#[tokio::test]
async fn over_memory_chain() {
    let chain = MemoryChain::new(genesis());
    run(Arc::new(chain.clone()), &chain).await;
}

#[tokio::test]
async fn over_the_lotus_api() {
    let chain = MemoryChain::new(genesis());
    let server = RpcServer::builder(chain_api_module(Arc::new(chain.clone())))
        .insecure_allow_all()
        .build()
        .start("127.0.0.1:0".parse().expect("addr"))
        .await
        .expect("start");
    let client = LotusClient::connect(&server.http_url())
        .await
        .expect("client");
    run(Arc::new(client), &chain).await;
    server.stop().await;
}

/// More BLS messages from the network than the signature cache holds, then
/// a revert of the tipset holding a local BLS message: the local message is
/// back in the pool (a lost one would leave a nonce gap blocking its sender).
#[tokio::test]
async fn a_local_bls_message_survives_a_flooded_signature_cache() {
    let chain = MemoryChain::new(genesis());
    let api: Arc<dyn ChainApi> = Arc::new(chain.clone());
    let head = api.head().await.expect("head");
    let pool = MessagePool::new(
        Arc::new(ChainProvider::new(api.clone())),
        head.clone(),
        MpoolConfig {
            bls_sig_cache: 4,
            ..MpoolConfig::default()
        },
    );
    let fund = |k: &PrivateKey| fund(&chain, &head, k);
    let local = PrivateKey::generate(SignatureType::BLS);
    fund(&local);
    let ours = signed(&local, 0);
    pool.add(ours.clone(), true).await.expect("local push");
    api.push_message(ours.clone())
        .await
        .expect("chain knows it");
    let mined = mine(&api, &head, vec![ours.clone()]).await;
    pool.head_change(&[], std::slice::from_ref(&mined))
        .await
        .expect("apply");
    assert!(pool.is_empty().await);

    // The network floods the cache with its own BLS messages.
    for _ in 0..10 {
        let k = PrivateKey::generate(SignatureType::BLS);
        fund(&k);
        pool.add(signed(&k, 0), false)
            .await
            .expect("network message");
    }
    pool.head_change(std::slice::from_ref(&mined), &[])
        .await
        .expect("revert");
    assert!(
        pool.pending().await.contains(&ours),
        "the reverted local BLS message was lost"
    );
}

/// Nonces come from the state after the head (Lotus's `GetActorAfter`): a
/// sender whose message is in the head next uses the nonce after it, and
/// another message reusing the head's nonce is refused.
#[tokio::test]
async fn the_head_s_own_messages_count_for_the_next_nonce() {
    let chain = MemoryChain::new(genesis());
    let api: Arc<dyn ChainApi> = Arc::new(chain.clone());
    let genesis = api.head().await.expect("head");
    let key = PrivateKey::generate(SignatureType::Secp256k1);
    fund(&chain, &genesis, &key);
    let first = signed(&key, 0);
    api.push_message(first.clone())
        .await
        .expect("chain knows it");
    let head = mine(&api, &genesis, vec![first.clone()]).await;
    // The chain's parent state of the head still says nonce 0.
    assert_eq!(
        api.actor(&key.address().expect("addr"), head.key())
            .await
            .expect("actor")
            .nonce,
        0
    );

    let pool = MessagePool::new(
        Arc::new(ChainProvider::new(api.clone())),
        head.clone(),
        MpoolConfig::default(),
    );
    let next = signed(&key, 1);
    pool.add(next.clone(), false)
        .await
        .expect("the nonce after the head's");
    let picked = pool.select(0.9).await.expect("select");
    assert_eq!(picked, vec![next], "next epoch's block takes nonce 1");
    let mut reuse = test_utils::message(key.address().expect("addr"), 0);
    reuse.value = TokenAmount::from_atto(7);
    match pool.add(test_utils::sign(&key, reuse), false).await {
        Err(venus_mpool::MpoolError::NonceTooLow {
            nonce: 0,
            expected: 1,
        }) => {}
        other => panic!("a message reusing the head's nonce: {other:?}"),
    }
}

/// Mines one block on `parent` holding `msgs`; returns the block alone as a tipset.
async fn mine_block(api: &Arc<dyn ChainApi>, parent: &TipSet, msgs: Vec<SignedMessage>) -> TipSet {
    let mut block = api
        .create_block(test_utils::block_template(parent, msgs))
        .await
        .expect("create");
    test_utils::sign_block(&PrivateKey::generate(SignatureType::BLS), &mut block.header);
    api.submit_block(block.clone()).await.expect("submit");
    TipSet::new(vec![block.header]).expect("tipset")
}

/// Lotus's `SelectMessages` on a tipset other than the pool's head: the
/// pending set is walked to it (reverted tipsets' messages come back,
/// applied ones leave), the senders' state is read after it, and the pool
/// itself is left as it was.
#[tokio::test]
async fn selection_on_a_base_other_than_the_head() {
    let chain = MemoryChain::new(genesis());
    let api: Arc<dyn ChainApi> = Arc::new(chain.clone());
    let genesis = api.head().await.expect("head");
    let key = PrivateKey::generate(SignatureType::Secp256k1);
    fund(&chain, &genesis, &key);
    let m: Vec<SignedMessage> = (0..4).map(|n| signed(&key, n)).collect();
    for x in &m[..2] {
        api.push_message(x.clone()).await.expect("chain knows it");
    }
    // The pool's head holds nonces 0 and 1; 2 and 3 are pending.
    let head = mine_block(&api, &genesis, m[..2].to_vec()).await;
    let pool = MessagePool::new(
        Arc::new(ChainProvider::new(api.clone())),
        head.clone(),
        MpoolConfig::default(),
    );
    for x in &m[2..] {
        pool.add(x.clone(), false).await.expect("add");
    }
    let nonces = |l: Vec<SignedMessage>| l.iter().map(|x| x.message.sequence).collect::<Vec<_>>();
    assert_eq!(nonces(pool.select(0.9).await.expect("on head")), vec![2, 3]);

    // Behind the head (revert only): the head's messages are pending again.
    let on_genesis = pool
        .select_on(Some(&genesis), 0.9)
        .await
        .expect("on genesis");
    assert_eq!(
        on_genesis[..2],
        m[..2],
        "the reverted messages come back first"
    );
    assert_eq!(nonces(on_genesis), vec![0, 1, 2, 3]);

    // On a sibling fork whose block holds another nonce 0: the head's
    // nonce 1 comes back, its nonce 0 stays out (the fork used that nonce).
    let mut other = test_utils::message(key.address().expect("addr"), 0);
    other.value = TokenAmount::from_atto(7);
    let other = test_utils::sign(&key, other);
    api.push_message(other.clone())
        .await
        .expect("chain knows it");
    let fork = mine_block(&api, &genesis, vec![other]).await;
    let on_fork = pool.select_on(Some(&fork), 0.9).await.expect("on the fork");
    assert_eq!(on_fork, vec![m[1].clone(), m[2].clone(), m[3].clone()]);

    // The pool is untouched.
    assert_eq!(pool.len().await, 2);
    assert_eq!(nonces(pool.select(0.9).await.expect("on head")), vec![2, 3]);
}

/// The pool admits and selects at the base fee of the next block (Lotus's
/// `ChainComputeBaseFee`), not the head's own.
#[tokio::test]
async fn the_base_fee_is_the_next_block_s() {
    use venus_mpool::MpoolProvider;
    let mut g = genesis().blocks()[0].clone();
    g.parent_base_fee = TokenAmount::from_atto(1_000_000_000u64);
    let chain = MemoryChain::new(TipSet::new(vec![g]).expect("genesis"));
    let api: Arc<dyn ChainApi> = Arc::new(chain.clone());
    let genesis = api.head().await.expect("head");
    let key = PrivateKey::generate(SignatureType::Secp256k1);
    fund(&chain, &genesis, &key);
    let msgs: Vec<SignedMessage> = (0..2).map(|n| signed(&key, n)).collect();
    for x in &msgs {
        api.push_message(x.clone()).await.expect("push");
    }
    let head = mine_block(&api, &genesis, msgs.clone()).await;
    let own = head.blocks()[0].parent_base_fee.clone();
    let used: u64 = msgs.iter().map(|m| m.message.gas_limit).sum();
    let provider = ChainProvider::new(api.clone());
    let fee = provider.base_fee(&head).await.expect("base fee");
    assert_eq!(fee, venus_mpool::next_base_fee(&own, used, 1));
    assert!(fee < own, "a nearly empty block lowers the base fee");
}
