//! The one error type of `venus-mpool`: one variant per acceptance rule.

use venus_core::TokenAmount;

/// Why a message was not accepted (or the pool failed).
#[derive(Debug, thiserror::Error)]
pub enum MpoolError {
    /// The signed message is over 64 KiB.
    #[error("message is {0} bytes; the limit is 65536")]
    TooBig(usize),
    /// Only version 0 exists.
    #[error("message version {0} is not 0")]
    BadVersion(u64),
    /// Gas limit 0.
    #[error("gas limit is zero")]
    GasLimitZero,
    /// Above the block gas limit.
    #[error("gas limit {0} exceeds the block gas limit")]
    GasLimitTooHigh(u64),
    /// Below what inclusion alone costs.
    #[error("gas limit {limit} is below the {min} gas the message costs to include")]
    GasLimitBelowMin {
        /// The message's limit.
        limit: u64,
        /// The inclusion cost.
        min: u64,
    },
    /// Another rule of Lotus's `ValidForBlockInclusion` (value, addresses, signs).
    #[error("not valid for block inclusion: {0}")]
    NotIncludable(#[from] crate::inclusion::NotIncludable),
    /// Fee cap under 100 attoFIL.
    #[error("fee cap {0} is below the minimum of 100 attoFIL")]
    FeeCapTooLow(TokenAmount),
    /// A network message whose fee cap is under a hundredth of the base fee.
    #[error("fee cap {cap} is below {bound}, a hundredth of the base fee: it would not be included soon")]
    FeeCapBelowBaseFeeBound {
        /// The message's fee cap.
        cap: TokenAmount,
        /// max(base fee / 100, 100 attoFIL).
        bound: TokenAmount,
    },
    /// Premium above fee cap.
    #[error("gas premium {premium} exceeds the fee cap {cap}")]
    PremiumAboveFeeCap {
        /// The premium.
        premium: TokenAmount,
        /// The cap.
        cap: TokenAmount,
    },
    /// The signature does not verify for From.
    #[error("bad signature: {0}")]
    BadSignature(String),
    /// Already in the pool.
    #[error("message {0} is already in the pool")]
    Duplicate(cid::Cid),
    /// Nonce below the sender's on-chain nonce.
    #[error("nonce {nonce} is below the sender's next nonce {expected}")]
    NonceTooLow {
        /// The message's nonce.
        nonce: u64,
        /// The chain's next nonce.
        expected: u64,
    },
    /// A network message too far ahead of the sender's next nonce.
    #[error(
        "nonce {nonce} leaves a gap of {gap} after {next}; at most 4 allowed from the network"
    )]
    NonceGap {
        /// The message's nonce.
        nonce: u64,
        /// The next nonce the pool expects.
        next: u64,
        /// The gap.
        gap: u64,
    },
    /// The sender cannot pay for this message and those it already has pending.
    #[error("balance {balance} does not cover {required} (this message plus pending ones)")]
    InsufficientBalance {
        /// The sender's balance.
        balance: TokenAmount,
        /// What its pending messages and this one may spend.
        required: TokenAmount,
    },
    /// A network message replacing one that sits after a nonce gap.
    #[error("replace by fee refused across a nonce gap (nonce {nonce}, next expected {next})")]
    ReplaceAcrossGap {
        /// The message's nonce.
        nonce: u64,
        /// The next nonce the pool expects.
        next: u64,
    },
    /// The sender has too many pending messages.
    #[error("sender has {0} pending messages, the most allowed")]
    TooManyPending(usize),
    /// A replacement that does not raise the premium enough.
    #[error("replacing needs a premium of at least {min}; got {got}")]
    ReplaceByFeeTooLow {
        /// The minimum premium.
        min: TokenAmount,
        /// The offered premium.
        got: TokenAmount,
    },
    /// A selection base too far from the pool's head to walk.
    #[error(
        "the base tipset {base} is more than {depth} tipsets away from the pool's head {head}"
    )]
    BaseTooFar {
        /// The base asked for.
        base: String,
        /// The pool's head.
        head: String,
        /// The most tipsets walked.
        depth: usize,
    },
    /// The chain state could not be read.
    #[error("state: {0}")]
    State(#[from] venus_core::Error),
}

/// `Result` with [`MpoolError`].
pub type Result<T, E = MpoolError> = std::result::Result<T, E>;
