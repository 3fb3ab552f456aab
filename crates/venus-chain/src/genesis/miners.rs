//! Genesis miners from pre-sealed sectors, after Lotus's
//! `SetupStorageMiners` (`chain/gen/genesis/miners.go`) for actors v17:
//!
//! 1. Per miner, in order: power `CreateMiner` runs for real, as an
//!    implicit message from the owner key with Lotus's create-miner value
//!    (the pledge of a tenth of the minimum power at 300 million FIL of
//!    circulating supply); the miner's owner and worker are both the
//!    worker key, and it must get the next ID from f01000.
//! 2. Per sector: the worker pays the pre-commit deposit and the initial
//!    pledge Lotus sends; the sector is written as `PreCommitSectorBatch2`
//!    then `InternalSectorSetupForPreseal` leave it (activated at epoch 0,
//!    `SIMPLE_QA_POWER`, the pledge those methods compute from the zero
//!    inputs Lotus passes, which is the 1 attoFIL minimum), assigned to a
//!    deadline by the state crate's `assign_sectors_to_deadlines`, proven
//!    at once (Lotus's `EraseAllUnproven`), and its power claimed. The
//!    first sector enrolls the miner's proving-deadline cron event.
//! 3. The power totals become this epoch's power, as Lotus writes them.
//!
//! Unlike Lotus's, our genesis sectors carry no deals (the market and the
//! verified registry are not modeled), so their quality-adjusted power is
//! their raw power, not ten times it; and no pre-commit clean-up entry is
//! left behind.

use cid::Cid;
use fil_actor_miner_state::v17::{
    daily_proof_fee, initial_pledge_for_power, is_sealed_sector, pre_commit_deposit_for_power,
    qa_power_max, CollisionPolicy, CronEventPayload, SectorOnChainInfo, SectorOnChainInfoFlags,
    State as MinerState, CRON_EVENT_PROVING_DEADLINE,
};
use fil_actor_power_state::v17::{CreateMinerParams, CreateMinerReturn, CronEvent};
use fil_actors_shared::v17::builtin::reward::FilterEstimate;
use fil_actors_shared::v17::runtime::Policy;
use fvm_ipld_bitfield::BitField;
use fvm_ipld_blockstore::Blockstore;
use fvm_ipld_encoding::RawBytes;
use fvm_shared::address::Address;
use fvm_shared::clock::ChainEpoch;
use fvm_shared::econ::TokenAmount;
use fvm_shared::sector::{RegisteredSealProof, SectorNumber, SectorSize, StoragePower};
use fvm_shared::ActorID;
use num_traits::Zero;

use super::{MINER_START, POWER_ID, REWARD_ID};
use crate::error::{ChainError, Result};
use crate::exec::actors::{add_to_claim, append_cron_event, CREATE_MINER};
use crate::exec::Vm;

/// The circulating supply Lotus assumes for the create-miner value at
/// genesis (`InitialFilReserved`, 300 million FIL).
const GENESIS_DEPOSIT_SUPPLY: u64 = 300_000_000;

/// A genesis miner: Lotus's `genesis.Miner`, as a pre-seal manifest gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenesisMiner {
    /// The key that pays for the miner (an account of the genesis).
    pub owner: Address,
    /// The worker key, a BLS account of the genesis; Lotus makes it the
    /// miner's owner as well, and it pays for the sectors.
    pub worker: Address,
    /// The libp2p peer ID (its bytes as the manifest writes them).
    pub peer_id: Vec<u8>,
    /// The pre-sealed sectors.
    pub sectors: Vec<GenesisSector>,
}

/// A pre-sealed sector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenesisSector {
    /// Its number.
    pub number: SectorNumber,
    /// Its seal proof type.
    pub proof: RegisteredSealProof,
    /// CommR.
    pub sealed_cid: Cid,
}

fn err(msg: impl Into<String>) -> ChainError {
    ChainError::Genesis(msg.into())
}

/// Runs a genesis step as an implicit message; any failure stops genesis.
fn implicit<BS: Blockstore + Clone>(
    vm: &mut Vm<BS>,
    from: &Address,
    to: &Address,
    method: u64,
    params: RawBytes,
    value: &TokenAmount,
    what: &str,
) -> Result<RawBytes> {
    let r = vm.apply_implicit(from, to, method, &params, value)?;
    if !r.receipt.exit_code.is_success() {
        return Err(err(format!(
            "{what}: exit code {}: {}",
            r.receipt.exit_code,
            r.error.unwrap_or_default()
        )));
    }
    Ok(r.receipt.return_data)
}

/// Creates `miners` in order, from f01000; returns their IDs.
pub(super) fn setup_miners<BS: Blockstore + Clone>(
    vm: &mut Vm<BS>,
    miners: &[GenesisMiner],
) -> Result<Vec<ActorID>> {
    let policy = vm.env().policy.clone();
    let mut ids = Vec::with_capacity(miners.len());
    for (i, m) in miners.iter().enumerate() {
        let expected = MINER_START + i as ActorID;
        let proof = m
            .sectors
            .first()
            .ok_or_else(|| err(format!("miner f0{expected} has no sectors")))?
            .proof;
        let post = proof
            .registered_window_post_proof()
            .map_err(|e| err(format!("miner f0{expected}: {e}")))?;
        let value = create_miner_value(vm, &policy)?;
        let params = RawBytes::serialize(CreateMinerParams {
            owner: m.worker,
            worker: m.worker,
            window_post_proof_type: post,
            peer: m.peer_id.clone(),
            multiaddrs: Vec::new(),
        })
        .map_err(|e| err(e.to_string()))?;
        let ret = implicit(
            vm,
            &m.owner,
            &Address::new_id(POWER_ID),
            CREATE_MINER,
            params,
            &value,
            &format!("creating miner f0{expected}"),
        )?;
        let ret: CreateMinerReturn = ret
            .deserialize()
            .map_err(|e| err(format!("CreateMiner's return: {e}")))?;
        if ret.id_address != Address::new_id(expected) {
            return Err(err(format!(
                "miner {i} got {}, not f0{expected}: something took an ID first",
                ret.id_address
            )));
        }
        let worker = vm
            .tree_mut()
            .lookup_id(&m.worker)?
            .ok_or_else(|| err(format!("worker {} is not a genesis account", m.worker)))?;
        let mut seen = std::collections::BTreeSet::new();
        for s in &m.sectors {
            if !seen.insert(s.number) {
                return Err(err(format!(
                    "miner f0{expected} lists sector {} twice",
                    s.number
                )));
            }
            preseal_sector(vm, &policy, expected, worker, s)?;
        }
        ids.push(expected);
    }

    // This epoch's power is the totals, as Lotus writes it; every genesis
    // miner must be able to mine.
    let power_actor = vm.tree().actor(POWER_ID)?;
    let mut power: fil_actor_power_state::v17::State =
        vm.tree().read_state(&power_actor.state, "power state")?;
    for id in &ids {
        let claim = power
            .get_claim(vm.tree().store(), &Address::new_id(*id))
            .map_err(|e| err(e.to_string()))?
            .ok_or_else(|| err(format!("miner f0{id} has no claim")))?;
        if claim.raw_byte_power < policy.minimum_consensus_power {
            return Err(err(format!(
                "miner f0{id} has {} bytes of power, below the {} a miner needs to mine",
                claim.raw_byte_power, policy.minimum_consensus_power
            )));
        }
    }
    power.this_epoch_raw_byte_power = power.total_raw_byte_power.clone();
    power.this_epoch_quality_adj_power = power.total_quality_adj_power.clone();
    put(vm, POWER_ID, &power)?;
    Ok(ids)
}

/// Lotus's `CalculateMinerCreationDepositForGenesis`.
fn create_miner_value<BS: Blockstore + Clone>(vm: &Vm<BS>, policy: &Policy) -> Result<TokenAmount> {
    let (reward, power) = reward_and_power(vm)?;
    Ok(initial_pledge_for_power(
        &crate::exec::policy::create_miner_deposit_power(policy),
        &reward.this_epoch_baseline_power,
        &reward.this_epoch_reward_smoothed,
        &power.this_epoch_qa_power_smoothed,
        &TokenAmount::from_whole(GENESIS_DEPOSIT_SUPPLY),
        0,
        power.ramp_duration_epochs,
    ))
}

fn reward_and_power<BS: Blockstore + Clone>(
    vm: &Vm<BS>,
) -> Result<(
    fil_actor_reward_state::v17::State,
    fil_actor_power_state::v17::State,
)> {
    let t = vm.tree();
    let reward = t.read_state(&t.actor(REWARD_ID)?.state, "reward state")?;
    let power = t.read_state(&t.actor(POWER_ID)?.state, "power state")?;
    Ok((reward, power))
}

fn put<BS: Blockstore + Clone, T: serde::Serialize>(
    vm: &mut Vm<BS>,
    id: ActorID,
    st: &T,
) -> Result<()> {
    let head = vm.tree().put_state(st)?;
    let mut actor = vm.tree().actor(id)?;
    actor.state = head;
    vm.tree_mut().set_actor(id, actor);
    Ok(())
}

fn move_funds<BS: Blockstore + Clone>(
    vm: &mut Vm<BS>,
    from: ActorID,
    to: ActorID,
    amount: &TokenAmount,
) -> Result<()> {
    let t = vm.tree_mut();
    let mut a = t.actor(from)?;
    if a.balance < *amount {
        return Err(err(format!(
            "f0{from} has {} and must pay {amount} for a genesis sector",
            a.balance
        )));
    }
    a.balance -= amount;
    t.set_actor(from, a);
    let mut b = t.actor(to)?;
    b.balance += amount;
    t.set_actor(to, b);
    Ok(())
}

/// One pre-sealed sector, activated at epoch 0 with its power claimed.
fn preseal_sector<BS: Blockstore + Clone>(
    vm: &mut Vm<BS>,
    policy: &Policy,
    miner: ActorID,
    worker: ActorID,
    s: &GenesisSector,
) -> Result<()> {
    let e = |what: &str, x: &dyn std::fmt::Display| {
        err(format!("f0{miner} sector {}: {what}: {x}", s.number))
    };
    let store = vm.tree().store().clone();
    let actor = vm.tree().actor(miner)?;
    let mut st: MinerState = vm.tree().read_state(&actor.state, "miner state")?;
    let info = st.get_info(&store).map_err(|x| e("miner info", &x))?;
    if !policy.valid_pre_commit_proof_type.contains(s.proof) {
        return Err(e("seal proof", &format!("{:?} is not allowed", s.proof)));
    }
    let post = s
        .proof
        .registered_window_post_proof()
        .map_err(|x| e("seal proof", &x))?;
    if post != info.window_post_proof_type {
        return Err(e(
            "seal proof",
            &format!(
                "{:?} does not match the miner's {:?}",
                s.proof, info.window_post_proof_type
            ),
        ));
    }
    if !is_sealed_sector(&s.sealed_cid) {
        return Err(e(
            "CommR",
            &format!("{} is not a sealed-sector CID", s.sealed_cid),
        ));
    }
    let size: SectorSize = info.sector_size;
    let power = StoragePower::from(size as u64);

    // What Lotus sends: the deposit for the most a sector can weigh, and
    // the pledge at zero circulating supply.
    let (reward, pw) = reward_and_power(vm)?;
    let deposit = pre_commit_deposit_for_power(
        &reward.this_epoch_reward_smoothed,
        &pw.this_epoch_qa_power_smoothed,
        &qa_power_max(size),
    );
    let sent_pledge = initial_pledge_for_power(
        &power,
        &reward.this_epoch_baseline_power,
        &reward.this_epoch_reward_smoothed,
        &pw.this_epoch_qa_power_smoothed,
        &TokenAmount::zero(),
        0,
        0,
    );
    move_funds(vm, worker, miner, &(deposit + sent_pledge))?;

    let numbers = BitField::try_from_bits([s.number]).map_err(|x| e("sector number", &x))?;
    st.allocate_sector_numbers(&store, &numbers, CollisionPolicy::DenyCollisions)
        .map_err(|x| e("allocating its number", &x))?;
    let period = policy.wpost_proving_period;
    let max_periods = policy.max_sector_expiration_extension / period;
    let expiration: ChainEpoch = (max_periods - 1) * period + st.proving_period_start - 1;
    // The pledge InternalSectorSetupForPreseal computes from the zero
    // estimates Lotus passes it.
    let zero = FilterEstimate::new(Zero::zero(), Zero::zero());
    let pledge = initial_pledge_for_power(
        &power,
        &Zero::zero(),
        &zero,
        &zero,
        &TokenAmount::zero(),
        0,
        0,
    );
    let sector = SectorOnChainInfo {
        sector_number: s.number,
        seal_proof: s.proof,
        sealed_cid: s.sealed_cid,
        deprecated_deal_ids: Vec::new(),
        activation: 0,
        expiration,
        deal_weight: Zero::zero(),
        verified_deal_weight: Zero::zero(),
        initial_pledge: pledge.clone(),
        expected_day_reward: None,
        expected_storage_pledge: None,
        power_base_epoch: 0,
        replaced_day_reward: None,
        sector_key_cid: None,
        flags: SectorOnChainInfoFlags::SIMPLE_QA_POWER,
        daily_fee: daily_proof_fee(policy, &TokenAmount::zero(), &power),
    };
    st.put_sectors(&store, vec![sector.clone()])
        .map_err(|x| e("storing it", &x))?;
    st.assign_sectors_to_deadlines(
        policy,
        &store,
        0,
        vec![sector],
        info.window_post_partition_sectors,
        size,
    )
    .map_err(|x| e("assigning it a deadline", &x))?;
    erase_unproven(&mut st, policy, &store).map_err(|x| e("proving it", &x))?;
    st.add_initial_pledge(&pledge)
        .map_err(|x| e("pledge", &x))?;
    let balance = vm.tree().actor(miner)?.balance;
    st.check_balance_invariants(&balance)
        .map_err(|x| e("balance", &x))?;

    let power_actor = vm.tree().actor(POWER_ID)?;
    let mut pst: fil_actor_power_state::v17::State =
        vm.tree().read_state(&power_actor.state, "power state")?;
    if !st.deadline_cron_active {
        st.deadline_cron_active = true;
        let payload = RawBytes::serialize(CronEventPayload {
            event_type: CRON_EVENT_PROVING_DEADLINE,
        })
        .map_err(|x| e("cron payload", &x))?;
        append_cron_event(
            &mut pst,
            &store,
            st.deadline_info(policy, 0).last(),
            CronEvent {
                miner_addr: Address::new_id(miner),
                callback_payload: payload,
            },
        )
        .map_err(|x| e("enrolling its cron event", &x))?;
    }
    pst.total_pledge_collateral += &pledge;
    let mut claims = pst.load_claims(&store).map_err(|x| e("claims", &x))?;
    add_to_claim(
        &mut pst,
        policy,
        &mut claims,
        &Address::new_id(miner),
        &power,
        &power,
    )
    .map_err(|x| e("claiming its power", &x))?;
    pst.save_claims(&mut claims).map_err(|x| e("claims", &x))?;
    put(vm, POWER_ID, &pst)?;
    put(vm, miner, &st)
}

/// Marks every sector proven (Lotus's `EraseAllUnproven`: each
/// partition's `ActivateUnproven`, nothing else).
fn erase_unproven<BS: Blockstore>(
    st: &mut MinerState,
    policy: &Policy,
    store: &BS,
) -> anyhow::Result<()> {
    let mut deadlines = st.load_deadlines(store)?;
    for idx in 0..policy.wpost_period_deadlines {
        let mut dl = deadlines.load_deadline(store, idx)?;
        let mut parts = dl.partitions_amt(store)?;
        let mut changed = Vec::new();
        parts.for_each(|i, p| {
            if !p.unproven.is_empty() {
                let mut p = p.clone();
                p.activate_unproven();
                changed.push((i, p));
            }
            Ok(())
        })?;
        if changed.is_empty() {
            continue;
        }
        for (i, p) in changed {
            parts.set(i, p)?;
        }
        dl.partitions = parts.flush()?;
        deadlines.update_deadline(policy, store, idx, &dl)?;
    }
    st.save_deadlines(store, deadlines)?;
    Ok(())
}
