//! The one error type of `venus-api`: a refused call, read back by its code.

use venus_rpc::codes;

/// What a daemon answered, by kind. The kinds come from the error code
/// (see [`venus_rpc::codes`]), never from the words of the message, which
/// each variant keeps for an operator.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The object asked for is not known ([`codes::NOT_FOUND`], or Lotus's
    /// [`codes::ACTOR_NOT_FOUND`]).
    #[error("{0}")]
    NotFound(String),
    /// The object to create exists already ([`codes::DUPLICATE`]).
    #[error("{0}")]
    Duplicate(String),
    /// The daemon refused a param's value ([`codes::INVALID_PARAMS`]).
    #[error("{0}")]
    Invalid(String),
    /// The wallet must be unlocked (or given a password) first ([`codes::LOCKED`]).
    #[error("{0}")]
    Locked(String),
    /// The password did not open the wallet ([`codes::WRONG_PASSWORD`]).
    #[error("{0}")]
    WrongPassword(String),
    /// The caller's sign policies do not allow this signature ([`codes::POLICY_DENIED`]).
    #[error("{0}")]
    PolicyDenied(String),
    /// The bytes to sign are not the object they were sent as ([`codes::SIGN_MISMATCH`]).
    #[error("{0}")]
    Mismatch(String),
    /// The auth daemon refused the token it was asked about ([`codes::TOKEN_REFUSED`]).
    #[error("{0}")]
    TokenRefused(String),
    /// Anything else: transport, timeouts, this client's own token, a missing
    /// permission (code 1), rate limits, the daemon failing for its own reasons.
    #[error(transparent)]
    Rpc(venus_rpc::Error),
}

impl From<venus_rpc::Error> for Error {
    fn from(e: venus_rpc::Error) -> Self {
        let venus_rpc::Error::Rpc(r) = e else {
            return Error::Rpc(e);
        };
        match r.code {
            codes::NOT_FOUND | codes::ACTOR_NOT_FOUND => Error::NotFound(r.message),
            codes::DUPLICATE => Error::Duplicate(r.message),
            codes::INVALID_PARAMS => Error::Invalid(r.message),
            codes::LOCKED => Error::Locked(r.message),
            codes::WRONG_PASSWORD => Error::WrongPassword(r.message),
            codes::POLICY_DENIED => Error::PolicyDenied(r.message),
            codes::SIGN_MISMATCH => Error::Mismatch(r.message),
            codes::TOKEN_REFUSED => Error::TokenRefused(r.message),
            _ => Error::Rpc(venus_rpc::Error::Rpc(r)),
        }
    }
}

impl Error {
    /// Whether retrying the same idempotent call may succeed.
    pub fn is_transient(&self) -> bool {
        matches!(self, Error::Rpc(e) if e.is_transient())
    }

    /// The JSON-RPC error code the daemon answered with, if it answered.
    pub fn code(&self) -> Option<i64> {
        Some(match self {
            Error::NotFound(_) => codes::NOT_FOUND,
            Error::Duplicate(_) => codes::DUPLICATE,
            Error::Invalid(_) => codes::INVALID_PARAMS,
            Error::Locked(_) => codes::LOCKED,
            Error::WrongPassword(_) => codes::WRONG_PASSWORD,
            Error::PolicyDenied(_) => codes::POLICY_DENIED,
            Error::Mismatch(_) => codes::SIGN_MISMATCH,
            Error::TokenRefused(_) => codes::TOKEN_REFUSED,
            Error::Rpc(venus_rpc::Error::Rpc(r)) => r.code,
            Error::Rpc(_) => return None,
        })
    }
}

/// `NotFound` stays `NotFound`; a signer's refusals (locked, policy,
/// mismatch) are `SignRefused`; the rest is `Backend`.
impl From<Error> for venus_core::Error {
    fn from(e: Error) -> Self {
        match e {
            Error::NotFound(what) => {
                let what = what.strip_prefix("not found: ").unwrap_or(&what);
                venus_core::Error::NotFound(what.to_string())
            }
            Error::Locked(m) | Error::PolicyDenied(m) | Error::Mismatch(m) => {
                venus_core::Error::SignRefused(m)
            }
            Error::Rpc(e) => e.into(),
            other => venus_core::Error::Backend(other.to_string()),
        }
    }
}

/// `Result` with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use venus_rpc::RpcError;

    use super::*;

    fn answered(code: i64) -> Error {
        venus_rpc::Error::Rpc(RpcError::new(code, "words that say nothing")).into()
    }

    #[test]
    fn kinds_come_from_codes_and_go_back() {
        for code in [
            codes::NOT_FOUND,
            codes::DUPLICATE,
            codes::INVALID_PARAMS,
            codes::LOCKED,
            codes::WRONG_PASSWORD,
            codes::POLICY_DENIED,
            codes::SIGN_MISMATCH,
            codes::TOKEN_REFUSED,
            codes::METHOD_ERROR,
        ] {
            assert_eq!(answered(code).code(), Some(code));
        }
        assert!(matches!(answered(codes::LOCKED), Error::Locked(_)));
        assert!(matches!(
            answered(codes::METHOD_ERROR),
            Error::Rpc(venus_rpc::Error::Rpc(_))
        ));
        let e: Error = venus_rpc::Error::Timeout(std::time::Duration::from_secs(1)).into();
        assert!(e.is_transient());
        assert_eq!(e.code(), None);
    }

    #[test]
    fn core_errors_keep_not_found_and_refusals() {
        let core = |code| venus_core::Error::from(answered(code));
        assert!(matches!(
            core(codes::NOT_FOUND),
            venus_core::Error::NotFound(_)
        ));
        assert!(matches!(
            core(codes::POLICY_DENIED),
            venus_core::Error::SignRefused(_)
        ));
        assert!(matches!(
            core(codes::DUPLICATE),
            venus_core::Error::Backend(_)
        ));
    }
}
