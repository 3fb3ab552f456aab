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

/// Estimates through a Lotus-API node: one `GasBatchEstimateMessageGas`
/// (Venus's, which our node serves too) for the messages of one sender,
/// each estimated after the ones before it; `GasEstimateMessageGas` per
/// message when the node has no batch method (it is asked once) or the
/// messages are not one sender's run of nonces.
pub struct BatchEstimator {
    node: Arc<venus_api::lotus::LotusClient>,
    single: NodeEstimator,
    batch: std::sync::atomic::AtomicBool,
}

impl BatchEstimator {
    /// Estimates on `node`.
    pub fn new(node: Arc<venus_api::lotus::LotusClient>) -> Self {
        let single = NodeEstimator::new(node.clone(), 8);
        BatchEstimator {
            node,
            single,
            batch: std::sync::atomic::AtomicBool::new(true),
        }
    }
}

#[async_trait]
impl GasEstimator for BatchEstimator {
    async fn estimate(
        &self,
        msgs: Vec<(Message, MessageSendSpec)>,
        key: &TipSetKey,
    ) -> Vec<Result<Message>> {
        use std::sync::atomic::Ordering;
        use venus_api::lotus::{BatchSendSpec, EstimateMessage, GasBatchEstimateMessageGas};
        use venus_core::json::Lotus;
        let one_run = msgs
            .windows(2)
            .all(|w| w[0].0.from == w[1].0.from && w[1].0.sequence == w[0].0.sequence + 1);
        if msgs.is_empty() || !one_run || !self.batch.load(Ordering::Relaxed) {
            return self.single.estimate(msgs, key).await;
        }
        let from_nonce = msgs[0].0.sequence;
        let asks = msgs
            .iter()
            .map(|(m, s)| EstimateMessage {
                msg: m.clone(),
                // Venus's node takes the over-estimation as given (0 would
                // give a gas limit of 0): Lotus's, which the fee rules
                // then rescale.
                spec: Some(BatchSendSpec {
                    max_fee: s.max_fee.clone(),
                    gas_over_estimation: crate::fee::NODE_GAS_OVER_ESTIMATION,
                    gas_over_premium: 0.0,
                }),
            })
            .collect();
        let called = self
            .node
            .rpc()
            .call::<GasBatchEstimateMessageGas>((asks, from_nonce, Lotus(key.clone())))
            .await;
        match called {
            Ok(answers) if answers.len() == msgs.len() => answers
                .into_iter()
                .map(|a| match (a.msg, a.err) {
                    (Some(m), e) if e.is_empty() => Ok(m),
                    (_, e) => Err(MessagerError::Node(format!("gas estimate: {e}"))),
                })
                .collect(),
            Ok(answers) => {
                tracing::warn!(target: "venus::messager", asked = msgs.len(), answered = answers.len(), "the node's batch estimate answered a different count; estimating one by one");
                self.single.estimate(msgs, key).await
            }
            Err(venus_rpc::Error::Rpc(e)) if e.code == venus_rpc::codes::METHOD_NOT_FOUND => {
                tracing::info!(target: "venus::messager", "the node has no GasBatchEstimateMessageGas; estimating one by one");
                self.batch.store(false, Ordering::Relaxed);
                self.single.estimate(msgs, key).await
            }
            Err(e) => msgs
                .iter()
                .map(|_| Err(MessagerError::Node(format!("gas estimate: {e}"))))
                .collect(),
        }
    }
}
