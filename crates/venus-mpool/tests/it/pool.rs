//! The pool: every acceptance rule, head changes, pruning, republishing.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use venus_core::crypto::PrivateKey;
use venus_core::test_utils;
use venus_core::types::{BlockMessages, SignedMessage, TipSet, TipSetKey};
use venus_core::{Address, Message, SignatureType, TokenAmount};
use venus_mpool::*;

#[derive(Default)]
struct Chain {
    actors: Mutex<HashMap<Address, (u64, TokenAmount)>>,
    included: Mutex<HashMap<TipSetKey, Vec<SignedMessage>>>,
    /// The base fee, when above the 100 attoFIL minimum.
    base_fee: std::sync::atomic::AtomicU64,
}

#[async_trait]
impl MpoolProvider for Chain {
    async fn actor(&self, addr: &Address, _: &TipSet) -> venus_core::Result<(u64, TokenAmount)> {
        self.actors
            .lock()
            .expect("lock")
            .get(addr)
            .cloned()
            .ok_or_else(|| venus_core::Error::NotFound(addr.to_string()))
    }
    async fn base_fee(&self, _: &TipSet) -> venus_core::Result<TokenAmount> {
        let fee = self.base_fee.load(std::sync::atomic::Ordering::SeqCst);
        Ok(TokenAmount::from_atto(fee.max(100)))
    }
    /// Every test tipset (`test_utils::tipset`) has the pool's starting head as parent.
    async fn tipset(&self, key: &TipSetKey) -> venus_core::Result<TipSet> {
        if key.cids().is_empty() {
            Ok(tipset(10, 1))
        } else {
            Err(venus_core::Error::NotFound(format!("tipset {key}")))
        }
    }
    async fn messages_in(&self, ts: &TipSet) -> venus_core::Result<BlockMessages> {
        let secp = self
            .included
            .lock()
            .expect("lock")
            .get(ts.key())
            .cloned()
            .unwrap_or_default();
        Ok(BlockMessages {
            bls_messages: vec![],
            secpk_messages: secp,
            cids: vec![],
        })
    }
}

fn tipset(height: i64, ticket: u8) -> TipSet {
    test_utils::tipset(height, ticket)
}

struct Sender {
    key: PrivateKey,
    addr: Address,
}

impl Sender {
    fn new(chain: &Chain, nonce: u64, balance: u64) -> Self {
        let key = PrivateKey::generate(SignatureType::Secp256k1);
        let addr = key.address().expect("addr");
        chain
            .actors
            .lock()
            .expect("lock")
            .insert(addr, (nonce, TokenAmount::from_whole(balance)));
        Sender { key, addr }
    }

    fn msg(&self, nonce: u64, edit: impl FnOnce(&mut Message)) -> SignedMessage {
        let mut message = test_utils::message(self.addr, nonce);
        edit(&mut message);
        test_utils::sign(&self.key, message)
    }
}

/// (name, message, the error it must get).
type Case = (&'static str, SignedMessage, fn(&MpoolError) -> bool);

fn pool(chain: Arc<Chain>, config: MpoolConfig) -> MessagePool {
    MessagePool::new(chain, tipset(10, 1), config)
}

#[tokio::test]
async fn every_acceptance_rule_refuses_with_its_own_error() {
    let chain = Arc::new(Chain::default());
    let p = pool(
        chain.clone(),
        MpoolConfig {
            max_pending_untrusted: 3,
            ..MpoolConfig::default()
        },
    );
    let s = Sender::new(&chain, 5, 1_000);
    let poor = Sender::new(&chain, 0, 0);
    p.add(s.msg(5, |_| {}), false)
        .await
        .expect("a good message");

    let cases: Vec<Case> = vec![
        (
            "too big",
            s.msg(6, |m| m.params = vec![0u8; 70_000].into()),
            |e| matches!(e, MpoolError::TooBig(_)),
        ),
        ("version", s.msg(6, |m| m.version = 1), |e| {
            matches!(e, MpoolError::BadVersion(1))
        }),
        ("gas zero", s.msg(6, |m| m.gas_limit = 0), |e| {
            matches!(e, MpoolError::GasLimitZero)
        }),
        (
            "gas too high",
            s.msg(6, |m| m.gas_limit = BLOCK_GAS_LIMIT + 1),
            |e| matches!(e, MpoolError::GasLimitTooHigh(_)),
        ),
        (
            "gas under inclusion",
            s.msg(6, |m| m.gas_limit = 1_000),
            |e| matches!(e, MpoolError::GasLimitBelowMin { .. }),
        ),
        (
            "fee cap",
            s.msg(6, |m| {
                m.gas_fee_cap = TokenAmount::from_atto(99);
                m.gas_premium = TokenAmount::from_atto(1)
            }),
            |e| matches!(e, MpoolError::FeeCapTooLow(_)),
        ),
        (
            "premium",
            s.msg(6, |m| m.gas_premium = TokenAmount::from_atto(20_000)),
            |e| matches!(e, MpoolError::PremiumAboveFeeCap { .. }),
        ),
        ("nonce too low", s.msg(4, |_| {}), |e| {
            matches!(
                e,
                MpoolError::NonceTooLow {
                    nonce: 4,
                    expected: 5
                }
            )
        }),
        ("nonce gap", s.msg(11, |_| {}), |e| {
            matches!(e, MpoolError::NonceGap { gap: 5, .. })
        }),
        ("balance", poor.msg(0, |_| {}), |e| {
            matches!(e, MpoolError::InsufficientBalance { .. })
        }),
        ("duplicate", s.msg(5, |_| {}), |e| {
            matches!(e, MpoolError::Duplicate(_))
        }),
        (
            "replace by fee",
            s.msg(5, |m| m.gas_premium = TokenAmount::from_atto(1_100)),
            |e| matches!(e, MpoolError::ReplaceByFeeTooLow { .. }),
        ),
    ];
    for (name, m, check) in cases {
        let e = p.add(m, false).await.expect_err(name);
        assert!(check(&e), "{name}: got {e}");
    }
    let mut forged = s.msg(6, |_| {});
    forged.message.value = TokenAmount::from_atto(2);
    assert!(matches!(
        p.add(forged, false).await,
        Err(MpoolError::BadSignature(_))
    ));

    // Replace by fee at ×1.10 + 1 is accepted.
    p.add(
        s.msg(5, |m| m.gas_premium = TokenAmount::from_atto(1_101)),
        false,
    )
    .await
    .expect("replacement");
    p.add(s.msg(6, |_| {}), false).await.expect("6");
    p.add(s.msg(7, |_| {}), false).await.expect("7");
    // Network adds share Lotus's 1,000 per sender; untrusted pushes have
    // their own cap and no gap at all.
    p.add(s.msg(8, |_| {}), false)
        .await
        .expect("8: network cap 1,000");
    let u = Sender::new(&chain, 0, 1_000);
    for n in 0..3 {
        p.add_from(u.msg(n, |_| {}), Origin::Untrusted)
            .await
            .expect("untrusted within its cap");
    }
    assert!(matches!(
        p.add_from(u.msg(3, |_| {}), Origin::Untrusted).await,
        Err(MpoolError::TooManyPending(3))
    ));
    let v = Sender::new(&chain, 0, 1_000);
    assert!(matches!(
        p.add_from(v.msg(1, |_| {}), Origin::Untrusted).await,
        Err(MpoolError::NonceGap { gap: 1, .. })
    ));
    // Local pushes are trusted: no gap check.
    p.add(s.msg(20, |_| {}), true).await.expect("local gap");
    assert_eq!(p.len().await, 8, "refused messages changed nothing");
}

#[tokio::test]
async fn head_changes_apply_revert_and_revert_then_apply() {
    let chain = Arc::new(Chain::default());
    let p = pool(chain.clone(), MpoolConfig::default());
    let s = Sender::new(&chain, 0, 1_000);
    let msgs: Vec<_> = (0..4).map(|n| s.msg(n, |_| {})).collect();
    for m in &msgs {
        p.add(m.clone(), true).await.expect("add");
    }
    let (a, b) = (tipset(11, 2), tipset(11, 3));
    chain
        .included
        .lock()
        .expect("lock")
        .insert(a.key().clone(), msgs[..2].to_vec());
    chain
        .included
        .lock()
        .expect("lock")
        .insert(b.key().clone(), msgs[..3].to_vec());

    p.head_change(&[], std::slice::from_ref(&a))
        .await
        .expect("apply");
    assert_eq!(p.len().await, 2, "applied messages leave");
    p.head_change(std::slice::from_ref(&a), &[])
        .await
        .expect("revert");
    assert_eq!(p.len().await, 4, "reverted messages return");
    p.head_change(&[a], &[b]).await.expect("revert then apply");
    let left: Vec<u64> = p
        .pending()
        .await
        .iter()
        .map(|m| m.message.sequence)
        .collect();
    assert_eq!(left, vec![3]);
    assert_eq!(
        p.republish_candidates().await.len(),
        1,
        "the local message not yet landed"
    );
}

#[tokio::test]
async fn pruning_keeps_local_and_priority_senders() {
    let chain = Arc::new(Chain::default());
    let local = Sender::new(&chain, 0, 1_000);
    let prio = Sender::new(&chain, 0, 1_000);
    let config = MpoolConfig {
        size_limit_high: 40,
        size_limit_low: 25,
        priority_addrs: vec![prio.addr],
        max_pending_untrusted: 100,
        ..MpoolConfig::default()
    };
    let p = pool(chain.clone(), config);
    for n in 0..5 {
        p.add(
            local.msg(n, |m| m.gas_premium = TokenAmount::from_atto(1)),
            true,
        )
        .await
        .expect("local");
        p.add(
            prio.msg(n, |m| m.gas_premium = TokenAmount::from_atto(1)),
            false,
        )
        .await
        .expect("prio");
    }
    let others: Vec<Sender> = (0..4).map(|_| Sender::new(&chain, 0, 1_000)).collect();
    for (i, o) in others.iter().enumerate() {
        for n in 0..8 {
            p.add(
                o.msg(n, |m| {
                    m.gas_premium = TokenAmount::from_atto(100 * (i as u64 + 1))
                }),
                false,
            )
            .await
            .expect("other");
        }
    }
    assert!(p.len().await <= 40);
    assert!(p.len().await >= 25);
    let pending = p.pending().await;
    assert_eq!(
        pending
            .iter()
            .filter(|m| m.message.from == local.addr)
            .count(),
        5
    );
    assert_eq!(
        pending
            .iter()
            .filter(|m| m.message.from == prio.addr)
            .count(),
        5
    );
    // The best payer lost nothing.
    assert_eq!(
        pending
            .iter()
            .filter(|m| m.message.from == others[3].addr)
            .count(),
        8
    );

    // Selection through the pool puts the priority sender first.
    let picked = p.select(0.5).await.expect("select");
    assert_eq!(picked[0].message.from, prio.addr);
    let lists = p.select_multi(&[0.9, 0.2]).await.expect("multi");
    assert_eq!(lists.len(), 2);
}

/// Each rule of Lotus's `ValidForBlockInclusion`, at add.
#[tokio::test]
async fn messages_lotus_would_not_include_are_refused_at_add() {
    let chain = Arc::new(Chain::default());
    let p = pool(chain.clone(), MpoolConfig::default());
    let s = Sender::new(&chain, 0, 1_000);
    let delegated = Address::new_delegated(10, &[7u8; 20]).expect("f4");
    let cases: Vec<(&str, SignedMessage, NotIncludable)> = vec![
        (
            "zero address",
            s.msg(0, |m| m.to = *venus_mpool::inclusion::zero_address()),
            NotIncludable::ZeroTo,
        ),
        (
            "negative value",
            s.msg(0, |m| m.value = TokenAmount::from_atto(-1)),
            NotIncludable::NegativeValue,
        ),
        (
            "above the supply",
            s.msg(0, |m| m.value = TokenAmount::from_whole(2_000_000_001)),
            NotIncludable::ValueAboveSupply,
        ),
        (
            "negative premium",
            s.msg(0, |m| m.gas_premium = TokenAmount::from_atto(-1)),
            NotIncludable::NegativePremium,
        ),
    ];
    for (name, m, want) in cases {
        match p.add(m, false).await {
            Err(MpoolError::NotIncludable(got)) => assert_eq!(got, want, "{name}"),
            other => panic!("{name}: {other:?}"),
        }
    }
    // Delegated addresses exist from version 18 (Hygge) only.
    let old = pool(
        chain.clone(),
        MpoolConfig {
            network_version: NetworkVersion::V17,
            ..MpoolConfig::default()
        },
    );
    match old.add(s.msg(0, |m| m.to = delegated), false).await {
        Err(MpoolError::NotIncludable(NotIncludable::ToProtocol(v))) => {
            assert_eq!(v, NetworkVersion::V17)
        }
        other => panic!("an f4 recipient before Hygge: {other:?}"),
    }
    p.add(s.msg(0, |m| m.to = delegated), false)
        .await
        .expect("an f4 recipient after Hygge");
    assert_eq!(p.len().await, 1, "refused messages changed nothing");
}

/// Since Hygge a message costs 38,863 + 475,000 compute plus 1,300 per
/// byte over a 36-byte base to carry (Lotus `chain/vm/gas.go`): a gas limit
/// between that and the pre-Hygge price is refused at add and never selected.
#[tokio::test]
async fn a_gas_limit_between_the_pre_and_post_hygge_minimums_is_refused() {
    let chain = Arc::new(Chain::default());
    let s = Sender::new(&chain, 0, 1_000);
    let probe = s.msg(0, |m| m.gas_limit = 600_000);
    let size = chain_length(&probe);
    let (before, after) = (
        on_chain_message_gas(NetworkVersion::V17, size),
        on_chain_message_gas(NetworkVersion::V18, size),
    );
    assert_eq!(after - before, 475_000);
    assert_eq!(before, 38_863 + 1_300 * (36 + size as u64));
    let between = s.msg(0, |m| m.gas_limit = before + 1_000);
    assert_eq!(chain_length(&between), size);

    let p = pool(chain.clone(), MpoolConfig::default());
    match p.add(between.clone(), true).await {
        Err(MpoolError::GasLimitBelowMin { min, .. }) => assert_eq!(min, after),
        other => panic!("{other:?}"),
    }
    // Under the old rules it is accepted, and still never selected under the new.
    let old = pool(
        chain.clone(),
        MpoolConfig {
            network_version: NetworkVersion::V17,
            ..MpoolConfig::default()
        },
    );
    old.add(between.clone(), true).await.expect("pre-Hygge");
    assert_eq!(old.select(0.9).await.expect("select").len(), 1);
    let state = SenderState {
        nonce: 0,
        balance: TokenAmount::from_whole(1_000),
    };
    let base = TokenAmount::from_atto(100);
    assert!(create_chains_at(vec![between.clone()], &state, &base, NetworkVersion::V18).is_empty());
    assert_eq!(
        create_chains_at(vec![between], &state, &base, NetworkVersion::V17).len(),
        1
    );
}

/// A BLS message travels without its signature, and is priced so.
#[test]
fn a_bls_message_is_sized_without_its_signature() {
    let key = PrivateKey::generate(SignatureType::BLS);
    let m = test_utils::signed(&key, 0);
    let message_only = venus_core::encoding::to_cbor(&m.message)
        .expect("cbor")
        .len();
    assert_eq!(chain_length(&m), message_only);
    let secp = test_utils::signed(&PrivateKey::generate(SignatureType::Secp256k1), 0);
    assert_eq!(chain_length(&secp), secp.to_cbor().expect("cbor").len());
}

/// A chain whose base fee is 1,000,000 attoFIL, a pool on it, and a funded sender.
fn dear_chain() -> (Arc<Chain>, MessagePool, Sender) {
    let chain = Arc::new(Chain::default());
    chain
        .base_fee
        .store(1_000_000, std::sync::atomic::Ordering::SeqCst);
    let p = pool(chain.clone(), MpoolConfig::default());
    let s = Sender::new(&chain, 0, 1_000);
    (chain, p, s)
}

/// A fee cap of 9,999: one short of a hundredth of [`dear_chain`]'s base fee.
fn under_a_hundredth(m: &mut Message) {
    m.gas_fee_cap = TokenAmount::from_atto(9_999);
    m.gas_premium = TokenAmount::from_atto(1);
}

/// A network message's fee cap must reach a hundredth of the base fee
/// (Lotus's `getBaseFeeLowerBound` with the conservative factor 100); a local
/// push is taken anyway.
#[tokio::test]
async fn a_network_message_under_a_hundredth_of_the_base_fee_is_refused() {
    let (chain, p, s) = dear_chain();
    let cheap = s.msg(0, under_a_hundredth);
    match p.add(cheap.clone(), false).await {
        Err(MpoolError::FeeCapBelowBaseFeeBound { bound, .. }) => {
            assert_eq!(bound, TokenAmount::from_atto(10_000))
        }
        other => panic!("{other:?}"),
    }
    let enough = s.msg(0, |m| m.gas_fee_cap = TokenAmount::from_atto(10_000));
    p.add(enough, false).await.expect("at the bound");
    let other = Sender::new(&chain, 0, 1_000);
    let cheap_local = other.msg(0, under_a_hundredth);
    p.add(cheap_local, true)
        .await
        .expect("a local push is taken");
}

/// A network message may not replace one that sits after a nonce gap
/// (Lotus's strict `msgSet.add`); a local push may.
#[tokio::test]
async fn no_replace_by_fee_across_a_nonce_gap_from_the_network() {
    let chain = Arc::new(Chain::default());
    let p = pool(chain.clone(), MpoolConfig::default());
    let s = Sender::new(&chain, 0, 1_000);
    p.add(s.msg(0, |_| {}), false).await.expect("0");
    p.add(s.msg(2, |_| {}), false)
        .await
        .expect("2, after a gap of 1");
    let bump = |m: &mut Message| m.gas_premium = TokenAmount::from_atto(5_000);
    match p.add(s.msg(2, bump), false).await {
        Err(MpoolError::ReplaceAcrossGap { nonce: 2, next: 1 }) => {}
        other => panic!("{other:?}"),
    }
    p.add(s.msg(2, bump), true)
        .await
        .expect("a local replacement");
}

/// The balance check counts `RequiredFunds` (fee cap × gas limit) of the
/// message and the sender's other pending ones, not the value (Lotus's
/// `checkBalance`).
#[tokio::test]
async fn the_balance_must_cover_gas_not_value() {
    let chain = Arc::new(Chain::default());
    let p = pool(chain.clone(), MpoolConfig::default());
    let s = Sender::new(&chain, 0, 1);
    // Far more value than the 1 FIL balance: accepted, its gas is covered.
    p.add(s.msg(0, |m| m.value = TokenAmount::from_whole(5)), false)
        .await
        .expect("value is not counted");
    // Gas beyond the balance is refused.
    match p
        .add(
            s.msg(1, |m| m.gas_fee_cap = TokenAmount::from_whole(1)),
            false,
        )
        .await
    {
        Err(MpoolError::InsufficientBalance { .. }) => {}
        other => panic!("{other:?}"),
    }
}

/// A reverted message comes back through the replace-by-fee rule (Lotus's
/// `addSkipChecks`): a better-paying replacement sent meanwhile stays.
#[tokio::test]
async fn a_reverted_message_does_not_push_out_a_better_replacement() {
    let chain = Arc::new(Chain::default());
    let p = pool(chain.clone(), MpoolConfig::default());
    let s = Sender::new(&chain, 0, 1_000);
    let mined = s.msg(0, |_| {});
    p.add(mined.clone(), true).await.expect("add");
    let a = tipset(11, 2);
    chain
        .included
        .lock()
        .expect("lock")
        .insert(a.key().clone(), vec![mined.clone()]);
    p.head_change(&[], std::slice::from_ref(&a))
        .await
        .expect("apply");
    let better = s.msg(0, |m| m.gas_premium = TokenAmount::from_atto(5_000));
    p.add(better.clone(), true).await.expect("a replacement");
    p.head_change(std::slice::from_ref(&a), &[])
        .await
        .expect("revert");
    assert_eq!(p.pending().await, vec![better]);
}

/// An untrusted push is not local (Lotus's `PushUntrusted`): the fee-cap
/// floor applies, and the node neither republishes it nor keeps it from pruning.
#[tokio::test]
async fn an_untrusted_push_is_not_local() {
    let (_chain, p, s) = dear_chain();
    let cheap = s.msg(0, under_a_hundredth);
    assert!(matches!(
        p.add_from(cheap, Origin::Untrusted).await,
        Err(MpoolError::FeeCapBelowBaseFeeBound { .. })
    ));
    let paying = s.msg(0, |m| m.gas_fee_cap = TokenAmount::from_atto(10_000));
    p.add_from(paying, Origin::Untrusted)
        .await
        .expect("accepted");
    assert!(p.republish_candidates().await.is_empty());
}

/// Lotus's `pruneMessages`: chains over the sender's real state, kept best
/// first down to the low mark; what no chain takes (after a gap) goes even if
/// it pays well; and a second prune waits for the cooldown.
#[tokio::test]
async fn pruning_keeps_the_best_chains_drops_the_rest_and_cools_down() {
    let chain = Arc::new(Chain::default());
    let p = pool(
        chain.clone(),
        MpoolConfig {
            size_limit_high: 12,
            size_limit_low: 6,
            ..MpoolConfig::default()
        },
    );
    let rich = Sender::new(&chain, 0, 1_000);
    let poor = Sender::new(&chain, 0, 1_000);
    let well_paid = |m: &mut Message| m.gas_premium = TokenAmount::from_atto(5_000);
    for n in [0, 1, 2, 6] {
        p.add(
            rich.msg(n, |m| {
                m.gas_fee_cap = TokenAmount::from_atto(20_000);
                well_paid(m)
            }),
            false,
        )
        .await
        .expect("rich");
    }
    for n in 0..9 {
        p.add(poor.msg(n, |_| {}), false).await.expect("poor");
    }
    let left: Vec<(Address, u64)> = p
        .pending()
        .await
        .iter()
        .map(|m| (m.message.from, m.message.sequence))
        .collect();
    assert_eq!(left.len(), 6, "{left:?}");
    for n in 0..3 {
        assert!(left.contains(&(rich.addr, n)) && left.contains(&(poor.addr, n)));
    }
    assert!(
        !left.contains(&(rich.addr, 6)),
        "after a gap: no chain takes it"
    );

    // Over the high mark again within the cooldown: nothing is pruned.
    for n in 3..9 {
        p.add(poor.msg(n, |_| {}), false).await.expect("poor again");
    }
    let other = Sender::new(&chain, 0, 1_000);
    p.add(other.msg(0, |_| {}), false).await.expect("other");
    assert_eq!(p.len().await, 13);
}
