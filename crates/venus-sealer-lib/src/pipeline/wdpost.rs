//! [`WindowPoster`]: the window PoSt scheduler, following the head as
//! Lotus's and damocles's do.
//!
//! Each pass, for the miner's current deadline once the head is
//! `confidence` epochs past its opening: check which sectors of its
//! partitions are provable (sealed file and cache there, of the right
//! size), prove the good ones with the challenge randomness, and submit
//! `SubmitWindowedPoSt` through the messager with the chain-commit epoch
//! (the deadline's opening) and its randomness, marking the bad ones
//! skipped. A submission that fails on chain while the deadline is open is
//! proven and sent again; a deadline that closes first is given up, with
//! the reason recorded, and nothing more is computed for it.
//!
//! For the deadline after next (before its fault cutoff), sectors whose
//! files went bad are declared faulty, and faulty sectors whose files are
//! back are declared recovering, so the next proof there brings them back.
//!
//! A deadline is proven by the sealer holding its row's lease in the
//! shared store: two sealers on one database prove it once, and the other
//! takes over when the holder dies.

use std::collections::BTreeSet;
use std::sync::Arc;

use fil_actor_miner_state::v17::{
    DeclareFaultsParams, DeclareFaultsRecoveredParams, FaultDeclaration, Method, PoStPartition,
    RecoveryDeclaration, SubmitWindowedPoStParams,
};
use fvm_ipld_bitfield::BitField;
use fvm_ipld_encoding::RawBytes;
use venus_api::lotus::{BitFieldRuns, DeadlineInfo, Partition};
use venus_core::crypto::DomainSeparationTag;
use venus_core::shared::randomness::Randomness;
use venus_core::shared::sector::RegisteredSealProof;
use venus_core::types::TipSet;
use venus_core::{Address, ChainEpoch, Message, TokenAmount};

use super::chain::{entropy, to_miner, Outcome, SealingApi};
use super::store::{PostRow, SealingStore};
use crate::store::SectorStore;
use crate::SealerError;
use crate::{PostSector, Prover, SectorRef};

use crate::Result;

/// The scheduler's settings.
#[derive(Debug, Clone)]
pub struct PostConfig {
    /// Epochs past a deadline's opening before it is proven (the chain
    /// commit then has this many tipsets on top).
    pub confidence: ChainEpoch,
    /// How long a sealer holds a deadline without renewing it (ms).
    pub lease_ms: u64,
    /// Whether to declare faults and recoveries.
    pub declare: bool,
}

impl Default for PostConfig {
    fn default() -> Self {
        PostConfig {
            confidence: 1,
            lease_ms: 60_000,
            declare: true,
        }
    }
}

/// The window PoSt scheduler of one miner.
pub struct WindowPoster {
    store: SealingStore,
    api: Arc<SealingApi>,
    prover: Prover,
    sectors: Arc<dyn SectorStore>,
    miner: Address,
    id: u64,
    owner: String,
    config: PostConfig,
    /// Declarations pushed by this process: the attempt in flight under
    /// each declaration's id. The chain shows a declaration only once it
    /// lands, and a pass each second should not push it again meanwhile;
    /// one the messager gave up is sent again as the next attempt, one
    /// the actor refused is not. After a restart the messager answers a
    /// repeated id with the first push.
    declared: std::sync::Mutex<std::collections::HashMap<String, Declared>>,
}

/// Attempts at one declaration when the messager gives it up (its id
/// names its deadline, its period and its sectors, so the next deadline's
/// is another declaration). One refused on chain is not sent again.
pub const DECLARE_ATTEMPTS: u32 = 3;

/// A declaration this process sent.
#[derive(Debug, Clone, Copy)]
enum Declared {
    /// This attempt is at the messager (or should be).
    InFlight(u32),
    /// Landed, refused on chain, or given up: not sent again.
    Settled,
}

/// Why a message that is no longer pending did not land; `None` when it did.
fn failure(o: &Outcome) -> Option<String> {
    match o {
        Outcome::Pending | Outcome::OnChain(0) => None,
        Outcome::OnChain(code) => Some(format!("failed on chain (exit code {code})")),
        Outcome::GaveUp(why) => Some(format!("the messager gave it up: {why}")),
    }
}

fn set(runs: &BitFieldRuns) -> BTreeSet<u64> {
    runs.ranges().into_iter().flatten().collect()
}

fn runs(s: &BTreeSet<u64>) -> BitFieldRuns {
    BitFieldRuns::from_ranges(s.iter().map(|n| *n..n + 1))
}

fn bitfield(s: &BTreeSet<u64>) -> Result<BitField> {
    BitField::try_from_bits(s.iter().copied())
        .map_err(|e| SealerError::InvalidInput(format!("bitfield: {e}")))
}

fn params<T: serde::Serialize>(what: &str, p: T) -> Result<RawBytes> {
    RawBytes::serialize(p).map_err(|e| SealerError::InvalidInput(format!("{what} params: {e}")))
}

impl WindowPoster {
    /// The scheduler of `miner`, proving with `prover` over `sectors`,
    /// holding deadlines as `owner` (unique per sealer instance).
    pub fn new(
        store: SealingStore,
        api: Arc<SealingApi>,
        prover: Prover,
        sectors: Arc<dyn SectorStore>,
        miner: Address,
        owner: impl Into<String>,
        config: PostConfig,
    ) -> Result<Self> {
        Ok(WindowPoster {
            id: crate::types::actor_id(&miner)?,
            store,
            api,
            prover,
            sectors,
            miner,
            owner: owner.into(),
            config,
            declared: Default::default(),
        })
    }

    /// One pass at `head`.
    pub async fn pass(&self, head: &TipSet) -> Result<()> {
        let di = self.api.proving_deadline(&self.miner, head.key()).await?;
        self.give_up_closed(&di).await?;
        if self.config.declare {
            if let Err(e) = self.declare(&di, head).await {
                tracing::warn!(target: "venus::sealer::wdpost", miner = %self.miner, error = %e, "declaring faults and recoveries");
            }
        }
        if head.height() < di.open + self.config.confidence {
            return Ok(());
        }
        let row = self.store.post(self.id, di.period_start, di.index).await?;
        match row.as_ref().map(|r| r.state.as_str()) {
            None | Some("Proving") => self.prove(&di, head, row.map_or(0, |r| r.attempt)).await,
            Some("Submitted") => self.track(&di, head, row.expect("matched Some")).await,
            _ => Ok(()),
        }
    }

    /// Rows of deadlines that closed before their proof landed.
    async fn give_up_closed(&self, di: &DeadlineInfo) -> Result<()> {
        for mut r in self.store.posts(64).await? {
            if r.miner != self.id || !matches!(r.state.as_str(), "Proving" | "Submitted") {
                continue;
            }
            let index = i64::try_from(r.deadline).unwrap_or(i64::MAX);
            let close = index
                .saturating_add(1)
                .saturating_mul(di.w_post_challenge_window)
                .saturating_add(r.period_start);
            if close > di.current_epoch {
                continue;
            }
            if !self.hold(r.period_start, r.deadline).await? {
                continue;
            }
            if r.state == "Submitted" {
                // It may have landed in the window's last epochs.
                if let Some(m) = self.api.message_opt(&r.msg).await? {
                    match Outcome::of(&m) {
                        Outcome::OnChain(0) => {
                            r.state = "Landed".into();
                            self.store.set_post(&r, &self.owner).await?;
                            continue;
                        }
                        // Still pending: asked again next pass.
                        Outcome::Pending => continue,
                        _ => {}
                    }
                }
            }
            tracing::warn!(target: "venus::sealer::wdpost", miner = %self.miner, period = r.period_start, deadline = r.deadline, state = %r.state, "the deadline closed before its proof landed");
            r.error = format!("the deadline closed at {close} while {}", r.state);
            r.state = "GaveUp".into();
            self.store.set_post(&r, &self.owner).await?;
        }
        Ok(())
    }

    /// Takes or renews this sealer's lease on the deadline; `false` when
    /// another sealer holds it.
    async fn hold(&self, period_start: i64, deadline: u64) -> Result<bool> {
        self.store
            .lease_post(
                self.id,
                period_start,
                deadline,
                &self.owner,
                self.config.lease_ms,
            )
            .await
    }

    /// Whether `sector`'s files can be proven.
    fn provable(&self, number: u64, proof: RegisteredSealProof) -> bool {
        let Ok(size) = crate::types::sector_bytes(proof) else {
            return false;
        };
        let paths = self.sectors.paths(SectorRef::new(self.id, number));
        match paths.check_sealed(size) {
            Ok(()) => true,
            Err(e) => {
                tracing::warn!(target: "venus::sealer::wdpost", miner = %self.miner, sector = number, error = %e, "not provable");
                false
            }
        }
    }

    async fn prove(&self, di: &DeadlineInfo, head: &TipSet, attempt: u32) -> Result<()> {
        if !self
            .store
            .lease_post(
                self.id,
                di.period_start,
                di.index,
                &self.owner,
                self.config.lease_ms,
            )
            .await?
        {
            return Ok(()); // Another sealer proves it.
        }
        let mut row = PostRow {
            miner: self.id,
            period_start: di.period_start,
            deadline: di.index,
            state: "Proving".into(),
            attempt,
            msg: String::new(),
            skipped: vec![],
            error: String::new(),
            owner: self.owner.clone(),
        };
        let parts: Vec<Partition> = self
            .api
            .partitions(&self.miner, di.index, head.key())
            .await?;
        let mut post_parts = Vec::new();
        let mut good = Vec::new();
        for (idx, p) in parts.iter().enumerate() {
            let faulty: BTreeSet<u64> = &set(&p.faulty_sectors) - &set(&p.recovering_sectors);
            let candidates: BTreeSet<u64> = &set(&p.live_sectors) - &faulty;
            if candidates.is_empty() {
                continue;
            }
            let infos = self
                .api
                .sectors(&self.miner, runs(&candidates), head.key())
                .await?;
            let mut skipped = BTreeSet::new();
            let mut part_good = Vec::new();
            for s in &infos {
                let proof = RegisteredSealProof::from(s.seal_proof);
                if self.provable(s.sector_number, proof) {
                    part_good.push(PostSector {
                        number: s.sector_number,
                        proof,
                        comm_r: crate::types::comm_r(&s.sealed_cid)?,
                    });
                } else {
                    skipped.insert(s.sector_number);
                }
            }
            row.skipped.extend(skipped.iter().copied());
            if part_good.is_empty() {
                continue; // Nothing provable: cron faults the partition.
            }
            good.extend(part_good);
            post_parts.push(PoStPartition {
                index: idx as u64,
                skipped: bitfield(&skipped)?,
            });
        }
        if post_parts.is_empty() {
            row.state = "Nothing".into();
            if !row.skipped.is_empty() {
                row.error = "no provable sector".into();
            }
            self.store.set_post(&row, &self.owner).await?;
            return Ok(());
        }
        let entropy = entropy(&self.miner)?;
        let challenge = self
            .api
            .beacon_randomness(
                DomainSeparationTag::WindowedPoStChallengeSeed,
                di.challenge,
                entropy,
                head.key(),
            )
            .await?;
        // The lease is renewed while the proof runs: a proof longer than the
        // lease must not let another sealer take the deadline, and the two
        // start over in turn.
        let proofs = {
            let work =
                self.prover
                    .generate_window_post(self.sectors.as_ref(), self.id, &good, &challenge);
            tokio::pin!(work);
            let every = std::time::Duration::from_millis((self.config.lease_ms / 3).max(100));
            loop {
                tokio::select! {
                    r = &mut work => break r?,
                    _ = tokio::time::sleep(every) => {
                        if !self.hold(di.period_start, di.index).await? {
                            tracing::warn!(target: "venus::sealer::wdpost", miner = %self.miner, deadline = di.index, "lost the deadline's lease while proving");
                            return Ok(());
                        }
                    }
                }
            }
        };
        let now = self.api.head().await?;
        if now.height() >= di.close {
            row.state = "GaveUp".into();
            row.error = format!(
                "the proof was ready at {}, after the deadline closed at {}",
                now.height(),
                di.close
            );
            self.store.set_post(&row, &self.owner).await?;
            return Ok(());
        }
        let commit_rand = self
            .api
            .ticket_randomness(
                DomainSeparationTag::PoStChainCommit,
                di.open,
                vec![],
                now.key(),
            )
            .await?;
        let params = params(
            "window PoSt",
            SubmitWindowedPoStParams {
                deadline: di.index,
                partitions: post_parts,
                proofs,
                chain_commit_epoch: di.open,
                chain_commit_rand: Randomness(commit_rand.to_vec()),
            },
        )?;
        let worker = self.api.worker(&self.miner).await?;
        let id = format!(
            "t0{}-wdpost-{}-{}-{}",
            self.id, di.period_start, di.index, attempt
        );
        row.state = "Submitted".into();
        row.msg = id.clone();
        // Recorded before it is sent: a restart tracks it, and a second
        // push under the id keeps the first.
        if !self.store.set_post(&row, &self.owner).await? {
            return Ok(());
        }
        if let Err(e) = self
            .api
            .push(
                &id,
                &self.message(worker, Method::SubmitWindowedPoSt as u64, params),
            )
            .await
        {
            // Not at the messager: prove again on the next pass.
            row.state = "Proving".into();
            row.msg.clear();
            row.error = e.to_string();
            self.store.set_post(&row, &self.owner).await?;
            return Err(e);
        }
        tracing::info!(target: "venus::sealer::wdpost", miner = %self.miner, deadline = di.index, period = di.period_start, sectors = good.len(), skipped = row.skipped.len(), "window PoSt submitted");
        Ok(())
    }

    async fn track(&self, di: &DeadlineInfo, head: &TipSet, mut row: PostRow) -> Result<()> {
        let Some(m) = self.api.message_opt(&row.msg).await? else {
            // Recorded, but the push never reached the messager (a crash
            // in between): prove again and push under the same id.
            tracing::warn!(target: "venus::sealer::wdpost", miner = %self.miner, msg = %row.msg, "the submission never reached the messager; proving again");
            return self.prove(di, head, row.attempt).await;
        };
        let outcome = Outcome::of(&m);
        if outcome == Outcome::Pending {
            return Ok(());
        }
        let failed = failure(&outcome);
        if !self
            .store
            .lease_post(
                self.id,
                di.period_start,
                di.index,
                &self.owner,
                self.config.lease_ms,
            )
            .await?
        {
            return Ok(());
        }
        match failed {
            None => {
                row.state = "Landed".into();
                self.store.set_post(&row, &self.owner).await?;
                Ok(())
            }
            Some(why) => {
                tracing::warn!(target: "venus::sealer::wdpost", miner = %self.miner, deadline = di.index, msg = %row.msg, reason = %why, "window PoSt did not land; proving again");
                row.state = "Proving".into();
                row.error = why;
                row.attempt += 1;
                self.store.set_post(&row, &self.owner).await?;
                self.prove(di, head, row.attempt).await
            }
        }
    }

    /// Faults and recoveries for the deadline after next, while its fault
    /// cutoff is ahead.
    async fn declare(&self, di: &DeadlineInfo, head: &TipSet) -> Result<()> {
        let n = di.w_post_period_deadlines;
        if n < 3 {
            return Ok(());
        }
        let target = (di.index + 2) % n;
        let open = di.open + 2 * di.w_post_challenge_window;
        if head.height() >= open - di.fault_declaration_cutoff {
            return Ok(());
        }
        let period = if target < di.index {
            di.period_start + di.w_post_proving_period
        } else {
            di.period_start
        };
        let parts = self.api.partitions(&self.miner, target, head.key()).await?;
        let mut faults = Vec::new();
        let mut recoveries = Vec::new();
        for (idx, p) in parts.iter().enumerate() {
            let faulty = set(&p.faulty_sectors);
            let recovering = set(&p.recovering_sectors);
            let live = set(&p.live_sectors);
            let all: BTreeSet<u64> = &live | &faulty;
            if all.is_empty() {
                continue;
            }
            let infos = self
                .api
                .sectors(&self.miner, runs(&all), head.key())
                .await?;
            let (mut bad, mut back) = (BTreeSet::new(), BTreeSet::new());
            for s in infos {
                let ok = self.provable(s.sector_number, RegisteredSealProof::from(s.seal_proof));
                let n = s.sector_number;
                if !ok && live.contains(&n) && !faulty.contains(&n) {
                    bad.insert(n);
                }
                if ok && faulty.contains(&n) && !recovering.contains(&n) {
                    back.insert(n);
                }
            }
            if !bad.is_empty() {
                faults.push((idx as u64, bad));
            }
            if !back.is_empty() {
                recoveries.push((idx as u64, back));
            }
        }
        let tag = |kind: &str, list: &[(u64, BTreeSet<u64>)]| {
            let digest = venus_core::encoding::blake2b_256(format!("{list:?}").as_bytes());
            format!(
                "t0{}-{kind}-{period}-{target}-{}",
                self.id,
                hex::encode(&digest[..4])
            )
        };
        if !faults.is_empty() {
            let p = DeclareFaultsParams {
                faults: faults
                    .iter()
                    .map(|(partition, s)| {
                        Ok(FaultDeclaration {
                            deadline: target,
                            partition: *partition,
                            sectors: bitfield(s)?,
                        })
                    })
                    .collect::<Result<_>>()?,
            };
            let id = tag("faults", &faults);
            if let Some(id) = self.to_declare(&id).await? {
                tracing::warn!(target: "venus::sealer::wdpost", miner = %self.miner, deadline = target, ?faults, msg = %id, "declaring faults");
                self.push_declaration(&id, Method::DeclareFaults as u64, params("faults", p)?)
                    .await?;
            }
        }
        if !recoveries.is_empty() {
            let p = DeclareFaultsRecoveredParams {
                recoveries: recoveries
                    .iter()
                    .map(|(partition, s)| {
                        Ok(RecoveryDeclaration {
                            deadline: target,
                            partition: *partition,
                            sectors: bitfield(s)?,
                        })
                    })
                    .collect::<Result<_>>()?,
            };
            let id = tag("recover", &recoveries);
            if let Some(id) = self.to_declare(&id).await? {
                tracing::info!(target: "venus::sealer::wdpost", miner = %self.miner, deadline = target, ?recoveries, msg = %id, "declaring recoveries");
                self.push_declaration(
                    &id,
                    Method::DeclareFaultsRecovered as u64,
                    params("recoveries", p)?,
                )
                .await?;
            }
        }
        Ok(())
    }

    /// The message id to push the declaration `base` under, or `None`
    /// while its attempt in flight is pending or landed (the chain shows
    /// it a little later), or after [`DECLARE_ATTEMPTS`] failed.
    async fn to_declare(&self, base: &str) -> Result<Option<String>> {
        let sent = self
            .declared
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(base)
            .copied();
        let attempt = match sent {
            None => 0,
            Some(Declared::Settled) => return Ok(None),
            Some(Declared::InFlight(a)) => {
                let id = format!("{base}-{a}");
                match self.api.message_opt(&id).await? {
                    // Recorded but never taken by the messager: push it again.
                    None => a,
                    Some(m) => {
                        let outcome = Outcome::of(&m);
                        let why = failure(&outcome).unwrap_or_default();
                        match outcome {
                            Outcome::Pending => return Ok(None),
                            Outcome::OnChain(0) => return self.settle(base),
                            // The actor refused it: the same declaration would
                            // fail the same way (its id names the same sectors).
                            Outcome::OnChain(_) => {
                                tracing::error!(target: "venus::sealer::wdpost", miner = %self.miner, msg = %id, reason = %why, "declaration failed on chain; not sent again");
                                return self.settle(base);
                            }
                            Outcome::GaveUp(_) if a + 1 < DECLARE_ATTEMPTS => {
                                tracing::warn!(target: "venus::sealer::wdpost", miner = %self.miner, msg = %id, reason = %why, "declaration not sent by the messager; sending it again");
                                a + 1
                            }
                            Outcome::GaveUp(_) => {
                                tracing::error!(target: "venus::sealer::wdpost", miner = %self.miner, msg = %id, reason = %why, attempts = DECLARE_ATTEMPTS, "declaration given up");
                                return self.settle(base);
                            }
                        }
                    }
                }
            }
        };
        self.declared
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(base.to_string(), Declared::InFlight(attempt));
        Ok(Some(format!("{base}-{attempt}")))
    }

    /// Nothing more to send for the declaration `base`.
    fn settle(&self, base: &str) -> Result<Option<String>> {
        self.declared
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(base.to_string(), Declared::Settled);
        Ok(None)
    }

    async fn push_declaration(&self, id: &str, method: u64, params: RawBytes) -> Result<()> {
        let worker = self.api.worker(&self.miner).await?;
        self.api
            .push(id, &self.message(worker, method, params))
            .await
    }

    fn message(&self, from: Address, method: u64, params: RawBytes) -> Message {
        to_miner(from, self.miner, method, params, TokenAmount::default())
    }
}
