//! What consensus reads of a miner in a state: its power claim, the
//! network's power, its worker key, whether it may mine, and the sectors
//! winning PoSt draws from (Lotus's `chain/stmgr/actors.go` and
//! `chain/stmgr/utils.go`).

use fil_actor_miner_state::v17::{MinerInfo, SectorOnChainInfo, State as MinerState};
use fil_actor_power_state::v17::{Claim, State as PowerState};
use fvm_ipld_bitfield::BitField;
use fvm_ipld_blockstore::Blockstore;
use fvm_shared::address::{Address, Protocol};
use fvm_shared::clock::ChainEpoch;
use fvm_shared::ActorID;

use crate::error::{ChainError, Result};
use crate::state::ids::POWER_ID;
use crate::state::{ActorKind, Manifest, StateTree};
use fil_actors_shared::v17::runtime::Policy;
use venus_core::types::ExtendedSectorInfo;

/// The power actor's state in `tree`.
pub fn power_state<BS: Blockstore>(tree: &StateTree<BS>) -> Result<PowerState> {
    let a = tree.actor(POWER_ID)?;
    tree.read_state(&a.state, "power state")
}

/// A miner's power claim, if it has one.
pub fn claim<BS: Blockstore>(tree: &StateTree<BS>, miner: ActorID) -> Result<Option<Claim>> {
    power_state(tree)?
        .get_claim(tree.store(), &Address::new_id(miner))
        .map_err(|e| ChainError::State(format!("power claims: {e:#}")))
}

/// A miner's state and info.
pub fn miner_state<BS: Blockstore>(
    tree: &StateTree<BS>,
    miner: ActorID,
) -> Result<(MinerState, MinerInfo)> {
    let a = tree
        .get_actor(miner)?
        .ok_or(ChainError::NoActor(Address::new_id(miner)))?;
    let st: MinerState = tree.read_state(&a.state, "miner state")?;
    let info = st
        .get_info(tree.store())
        .map_err(|e| ChainError::State(format!("miner {miner} info: {e:#}")))?;
    Ok((st, info))
}

/// The key address behind `addr` (Lotus's `ResolveToDeterministicAddress`
/// for account actors): a key address is its own; an ID is looked up.
pub fn key_address<BS: Blockstore>(
    tree: &mut StateTree<BS>,
    manifest: &Manifest,
    addr: &Address,
) -> Result<Address> {
    if matches!(addr.protocol(), Protocol::BLS | Protocol::Secp256k1) {
        return Ok(*addr);
    }
    let id = tree
        .lookup_id(addr)?
        .ok_or_else(|| ChainError::State(format!("cannot resolve {addr}")))?;
    let actor = tree.actor(id)?;
    if manifest.kind_of(&actor.code) != Some(ActorKind::Account) {
        return Err(ChainError::State(format!(
            "{addr} is not an account actor, it has no key"
        )));
    }
    let st: fil_actor_account_state::v17::State = tree.read_state(&actor.state, "account state")?;
    Ok(st.address)
}

/// The miner's worker key in `tree` (Lotus's `GetMinerWorkerRaw`).
pub fn worker_key<BS: Blockstore>(
    tree: &mut StateTree<BS>,
    manifest: &Manifest,
    miner: ActorID,
) -> Result<Address> {
    let (_, info) = miner_state(tree, miner)?;
    key_address(tree, manifest, &info.worker)
}

/// Why a miner may not mine on a base, Lotus's `MinerEligibleToMine`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ineligible {
    /// Its raw power at the lookback is below the consensus minimum.
    BelowMinimumPower,
    /// It has no power claim, or a claim without power, at the base.
    NoPower,
    /// It owes fees.
    FeeDebt,
    /// A consensus fault is in force until this epoch.
    ConsensusFault(ChainEpoch),
}

impl std::fmt::Display for Ineligible {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Ineligible::BelowMinimumPower => write!(f, "its power is below the consensus minimum"),
            Ineligible::NoPower => write!(f, "it has no power"),
            Ineligible::FeeDebt => write!(f, "it has fee debt"),
            Ineligible::ConsensusFault(until) => {
                write!(f, "it is under a consensus fault until epoch {until}")
            }
        }
    }
}

/// Lotus's `MinerEligibleToMine`: the minimum power in `lookback_parent`
/// (the lookback tipset's parent state, as Lotus reads it), then at the
/// base state `base_parent`: a non-empty claim, no fee debt, no consensus
/// fault at `base_height`.
pub fn eligibility<BS: Blockstore>(
    lookback_parent: &StateTree<BS>,
    base_parent: &StateTree<BS>,
    base_height: ChainEpoch,
    policy: &Policy,
    miner: ActorID,
) -> Result<Option<Ineligible>> {
    let (_, meets) = power_state(lookback_parent)?
        .miner_nominal_power_meets_consensus_minimum(policy, lookback_parent.store(), miner)
        .map_err(|e| ChainError::State(format!("consensus minimum power: {e}")))?;
    if !meets {
        return Ok(Some(Ineligible::BelowMinimumPower));
    }
    match claim(base_parent, miner)? {
        Some(c) if c.quality_adj_power.sign() == num_bigint::Sign::Plus => {}
        _ => return Ok(Some(Ineligible::NoPower)),
    }
    let (st, info) = miner_state(base_parent, miner)?;
    if !st.fee_debt.is_zero() {
        return Ok(Some(Ineligible::FeeDebt));
    }
    if base_height <= info.consensus_fault_elapsed {
        return Ok(Some(Ineligible::ConsensusFault(
            info.consensus_fault_elapsed,
        )));
    }
    Ok(None)
}

/// The miner's active sectors (live, neither faulty nor unproven) across
/// its deadlines, in ascending number order: what a winning PoSt
/// challenge indexes (`GetSectorsForWinningPoSt` from version 7).
pub fn active_sectors<BS: Blockstore>(
    tree: &StateTree<BS>,
    miner: ActorID,
) -> Result<Vec<ExtendedSectorInfo>> {
    let (st, _) = miner_state(tree, miner)?;
    let store = tree.store();
    let ipld = |e: anyhow::Error| ChainError::State(format!("miner {miner} deadlines: {e:#}"));
    let deadlines = st
        .load_deadlines(store)
        .map_err(|e| ChainError::State(format!("miner {miner} deadlines: {e}")))?;
    let mut parts: Vec<BitField> = Vec::new();
    deadlines
        .for_each(store, |_, dl| {
            dl.for_each(store, |_, p| {
                parts.push(p.active_sectors());
                Ok(())
            })
        })
        .map_err(ipld)?;
    let all = BitField::union(parts.iter());
    let sectors = st.load_sector_infos(store, &all).map_err(ipld)?;
    Ok(sectors
        .into_iter()
        .map(|s: SectorOnChainInfo| ExtendedSectorInfo {
            seal_proof: s.seal_proof,
            sector_number: s.sector_number,
            sector_key: s.sector_key_cid,
            sealed_cid: s.sealed_cid,
        })
        .collect())
}
