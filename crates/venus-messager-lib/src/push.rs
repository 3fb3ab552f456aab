//! Pushing signed messages to every node of a list.

use std::sync::Arc;
use std::time::Duration;

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
    let calls: Vec<(usize, &PushNode)> = (0..msgs.len())
        .flat_map(|i| nodes.iter().map(move |n| (i, n)))
        .collect();
    // Chunks joined in turn (a buffered stream of borrowing closures trips
    // the higher-ranked `Send` check in spawned tasks).
    let mut results = Vec::with_capacity(calls.len());
    for chunk in calls.chunks(concurrency.max(1)) {
        let mut batch = Vec::with_capacity(chunk.len());
        for &(i, n) in chunk {
            let m = msgs[i].clone();
            batch.push(async move {
                let r = match tokio::time::timeout(timeout, n.api.push_message(m)).await {
                    Ok(Ok(_)) => Ok(()),
                    Ok(Err(e)) => Err(e.to_string()),
                    Err(_) => Err(format!("no answer in {timeout:?}")),
                };
                (i, n, r)
            });
        }
        results.extend(futures::future::join_all(batch).await);
    }
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
