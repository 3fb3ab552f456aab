//! The miner's constructor, as builtin-actors v17 runs it: checks the
//! control addresses, peer info and PoSt type against the policy, locks
//! the create-miner deposit (the pledge of a tenth of the minimum power)
//! from the value sent, resolves owner and worker (the worker an account
//! with a BLS key), and picks the proving period offset from the miner's
//! address and the epoch.

use fil_actor_miner_state::v17::{
    initial_pledge_for_power, MinerConstructorParams, MinerInfo, State, REWARD_VESTING_SPEC,
};
use fil_actors_shared::v17::runtime::Policy;
use fil_actors_shared::v17::{ActorDowncast, ActorError};
use fvm_ipld_blockstore::Blockstore;
use fvm_ipld_encoding::ipld_block::IpldBlock;
use fvm_ipld_encoding::{BytesDe, CborStore};
use fvm_shared::address::{Address, Protocol};
use fvm_shared::clock::ChainEpoch;
use fvm_shared::econ::TokenAmount;
use fvm_shared::error::ExitCode;
use fvm_shared::ActorID;
use multihash_codetable::Code;

use super::super::super::runtime::{params, returned, Abort, MethodResult, Rt};
use super::super::account::PUBKEY_ADDRESS;
use super::{request_current_epoch_block_reward, request_current_total_power};
use crate::exec::policy::create_miner_deposit_power;
use crate::state::{ActorKind, INIT_ACTOR_ID};

pub(in crate::exec::actors) fn constructor<BS: Blockstore + Clone>(
    rt: &mut Rt<'_, BS>,
    p: Option<IpldBlock>,
) -> MethodResult {
    let p: MinerConstructorParams = params(p)?;
    rt.validate_caller_is(&[INIT_ACTOR_ID])?;
    let policy = rt.policy().clone();
    if p.control_addresses.len() > policy.max_control_addresses {
        return Err(ActorError::illegal_argument(format!(
            "control addresses length {} exceeds max control addresses length {}",
            p.control_addresses.len(),
            policy.max_control_addresses
        ))
        .into());
    }
    check_peer_info(&policy, &p.peer_id, &p.multi_addresses)?;
    if !policy
        .valid_post_proof_type
        .contains(p.window_post_proof_type)
    {
        return Err(ActorError::illegal_argument(format!(
            "proof type {:?} not allowed for new miner actors",
            p.window_post_proof_type
        ))
        .into());
    }

    let balance = rt.balance()?;
    let deposit = create_miner_deposit(rt, &policy)?;
    if balance < deposit {
        return Err(ActorError::insufficient_funds(format!(
            "not enough balance to lock for create miner deposit: sent balance {} < deposit {}",
            balance.atto(),
            deposit.atto()
        ))
        .into());
    }

    let owner = rt.resolve_address(&p.owner)?.ok_or_else(|| {
        ActorError::illegal_argument(format!("unable to resolve owner address: {}", p.owner))
    })?;
    let worker = resolve_worker_address(rt, p.worker)?;
    let mut control = Vec::with_capacity(p.control_addresses.len());
    for a in &p.control_addresses {
        control.push(rt.resolve_address(a)?.ok_or_else(|| {
            ActorError::illegal_argument(format!("unable to resolve control address: {a}"))
        })?);
    }

    let epoch = rt.epoch();
    let receiver = Address::new_id(rt.receiver);
    let offset = assign_proving_period_offset(&policy, receiver, epoch, |b| rt.blake2b(b))
        .map_err(|e| {
            e.downcast_default(
                ExitCode::USR_SERIALIZATION,
                "failed to assign proving period offset",
            )
        })?;
    let period_start = current_proving_period_start(&policy, epoch, offset);
    if period_start > epoch {
        return Err(ActorError::illegal_state(format!(
            "computed proving period start {period_start} after current epoch {epoch}"
        ))
        .into());
    }
    let deadline_idx = ((epoch - period_start) / policy.wpost_challenge_window) as u64;
    if deadline_idx >= policy.wpost_period_deadlines {
        return Err(ActorError::illegal_state(format!(
            "computed proving deadline index {deadline_idx} invalid"
        ))
        .into());
    }

    let info = MinerInfo::new(
        owner,
        worker,
        control,
        p.peer_id,
        p.multi_addresses,
        p.window_post_proof_type,
    )?;
    let info_cid = rt.store().put_cbor(&info, Code::Blake2b256).map_err(|e| {
        e.downcast_default(
            ExitCode::USR_ILLEGAL_STATE,
            "failed to construct illegal state",
        )
    })?;
    let mut st = State::new(&policy, rt.store(), info_cid, period_start, deadline_idx)?;
    st.add_locked_funds(rt.store(), epoch, &deposit, &REWARD_VESTING_SPEC)
        .map_err(|e| ActorError::illegal_state(e.to_string()))?;
    rt.set_state(&st)?;
    Ok(None)
}

/// The initial pledge of [`create_miner_deposit_power`] at this epoch
/// (`calculate_create_miner_deposit`).
fn create_miner_deposit<BS: Blockstore + Clone>(
    rt: &mut Rt<'_, BS>,
    policy: &Policy,
) -> Result<TokenAmount, Abort> {
    let rew = request_current_epoch_block_reward(rt)?;
    let pwr = request_current_total_power(rt)?;
    let supply = rt.circulating_supply()?;
    Ok(initial_pledge_for_power(
        &create_miner_deposit_power(policy),
        &rew.this_epoch_baseline_power,
        &rew.this_epoch_reward_smoothed,
        &pwr.quality_adj_power_smoothed,
        &supply,
        rt.epoch() - pwr.ramp_start_epoch,
        pwr.ramp_duration_epochs,
    ))
}

fn check_peer_info(policy: &Policy, peer_id: &[u8], multiaddrs: &[BytesDe]) -> Result<(), Abort> {
    if peer_id.len() > policy.max_peer_id_length {
        return Err(ActorError::illegal_argument(format!(
            "peer ID size of {} exceeds maximum size of {}",
            peer_id.len(),
            policy.max_peer_id_length
        ))
        .into());
    }
    let mut total = 0;
    for ma in multiaddrs {
        if ma.0.is_empty() {
            return Err(ActorError::illegal_argument("invalid empty multiaddr".into()).into());
        }
        total += ma.0.len();
    }
    if total > policy.max_multiaddr_data {
        return Err(ActorError::illegal_argument(format!(
            "multiaddr size of {total} exceeds maximum of {}",
            policy.max_multiaddr_data
        ))
        .into());
    }
    Ok(())
}

/// The worker must be an account with a BLS key: its key signs tickets
/// and election proofs with a BLS VRF.
pub(super) fn resolve_worker_address<BS: Blockstore + Clone>(
    rt: &mut Rt<'_, BS>,
    raw: Address,
) -> Result<ActorID, Abort> {
    let resolved = rt
        .resolve_address(&raw)?
        .ok_or_else(|| ActorError::illegal_argument(format!("unable to resolve address: {raw}")))?;
    match rt.kind_of(resolved)? {
        Some(ActorKind::Account) => {}
        None => {
            return Err(
                ActorError::illegal_argument(format!("no code for address: f0{resolved}")).into(),
            )
        }
        Some(k) => {
            return Err(ActorError::illegal_argument(format!(
                "worker actor type must be an account, was {k:?}"
            ))
            .into())
        }
    }
    if raw.protocol() != Protocol::BLS {
        let r = rt.send(
            &Address::new_id(resolved),
            PUBKEY_ADDRESS,
            None,
            TokenAmount::default(),
        )?;
        let key: Address = returned(r)?;
        if key.protocol() != Protocol::BLS {
            return Err(ActorError::illegal_argument(format!(
                "worker account f0{resolved} must have BLS pubkey, was {}",
                key.protocol()
            ))
            .into());
        }
    }
    Ok(resolved)
}

/// Where in the proving period the miner's period starts: the Blake2b of
/// its address's CBOR and the epoch (big-endian), modulo the period.
fn assign_proving_period_offset(
    policy: &Policy,
    addr: Address,
    epoch: ChainEpoch,
    blake2b: impl FnOnce(&[u8]) -> [u8; 32],
) -> anyhow::Result<ChainEpoch> {
    let mut bytes = fvm_ipld_encoding::to_vec(&addr)?;
    bytes.extend_from_slice(&epoch.to_be_bytes());
    let digest = blake2b(&bytes);
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    let offset = u64::from_be_bytes(first) % policy.wpost_proving_period as u64;
    Ok(offset as ChainEpoch)
}

/// The start of the proving period that `epoch` is in, for `offset`.
fn current_proving_period_start(
    policy: &Policy,
    epoch: ChainEpoch,
    offset: ChainEpoch,
) -> ChainEpoch {
    let modulus = epoch % policy.wpost_proving_period;
    let progress = if modulus >= offset {
        modulus - offset
    } else {
        policy.wpost_proving_period - (offset - modulus)
    };
    epoch - progress
}
