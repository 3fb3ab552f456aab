//! The chain of tipsets: [`ChainStore`] keeps headers, messages, the head
//! and each executed tipset's result, and chooses the head by Lotus's
//! [`weight`] (`chain/store/store.go`, `chain/consensus/filcns/weight.go`).
//!
//! | Lotus | here |
//! |---|---|
//! | `ChainStore.PutTipSet`, `AddToTipSetTracker`, `RefreshHeaviestTipSet` | [`ChainStore::add_block`] |
//! | `FormHeaviestTipSetForHeight` (equivocating miners left out) | inside `add_block` |
//! | `Weight`, `breakWeightTie` | [`weight`], [`breaks_tie`] |
//! | `ReorgOps`, head-change notifications | [`ChainStore::reorg_ops`], [`ChainStore::subscribe`] |
//! | `GetTipsetByHeight` (`prev` true / false) | [`ChainStore::tipset_by_height`] with [`NullRound`] |
//! | `exceedsForkLength` | a reorg deeper than [`FORK_LENGTH_THRESHOLD`] is refused |
//! | `stateRand` (tickets and beacon for the executor), `GetLatestBeaconEntry` | [`ChainRand`], [`latest_beacon_entry`] |
//! | metadata `head`, `0` (genesis) | [`MetaStore`](crate::store::MetaStore) keys `head`, `genesis` |
//!
//! The head is written after everything it refers to, so a process
//! killed at any point restarts on a head whose chain is whole.

mod rand;
mod store;
mod weight;

pub use rand::{latest_beacon_entry, ChainRand};
pub use store::{ChainStore, NullRound, TipsetResult, FORK_LENGTH_THRESHOLD};
pub use weight::{breaks_tie, weight};
