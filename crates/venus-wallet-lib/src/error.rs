//! The one error type of `venus-wallet-lib`.

use venus_rpc::{codes, RpcError};

/// Wallet errors. Each says what an operator can do about it.
#[derive(Debug, thiserror::Error)]
pub enum WalletError {
    /// The wallet is locked; unlock it with the password first.
    #[error("wallet is locked: unlock it first")]
    Locked,
    /// The password does not open the keystore.
    #[error("wrong password")]
    WrongPassword,
    /// The wallet was locked while this unlock was running; it stays locked.
    #[error("the wallet was locked while unlocking: unlock again")]
    LockedMeanwhile,
    /// Another process changed the password after this wallet was unlocked.
    #[error("the wallet password was changed by another process: unlock again with the new one")]
    PasswordChanged,
    /// The daemon could not serve: binding its address, or waiting for Ctrl-C.
    #[error("serving the API: {0}")]
    Serve(String),
    /// The wallet has no password yet; set one before adding keys.
    #[error("no password set: set one first (venus-wallet set-password)")]
    NoPassword,
    /// A stored entry is damaged; other keys are unaffected.
    #[error("corrupt keystore entry: {0}")]
    Corrupt(String),
    /// No key for this address.
    #[error("no key for {0}")]
    UnknownAddress(String),
    /// The key already exists.
    #[error("key {0} already exists")]
    Duplicate(String),
    /// The caller's policy does not allow this signature.
    #[error("refused by policy: {0}")]
    PolicyDenied(String),
    /// The bytes to sign do not match the object in MsgMeta.
    #[error("refused: {0}")]
    Mismatch(String),
    /// Bad input (key bytes, export string, policy).
    #[error("invalid input: {0}")]
    Invalid(String),
    /// The database failed.
    #[error("storage: {0}")]
    Storage(String),
    /// A venus-core operation failed.
    #[error(transparent)]
    Core(#[from] venus_core::Error),
}

impl From<venus_sql::SqlError> for WalletError {
    fn from(e: venus_sql::SqlError) -> Self {
        match e {
            venus_sql::SqlError::Duplicate(d) => WalletError::Duplicate(d),
            venus_sql::SqlError::Corrupt(c) => WalletError::Corrupt(c),
            other => WalletError::Storage(other.to_string()),
        }
    }
}

impl From<venus_sql::sqlx::Error> for WalletError {
    fn from(e: venus_sql::sqlx::Error) -> Self {
        venus_sql::SqlError::from(e).into()
    }
}

impl From<WalletError> for venus_core::Error {
    fn from(e: WalletError) -> Self {
        match e {
            WalletError::Core(c) => c,
            WalletError::UnknownAddress(a) => {
                venus_core::Error::SignRefused(format!("no key for {a}"))
            }
            other @ (WalletError::Locked
            | WalletError::PolicyDenied(_)
            | WalletError::Mismatch(_)) => venus_core::Error::SignRefused(other.to_string()),
            other => venus_core::Error::Backend(other.to_string()),
        }
    }
}

/// Each kind travels as its code, so a client tells them apart without
/// reading the message: locked (also locked meanwhile, no password yet, the
/// password changed elsewhere) is [`codes::LOCKED`], a wrong password
/// [`codes::WRONG_PASSWORD`], a policy refusal [`codes::POLICY_DENIED`], bytes
/// that are not their object [`codes::SIGN_MISMATCH`], an unknown key
/// [`codes::NOT_FOUND`], a key that exists [`codes::DUPLICATE`], bad input
/// [`codes::INVALID_PARAMS`], and the wallet's own failures
/// [`codes::INTERNAL_ERROR`].
impl From<WalletError> for RpcError {
    fn from(e: WalletError) -> Self {
        let message = e.to_string();
        let code = match e {
            WalletError::Core(c) => return c.into(),
            WalletError::Locked
            | WalletError::LockedMeanwhile
            | WalletError::NoPassword
            | WalletError::PasswordChanged => codes::LOCKED,
            WalletError::WrongPassword => codes::WRONG_PASSWORD,
            WalletError::PolicyDenied(_) => codes::POLICY_DENIED,
            WalletError::Mismatch(_) => codes::SIGN_MISMATCH,
            WalletError::UnknownAddress(_) => codes::NOT_FOUND,
            WalletError::Duplicate(_) => codes::DUPLICATE,
            WalletError::Invalid(_) => codes::INVALID_PARAMS,
            WalletError::Corrupt(_) | WalletError::Storage(_) | WalletError::Serve(_) => {
                codes::INTERNAL_ERROR
            }
        };
        RpcError::new(code, message)
    }
}

/// `Result` with [`WalletError`].
pub type Result<T, E = WalletError> = std::result::Result<T, E>;
