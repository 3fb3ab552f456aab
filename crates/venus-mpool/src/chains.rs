//! Message chains: one sender's pending messages, cut where Lotus cuts them
//! and merged so that every chain pays better per gas than the next.

use num_bigint::BigInt;
use venus_core::types::SignedMessage;
use venus_core::{Address, TokenAmount};

use crate::gas::{gas_perf, gas_reward};
use crate::inclusion::{
    check_inclusion, on_chain_message_gas, NetworkVersion, DEFAULT_NETWORK_VERSION,
};

/// Gas every on-chain message of `size` chain bytes costs before execution,
/// at [`DEFAULT_NETWORK_VERSION`](crate::DEFAULT_NETWORK_VERSION); see
/// [`on_chain_message_gas`](crate::inclusion::on_chain_message_gas) for
/// another version.
pub fn min_gas_limit(size: usize) -> u64 {
    on_chain_message_gas(DEFAULT_NETWORK_VERSION, size)
}

/// What chain construction needs to know about the sender.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SenderState {
    /// The next nonce the chain expects.
    pub nonce: u64,
    /// The balance that must cover the gas (fee cap × gas limit) of every message taken.
    pub balance: TokenAmount,
}

/// A run of one sender's messages, consecutive in nonce, taken or left together.
#[derive(Debug, Clone)]
pub struct MsgChain {
    /// The sender.
    pub sender: Address,
    /// The messages, in nonce order.
    pub msgs: Vec<SignedMessage>,
    /// Sum of their gas rewards.
    pub gas_reward: BigInt,
    /// Sum of their gas limits.
    pub gas_limit: u64,
    /// Reward per gas, block-scaled.
    pub gas_perf: f64,
}

impl MsgChain {
    fn single(m: SignedMessage, base_fee: &TokenAmount) -> Self {
        let reward = gas_reward(&m.message, base_fee);
        MsgChain {
            sender: m.message.from,
            gas_limit: m.message.gas_limit,
            gas_perf: gas_perf(&reward, m.message.gas_limit),
            gas_reward: reward,
            msgs: vec![m],
        }
    }

    fn absorb(&mut self, next: MsgChain) {
        self.gas_reward += next.gas_reward;
        self.gas_limit += next.gas_limit;
        self.msgs.extend(next.msgs);
        self.gas_perf = gas_perf(&self.gas_reward, self.gas_limit);
    }

    /// Drops messages from the end until the chain fits `gas` and `count`; recomputes its reward.
    pub fn trim(&mut self, gas: u64, count: usize, base_fee: &TokenAmount) {
        while !self.msgs.is_empty() && (self.gas_limit > gas || self.msgs.len() > count) {
            if let Some(m) = self.msgs.pop() {
                self.gas_limit -= m.message.gas_limit;
                self.gas_reward -= gas_reward(&m.message, base_fee);
            }
        }
        self.gas_perf = gas_perf(&self.gas_reward, self.gas_limit);
    }
}

/// [`create_chains_at`] under the rules of [`DEFAULT_NETWORK_VERSION`](crate::DEFAULT_NETWORK_VERSION).
pub fn create_chains(
    msgs: Vec<SignedMessage>,
    state: &SenderState,
    base_fee: &TokenAmount,
) -> Vec<MsgChain> {
    create_chains_at(msgs, state, base_fee, DEFAULT_NETWORK_VERSION)
}

/// Builds one sender's chains. Messages below the state nonce are skipped;
/// the run stops at a nonce gap, at a message not valid for block inclusion
/// at `nv` (Lotus's `createMessageChains`), and where the balance no longer
/// covers a message's gas (fee cap × gas limit; its value is subtracted only
/// while the balance covers it, as Lotus does).
pub fn create_chains_at(
    mut msgs: Vec<SignedMessage>,
    state: &SenderState,
    base_fee: &TokenAmount,
    nv: NetworkVersion,
) -> Vec<MsgChain> {
    msgs.sort_by_key(|m| m.message.sequence);
    let mut next_nonce = state.nonce;
    let mut balance = state.balance.clone();
    let mut gas_total: u64 = 0;
    let mut singles: Vec<MsgChain> = Vec::new();
    for m in msgs {
        let msg = &m.message;
        if msg.sequence < next_nonce && singles.is_empty() {
            continue;
        }
        if msg.sequence != next_nonce {
            break;
        }
        if check_inclusion(&m, nv).is_err() {
            break;
        }
        // Lotus stops a sender's chains once they would pass a block's gas.
        gas_total += msg.gas_limit;
        if gas_total > crate::gas::BLOCK_GAS_LIMIT {
            break;
        }
        // Lotus's `createMessageChains`: the gas must be covered; the value
        // is taken only while the balance covers it (a message whose value
        // fails still pays the miner its gas).
        let required = &msg.gas_fee_cap * msg.gas_limit;
        if required > balance {
            break;
        }
        balance -= required;
        if balance >= msg.value {
            balance -= &msg.value;
        }
        next_nonce += 1;
        singles.push(MsgChain::single(m, base_fee));
    }
    // Merge until every chain pays strictly better per gas than the next one
    // (Lotus's invariant): a later chain that pays at least as well joins its predecessor.
    let mut chains = singles;
    loop {
        let mut merged = false;
        let mut i = chains.len();
        while i > 1 {
            i -= 1;
            if chains[i].gas_perf >= chains[i - 1].gas_perf {
                let later = chains.remove(i);
                chains[i - 1].absorb(later);
                merged = true;
            }
        }
        if !merged {
            return chains;
        }
    }
}
