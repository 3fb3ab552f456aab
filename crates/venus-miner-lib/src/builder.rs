//! The miner: a [`Round`] epoch after epoch for every member miner, on the
//! head of the node, with null rounds mined over, each slot of it a trait
//! an integrator can replace.

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use venus_core::traits::{BlockApi, ChainApi};
use venus_core::{Address, ChainEpoch};

use crate::records::{MemoryRecords, MiningRecords, Outcome};
use crate::round::{MinerResult, Provers, Round, RoundConfig, Signers};
use crate::slash::SlashFilter;
use crate::{now_ms, MinerError, Result};

/// Reports the results of a finished round that were not reported when
/// its blocks went out (its late miners).
fn report_rest<F>(
    done: std::result::Result<(u64, ChainEpoch, Vec<MinerResult>), tokio::task::JoinError>,
    reported: &mut HashMap<u64, HashSet<Address>>,
    on_round: &mut F,
) where
    F: FnMut(ChainEpoch, &[MinerResult]),
{
    match done {
        Ok((id, epoch, all)) => {
            let early = reported.remove(&id).unwrap_or_default();
            let rest: Vec<MinerResult> = all
                .into_iter()
                .filter(|r| !early.contains(&r.miner))
                .collect();
            if !rest.is_empty() {
                on_round(epoch, &rest);
            }
        }
        Err(e) => tracing::error!(target: "venus_miner", error = %e, "a round failed"),
    }
}

/// How many epochs back won rounds' leases are kept (they matter only
/// during their round; a day of 30 s epochs is plenty to look back on).
const KEEP_LEASES: ChainEpoch = 2880;

/// The miners the pool mines for.
#[async_trait]
pub trait Members: Send + Sync {
    /// The miners to mine for now (read before every round).
    async fn miners(&self) -> Result<Vec<Address>>;

    /// Each miner's owner (a venus-auth user), where known.
    async fn owners(&self) -> Result<std::collections::HashMap<Address, String>> {
        Ok(Default::default())
    }
}

/// A fixed list of miners.
#[async_trait]
impl Members for Vec<Address> {
    async fn miners(&self) -> Result<Vec<Address>> {
        Ok(self.clone())
    }
}

/// The miner's settings.
#[derive(Debug, Clone)]
pub struct MinerConfig {
    /// How each round runs.
    pub round: RoundConfig,
    /// How long after a base's timestamp its round starts, for the
    /// base's other blocks to arrive (sophon-miner's
    /// `PropagationDelaySecs`: 12 s of a 30 s epoch).
    pub propagation_delay: Duration,
    /// How long records are kept.
    pub keep_records: Duration,
}

impl Default for MinerConfig {
    fn default() -> Self {
        MinerConfig {
            round: RoundConfig::default(),
            propagation_delay: Duration::from_secs(12),
            keep_records: Duration::from_secs(7 * 24 * 3600),
        }
    }
}

/// Builds a [`Miner`]; the node, the signers, the provers, the members
/// and the slash filter are required, records default to memory.
pub struct MinerBuilder {
    config: MinerConfig,
    chain: Option<Arc<dyn ChainApi>>,
    signers: Option<Arc<dyn Signers>>,
    provers: Option<Arc<dyn Provers>>,
    slash: Option<Arc<dyn SlashFilter>>,
    records: Option<Arc<dyn MiningRecords>>,
    members: Option<Arc<dyn Members>>,
    submit_to: Vec<Arc<dyn BlockApi>>,
}

impl MinerBuilder {
    /// Another node each block is sent to after the main one (repeat for
    /// more).
    pub fn submit_to(mut self, node: Arc<dyn BlockApi>) -> Self {
        self.submit_to.push(node);
        self
    }

    /// The node the miner mines on.
    pub fn chain(mut self, chain: Arc<dyn ChainApi>) -> Self {
        self.chain = Some(chain);
        self
    }

    /// Where each worker key's wallet is.
    pub fn signers(mut self, signers: Arc<dyn Signers>) -> Self {
        self.signers = Some(signers);
        self
    }

    /// Where each miner's prover is.
    pub fn provers(mut self, provers: Arc<dyn Provers>) -> Self {
        self.provers = Some(provers);
        self
    }

    /// The slash filter (SQL for anything that must survive a restart).
    pub fn slash_filter(mut self, slash: Arc<dyn SlashFilter>) -> Self {
        self.slash = Some(slash);
        self
    }

    /// Where rounds are recorded (default: in memory).
    pub fn records(mut self, records: Arc<dyn MiningRecords>) -> Self {
        self.records = Some(records);
        self
    }

    /// Which miners to mine for.
    pub fn members(mut self, members: Arc<dyn Members>) -> Self {
        self.members = Some(members);
        self
    }

    /// The miner; names the first slot left empty.
    pub fn build(self) -> Result<Miner> {
        let missing = |what: &str| MinerError::Config(format!("the miner needs {what}"));
        Ok(Miner {
            round: Arc::new(Round {
                chain: self.chain.ok_or_else(|| missing("a node (chain)"))?,
                signers: self.signers.ok_or_else(|| missing("signers"))?,
                provers: self.provers.ok_or_else(|| missing("provers"))?,
                slash: self.slash.ok_or_else(|| missing("a slash filter"))?,
                records: self
                    .records
                    .unwrap_or_else(|| Arc::new(MemoryRecords::new())),
                submit_to: self.submit_to,
                config: self.config.round.clone(),
            }),
            members: self.members.ok_or_else(|| missing("members"))?,
            config: self.config,
        })
    }
}

/// The pool's block producer.
pub struct Miner {
    round: Arc<Round>,
    members: Arc<dyn Members>,
    config: MinerConfig,
}

impl Miner {
    /// Starts building a miner with `config`.
    pub fn builder(config: MinerConfig) -> MinerBuilder {
        MinerBuilder {
            config,
            chain: None,
            signers: None,
            provers: None,
            slash: None,
            records: None,
            members: None,
            submit_to: Vec::new(),
        }
    }

    /// The round runner (for one-off rounds and tests).
    pub fn round(&self) -> &Round {
        &self.round
    }

    /// Mines until `stop` completes: the epoch after the head (or after
    /// the last epoch mined, over null rounds), its round started the
    /// propagation delay after its base's time (re-planned if the head
    /// moves meanwhile); `on_round` sees each round's results once its
    /// blocks are out, and the results of its late miners (a stalled
    /// wallet or prover, up to the miner timeout) in a second call when
    /// they come: the next round does not wait for them. Rounds in flight
    /// when `stop` completes are finished first (their deadlines bound
    /// them), so a won block is not dropped on the way.
    pub async fn run<S, F>(&self, stop: S, mut on_round: F)
    where
        S: Future<Output = ()>,
        F: FnMut(ChainEpoch, &[MinerResult]),
    {
        tokio::pin!(stop);
        let mut next: ChainEpoch = 0;
        let mut last_prune = 0i64;
        // Rounds whose late miners are still at work, by a round number:
        // the miners already reported.
        let mut rounds = tokio::task::JoinSet::new();
        let mut reported: HashMap<u64, HashSet<Address>> = HashMap::new();
        let mut number = 0u64;
        loop {
            let planned = tokio::select! {
                biased;
                _ = &mut stop => break,
                Some(done) = rounds.join_next(), if !rounds.is_empty() => {
                    report_rest(done, &mut reported, &mut on_round);
                    continue;
                }
                p = self.plan(next) => p,
            };
            let Some((base, epoch)) = planned else {
                continue;
            };
            let miners = match self.members.miners().await {
                Ok(m) => m,
                Err(e) => {
                    tracing::warn!(target: "venus_miner", error = %e, "reading the members failed");
                    Vec::new()
                }
            };
            let nulls = epoch - base.height() - 1;
            let (tx, rx) = tokio::sync::oneshot::channel();
            let round = self.round.clone();
            number += 1;
            let id = number;
            rounds.spawn(async move {
                let all = round.run_reporting(&miners, &base, nulls, Some(tx)).await;
                (id, epoch, all)
            });
            // The next round is planned once this one's blocks are out
            // (its slow miners finish meanwhile). A round in flight when
            // `stop` completes ends by its own deadlines, below.
            let early = tokio::select! {
                biased;
                _ = &mut stop => break,
                early = rx => early.unwrap_or_default(),
            };
            on_round(epoch, &early);
            reported.insert(id, early.iter().map(|r| r.miner).collect());
            // A round abandoned for a moved head is planned again on the
            // new head (the epoch itself, unless the chain is past it).
            next = if early.iter().any(|r| r.outcome == Outcome::ChainForked) {
                epoch
            } else {
                epoch + 1
            };
            if now_ms() - last_prune > 600_000 {
                last_prune = now_ms();
                let before = now_ms()
                    - i64::try_from(self.config.keep_records.as_millis()).unwrap_or(i64::MAX);
                if let Err(e) = self.round.records.prune(before).await {
                    tracing::warn!(target: "venus_miner", error = %e, "pruning the records failed");
                }
                if let Err(e) = self.round.slash.prune_leases(epoch - KEEP_LEASES).await {
                    tracing::warn!(target: "venus_miner", error = %e, "pruning the leases failed");
                }
            }
        }
        if !rounds.is_empty() {
            tracing::info!(target: "venus_miner", rounds = rounds.len(), "stopping after the rounds in flight");
        }
        while let Some(done) = rounds.join_next().await {
            report_rest(done, &mut reported, &mut on_round);
        }
    }

    /// The base and epoch of the next round, once its time has come:
    /// `None` when the head moved while waiting (plan again).
    async fn plan(&self, next: ChainEpoch) -> Option<(venus_core::types::TipSet, ChainEpoch)> {
        let head = match self.round.chain.head().await {
            Ok(h) => h,
            Err(e) => {
                tracing::warn!(target: "venus_miner", error = %e, "reading the head failed");
                tokio::time::sleep(Duration::from_secs(1)).await;
                return None;
            }
        };
        let epoch = next.max(head.height() + 1);
        let nulls = u64::try_from(epoch - head.height() - 1).unwrap_or(0);
        let start =
            Duration::from_secs(head.min_timestamp() + self.config.round.block_delay * nulls)
                + self.config.propagation_delay;
        // Sleep to the start in short steps, watching the head.
        loop {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap_or_default();
            if now >= start {
                break;
            }
            tokio::time::sleep((start - now).min(Duration::from_millis(500))).await;
            if let Ok(h) = self.round.chain.head().await {
                if h.key() != head.key() {
                    return None;
                }
            }
        }
        Some((head, epoch))
    }
}
