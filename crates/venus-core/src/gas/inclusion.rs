//! Whether a message may go into a block, as Lotus decides it: the gas that
//! carrying a message on chain costs (`chain/vm/gas.go`, the price list of
//! the network version in force) and `Message.ValidForBlockInclusion`
//! (`chain/types/message.go`). Lotus refuses a block holding a message that
//! fails either, so the pool refuses such messages at add and never selects
//! them.

use std::sync::LazyLock;

use crate::shared::address::Protocol;
pub use crate::shared::version::NetworkVersion;
use crate::types::SignedMessage;
use crate::{Address, Message, TokenAmount};

use super::BLOCK_GAS_LIMIT;

/// The network version the pool assumes when it is not told one. Every
/// version from 18 (Hygge) on prices inclusion and checks addresses alike.
pub const DEFAULT_NETWORK_VERSION: NetworkVersion = NetworkVersion::V25;

/// Lotus's `TotalFilecoinInt`: 2 billion FIL, in attoFIL.
pub fn total_filecoin() -> &'static TokenAmount {
    static TOTAL: LazyLock<TokenAmount> = LazyLock::new(|| TokenAmount::from_whole(2_000_000_000));
    &TOTAL
}

/// The BLS address of the all-zero key, Lotus's `ZeroAddress`
/// (`f3yaaa…aby2smx7a`), which no message may be sent to from version 7 on.
pub fn zero_address() -> &'static Address {
    static ZERO: LazyLock<Address> =
        LazyLock::new(|| Address::new_bls(&[0u8; 48]).unwrap_or(Address::new_id(0)));
    &ZERO
}

/// The gas charged for carrying a message of `size` chain bytes
/// (`OnChainMessage(size).Total()`): compute base plus storage
/// `(36 + size) × multiplier`. From Hygge (version 18) the compute base
/// includes the actor update, 38,863 + 475,000; Calico (version 7) raised the
/// storage multiplier from 1,000 to 1,300.
pub fn on_chain_message_gas(nv: NetworkVersion, size: usize) -> u64 {
    let (compute, storage_multiplier) = if nv >= NetworkVersion::V18 {
        (38_863 + 475_000, 1_300)
    } else if nv >= NetworkVersion::V7 {
        (38_863, 1_300)
    } else {
        (38_863, 1_000)
    };
    compute + storage_multiplier * (36 + size as u64)
}

/// The bytes a message occupies on chain (Lotus's `ChainLength`): a BLS
/// message is carried without its signature (the block aggregates them), a
/// secp256k1 one with it.
pub fn chain_length(m: &SignedMessage) -> usize {
    let bytes = if m.is_bls() {
        crate::encoding::to_cbor(&m.message)
    } else {
        m.to_cbor()
    };
    bytes.map(|b| b.len()).unwrap_or(usize::MAX / 4096)
}

/// An upper bound on [`chain_length`], cheap to compute: selection checks
/// tens of thousands of messages and encodes one only when the bound leaves
/// doubt.
fn chain_length_bound(m: &SignedMessage) -> usize {
    // A CBOR byte string: a header of at most 9 bytes, then the bytes.
    let amount = |t: &TokenAmount| 9 + 1 + (t.atto().bits() as usize).div_ceil(8);
    let address = |a: &Address| {
        9 + 1
            + match a.protocol() {
                Protocol::ID => 10,
                Protocol::Secp256k1 | Protocol::Actor => 20,
                Protocol::BLS => 48,
                Protocol::Delegated => 64,
            }
    };
    let msg = &m.message;
    // The array header, then version, nonce, gas limit and method (integers
    // of at most 9 bytes each), the addresses, the amounts and the params.
    let message = 1
        + 4 * 9
        + address(&msg.to)
        + address(&msg.from)
        + amount(&msg.value)
        + amount(&msg.gas_fee_cap)
        + amount(&msg.gas_premium)
        + 9
        + msg.params.len();
    if m.is_bls() {
        message
    } else {
        // The signed wrapper's header and a signature byte string (type byte included).
        1 + message + 9 + 1 + m.signature.bytes().len()
    }
}

/// Why a message cannot go into a block: one variant per rule of
/// `ValidForBlockInclusion`, with Lotus's wording.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotIncludable {
    /// Only version 0 exists.
    #[error("'Version' {0} unsupported")]
    Version(u64),
    /// The zero address cannot receive (version 7 on).
    #[error("invalid 'To' address: the zero address")]
    ZeroTo,
    /// `To` uses a protocol this network version does not know.
    #[error("'To' address protocol unsupported for network version {0:?}")]
    ToProtocol(NetworkVersion),
    /// `From` uses a protocol this network version does not know.
    #[error("'From' address protocol unsupported for network version {0:?}")]
    FromProtocol(NetworkVersion),
    /// A negative value.
    #[error("'Value' field cannot be negative")]
    NegativeValue,
    /// More than all the FIL there is.
    #[error("'Value' field cannot be greater than total filecoin supply")]
    ValueAboveSupply,
    /// A negative fee cap.
    #[error("'GasFeeCap' field cannot be negative")]
    NegativeFeeCap,
    /// A negative premium.
    #[error("'GasPremium' field cannot be negative")]
    NegativePremium,
    /// Premium above fee cap.
    #[error("'GasFeeCap' less than 'GasPremium'")]
    PremiumAboveFeeCap,
    /// Above the block gas limit.
    #[error("'GasLimit' field cannot be greater than a block's gas limit")]
    GasLimitAboveBlock,
    /// Below what carrying the message costs.
    #[error(
        "'GasLimit' {limit} cannot be less than the {min} gas of storing the message on chain"
    )]
    GasLimitBelowMin {
        /// The message's limit.
        limit: u64,
        /// What inclusion costs.
        min: u64,
    },
}

/// Whether an address protocol exists at `nv`: delegated (f4) addresses
/// from version 18 (`abi.AddressValidForNetworkVersion`).
fn protocol_valid(a: &Address, nv: NetworkVersion) -> bool {
    a.protocol() != Protocol::Delegated || nv >= NetworkVersion::V18
}

/// Lotus's `Message.ValidForBlockInclusion(minGas, nv)`, in its order.
pub fn valid_for_block_inclusion(
    msg: &Message,
    min_gas: u64,
    nv: NetworkVersion,
) -> Result<(), NotIncludable> {
    if msg.version != 0 {
        return Err(NotIncludable::Version(msg.version));
    }
    if msg.to == *zero_address() && nv >= NetworkVersion::V7 {
        return Err(NotIncludable::ZeroTo);
    }
    if !protocol_valid(&msg.to, nv) {
        return Err(NotIncludable::ToProtocol(nv));
    }
    if !protocol_valid(&msg.from, nv) {
        return Err(NotIncludable::FromProtocol(nv));
    }
    if msg.value.is_negative() {
        return Err(NotIncludable::NegativeValue);
    }
    if msg.value > *total_filecoin() {
        return Err(NotIncludable::ValueAboveSupply);
    }
    if msg.gas_fee_cap.is_negative() {
        return Err(NotIncludable::NegativeFeeCap);
    }
    if msg.gas_premium.is_negative() {
        return Err(NotIncludable::NegativePremium);
    }
    if msg.gas_premium > msg.gas_fee_cap {
        return Err(NotIncludable::PremiumAboveFeeCap);
    }
    if msg.gas_limit > BLOCK_GAS_LIMIT {
        return Err(NotIncludable::GasLimitAboveBlock);
    }
    if msg.gas_limit < min_gas {
        return Err(NotIncludable::GasLimitBelowMin {
            limit: msg.gas_limit,
            min: min_gas,
        });
    }
    Ok(())
}

/// [`valid_for_block_inclusion`] with the inclusion gas of `m`'s chain
/// length at `nv`. The exact length is only computed when the cheap bound
/// leaves doubt.
pub fn check_inclusion(m: &SignedMessage, nv: NetworkVersion) -> Result<(), NotIncludable> {
    let bound = on_chain_message_gas(nv, chain_length_bound(m));
    let min = if m.message.gas_limit >= bound {
        bound
    } else {
        on_chain_message_gas(nv, chain_length(m))
    };
    valid_for_block_inclusion(&m.message, min, nv)
}
