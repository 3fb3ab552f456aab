//! venus-mpool tests: the invariants of Lotus's selection tests, and the pool.

#![allow(missing_docs)] // test fixtures

mod over_chain;
mod pool;

use std::collections::{HashMap, HashSet};

use venus_core::types::SignedMessage;
use venus_core::{Address, Message, Signature, SignatureType, TokenAmount};
use venus_mpool::*;

/// A message with a placeholder signature: selection never verifies, so the
/// tests skip the cost of signing tens of thousands of messages.
fn msg(from: u64, nonce: u64, gas_limit: u64, premium: u64, sig: SignatureType) -> SignedMessage {
    let message = Message {
        version: 0,
        from: Address::new_id(from),
        to: Address::new_id(1),
        sequence: nonce,
        value: TokenAmount::from_atto(0),
        method_num: 0,
        params: Default::default(),
        gas_limit,
        gas_fee_cap: TokenAmount::from_atto(premium + 1_000),
        gas_premium: TokenAmount::from_atto(premium),
    };
    let bytes = match sig {
        SignatureType::BLS => vec![0; 96],
        SignatureType::Secp256k1 => vec![0; 65],
    };
    SignedMessage {
        message,
        signature: Signature {
            sig_type: sig,
            bytes,
        },
    }
}

fn rich() -> SenderState {
    SenderState {
        nonce: 0,
        balance: TokenAmount::from_whole(1_000_000_000),
    }
}

fn base() -> TokenAmount {
    TokenAmount::from_atto(100)
}

const G: u64 = 1_000_000;

#[test]
fn gas_reward_table() {
    for (premium, cap, base_fee, expected) in [
        (100u64, 200u64, 100u64, 100i64),
        (100, 200, 210, -30),
        (200, 250, 210, 40),
        (200, 250, 2000, -5250),
    ] {
        let mut m = msg(1, 0, 1, premium, SignatureType::Secp256k1).message;
        m.gas_fee_cap = TokenAmount::from_atto(cap);
        assert_eq!(
            gas_reward(&m, &TokenAmount::from_atto(base_fee)),
            expected.into(),
            "({premium},{cap},{base_fee})"
        );
    }
}

#[test]
fn chain_construction() {
    let s = SignatureType::Secp256k1;
    // Increasing performance: one chain.
    let up: Vec<_> = (0..10).map(|n| msg(1, n, G, 100 + n, s)).collect();
    let chains = create_chains(up, &rich(), &base());
    assert_eq!((chains.len(), chains[0].msgs.len()), (1, 10));
    // Decreasing performance: one chain per message.
    let down: Vec<_> = (0..10).map(|n| msg(1, n, G, 1_000 - n, s)).collect();
    let chains = create_chains(down, &rich(), &base());
    assert_eq!(chains.len(), 10);
    assert!(chains.windows(2).all(|w| w[0].gas_perf > w[1].gas_perf));
    // A nonce gap cuts the chain; nonces below the state's are skipped.
    let gap: Vec<_> = [0, 1, 2, 4, 5]
        .iter()
        .map(|n| msg(1, *n, G, 100, s))
        .collect();
    let total = |c: &[MsgChain]| c.iter().map(|c| c.msgs.len()).sum::<usize>();
    assert_eq!(total(&create_chains(gap.clone(), &rich(), &base())), 3);
    assert_eq!(
        total(&create_chains(
            gap,
            &SenderState { nonce: 1, ..rich() },
            &base()
        )),
        2
    );
    // A gas limit under the on-chain minimum cuts it.
    let mut low: Vec<_> = (0..5).map(|n| msg(1, n, G, 100, s)).collect();
    low[2].message.gas_limit = 1_000;
    assert_eq!(total(&create_chains(low, &rich(), &base())), 2);
    // Low balance truncates it: each message needs fee cap × gas limit = 1,100 × 10^6.
    let poor = SenderState {
        nonce: 0,
        balance: TokenAmount::from_atto(1_100u64 * G * 3 + 5),
    };
    assert_eq!(
        total(&create_chains(
            (0..10).map(|n| msg(1, n, G, 100, s)).collect(),
            &poor,
            &base()
        )),
        3
    );
}

#[test]
fn trimming_by_gas_gives_block_limit_over_gas_limit_messages() {
    let gas = 6_000_000;
    let msgs: Vec<_> = (0..2_000)
        .map(|n| msg(1, n, gas, 100, SignatureType::Secp256k1))
        .collect();
    let chains = create_chains(msgs, &rich(), &base());
    let picked = select_greedy(&chains, BlockLimits::default(), &[], &base());
    assert_eq!(picked.len() as u64, BLOCK_GAS_LIMIT / gas);
    assert!(
        picked
            .iter()
            .enumerate()
            .all(|(i, m)| m.message.sequence == i as u64),
        "a nonce-ordered prefix"
    );
}

#[test]
fn trimming_by_count_respects_per_type_and_total_limits() {
    let secp: Vec<_> = (0..10_000)
        .map(|n| msg(1, n, G, 100, SignatureType::Secp256k1))
        .collect();
    let picked = select_greedy(
        &create_chains(secp.clone(), &rich(), &base()),
        BlockLimits::default(),
        &[],
        &base(),
    );
    assert_eq!(picked.len(), 8_192);

    let bls: Vec<_> = (0..10_000)
        .map(|n| msg(2, n, G, 200, SignatureType::BLS))
        .collect();
    let mut chains = create_chains(secp, &rich(), &base());
    chains.extend(create_chains(bls, &rich(), &base()));
    let picked = select_greedy(&chains, BlockLimits::default(), &[], &base());
    assert_eq!(picked.len(), 10_000);
    assert_eq!(
        picked
            .iter()
            .filter(|m| m.signature.sig_type == SignatureType::BLS)
            .count(),
        8_192
    );
}

#[test]
fn priority_senders_come_first_and_losing_chains_are_left() {
    let s = SignatureType::Secp256k1;
    let mut chains = create_chains(
        (0..5).map(|n| msg(1, n, G, 1_000, s)).collect(),
        &rich(),
        &base(),
    );
    chains.extend(create_chains(
        (0..5).map(|n| msg(2, n, G, 10, s)).collect(),
        &rich(),
        &base(),
    ));
    let picked = select_greedy(
        &chains.clone(),
        BlockLimits::default(),
        &[Address::new_id(2)],
        &base(),
    );
    assert!(picked[..5]
        .iter()
        .all(|m| m.message.from == Address::new_id(2)));
    assert_eq!(picked.len(), 10);
    let no_prio = select_greedy(&chains, BlockLimits::default(), &[], &base());
    assert_eq!(no_prio[0].message.from, Address::new_id(1));

    // A fee cap below the base fee makes a chain lose money: it is never taken.
    let mut losing = msg(3, 0, G, 10, s);
    losing.message.gas_fee_cap = TokenAmount::from_atto(50);
    let picked = select_greedy(
        &create_chains(vec![losing], &rich(), &base()),
        BlockLimits::default(),
        &[],
        &base(),
    );
    assert!(picked.is_empty());
}

#[test]
fn five_winners_get_disjoint_valid_lists_from_20000_messages() {
    // 3·10^6 gas each: a block holds 3,333, so five blocks share the pool.
    let mut chains = Vec::new();
    for sender in 0..200u64 {
        let sig = if sender % 2 == 0 {
            SignatureType::BLS
        } else {
            SignatureType::Secp256k1
        };
        let msgs = (0..100)
            .map(|n| msg(10 + sender, n, 3 * G, 100 + sender * 7 % 97 + n, sig))
            .collect();
        chains.extend(create_chains(msgs, &rich(), &base()));
    }
    let qualities = [0.3, 0.9, 0.5, 0.1, 0.7];
    let lists = select_for_winners(&chains, &qualities, BlockLimits::default(), &[], &base());
    assert_eq!(lists.len(), 5);
    let mut seen: HashSet<(Address, u64)> = HashSet::new();
    let mut owner: HashMap<Address, usize> = HashMap::new();
    for (i, list) in lists.iter().enumerate() {
        assert!(!list.is_empty(), "winner {i} got messages");
        let gas: u64 = list.iter().map(|m| m.message.gas_limit).sum();
        assert!(gas <= BLOCK_GAS_LIMIT && list.len() <= 10_000);
        for sig in [SignatureType::BLS, SignatureType::Secp256k1] {
            assert!(list.iter().filter(|m| m.signature.sig_type == sig).count() <= 8_192);
        }
        for m in list {
            assert!(
                seen.insert((m.message.from, m.message.sequence)),
                "message in two lists"
            );
            assert_eq!(
                *owner.entry(m.message.from).or_insert(i),
                i,
                "sender split across lists"
            );
        }
        // Each sender's messages form a nonce-ordered prefix from 0: valid on its own.
        let mut next: HashMap<Address, u64> = HashMap::new();
        for m in list {
            let n = next.entry(m.message.from).or_insert(0);
            assert_eq!(m.message.sequence, *n);
            *n += 1;
        }
    }
    // Another winner, told what these five took, gets none of their senders.
    let all: Vec<SignedMessage> = lists.iter().flatten().cloned().collect();
    let mut chains = Vec::new();
    for sender in 0..200u64 {
        let msgs = (0..100)
            .map(|n| msg(10 + sender, n, 3 * G, 100 + n, SignatureType::Secp256k1))
            .collect();
        chains.extend(create_chains(msgs, &rich(), &base()));
    }
    let sixth = select_excluding(&chains, 0.5, &all, BlockLimits::default(), &[], &base());
    assert!(!sixth.is_empty());
    assert!(sixth.iter().all(|m| !owner.contains_key(&m.message.from)));
}

/// `actors` senders, each with a block's worth of messages, paying more per actor index.
fn ladder(actors: u64, per_actor: u64, gas: u64) -> Vec<MsgChain> {
    (0..actors)
        .flat_map(|a| {
            let msgs = (0..per_actor)
                .map(|n| msg(100 + a, n, gas, 1_000 + 100 * a, SignatureType::Secp256k1))
                .collect();
            create_chains(msgs, &rich(), &base())
        })
        .collect()
}

#[test]
fn optimal_selection_one_actor_fills_the_block() {
    let picked = select_optimal(
        &ladder(1, 2_000, 6_000_000),
        0.5,
        BlockLimits::default(),
        &[],
        &base(),
    );
    assert_eq!(picked.len() as u64, BLOCK_GAS_LIMIT / 6_000_000);
}

#[test]
fn optimal_selection_with_a_low_ticket_avoids_the_top_payers() {
    // Each actor's messages fill one block exactly (1,000 × 10^7 gas).
    let chains = ladder(10, 1_000, 10_000_000);
    let low = select_optimal(&chains, 0.1, BlockLimits::default(), &[], &base());
    let top3: HashSet<Address> = (7..10).map(|a| Address::new_id(100 + a)).collect();
    assert!(!low.is_empty());
    assert!(
        low.iter().all(|m| !top3.contains(&m.message.from)),
        "a 0.1 ticket took a top-three payer"
    );
    // A good ticket is greedy and takes the best payer.
    let high = select_optimal(&chains, 0.9, BlockLimits::default(), &[], &base());
    assert!(high.iter().all(|m| m.message.from == Address::new_id(109)));
    let probs = block_probabilities(0.1);
    assert_eq!(probs.len(), 15);
    assert!(probs[0] < probs[3], "a low ticket is unlikely to be first");
}

/// A premium distribution.
type Premium = fn(&mut Rng) -> u64;

/// xorshift64*: deterministic premiums for the competitive test.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[test]
fn competitive_selection_optimal_capacity_is_at_least_greedy() {
    // 300 actors, ten blocks of messages, premiums exponential or Zipf.
    let dists: [(&str, Premium); 2] = [
        ("exponential", |r| {
            (-(1.0 - r.unit()).ln() * 1_000.0) as u64 + 100
        }),
        ("zipf", |r| {
            (10_000.0 / (1.0 + (r.unit() * 300.0).floor())) as u64 + 100
        }),
    ];
    for (name, premium) in dists {
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        let per_actor = 10 * 1_000 / 300 + 1;
        let chains: Vec<MsgChain> = (0..300u64)
            .flat_map(|a| {
                let msgs = (0..per_actor)
                    .map(|n| {
                        msg(
                            1_000 + a,
                            n,
                            10_000_000,
                            premium(&mut rng),
                            SignatureType::Secp256k1,
                        )
                    })
                    .collect::<Vec<_>>();
                create_chains(msgs, &rich(), &base())
            })
            .collect();
        let greedy = select_greedy(&chains, BlockLimits::default(), &[], &base());
        let greedy_gas: u64 = greedy.iter().map(|m| m.message.gas_limit).sum();
        let miners = 10 + rng.next() % 20;
        let mut union: HashSet<(Address, u64)> = HashSet::new();
        let mut union_gas = 0u64;
        for _ in 0..miners {
            let tq = rng.unit();
            for m in select_optimal(&chains, tq, BlockLimits::default(), &[], &base()) {
                if union.insert((m.message.from, m.message.sequence)) {
                    union_gas += m.message.gas_limit;
                }
            }
        }
        assert!(
            union_gas >= greedy_gas,
            "{name}: optimal capacity {union_gas} < greedy {greedy_gas}"
        );
    }
}

/// A block counts as full with less than Lotus's `gasguess.MinGas`
/// (1,298,450) left where Lotus checks it: after the priority senders'
/// chains (and before the tail packing and the random fill), a message that
/// would still fit is not taken. In the first merging pass Lotus takes every
/// chain that fits, so without the priority sender both are taken.
#[test]
fn a_block_is_full_below_lotus_min_gas() {
    assert_eq!(MIN_GAS, 1_298_450);
    let left = 1_000_000;
    let big = msg(1, 0, BLOCK_GAS_LIMIT - left, 500, SignatureType::Secp256k1);
    let small = msg(2, 0, 700_000, 100, SignatureType::Secp256k1);
    assert!(small.message.gas_limit < left, "it would fit");
    let mut chains = create_chains(vec![big.clone()], &rich(), &base());
    chains.extend(create_chains(vec![small], &rich(), &base()));
    let picked = select_greedy(
        &chains,
        BlockLimits::default(),
        &[Address::new_id(1)],
        &base(),
    );
    assert_eq!(picked, vec![big.clone()]);
    let picked = select_optimal(
        &chains,
        0.5,
        BlockLimits::default(),
        &[Address::new_id(1)],
        &base(),
    );
    assert_eq!(picked, vec![big]);
    let picked = select_greedy(&chains, BlockLimits::default(), &[], &base());
    assert_eq!(picked.len(), 2, "the merging pass takes what fits");
}

/// Chains need the gas of each message covered; a value is subtracted only
/// while the balance covers it (Lotus's `createMessageChains`).
#[test]
fn chains_cover_gas_first_and_value_only_while_it_fits() {
    let gas = 1_100u64 * G; // fee cap × gas limit of each message
    let msgs: Vec<_> = (0..3)
        .map(|n| {
            let mut m = msg(1, n, G, 100, SignatureType::Secp256k1);
            m.message.value = TokenAmount::from_atto(gas);
            m
        })
        .collect();
    let state = SenderState {
        nonce: 0,
        balance: TokenAmount::from_atto(3 * gas + 5),
    };
    // 0 takes gas and value (3g+5 → g+5); 1 takes its gas (→ 5) but not its
    // value; 2's gas no longer fits.
    let taken: usize = create_chains(msgs, &state, &base())
        .iter()
        .map(|c| c.msgs.len())
        .sum();
    assert_eq!(taken, 2);
}

/// Lotus conditions the Poisson(5) number of winners on at least one
/// (`noWinnersProbAssumingMoreThanOne`), and its `TestBlockProbability`
/// expects decreasing place probabilities for ticket quality 0.85.
#[test]
fn winners_are_poisson_conditioned_on_at_least_one() {
    let p = other_winners_prob();
    let e5 = 5f64.exp();
    assert!((p[0] - 5.0 / (e5 - 1.0)).abs() < 1e-12, "{}", p[0]);
    assert!((p[1] - 12.5 / (e5 - 1.0)).abs() < 1e-12, "{}", p[1]);
    let total: f64 = p.iter().sum();
    assert!(total > 0.999 && total <= 1.0 + 1e-12, "{total}");
    let bp = block_probabilities(1.0 - 0.15);
    assert!(bp.windows(2).all(|w| w[0] >= w[1]), "{bp:?}");
}

/// Lotus's `selectPriorityMessages`: a priority sender's chains come first
/// while they pay; a losing one is left like anyone's, and priority senders
/// do not make the rest of the selection greedy.
#[test]
fn priority_chains_stop_at_negative_performance_and_keep_selection_optimal() {
    let s = SignatureType::Secp256k1;
    let mut losing = msg(3, 0, G, 10, s);
    losing.message.gas_fee_cap = TokenAmount::from_atto(50);
    let losing_chains = create_chains(vec![losing], &rich(), &base());
    assert!(select_greedy(
        &losing_chains,
        BlockLimits::default(),
        &[Address::new_id(3)],
        &base()
    )
    .is_empty());

    // Optimal selection for a low ticket with a small paying priority sender.
    let mut chains = ladder(10, 1_000, 10_000_000);
    let prio = Address::new_id(7);
    chains.extend(create_chains(vec![msg(7, 0, G, 50, s)], &rich(), &base()));
    let low = select_optimal(&chains, 0.1, BlockLimits::default(), &[prio], &base());
    assert_eq!(low[0].message.from, prio, "the priority sender first");
    let top3: HashSet<Address> = (7..10).map(|a| Address::new_id(100 + a)).collect();
    assert!(
        low[1..].iter().all(|m| !top3.contains(&m.message.from)),
        "the rest stays optimal for a 0.1 ticket, not greedy"
    );
}

/// Lotus's `createMessageChains` stops a sender's chains where their gas
/// would pass one block's.
#[test]
fn a_sender_s_chains_stop_at_one_block_of_gas() {
    let s = SignatureType::Secp256k1;
    let big = 6 * BLOCK_GAS_LIMIT / 10;
    let msgs = vec![msg(1, 0, big, 100, s), msg(1, 1, big, 100, s)];
    let taken: usize = create_chains(msgs, &rich(), &base())
        .iter()
        .map(|c| c.msgs.len())
        .sum();
    assert_eq!(taken, 1);
}

/// Optimal selection re-ranks a sender's next chain once its predecessor is
/// merged (Lotus's `parentOffset`): the averaging that lifted it is gone, so
/// a better chain of another sender goes before it.
#[test]
fn a_merged_chain_s_successor_is_re_ranked_without_its_parent_s_lift() {
    let s = SignatureType::Secp256k1;
    let gas = 10 * G;
    // A: 1,000 then 100 (two chains); B: 500. Room for A's first and one more.
    let mut chains = create_chains(
        vec![msg(1, 0, gas, 1_000, s), msg(1, 1, gas, 100, s)],
        &rich(),
        &base(),
    );
    assert_eq!(
        chains.len(),
        2,
        "A's messages pay less and less: two chains"
    );
    chains.extend(create_chains(
        vec![msg(2, 0, gas, 500, s)],
        &rich(),
        &base(),
    ));
    let limits = BlockLimits {
        gas: 25 * G,
        ..BlockLimits::default()
    };
    // Averaged with A's first chain, A's second (550) would rank above B (500).
    let picked = select_optimal(&chains, 0.5, limits, &[], &base());
    let got: Vec<(u64, u64)> = picked
        .iter()
        .map(|m| (id(&m.message.from), m.message.sequence))
        .collect();
    assert_eq!(got, vec![(1, 0), (2, 0)]);
}

fn id(a: &Address) -> u64 {
    a.id().expect("an ID address")
}

/// Venus's `MultipleSelectMessages`: winners choose in the caller's order
/// (not by ticket), priority senders go to the first winner only, and a
/// winner left with nothing gets the first winner's list.
#[test]
fn winners_choose_in_the_caller_s_order_and_an_empty_list_copies_the_first() {
    let s = SignatureType::Secp256k1;
    // Two senders: 2 pays more than 1; 3 is a priority sender.
    let mut chains = create_chains(vec![msg(1, 0, G, 100, s)], &rich(), &base());
    chains.extend(create_chains(vec![msg(2, 0, G, 900, s)], &rich(), &base()));
    chains.extend(create_chains(vec![msg(3, 0, G, 50, s)], &rich(), &base()));
    let prio = [Address::new_id(3)];
    // The first winner has the worse ticket, and still chooses first.
    let lists = select_for_winners(
        &chains,
        &[0.9, 0.95, 0.99, 0.97],
        BlockLimits::default(),
        &prio,
        &base(),
    );
    let senders =
        |l: &Vec<SignedMessage>| l.iter().map(|m| id(&m.message.from)).collect::<Vec<_>>();
    assert_eq!(
        senders(&lists[0]),
        vec![3, 2, 1],
        "priority, then by performance"
    );
    // Everything went to the first winner; the others carry its list again.
    for l in &lists[1..] {
        assert_eq!(l, &lists[0]);
    }

    // With a block room for one message each: priority 3 and the best (2)
    // go to the first winner; 1 to the second; priority senders are not
    // offered to later winners.
    let one = BlockLimits {
        messages: 2,
        ..BlockLimits::default()
    };
    let mut more = chains.clone();
    more.extend(create_chains(
        vec![msg(3, 1, G, 50, s)],
        &SenderState { nonce: 1, ..rich() },
        &base(),
    ));
    let lists = select_for_winners(&more, &[0.5, 0.99], one, &prio, &base());
    assert_eq!(senders(&lists[0]), vec![3, 3]);
    assert_eq!(
        senders(&lists[1]),
        vec![2, 1],
        "sender 3's rest waits for the next epoch"
    );
}

/// Selection is deterministic for one ticket (the random fill is seeded by
/// it), and every list it makes is a valid block.
#[test]
fn optimal_selection_is_reproducible_and_valid_for_every_ticket() {
    let chains = ladder(30, 200, 3 * G);
    for tq in [0.01, 0.1, 0.3, 0.5, 0.8] {
        let a = select_optimal(&chains, tq, BlockLimits::default(), &[], &base());
        let b = select_optimal(&chains, tq, BlockLimits::default(), &[], &base());
        assert_eq!(a, b, "ticket {tq}");
        let gas: u64 = a.iter().map(|m| m.message.gas_limit).sum();
        assert!(gas <= BLOCK_GAS_LIMIT);
        assert!(
            BLOCK_GAS_LIMIT - gas < 3 * G,
            "ticket {tq}: the block is packed ({gas})"
        );
        let mut next: HashMap<Address, u64> = HashMap::new();
        for m in &a {
            let n = next.entry(m.message.from).or_insert(0);
            assert_eq!(m.message.sequence, *n, "ticket {tq}: no nonce gap");
            *n += 1;
        }
    }
}

/// Lotus's `gasguess` cost of a market method-2 message, which its
/// selection tests use as every message's gas limit (1,437 per block).
const LOTUS_TEST_GAS: u64 = 6_955_002;

/// Lotus's `TestOptimalMessageSelection2`: two senders, the first paying
/// (much) more; a 0.1 ticket takes at least as many of the second's.
#[test]
fn lotus_optimal_selection_2() {
    let s = SignatureType::Secp256k1;
    let n = 5 * BLOCK_GAS_LIMIT / LOTUS_TEST_GAS;
    let (mut a1, mut a2) = (Vec::new(), Vec::new());
    for i in 0..n {
        let bias = (n - i) / 3;
        a1.push(msg(1, i, LOTUS_TEST_GAS, 200_000 + i % 3 + bias, s));
        a2.push(msg(2, i, LOTUS_TEST_GAS, 190_000 + i % 3 + bias, s));
    }
    let mut chains = create_chains(a1, &rich(), &base());
    chains.extend(create_chains(a2, &rich(), &base()));
    let picked = select_optimal(&chains, 0.1, BlockLimits::default(), &[], &base());
    assert_eq!(picked.len() as u64, BLOCK_GAS_LIMIT / LOTUS_TEST_GAS);
    let mut next: HashMap<Address, u64> = HashMap::new();
    for m in &picked {
        let nonce = next.entry(m.message.from).or_insert(0);
        assert_eq!(m.message.sequence, *nonce);
        *nonce += 1;
    }
    let from = |a| next.get(&Address::new_id(a)).copied().unwrap_or(0);
    assert!(from(1) <= from(2), "nFrom1={} nFrom2={}", from(1), from(2));
}

/// Lotus's `TestOptimalMessageSelection3`: ten senders with a block's worth
/// each, the first paying the most; a 0.1 ticket takes none of the first three.
#[test]
fn lotus_optimal_selection_3() {
    let s = SignatureType::Secp256k1;
    let actors = 10u64;
    let n = BLOCK_GAS_LIMIT / LOTUS_TEST_GAS + 1;
    let mut chains = Vec::new();
    for j in 0..actors {
        let msgs = (0..n)
            .map(|i| {
                let premium = 500_000 + 10_000 * (actors - j) + (n + 2 - i) / (30 * actors) + i % 3;
                msg(10 + j, i, LOTUS_TEST_GAS, premium, s)
            })
            .collect();
        chains.extend(create_chains(msgs, &rich(), &base()));
    }
    let picked = select_optimal(&chains, 0.1, BlockLimits::default(), &[], &base());
    assert_eq!(picked.len() as u64, BLOCK_GAS_LIMIT / LOTUS_TEST_GAS);
    let mut next: HashMap<Address, u64> = HashMap::new();
    for m in &picked {
        let who = id(&m.message.from) - 10;
        assert!(who >= 3, "a message from the {who}th actor");
        let nonce = next.entry(m.message.from).or_insert(0);
        assert_eq!(m.message.sequence, *nonce);
        *nonce += 1;
    }
}

/// A caller's own chains of one sender may tie in performance with the
/// later one paying more in all: it must still not go before the earlier.
#[test]
fn a_later_chain_that_ranks_first_brings_its_predecessor() {
    let s = SignatureType::Secp256k1;
    let mut chains = create_chains(vec![msg(3, 0, G, 50, s)], &rich(), &base());
    chains.extend(create_chains(
        vec![msg(3, 1, 2 * G, 50, s)],
        &SenderState { nonce: 1, ..rich() },
        &base(),
    ));
    let nonces = |l: Vec<SignedMessage>| l.iter().map(|m| m.message.sequence).collect::<Vec<_>>();
    let prio = [Address::new_id(3)];
    assert_eq!(
        nonces(select_greedy(&chains, BlockLimits::default(), &[], &base())),
        vec![0, 1]
    );
    for (quality, priority) in [(0.9, &[][..]), (0.5, &[][..]), (0.5, &prio[..])] {
        assert_eq!(
            nonces(select_optimal(
                &chains,
                quality,
                BlockLimits::default(),
                priority,
                &base()
            )),
            vec![0, 1],
            "ticket quality {quality}, priority {priority:?}"
        );
    }
}
