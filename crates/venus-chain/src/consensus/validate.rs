//! Full block validation: Lotus's `FilecoinEC.ValidateBlock`
//! (`chain/consensus/filcns/filecoin.go`) and `CommonBlkChecks` /
//! `checkBlockMessages` (`chain/consensus/common.go`), each failed check
//! its own [`BlockError`] variant.

use std::collections::HashMap;
use std::sync::Arc;

use cid::Cid;
use fvm_ipld_blockstore::Blockstore;
use fvm_shared::address::Address;
use fvm_shared::clock::ChainEpoch;
use fvm_shared::crypto::signature::SignatureType;
use fvm_shared::econ::TokenAmount;
use fvm_shared::sector::PoStProof;
use num_bigint::BigInt;
use venus_core::gas::{on_chain_message_gas, valid_for_block_inclusion, NotIncludable};
use venus_core::types::{message_cid, ExtendedSectorInfo, FullBlock, TipSetKey};
use venus_core::validate::{self, ValidationError};

use super::miner::{active_sectors, claim, eligibility, key_address, power_state, worker_key};
use super::post::{challenged_sectors, winning_post_randomness};
use super::{Consensus, Ineligible, ALLOWABLE_CLOCK_DRIFT_SECS, BLOCK_MESSAGE_LIMIT};
use crate::chain::latest_beacon_entry;
use crate::error::{ChainError, Result};
use crate::state::{ActorKind, StateTree};

/// Why a block was refused: one variant per check.
///
/// Messages are numbered across the block, its BLS messages first, then
/// its secp256k1 ones, as the block executes them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BlockError {
    /// A header-only check failed (missing fields, the miner not an ID,
    /// the block signature, the election proof and WinCount, the ticket,
    /// the beacon entries).
    #[error("{0}")]
    Header(#[from] ValidationError),
    /// The block holds more messages than Lotus's `BlockMessageLimit`.
    #[error("block holds {0} messages, more than the {BLOCK_MESSAGE_LIMIT} allowed")]
    TooManyMessages(usize),
    /// The header's `Messages` is not the root of the messages it came with.
    #[error("messages didn't match message root in header ({computed} != {header})")]
    MessageRoot {
        /// The header's root.
        header: Cid,
        /// The root of the messages.
        computed: Cid,
    },
    /// The parent tipset is not known.
    #[error("parent tipset {0} is not known")]
    ParentsMissing(TipSetKey),
    /// The block is not above its parents.
    #[error("block height not greater than parent height: {height} <= {parent}")]
    Height {
        /// The block's height.
        height: ChainEpoch,
        /// The parents' height.
        parent: ChainEpoch,
    },
    /// The timestamp is not the parent's plus the block delay per epoch.
    #[error("block has wrong timestamp: {got} != {expected}")]
    Timestamp {
        /// The header's timestamp.
        got: u64,
        /// What the epoch gives.
        expected: u64,
    },
    /// The block is from further in the future than the clock drift allows.
    #[error("block was from the future (now={now}, blk={timestamp})")]
    FromTheFuture {
        /// The node's clock.
        now: u64,
        /// The header's timestamp.
        timestamp: u64,
    },
    /// The parent weight is not the parent tipset's weight.
    #[error("parent weight different: {header} (header) != {computed} (computed)")]
    ParentWeight {
        /// The header's.
        header: BigInt,
        /// The parents'.
        computed: BigInt,
    },
    /// The parent state root is not what executing the parents gives.
    #[error("parent state root did not match computed state ({computed} != {header})")]
    ParentStateRoot {
        /// The header's.
        header: Cid,
        /// Executing the parents'.
        computed: Cid,
    },
    /// The parent receipts root is not what executing the parents gives.
    #[error("parent receipts root did not match computed value ({computed} != {header})")]
    ParentReceipts {
        /// The header's.
        header: Cid,
        /// Executing the parents'.
        computed: Cid,
    },
    /// The parent base fee is not what the parents' messages give.
    #[error("base fee doesn't match: {header} (header) != {computed} (computed)")]
    BaseFee {
        /// The header's.
        header: TokenAmount,
        /// The parents'.
        computed: TokenAmount,
    },
    /// The miner has no power claim in the base state.
    #[error("miner {0} isn't valid: it has no power claim")]
    UnknownMiner(Address),
    /// The miner may not mine on this base.
    #[error("block's miner is ineligible to mine: {0}")]
    Ineligible(Ineligible),
    /// The winning PoSt does not verify over the challenged sectors.
    #[error("invalid winning PoSt: {0}")]
    WinningPost(String),
    /// The BLS messages' aggregate signature does not verify.
    #[error("bls aggregate signature was invalid: {0}")]
    BlsAggregate(String),
    /// A secp256k1 message's signature is of the wrong type or does not verify.
    #[error("message {index}: invalid signature: {reason}")]
    Signature {
        /// Its number in the block.
        index: usize,
        /// Why.
        reason: String,
    },
    /// A message may not go in a block (`ValidForBlockInclusion`).
    #[error("message {index}: invalid for block inclusion: {reason}")]
    NotIncludable {
        /// Its number in the block.
        index: usize,
        /// Why.
        reason: NotIncludable,
    },
    /// A message's sender is unknown or not an account.
    #[error("message {index}: sender {sender}: {reason}")]
    Sender {
        /// Its number in the block.
        index: usize,
        /// The sender.
        sender: Address,
        /// Why.
        reason: String,
    },
    /// A message's nonce is not its sender's next.
    #[error("message {index} from {sender}: wrong nonce (exp: {expected}, got: {got})")]
    Nonce {
        /// Its number in the block.
        index: usize,
        /// The sender.
        sender: Address,
        /// The next nonce.
        expected: u64,
        /// The message's.
        got: u64,
    },
    /// The messages' gas limits add up to more than a block's.
    #[error("block gas limit exceeded: {0} > {limit}", limit = venus_core::gas::BLOCK_GAS_LIMIT)]
    GasLimit(u64),
}

fn refuse<T>(e: BlockError) -> Result<T> {
    Err(e.into())
}

/// What the winning PoSt check needs, gathered by the synchronous checks.
struct PostCheck {
    miner: Address,
    eligible: Vec<ExtendedSectorInfo>,
    randomness: [u8; 32],
    proofs: Vec<PoStProof>,
}

impl<BS: Blockstore + Send + Sync + 'static> Consensus<BS> {
    /// Validates `block` as Lotus does before it accepts it, with `now`
    /// the node's clock (Unix seconds). A refused block is
    /// [`ChainError::InvalidBlock`] with the check that failed; other
    /// errors are the node's own (a broken store). Runs the checks on a
    /// blocking thread.
    pub async fn validate_block(self: &Arc<Self>, block: FullBlock, now: u64) -> Result<()> {
        let this = self.clone();
        let block_msgs = (block.bls_messages.clone(), block.secp_messages.clone());
        let post = tokio::task::spawn_blocking(move || this.check_block(&block, now))
            .await
            .map_err(|e| ChainError::Chain(format!("block validation stopped: {e}")))??;
        self.verify_winning_post(post).await?;
        // As Lotus's `checkBlockMessages`, a valid block's messages are
        // kept in the chain's store.
        self.chain
            .put_messages(&block_msgs.0, &block_msgs.1)
            .map(|_| ())
    }

    /// Every check but the winning PoSt's proof, in one pass; returns what
    /// that check needs. Synchronous and CPU-heavy.
    fn check_block(&self, block: &FullBlock, now: u64) -> Result<PostCheck> {
        let h = &block.header;
        validate::sanity(h).map_err(BlockError::from)?;
        let count = block.bls_messages.len() + block.secp_messages.len();
        if count > BLOCK_MESSAGE_LIMIT {
            return refuse(BlockError::TooManyMessages(count));
        }
        let computed = block
            .tx_meta()
            .and_then(|m| m.cid())
            .map_err(|e| ChainError::Chain(format!("message root: {e}")))?;
        if computed != h.messages {
            return refuse(BlockError::MessageRoot {
                header: h.messages,
                computed,
            });
        }
        let base = match self.chain.tipset(&h.parents_key()) {
            Ok(ts) if !h.parents.is_empty() => ts,
            Ok(_)
            | Err(ChainError::Missing(_))
            | Err(ChainError::Chain(_))
            | Err(ChainError::Decode { .. }) => {
                return refuse(BlockError::ParentsMissing(h.parents_key()))
            }
            Err(e) => return Err(e),
        };
        if h.height <= base.height() {
            return refuse(BlockError::Height {
                height: h.height,
                parent: base.height(),
            });
        }
        let delay = self.params.clock.block_delay;
        let expected = base
            .min_timestamp()
            .saturating_add(delay.saturating_mul((h.height - base.height()) as u64));
        if h.timestamp != expected {
            return refuse(BlockError::Timestamp {
                got: h.timestamp,
                expected,
            });
        }
        if h.timestamp > now.saturating_add(ALLOWABLE_CLOCK_DRIFT_SECS) {
            return refuse(BlockError::FromTheFuture {
                now,
                timestamp: h.timestamp,
            });
        }

        // What executing the parents gives.
        let result = self.tipset_result(&base)?;
        if h.parent_state_root != result.state_root {
            return refuse(BlockError::ParentStateRoot {
                header: h.parent_state_root,
                computed: result.state_root,
            });
        }
        if h.parent_message_receipts != result.receipts_root {
            return refuse(BlockError::ParentReceipts {
                header: h.parent_message_receipts,
                computed: result.receipts_root,
            });
        }
        let base_fee = self.next_base_fee(&base)?;
        if h.parent_base_fee != base_fee {
            return refuse(BlockError::BaseFee {
                header: h.parent_base_fee.clone(),
                computed: base_fee,
            });
        }
        let weight = self.chain.weight(&base)?;
        if h.parent_weight != weight {
            return refuse(BlockError::ParentWeight {
                header: h.parent_weight.clone(),
                computed: weight,
            });
        }

        // The miner, at the base and at the lookback.
        let store = self.chain.blockstore();
        let miner = h
            .miner
            .id()
            .map_err(|_| BlockError::Header(ValidationError::MinerNotId(h.miner)))?;
        let base_parent = StateTree::load(store, &base.parent_state())?;
        if claim(&base_parent, miner)?.is_none() {
            return refuse(BlockError::UnknownMiner(h.miner));
        }
        let lookback = self.lookback(&base, h.height)?;
        let mut lb_state = StateTree::load(store, &lookback.state)?;
        let worker = worker_key(&mut lb_state, &self.params.manifest, miner)?;
        let prev_beacon = latest_beacon_entry(&self.chain, &base)?;

        // The beacon first: the VRFs and the PoSt draw from its entries.
        validate::beacon_values(
            h,
            &self.params.drand,
            &self.params.clock,
            base.height(),
            &prev_beacon,
        )
        .map_err(BlockError::from)?;
        validate::election_proof(h, &worker, &prev_beacon).map_err(BlockError::from)?;
        let lb_parent = StateTree::load(store, &lookback.tipset.parent_state())?;
        if let Some(why) = eligibility(
            &lb_parent,
            &base_parent,
            base.height(),
            &self.params.policy,
            miner,
        )? {
            return refuse(BlockError::Ineligible(why));
        }
        let miner_power = claim(&lb_state, miner)?
            .map(|c| c.quality_adj_power)
            .unwrap_or_default();
        let network_power = power_state(&lb_state)?.total_quality_adj_power;
        validate::win_count(h, &miner_power, &network_power).map_err(BlockError::from)?;
        validate::block_signature(h, &worker).map_err(BlockError::from)?;
        validate::ticket(h, &worker, &prev_beacon, base.min_ticket()).map_err(BlockError::from)?;

        self.check_messages(block, &result.state_root)?;

        // The winning PoSt's inputs; the proof is checked after.
        let rbase = validate::randomness_beacon(h, &prev_beacon);
        let randomness =
            winning_post_randomness(rbase, h.height, &h.miner).map_err(ChainError::Chain)?;
        let eligible = active_sectors(&lb_state, miner)?;
        Ok(PostCheck {
            miner: h.miner,
            eligible,
            randomness,
            proofs: h.win_post_proof.clone(),
        })
    }

    /// Lotus's `checkBlockMessages` against the base's executed state.
    fn check_messages(&self, block: &FullBlock, state: &Cid) -> Result<()> {
        let mut tree = StateTree::load(self.chain.blockstore(), state)?;
        let manifest = &self.params.manifest;
        let nv = self.params.network_version;

        // The BLS aggregate, over the unsigned CIDs, by the senders' keys.
        let mut cids = Vec::with_capacity(block.bls_messages.len());
        let mut signers = Vec::with_capacity(block.bls_messages.len());
        for (index, m) in block.bls_messages.iter().enumerate() {
            let cid = message_cid(m).map_err(|e| ChainError::Chain(e.to_string()))?;
            cids.push(cid.to_bytes());
            let key = key_address(&mut tree, manifest, &m.from).map_err(|e| {
                ChainError::from(BlockError::Sender {
                    index,
                    sender: m.from,
                    reason: e.to_string(),
                })
            })?;
            signers.push(key);
        }
        // As Lotus's `VerifyBlsAggregate`: nothing to check without BLS
        // messages (sanity made sure an aggregate is there).
        if !cids.is_empty() {
            let sig = block
                .header
                .bls_aggregate
                .as_ref()
                .ok_or(BlockError::Header(ValidationError::Missing("BLSAggregate")))?;
            // Lotus checks the bytes only, whatever type the signature names.
            let data: Vec<&[u8]> = cids.iter().map(Vec::as_slice).collect();
            venus_core::crypto::verify_bls_aggregate(&sig.bytes, &data, &signers)
                .map_err(|e| BlockError::BlsAggregate(e.to_string()))?;
        }

        let mut nonces: HashMap<u64, u64> = HashMap::new();
        let mut gas: u64 = 0;
        let secp = block.secp_messages.iter().map(|m| (&m.message, Some(m)));
        let all = block.bls_messages.iter().map(|m| (m, None)).chain(secp);
        for (index, (m, signed)) in all.enumerate() {
            let length = match signed {
                None => venus_core::encoding::to_cbor(m).map(|b| b.len()),
                Some(s) => s.to_cbor().map(|b| b.len()),
            }
            .map_err(|e| ChainError::Chain(e.to_string()))?;
            valid_for_block_inclusion(m, on_chain_message_gas(nv, length), nv)
                .map_err(|reason| BlockError::NotIncludable { index, reason })?;
            gas = gas.saturating_add(m.gas_limit);
            if gas > venus_core::gas::BLOCK_GAS_LIMIT {
                return refuse(BlockError::GasLimit(gas));
            }
            let sender_err = |reason: String| BlockError::Sender {
                index,
                sender: m.from,
                reason,
            };
            let id = tree
                .lookup_id(&m.from)?
                .ok_or_else(|| sender_err("failed to look up the sender".into()))?;
            let next = match nonces.get(&id) {
                Some(n) => *n,
                None => {
                    let actor = tree.actor(id)?;
                    if manifest.kind_of(&actor.code) != Some(ActorKind::Account) {
                        return refuse(sender_err("sender must be an account actor".into()));
                    }
                    actor.sequence
                }
            };
            if m.sequence != next {
                return refuse(BlockError::Nonce {
                    index,
                    sender: m.from,
                    expected: next,
                    got: m.sequence,
                });
            }
            nonces.insert(id, next + 1);
            if let Some(s) = signed {
                if s.signature.sig_type != SignatureType::Secp256k1 {
                    return refuse(BlockError::Signature {
                        index,
                        reason: format!(
                            "{:?} signature in the secp256k1 list",
                            s.signature.sig_type
                        ),
                    });
                }
                let key = key_address(&mut tree, manifest, &m.from)
                    .map_err(|e| sender_err(e.to_string()))?;
                let data = message_cid(m).map_err(|e| ChainError::Chain(e.to_string()))?;
                venus_core::crypto::verify(&s.signature, &data.to_bytes(), &key).map_err(|e| {
                    BlockError::Signature {
                        index,
                        reason: e.to_string(),
                    }
                })?;
            }
        }
        Ok(())
    }

    /// Lotus's `VerifyWinningPoStProof`: the challenged sectors from the
    /// miner's active ones at the lookback, then the proof.
    async fn verify_winning_post(&self, check: PostCheck) -> Result<()> {
        let fail = |why: String| ChainError::from(BlockError::WinningPost(why));
        let challenged = challenged_sectors(
            self.post.as_ref(),
            &check.miner,
            &check.eligible,
            &check.randomness,
        )
        .await
        .map_err(fail)?;
        let ok = self
            .post
            .verify_winning_post(&check.miner, &challenged, &check.randomness, &check.proofs)
            .await
            .map_err(|e| fail(e.to_string()))?;
        if !ok {
            return Err(fail("winning PoSt was invalid".into()));
        }
        Ok(())
    }
}
