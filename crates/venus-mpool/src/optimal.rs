//! Lotus's optimal selection: chain performance weighted by the probability
//! that this block lands in the place where the chain would be included.

use std::collections::HashMap;

use venus_core::types::SignedMessage;
use venus_core::{Address, TokenAmount};

use crate::chains::MsgChain;
use crate::gas::MIN_GAS;
use crate::select::{by_performance, take, take_priority, BlockLimits, Room};

/// Blocks expected per epoch, and the places considered (Lotus's `MaxBlocks`).
const EXPECTED_BLOCKS: f64 = 5.0;
const MAX_BLOCKS: usize = 15;
/// Above this ticket quality Lotus selects greedily.
pub const GREEDY_TICKET_QUALITY: f64 = 0.84;

fn ln_gamma(x: f64) -> f64 {
    // ln((x-1)!) for the integer arguments used here.
    (1..(x.round() as u64)).map(|k| (k as f64).ln()).sum()
}

/// P(k other winners) for k = 0..15: the number of winners is Poisson with
/// mean 5 *conditioned on at least one* (this block is one), so k others
/// means k + 1 in all: `5^(k+1) / (k+1)! / (e^5 − 1)` (Lotus's
/// `noWinnersProbAssumingMoreThanOne`, `chain/messagepool/block_proba.go`).
pub fn other_winners_prob() -> Vec<f64> {
    let cond = EXPECTED_BLOCKS.exp_m1().ln();
    (0..MAX_BLOCKS)
        .map(|k| {
            let n = k as f64 + 1.0;
            ((EXPECTED_BLOCKS.ln() * n) - ln_gamma(n + 1.0) - cond).exp()
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
    let cases = other_winners_prob();
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
/// this block landing in that place (averaged with its predecessor's), and
/// chains are merged in that order, each after its sender's earlier chains.
pub fn select_optimal(
    chains: &[MsgChain],
    ticket_quality: f64,
    limits: BlockLimits,
    priority: &[Address],
    base_fee: &TokenAmount,
) -> Vec<SignedMessage> {
    let all: Vec<usize> = (0..chains.len()).collect();
    select_optimal_among(chains, &all, ticket_quality, limits, priority, base_fee)
}

/// [`select_optimal`] over the chains at `among`.
pub(crate) fn select_optimal_among(
    chains: &[MsgChain],
    among: &[usize],
    ticket_quality: f64,
    limits: BlockLimits,
    priority: &[Address],
    base_fee: &TokenAmount,
) -> Vec<SignedMessage> {
    let mut room = Room::default();
    let mut out = Vec::new();
    let mut idx = take_priority(
        chains, among, priority, limits, base_fee, &mut room, &mut out,
    );
    if room.full(&limits) {
        return out;
    }
    by_performance(chains, &mut idx);
    if ticket_quality > GREEDY_TICKET_QUALITY {
        take(chains, &idx, limits, base_fee, &mut room, &mut out);
        return out;
    }
    if idx.first().is_none_or(|&i| chains[i].gas_perf < 0.0) {
        return out;
    }
    let probs = block_probabilities(ticket_quality);
    let min_gas = MIN_GAS as i128;
    // Partition by full blocks, without trimming; chains past the 15th get nothing.
    let mut eff = vec![0.0f64; chains.len()];
    let mut next = 0;
    for bp in &probs {
        let (mut gas, mut count) = (limits.gas as i128, limits.messages as i64);
        while next < idx.len() {
            let c = &chains[idx[next]];
            eff[idx[next]] = c.gas_perf * bp;
            gas -= c.gas_limit as i128;
            count -= c.msgs.len() as i64;
            next += 1;
            if gas < min_gas || count <= 0 {
                break;
            }
        }
    }
    // A chain's effective performance averages in its predecessor's (Lotus's SetEffectivePerf).
    let mut by_nonce: Vec<usize> = idx.clone();
    by_nonce.sort_by_cached_key(|&i| {
        (
            chains[i].sender.to_bytes(),
            chains[i].msgs.first().map(|m| m.message.sequence),
        )
    });
    let mut prev: Option<(Address, f64, u64)> = None;
    for &i in &by_nonce {
        let c = &chains[i];
        let own = eff[i];
        let e = match prev {
            // Lotus's `setEffPerf` averages only a positive value: a chain
            // past the 15th block stays at zero.
            Some((s, pe, pg)) if s == c.sender && own > 0.0 => {
                (own * c.gas_limit as f64 + pe * pg as f64) / (c.gas_limit + pg) as f64
            }
            _ => own,
        };
        eff[i] = e;
        prev = Some((c.sender, e, c.gas_limit));
    }
    idx.retain(|&i| chains[i].gas_perf >= 0.0);
    idx.sort_by(|&a, &b| {
        eff[b]
            .total_cmp(&eff[a])
            .then(chains[b].gas_perf.total_cmp(&chains[a].gas_perf))
    });
    // Merging a chain pulls in its sender's earlier chains: move each sender's
    // chains to its best-ranked chain's place, in nonce order.
    let mut best: HashMap<Address, usize> = HashMap::new();
    for (rank, &i) in idx.iter().enumerate() {
        best.entry(chains[i].sender).or_insert(rank);
    }
    idx.sort_by_key(|&i| {
        (
            best[&chains[i].sender],
            chains[i].msgs.first().map(|m| m.message.sequence),
        )
    });
    take(chains, &idx, limits, base_fee, &mut room, &mut out);
    out
}
