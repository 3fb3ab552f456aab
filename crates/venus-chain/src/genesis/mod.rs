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
//! | f01000… | miners | from pre-sealed sectors ([`GenesisMiner`], set up as [`miners`] describes) |
//!
//! Every state object comes from the `fil_actor_*_state` crates of actors
//! v17, and every Code CID from the devnet manifest ([`Manifest`]).
//!
//! The genesis block over the state is [`genesis_block`]'s.
//!
//! Unlike Lotus's, this genesis has no f080 (the verified registry's root
//! key account) and no f081 (its first verifier): our devnet makes no
//! verified deals. The registry names f080 as its root all the same.

mod block;
pub mod miners;
pub mod template;

pub use block::{genesis_block, FILECOIN_GENESIS_PARENT};
pub use miners::{GenesisMiner, GenesisSector};
pub use template::{read_preseal_manifest, Template, TemplateMiner};

use cid::Cid;
use fil_actors_shared::v17::runtime::Policy;
use fil_actors_shared::v17::DEFAULT_HAMT_CONFIG;
use fvm_ipld_blockstore::Blockstore;
use fvm_shared::address::{Address, Protocol};
use fvm_shared::econ::TokenAmount;
use fvm_shared::state::ActorState;
use fvm_shared::ActorID;
use num_traits::Zero;

use crate::error::{ChainError, Result};
use crate::exec::{policy, ExecEnv, Vm};
pub use crate::state::ids::*;
use crate::state::{ActorKind, Manifest, StateTree, INIT_ACTOR_ID};

/// A genesis account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenesisAccount {
    /// Its key address (f1 or f3).
    pub address: Address,
    /// What it starts with.
    pub balance: TokenAmount,
}

/// Builds a genesis state. Accounts get IDs from f0100 and miners from
/// f01000, in the order given.
#[derive(Debug, Clone)]
pub struct GenesisBuilder {
    network_name: String,
    manifest: Manifest,
    policy: Policy,
    accounts: Vec<GenesisAccount>,
    miners: Vec<GenesisMiner>,
    timestamp: u64,
    reward_totals: Option<(TokenAmount, TokenAmount)>,
}

/// A built genesis state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenesisState {
    /// The state root.
    pub state_root: Cid,
    /// Each account's ID, in the order given.
    pub account_ids: Vec<ActorID>,
    /// Each miner's ID, in the order given.
    pub miner_ids: Vec<ActorID>,
    /// The genesis block header ([`genesis_block`]), in the store.
    pub block: venus_core::types::BlockHeader,
}

impl GenesisBuilder {
    /// A devnet genesis named `network_name` (the init actor's network name).
    pub fn new(network_name: impl Into<String>) -> Self {
        GenesisBuilder {
            network_name: network_name.into(),
            manifest: Manifest::devnet(),
            policy: policy::devnet(),
            accounts: Vec::new(),
            miners: Vec::new(),
            timestamp: 0,
            reward_totals: None,
        }
    }

    /// The minting schedule: `simple_total` FIL minted on a 6-year
    /// half-life, `baseline_total` released as the network reaches its
    /// baseline. Mainnet's (330 and 770 million FIL) unless set, as on
    /// Lotus's devnets; a devnet may mint more or less to make rewards
    /// easy to see. The reward actor's balance stays 1.1 billion FIL.
    pub fn reward_schedule(
        mut self,
        simple_total: TokenAmount,
        baseline_total: TokenAmount,
    ) -> Self {
        self.reward_totals = Some((simple_total, baseline_total));
        self
    }

    /// The genesis block's timestamp, in seconds since the Unix epoch (0
    /// unless set; a node sets the time its devnet starts).
    pub fn timestamp(mut self, timestamp: u64) -> Self {
        self.timestamp = timestamp;
        self
    }

    /// The actors' policy ([`policy::devnet`] unless set): the proving
    /// period of the genesis miners and the sectors they may seal.
    pub fn policy(mut self, policy: Policy) -> Self {
        self.policy = policy;
        self
    }

    /// Adds a miner with pre-sealed sectors ([`GenesisMiner`]); its owner
    /// and worker keys must be accounts of this genesis, the worker with
    /// the FIL its sectors' deposits and pledges need.
    pub fn miner(mut self, miner: GenesisMiner) -> Self {
        self.miners.push(miner);
        self
    }

    /// Adds an account with a key address and a balance.
    pub fn account(mut self, address: Address, balance: TokenAmount) -> Self {
        self.accounts.push(GenesisAccount { address, balance });
        self
    }

    /// Writes the state to `store` and returns its root.
    pub fn build<BS: Blockstore + Clone>(&self, store: BS) -> Result<GenesisState> {
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
        put(&mut tree, SYSTEM_ID, ActorKind::System, system, zero());

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

        let reward_state = match &self.reward_totals {
            None => fil_actor_reward_state::v17::State::new(Zero::zero()),
            Some((simple, baseline)) => {
                crate::exec::actors::reward_genesis_state(simple.clone(), baseline.clone())
            }
        };
        let reward_state = tree.put_state(&reward_state)?;
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
                    receiver: Address::new_id(POWER_ID),
                    method_num: 5,
                },
                Entry {
                    receiver: Address::new_id(MARKET_ID),
                    method_num: 9,
                },
            ],
        })?;
        put(&mut tree, CRON_ID, ActorKind::Cron, cron, zero());

        let power = fil_actor_power_state::v17::State::new(tree.store())
            .map_err(|e| ChainError::State(format!("power state: {e:#}")))?;
        let power = tree.put_state(&power)?;
        put(&mut tree, POWER_ID, ActorKind::Power, power, zero());

        let market = fil_actor_market_state::v17::State::new(tree.store())?;
        let market = tree.put_state(&market)?;
        put(&mut tree, MARKET_ID, ActorKind::Market, market, zero());

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
        let mut miner_ids = Vec::new();
        if !self.miners.is_empty() {
            // Lotus sets the miners up at epoch 0, with no base fee and no
            // FIL in circulation.
            let env = ExecEnv {
                policy: self.policy.clone(),
                ..ExecEnv::devnet(0, TokenAmount::zero())
            };
            let mut vm = Vm::new(tree, self.manifest.clone(), env)
                .with_circulating_supply(TokenAmount::zero());
            miner_ids = miners::setup_miners(&mut vm, &self.miners)?;
            tree = vm.into_tree();
        }
        let state_root = tree.flush()?;
        let block = genesis_block(tree.store(), state_root, &self.network_name, self.timestamp)?;
        tracing::debug!(target: "venus::chain", %state_root, accounts = self.accounts.len(), miners = miner_ids.len(), "genesis state built");
        Ok(GenesisState {
            state_root,
            account_ids,
            miner_ids,
            block,
        })
    }
}
