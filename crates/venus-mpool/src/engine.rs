//! The working state of one selection, as Lotus's `selection.go` keeps it:
//! each chain with its merge and validity flags, its links to the same
//! sender's neighbouring chains, and the block being filled.
//!
//! Greedy and optimal selection ([`crate::select`], [`crate::optimal`]) and
//! the priority phase run over it; trimming a chain invalidates the chains
//! after it, so a block never holds a nonce gap.

use std::cmp::Ordering;
use std::collections::{HashMap, HashSet};

use num_bigint::BigInt;
use venus_core::types::SignedMessage;
use venus_core::{Address, SignatureType, TokenAmount};

use crate::chains::MsgChain;
use crate::gas::{gas_perf, gas_reward, BLOCK_GAS_LIMIT, MIN_GAS};

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

/// One chain during selection (Lotus's `msgChain`).
pub(crate) struct Work {
    /// Index into the caller's chains.
    pub chain: usize,
    pub sender: Address,
    pub sig: SignatureType,
    /// How many of the chain's messages are still in (trimming drops from the end).
    pub len: usize,
    pub gas_limit: u64,
    pub gas_reward: BigInt,
    pub gas_perf: f64,
    pub eff_perf: f64,
    /// The block probability of the partition the chain fell in (0 before partitioning).
    pub bp: f64,
    /// How much averaging with the predecessor moved `eff_perf`.
    pub parent_offset: f64,
    pub valid: bool,
    pub merged: bool,
    pub prev: Option<usize>,
    pub next: Option<usize>,
}

/// A selection in progress over `chains`.
pub(crate) struct Selection<'a> {
    pub chains: &'a [MsgChain],
    pub work: Vec<Work>,
    base_fee: &'a TokenAmount,
    limits: BlockLimits,
    gas_left: u64,
    bls_left: usize,
    secp_left: usize,
    pub out: Vec<SignedMessage>,
}

impl<'a> Selection<'a> {
    /// An empty block and no chains yet.
    pub fn new(chains: &'a [MsgChain], limits: BlockLimits, base_fee: &'a TokenAmount) -> Self {
        Selection {
            chains,
            work: Vec::new(),
            base_fee,
            limits,
            gas_left: limits.gas,
            bls_left: limits.per_sig_type,
            secp_left: limits.per_sig_type,
            out: Vec::new(),
        }
    }

    /// Adds the chains at `among` (every chain of each sender, or none) and
    /// links each sender's chains in nonce order; returns their work indices.
    pub fn load(&mut self, among: &[usize]) -> Vec<usize> {
        let start = self.work.len();
        for &i in among {
            let c = &self.chains[i];
            self.work.push(Work {
                chain: i,
                sender: c.sender,
                sig: c
                    .msgs
                    .first()
                    .map(|m| m.signature.sig_type)
                    .unwrap_or(SignatureType::Secp256k1),
                len: c.msgs.len(),
                gas_limit: c.gas_limit,
                gas_reward: c.gas_reward.clone(),
                gas_perf: c.gas_perf,
                eff_perf: 0.0,
                bp: 0.0,
                parent_offset: 0.0,
                valid: !c.msgs.is_empty(),
                merged: false,
                prev: None,
                next: None,
            });
        }
        let ids: Vec<usize> = (start..self.work.len()).collect();
        let mut by_sender: HashMap<Address, Vec<usize>> = HashMap::new();
        for &w in &ids {
            by_sender.entry(self.work[w].sender).or_default().push(w);
        }
        for mut run in by_sender.into_values() {
            run.sort_by_key(|&w| self.first_nonce(w));
            for pair in run.windows(2) {
                self.work[pair[0]].next = Some(pair[1]);
                self.work[pair[1]].prev = Some(pair[0]);
            }
        }
        ids
    }

    fn first_nonce(&self, w: usize) -> u64 {
        self.chains[self.work[w].chain]
            .msgs
            .first()
            .map_or(0, |m| m.message.sequence)
    }

    /// Whether the block is full: out of messages, or under Lotus's `MinGas` of gas left.
    pub fn full(&self) -> bool {
        self.gas_left < MIN_GAS || self.out.len() >= self.limits.messages
    }

    /// Messages of `sig` the block can still take.
    fn msg_limit(&self, sig: SignatureType) -> usize {
        let of_type = match sig {
            SignatureType::BLS => self.bls_left,
            SignatureType::Secp256k1 => self.secp_left,
        };
        of_type.min(self.limits.messages.saturating_sub(self.out.len()))
    }

    /// Lotus's `Before`: better gas performance first, then the larger reward.
    pub fn before(&self, a: usize, b: usize) -> Ordering {
        let (x, y) = (&self.work[a], &self.work[b]);
        y.gas_perf
            .total_cmp(&x.gas_perf)
            .then_with(|| y.gas_reward.cmp(&x.gas_reward))
    }

    /// Lotus's `BeforeEffective` without its `merged` key (merged chains are
    /// skipped wherever they stand): paying chains first, then better
    /// effective performance, gas performance and reward.
    pub fn before_effective(&self, a: usize, b: usize) -> Ordering {
        let (x, y) = (&self.work[a], &self.work[b]);
        (y.gas_perf >= 0.0)
            .cmp(&(x.gas_perf >= 0.0))
            .then_with(|| y.eff_perf.total_cmp(&x.eff_perf))
            .then_with(|| y.gas_perf.total_cmp(&x.gas_perf))
            .then_with(|| y.gas_reward.cmp(&x.gas_reward))
    }

    /// Lotus's `setEffPerf`: performance weighted by the block probability,
    /// averaged (by gas) with the predecessor's when positive.
    pub fn set_eff_perf(&mut self, w: usize) {
        let mut eff = self.work[w].gas_perf * self.work[w].bp;
        if let (true, Some(p)) = (eff > 0.0, self.work[w].prev) {
            let (pe, pg) = (self.work[p].eff_perf, self.work[p].gas_limit as f64);
            let g = self.work[w].gas_limit as f64;
            let avg = (eff * g + pe * pg) / (g + pg);
            self.work[w].parent_offset = eff - avg;
            eff = avg;
        }
        self.work[w].eff_perf = eff;
    }

    /// Appends chain `w` after its sender's earlier chains not yet in the
    /// block (Lotus's `tryToAddWithDeps`). When they do not fit, `w` is
    /// trimmed to what is left after its dependencies, or invalidated when
    /// the dependencies alone do not fit; either way it is not added.
    pub fn try_add_with_deps(&mut self, w: usize) -> bool {
        let mut deps = Vec::new();
        let (mut dep_gas, mut dep_msgs) = (0u64, 0usize);
        let mut p = self.work[w].prev;
        while let Some(d) = p.filter(|&d| !self.work[d].merged) {
            dep_gas += self.work[d].gas_limit;
            dep_msgs += self.work[d].len;
            deps.push(d);
            p = self.work[d].prev;
        }
        let limit = self.msg_limit(self.work[w].sig);
        if dep_gas + self.work[w].gas_limit > self.gas_left || dep_msgs + self.work[w].len > limit {
            if dep_gas > self.gas_left || dep_msgs >= limit {
                self.invalidate(w);
            } else {
                self.trim(w, self.gas_left - dep_gas, limit - dep_msgs);
            }
            return false;
        }
        for d in deps.into_iter().rev() {
            self.append(d);
        }
        self.append(w);
        true
    }

    fn append(&mut self, w: usize) {
        let Work {
            chain,
            len,
            gas_limit,
            sig,
            ..
        } = self.work[w];
        self.out.extend_from_slice(&self.chains[chain].msgs[..len]);
        self.gas_left -= gas_limit;
        match sig {
            SignatureType::BLS => self.bls_left -= len,
            SignatureType::Secp256k1 => self.secp_left -= len,
        }
        self.work[w].merged = true;
    }

    /// Lotus's `trimChain`: trims `w` to what the block has left, if it must.
    pub fn trim_to_fit(&mut self, w: usize) {
        let limit = self.msg_limit(self.work[w].sig);
        if self.work[w].gas_limit > self.gas_left || self.work[w].len > limit {
            self.trim(w, self.gas_left, limit);
        }
    }

    /// Lotus's `Trim`: drops messages from the end while the chain is over
    /// `gas` or `count`, or pays negatively; the chains after it are invalidated.
    fn trim(&mut self, w: usize, gas: u64, count: usize) {
        let chain = &self.chains[self.work[w].chain];
        while self.work[w].len > 0 {
            let x = &self.work[w];
            if x.gas_limit <= gas && x.gas_perf >= 0.0 && x.len <= count {
                break;
            }
            let m = &chain.msgs[x.len - 1].message;
            let x = &mut self.work[w];
            x.len -= 1;
            x.gas_reward -= gas_reward(m, self.base_fee);
            x.gas_limit -= m.gas_limit;
            if x.gas_limit > 0 {
                x.gas_perf = gas_perf(&x.gas_reward, x.gas_limit);
                if x.bp != 0.0 {
                    self.set_eff_perf(w);
                }
            } else {
                x.gas_perf = 0.0;
                x.eff_perf = 0.0;
            }
        }
        if self.work[w].len == 0 {
            self.work[w].valid = false;
        }
        if let Some(n) = self.work[w].next.take() {
            self.invalidate(n);
        }
    }

    /// Lotus's `Invalidate`: the chain and every later one of its sender are out.
    pub fn invalidate(&mut self, w: usize) {
        let mut at = Some(w);
        while let Some(x) = at {
            self.work[x].valid = false;
            self.work[x].len = 0;
            at = self.work[x].next.take();
        }
    }

    /// Greedy merging in `order` (sorted by [`Selection::before`]), as
    /// Lotus's `selectMessagesGreedy` and `selectPriorityMessages`: chains
    /// are added while they pay and fit; the first that does not fit is
    /// trimmed, moved down to its new rank, and the scan goes on from there.
    ///
    /// Chains are added with their sender's earlier chains not yet in
    /// ([`Selection::try_add_with_deps`]; Lotus's greedy `tryToAdd` takes
    /// none): chains from [`create_chains`](crate::create_chains) rank in
    /// nonce order anyway, but a caller's own chains may tie and rank a
    /// later nonce first, which must not make a block with a nonce gap.
    pub fn greedy(&mut self, mut order: Vec<usize>) {
        let mut last = order.len();
        for (i, &w) in order.iter().enumerate() {
            if self.work[w].gas_perf < 0.0 {
                return;
            }
            if self.work[w].merged {
                // Taken in already, before a later chain of its sender.
                continue;
            }
            if !self.try_add_with_deps(w) {
                last = i;
                break;
            }
        }
        'tail: while self.gas_left >= MIN_GAS && last < order.len() {
            self.trim_to_fit(order[last]);
            if self.work[order[last]].valid {
                let mut i = last;
                while i + 1 < order.len() && self.before(order[i], order[i + 1]).is_gt() {
                    order.swap(i, i + 1);
                    i += 1;
                }
            }
            let mut failed = None;
            for (i, &w) in order.iter().enumerate().skip(last) {
                if !self.work[w].valid || self.work[w].merged {
                    continue;
                }
                if self.work[w].gas_perf < 0.0 {
                    break 'tail;
                }
                if !self.try_add_with_deps(w) {
                    failed = Some(i);
                    break;
                }
            }
            match failed {
                Some(i) => last = i,
                None => break,
            }
        }
    }
}

/// Lotus's `selectPriorityMessages`: the priority senders' chains among
/// `among` go first, greedily while they pay. Returns the other chains.
pub(crate) fn priority_phase(
    sel: &mut Selection<'_>,
    among: &[usize],
    priority: &[Address],
) -> Vec<usize> {
    if priority.is_empty() {
        return among.to_vec();
    }
    let prio: HashSet<Address> = priority.iter().copied().collect();
    let (first, rest): (Vec<usize>, Vec<usize>) = among
        .iter()
        .partition(|&&i| prio.contains(&sel.chains[i].sender));
    if !first.is_empty() {
        let mut order = sel.load(&first);
        order.sort_by(|&a, &b| sel.before(a, b));
        sel.greedy(order);
    }
    rest
}
