//! The slash filter: the pool never signs two blocks that would get a
//! member miner slashed for a consensus fault, whatever crashes, restarts
//! or second instance of the miner happen.
//!
//! Lotus's miner checks its blocks after signing them
//! (`chain/gen/slashfilter/slashfilter.go`), and sophon-miner writes the
//! row that would catch a second block only after broadcasting the first
//! (`node/modules/slashfilter/slashfilter.go`): a crash between the two
//! forgets it. Here a block is **claimed before its signature is asked
//! for**, and the claim is a row that the storage's unique keys make
//! exclusive:
//!
//! - **double-fork** (two blocks at one epoch): one row per (miner, epoch);
//! - **time-offset** (two blocks on the same parents): one row per (miner,
//!   parents);
//! - **parent-grinding** (a block whose parents leave out our own signed
//!   block at the parents' height): checked against the block recorded
//!   there, as Lotus's `MinedBlock` checks it at `base.TipSet.Height()`
//!   (`miner/miner.go`); and no block is claimed below an epoch the miner
//!   already claimed (that later block's parents could not hold it).
//!
//! A block leaves the miner only after its signature is recorded
//! ([`SlashFilter::signed`]), so a claim without one binds nothing yet. A
//! later claim that meets such a claim, on its parents or at its parents'
//! height, **fences** it, in one conditional update: the old claim keeps
//! its epoch, gives up its parents and is marked failed, and its
//! signature can no longer be recorded, so that block never leaves. Had
//! the signature been recorded first, the fence misses and the later
//! claim is refused. So an instance killed between its claim and its
//! signature (or a hung one) cannot stall the members it was mining for,
//! which on a network of pool miners alone would stall the chain for good.
//!
//! The same rows are how two miner instances on one database share the
//! pool: whichever claims (miner, epoch) first mines it; the other gets
//! [`Refusal::TakenBy`] and moves on (as Curio claims its `mining_tasks`).
//!
//! A signed block binds its miner for good (it may have left), so the
//! filter also keeps the block itself: if its instance dies between the
//! signature and the send, or the node refuses it, any instance sends it
//! again ([`SlashFilter::unsent`]) instead of every later block of that
//! miner on the same parents being refused as time-offset.
//!
//! A claim names the block by the CID of its *unsigned* header, so the
//! same block claimed again (a restart that rebuilt it exactly) is
//! [`Claim::Again`] and may be signed again (BLS signatures are
//! deterministic, so that is the same block), unless a later claim fenced
//! it meanwhile: that is [`Refusal::Fenced`], said before the wallet is
//! asked for a signature that could never be recorded or sent. Anything
//! else at that epoch is refused.

mod memory;
mod sql;

pub use memory::MemorySlashFilter;
pub use sql::SqlSlashFilter;

use async_trait::async_trait;
use cid::Cid;
use serde::{Deserialize, Serialize};
use venus_core::types::TipSetKey;
use venus_core::{Address, ChainEpoch};

use crate::{now_ms, Result};

/// A block a miner is about to ask its worker key to sign.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockClaim {
    /// The miner.
    pub miner: Address,
    /// The block's epoch.
    pub epoch: ChainEpoch,
    /// The height of its parents (below `epoch - 1` after null rounds):
    /// where the parent-grinding check looks for our own block.
    pub parent_epoch: ChainEpoch,
    /// Its parents.
    pub parents: TipSetKey,
    /// The CID of its header without the signature.
    pub unsigned: Cid,
    /// Which miner instance claims it.
    pub instance: String,
}

impl BlockClaim {
    /// The parents as one fixed-length key (hex of their key's BLAKE2b-256),
    /// which the storage keeps unique per miner.
    pub fn parent_hash(&self) -> String {
        parents_hash(&self.parents)
    }
}

fn parents_hash(parents: &TipSetKey) -> String {
    hex_key(&parents.to_bytes())
}

/// A fixed-length key for `bytes`: the hex of their BLAKE2b-256.
fn hex_key(bytes: &[u8]) -> String {
    hex::encode(venus_core::encoding::blake2b_256(bytes))
}

/// What [`SlashFilter::claim`] answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// The block is ours to sign.
    Granted,
    /// This very block was claimed before (by this instance, before a
    /// restart): signing it again gives the same block.
    Again,
    /// Signing it could get the miner slashed, or another instance mines
    /// this epoch: do not sign.
    Refused(Refusal),
}

/// Why a block may not be signed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Refusal {
    /// This instance already claimed another block at this epoch.
    #[error("double-fork: block {other} (unsigned) was already claimed at this epoch")]
    DoubleFork {
        /// The unsigned CID of the block claimed first.
        other: Cid,
    },
    /// Another instance claimed this (miner, epoch) first: it mines it.
    #[error("instance {instance} claimed this epoch first")]
    TakenBy {
        /// The instance that holds the claim.
        instance: String,
    },
    /// A block on the same parents was signed, or claimed at a later
    /// epoch.
    #[error(
        "time-offset: block {other} (unsigned) on the same parents was claimed at epoch {epoch}"
    )]
    TimeOffset {
        /// The unsigned CID of that block.
        other: Cid,
        /// Its epoch.
        epoch: ChainEpoch,
    },
    /// The miner signed a block at the parents' height, and these parents
    /// leave it out.
    #[error("parent-grinding: our block {ours} at the parents' height is not among the parents")]
    ParentGrinding {
        /// The CID of our signed block of the epoch before.
        ours: Cid,
    },
    /// The claim kept losing races with other claims of the miner's
    /// blocks; the next round tries again.
    #[error("the claim kept racing with other instances")]
    Contended,
    /// A block of the miner at a later epoch was claimed: signing an
    /// older one now could leave the later block's parents without it
    /// (parent-grinding).
    #[error("a block at the later epoch {epoch} was claimed first")]
    Later {
        /// That block's epoch.
        epoch: ChainEpoch,
    },
    /// This very block was claimed before, by this instance, but a later
    /// claim fenced it before its signature was recorded: it can no
    /// longer be signed and sent.
    #[error("fenced: a later claim superseded this block before its signature was recorded")]
    Fenced,
}

/// Where a claimed block got to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum BlockState {
    /// Claimed; its signature has not come back.
    Claimed,
    /// Signed (its CID is recorded); not yet accepted by a node.
    Signed,
    /// Accepted by a node.
    Submitted,
    /// Given up on after the claim (the reason is recorded).
    Failed,
}

impl BlockState {
    /// The stored code.
    pub fn code(self) -> i64 {
        match self {
            BlockState::Claimed => 0,
            BlockState::Signed => 1,
            BlockState::Submitted => 2,
            BlockState::Failed => 3,
        }
    }

    /// The state stored as `code`.
    pub fn from_code(code: i64) -> Option<Self> {
        Some(match code {
            0 => BlockState::Claimed,
            1 => BlockState::Signed,
            2 => BlockState::Submitted,
            3 => BlockState::Failed,
            _ => return None,
        })
    }
}

/// A claimed block as the filter records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MinedBlock {
    /// The miner.
    pub miner: Address,
    /// The block's epoch.
    pub epoch: ChainEpoch,
    /// Its parents' height.
    pub parent_epoch: ChainEpoch,
    /// Its parents.
    pub parents: TipSetKey,
    /// The unsigned header's CID.
    pub unsigned: Cid,
    /// The signed block's CID, once signed.
    pub cid: Option<Cid>,
    /// The instance that claimed it.
    pub instance: String,
    /// Where it got to.
    pub state: BlockState,
    /// Why it failed, if it did.
    pub reason: String,
    /// When it was claimed (Unix milliseconds).
    pub claimed_at_ms: i64,
}

/// Which recorded blocks [`SlashFilter::list`] returns, newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BlocksQuery {
    /// Only these miners (all when empty).
    pub miners: Vec<Address>,
    /// At most this many (all when 0).
    pub limit: usize,
    /// Skipping this many.
    pub offset: usize,
}

/// The answer to `block` where its (miner, epoch) is already held by
/// `held`, which a later claim has `fenced` or not.
fn decide(block: &BlockClaim, held: &MinedBlock, fenced: bool) -> Claim {
    if held.instance != block.instance {
        // Even the same block: the holder signs and submits it.
        Claim::Refused(Refusal::TakenBy {
            instance: held.instance.clone(),
        })
    } else if held.unsigned != block.unsigned {
        Claim::Refused(Refusal::DoubleFork {
            other: held.unsigned,
        })
    } else if fenced {
        Claim::Refused(Refusal::Fenced)
    } else {
        Claim::Again
    }
}

/// What a claim does about `other`, a recorded block of its miner on its
/// parents or at its parents' height.
enum Check {
    /// Nothing in the way.
    Clear,
    /// Signing could get the miner slashed.
    Refuse(Refusal),
    /// `other`'s signature was never recorded: fence it first.
    Fence,
}

/// The time-offset check against `other`, the block holding `block`'s
/// parents.
fn offset_check(block: &BlockClaim, other: &MinedBlock) -> Check {
    if other.cid.is_none() && other.epoch < block.epoch {
        Check::Fence
    } else {
        Check::Refuse(Refusal::TimeOffset {
            other: other.unsigned,
            epoch: other.epoch,
        })
    }
}

/// The parent-grinding check against `prev`, the miner's block at the
/// parents' height: signed and left out of the parents; or not signed yet
/// (it could be, any moment), so fenced (a no-op if it already is).
fn parent_check(block: &BlockClaim, prev: &MinedBlock) -> Check {
    match prev.cid {
        Some(ours) if !block.parents.cids().contains(&ours) => {
            Check::Refuse(Refusal::ParentGrinding { ours })
        }
        Some(_) => Check::Clear,
        None => Check::Fence,
    }
}

/// The parent key a fenced claim keeps: unique, and no block's.
fn fenced_hash(other: &MinedBlock) -> String {
    let mut bytes = b"superseded".to_vec();
    bytes.extend_from_slice(&other.epoch.to_be_bytes());
    bytes.extend_from_slice(&other.parents.to_bytes());
    hex_key(&bytes)
}

/// The reason a fenced claim records.
fn fenced_reason(block: &BlockClaim) -> String {
    format!(
        "superseded before its signature was recorded: instance {} claimed epoch {} over it",
        block.instance, block.epoch
    )
}

/// How many times a claim looks again after losing a race.
const CLAIM_TRIES: usize = 4;

/// Where the pool records the blocks it claims, so that it never signs two
/// that get a miner slashed. Implementations must make [`claim`] atomic
/// against every other caller that shares the storage (other instances
/// included), and durable before it returns.
///
/// [`claim`]: SlashFilter::claim
#[async_trait]
pub trait SlashFilter: Send + Sync {
    /// Claims `block` before its signature is asked for. Only
    /// [`Claim::Granted`] and [`Claim::Again`] allow signing.
    async fn claim(&self, block: &BlockClaim) -> Result<Claim>;

    /// These three act on `claim`'s row only when it holds that very claim
    /// (same block, same instance); otherwise they fail with `NotFound`
    /// (or answer `false`), so no instance can touch another's claim.
    /// `signed` and `finish` also fail on a claim a later one fenced;
    /// `release` still gives it up.
    ///
    /// Records the signed block: its CID, from now on held against the
    /// next epoch's blocks by the parent-grinding check, and `block`, its
    /// CBOR (a `BlockMsg`), kept for [`unsent`](SlashFilter::unsent). Call
    /// it before the block leaves the miner, and send the block only if it
    /// succeeds: it fails with `NotFound` once a later claim fenced this
    /// one.
    async fn signed(&self, claim: &BlockClaim, cid: &Cid, block: &[u8]) -> Result<()>;

    /// The signed blocks of `miners` at epoch `from` or later that no node
    /// is known to have taken: their instance died between the signature
    /// and the send (signed `grace` ago or more: before that, their
    /// instance may be sending them), or its send failed (at once);
    /// oldest epoch first, at most [`UNSENT_LIMIT`]. Any instance may send
    /// them again: they bind their parents for good, and unsent they would
    /// stall their miner. (A send again that fails is not recorded: they
    /// are offered until one succeeds.)
    async fn unsent(
        &self,
        miners: &[Address],
        from: ChainEpoch,
        grace: std::time::Duration,
    ) -> Result<Vec<UnsentBlock>>;

    /// Records that a node took `block` (one of [`unsent`]'s), sent again
    /// by `instance`. `false` when it was recorded as taken already.
    ///
    /// [`unsent`]: SlashFilter::unsent
    async fn resent(&self, block: &UnsentBlock, instance: &str) -> Result<bool>;

    /// Gives up `claim` when its
    /// signature never came (the wallet refused): the epoch and the
    /// parents are free again. A claim with a signed block, or of another
    /// block, stays. Whether the claim was released.
    async fn release(&self, claim: &BlockClaim) -> Result<bool>;

    /// Records the outcome of a claimed block: [`BlockState::Submitted`],
    /// or [`BlockState::Failed`] with `reason`. The claim stays: a failed
    /// block still holds its epoch. A block another instance sent again
    /// meanwhile ([`resent`](SlashFilter::resent)) stays `Submitted`.
    /// Fails with `NotFound` once a later claim fenced it (its row keeps
    /// the fence's reason).
    async fn finish(&self, claim: &BlockClaim, state: BlockState, reason: &str) -> Result<()>;

    /// The recorded blocks, newest epoch first.
    async fn list(&self, query: &BlocksQuery) -> Result<Vec<MinedBlock>>;

    /// Takes the round of a won (`miner`, `epoch`) for `instance` before
    /// its winning PoSt is computed, so that instances sharing the pool
    /// prove each win once (a member's sealer is asked once). `None` when
    /// it is this instance's: newly taken, renewed for `ttl` (the holder
    /// calls it again while it proves, as a heartbeat; also after a
    /// restart), or taken over from a holder whose unproved lease lapsed
    /// (it died or gave the lease back). Otherwise the holder. A lease is
    /// no claim: the block is still claimed before it is signed.
    ///
    /// Lapse times are the instances' clocks, which a pool keeps in step
    /// anyway (a block's timestamp must be on time).
    async fn lease(
        &self,
        miner: &Address,
        epoch: ChainEpoch,
        instance: &str,
        ttl: std::time::Duration,
    ) -> Result<Option<LeaseHolder>>;

    /// Ends `instance`'s lease on (`miner`, `epoch`): `proved` keeps it for
    /// good (the holder goes on to the block; no one else need prove);
    /// otherwise it is given back, free to take at once. `false` when
    /// `instance` does not hold it (it lapsed and was taken over).
    async fn settle_lease(
        &self,
        miner: &Address,
        epoch: ChainEpoch,
        instance: &str,
        proved: bool,
    ) -> Result<bool>;

    /// Forgets the leases of epochs below `epoch` (their rounds are long
    /// over); how many.
    async fn prune_leases(&self, epoch: ChainEpoch) -> Result<u64>;
}

/// How many blocks one [`SlashFilter::unsent`] returns at most.
pub const UNSENT_LIMIT: usize = 64;

/// A signed block that no node is known to have taken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnsentBlock {
    /// The miner.
    pub miner: Address,
    /// The block's epoch.
    pub epoch: ChainEpoch,
    /// The signed block's CID.
    pub cid: Cid,
    /// The instance that signed it.
    pub instance: String,
    /// [`BlockState::Signed`], or [`BlockState::Failed`] when the send
    /// failed.
    pub state: BlockState,
    /// The signed block's CBOR, as [`SlashFilter::signed`] got it.
    pub block: Vec<u8>,
}

/// The reason a block sent again records.
fn resent_reason(block: &UnsentBlock, instance: &str) -> String {
    format!(
        "sent again by instance {instance} (instance {} signed it and its send did not land)",
        block.instance
    )
}

/// Another instance's lease on a won round.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaseHolder {
    /// The instance that holds it.
    pub instance: String,
    /// Its winning PoSt is done: the lease no longer lapses.
    pub proved: bool,
    /// When it lapses unless renewed (Unix milliseconds).
    pub until_ms: i64,
}

/// The lapse time of a lease taken or renewed now for `ttl`.
fn lapse_at(ttl: std::time::Duration) -> i64 {
    now_ms().saturating_add(millis(ttl))
}

/// The time `grace` ago (Unix milliseconds): what [`SlashFilter::unsent`]
/// offers was signed then or before.
fn since(grace: std::time::Duration) -> i64 {
    now_ms().saturating_sub(millis(grace))
}

fn millis(d: std::time::Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}
