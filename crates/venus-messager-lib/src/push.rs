//! Pushing signed messages to every node of a list.

use std::sync::Arc;
use std::time::Duration;

use futures::stream::{self, StreamExt};
use venus_core::traits::MessageApi;
use venus_core::types::SignedMessage;

/// A node messages are pushed to.
#[derive(Clone)]
pub struct PushNode {
    /// Its name, for logs and metrics.
    pub name: String,
    /// The node.
    pub api: Arc<dyn MessageApi>,
}

/// What came of pushing one message.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PushOutcome {
    /// Nodes that took it.
    pub accepted: usize,
    /// Nodes that refused it or did not answer in time, with the reason.
    pub failed: Vec<(String, String)>,
}

/// Pushes `msgs` to every node, at most `concurrency` calls at once,
/// each call bounded by `timeout` so that a node that is down delays no
/// other; returns one outcome per message.
pub async fn push_all(
    nodes: &[PushNode],
    msgs: &[SignedMessage],
    concurrency: usize,
    timeout: Duration,
) -> Vec<PushOutcome> {
    let mut out = vec![PushOutcome::default(); msgs.len()];
    let calls = msgs
        .iter()
        .enumerate()
        .flat_map(|(i, m)| nodes.iter().map(move |n| (i, m, n)));
    let results: Vec<(usize, &PushNode, Result<(), String>)> = stream::iter(calls)
        .map(|(i, m, n)| async move {
            let r = match tokio::time::timeout(timeout, n.api.push_message(m.clone())).await {
                Ok(Ok(_)) => Ok(()),
                Ok(Err(e)) => Err(e.to_string()),
                Err(_) => Err(format!("no answer in {timeout:?}")),
            };
            (i, n, r)
        })
        .buffer_unordered(concurrency.max(1))
        .collect()
        .await;
    for (i, n, r) in results {
        match r {
            Ok(()) => out[i].accepted += 1,
            Err(e) => {
                tracing::debug!(target: "venus::messager", node = %n.name, error = %e, "push refused");
                out[i].failed.push((n.name.clone(), e));
            }
        }
    }
    out
}
