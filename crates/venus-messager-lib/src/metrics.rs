//! Prometheus metrics of the messager: messages per state, per address the
//! messages not yet on chain and the age of the oldest, and what the
//! passes did (pushes no node took, estimates that failed, …).
//! [`MessagerMetrics::refresh`] reads the store (run it every few
//! seconds); [`MessagerMetrics::render`] writes the text format.

use std::fmt::Write;
use std::sync::Mutex;

use crate::store::Stats;
use crate::{Messager, Result};

/// The messager's metrics.
pub struct MessagerMetrics {
    messager: Messager,
    stats: Mutex<Stats>,
}

impl MessagerMetrics {
    /// Metrics of `messager`.
    pub fn new(messager: Messager) -> Self {
        MessagerMetrics {
            messager,
            stats: Mutex::default(),
        }
    }

    /// Reads the counts from the store.
    pub async fn refresh(&self) -> Result<()> {
        let stats = self.messager.store().stats().await?;
        *self.stats.lock().unwrap_or_else(|p| p.into_inner()) = stats;
        Ok(())
    }

    /// The metrics in Prometheus's text format, as of the last refresh.
    pub fn render(&self) -> String {
        let stats = self.stats.lock().unwrap_or_else(|p| p.into_inner()).clone();
        let now = crate::now_ms();
        let mut out = String::new();
        let _ = writeln!(
            out,
            "# HELP venus_messager_messages Messages kept, by state.\n\
             # TYPE venus_messager_messages gauge"
        );
        for state in crate::MessageState::ALL {
            let n = stats
                .by_state
                .iter()
                .find(|(s, _)| *s == state)
                .map_or(0, |(_, n)| *n);
            let _ = writeln!(
                out,
                "venus_messager_messages{{state=\"{}\"}} {n}",
                state.to_string().replace(' ', "_")
            );
        }
        let _ = writeln!(
            out,
            "# HELP venus_messager_pending Unfilled and filled messages per address.\n\
             # TYPE venus_messager_pending gauge"
        );
        for (addr, n, _) in &stats.pending {
            let _ = writeln!(out, "venus_messager_pending{{address=\"{addr}\"}} {n}");
        }
        let _ = writeln!(
            out,
            "# HELP venus_messager_oldest_pending_seconds Age of each address's oldest message not on chain.\n\
             # TYPE venus_messager_oldest_pending_seconds gauge"
        );
        for (addr, _, oldest) in &stats.pending {
            let age = (now - oldest).max(0) as f64 / 1000.0;
            let _ = writeln!(
                out,
                "venus_messager_oldest_pending_seconds{{address=\"{addr}\"}} {age:.3}"
            );
        }
        let t = self.messager.totals();
        for (name, help, v) in [
            ("filled", "Messages filled (nonce, gas).", t.filled),
            (
                "signed",
                "Signatures obtained (new, recovered, replaced).",
                t.signed,
            ),
            ("landed", "Messages found on chain.", t.landed),
            (
                "conflicts",
                "Messages whose nonce another message took.",
                t.conflicts,
            ),
            (
                "replaced",
                "Messages replaced with a higher premium.",
                t.replaced,
            ),
            (
                "estimate_failures",
                "Gas estimates that failed.",
                t.estimate_failures,
            ),
            ("push_failures", "Pushes no node took.", t.push_failures),
        ] {
            let _ = writeln!(
                out,
                "# HELP venus_messager_{name}_total {help}\n\
                 # TYPE venus_messager_{name}_total counter\n\
                 venus_messager_{name}_total {v}"
            );
        }
        out
    }
}
