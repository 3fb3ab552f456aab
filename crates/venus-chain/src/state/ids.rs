//! The actors every network has at fixed IDs, the total supply, and the
//! account state, as Lotus's genesis lays them out
//! (`chain/gen/genesis`, `builtin` singletons).

use cid::Cid;
use fvm_ipld_blockstore::Blockstore;
use fvm_shared::address::Address;
use fvm_shared::ActorID;

use super::StateTree;
use crate::error::Result;

/// All the FIL there is: 2 billion (Lotus's `FilBase`).
pub const FIL_BASE: u64 = 2_000_000_000;
/// What the reward actor starts with: 1.1 billion FIL (`InitialRewardBalance`).
pub const INITIAL_REWARD_BALANCE: u64 = 1_100_000_000;
/// The first ID of a genesis account (`AccountStart`).
pub const ACCOUNT_START: ActorID = 100;
/// The first ID of a genesis miner, and the init actor's next ID after
/// genesis (`MinerStart`).
pub const MINER_START: ActorID = 1000;
/// The verified registry's root key (`RootVerifierAddress`).
pub const ROOT_VERIFIER_ID: ActorID = 80;
/// The reserve that holds the FIL nobody was given (`ReserveAddress`).
pub const RESERVE_ID: ActorID = 90;
/// The burnt funds actor.
pub const BURNT_FUNDS_ID: ActorID = 99;
/// The reward actor.
pub const REWARD_ID: ActorID = 2;
/// The cron actor.
pub const CRON_ID: ActorID = 3;
/// The storage power actor.
pub const POWER_ID: ActorID = 4;
/// The storage market actor.
pub const MARKET_ID: ActorID = 5;

/// The system actor.
pub const SYSTEM_ID: ActorID = 0;

/// An account actor's state, `{address}`.
pub fn account_state<BS: Blockstore>(tree: &StateTree<BS>, address: Address) -> Result<Cid> {
    tree.put_state(&fil_actor_account_state::v17::State { address })
}
