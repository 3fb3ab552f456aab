//! Greedy selection.

use venus_core::types::SignedMessage;
use venus_core::{Address, TokenAmount};

use crate::chains::MsgChain;
use crate::engine::{priority_phase, BlockLimits, Selection};

/// Greedy selection as Lotus's `selectMessagesGreedy`: priority senders'
/// chains first (while they pay, as Lotus's `selectPriorityMessages`), then
/// the rest by gas performance; the first chain that does not fit is
/// trimmed and re-ranked, and filling goes on from there. A trimmed chain's
/// later chains are dropped (no nonce gap), and chains with negative
/// performance are never taken.
pub fn select_greedy(
    chains: &[MsgChain],
    limits: BlockLimits,
    priority: &[Address],
    base_fee: &TokenAmount,
) -> Vec<SignedMessage> {
    let all: Vec<usize> = (0..chains.len()).collect();
    let mut sel = Selection::new(chains, limits, base_fee);
    let rest = priority_phase(&mut sel, &all, priority);
    if sel.full() {
        return sel.out;
    }
    let mut order = sel.load(&rest);
    order.sort_by(|&a, &b| sel.before(a, b));
    sel.greedy(order);
    sel.out
}
