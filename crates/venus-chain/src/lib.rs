//! # venus-chain
//!
//! The chain state and its execution, for the pool's devnet node: a state
//! tree in Lotus's format over the builtin-actors state layout
//! (`fil_actor_*_state`, actors v17, network version 27), Code CIDs from
//! the devnet manifest, and a native executor for the methods a pool
//! uses. What it writes is what Lotus tooling reads.
//!
//! - [`state`] holds [`StateTree`] (the versioned root and the actors
//!   HAMT) and [`Manifest`] (devnet Code CIDs).
//! - [`exec`] applies one message ([`Vm::apply_message`]) and a tipset
//!   ([`apply_tipset`]: messages, rewards and cron).
//! - [`genesis`] builds the genesis state ([`GenesisBuilder`]).
//! - [`store`] has the blockstores.
//! - [`beacon`] has the devnet's drand-style beacon ([`beacon::LocalBeacon`]).
//! - [`consensus`] executes tipsets on the chain, computes base fees and
//!   lookbacks, and validates blocks as Lotus does ([`consensus::Consensus`]).
//! - [`chain`] has the chain of tipsets ([`chain::ChainStore`]): headers,
//!   messages, the head, fork choice by Lotus's weight, head changes.
//!
//! Gas arithmetic shared with block validation and the message pool
//! (inclusion cost, [`GasOutputs`](venus_core::gas::GasOutputs), the next
//! base fee) lives in [`venus_core::gas`].
//!
//! ## What is modeled
//!
//! | | runs natively | not yet |
//! |---|---|---|
//! | messages | pre-checks (inclusion gas, sender, nonce, balance) with Lotus's exit codes and miner penalties; fees split as `ComputeGasOutputs` (burn to f099, tip to f02, refund); implicit messages ([`Vm::apply_implicit`]) | |
//! | calls | actor-to-actor sends, each in a transaction an abort undoes; system exit codes; f2 addresses as the FVM derives them | |
//! | send (method 0) | to any actor; to a new f1/f3 address, creating its account | f410 placeholders |
//! | account | `PubkeyAddress`, the exported-method fallback | `AuthenticateMessage` |
//! | init | `Exec` (miners by the power actor only; multisig and payment-channel code exists but their constructors are not modeled) | `Exec4` |
//! | power | `CreateMiner` (2 and exported), `UpdateClaimedPower`, `EnrollCronEvent`, `OnEpochTickEnd` (deferred miner crons, this epoch's totals, the smoothed estimate, the reward KPI), `UpdatePledgeTotal`, `CurrentTotalPower` | the exported queries |
//! | reward | `AwardBlockReward`, `UpdateNetworkKPI` (the minting arithmetic, checked against the state crate), `ThisEpochReward` | |
//! | market | `VerifyDealsForActivation`, `CronTick`, `OnMinerSectorsTerminate` on a market without deals | publishing and activating deals |
//! | externs | randomness from tickets and the beacon ([`exec::Randomness`]) and proof verification ([`exec::Externs`], venus-sealer-lib's `Prover` for real proofs) | |
//! | miner | the constructor (its checks, the create-miner deposit, the proving-period offset); `PreCommitSectorBatch2`; `ProveCommitSectors3` with the real seal proof verified (batched proofs; pieces checked against CommD); `SubmitWindowedPoSt` (verified at once when it recovers power, otherwise kept for dispute, as the real actor does); `DeclareFaults`, `DeclareFaultsRecovered`; `ChangeWorkerAddress`, `ConfirmChangeWorkerAddress`, `WithdrawBalance`; `ApplyRewards`; `OnDeferredCronEvent` (the proving-deadline cron: missed proofs fault, fees, vesting, pending worker keys, early terminations) | aggregate proofs, verified allocations, `DisputeWindowedPoSt`, `TerminateSectors`, extensions |
//! | cron | `EpochTick` | |
//! | other methods | `USR_UNHANDLED_MESSAGE`, as the FVM for a method an actor lacks | |
//! | tipsets | message selection and order, de-duplication, receipts AMT (v0); [`apply_tipset`]: cron for null rounds, each block's reward, cron, as Lotus's `ApplyBlocks` | |
//! | genesis | singletons, accounts, reserve; miners from pre-seals as Lotus's `SetupStorageMiners` leaves them ([`genesis`]); Lotus's genesis template and pre-seal manifests read ([`genesis::template`]); the genesis block as Lotus's `MakeGenesisBlock` writes it | deals on genesis sectors, multisig accounts |
//! | gas | exact inclusion cost; calls, actor and address operations, and every block read and written at ref-fvm's prices ([`exec::gas`]) | WASM execution (not run) |
//! | policy | the devnet bundle's ([`exec::policy::devnet`]), a shorter proving period as a setting | |
//!
//! ```
//! use fvm_ipld_blockstore::MemoryBlockstore;
//! use venus_chain::{GenesisBuilder, StateTree};
//! use venus_core::{Address, TokenAmount};
//!
//! let store = MemoryBlockstore::new();
//! let alice = Address::new_secp256k1(&[7u8; 65]).unwrap();
//! let genesis = GenesisBuilder::new("devnet")
//!     .account(alice, TokenAmount::from_whole(1000))
//!     .build(&store)
//!     .unwrap();
//! let mut tree = StateTree::load(&store, &genesis.state_root).unwrap();
//! let id = tree.lookup_id(&alice).unwrap().unwrap();
//! assert_eq!(id, 100);
//! assert_eq!(tree.actor(id).unwrap().balance, TokenAmount::from_whole(1000));
//! ```

pub mod beacon;
pub mod chain;
pub mod consensus;
mod error;
pub mod exec;
pub mod genesis;
pub mod state;
pub mod store;

pub use error::{ChainError, Result};
pub use exec::{apply_messages, apply_tipset, ExecEnv, Vm};
pub use genesis::{GenesisBuilder, GenesisMiner, GenesisSector};
pub use state::{ActorKind, Manifest, StateTree};
