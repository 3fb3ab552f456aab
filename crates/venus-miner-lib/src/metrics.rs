//! Prometheus metrics of the rounds: [`Metered`] wraps any
//! [`MiningRecords`] and counts what it records (outcomes per miner, the
//! time of each stage), and [`MinerMetrics::render`] writes them in
//! Prometheus's text format for a `/metrics` endpoint.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use venus_core::ChainEpoch;

use crate::records::{MiningRecords, Record, RecordQuery};
use crate::Result;

#[derive(Default)]
struct Counts {
    /// (miner, outcome) → rounds.
    outcomes: BTreeMap<(String, String), u64>,
    /// stage → (seconds, count).
    stages: BTreeMap<String, (f64, u64)>,
    last_epoch: ChainEpoch,
}

/// The miner's counters.
#[derive(Default)]
pub struct MinerMetrics {
    counts: Mutex<Counts>,
}

impl MinerMetrics {
    /// No rounds yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Counts one recorded round.
    pub fn observe(&self, r: &Record) {
        let mut c = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        *c.outcomes
            .entry((r.miner.to_string(), format!("{:?}", r.outcome)))
            .or_default() += 1;
        for (stage, took) in &r.stages {
            let s = c.stages.entry(format!("{stage:?}")).or_default();
            s.0 += took.as_secs_f64();
            s.1 += 1;
        }
        c.last_epoch = c.last_epoch.max(r.epoch);
    }

    /// The metrics in Prometheus's text format.
    pub fn render(&self) -> String {
        let c = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        let mut out = String::new();
        let _ = writeln!(
            out,
            "# HELP venus_miner_rounds_total Member miners' rounds, by miner and outcome.\n\
             # TYPE venus_miner_rounds_total counter"
        );
        for ((miner, outcome), n) in &c.outcomes {
            let _ = writeln!(
                out,
                "venus_miner_rounds_total{{miner=\"{miner}\",outcome=\"{outcome}\"}} {n}"
            );
        }
        let _ = writeln!(
            out,
            "# HELP venus_miner_stage_seconds The time of each stage of a miner's round.\n\
             # TYPE venus_miner_stage_seconds summary"
        );
        for (stage, (sum, count)) in &c.stages {
            let _ = writeln!(
                out,
                "venus_miner_stage_seconds_sum{{stage=\"{stage}\"}} {sum}\n\
                 venus_miner_stage_seconds_count{{stage=\"{stage}\"}} {count}"
            );
        }
        let _ = writeln!(
            out,
            "# HELP venus_miner_last_epoch The latest epoch a round ran for.\n\
             # TYPE venus_miner_last_epoch gauge\nvenus_miner_last_epoch {}",
            c.last_epoch
        );
        out
    }
}

/// Records that also count into [`MinerMetrics`].
pub struct Metered {
    inner: Arc<dyn MiningRecords>,
    metrics: Arc<MinerMetrics>,
}

impl Metered {
    /// `inner`, counted into `metrics`.
    pub fn new(inner: Arc<dyn MiningRecords>, metrics: Arc<MinerMetrics>) -> Self {
        Metered { inner, metrics }
    }
}

#[async_trait]
impl MiningRecords for Metered {
    async fn record(&self, record: &Record) -> Result<()> {
        self.metrics.observe(record);
        self.inner.record(record).await
    }

    async fn query(&self, query: &RecordQuery) -> Result<Vec<Record>> {
        self.inner.query(query).await
    }

    async fn prune(&self, before_ms: i64) -> Result<u64> {
        self.inner.prune(before_ms).await
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::records::{Outcome, Stage};

    #[test]
    fn renders_counts_and_stage_times() {
        let m = MinerMetrics::new();
        let record = |epoch, outcome| Record {
            miner: venus_core::Address::new_id(1000),
            epoch,
            instance: "a".into(),
            outcome,
            reason: String::new(),
            stages: vec![(Stage::Ticket, Duration::from_millis(250))],
            at_ms: 0,
        };
        m.observe(&record(7, Outcome::Mined));
        m.observe(&record(8, Outcome::Mined));
        m.observe(&record(9, Outcome::Timeout));
        let text = m.render();
        assert!(text.contains("venus_miner_rounds_total{miner=\"f01000\",outcome=\"Mined\"} 2\n"));
        assert!(text.contains("venus_miner_rounds_total{miner=\"f01000\",outcome=\"Timeout\"} 1\n"));
        assert!(text.contains("venus_miner_stage_seconds_sum{stage=\"Ticket\"} 0.75\n"));
        assert!(text.contains("venus_miner_stage_seconds_count{stage=\"Ticket\"} 3\n"));
        assert!(text.contains("venus_miner_last_epoch 9\n"));
    }
}
