//! One round of the pool: every member miner at one epoch on one base.
//!
//! 1. For each miner, concurrently (at most `concurrency` at once, each
//!    within `miner_timeout`): `MinerGetBaseInfo`, the ticket and the
//!    election VRF from the member's wallet (`drawrandomparam`, with the
//!    object signed), WinCount; for a winner, the lease on its round (one
//!    instance of the pool proves it) and its winning PoSt from its
//!    prover.
//! 2. One `MpoolSelects` for all winners, by ticket quality, so that their
//!    blocks never share a message. Winners still proving at the cut-off
//!    (a fifth of an epoch before the blocks' time) do not hold the others
//!    back: they make their blocks later, from messages left over.
//! 3. For each winner, concurrently: `MinerCreateBlock` (unsigned), a
//!    wait until the block's timestamp, the slash filter's claim, the
//!    block signature from the member's wallet (`block`), the signed block
//!    recorded, `SyncSubmitBlock`.
//!
//! Beside all that, a round sends again the signed blocks above its base
//! that no node took (their instance died before sending them, or the
//! node refused them).
//!
//! A slow or failing wallet or prover costs only its own miner its round;
//! every miner's outcome and stage times go to the records.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::stream::{self, StreamExt};
use venus_core::crypto::{draw_randomness, DomainSeparationTag, WinCounter};
use venus_core::traits::{BlockApi, ChainApi, ComputeProof, RemoteSigner};
use venus_core::types::{
    BlockMsg, BlockTemplate, DrawRandomParams, ElectionProof, MiningBaseInfo, MsgMeta, MsgType,
    SignedMessage, Ticket, TipSet,
};
use venus_core::{Address, ChainEpoch, PoStProof};

use crate::records::{MiningRecords, Outcome, Record, Stage};
use crate::slash::{BlockClaim, BlockState, Claim, Refusal, SlashFilter, UnsentBlock};
use crate::{now_ms, MinerError, Result};

/// The reason a claimed block's row gets when its step timed out.
pub const TIMED_OUT: &str = "timed out";

/// The lock that orders `miner`'s claims and signatures under `instance`
/// in this process.
fn signing_order(instance: &str, miner: &Address) -> Arc<tokio::sync::Mutex<()>> {
    type Locks = HashMap<(String, Address), Arc<tokio::sync::Mutex<()>>>;
    static LOCKS: std::sync::LazyLock<Mutex<Locks>> = std::sync::LazyLock::new(Default::default);
    LOCKS
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .entry((instance.to_string(), *miner))
        .or_default()
        .clone()
}

/// How long an extra submit node may take to take a block.
const EXTRA_SUBMIT: Duration = Duration::from_secs(10);

/// How often an instance waiting on another's lease looks again.
const LEASE_POLL: Duration = Duration::from_millis(250);

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
    /// How long a won round's lease lasts unless renewed: its holder
    /// renews it every third of this while it proves, and another
    /// instance takes the round over once it lapses (the holder died).
    pub lease_ttl: Duration,
}

impl Default for RoundConfig {
    fn default() -> Self {
        RoundConfig {
            instance: "venus-miner".into(),
            miner_timeout: Duration::from_secs(15),
            concurrency: 64,
            block_delay: 30,
            lease_ttl: Duration::from_secs(5),
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
    /// More nodes each block goes to once the node took it (best effort:
    /// a node that fails is logged, and costs the others nothing).
    pub submit_to: Vec<Arc<dyn BlockApi>>,
    /// Settings.
    pub config: RoundConfig,
}

impl Round {
    /// Mines `miners` at `base.height() + null_rounds + 1` on `base`, each
    /// winner's block submitted; one result per miner, also recorded.
    ///
    /// The winners ready at the cut-off (a fifth of an epoch before the
    /// blocks' time) make their blocks together, from one message
    /// selection, without waiting for slower miners; a winner whose wallet
    /// or prover answers later makes its block after them, from messages
    /// none of theirs carries. A slow member delays only itself. (A round
    /// that starts past its cut-off, catching up, waits for every miner.)
    pub async fn run(
        &self,
        miners: &[Address],
        base: &TipSet,
        null_rounds: ChainEpoch,
    ) -> Vec<MinerResult> {
        self.run_reporting(miners, base, null_rounds, None).await
    }

    /// [`run`](Self::run), sending to `early` the results known once the
    /// cut-off's blocks are out (every miner but the late ones), for a
    /// caller that goes on to the next round meanwhile (the slash filter
    /// keeps overlapping rounds apart); all results at the end.
    pub async fn run_reporting(
        &self,
        miners: &[Address],
        base: &TipSet,
        null_rounds: ChainEpoch,
        early: Option<tokio::sync::oneshot::Sender<Vec<MinerResult>>>,
    ) -> Vec<MinerResult> {
        // Beside the elections, not before them: a slow node costs the
        // round none of its time.
        let ((), results) = tokio::join!(
            self.resend(miners, base),
            self.mine(miners, base, null_rounds, early)
        );
        results
    }

    async fn mine(
        &self,
        miners: &[Address],
        base: &TipSet,
        null_rounds: ChainEpoch,
        early: Option<tokio::sync::oneshot::Sender<Vec<MinerResult>>>,
    ) -> Vec<MinerResult> {
        let round = base.height() + null_rounds + 1;
        let ts = block_time(base, self.config.block_delay, null_rounds);
        let cutoff = Duration::from_secs(ts).saturating_sub(Duration::from_millis(
            self.config.block_delay.saturating_mul(200),
        ));
        // A round that starts past its cut-off (the miner catching up)
        // waits for every miner.
        let cutoff = if cutoff > unix_now() {
            cutoff
        } else {
            unix_now() + self.config.miner_timeout
        };
        let mut pending = std::pin::pin!(stream::iter(miners.iter().copied())
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
            .buffer_unordered(self.config.concurrency.max(1)));

        let mut results = Vec::new();
        let mut winners = Vec::new();
        // Every miner's election, or the cut-off: the slower ones go on
        // below, and the caller hears of the round without them.
        loop {
            let next = match tokio::time::timeout(cutoff.saturating_sub(unix_now()), pending.next())
                .await
            {
                Ok(next) => next,
                Err(_) => break,
            };
            let Some((miner, r, stages)) = next else {
                break;
            };
            if let Some(w) = self.elected(miner, round, r, stages, &mut results).await {
                winners.push(w);
            }
        }
        // The ready winners' blocks; meanwhile the slower miners finish,
        // and each late winner makes its block once they are out, from
        // the senders they left.
        let used = Mutex::new(HashSet::new());
        let (first_done, first_out) = tokio::sync::watch::channel(false);
        let first = async {
            let mined = self.blocks(winners, base, round, null_rounds, &used).await;
            results.extend(mined);
            if let Some(early) = early {
                let _ = early.send(results.clone());
            }
            let _ = first_done.send(true);
        };
        let late = async {
            let mut late_results = Vec::new();
            let mut making = futures::stream::FuturesUnordered::new();
            let mut electing = true;
            loop {
                tokio::select! {
                    next = pending.next(), if electing => match next {
                        Some((miner, r, stages)) => {
                            if let Some(w) = self.elected(miner, round, r, stages, &mut late_results).await {
                                let mut first_out = first_out.clone();
                                let used = &used;
                                making.push(async move {
                                    let _ = first_out.wait_for(|out| *out).await;
                                    tracing::info!(target: "venus_miner", miner = %w.miner, round, "a winner after the cut-off makes its block now");
                                    self.blocks(vec![w], base, round, null_rounds, used).await
                                });
                            }
                        }
                        None => electing = false,
                    },
                    Some(mined) = making.next(), if !making.is_empty() => late_results.extend(mined),
                    else => break,
                }
            }
            late_results
        };
        let ((), late_results) = tokio::join!(first, late);
        results.extend(late_results);
        results
    }

    /// Records a miner's election (or its failure) and returns the winner.
    async fn elected(
        &self,
        miner: Address,
        round: ChainEpoch,
        r: Result<Option<Winner>>,
        stages: Stages,
        results: &mut Vec<MinerResult>,
    ) -> Option<Winner> {
        let (outcome, reason) = match r {
            Ok(Some(w)) => return Some(w),
            Ok(None) => (Outcome::NotWinner, String::new()),
            // Won, then out of time: the prover is too slow for the epoch.
            Err(MinerError::Timeout)
                if stages.0.last().is_some_and(|(s, _)| *s == Stage::Election) =>
            {
                let reason = format!(
                    "timed out proving: the winning PoSt took over {:?}, the miner's limit \
                     (a prover this slow needs a longer epoch, or fewer proofs at once)",
                    self.config.miner_timeout
                );
                (Outcome::Timeout, reason)
            }
            Err(e) => {
                let outcome = match e {
                    MinerError::Timeout => Outcome::Timeout,
                    MinerError::Refused(Refusal::TakenBy { .. }) => Outcome::Elsewhere,
                    _ => Outcome::Error,
                };
                (outcome, e.to_string())
            }
        };
        results.push(
            self.done(miner, round, outcome, &reason, stages, None)
                .await,
        );
        None
    }

    /// The blocks of `winners`: the base checked again, one message
    /// selection for all of them (leaving out the senders in `used`, those
    /// of the pool's blocks already made at this round, and adding theirs),
    /// then each block made, claimed, signed and submitted.
    async fn blocks(
        &self,
        winners: Vec<Winner>,
        base: &TipSet,
        round: ChainEpoch,
        null_rounds: ChainEpoch,
        used: &Mutex<HashSet<Address>>,
    ) -> Vec<MinerResult> {
        let mut results = Vec::new();
        if winners.is_empty() {
            return results;
        }
        let ts = block_time(base, self.config.block_delay, null_rounds);
        let due = Duration::from_secs(ts.saturating_add(self.config.block_delay / 3));
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
        let selected = disjoint(selected, used);
        let mut selected = selected.into_iter();
        let blocks = winners.into_iter().map(|mut w| {
            w.stages.0.push((Stage::Select, select_time));
            let messages = selected.next().unwrap_or_default();
            async move {
                let miner = w.miner;
                // Until a third of an epoch past the block's time (a later
                // block is worth little, and the next round starts soon
                // after); the miner's timeout when that time is past.
                let now = unix_now();
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
            let (outcome, reason, block) = match r {
                Ok(block) => (Outcome::Mined, String::new(), Some(block)),
                Err(MinerError::Timeout) => (Outcome::Timeout, TIMED_OUT.to_string(), None),
                // Another instance of the pool mines this epoch for it.
                Err(MinerError::Refused(why @ Refusal::TakenBy { .. })) => {
                    (Outcome::Elsewhere, why.to_string(), None)
                }
                Err(e) => (Outcome::Error, e.to_string(), None),
            };
            results.push(
                self.done(miner, round, outcome, &reason, stages, block)
                    .await,
            );
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
        let prover = self
            .provers
            .prover(miner)
            .ok_or(MinerError::NoProver(*miner))?;
        // Taken before the proof: another instance of the pool that won
        // the same election proves and mines it; this one moves on.
        self.take_lease(miner, round).await?;
        let rbase = beacon_base(&info);
        let miner_cbor = venus_core::encoding::to_cbor(miner)
            .map_err(|e| MinerError::Node(format!("miner address: {e}")))?;
        let randomness = draw_randomness(
            rbase,
            DomainSeparationTag::WinningPoStChallengeSeed,
            round,
            &miner_cbor,
        );
        let proving = prover.compute_winning_post(miner, &info.sectors, &randomness);
        let proofs = stages
            .time(Stage::Proof, self.leased(miner, round, proving))
            .await?;
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

    /// Takes the lease on a won (`miner`, `round`). While another
    /// instance holds it unproved, waits (at most half the miner's time)
    /// for its proof, or takes it over when it lapses: a holder that died
    /// costs the miner nothing but the wait.
    async fn take_lease(&self, miner: &Address, round: ChainEpoch) -> Result<()> {
        let instance = &self.config.instance;
        let give_up = Instant::now() + self.config.miner_timeout / 2;
        loop {
            let Some(holder) = self
                .slash
                .lease(miner, round, instance, self.config.lease_ttl)
                .await?
            else {
                return Ok(());
            };
            let now = Instant::now();
            if holder.proved || now >= give_up {
                return Err(MinerError::Refused(Refusal::TakenBy {
                    instance: holder.instance,
                }));
            }
            let lapse = u64::try_from(holder.until_ms - now_ms()).unwrap_or(0);
            let wait = Duration::from_millis(lapse + 10)
                .min(LEASE_POLL)
                .min(give_up - now);
            tracing::debug!(target: "venus_miner", %miner, round, holder = %holder.instance, "another instance proves this win; waiting");
            tokio::time::sleep(wait).await;
        }
    }

    /// Runs `proving` under the lease of (`miner`, `round`), renewing it
    /// as it goes; the lease is kept once proved and given back when the
    /// proof fails. An instance that lost the lease (it lapsed and was
    /// taken over) drops its proof.
    async fn leased<F>(
        &self,
        miner: &Address,
        round: ChainEpoch,
        proving: F,
    ) -> Result<Vec<PoStProof>>
    where
        F: std::future::Future<Output = venus_core::Result<Vec<PoStProof>>>,
    {
        let instance = &self.config.instance;
        let ttl = self.config.lease_ttl;
        tokio::pin!(proving);
        let mut beat = tokio::time::interval((ttl / 3).max(Duration::from_millis(10)));
        beat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        beat.tick().await;
        let proved = loop {
            tokio::select! {
                r = &mut proving => break r,
                _ = beat.tick() => match self.slash.lease(miner, round, instance, ttl).await {
                    Ok(None) => {}
                    Ok(Some(holder)) => {
                        return Err(MinerError::Refused(Refusal::TakenBy { instance: holder.instance }))
                    }
                    // The storage hiccuped: keep proving; the claim decides.
                    Err(e) => tracing::warn!(target: "venus_miner", %miner, round, error = %e, "renewing the lease failed"),
                },
            }
        };
        let kept = self
            .slash
            .settle_lease(miner, round, instance, proved.is_ok())
            .await;
        let proofs = proved.map_err(|e| MinerError::Prover(e.to_string()))?;
        match kept {
            Ok(true) => Ok(proofs),
            Ok(false) => Err(MinerError::Refused(Refusal::TakenBy {
                instance: "another instance (the lease lapsed during the proof)".into(),
            })),
            // The storage hiccuped: the block's claim still decides.
            Err(e) => {
                tracing::warn!(target: "venus_miner", %miner, round, error = %e, "settling the lease failed");
                Ok(proofs)
            }
        }
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
            timestamp: block_time(base, self.config.block_delay, null_rounds),
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
        // The block's time is waited for before the claim, not after the
        // signature: a signed block then leaves at once. A block signed and
        // recorded but never sent (a crash in between) binds its parents
        // for good, until the next round sends it from its record; a claim
        // not signed yet is fenced by the next one.
        wait_until(block.header.timestamp).await;
        // One claim at a time per miner in this process, until its
        // signature is recorded: rounds overlap (a late winner of one epoch
        // beside the next epoch's), and the next claim must see this one's
        // block to keep the parent-grinding check.
        let order = signing_order(&self.config.instance, &w.miner)
            .lock_owned()
            .await;
        match self.slash.claim(&claim).await? {
            Claim::Granted | Claim::Again => {}
            Claim::Refused(why) => return Err(MinerError::Refused(why)),
        }
        w.claim = Some(claim.clone());
        let outcome = self.sign_and_submit(w, &mut block, &claim, order).await;
        let (state, reason) = match &outcome {
            Ok(()) => (BlockState::Submitted, String::new()),
            // The claim was released, or a later claim fenced it (its row
            // says so): there is no row of this claim to finish.
            Err(MinerError::Wallet(_) | MinerError::NotFound(_)) => return outcome.map(|()| block),
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
        order: tokio::sync::OwnedMutexGuard<()>,
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
        // Recorded before the block leaves, with the block: the next
        // epoch's claim is held to building on it, and if this process
        // dies before the send, the next round of any instance sends it.
        let bytes = venus_core::encoding::to_cbor(&*block)
            .map_err(|e| MinerError::Node(format!("block bytes: {e}")))?;
        self.slash.signed(claim, &cid, &bytes).await?;
        drop(order);
        w.stages
            .time(Stage::Submit, self.chain.submit_block(block.clone()))
            .await
            .map_err(|e| MinerError::Node(format!("submit: {e}")))?;
        self.spread(w.miner, block);
        Ok(())
    }

    /// Sends a block the node took to the extra submit nodes too, on their
    /// own, so that a hung one cannot turn it into a timeout.
    fn spread(&self, miner: Address, block: &BlockMsg) {
        if self.submit_to.is_empty() {
            return;
        }
        let (nodes, block) = (self.submit_to.clone(), block.clone());
        tokio::spawn(async move {
            for (i, node) in nodes.iter().enumerate() {
                let sent = tokio::time::timeout(EXTRA_SUBMIT, node.submit_block(block.clone()));
                match sent.await {
                    Ok(Ok(())) => {}
                    Ok(Err(e)) => {
                        tracing::warn!(target: "venus_miner", %miner, node = i + 1, error = %e, "an extra submit node refused the block")
                    }
                    Err(_) => {
                        tracing::warn!(target: "venus_miner", %miner, node = i + 1, "an extra submit node did not answer")
                    }
                }
            }
        });
    }

    /// Sends again the signed blocks of `miners` above `base` that no node
    /// took: an instance died between a signature and its send (or the
    /// node refused the block), and a signed block binds its parents for
    /// good, so without it every later block of its miner on `base` would
    /// be refused as time-offset (on a network of pool miners alone, the
    /// chain would stall). A block signed less than `lease_ttl` ago is
    /// left to its own instance, as a won round's lease is. All at once,
    /// each within [`EXTRA_SUBMIT`].
    async fn resend(&self, miners: &[Address], base: &TipSet) {
        let unsent = match self
            .slash
            .unsent(miners, base.height() + 1, self.config.lease_ttl)
            .await
        {
            Ok(unsent) => unsent,
            Err(e) => {
                tracing::warn!(target: "venus_miner", error = %e, "reading the unsent blocks failed");
                return;
            }
        };
        futures::future::join_all(unsent.iter().map(|b| self.resend_one(b))).await;
    }

    async fn resend_one(&self, b: &UnsentBlock) {
        let (miner, epoch, cid) = (b.miner, b.epoch, b.cid);
        let block: BlockMsg = match venus_core::encoding::from_cbor(&b.block) {
            Ok(block) => block,
            Err(e) => {
                tracing::warn!(target: "venus_miner", %miner, epoch, %cid, error = %e, "a stored signed block does not decode");
                return;
            }
        };
        if block.header.cid().ok() != Some(cid) {
            tracing::warn!(target: "venus_miner", %miner, epoch, %cid, "a stored signed block is not the block its CID names");
            return;
        }
        match tokio::time::timeout(EXTRA_SUBMIT, self.chain.submit_block(block.clone())).await {
            Ok(Ok(())) => {
                tracing::info!(target: "venus_miner", %miner, epoch, %cid, signer = %b.instance, "sent a signed block again");
                self.spread(miner, &block);
                if let Err(e) = self.slash.resent(b, &self.config.instance).await {
                    tracing::warn!(target: "venus_miner", %miner, epoch, error = %e, "recording a block sent again failed");
                }
            }
            Ok(Err(e)) => {
                tracing::warn!(target: "venus_miner", %miner, epoch, %cid, error = %e, "the node refused a signed block sent again")
            }
            Err(_) => {
                tracing::warn!(target: "venus_miner", %miner, epoch, %cid, "the node did not answer a signed block sent again")
            }
        }
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

/// The winners' lists with each sender's messages in the first list that
/// has that sender only, and no message of a sender in `used` (the
/// senders of the round's blocks made before), which gains them: the
/// pool's blocks of one epoch never share a message, and no block carries
/// a sender's later nonces without the earlier ones (a node would refuse
/// it). (Venus's `MpoolSelects` copies the first list to a winner left
/// with none, for redundancy; a pool that wants every block to add
/// messages does not.)
fn disjoint(
    lists: Vec<Vec<SignedMessage>>,
    used: &Mutex<HashSet<Address>>,
) -> Vec<Vec<SignedMessage>> {
    let mut used = used.lock().unwrap_or_else(|e| e.into_inner());
    lists
        .into_iter()
        .map(|list| {
            let list: Vec<SignedMessage> = list
                .into_iter()
                .filter(|m| !used.contains(&m.message.from))
                .collect();
            used.extend(list.iter().map(|m| m.message.from));
            list
        })
        .collect()
}

/// The Unix time of a block at `null_rounds + 1` epochs after `base`.
fn block_time(base: &TipSet, block_delay: u64, null_rounds: ChainEpoch) -> u64 {
    let epochs = u64::try_from(null_rounds.saturating_add(1)).unwrap_or(1);
    base.min_timestamp()
        .saturating_add(block_delay.saturating_mul(epochs))
}

/// Now, since the Unix epoch.
fn unix_now() -> Duration {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
}

/// Sleeps until the Unix second `at` (blocks are not sent early).
async fn wait_until(at: u64) {
    let now = unix_now();
    let at = Duration::from_secs(at);
    if at > now {
        tokio::time::sleep(at - now).await;
    }
}
