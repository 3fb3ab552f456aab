//! [`Pipeline`]: the sector state machine. Each pass looks at every
//! sector still being sealed and takes the step its state calls for; every
//! step is a compare-and-set on the sector's row (with the task it queues,
//! in one transaction), and every message goes to the messager under an
//! id made of the sector, the step and the attempt. A step taken twice
//! (two sealers, or a crash between the push and the row) names the same
//! task and the same message, so a restart resumes each sector where its
//! row says, and nothing is sent twice.

use std::sync::Arc;

use fil_actor_miner_state::v17::{
    CompactCommD, Method, PreCommitSectorBatchParams2, ProveCommitSectors3Params,
    SectorActivationManifest, SectorPreCommitInfo,
};
use fvm_ipld_encoding::RawBytes;
use venus_api::lotus::SectorPreCommitInfo as PreCommitJson;
use venus_api::sealer::{TaskInput, TaskKind, TaskOutput};
use venus_core::crypto::DomainSeparationTag;
use venus_core::shared::sector::RegisteredSealProof;
use venus_core::types::TipSet;
use venus_core::{Address, ChainEpoch, Message, TokenAmount};

use super::chain::{entropy, to_miner, Outcome, SealingApi};
use super::state::{SectorInfo, SectorState};
use super::store::{NewTask, SealingStore};
use crate::SealerError;

use crate::Result;

/// The pipeline's settings.
#[derive(Debug, Clone)]
pub struct PipelineConfig {
    /// How the sealer seals new sectors (default 2 KiB V1_1).
    pub seal_proof: RegisteredSealProof,
    /// The ticket is drawn this many epochs below the head (Lotus draws it
    /// a finality back; a devnet needs less).
    pub ticket_lookback: ChainEpoch,
    /// Epochs on top of the seed's epoch before C1 starts (Lotus's
    /// `InteractivePoRepConfidence`, 6).
    pub seed_confidence: ChainEpoch,
    /// A new sector's lifetime in epochs (default 540 days).
    pub lifetime: ChainEpoch,
    /// Automatic retries of a failed task before the sector fails.
    pub max_retries: u32,
    /// A task whose workers died this often fails.
    pub max_claims: u32,
}

impl Default for PipelineConfig {
    fn default() -> Self {
        PipelineConfig {
            seal_proof: RegisteredSealProof::StackedDRG2KiBV1P1,
            ticket_lookback: 1,
            seed_confidence: 6,
            lifetime: 540 * 2880,
            max_retries: 3,
            max_claims: 3,
        }
    }
}

/// The sector state machine of one miner.
pub struct Pipeline {
    store: SealingStore,
    api: Arc<SealingApi>,
    miner: Address,
    id: u64,
    config: PipelineConfig,
}

/// An error as stored in a sector's row: at most 2,000 characters (a
/// worker's error text is outside input).
fn clip(s: String) -> String {
    match s.char_indices().nth(2_000) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s,
    }
}

impl Pipeline {
    /// The pipeline of `miner` (an ID address) on `store`.
    pub fn new(
        store: SealingStore,
        api: Arc<SealingApi>,
        miner: Address,
        config: PipelineConfig,
    ) -> Result<Self> {
        let id = crate::types::actor_id(&miner)?;
        Ok(Pipeline {
            store,
            api,
            miner,
            id,
            config,
        })
    }

    /// The store.
    pub fn store(&self) -> &SealingStore {
        &self.store
    }

    /// The miner.
    pub fn miner(&self) -> Address {
        self.miner
    }

    /// Starts a committed-capacity sector: the lowest number above the
    /// store's highest that the chain has not allocated, taken in the store
    /// (another sealer on the same store takes another).
    pub async fn pledge(&self) -> Result<SectorInfo> {
        let head = self.api.head().await?;
        let allocated = self.api.allocated(&self.miner, head.key()).await?;
        let mut n = self.store.max_number(self.id).await?.map_or(0, |m| m + 1);
        for _ in 0..10_000 {
            if let Some(r) = allocated.iter().find(|r| r.contains(&n)) {
                n = r.end;
                continue;
            }
            let s = SectorInfo::new(self.id, n, self.config.seal_proof, venus_sql::now_ms());
            if self.store.insert_sector(&s).await? {
                tracing::info!(target: "venus::sealer::pipeline", sector = %s.sector_ref(), "pledged");
                return Ok(s);
            }
            n += 1;
        }
        Err(SealerError::InvalidInput(
            "no free sector number found".into(),
        ))
    }

    /// One pass: a step for every sector still in the pipeline. Errors are
    /// logged per sector (the next pass tries again).
    pub async fn pass(&self, head: &TipSet) -> Result<()> {
        let lapsed = self.store.fail_lapsed(self.config.max_claims).await?;
        if lapsed > 0 {
            tracing::warn!(target: "venus::sealer::pipeline", lapsed, "tasks failed: their workers stopped answering too often");
        }
        for s in self.store.sectors(true).await? {
            if s.miner != self.id {
                continue;
            }
            if let Err(e) = self.step(&s, head).await {
                tracing::warn!(target: "venus::sealer::pipeline", sector = %s.sector_ref(), state = %s.state, error = %e, "step");
            }
        }
        Ok(())
    }

    fn next(&self, s: &SectorInfo, state: SectorState) -> SectorInfo {
        let mut n = s.clone();
        n.state = state;
        n.updated_ms = venus_sql::now_ms();
        n
    }

    fn task(&self, s: &SectorInfo, kind: TaskKind) -> NewTask {
        NewTask {
            id: s.step_id(kind.as_str()),
            kind,
            input: TaskInput {
                seal_proof: i64::from(s.seal_proof),
                ticket: s.ticket.map(hex::encode).unwrap_or_default(),
                seed: s.seed.map(hex::encode).unwrap_or_default(),
                comm_r: s.comm_r.map(hex::encode).unwrap_or_default(),
                comm_d: s.comm_d.map(hex::encode).unwrap_or_default(),
                pieces: s.pieces.clone(),
            },
        }
    }

    async fn fail(&self, s: &SectorInfo, retry: SectorState, why: String) -> Result<()> {
        tracing::warn!(target: "venus::sealer::pipeline", sector = %s.sector_ref(), error = %why, "failed");
        let mut n = self.next(s, SectorState::Failed);
        n.retry_state = Some(retry);
        n.error = clip(why);
        self.store.update(s, &n, None).await?;
        Ok(())
    }

    /// The step `s`'s state calls for at `head`.
    pub async fn step(&self, s: &SectorInfo, head: &TipSet) -> Result<()> {
        match s.state {
            SectorState::Empty => {
                let epoch = (head.height() - self.config.ticket_lookback).max(0);
                let ticket = self
                    .api
                    .ticket_randomness(
                        DomainSeparationTag::SealRandomness,
                        epoch,
                        entropy(&self.miner)?,
                        head.key(),
                    )
                    .await?;
                let mut n = self.next(s, SectorState::Pc1);
                n.ticket = Some(ticket);
                n.ticket_epoch = epoch;
                let t = self.task(&n, TaskKind::Pc1);
                self.store.update(s, &n, Some(&t)).await?;
            }
            SectorState::Pc1 | SectorState::Pc2 | SectorState::C1 | SectorState::C2 => {
                self.task_step(s).await?;
            }
            SectorState::PreCommitting => self.precommit(s, head).await?,
            SectorState::PreCommitWait => {
                let Some(code) = self
                    .landed(&s.precommit_msg, s, SectorState::PreCommitting)
                    .await?
                else {
                    return Ok(());
                };
                if code != 0 {
                    return self
                        .fail(
                            s,
                            SectorState::PreCommitting,
                            format!("the pre-commit failed on chain (exit code {code})"),
                        )
                        .await;
                }
                let Some(info) = self.api.precommit_info(&self.miner, s.number).await? else {
                    return Ok(()); // The node has not caught up with the messager.
                };
                let delay = self.api.pre_commit_challenge_delay().await?;
                let mut n = self.next(s, SectorState::WaitSeed);
                n.precommit_epoch = info.pre_commit_epoch;
                n.seed_epoch = info.pre_commit_epoch + delay;
                self.store.update(s, &n, None).await?;
            }
            SectorState::WaitSeed => {
                if head.height() < s.seed_epoch + self.config.seed_confidence {
                    return Ok(());
                }
                let seed = self
                    .api
                    .beacon_randomness(
                        DomainSeparationTag::InteractiveSealChallengeSeed,
                        s.seed_epoch,
                        entropy(&self.miner)?,
                        head.key(),
                    )
                    .await?;
                let mut n = self.next(s, SectorState::C1);
                n.seed = Some(seed);
                let t = self.task(&n, TaskKind::C1);
                self.store.update(s, &n, Some(&t)).await?;
            }
            SectorState::Committing => self.commit(s, head).await?,
            SectorState::CommitWait => {
                let Some(code) = self
                    .landed(&s.commit_msg, s, SectorState::Committing)
                    .await?
                else {
                    return Ok(());
                };
                if code != 0 {
                    // A retry proves again from C1: resending the same proof
                    // would fail the same way.
                    return self
                        .fail(
                            s,
                            SectorState::C1,
                            format!("the prove-commit failed on chain (exit code {code})"),
                        )
                        .await;
                }
                if self.api.sector_info(&self.miner, s.number).await?.is_none() {
                    return Ok(());
                }
                let mut n = self.next(s, SectorState::Proving);
                n.error.clear();
                self.store.update(s, &n, None).await?;
                tracing::info!(target: "venus::sealer::pipeline", sector = %s.sector_ref(), "proving");
            }
            SectorState::Proving | SectorState::Failed | SectorState::Aborted => {}
        }
        Ok(())
    }

    /// The exit code of a landed message, `None` while it is pending; a
    /// message the messager gave up on fails the sector.
    async fn landed(&self, id: &str, s: &SectorInfo, retry: SectorState) -> Result<Option<i64>> {
        match Outcome::of(&self.api.message(id).await?) {
            Outcome::OnChain(code) => Ok(Some(i64::from(code))),
            Outcome::GaveUp(why) => {
                self.fail(
                    s,
                    retry,
                    format!("the messager gave message {id} up: {why}"),
                )
                .await?;
                Ok(None)
            }
            Outcome::Pending => Ok(None),
        }
    }

    async fn task_step(&self, s: &SectorInfo) -> Result<()> {
        let Some(kind) = s.state.task() else {
            return Ok(());
        };
        let id = s.step_id(kind.as_str());
        let Some(task) = self.store.task(&id).await? else {
            // Queued with the step; gone only if someone deleted it.
            let t = self.task(s, kind);
            let n = self.next(s, s.state);
            self.store.update(s, &n, Some(&t)).await?;
            return Ok(());
        };
        match task.state.as_str() {
            "done" => {
                let out = task.output.unwrap_or_default();
                match self.advance_after(s, kind, out).await {
                    // A worker handed in something unusable: run the task again.
                    Err(SealerError::InvalidInput(why)) => self.retry_task(s, kind, &why).await,
                    other => other,
                }
            }
            "failed" => self.retry_task(s, kind, &task.error).await,
            _ => Ok(()),
        }
    }

    /// A new attempt at `kind`, or the sector fails after `max_retries`.
    async fn retry_task(&self, s: &SectorInfo, kind: TaskKind, why: &str) -> Result<()> {
        if s.retries >= self.config.max_retries {
            return self
                .fail(
                    s,
                    s.state,
                    format!("{kind} failed {} times; last: {why}", s.retries + 1),
                )
                .await;
        }
        let mut n = self.next(s, s.state);
        n.attempt += 1;
        n.retries += 1;
        n.error = clip(format!("{kind}: {why}"));
        let t = self.task(&n, kind);
        tracing::warn!(target: "venus::sealer::pipeline", sector = %s.sector_ref(), %kind, error = %why, "retrying");
        self.store.update(s, &n, Some(&t)).await?;
        Ok(())
    }

    async fn advance_after(&self, s: &SectorInfo, kind: TaskKind, out: TaskOutput) -> Result<()> {
        let hex32 = |what: &str, v: &str| -> Result<[u8; 32]> {
            hex::decode(v)
                .ok()
                .and_then(|b| b.try_into().ok())
                .ok_or_else(|| {
                    SealerError::InvalidInput(format!("{kind} returned a bad {what}: {v:?}"))
                })
        };
        let (n, t) = match kind {
            TaskKind::Pc1 => {
                let mut n = self.next(s, SectorState::Pc2);
                n.pieces = out.pieces;
                let t = self.task(&n, TaskKind::Pc2);
                (n, Some(t))
            }
            TaskKind::Pc2 => {
                let mut n = self.next(s, SectorState::PreCommitting);
                n.comm_r = Some(hex32("CommR", &out.comm_r)?);
                n.comm_d = Some(hex32("CommD", &out.comm_d)?);
                (n, None)
            }
            TaskKind::C1 => {
                let n = self.next(s, SectorState::C2);
                let t = self.task(&n, TaskKind::C2);
                (n, Some(t))
            }
            TaskKind::C2 => {
                let mut n = self.next(s, SectorState::Committing);
                n.proof = hex::decode(&out.proof).map_err(|e| {
                    SealerError::InvalidInput(format!("C2 returned a bad proof: {e}"))
                })?;
                (n, None)
            }
        };
        let mut n = n;
        n.retries = 0;
        self.store.update(s, &n, t.as_ref()).await?;
        Ok(())
    }

    fn message(&self, from: Address, method: u64, params: RawBytes, value: TokenAmount) -> Message {
        to_miner(from, self.miner, method, params, value)
    }

    async fn precommit(&self, s: &SectorInfo, head: &TipSet) -> Result<()> {
        let (Some(comm_r), Some(comm_d)) = (s.comm_r, s.comm_d) else {
            return self
                .fail(s, SectorState::Pc2, "no CommR/CommD recorded".into())
                .await;
        };
        let sealed = crate::types::sealed_cid(&comm_r)?;
        let unsealed = crate::types::unsealed_cid(&comm_d)?;
        let expiration = head.height() + self.config.lifetime;
        let info = SectorPreCommitInfo {
            seal_proof: s.seal_proof,
            sector_number: s.number,
            sealed_cid: sealed,
            seal_rand_epoch: s.ticket_epoch,
            deal_ids: vec![],
            expiration,
            // Committed capacity: zeros, which the chain knows by the empty CommD.
            unsealed_cid: CompactCommD::empty(),
        };
        let deposit = self
            .api
            .precommit_deposit(
                &self.miner,
                PreCommitJson {
                    seal_proof: i64::from(s.seal_proof),
                    sector_number: s.number,
                    sealed_cid: sealed,
                    seal_rand_epoch: s.ticket_epoch,
                    deal_ids: vec![],
                    expiration,
                    unsealed_cid: Some(unsealed),
                },
            )
            .await?;
        let params = RawBytes::serialize(PreCommitSectorBatchParams2 {
            sectors: vec![info],
        })
        .map_err(|e| SealerError::InvalidInput(format!("pre-commit params: {e}")))?;
        let worker = self.api.worker(&self.miner).await?;
        let id = s.step_id("precommit");
        let msg = self.message(
            worker,
            Method::PreCommitSectorBatch2 as u64,
            params,
            deposit,
        );
        self.api.push(&id, &msg).await?;
        let mut n = self.next(s, SectorState::PreCommitWait);
        n.precommit_msg = id;
        self.store.update(s, &n, None).await?;
        Ok(())
    }

    async fn commit(&self, s: &SectorInfo, head: &TipSet) -> Result<()> {
        let Some(pre) = self.api.precommit_info(&self.miner, s.number).await? else {
            let id = s.step_id("commit");
            if self.api.sector_info(&self.miner, s.number).await?.is_some()
                || self.api.message_opt(&id).await?.is_some()
            {
                // Pushed before a crash, and landed: the chain took the
                // pre-commit in; track the message we sent.
                let mut n = self.next(s, SectorState::CommitWait);
                n.commit_msg = id;
                self.store.update(s, &n, None).await?;
                return Ok(());
            }
            return self
                .fail(
                    s,
                    SectorState::PreCommitting,
                    "the pre-commit is no longer on chain (expired?)".into(),
                )
                .await;
        };
        let size = crate::types::sector_bytes(s.seal_proof)?;
        let pledge = self
            .api
            .initial_pledge(pre.info.expiration - head.height(), size)
            .await?;
        let params = RawBytes::serialize(ProveCommitSectors3Params {
            sector_activations: vec![SectorActivationManifest {
                sector_number: s.number,
                pieces: vec![],
            }],
            sector_proofs: vec![RawBytes::new(s.proof.clone())],
            aggregate_proof: RawBytes::default(),
            aggregate_proof_type: None,
            require_activation_success: true,
            require_notification_success: false,
        })
        .map_err(|e| SealerError::InvalidInput(format!("prove-commit params: {e}")))?;
        let worker = self.api.worker(&self.miner).await?;
        let id = s.step_id("commit");
        let msg = self.message(worker, Method::ProveCommitSectors3 as u64, params, pledge);
        self.api.push(&id, &msg).await?;
        let mut n = self.next(s, SectorState::CommitWait);
        n.commit_msg = id;
        self.store.update(s, &n, None).await?;
        Ok(())
    }

    /// Sends a failed sector back to where it failed, as a new attempt.
    pub async fn retry(&self, number: u64) -> Result<SectorInfo> {
        let s = self.sector(number).await?;
        let Some(back) = s.retry_state.filter(|_| s.state == SectorState::Failed) else {
            return Err(SealerError::InvalidInput(format!(
                "sector {number} is {}, not failed",
                s.state
            )));
        };
        let mut n = self.next(&s, back);
        n.attempt += 1;
        n.retries = 0;
        n.retry_state = None;
        let t = back.task().map(|k| self.task(&n, k));
        if !self.store.update(&s, &n, t.as_ref()).await? {
            return Err(SealerError::InvalidInput(format!(
                "sector {number} changed meanwhile; look again"
            )));
        }
        Ok(n)
    }

    /// Stops sealing a sector for good (not once it is proving).
    pub async fn abort(&self, number: u64) -> Result<SectorInfo> {
        let s = self.sector(number).await?;
        if matches!(s.state, SectorState::Proving | SectorState::CommitWait) {
            return Err(SealerError::InvalidInput(format!(
                "sector {number} is {} on chain; it cannot be aborted",
                s.state
            )));
        }
        let n = self.next(&s, SectorState::Aborted);
        if !self.store.update(&s, &n, None).await? {
            return Err(SealerError::InvalidInput(format!(
                "sector {number} changed meanwhile; look again"
            )));
        }
        // Its queued and running tasks go too (a running one's result is refused).
        self.store
            .cancel_tasks(self.id, number, "the sector was aborted")
            .await?;
        Ok(n)
    }

    /// One of the miner's sectors.
    pub async fn sector(&self, number: u64) -> Result<SectorInfo> {
        self.store
            .sector(self.id, number)
            .await?
            .ok_or(SealerError::UnknownSector(number))
    }
}
