//! The crate's one error type.

use venus_chain::consensus::BlockError;
use venus_chain::ChainError;
use venus_mpool::MpoolError;

/// What the node can refuse or fail at.
#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    /// A submitted block failed a validation check: which one, and why.
    /// Nothing was stored or changed.
    #[error("block refused: {0}")]
    InvalidBlock(Box<BlockError>),
    /// A submitted block lists a message the node does not have.
    #[error("block {} lists message {}, which this node does not have", .0.block, .0.message)]
    MissingMessage(Box<MissingMessage>),
    /// The message pool refused a message.
    #[error(transparent)]
    Mpool(#[from] MpoolError),
    /// What was asked for does not exist (an actor, a block).
    #[error("{0}")]
    NotFound(String),
    /// A request the node cannot answer as asked.
    #[error("{0}")]
    Invalid(String),
    /// The chain store or execution failed.
    #[error(transparent)]
    Chain(ChainError),
    /// A blocking task did not finish.
    #[error("task stopped: {0}")]
    Task(String),
}

impl From<ChainError> for NodeError {
    fn from(e: ChainError) -> Self {
        match e {
            ChainError::InvalidBlock(b) => NodeError::InvalidBlock(b),
            other => NodeError::Chain(other),
        }
    }
}

impl From<tokio::task::JoinError> for NodeError {
    fn from(e: tokio::task::JoinError) -> Self {
        NodeError::Task(e.to_string())
    }
}

impl From<NodeError> for venus_core::Error {
    fn from(e: NodeError) -> Self {
        match e {
            NodeError::Chain(ChainError::Missing(c)) => {
                venus_core::Error::NotFound(format!("block {c}"))
            }
            NodeError::NotFound(what) => venus_core::Error::NotFound(what),
            NodeError::Mpool(MpoolError::State(inner)) => inner,
            other => venus_core::Error::Backend(other.to_string()),
        }
    }
}

/// Which message a submitted block lacks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingMessage {
    /// The block's CID.
    pub block: cid::Cid,
    /// The message's CID.
    pub message: cid::Cid,
}

/// `Result` with [`NodeError`].
pub type Result<T, E = NodeError> = std::result::Result<T, E>;
