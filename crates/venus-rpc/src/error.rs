//! Errors: the JSON-RPC error object on the wire, and the crate's error enum.

use serde::{Deserialize, Serialize};

pub mod codes {
    //! JSON-RPC error codes: those go-jsonrpc (and so Lotus) uses, and venus-rs's own.
    //!
    //! A client tells a refused call's kind by its code, never by the words of
    //! its message. venus-rs's own codes are -32000 minus an HTTP status where one
    //! fits ([`UNAUTHORIZED`], [`TOKEN_REFUSED`], [`NOT_FOUND`], [`DUPLICATE`],
    //! [`LOCKED`], [`RATE_LIMITED`]), and -32450… for the wallet's refusals HTTP
    //! has no word for ([`POLICY_DENIED`], [`SIGN_MISMATCH`], [`WRONG_PASSWORD`]).
    //! Values a method refuses are [`INVALID_PARAMS`]; a daemon's own failure
    //! (its storage, say) is [`INTERNAL_ERROR`]; [`METHOD_ERROR`] is what Lotus
    //! sends for everything else.

    /// The request was not valid JSON.
    pub const PARSE_ERROR: i64 = -32700;
    /// The JSON was not a valid request (or was too large).
    pub const INVALID_REQUEST: i64 = -32600;
    /// No such method.
    pub const METHOD_NOT_FOUND: i64 = -32601;
    /// Wrong number or type of params, or a value the method refuses (a bad key, an empty name).
    pub const INVALID_PARAMS: i64 = -32602;
    /// The server failed for its own reasons.
    pub const INTERNAL_ERROR: i64 = -32603;
    /// A method returned an error (go-jsonrpc's default code for method errors).
    pub const METHOD_ERROR: i64 = 1;
    /// The caller exceeded its request budget.
    pub const RATE_LIMITED: i64 = -32429;
    /// The WebSocket connection closed while the call was in flight (go-jsonrpc's `eTempWSError`).
    pub const CONNECTION_CLOSED: i64 = -1111111;
    /// The token was refused on a WebSocket call (over HTTP the same refusal is a 401).
    pub const UNAUTHORIZED: i64 = -32401;
    /// A verification service's answer that the token it was asked about is
    /// refused (`Venus.AuthVerify`); unlike [`UNAUTHORIZED`] it says nothing
    /// about the caller's own token.
    pub const TOKEN_REFUSED: i64 = -32403;
    /// The object asked for is not known (a venus-rs code: Lotus sends such
    /// errors with code 1 and the words "not found").
    pub const NOT_FOUND: i64 = -32404;
    /// The object to create exists already: a user, a key, a miner.
    pub const DUPLICATE: i64 = -32409;
    /// The service must be unlocked first: the wallet is locked, was locked
    /// while unlocking, has no password yet, or its password changed.
    pub const LOCKED: i64 = -32423;
    /// The caller's policies do not allow this: a wallet's sign policies,
    /// or an address the messager's caller is not bound to.
    pub const POLICY_DENIED: i64 = -32450;
    /// The bytes to sign are not the object the request says they are.
    pub const SIGN_MISMATCH: i64 = -32451;
    /// The password does not open the wallet.
    pub const WRONG_PASSWORD: i64 = -32452;
    /// Lotus's `EActorNotFound` (`api/api_errors.go`: go-jsonrpc's
    /// `FirstUserCode` 2, plus 1).
    pub const ACTOR_NOT_FOUND: i64 = 3;
}

/// A JSON-RPC error object: `{"code", "message", "data"?}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, thiserror::Error)]
#[error("rpc error {code}: {message}")]
pub struct RpcError {
    /// The error code (see [`codes`]).
    pub code: i64,
    /// What went wrong, for an operator.
    pub message: String,
    /// Optional structured detail.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<serde_json::Value>,
}

impl RpcError {
    /// An error with a code and message.
    pub fn new(code: i64, message: impl Into<String>) -> Self {
        RpcError {
            code,
            message: message.into(),
            data: None,
        }
    }

    /// A method's own failure (code 1, as go-jsonrpc reports method errors).
    pub fn method(message: impl std::fmt::Display) -> Self {
        Self::new(codes::METHOD_ERROR, message.to_string())
    }

    /// Bad params, or values the method refuses.
    pub fn invalid_params(message: impl std::fmt::Display) -> Self {
        Self::new(codes::INVALID_PARAMS, message.to_string())
    }
}

impl From<venus_core::Error> for RpcError {
    fn from(e: venus_core::Error) -> Self {
        match e {
            venus_core::Error::NotFound(_) => RpcError::new(codes::NOT_FOUND, e.to_string()),
            other => RpcError::method(other),
        }
    }
}

/// Errors of the client and server.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The remote answered with a JSON-RPC error.
    #[error(transparent)]
    Rpc(#[from] RpcError),
    /// The connection failed or dropped (retryable for idempotent calls).
    #[error("transport: {0}")]
    Transport(String),
    /// No answer within the client's timeout.
    #[error("timed out after {0:?}")]
    Timeout(std::time::Duration),
    /// The server refused the token (HTTP 401).
    #[error("unauthorized: {0}")]
    Unauthorized(String),
    /// A value could not be encoded or decoded.
    #[error("decode: {0}")]
    Decode(String),
    /// A bad API-info string or URL.
    #[error("invalid endpoint: {0}")]
    Endpoint(String),
    /// The operation needs a WebSocket connection.
    #[error("{0} needs a WebSocket connection (ws:// or an API-info ending in /ws)")]
    NeedsWebSocket(&'static str),
    /// Binding or serving failed.
    #[error("server: {0}")]
    Server(String),
}

impl Error {
    /// Whether retrying the same idempotent call may succeed.
    pub fn is_transient(&self) -> bool {
        matches!(self, Error::Transport(_) | Error::Timeout(_))
            || matches!(self, Error::Rpc(e) if e.code == codes::CONNECTION_CLOSED)
    }
}

/// Maps on the error code alone: [`codes::NOT_FOUND`] and Lotus's
/// [`codes::ACTOR_NOT_FOUND`] are `NotFound`; every other error, whatever its
/// message says, is `Backend`. (A call whose Lotus answer is a plain code-1
/// "not found" recognizes it itself, as `LotusClient::actor` does.)
impl From<Error> for venus_core::Error {
    fn from(e: Error) -> Self {
        match e {
            Error::Rpc(r) if matches!(r.code, codes::NOT_FOUND | codes::ACTOR_NOT_FOUND) => {
                let what = r.message.strip_prefix("not found: ").unwrap_or(&r.message);
                venus_core::Error::NotFound(what.to_string())
            }
            other => venus_core::Error::Backend(other.to_string()),
        }
    }
}

/// `Result` with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn not_found_travels_as_a_code_not_as_words() {
        let wire = RpcError::from(venus_core::Error::NotFound("actor f01234".into()));
        assert_eq!(wire.code, codes::NOT_FOUND);
        match venus_core::Error::from(Error::Rpc(wire)) {
            venus_core::Error::NotFound(what) => assert_eq!(what, "actor f01234"),
            other => panic!("{other:?}"),
        }
        // Any other error stays a backend error, whatever its message says.
        let words = RpcError::method("backend: table not found; lost connection");
        assert!(matches!(
            venus_core::Error::from(Error::Rpc(words)),
            venus_core::Error::Backend(_)
        ));
        let lotus = RpcError::new(codes::ACTOR_NOT_FOUND, "actor not found");
        assert!(matches!(
            venus_core::Error::from(Error::Rpc(lotus)),
            venus_core::Error::NotFound(_)
        ));
    }
}
