//! Gas estimation through the node, and the fee rules that apply to it.

use std::sync::Arc;

use async_trait::async_trait;
use futures::stream::{self, StreamExt};
use venus_core::traits::MessageApi;
use venus_core::types::{MessageSendSpec, TipSetKey};
use venus_core::Message;

use crate::fee::FeeSpec;
use crate::store::MessageStore;
use crate::{MessagerError, Result};

/// Estimates the gas of messages: zero fields are filled, others kept.
#[async_trait]
pub trait GasEstimator: Send + Sync {
    /// One answer per message, in order; one failure does not fail the
    /// others (a message whose estimate fails waits, the rest go on).
    async fn estimate(
        &self,
        msgs: Vec<(Message, MessageSendSpec)>,
        key: &TipSetKey,
    ) -> Vec<Result<Message>>;
}

/// Estimates through a node's `GasEstimateMessageGas`, a few at a time.
/// (A node client with `GasBatchEstimateMessageGas` can implement
/// [`GasEstimator`] with one call instead.)
pub struct NodeEstimator {
    node: Arc<dyn MessageApi>,
    concurrency: usize,
}

impl NodeEstimator {
    /// Estimates on `node`, `concurrency` calls at a time.
    pub fn new(node: Arc<dyn MessageApi>, concurrency: usize) -> Self {
        NodeEstimator {
            node,
            concurrency: concurrency.max(1),
        }
    }
}

#[async_trait]
impl GasEstimator for NodeEstimator {
    async fn estimate(
        &self,
        msgs: Vec<(Message, MessageSendSpec)>,
        key: &TipSetKey,
    ) -> Vec<Result<Message>> {
        stream::iter(msgs)
            .map(|(m, spec)| async move {
                self.node
                    .estimate_message_gas(m, Some(spec), key)
                    .await
                    .map_err(|e| MessagerError::Node(format!("gas estimate: {e}")))
            })
            .buffered(self.concurrency)
            .collect()
            .await
    }
}

/// The stored fee rules under a message's own and its address's: its
/// actor code and method's, then its actor code's, then the stored global
/// ones. A message's rules are `msg.or(address).or(stored).or(config)`.
pub async fn stored_rules(
    store: &dyn MessageStore,
    actor_code: Option<&str>,
    method: u64,
) -> Result<FeeSpec> {
    let mut merged = FeeSpec::default();
    if let Some(code) = actor_code {
        if let Some(rule) = store.fee_rule(code, Some(method)).await? {
            merged = merged.or(&rule);
        }
        if let Some(rule) = store.fee_rule(code, None).await? {
            merged = merged.or(&rule);
        }
    }
    if let Some(rule) = store.fee_rule("", None).await? {
        merged = merged.or(&rule);
    }
    Ok(merged)
}
