//! Selection for several pool winners of one epoch, after Venus's
//! `MultipleSelectMessages` (`pkg/messagepool/selection.go`).

use std::collections::HashSet;

use venus_core::types::SignedMessage;
use venus_core::{Address, TokenAmount};

use crate::chains::MsgChain;
use crate::engine::BlockLimits;
use crate::optimal::select_optimal_among;

/// One list per winner, in the caller's order, as Venus's
/// `MultipleSelectMessages`: each winner selects (greedily above ticket
/// quality 0.84, optimally below, for its own ticket) from the senders no
/// earlier winner took, so a sender's messages land in one block and each
/// list is a valid block alone. Priority senders are offered to the first
/// winner only (Venus takes them out of the pending set there): whatever of
/// theirs does not fit waits for the next epoch, as for any sender.
///
/// A winner whose list comes out empty (every sender was taken) gets a copy
/// of the first winner's list, as Venus does: a tipset executes a message
/// once, so the copy costs nothing when both blocks land, and it carries
/// the messages when the first block does not (late, or lost).
pub fn select_for_winners(
    chains: &[MsgChain],
    ticket_qualities: &[f64],
    limits: BlockLimits,
    priority: &[Address],
    base_fee: &TokenAmount,
) -> Vec<Vec<SignedMessage>> {
    let mut out: Vec<Vec<SignedMessage>> = vec![Vec::new(); ticket_qualities.len()];
    let mut used: HashSet<Address> = HashSet::new();
    for (i, &tq) in ticket_qualities.iter().enumerate() {
        if i == 1 {
            used.extend(priority.iter().copied());
        }
        let free = free_chains(chains, &used);
        if free.is_empty() {
            break;
        }
        let prio = if i == 0 { priority } else { &[] };
        let picked = select_optimal_among(chains, &free, tq, limits, prio, base_fee);
        used.extend(picked.iter().map(|m| m.message.from));
        out[i] = picked;
    }
    if let Some((first, rest)) = out.split_first_mut() {
        for list in rest.iter_mut().filter(|l| l.is_empty()) {
            list.clone_from(first);
        }
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
    let free = free_chains(chains, &used);
    select_optimal_among(chains, &free, ticket_quality, limits, priority, base_fee)
}

fn free_chains(chains: &[MsgChain], used: &HashSet<Address>) -> Vec<usize> {
    (0..chains.len())
        .filter(|i| !used.contains(&chains[*i].sender))
        .collect()
}
