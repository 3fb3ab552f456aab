//! Header checks: what a node verifies of a block header before it accepts it,
//! each a function of the header and the few chain facts it needs.
//!
//! They follow Lotus's `FilecoinEC.ValidateBlock`
//! (`chain/consensus/filcns/filecoin.go`) check by check, and
//! `beacon.ValidateBlockValues` (`chain/beacon/beacon.go`) for the drand
//! entries. Lotus looks the inputs up in its state; here the caller passes
//! them, so the checks need no chain store:
//!
//! | check | Lotus | inputs beside the header |
//! | --- | --- | --- |
//! | [`sanity`] | `blockSanityChecks` | none |
//! | [`block_signature`] | `blockSigCheck` (`sigs.CheckBlockSignature`) | the miner's worker key |
//! | [`election_proof`] | `winnerCheck`: WinCount ≥ 1 and the VRF | worker, parent chain's latest beacon entry |
//! | [`win_count`] | `winnerCheck`: WinCount against power | the miner's and the network's power at the lookback |
//! | [`ticket`] | `tktsCheck` | worker, latest beacon entry, the parent tipset's minimum ticket |
//! | [`beacon_entries`] | `ValidateBlockValues`, its last loop | the drand network, latest beacon entry |
//! | [`beacon_values`] | `ValidateBlockValues` | the same, the parent epoch and the [`ChainClock`] |
//!
//! Each failed check is its own [`ValidationError`] variant. What needs the
//! state tree (miner eligibility, slashing, winning PoSt sectors, messages,
//! state root, base fee, weight) belongs to the node's validator; it calls
//! these for the header.
//!
//! ```
//! use venus_core::types::{BeaconEntry, BlockHeader, Ticket};
//! use venus_core::{validate, Address};
//!
//! /// The header-only part of validating a block, once the node has looked up
//! /// the miner's worker at the lookback, the parent chain's latest beacon
//! /// entry and the parent tipset's minimum ticket.
//! fn check_header(
//!     h: &BlockHeader,
//!     worker: &Address,
//!     prev_beacon: &BeaconEntry,
//!     parent_ticket: &Ticket,
//! ) -> validate::Result {
//!     validate::sanity(h)?;
//!     validate::block_signature(h, worker)?;
//!     validate::election_proof(h, worker, prev_beacon)?;
//!     validate::ticket(h, worker, prev_beacon, Some(parent_ticket))
//! }
//! ```

mod beacon;
mod error;
mod header;

pub use beacon::{beacon_entries, beacon_values, ChainClock};
pub use error::{Result, ValidationError};
pub use header::{block_signature, election_proof, randomness_beacon, sanity, ticket, win_count};
