//! # venus-mpool
//!
//! Message selection for block producers, after Lotus: messages grouped into
//! per-sender chains ranked by gas performance, greedy selection under the
//! block limits (10^10 gas, 10,000 messages, 8,192 per signature type), and
//! selection for several pool winners in one epoch with disjoint lists.
//!
//! ```
//! use venus_mpool::{gas_reward, BlockLimits};
//! use venus_core::TokenAmount;
//! # let msg = venus_core::Message { version: 0, from: venus_core::Address::new_id(1), to: venus_core::Address::new_id(2),
//! #   sequence: 0, value: TokenAmount::from_atto(0), method_num: 0, params: Default::default(),
//! #   gas_limit: 10, gas_fee_cap: TokenAmount::from_atto(250), gas_premium: TokenAmount::from_atto(200) };
//! // Premium is capped by what the fee cap leaves above the base fee.
//! assert_eq!(gas_reward(&msg, &TokenAmount::from_atto(210)), 400.into());
//! assert_eq!(BlockLimits::default().per_sig_type, 8192);
//! ```
//!
//! [`MessagePool`] applies Lotus's acceptance rules (one [`MpoolError`]
//! variant each), follows head changes through an [`MpoolProvider`], prunes
//! from 30,000 to 20,000 and lists local messages to republish.
//!
//! [`select_optimal`] weights chains by the probability that a block with the
//! given ticket quality lands where they would be included (greedy above 0.84).

mod chains;
mod engine;
mod error;
mod gas;
mod multi;
mod optimal;
mod pool;
mod provider;
mod select;

pub use chains::{create_chains, create_chains_at, min_gas_limit, MsgChain, SenderState};
pub use engine::BlockLimits;
pub use error::{MpoolError, Result};
pub use gas::{gas_perf, gas_reward, BLOCK_GAS_LIMIT, MIN_GAS};
pub use multi::{select_excluding, select_for_winners};
pub use optimal::{block_probabilities, other_winners_prob, select_optimal, GREEDY_TICKET_QUALITY};
pub use pool::{MessagePool, MpoolConfig, Origin, LOCAL_SIG_FINALITY, MAX_SELECTION_DEPTH};
pub use provider::{ChainProvider, MpoolProvider};
pub use select::select_greedy;
/// What a block may hold and what carrying a message costs (in
/// [`venus_core::gas`], shared with the chain's validation and execution).
pub use venus_core::gas::inclusion;
pub use venus_core::gas::inclusion::{
    chain_length, check_inclusion, on_chain_message_gas, valid_for_block_inclusion, NetworkVersion,
    NotIncludable, DEFAULT_NETWORK_VERSION,
};
pub use venus_core::gas::{next_base_fee, BLOCK_GAS_TARGET, MINIMUM_BASE_FEE};
