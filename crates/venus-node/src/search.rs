//! Where a message executed: Lotus's `StateSearchMsg`, walking back from
//! the head over executed tipsets.

use cid::Cid;
use fvm_ipld_amt::Amtv0 as Amt;
use fvm_ipld_blockstore::Blockstore;
use fvm_shared::receipt::Receipt;
use venus_chain::chain::ChainStore;
use venus_chain::exec::{select_messages, BlockToApply, Selected};
use venus_chain::StateTree;
use venus_core::types::{message_cid, MsgLookup, TipSet};
use venus_core::{Address, ChainEpoch, Message};

use crate::error::{NodeError, Result};
use crate::node::Node;

impl<BS: Blockstore + Send + Sync + 'static> Node<BS> {
    /// Where `cid` executed on the chain of `from` (the head when
    /// `None`): the tipset whose parent state holds its receipt, as Lotus
    /// answers `StateSearchMsg`. `None` while it has not executed (a
    /// message in the head has not: its receipt comes with the next
    /// tipset).
    pub async fn search(&self, cid: &Cid, from: Option<&TipSet>) -> Result<Option<MsgLookup>> {
        self.search_with(cid, from, -1, true).await
    }

    /// [`Node::search`] with Lotus's `lookbackLimit` (epochs back from the
    /// start; -1 for none) and `allowReplaced` (a message with the same
    /// sender, nonce and call but another CID counts, and the lookup names
    /// it). As Lotus's `searchBackForMsg`, it follows the sender's nonce
    /// down the chain and looks only in the tipset where the nonce passed
    /// the message's, so a search costs state reads, not message walks.
    /// A message the node does not have is an error, as is a message with
    /// the same sender and nonce that is not a replacement of this one.
    pub async fn search_with(
        &self,
        cid: &Cid,
        from: Option<&TipSet>,
        lookback_limit: ChainEpoch,
        allow_replaced: bool,
    ) -> Result<Option<MsgLookup>> {
        let chain = self.chain().clone();
        let start = match from {
            Some(ts) => ts.clone(),
            None => chain.head(),
        };
        let target = chain
            .message(cid)
            .map_err(|e| NodeError::NotFound(format!("failed to load message {cid}: {e}")))?;
        let cid = *cid;
        tokio::task::spawn_blocking(move || {
            let bs = chain.blockstore();
            let no_limit = lookback_limit == -1;
            let limit_height = start.height().saturating_sub(lookback_limit);
            let nonce_at = |ts: &TipSet, who: &Address| -> Result<Option<u64>> {
                let mut state = StateTree::load(bs, &ts.parent_state())?;
                Ok(state.find_actor(who)?.map(|a| a.sequence))
            };
            let from_id = {
                let mut state = StateTree::load(bs, &start.parent_state())?;
                match state.lookup_id(&target.from)? {
                    Some(id) => Address::new_id(id),
                    None => return Ok(None),
                }
            };
            let start_key = start.key().clone();
            let mut cur = start;
            let mut cur_nonce = nonce_at(&cur, &from_id)?;
            loop {
                // The start itself is always looked at, as Lotus checks the
                // head before it searches back within the limit.
                let beyond = !no_limit && cur.height() <= limit_height && *cur.key() != start_key;
                if cur.height() == 0 || beyond {
                    return Ok(None);
                }
                match cur_nonce {
                    Some(n) if n > 0 && n >= target.sequence => {}
                    _ => return Ok(None),
                }
                let parent = chain.tipset(&cur.parents())?;
                let parent_nonce = nonce_at(&parent, &from_id)?;
                let passed = match (cur_nonce, parent_nonce) {
                    (_, None) => true,
                    (Some(c), Some(p)) => c > target.sequence && p <= target.sequence,
                    (None, Some(_)) => false,
                };
                if passed {
                    if let Some((index, found)) =
                        executed_in(&chain, &parent, &cid, &target, allow_replaced)?
                    {
                        let root = cur.blocks()[0].parent_message_receipts;
                        let receipt =
                            parent_receipts(bs, &root)?
                                .get(index)
                                .cloned()
                                .ok_or_else(|| {
                                    NodeError::Invalid(format!("no receipt {index} in {root}"))
                                })?;
                        return Ok(Some(MsgLookup {
                            message: found,
                            receipt,
                            return_dec: None,
                            tipset: cur.key().clone(),
                            height: cur.height(),
                        }));
                    }
                }
                cur = parent;
                cur_nonce = parent_nonce;
            }
        })
        .await?
    }
}

/// Lotus's `tipsetExecutedMessage` over the messages `ts` ran, newest
/// first: the index and CID of the one with the target's sender and nonce.
fn executed_in<BS: Blockstore>(
    chain: &ChainStore<BS>,
    ts: &TipSet,
    cid: &Cid,
    target: &Message,
    allow_replaced: bool,
) -> Result<Option<(usize, Cid)>> {
    let ran = executed_messages(chain, ts)?;
    for (i, (this, m)) in ran.iter().enumerate().rev() {
        if m.from != target.from {
            continue;
        }
        if m.sequence == target.sequence {
            let equal_call = m.to == target.to
                && m.method_num == target.method_num
                && m.value == target.value
                && m.params == target.params;
            if !equal_call || (this != cid && !allow_replaced) {
                return Err(NodeError::Invalid(format!(
                    "message replaced: found message {this} with equal nonce {} as the one \
                     we are looking for ({cid})",
                    target.sequence
                )));
            }
            return Ok(Some((i, *this)));
        }
        if m.sequence < target.sequence {
            return Ok(None);
        }
    }
    Ok(None)
}

/// The messages `ts` runs, in order, with the CIDs its blocks list them
/// under (Lotus's `MessagesForTipset`: each once, and a sender's only
/// while its nonces follow on). Their receipts are in this order.
pub fn executed_messages<BS: Blockstore>(
    chain: &ChainStore<BS>,
    ts: &TipSet,
) -> Result<Vec<(Cid, Message)>> {
    if ts.height() == 0 {
        return Ok(Vec::new());
    }
    let messages = ts
        .blocks()
        .iter()
        .map(|b| chain.block_messages(b))
        .collect::<venus_chain::Result<Vec<_>>>()?;
    let blocks = BlockToApply::of_tipset(ts, &messages);
    let mut parent = StateTree::load(chain.blockstore(), &ts.parent_state())?;
    let selected = select_messages(&mut parent, &blocks)?;
    selected
        .iter()
        .flatten()
        .map(|s| {
            let cid = match s {
                Selected::Bls(m) => message_cid(m),
                Selected::Secp(m) => m.cid(),
            }
            .map_err(|e| NodeError::Invalid(e.to_string()))?;
            Ok((cid, s.message().clone()))
        })
        .collect()
}

/// The receipts of the messages `ts`'s parents ran, from its header.
pub fn parent_receipts<BS: Blockstore>(bs: &BS, root: &Cid) -> Result<Vec<Receipt>> {
    let amt = Amt::<Receipt, _>::load(root, bs)
        .map_err(|e| NodeError::Invalid(format!("receipts {root}: {e}")))?;
    let mut out = Vec::new();
    amt.for_each(|_, r| {
        out.push(r.clone());
        Ok(())
    })
    .map_err(|e| NodeError::Invalid(format!("receipts {root}: {e}")))?;
    Ok(out)
}
