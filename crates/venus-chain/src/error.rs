//! The crate's one error type.

use venus_core::Address;

/// What can go wrong reading, writing or executing chain state.
///
/// A message that fails is not an error: it gets a receipt with its exit
/// code. These are the failures that stop execution: a broken or
/// incomplete store, or state that does not decode.
#[derive(Debug, thiserror::Error)]
pub enum ChainError {
    /// The blockstore failed.
    #[error("blockstore: {0}")]
    Store(String),
    /// A block the state refers to is not in the store.
    #[error("missing block {0}")]
    Missing(cid::Cid),
    /// A block does not decode as what it should be.
    #[error("cannot decode {what}: {msg}")]
    Decode {
        /// What was being read.
        what: &'static str,
        /// Why it failed.
        msg: String,
    },
    /// A HAMT or AMT operation failed.
    #[error("{0}")]
    Ipld(String),
    /// State that breaks an invariant (an actor of an unknown type, a
    /// singleton missing, a negative balance).
    #[error("invalid state: {0}")]
    State(String),
    /// An actor was expected at this address.
    #[error("no actor at {0}")]
    NoActor(Address),
    /// A transaction was left open, or closed when none was open.
    #[error("state tree transactions unbalanced: {0}")]
    Transaction(&'static str),
    /// Genesis cannot be built from this input.
    #[error("genesis: {0}")]
    Genesis(String),
    /// The chain store cannot do what was asked: a tipset it does not
    /// hold, a height above the anchor, a store of another network.
    #[error("chain: {0}")]
    Chain(String),
    /// A block failed validation: which check, and why.
    #[error("invalid block: {0}")]
    InvalidBlock(Box<crate::consensus::BlockError>),
}

impl From<crate::consensus::BlockError> for ChainError {
    fn from(e: crate::consensus::BlockError) -> Self {
        ChainError::InvalidBlock(Box::new(e))
    }
}

/// `Result` with [`ChainError`].
pub type Result<T, E = ChainError> = std::result::Result<T, E>;

impl From<fvm_ipld_hamt::Error> for ChainError {
    fn from(e: fvm_ipld_hamt::Error) -> Self {
        ChainError::Ipld(format!("hamt: {e}"))
    }
}

impl From<fvm_ipld_amt::Error> for ChainError {
    fn from(e: fvm_ipld_amt::Error) -> Self {
        ChainError::Ipld(format!("amt: {e}"))
    }
}

impl From<fil_actors_shared::v17::ActorError> for ChainError {
    fn from(e: fil_actors_shared::v17::ActorError) -> Self {
        ChainError::State(format!("actor state: {e}"))
    }
}

/// A blockstore (or state-crate) failure, which come as `anyhow::Error`;
/// this crate keeps anyhow out of its API by converting here.
pub(crate) fn store_err(e: impl std::fmt::Display) -> ChainError {
    ChainError::Store(format!("{e:#}"))
}
