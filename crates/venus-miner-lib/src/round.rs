//! One round of the pool: every member miner at one epoch on one base.
//!
//! 1. For each miner, concurrently (at most `concurrency` at once, each
//!    within `miner_timeout`): `MinerGetBaseInfo`, the ticket and the
//!    election VRF from the member's wallet (`drawrandomparam`, with the
//!    object signed), WinCount; a winner's winning PoSt from its prover.
//! 2. One `MpoolSelects` for all winners, by ticket quality, so that their
//!    blocks never share a message.
//! 3. For each winner, concurrently: `MinerCreateBlock` (unsigned), the
//!    slash filter's claim, the block signature from the member's wallet
//!    (`block`), the signed CID recorded, a wait until the block's
//!    timestamp, `SyncSubmitBlock`.
//!
//! A slow or failing wallet or prover costs only its own miner its round;
//! every miner's outcome and stage times go to the records.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::stream::{self, StreamExt};
use venus_core::crypto::{draw_randomness, DomainSeparationTag, WinCounter};
use venus_core::traits::{ChainApi, ComputeProof, RemoteSigner};
use venus_core::types::{
    BlockMsg, BlockTemplate, DrawRandomParams, ElectionProof, MiningBaseInfo, MsgMeta, MsgType,
    SignedMessage, Ticket, TipSet,
};
use venus_core::{Address, ChainEpoch, PoStProof};

use crate::records::{MiningRecords, Outcome, Record, Stage};
use crate::slash::{BlockClaim, BlockState, Claim, Refusal, SlashFilter};
use crate::{now_ms, MinerError, Result};

/// The reason a claimed block's row gets when its step timed out.
pub const TIMED_OUT: &str = "timed out";

/// Finds the wallet that holds a miner's worker key.
pub trait Signers: Send + Sync {
    /// The signer of `miner`'s worker key `worker`, if the pool knows one.
    fn signer(&self, miner: &Address, worker: &Address) -> Option<Arc<dyn RemoteSigner>>;
}

/// Finds the prover that holds a miner's sectors.
pub trait Provers: Send + Sync {
    /// The prover for `miner`, if the pool knows one.
    fn prover(&self, miner: &Address) -> Option<Arc<dyn ComputeProof>>;
}

/// Signers by worker key.
impl Signers for HashMap<Address, Arc<dyn RemoteSigner>> {
    fn signer(&self, _: &Address, worker: &Address) -> Option<Arc<dyn RemoteSigner>> {
        self.get(worker).cloned()
    }
}

impl Provers for HashMap<Address, Arc<dyn ComputeProof>> {
    fn prover(&self, miner: &Address) -> Option<Arc<dyn ComputeProof>> {
        self.get(miner).cloned()
    }
}

/// One signer for every worker key (one wallet for the whole pool, or a
/// test's `MemorySigner`).
pub struct OneSigner(pub Arc<dyn RemoteSigner>);

impl Signers for OneSigner {
    fn signer(&self, _: &Address, _: &Address) -> Option<Arc<dyn RemoteSigner>> {
        Some(self.0.clone())
    }
}

/// One prover for every miner.
pub struct OneProver(pub Arc<dyn ComputeProof>);

impl Provers for OneProver {
    fn prover(&self, _: &Address) -> Option<Arc<dyn ComputeProof>> {
        Some(self.0.clone())
    }
}

/// Each member miner's own wallet and prover (a member runs both; the
/// pool's configuration says where), for the `signers` and `provers`
/// slots at once.
#[derive(Default, Clone)]
pub struct PerMiner {
    members: HashMap<Address, MemberEndpoints>,
}

/// A member's wallet and prover.
type MemberEndpoints = (Arc<dyn RemoteSigner>, Arc<dyn ComputeProof>);

impl PerMiner {
    /// No members yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// `miner`'s wallet (holding its worker key) and prover.
    pub fn insert(
        &mut self,
        miner: Address,
        signer: Arc<dyn RemoteSigner>,
        prover: Arc<dyn ComputeProof>,
    ) -> &mut Self {
        self.members.insert(miner, (signer, prover));
        self
    }

    /// The miners it knows.
    pub fn miners(&self) -> Vec<Address> {
        let mut list: Vec<Address> = self.members.keys().copied().collect();
        list.sort_by_key(|a| a.to_bytes());
        list
    }
}

impl Signers for PerMiner {
    fn signer(&self, miner: &Address, _: &Address) -> Option<Arc<dyn RemoteSigner>> {
        self.members.get(miner).map(|(s, _)| s.clone())
    }
}

impl Provers for PerMiner {
    fn prover(&self, miner: &Address) -> Option<Arc<dyn ComputeProof>> {
        self.members.get(miner).map(|(_, p)| p.clone())
    }
}

/// How a round runs.
#[derive(Debug, Clone)]
pub struct RoundConfig {
    /// This instance's name in claims and records.
    pub instance: String,
    /// How long one miner's election and proof may take.
    pub miner_timeout: Duration,
    /// Miners worked on at once.
    pub concurrency: usize,
    /// Seconds per epoch (the blocks' timestamps).
    pub block_delay: u64,
}

impl Default for RoundConfig {
    fn default() -> Self {
        RoundConfig {
            instance: "venus-miner".into(),
            miner_timeout: Duration::from_secs(15),
            concurrency: 64,
            block_delay: 30,
        }
    }
}

/// The stage times of one miner's round.
#[derive(Debug, Default, Clone)]
struct Stages(Vec<(Stage, Duration)>);

impl Stages {
    /// Runs `f` as `stage`, timing it.
    async fn time<T, F: std::future::Future<Output = T>>(&mut self, stage: Stage, f: F) -> T {
        let t = Instant::now();
        let out = f.await;
        self.0.push((stage, t.elapsed()));
        out
    }
}

/// A miner that won the election, with its proof.
struct Winner {
    miner: Address,
    worker: Address,
    signer: Arc<dyn RemoteSigner>,
    info: MiningBaseInfo,
    ticket: Ticket,
    eproof: ElectionProof,
    proofs: Vec<PoStProof>,
    stages: Stages,
    /// The block's claim, once granted.
    claim: Option<BlockClaim>,
}

/// What came of one miner's round.
#[derive(Debug, Clone)]
pub struct MinerResult {
    /// The miner.
    pub miner: Address,
    /// The outcome and why.
    pub outcome: Outcome,
    /// Why, when not mined or not a winner.
    pub reason: String,
    /// The block submitted, when mined.
    pub block: Option<BlockMsg>,
}

/// The election of `miner` at `round` on `base` (Lotus's `IsRoundWinner`
/// with the wallet's VRFs): its base info, ticket and election proof when
/// it wins; `None` when it does not or may not mine.
pub async fn elect(
    chain: &dyn ChainApi,
    signers: &dyn Signers,
    miner: &Address,
    base: &TipSet,
    round: ChainEpoch,
) -> Result<Option<(MiningBaseInfo, Ticket, ElectionProof, Arc<dyn RemoteSigner>)>> {
    let mut stages = Stages::default();
    elect_timed(chain, signers, miner, base, round, &mut stages).await
}

async fn elect_timed(
    chain: &dyn ChainApi,
    signers: &dyn Signers,
    miner: &Address,
    base: &TipSet,
    round: ChainEpoch,
    stages: &mut Stages,
) -> Result<Option<(MiningBaseInfo, Ticket, ElectionProof, Arc<dyn RemoteSigner>)>> {
    let info = stages
        .time(
            Stage::BaseInfo,
            chain.mining_base_info(miner, round, base.key()),
        )
        .await
        .map_err(|e| MinerError::Node(format!("base info: {e}")))?;
    let Some(info) = info.filter(|i| i.eligible_for_mining) else {
        return Ok(None);
    };
    let signer = signers
        .signer(miner, &info.worker_key)
        .ok_or(MinerError::NoSigner(info.worker_key))?;
    let rbase = beacon_base(&info).to_vec();
    let miner_cbor = venus_core::encoding::to_cbor(miner)
        .map_err(|e| MinerError::Node(format!("miner address: {e}")))?;
    let mut ticket_entropy = miner_cbor.clone();
    if let Some(t) = base.min_ticket() {
        ticket_entropy.extend_from_slice(&t.vrf_proof);
    }
    // Lotus's TicketRandomnessLookback: the ticket draws at round - 1.
    let ticket = stages
        .time(
            Stage::Ticket,
            vrf(
                &*signer,
                &info.worker_key,
                &rbase,
                DomainSeparationTag::TicketProduction,
                round - 1,
                ticket_entropy,
            ),
        )
        .await?;
    let election = stages
        .time(
            Stage::Election,
            vrf(
                &*signer,
                &info.worker_key,
                &rbase,
                DomainSeparationTag::ElectionProofProduction,
                round,
                miner_cbor,
            ),
        )
        .await?;
    let win_count = WinCounter::new(&info.miner_power, &info.network_power).win_count(&election);
    if win_count < 1 {
        return Ok(None);
    }
    Ok(Some((
        info,
        Ticket { vrf_proof: ticket },
        ElectionProof {
            win_count,
            vrf_proof: election,
        },
        signer,
    )))
}

/// The beacon data a round draws on: the round's last entry, or the one
/// before it when the round has none (Lotus's `rbase`).
fn beacon_base(info: &MiningBaseInfo) -> &[u8] {
    &info
        .beacon_entries
        .last()
        .unwrap_or(&info.prev_beacon_entry)
        .data
}

/// A VRF from the worker's wallet: a BLS signature over the
/// `DrawRandomParams` digest, asked for with the params themselves.
async fn vrf(
    signer: &dyn RemoteSigner,
    worker: &Address,
    rbase: &[u8],
    pers: DomainSeparationTag,
    round: ChainEpoch,
    entropy: Vec<u8>,
) -> Result<Vec<u8>> {
    let params = DrawRandomParams {
        rbase: rbase.to_vec(),
        pers: pers as i64,
        round,
        entropy,
    };
    let digest = params
        .digest()
        .map_err(|e| MinerError::Wallet(format!("VRF params: {e}")))?;
    let meta = MsgMeta {
        msg_type: MsgType::DrawRandomParam,
        extra: venus_core::encoding::to_cbor(&params)
            .map_err(|e| MinerError::Wallet(format!("VRF params: {e}")))?,
    };
    let sig = signer
        .sign(worker, &digest, &meta)
        .await
        .map_err(|e| MinerError::Wallet(format!("VRF: {e}")))?;
    Ok(sig.bytes)
}

/// Runs rounds for the pool.
pub struct Round {
    /// The node.
    pub chain: Arc<dyn ChainApi>,
    /// Wallets by worker key.
    pub signers: Arc<dyn Signers>,
    /// Provers by miner.
    pub provers: Arc<dyn Provers>,
    /// Claims before signing.
    pub slash: Arc<dyn SlashFilter>,
    /// Where outcomes go.
    pub records: Arc<dyn MiningRecords>,
    /// Settings.
    pub config: RoundConfig,
}

impl Round {
    /// Mines `miners` at `base.height() + null_rounds + 1` on `base`, each
    /// winner's block submitted; one result per miner, also recorded.
    pub async fn run(
        &self,
        miners: &[Address],
        base: &TipSet,
        null_rounds: ChainEpoch,
    ) -> Vec<MinerResult> {
        let round = base.height() + null_rounds + 1;
        let elected: Vec<(Address, Result<Option<Winner>>, Stages)> =
            stream::iter(miners.iter().copied())
                .map(|miner| async move {
                    let mut stages = Stages::default();
                    let r = tokio::time::timeout(
                        self.config.miner_timeout,
                        self.win(&miner, base, round, &mut stages),
                    )
                    .await
                    .unwrap_or(Err(MinerError::Timeout));
                    (miner, r, stages)
                })
                .buffer_unordered(self.config.concurrency.max(1))
                .collect()
                .await;

        let mut results = Vec::new();
        let mut winners = Vec::new();
        for (miner, r, stages) in elected {
            match r {
                Ok(Some(w)) => winners.push(w),
                Ok(None) => results.push(
                    self.done(miner, round, Outcome::NotWinner, "", stages, None)
                        .await,
                ),
                Err(e) => {
                    let outcome = match e {
                        MinerError::Timeout => Outcome::Timeout,
                        MinerError::Refused(Refusal::TakenBy { .. }) => Outcome::Elsewhere,
                        _ => Outcome::Error,
                    };
                    results.push(
                        self.done(miner, round, outcome, &e.to_string(), stages, None)
                            .await,
                    );
                }
            }
        }
        if winners.is_empty() {
            return results;
        }
        // The head may have moved while the winners proved.
        let base = match self.rebase(base, round).await {
            Ok(b) => b,
            Err(why) => {
                for w in winners {
                    results.push(
                        self.done(w.miner, round, Outcome::ChainForked, &why, w.stages, None)
                            .await,
                    );
                }
                return results;
            }
        };
        let base = &base;

        // One selection for all winners: no message in two blocks.
        let qualities: Vec<f64> = winners.iter().map(|w| w.ticket.quality()).collect();
        let t = Instant::now();
        let selected = match self
            .chain
            .select_messages_multi(base.key(), &qualities)
            .await
        {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(target: "venus_miner", error = %e, "message selection failed; mining empty blocks");
                Vec::new()
            }
        };
        let select_time = t.elapsed();
        let mut selected = disjoint(selected).into_iter();
        let blocks = winners.into_iter().map(|mut w| {
            w.stages.0.push((Stage::Select, select_time));
            let messages = selected.next().unwrap_or_default();
            async move {
                let miner = w.miner;
                // Until a third of an epoch past the block's time (a later
                // block is worth little, and the next round starts soon
                // after); the miner's timeout when that time is past.
                let ts = base.min_timestamp()
                    + self.config.block_delay * u64::try_from(null_rounds + 1).unwrap_or(1);
                let due = Duration::from_secs(ts + self.config.block_delay / 3);
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap_or_default();
                let limit = if due > now {
                    due - now
                } else {
                    self.config.miner_timeout
                };
                let r = match tokio::time::timeout(
                    limit,
                    self.produce(&mut w, base, round, null_rounds, messages),
                )
                .await
                {
                    Ok(r) => r,
                    Err(_) => {
                        // The claim stays: the wallet may still have signed.
                        if let Some(claim) = &w.claim {
                            let _ = self
                                .slash
                                .finish(claim, BlockState::Failed, TIMED_OUT)
                                .await;
                        }
                        Err(MinerError::Timeout)
                    }
                };
                (miner, r, w.stages)
            }
        });
        for (miner, r, stages) in futures::future::join_all(blocks).await {
            results.push(match r {
                Ok(block) => {
                    self.done(miner, round, Outcome::Mined, "", stages, Some(block))
                        .await
                }
                Err(MinerError::Timeout) => {
                    self.done(miner, round, Outcome::Timeout, "timed out", stages, None)
                        .await
                }
                // Another instance of the pool mines this epoch for it.
                Err(MinerError::Refused(why @ Refusal::TakenBy { .. })) => {
                    self.done(
                        miner,
                        round,
                        Outcome::Elsewhere,
                        &why.to_string(),
                        stages,
                        None,
                    )
                    .await
                }
                Err(e) => {
                    self.done(miner, round, Outcome::Error, &e.to_string(), stages, None)
                        .await
                }
            });
        }
        results
    }

    /// The base to build on now that the winners are known: `base`, or
    /// the head when it is `base` with more blocks and the same smallest
    /// ticket (the winners' tickets drew on it; sophon-miner takes such a
    /// fuller tipset too). Any other move of the head abandons the round:
    /// a block on a base the chain left would only be orphaned.
    async fn rebase(
        &self,
        base: &TipSet,
        round: ChainEpoch,
    ) -> std::result::Result<TipSet, String> {
        let head = self
            .chain
            .head()
            .await
            .map_err(|e| format!("reading the head: {e}"))?;
        // The head is the base, or a tipset at this round on it (other
        // winners' blocks, which ours join).
        if head.key() == base.key() || (head.height() == round && head.parents() == *base.key()) {
            return Ok(base.clone());
        }
        let fuller = head.height() == base.height()
            && base
                .key()
                .cids()
                .iter()
                .all(|c| head.key().cids().contains(c))
            && head.min_ticket() == base.min_ticket();
        if fuller {
            tracing::debug!(target: "venus_miner", base = %base.key(), fuller = %head.key(), "mining on a fuller tipset");
            return Ok(head);
        }
        Err(format!(
            "the head moved to {} at {} during the round for {round} on {} at {}",
            head.key(),
            head.height(),
            base.key(),
            base.height()
        ))
    }

    /// The election and, for a winner, its winning PoSt.
    async fn win(
        &self,
        miner: &Address,
        base: &TipSet,
        round: ChainEpoch,
        stages: &mut Stages,
    ) -> Result<Option<Winner>> {
        let Some((info, ticket, eproof, signer)) =
            elect_timed(&*self.chain, &*self.signers, miner, base, round, stages).await?
        else {
            return Ok(None);
        };
        // Taken before the proof: another instance of the pool that won
        // the same election proves and mines it; this one moves on.
        if let Some(instance) = self
            .slash
            .lease(miner, round, &self.config.instance)
            .await?
        {
            return Err(MinerError::Refused(Refusal::TakenBy { instance }));
        }
        let prover = self
            .provers
            .prover(miner)
            .ok_or(MinerError::NoProver(*miner))?;
        let rbase = beacon_base(&info);
        let miner_cbor = venus_core::encoding::to_cbor(miner)
            .map_err(|e| MinerError::Node(format!("miner address: {e}")))?;
        let randomness = draw_randomness(
            rbase,
            DomainSeparationTag::WinningPoStChallengeSeed,
            round,
            &miner_cbor,
        );
        let proofs = stages
            .time(
                Stage::Proof,
                prover.compute_winning_post(miner, &info.sectors, &randomness),
            )
            .await
            .map_err(|e| MinerError::Prover(e.to_string()))?;
        Ok(Some(Winner {
            miner: *miner,
            worker: info.worker_key,
            signer,
            info,
            ticket,
            eproof,
            proofs,
            stages: std::mem::take(stages),
            claim: None,
        }))
    }

    /// A winner's block: created, claimed, signed, submitted.
    async fn produce(
        &self,
        w: &mut Winner,
        base: &TipSet,
        round: ChainEpoch,
        null_rounds: ChainEpoch,
        messages: Vec<SignedMessage>,
    ) -> Result<BlockMsg> {
        let template = BlockTemplate {
            miner: w.miner,
            parents: base.key().clone(),
            ticket: Some(w.ticket.clone()),
            eproof: Some(w.eproof.clone()),
            beacon_values: w.info.beacon_entries.clone(),
            messages,
            epoch: round,
            timestamp: base.min_timestamp()
                + self.config.block_delay * u64::try_from(null_rounds + 1).unwrap_or(1),
            winning_post_proof: w.proofs.clone(),
        };
        let mut block = w
            .stages
            .time(Stage::Create, self.chain.create_block(template))
            .await
            .map_err(|e| MinerError::Node(format!("create block: {e}")))?;
        block.header.block_sig = None;
        let unsigned = block
            .header
            .cid()
            .map_err(|e| MinerError::Node(format!("block CID: {e}")))?;
        // Claimed before the wallet is asked: no crash can make it sign two.
        let claim = BlockClaim {
            miner: w.miner,
            epoch: round,
            parent_epoch: base.height(),
            parents: base.key().clone(),
            unsigned,
            instance: self.config.instance.clone(),
        };
        match self.slash.claim(&claim).await? {
            Claim::Granted | Claim::Again => {}
            Claim::Refused(why) => return Err(MinerError::Refused(why)),
        }
        w.claim = Some(claim.clone());
        let outcome = self.sign_and_submit(w, &mut block, &claim).await;
        let (state, reason) = match &outcome {
            Ok(()) => (BlockState::Submitted, String::new()),
            // The claim was released: there is no row to finish.
            Err(MinerError::Wallet(_)) => return outcome.map(|()| block),
            Err(e) => (BlockState::Failed, e.to_string()),
        };
        if let Err(e) = self.slash.finish(&claim, state, &reason).await {
            tracing::warn!(target: "venus_miner", miner = %w.miner, round, error = %e, "recording the block's outcome failed");
        }
        outcome.map(|()| block)
    }

    async fn sign_and_submit(
        &self,
        w: &mut Winner,
        block: &mut BlockMsg,
        claim: &BlockClaim,
    ) -> Result<()> {
        let bytes = block
            .header
            .signing_bytes()
            .map_err(|e| MinerError::Node(format!("block bytes: {e}")))?;
        let meta =
            MsgMeta::block(&block.header).map_err(|e| MinerError::Node(format!("block: {e}")))?;
        let sig = match w
            .stages
            .time(Stage::Sign, w.signer.sign(&w.worker, &bytes, &meta))
            .await
        {
            Ok(sig) => sig,
            Err(e) => {
                // The wallet answered without a signature: nothing exists
                // that could be slashed, so the epoch is free again.
                if let Err(e) = self.slash.release(claim).await {
                    tracing::warn!(target: "venus_miner", miner = %w.miner, error = %e, "releasing the claim failed");
                }
                return Err(MinerError::Wallet(format!("block signature: {e}")));
            }
        };
        block.header.block_sig = Some(sig);
        let cid = block
            .header
            .cid()
            .map_err(|e| MinerError::Node(format!("block CID: {e}")))?;
        // Recorded before the block leaves: the next epoch's claim is
        // held to building on it.
        self.slash.signed(claim, &cid).await?;
        wait_until(block.header.timestamp).await;
        w.stages
            .time(Stage::Submit, self.chain.submit_block(block.clone()))
            .await
            .map_err(|e| MinerError::Node(format!("submit: {e}")))
    }

    async fn done(
        &self,
        miner: Address,
        epoch: ChainEpoch,
        outcome: Outcome,
        reason: &str,
        stages: Stages,
        block: Option<BlockMsg>,
    ) -> MinerResult {
        let record = Record {
            miner,
            epoch,
            instance: self.config.instance.clone(),
            outcome,
            reason: reason.to_string(),
            stages: stages.0,
            at_ms: now_ms(),
        };
        if let Err(e) = self.records.record(&record).await {
            tracing::warn!(target: "venus_miner", %miner, epoch, error = %e, "recording the round failed");
        }
        match outcome {
            Outcome::Mined => {
                tracing::info!(target: "venus_miner", %miner, epoch, stages = ?record.stages, "mined a block")
            }
            Outcome::NotWinner => {
                tracing::debug!(target: "venus_miner", %miner, epoch, stages = ?record.stages, "not a winner")
            }
            _ => {
                tracing::warn!(target: "venus_miner", %miner, epoch, ?outcome, reason, stages = ?record.stages, "round failed")
            }
        }
        MinerResult {
            miner,
            outcome,
            reason: reason.to_string(),
            block,
        }
    }
}

/// The winners' lists with every message in the first list that has it
/// only: the pool's blocks of one epoch never share a message. (Venus's
/// `MpoolSelects` copies the first list to a winner left with none, for
/// redundancy; a pool that wants every block to add messages does not.)
fn disjoint(lists: Vec<Vec<SignedMessage>>) -> Vec<Vec<SignedMessage>> {
    let mut seen = std::collections::HashSet::new();
    lists
        .into_iter()
        .map(|list| {
            list.into_iter()
                .filter(|m| m.cid().map(|c| seen.insert(c)).unwrap_or(false))
                .collect()
        })
        .collect()
}

/// Sleeps until the Unix second `at` (blocks are not sent early).
async fn wait_until(at: u64) {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let at = Duration::from_secs(at);
    if at > now {
        tokio::time::sleep(at - now).await;
    }
}
