//! Gas as consensus computes it, the same for every node: what carrying a
//! message on chain costs and whether a block may hold it
//! ([`inclusion`]), the base fee of the next tipset ([`basefee`]), and
//! where a message's fees go once it has run ([`GasOutputs`]).

pub mod basefee;
pub mod inclusion;
mod outputs;

pub use basefee::{next_base_fee, BLOCK_GAS_TARGET, MINIMUM_BASE_FEE};
pub use inclusion::{
    chain_length, check_inclusion, on_chain_message_gas, valid_for_block_inclusion, NetworkVersion,
    NotIncludable, DEFAULT_NETWORK_VERSION,
};
pub use outputs::{overestimation_burn, GasOutputs};

/// The block gas limit (10^10), Lotus's `BlockGasLimit`.
pub const BLOCK_GAS_LIMIT: u64 = 10_000_000_000;

/// The parent base fee of a genesis block's children (10^8 attoFIL),
/// Lotus's `InitialBaseFee`.
pub const INITIAL_BASE_FEE: u64 = 100_000_000;
