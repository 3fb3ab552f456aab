//! Lotus's optimal selection: chain performance weighted by the probability
//! that this block lands in the place where the chain would be included.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use num_traits::ToPrimitive;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use venus_core::types::SignedMessage;
use venus_core::{Address, TokenAmount};

use crate::chains::MsgChain;
use crate::engine::{priority_phase, BlockLimits, Selection};
use crate::gas::MIN_GAS;

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

/// Selection for one ticket, as Lotus's `SelectMessages`
/// (`chain/messagepool/selection.go`): priority senders' chains first
/// (greedily, while they pay), then greedy above ticket quality 0.84,
/// otherwise optimal:
///
/// 1. chains are ranked by gas performance and partitioned into the 15
///    virtual blocks they would fill;
/// 2. each chain's effective performance is its performance times the
///    probability that a block of this ticket quality lands at its
///    partition's place, averaged (by gas) with its predecessor's;
/// 3. chains are merged by effective performance, each with its sender's
///    earlier chains; after a merge the sender's next chains lose the
///    averaging and are re-ranked (`parentOffset`);
/// 4. the first chain that does not fit is trimmed and the rest of the
///    block packed from the tail;
/// 5. gas still left is filled from the remaining chains in a random
///    order, seeded by the ticket quality, so that pool winners of one
///    epoch (whose tickets differ) fill it with different messages.
///
/// Deliberate differences from Lotus: Lotus re-sorts the tail after each
/// merge with a comparator that reads the wrong indices (it compares
/// `chains[i]` for the sub-slice's `i`); we keep the rest ranked as
/// intended, in a max-heap where only the chains whose effective
/// performance changed are pushed again. In the tail packing Lotus may trim a chain it already merged
/// (its `last` index does not advance), which invalidates that sender's
/// later chains; we skip merged chains there. Lotus has no per-sender gas
/// cap beyond a sender's chains stopping at one block of gas
/// ([`create_chains_at`](crate::create_chains_at)), and neither do we.
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
    let mut sel = Selection::new(chains, limits, base_fee);
    let rest = priority_phase(&mut sel, among, priority);
    if sel.full() {
        return sel.out;
    }
    let mut order = sel.load(&rest);
    order.sort_by(|&a, &b| sel.before(a, b));
    if ticket_quality > GREEDY_TICKET_QUALITY {
        sel.greedy(order);
        return sel.out;
    }
    if order.first().is_none_or(|&w| sel.work[w].gas_perf < 0.0) {
        return sel.out;
    }
    // 1. Partition by full blocks, untrimmed; chains past the 15th get nothing.
    let probs = block_probabilities(ticket_quality);
    let mut next = 0;
    for bp in &probs {
        let (mut gas, mut count) = (limits.gas as i128, limits.messages as i64);
        while next < order.len() {
            let w = order[next];
            sel.work[w].bp = *bp;
            sel.set_eff_perf(w);
            gas -= sel.work[w].gas_limit as i128;
            count -= sel.work[w].len as i64;
            next += 1;
            if gas < MIN_GAS as i128 || count <= 0 {
                break;
            }
        }
    }
    for &w in &order[next..] {
        let x = &mut sel.work[w];
        x.eff_perf = x.gas_perf.min(0.0);
    }
    // 2. Merge by effective performance. A max-heap keeps the rest ranked
    // as merges change effective performances (Lotus re-sorts the tail after
    // each merge); an entry whose chain changed since it was pushed is stale.
    let mut version = vec![0u32; sel.work.len()];
    let mut heap: BinaryHeap<Ranked> = order.iter().map(|&w| Ranked::of(&sel, w, 0)).collect();
    let mut failed = None;
    while let Some(top) = heap.pop() {
        let w = top.w;
        if top.version != version[w] || sel.work[w].merged {
            continue;
        }
        if sel.work[w].gas_perf < 0.0 {
            heap.push(top);
            break;
        }
        if !sel.try_add_with_deps(w) {
            failed = Some(w);
            break;
        }
        // The sender's next chains were averaged with this one; now it is
        // in, they stand alone again (Lotus's parentOffset), and are re-ranked.
        let mut moved = Vec::new();
        if let Some(nx) = sel.work[w].next.filter(|&n| sel.work[n].eff_perf > 0.0) {
            sel.work[nx].eff_perf += sel.work[nx].parent_offset;
            moved.push(nx);
            let mut at = sel.work[nx].next;
            while let Some(n) = at.filter(|&n| sel.work[n].eff_perf > 0.0) {
                sel.set_eff_perf(n);
                moved.push(n);
                at = sel.work[n].next;
            }
        }
        for m in moved {
            version[m] += 1;
            heap.push(Ranked::of(&sel, m, version[m]));
        }
    }
    // What is left, ranked; the chain that did not fit (trimmed by the
    // attempt) at its new rank.
    let mut order: Vec<usize> = heap
        .into_iter()
        .filter(|r| r.version == version[r.w] && !sel.work[r.w].merged && Some(r.w) != failed)
        .map(|r| r.w)
        .chain(failed)
        .collect();
    order.sort_by(|&a, &b| sel.before_effective(a, b));
    let mut last = if failed.is_some() { 0 } else { order.len() };
    // 3. Pack the tail: trim the chain that did not fit, re-rank it, go on.
    'tail: while !sel.full() && last < order.len() {
        let w = order[last];
        if !sel.work[w].valid || sel.work[w].merged {
            last += 1;
            continue;
        }
        sel.trim_to_fit(w);
        if sel.work[w].valid {
            let mut k = last;
            while k + 1 < order.len() && sel.before_effective(order[k], order[k + 1]).is_gt() {
                order.swap(k, k + 1);
                k += 1;
            }
        }
        for &c in &order[last..] {
            if !sel.work[c].valid || sel.work[c].merged {
                continue;
            }
            if sel.work[c].gas_perf < 0.0 {
                break 'tail;
            }
            if sel.try_add_with_deps(c) {
                continue;
            }
            continue 'tail;
        }
        break;
    }
    // 4. Random fill of what is left.
    if !sel.full() {
        let mut rng = StdRng::seed_from_u64(ticket_quality.to_bits());
        order.shuffle(&mut rng);
        for &c in &order {
            if sel.full() {
                break;
            }
            if sel.work[c].merged || !sel.work[c].valid || sel.work[c].gas_perf < 0.0 {
                continue;
            }
            if !sel.try_add_with_deps(c) && sel.work[c].valid {
                // It was trimmed to what is left: once more.
                sel.try_add_with_deps(c);
            }
        }
    }
    sel.out
}

/// A chain's rank when it was pushed: [`Selection::before_effective`]'s
/// keys (the reward as a float), then the lower index, so the heap pops in
/// the order the sort gives.
struct Ranked {
    paying: bool,
    eff: f64,
    perf: f64,
    reward: f64,
    w: usize,
    version: u32,
}

impl Ranked {
    fn of(sel: &Selection<'_>, w: usize, version: u32) -> Self {
        let x = &sel.work[w];
        Ranked {
            paying: x.gas_perf >= 0.0,
            eff: x.eff_perf,
            perf: x.gas_perf,
            reward: x.gas_reward.to_f64().unwrap_or(0.0),
            w,
            version,
        }
    }
}

impl Ord for Ranked {
    fn cmp(&self, o: &Self) -> Ordering {
        self.paying
            .cmp(&o.paying)
            .then_with(|| self.eff.total_cmp(&o.eff))
            .then_with(|| self.perf.total_cmp(&o.perf))
            .then_with(|| self.reward.total_cmp(&o.reward))
            .then_with(|| o.w.cmp(&self.w))
            .then_with(|| self.version.cmp(&o.version))
    }
}

impl PartialOrd for Ranked {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}

impl PartialEq for Ranked {
    fn eq(&self, o: &Self) -> bool {
        self.cmp(o) == Ordering::Equal
    }
}

impl Eq for Ranked {}
