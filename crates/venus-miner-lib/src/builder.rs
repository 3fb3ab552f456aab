//! The miner: a [`Round`] epoch after epoch for every member miner, on the
//! head of the node, with null rounds mined over, each slot of it a trait
//! an integrator can replace.

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
    /// moves meanwhile); `on_round` sees each round's results. Rounds run
    /// one after another: a round whose slow miners outlast the epoch
    /// (a `miner_timeout` above the epoch) makes the next one start late.
    /// A round in flight when `stop` completes is finished first (its
    /// deadlines bound it), so a won block is not dropped on the way.
    pub async fn run<S, F>(&self, stop: S, mut on_round: F)
    where
        S: Future<Output = ()>,
        F: FnMut(ChainEpoch, &[MinerResult]),
    {
        tokio::pin!(stop);
        let mut next: ChainEpoch = 0;
        let mut last_prune = 0i64;
        loop {
            let planned = tokio::select! {
                biased;
                _ = &mut stop => return,
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
            let round = self.round.run(&miners, &base, nulls);
            tokio::pin!(round);
            let results = tokio::select! {
                biased;
                r = &mut round => r,
                _ = &mut stop => {
                    // A won block may be on its way: the round ends by its
                    // own deadlines.
                    tracing::info!(target: "venus_miner", epoch, "stopping after the round in flight");
                    let results = round.await;
                    on_round(epoch, &results);
                    return;
                }
            };
            on_round(epoch, &results);
            // A round abandoned for a moved head is planned again on the
            // new head (the epoch itself, unless the chain is past it).
            next = if results.iter().any(|r| r.outcome == Outcome::ChainForked) {
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
