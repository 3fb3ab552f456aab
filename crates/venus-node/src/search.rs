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
use venus_core::{ChainEpoch, Message};

use crate::error::{NodeError, Result};
use crate::node::Node;

impl<BS: Blockstore + Send + Sync + 'static> Node<BS> {
    /// Where `cid` executed on the chain of `from` (the head when
    /// `None`): the tipset whose parent state holds its receipt, as Lotus
    /// answers `StateSearchMsg`. `None` while it has not executed (a
    /// message in the head has not: its receipt comes with the next
    /// tipset).
    ///
    /// The walk stops at the first tipset where the sender's nonce shows
    /// the message cannot have run yet.
    pub async fn search(&self, cid: &Cid, from: Option<&TipSet>) -> Result<Option<MsgLookup>> {
        self.search_with(cid, from, -1, true).await
    }

    /// [`Node::search`] with Lotus's `lookbackLimit` (epochs back from the
    /// start; -1 for none) and `allowReplaced` (a message with the same
    /// sender, nonce and call but other gas values counts, and the lookup
    /// names it).
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
        let target = chain.message(cid).ok();
        let cid = *cid;
        tokio::task::spawn_blocking(move || {
            let bs = chain.blockstore();
            let floor = if lookback_limit < 0 {
                0
            } else {
                start.height().saturating_sub(lookback_limit)
            };
            let mut ts = start;
            while ts.height() > 0 && ts.height() >= floor {
                let mut state = StateTree::load(bs, &ts.parent_state())?;
                if let Some(m) = &target {
                    // Not run before this state: nothing further back either.
                    let nonce = match state.lookup_id(&m.from)? {
                        Some(id) => state.get_actor(id)?.map(|a| a.sequence),
                        None => None,
                    };
                    if nonce.is_none_or(|n| n <= m.sequence) {
                        return Ok(None);
                    }
                }
                let parent = chain.tipset(&ts.parents())?;
                if let Some((index, found)) =
                    executed_in(&chain, &parent, &cid, target.as_ref(), allow_replaced)?
                {
                    let root = ts.blocks()[0].parent_message_receipts;
                    let receipts = Amt::<Receipt, _>::load(&root, bs)
                        .map_err(|e| NodeError::Invalid(format!("receipts {root}: {e}")))?;
                    let receipt = receipts
                        .get(index as u64)
                        .map_err(|e| NodeError::Invalid(format!("receipts {root}: {e}")))?
                        .cloned()
                        .ok_or_else(|| {
                            NodeError::Invalid(format!("no receipt {index} in {root}"))
                        })?;
                    return Ok(Some(MsgLookup {
                        message: found,
                        receipt,
                        return_dec: None,
                        tipset: ts.key().clone(),
                        height: ts.height(),
                    }));
                }
                ts = parent;
            }
            Ok(None)
        })
        .await?
    }
}

/// The index of the message among those `ts` ran, and its CID (another
/// one when a replacement ran).
fn executed_in<BS: Blockstore>(
    chain: &ChainStore<BS>,
    ts: &TipSet,
    cid: &Cid,
    target: Option<&Message>,
    allow_replaced: bool,
) -> Result<Option<(usize, Cid)>> {
    for (i, (this, m)) in executed_messages(chain, ts)?.into_iter().enumerate() {
        if this == *cid {
            return Ok(Some((i, this)));
        }
        if let Some(t) = target {
            if allow_replaced
                && m.from == t.from
                && m.sequence == t.sequence
                && m.to == t.to
                && m.method_num == t.method_num
                && m.value == t.value
                && m.params == t.params
            {
                return Ok(Some((i, this)));
            }
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
    let blocks: Vec<BlockToApply<'_>> = ts
        .blocks()
        .iter()
        .zip(&messages)
        .map(|(b, m)| BlockToApply {
            miner: b.miner,
            win_count: b.election_proof.as_ref().map_or(0, |e| e.win_count),
            messages: m,
        })
        .collect();
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
