//! Greedy selection under block limits, and disjoint selection for several winners.

use std::collections::HashSet;

use venus_core::types::SignedMessage;
use venus_core::{Address, SignatureType, TokenAmount};

use crate::chains::MsgChain;
use crate::gas::BLOCK_GAS_LIMIT;

/// What one block may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockLimits {
    /// Total gas limit (10^10).
    pub gas: u64,
    /// Messages in all (10,000).
    pub messages: usize,
    /// Messages of one signature type (8,192).
    pub per_sig_type: usize,
}

impl Default for BlockLimits {
    fn default() -> Self {
        BlockLimits {
            gas: BLOCK_GAS_LIMIT,
            messages: 10_000,
            per_sig_type: 8_192,
        }
    }
}

/// What a block being filled holds so far.
#[derive(Default)]
pub(crate) struct Room {
    gas: u64,
    total: usize,
    bls: usize,
    secp: usize,
}

impl Room {
    /// Whether the block is full: out of messages, or under Lotus's `MinGas` of gas left.
    pub(crate) fn full(&self, l: &BlockLimits) -> bool {
        self.total >= l.messages || l.gas - self.gas < crate::gas::MIN_GAS
    }

    fn count_room(&self, l: &BlockLimits, sig: SignatureType) -> usize {
        let of_type = match sig {
            SignatureType::BLS => self.bls,
            SignatureType::Secp256k1 => self.secp,
        };
        (l.messages - self.total).min(l.per_sig_type - of_type)
    }

    fn take(&mut self, c: &MsgChain, out: &mut Vec<SignedMessage>) {
        for m in &c.msgs {
            self.gas += m.message.gas_limit;
            self.total += 1;
            match m.signature.sig_type {
                SignatureType::BLS => self.bls += 1,
                SignatureType::Secp256k1 => self.secp += 1,
            }
            out.push(m.clone());
        }
    }
}

fn sig_of(c: &MsgChain) -> SignatureType {
    c.msgs
        .first()
        .map(|m| m.signature.sig_type)
        .unwrap_or(SignatureType::Secp256k1)
}

/// Greedy selection as Lotus does it: priority senders' chains first (while
/// they pay, as Lotus's `selectPriorityMessages`), then the rest by gas performance; a
/// chain is taken whole when it fits, trimmed to fit otherwise, and a
/// sender's later chains are taken only after all of its earlier ones.
/// Chains with negative performance are never taken.
pub fn select_greedy(
    chains: &[MsgChain],
    limits: BlockLimits,
    priority: &[Address],
    base_fee: &TokenAmount,
) -> Vec<SignedMessage> {
    let all: Vec<usize> = (0..chains.len()).collect();
    let mut room = Room::default();
    let mut out = Vec::new();
    let mut rest = take_priority(
        chains, &all, priority, limits, base_fee, &mut room, &mut out,
    );
    if room.full(&limits) {
        return out;
    }
    by_performance(chains, &mut rest);
    take(chains, &rest, limits, base_fee, &mut room, &mut out);
    out
}

/// Sorts chain indices by gas performance, best first; stable, so each
/// sender's chains stay in nonce order among equals.
pub(crate) fn by_performance(chains: &[MsgChain], idx: &mut [usize]) {
    idx.sort_by(|&a, &b| chains[b].gas_perf.total_cmp(&chains[a].gas_perf));
}

/// Lotus's `selectPriorityMessages`: the chains of priority senders among
/// `among` are taken first, best paying first, as long as they pay (a
/// negative chain ends the phase). Returns the other chains, for the
/// selection proper; priority senders never turn it greedy.
pub(crate) fn take_priority(
    chains: &[MsgChain],
    among: &[usize],
    priority: &[Address],
    limits: BlockLimits,
    base_fee: &TokenAmount,
    room: &mut Room,
    out: &mut Vec<SignedMessage>,
) -> Vec<usize> {
    let prio: HashSet<Address> = priority.iter().copied().collect();
    let (mut first, rest): (Vec<usize>, Vec<usize>) = among
        .iter()
        .partition(|&&i| prio.contains(&chains[i].sender));
    if !first.is_empty() {
        by_performance(chains, &mut first);
        take(chains, &first, limits, base_fee, room, out);
    }
    rest
}

/// Takes chains in `order` into `room`, whole when they fit and trimmed
/// otherwise; after a sender's chain is trimmed or skipped, its later chains
/// are skipped too. Stops when the block is full ([`MIN_GAS`](crate::MIN_GAS)).
pub(crate) fn take(
    chains: &[MsgChain],
    order: &[usize],
    limits: BlockLimits,
    base_fee: &TokenAmount,
    room: &mut Room,
    out: &mut Vec<SignedMessage>,
) {
    let mut broken: HashSet<Address> = HashSet::new();
    for &i in order {
        let c = &chains[i];
        if broken.contains(&c.sender) {
            continue;
        }
        if c.gas_perf < 0.0 {
            broken.insert(c.sender);
            continue;
        }
        let gas_left = limits.gas - room.gas;
        let count_left = room.count_room(&limits, sig_of(c));
        if c.gas_limit > gas_left || c.msgs.len() > count_left {
            let mut trimmed = c.clone();
            trimmed.trim(gas_left, count_left, base_fee);
            // The rest of this sender's messages would leave a nonce gap.
            broken.insert(c.sender);
            if !trimmed.msgs.is_empty() && trimmed.gas_perf >= 0.0 {
                room.take(&trimmed, out);
            }
        } else {
            room.take(c, out);
        }
        if room.full(&limits) {
            break;
        }
    }
}

/// One list per winner, best ticket first: winner `i` selects (optimally,
/// for its own ticket) from the senders no earlier winner took, so no message
/// appears twice, each sender's messages land in one list, and each list is a
/// valid block alone. Returned in the order of `ticket_qualities`.
pub fn select_for_winners(
    chains: &[MsgChain],
    ticket_qualities: &[f64],
    limits: BlockLimits,
    priority: &[Address],
    base_fee: &TokenAmount,
) -> Vec<Vec<SignedMessage>> {
    let mut winners: Vec<usize> = (0..ticket_qualities.len()).collect();
    winners.sort_by(|a, b| ticket_qualities[*b].total_cmp(&ticket_qualities[*a]));
    let mut out = vec![Vec::new(); ticket_qualities.len()];
    let mut taken: Vec<SignedMessage> = Vec::new();
    for w in winners {
        let picked = select_excluding(
            chains,
            ticket_qualities[w],
            &taken,
            limits,
            priority,
            base_fee,
        );
        taken.extend(picked.iter().cloned());
        out[w] = picked;
    }
    out
}

/// Selection for one more pool winner, given the messages other winners of
/// this epoch already chose: their senders are left out entirely.
pub fn select_excluding(
    chains: &[MsgChain],
    ticket_quality: f64,
    already: &[SignedMessage],
    limits: BlockLimits,
    priority: &[Address],
    base_fee: &TokenAmount,
) -> Vec<SignedMessage> {
    let used: HashSet<Address> = already.iter().map(|m| m.message.from).collect();
    let free: Vec<usize> = (0..chains.len())
        .filter(|i| !used.contains(&chains[*i].sender))
        .collect();
    crate::optimal::select_optimal_among(chains, &free, ticket_quality, limits, priority, base_fee)
}
