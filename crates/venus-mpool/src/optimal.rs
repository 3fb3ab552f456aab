//! Lotus's optimal selection: chain performance weighted by the probability
//! that this block lands in the place where the chain would be included.

use std::collections::HashMap;

use venus_core::types::SignedMessage;
use venus_core::{Address, TokenAmount};

use crate::chains::{min_gas_limit, MsgChain};
use crate::select::{select_greedy, BlockLimits};

/// Blocks expected per epoch, and the places considered (Lotus's `MaxBlocks`).
const EXPECTED_BLOCKS: f64 = 5.0;
const MAX_BLOCKS: usize = 15;
/// Above this ticket quality Lotus selects greedily.
pub const GREEDY_TICKET_QUALITY: f64 = 0.84;

fn ln_gamma(x: f64) -> f64 {
    // ln((x-1)!) for the integer arguments used here.
    (1..(x.round() as u64)).map(|k| (k as f64).ln()).sum()
}

/// P(k other winners) for k = 0..15, Poisson with mean 5.
fn no_winners_prob() -> Vec<f64> {
    (0..MAX_BLOCKS)
        .map(|k| {
            ((EXPECTED_BLOCKS.ln() * k as f64) - ln_gamma(k as f64 + 1.0) - EXPECTED_BLOCKS).exp()
        })
        .collect()
}

fn binomial_coefficient(n: f64, k: f64) -> f64 {
    if k > n {
        return 0.0;
    }
    let k = k.min(n - k);
    (0..k as u64).fold(1.0, |acc, i| acc * (n - i as f64) / (i as f64 + 1.0))
}

/// The probability that a block with ticket quality `tq` is included at each
/// of the 15 places (Lotus's `blockProbabilities`).
pub fn block_probabilities(tq: f64) -> Vec<f64> {
    let p = 1.0 - tq;
    let bino = |x: f64, trials: f64| -> f64 {
        if x > trials {
            return 0.0;
        }
        if p == 0.0 {
            return if x == 0.0 { 1.0 } else { 0.0 };
        }
        if p == 1.0 {
            return if x == trials { 1.0 } else { 0.0 };
        }
        let coef = binomial_coefficient(trials, x);
        if coef.is_infinite() {
            return 0.0;
        }
        coef * p.powf(x) * (1.0 - p).powf(trials - x)
    };
    let cases = no_winners_prob();
    (0..MAX_BLOCKS)
        .map(|place| {
            cases
                .iter()
                .enumerate()
                .map(|(others, pc)| pc * bino(place as f64, others as f64))
                .sum()
        })
        .collect()
}

/// Selection for one ticket: greedy above quality 0.84, otherwise Lotus's
/// optimal selection — chains are partitioned into the 15 virtual blocks they
/// would fill, each chain's performance is weighted by the probability of
/// this block landing in that place (averaged with its predecessors'), and
/// chains are merged in that order with all of their sender's earlier chains.
pub fn select_optimal(
    chains: Vec<MsgChain>,
    ticket_quality: f64,
    limits: BlockLimits,
    priority: &[Address],
    base_fee: &TokenAmount,
) -> Vec<SignedMessage> {
    if ticket_quality > GREEDY_TICKET_QUALITY || !priority.is_empty() {
        // Priority senders are served first whatever the ticket, as in the greedy path.
        return select_greedy(chains, limits, priority, base_fee);
    }
    let mut chains = chains;
    chains.sort_by(|a, b| b.gas_perf.total_cmp(&a.gas_perf));
    if chains.first().is_none_or(|c| c.gas_perf < 0.0) {
        return Vec::new();
    }
    let probs = block_probabilities(ticket_quality);
    let min_gas = min_gas_limit(0);
    // Partition by full blocks, without trimming.
    let mut eff = vec![0.0f64; chains.len()];
    let mut next = 0;
    for bp in probs.iter().take(MAX_BLOCKS) {
        let (mut gas, mut count) = (limits.gas as i128, limits.messages as i64);
        while next < chains.len() {
            eff[next] = chains[next].gas_perf * bp;
            gas -= chains[next].gas_limit as i128;
            count -= chains[next].msgs.len() as i64;
            next += 1;
            if gas < min_gas as i128 || count <= 0 {
                break;
            }
        }
    }
    // A chain's effective performance averages in its predecessor's (Lotus's SetEffectivePerf).
    let mut last_of: HashMap<Address, (f64, u64)> = HashMap::new();
    let mut by_nonce: Vec<usize> = (0..chains.len()).collect();
    by_nonce.sort_by_key(|i| {
        (
            chains[*i].sender.to_bytes(),
            chains[*i].msgs.first().map(|m| m.message.sequence),
        )
    });
    for i in by_nonce {
        let c = &chains[i];
        if let Some((prev_eff, prev_gas)) = last_of.get(&c.sender) {
            eff[i] = (eff[i] * c.gas_limit as f64 + prev_eff * *prev_gas as f64)
                / (c.gas_limit + prev_gas) as f64;
        }
        last_of.insert(c.sender, (eff[i], c.gas_limit));
    }
    let mut order: Vec<(f64, MsgChain)> = eff.into_iter().zip(chains).collect();
    order.sort_by(|(ea, a), (eb, b)| eb.total_cmp(ea).then(b.gas_perf.total_cmp(&a.gas_perf)));
    // Merging a chain pulls in its sender's earlier chains; greedy over this
    // order with dependencies first gives the same result, so reuse it by
    // re-ranking: each chain's rank is the best rank of itself and its successors.
    let ranked: Vec<MsgChain> = order
        .into_iter()
        .filter(|(e, c)| *e >= 0.0 || c.gas_perf >= 0.0)
        .map(|(_, c)| c)
        .collect();
    let mut rank: HashMap<(Address, u64), usize> = HashMap::new();
    let mut best_of_sender: HashMap<Address, usize> = HashMap::new();
    for (i, c) in ranked.iter().enumerate() {
        best_of_sender.entry(c.sender).or_insert(i);
        let first = c.msgs.first().map(|m| m.message.sequence).unwrap_or(0);
        rank.insert((c.sender, first), i);
    }
    let mut ranked = ranked;
    ranked.sort_by_key(|c| {
        let own = rank[&(
            c.sender,
            c.msgs.first().map(|m| m.message.sequence).unwrap_or(0),
        )];
        let sender_best = best_of_sender[&c.sender];
        (
            own.min(sender_best),
            c.msgs.first().map(|m| m.message.sequence).unwrap_or(0),
        )
    });
    take_in_order(ranked, limits, base_fee)
}

/// Takes chains in the given order (a sender's chains already in nonce order),
/// trimming the first that does not fit and skipping the rest of that sender.
fn take_in_order(
    order: Vec<MsgChain>,
    limits: BlockLimits,
    base_fee: &TokenAmount,
) -> Vec<SignedMessage> {
    // select_greedy sorts by performance; give every chain its rank as performance instead.
    let n = order.len() as f64;
    let ranked: Vec<MsgChain> = order
        .into_iter()
        .enumerate()
        .map(|(i, mut c)| {
            c.gas_perf = n - i as f64;
            c
        })
        .collect();
    select_greedy(ranked, limits, &[], base_fee)
}
