//! Applying a tipset's messages, in Lotus's order
//! (`chain/consensus/compute_state.go`, `chain/store/messages.go`):
//!
//! 1. Which messages run ([`select_messages`], Lotus's
//!    `BlockMsgsForTipset`): blocks in tipset order, each block's BLS
//!    messages then its secp256k1 ones; per sender, the first message seen
//!    sets the expected nonce and a message whose nonce is not the next
//!    one is dropped (a duplicate across blocks, or one already used).
//!    Senders are keyed by the address written in the message until one
//!    is written as an ID, from then on by ID, as Lotus does.
//! 2. Each selected message whose unsigned CID has not run yet in this
//!    tipset is applied ([`Vm::apply_message`]); its receipt goes into the
//!    receipts AMT (legacy v0 format, bit width 3), at the index of the
//!    messages applied.
//! 3. Per block, the miner's tips and penalties are summed for its reward.
//!
//! [`apply_tipset`] adds what Lotus's `ApplyBlocks` runs around the
//! messages: cron for null rounds, each block's reward, and cron.

use std::collections::{HashMap, HashSet};

use cid::Cid;
use fil_actor_reward_state::v17::AwardBlockRewardParams;
use fvm_ipld_amt::Amtv0;
use fvm_ipld_blockstore::Blockstore;
use fvm_ipld_encoding::RawBytes;
use fvm_shared::address::{Address, Protocol};
use fvm_shared::clock::ChainEpoch;
use fvm_shared::econ::TokenAmount;
use fvm_shared::receipt::Receipt;
use venus_core::encoding::cid_of;
use venus_core::types::{BlockMessages, SignedMessage, TipSet};
use venus_core::Message;

use super::actors::{AWARD_BLOCK_REWARD, EPOCH_TICK};
use super::externs::Externs;
use super::message::{ExecEnv, Vm};
use crate::error::{store_err, ChainError, Result};
use crate::state::ids::{CRON_ID, REWARD_ID, SYSTEM_ID};
use crate::state::{Manifest, StateTree};
use crate::store::Buffered;

/// One block of the tipset: its miner, its win count and its messages.
#[derive(Debug, Clone, Copy)]
pub struct BlockToApply<'a> {
    /// The block's miner.
    pub miner: Address,
    /// Its election proof's win count.
    pub win_count: i64,
    /// Its messages.
    pub messages: &'a BlockMessages,
}

impl<'a> BlockToApply<'a> {
    /// The blocks of `ts`, each with its messages (`messages[i]` are
    /// block `i`'s, as [`ChainStore::block_messages`](crate::chain::ChainStore::block_messages) reads them).
    pub fn of_tipset(ts: &'a TipSet, messages: &'a [BlockMessages]) -> Vec<BlockToApply<'a>> {
        ts.blocks()
            .iter()
            .zip(messages)
            .map(|(b, m)| BlockToApply {
                miner: b.miner,
                win_count: b.election_proof.as_ref().map_or(0, |e| e.win_count),
                messages: m,
            })
            .collect()
    }
}

/// A message chosen to run, with what it occupies on chain.
#[derive(Debug, Clone, Copy)]
pub enum Selected<'a> {
    /// A BLS message (its signature is in the block's aggregate).
    Bls(&'a Message),
    /// A secp256k1 message, with its signature.
    Secp(&'a SignedMessage),
}

impl Selected<'_> {
    /// The unsigned message.
    pub fn message(&self) -> &Message {
        match self {
            Selected::Bls(m) => m,
            Selected::Secp(m) => &m.message,
        }
    }
}

/// What one block's messages earn and cost its miner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockReward {
    /// The block's miner.
    pub miner: Address,
    /// The sum of its messages' tips (held by the reward actor).
    pub gas_reward: TokenAmount,
    /// The sum of its messages' miner penalties.
    pub penalty: TokenAmount,
    /// Its win count.
    pub win_count: i64,
}

/// The result of applying a tipset's messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TipsetApplied {
    /// The state root after the messages.
    pub state_root: Cid,
    /// The root of the receipts AMT.
    pub receipts_root: Cid,
    /// The receipts, in order.
    pub receipts: Vec<Receipt>,
    /// Per block, in tipset order.
    pub rewards: Vec<BlockReward>,
}

/// The messages of each block that run (Lotus's `BlockMsgsForTipset`),
/// against `parent` (the tipset's parent state) for resolving senders.
pub fn select_messages<'a, BS: Blockstore>(
    parent: &mut StateTree<BS>,
    blocks: &[BlockToApply<'a>],
) -> Result<Vec<Vec<Selected<'a>>>> {
    let mut next: HashMap<Address, u64> = HashMap::new();
    let mut use_ids = false;
    let resolve = |tree: &mut StateTree<BS>, a: &Address| -> Result<Address> {
        tree.lookup_id(a)?
            .map(Address::new_id)
            .ok_or_else(|| ChainError::State(format!("cannot resolve sender {a}")))
    };
    let mut out = Vec::with_capacity(blocks.len());
    for b in blocks {
        let all = b
            .messages
            .bls_messages
            .iter()
            .map(Selected::Bls)
            .chain(b.messages.secpk_messages.iter().map(Selected::Secp));
        let mut chosen = Vec::new();
        for s in all {
            let m = s.message();
            let sender = if use_ids {
                resolve(parent, &m.from)?
            } else if m.from.protocol() != Protocol::ID {
                m.from
            } else {
                use_ids = true;
                let mut by_id = HashMap::with_capacity(next.len());
                for (robust, nonce) in next.drain() {
                    by_id.insert(resolve(parent, &robust)?, nonce);
                }
                next = by_id;
                resolve(parent, &m.from)?
            };
            let expected = *next.entry(sender).or_insert(m.sequence);
            if expected != m.sequence {
                continue;
            }
            // Go's `applied[sender]++` wraps; so does this.
            next.insert(sender, expected.wrapping_add(1));
            chosen.push(s);
        }
        out.push(chosen);
    }
    Ok(out)
}

/// Applies the messages of `blocks` on `parent_state`; returns the new
/// state, the receipts and what each block's miner is owed. Only the
/// messages: no reward and no cron ([`apply_tipset`] runs those).
///
/// Nothing reaches `store` until the end, and then in one batch
/// ([`Buffered`]): a failure leaves it as it was.
pub fn apply_messages<BS: Blockstore>(
    store: BS,
    parent_state: &Cid,
    manifest: &Manifest,
    env: &ExecEnv,
    blocks: &[BlockToApply<'_>],
) -> Result<TipsetApplied> {
    let buf = Buffered::new(store);
    let mut tree = StateTree::load(&buf, parent_state)?;
    let selected = select_messages(&mut tree, blocks)?;
    let mut vm = Vm::new(tree, manifest.clone(), env.clone());
    let (receipts, rewards) = run_blocks(&mut vm, blocks, selected, false)?;
    finish(vm, &buf, receipts, rewards)
}

/// Applies a tipset as Lotus's `ApplyBlocks` (`chain/consensus/compute_state.go`):
/// cron for each null round after `parent_epoch`, then block by block its
/// messages and its reward (`AwardBlockReward` from the system), then
/// cron at the tipset's epoch (`env.epoch`). A reward or cron that fails
/// fails the tipset, as in Lotus.
///
/// CPU-heavy and synchronous (seal and PoSt verification run inside):
/// call it from a blocking thread (`spawn_blocking`), never on an async
/// runtime's workers.
pub fn apply_tipset<BS: Blockstore>(
    store: BS,
    parent_state: &Cid,
    parent_epoch: ChainEpoch,
    manifest: &Manifest,
    env: &ExecEnv,
    externs: Option<Externs>,
    blocks: &[BlockToApply<'_>],
) -> Result<TipsetApplied> {
    let buf = Buffered::new(store);
    // Senders resolve against the parent state, before any null-round
    // cron (Lotus's `BlockMsgsForTipset` reads the parent state root).
    let selected = select_messages(&mut StateTree::load(&buf, parent_state)?, blocks)?;
    let mut state = *parent_state;
    for epoch in (parent_epoch + 1)..env.epoch {
        let tree = StateTree::load(&buf, &state)?;
        let null_env = ExecEnv {
            epoch,
            ..env.clone()
        };
        let mut vm = with_externs(Vm::new(tree, manifest.clone(), null_env), &externs);
        run_cron(&mut vm)?;
        state = vm.tree_mut().flush()?;
    }
    let tree = StateTree::load(&buf, &state)?;
    let mut vm = with_externs(Vm::new(tree, manifest.clone(), env.clone()), &externs);
    let (receipts, rewards) = run_blocks(&mut vm, blocks, selected, true)?;
    run_cron(&mut vm)?;
    finish(vm, &buf, receipts, rewards)
}

fn with_externs<BS: Blockstore + Clone>(vm: Vm<BS>, externs: &Option<Externs>) -> Vm<BS> {
    match externs {
        Some(x) => vm.with_externs(x.clone()),
        None => vm,
    }
}

/// The system's `EpochTick` to the cron actor.
fn run_cron<BS: Blockstore + Clone>(vm: &mut Vm<BS>) -> Result<()> {
    let epoch = vm.env().epoch;
    let r = vm.apply_implicit(
        &Address::new_id(SYSTEM_ID),
        &Address::new_id(CRON_ID),
        EPOCH_TICK,
        &RawBytes::default(),
        &TokenAmount::default(),
    )?;
    if !r.receipt.exit_code.is_success() {
        return Err(ChainError::State(format!(
            "cron at epoch {epoch} failed with exit code {}: {}",
            r.receipt.exit_code,
            r.error.unwrap_or_default()
        )));
    }
    Ok(())
}

/// Each block's `selected` messages, in order, each applied once; after
/// each block, its reward if `reward`.
fn run_blocks<BS: Blockstore + Clone>(
    vm: &mut Vm<BS>,
    blocks: &[BlockToApply<'_>],
    selected: Vec<Vec<Selected<'_>>>,
    reward: bool,
) -> Result<(Vec<Receipt>, Vec<BlockReward>)> {
    let mut seen: HashSet<Cid> = HashSet::new();
    let mut receipts = Vec::new();
    let mut rewards = Vec::with_capacity(blocks.len());
    for (b, msgs) in blocks.iter().zip(selected) {
        let mut gas_reward = TokenAmount::default();
        let mut penalty = TokenAmount::default();
        for s in msgs {
            let (cid, unsigned) = cid_of(s.message())
                .map_err(|e| ChainError::State(format!("encoding a message: {e}")))?;
            if !seen.insert(cid) {
                continue;
            }
            let chain_length = match s {
                Selected::Bls(_) => unsigned.len(),
                Selected::Secp(m) => m
                    .to_cbor()
                    .map_err(|e| ChainError::State(format!("encoding a message: {e}")))?
                    .len(),
            };
            let ret = vm.apply_message(s.message(), chain_length)?;
            gas_reward += &ret.gas.miner_tip;
            penalty += &ret.miner_penalty;
            receipts.push(ret.receipt);
        }
        let block = BlockReward {
            miner: b.miner,
            gas_reward,
            penalty,
            win_count: b.win_count,
        };
        if reward {
            award(vm, &block)?;
        }
        rewards.push(block);
    }
    Ok((receipts, rewards))
}

/// The system's `AwardBlockReward` for one block.
fn award<BS: Blockstore + Clone>(vm: &mut Vm<BS>, b: &BlockReward) -> Result<()> {
    let params = RawBytes::serialize(AwardBlockRewardParams {
        miner: b.miner,
        penalty: b.penalty.clone(),
        gas_reward: b.gas_reward.clone(),
        win_count: b.win_count,
    })
    .map_err(|e| ChainError::State(format!("encoding a reward: {e}")))?;
    let r = vm.apply_implicit(
        &Address::new_id(SYSTEM_ID),
        &Address::new_id(REWARD_ID),
        AWARD_BLOCK_REWARD,
        &params,
        &TokenAmount::default(),
    )?;
    if !r.receipt.exit_code.is_success() {
        return Err(ChainError::State(format!(
            "the reward of {}'s block failed with exit code {}: {}",
            b.miner,
            r.receipt.exit_code,
            r.error.unwrap_or_default()
        )));
    }
    Ok(())
}

/// The new state root and the receipts AMT, written in one batch.
fn finish<BS: Blockstore>(
    mut vm: Vm<&Buffered<BS>>,
    buf: &Buffered<BS>,
    receipts: Vec<Receipt>,
    rewards: Vec<BlockReward>,
) -> Result<TipsetApplied> {
    let state_root = vm.tree_mut().flush()?;
    let receipts_root = Amtv0::new_from_iter(buf, receipts.iter())?;
    drop(vm);
    buf.flush().map_err(store_err)?;
    Ok(TipsetApplied {
        state_root,
        receipts_root,
        receipts,
        rewards,
    })
}
