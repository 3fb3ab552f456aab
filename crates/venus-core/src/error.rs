//! The one error type of `venus-core`.

/// Errors from decoding, validation, crypto and the backend traits.
///
/// Every variant carries enough context for an operator to act on it; none of
/// them is produced by a panic on outside data.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A Filecoin address string or byte form was malformed.
    #[error("invalid address: {0}")]
    Address(fvm_shared::address::Error),
    /// DAG-CBOR could not be encoded or decoded.
    #[error("cbor: {0}")]
    Cbor(String),
    /// Lotus JSON was well-formed JSON but not a valid value of the type.
    #[error("lotus json: {0}")]
    Json(String),
    /// A CID string or byte form was malformed.
    #[error("invalid cid: {0}")]
    Cid(cid::Error),
    /// A key, signature or proof had the wrong shape (length, curve point, type).
    #[error("malformed crypto input: {0}")]
    Crypto(String),
    /// A well-formed signature that does not verify.
    #[error("signature verification failed: {0}")]
    InvalidSignature(String),
    /// Blocks that cannot form a tipset together.
    #[error("invalid tipset: {0}")]
    InvalidTipSet(String),
    /// The requested object is not known to the backend.
    #[error("not found: {0}")]
    NotFound(String),
    /// The backend does not implement this operation.
    #[error("unsupported by this backend: {0}")]
    Unsupported(&'static str),
    /// The signer refused to sign (locked, unknown key, or a payload mismatch).
    #[error("signing refused: {0}")]
    SignRefused(String),
    /// A backend failed for its own reasons (I/O, network, remote error).
    #[error("backend: {0}")]
    Backend(String),
}

// The wrapped causes are part of the message, not a `source()`, so that
// `{:#}` chains (anyhow, eyre) do not print them twice.
impl From<fvm_shared::address::Error> for Error {
    fn from(e: fvm_shared::address::Error) -> Self {
        Error::Address(e)
    }
}

impl From<cid::Error> for Error {
    fn from(e: cid::Error) -> Self {
        Error::Cid(e)
    }
}

impl From<fvm_ipld_encoding::Error> for Error {
    fn from(e: fvm_ipld_encoding::Error) -> Self {
        Error::Cbor(e.to_string())
    }
}

impl From<serde_json::Error> for Error {
    fn from(e: serde_json::Error) -> Self {
        Error::Json(e.to_string())
    }
}

/// `Result` with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
