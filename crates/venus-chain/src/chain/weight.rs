//! Lotus's fork-choice weight (`chain/consensus/filcns/weight.go`) and its
//! tie-break (`breakWeightTie`, `chain/store/store.go`).

use fvm_ipld_blockstore::Blockstore;
use num_bigint::BigInt;
use venus_core::types::TipSet;

use crate::error::{ChainError, Result};
use crate::state::ids::POWER_ID;
use crate::state::StateTree;

/// `WRatioNum / WRatioDen` and `BlocksPerEpoch` of Lotus's build constants.
const W_RATIO_NUM: i64 = 1;
const W_RATIO_DEN: i64 = 2;
const BLOCKS_PER_EPOCH: i64 = 5;

/// A tipset's weight:
/// `parent weight + log2P·2^8 + log2P·W_num·2^8·ΣWinCount / (BlocksPerEpoch·W_den)`,
/// where `log2P` is the bit length minus one of the network's
/// quality-adjusted power in the tipset's parent state.
///
/// As in Lotus, a network without power is an error.
pub fn weight<BS: Blockstore>(store: &BS, ts: &TipSet) -> Result<BigInt> {
    let tree = StateTree::load(store, &ts.parent_state())?;
    let power = tree.actor(POWER_ID)?;
    let st: fil_actor_power_state::v17::State = tree.read_state(&power.state, "power state")?;
    let total = &st.total_quality_adj_power;
    if total.sign() != num_bigint::Sign::Plus {
        return Err(ChainError::State(
            "all power in the net is gone: a tipset's weight needs power".into(),
        ));
    }
    let log2p = total.bits() as i64 - 1;
    let win_count: i64 = ts
        .blocks()
        .iter()
        .map(|b| b.election_proof.as_ref().map_or(0, |e| e.win_count))
        .sum();
    let mut out = ts.blocks()[0].parent_weight.clone();
    out += BigInt::from(log2p << 8);
    let e_weight = (BigInt::from(log2p * W_RATIO_NUM) << 8) * BigInt::from(win_count)
        / BigInt::from(BLOCKS_PER_EPOCH * W_RATIO_DEN);
    Ok(out + e_weight)
}

/// Whether `a` wins a weight tie against `b`: the first block (in ticket
/// order) whose ticket differs decides, the smaller ticket digest winning;
/// an unbroken tie goes to `b`.
pub fn breaks_tie(a: &TipSet, b: &TipSet) -> bool {
    for (x, y) in a.blocks().iter().zip(b.blocks()) {
        let dx = x.ticket.as_ref().map(|t| t.digest()).unwrap_or_default();
        let dy = y.ticket.as_ref().map(|t| t.digest()).unwrap_or_default();
        match dx.cmp(&dy) {
            std::cmp::Ordering::Less => return true,
            std::cmp::Ordering::Greater => return false,
            std::cmp::Ordering::Equal => {}
        }
    }
    false
}
