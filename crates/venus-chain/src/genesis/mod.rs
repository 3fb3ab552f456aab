//! The genesis state, laid out as Lotus's `MakeInitialStateTree`
//! (`chain/gen/genesis/genesis.go` and `f0*.go`) lays it out:
//!
//! | ID | actor | state |
//! |---|---|---|
//! | f00 | system | the manifest's data block |
//! | f01 | init | genesis accounts mapped from f0100, next ID 1000 |
//! | f02 | reward | `State::new(0)`, 1.1 billion FIL |
//! | f03 | cron | power `CronTick` (5), market `CronTick` (9) |
//! | f04 | power | empty |
//! | f05 | market | empty |
//! | f06 | verified registry | empty, root key f080 |
//! | f07 | datacap | empty, governor f06 |
//! | f010 | EAM | the empty object |
//! | f090 | reserve | the FIL not given to anyone else (of 2 billion) |
//! | f099 | burnt funds | an account |
//! | f0100… | accounts | `{address}` and their balances |
//!
//! Every state object comes from the `fil_actor_*_state` crates of actors
//! v17, and every Code CID from the devnet manifest ([`Manifest`]).
//!
//! Unlike Lotus's, this genesis has no f080 (the verified registry's root
//! key account) and no f081 (its first verifier): our devnet makes no
//! verified deals. The registry names f080 as its root all the same.

use cid::Cid;
use fil_actors_shared::v17::DEFAULT_HAMT_CONFIG;
use fvm_ipld_blockstore::Blockstore;
use fvm_shared::address::{Address, Protocol};
use fvm_shared::econ::TokenAmount;
use fvm_shared::state::ActorState;
use fvm_shared::ActorID;
use num_traits::Zero;

use crate::error::{ChainError, Result};
use crate::state::{ActorKind, Manifest, StateTree, INIT_ACTOR_ID};

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

/// A genesis account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenesisAccount {
    /// Its key address (f1 or f3).
    pub address: Address,
    /// What it starts with.
    pub balance: TokenAmount,
}

/// Builds a genesis state. Accounts get IDs from f0100 in the order given.
#[derive(Debug, Clone)]
pub struct GenesisBuilder {
    network_name: String,
    manifest: Manifest,
    accounts: Vec<GenesisAccount>,
}

/// A built genesis state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenesisState {
    /// The state root.
    pub state_root: Cid,
    /// Each account's ID, in the order given.
    pub account_ids: Vec<ActorID>,
}

impl GenesisBuilder {
    /// A devnet genesis named `network_name` (the init actor's network name).
    pub fn new(network_name: impl Into<String>) -> Self {
        GenesisBuilder {
            network_name: network_name.into(),
            manifest: Manifest::devnet(),
            accounts: Vec::new(),
        }
    }

    /// Adds an account with a key address and a balance.
    pub fn account(mut self, address: Address, balance: TokenAmount) -> Self {
        self.accounts.push(GenesisAccount { address, balance });
        self
    }

    /// Writes the state to `store` and returns its root.
    pub fn build<BS: Blockstore>(&self, store: BS) -> Result<GenesisState> {
        let mut tree = StateTree::new(store);
        let total = TokenAmount::from_whole(FIL_BASE);
        let reward = TokenAmount::from_whole(INITIAL_REWARD_BALANCE);
        let mut allocated = reward.clone();
        for a in &self.accounts {
            if !matches!(a.address.protocol(), Protocol::Secp256k1 | Protocol::BLS) {
                return Err(ChainError::Genesis(format!(
                    "account {} is not a key (f1 or f3) address",
                    a.address
                )));
            }
            if a.balance.is_negative() {
                return Err(ChainError::Genesis(format!(
                    "account {} has a negative balance",
                    a.address
                )));
            }
            allocated += &a.balance;
        }
        if allocated > total {
            return Err(ChainError::Genesis(format!(
                "the accounts and the reward actor hold {allocated}, more than the {total} there is"
            )));
        }
        let m = &self.manifest;
        let zero = TokenAmount::zero;
        let put = |tree: &mut StateTree<BS>, id, kind, head, balance| {
            tree.set_actor(id, ActorState::new(m.code(kind), head, balance, 0, None));
        };

        let (_, data) = m.put(tree.store())?;
        let system = tree.put_state(&fil_actor_system_state::v17::State {
            builtin_actors: data,
        })?;
        put(&mut tree, 0, ActorKind::System, system, zero());

        // The init actor: genesis accounts written straight into its map
        // from f0100, and the next ID set to where the miners start.
        let mut init =
            fil_actor_init_state::v17::State::new(tree.store(), self.network_name.clone())?;
        let mut map = fil_actor_init_state::v17::AddressMap::load(
            tree.store(),
            &init.address_map,
            DEFAULT_HAMT_CONFIG,
            "addresses",
        )?;
        let mut account_ids = Vec::with_capacity(self.accounts.len());
        for (i, a) in self.accounts.iter().enumerate() {
            let id = ACCOUNT_START + i as ActorID;
            if !map.set_if_absent(&a.address, id)? {
                return Err(ChainError::Genesis(format!(
                    "account {} is listed twice",
                    a.address
                )));
            }
            account_ids.push(id);
        }
        init.address_map = map.flush()?;
        init.next_id = MINER_START;
        let init = tree.put_state(&init)?;
        put(&mut tree, INIT_ACTOR_ID, ActorKind::Init, init, zero());

        let reward_state =
            tree.put_state(&fil_actor_reward_state::v17::State::new(Zero::zero()))?;
        put(
            &mut tree,
            REWARD_ID,
            ActorKind::Reward,
            reward_state,
            reward,
        );

        use fil_actor_cron_state::v17::{Entry, State as Cron};
        let cron = tree.put_state(&Cron {
            entries: vec![
                Entry {
                    receiver: Address::new_id(4),
                    method_num: 5,
                },
                Entry {
                    receiver: Address::new_id(5),
                    method_num: 9,
                },
            ],
        })?;
        put(&mut tree, 3, ActorKind::Cron, cron, zero());

        let power = fil_actor_power_state::v17::State::new(tree.store())
            .map_err(|e| ChainError::State(format!("power state: {e:#}")))?;
        let power = tree.put_state(&power)?;
        put(&mut tree, 4, ActorKind::Power, power, zero());

        let market = fil_actor_market_state::v17::State::new(tree.store())?;
        let market = tree.put_state(&market)?;
        put(&mut tree, 5, ActorKind::Market, market, zero());

        let verifreg = fil_actor_verifreg_state::v17::State::new(
            tree.store(),
            Address::new_id(ROOT_VERIFIER_ID),
        )?;
        let verifreg = tree.put_state(&verifreg)?;
        put(&mut tree, 6, ActorKind::VerifiedRegistry, verifreg, zero());

        let datacap = fil_actor_datacap_state::v17::State::new(tree.store(), Address::new_id(6))?;
        let datacap = tree.put_state(&datacap)?;
        put(&mut tree, 7, ActorKind::Datacap, datacap, zero());

        let empty = tree.put_state(&[(); 0])?;
        put(&mut tree, 10, ActorKind::Eam, empty, zero());

        for (id, balance) in [(BURNT_FUNDS_ID, zero()), (RESERVE_ID, &total - &allocated)] {
            let st = account_state(&tree, Address::new_id(id))?;
            put(&mut tree, id, ActorKind::Account, st, balance);
        }
        for (a, id) in self.accounts.iter().zip(&account_ids) {
            let st = account_state(&tree, a.address)?;
            put(&mut tree, *id, ActorKind::Account, st, a.balance.clone());
        }
        let state_root = tree.flush()?;
        tracing::debug!(target: "venus::chain", %state_root, accounts = self.accounts.len(), "genesis state built");
        Ok(GenesisState {
            state_root,
            account_ids,
        })
    }
}

/// An account actor's state, `{address}`.
pub(crate) fn account_state<BS: Blockstore>(tree: &StateTree<BS>, address: Address) -> Result<Cid> {
    tree.put_state(&fil_actor_account_state::v17::State { address })
}
