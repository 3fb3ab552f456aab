//! [`StateTree`]: every actor's `{Code, Head, Nonce, Balance,
//! DelegatedAddress}` in a HAMT keyed by ID address, under a versioned
//! root, as Lotus stores it (`chain/state/statetree.go`, state-tree
//! version 5 for network versions 18 to 27).
//!
//! - The root is `[version, actors, info]` (`StateRoot`), `info` the empty
//!   array (`StateInfo0`).
//! - The actors map is a HAMT of bit width 5, SHA-256 over the ID
//!   address's bytes, buckets of 3 (fvm_ipld_hamt, as builtin-actors and
//!   ref-fvm use it).
//! - Key addresses resolve to IDs through the init actor's address map
//!   (`fil_actor_init_state`), and new ones get the init actor's next ID.
//!
//! Reads and writes go through an in-memory overlay: an actor written is
//! kept in memory until [`StateTree::flush`] writes the HAMT once, and
//! [`StateTree::begin`] opens a transaction that [`StateTree::revert`]
//! throws away whole (a message that fails leaves nothing behind).

use std::collections::{BTreeMap, HashMap};

use cid::Cid;
use fil_actor_init_state::v17::State as InitState;
use fvm_ipld_blockstore::Blockstore;
use fvm_ipld_encoding::CborStore;
use fvm_ipld_hamt::{BytesKey, Hamt};
use fvm_shared::address::{Address, Protocol};
use fvm_shared::state::{ActorState, StateInfo0, StateRoot, StateTreeVersion};
use fvm_shared::{ActorID, HAMT_BIT_WIDTH};
use multihash_codetable::Code;

use crate::error::{store_err, ChainError, Result};

/// The init actor's ID (f01).
pub const INIT_ACTOR_ID: ActorID = 1;

/// Changes made inside one open transaction.
#[derive(Debug, Default)]
struct Layer {
    actors: HashMap<ActorID, ActorState>,
    ids: HashMap<Address, ActorID>,
}

/// The actors of one state, read from and written to a blockstore.
pub struct StateTree<BS: Blockstore> {
    hamt: Hamt<BS, ActorState>,
    /// Actors written and not yet flushed (ordered, so a flush writes the
    /// same HAMT nodes in the same order every time).
    dirty: BTreeMap<ActorID, ActorState>,
    /// Open transactions, innermost last.
    layers: Vec<Layer>,
    /// Key addresses resolved (or assigned) outside any open transaction.
    ids: HashMap<Address, ActorID>,
}

impl<BS: Blockstore> std::fmt::Debug for StateTree<BS> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StateTree")
            .field("dirty", &self.dirty.len())
            .field("layers", &self.layers.len())
            .finish_non_exhaustive()
    }
}

/// The object at `cid`, which must be in `store` and decode as `T`.
pub(crate) fn get<T: serde::de::DeserializeOwned>(
    store: &impl Blockstore,
    cid: &Cid,
    what: &'static str,
) -> Result<T> {
    store
        .get_cbor(cid)
        .map_err(|e| ChainError::Decode {
            what,
            msg: e.to_string(),
        })?
        .ok_or(ChainError::Missing(*cid))
}

fn key(id: ActorID) -> BytesKey {
    BytesKey(Address::new_id(id).to_bytes())
}

impl<BS: Blockstore> StateTree<BS> {
    /// An empty tree.
    pub fn new(store: BS) -> Self {
        StateTree {
            hamt: Hamt::new_with_bit_width(store, HAMT_BIT_WIDTH),
            dirty: BTreeMap::new(),
            layers: Vec::new(),
            ids: HashMap::new(),
        }
    }

    /// The tree whose root (a `StateRoot`) is `root`. Only state-tree
    /// version 5 is read: the version of every network this crate runs.
    pub fn load(store: BS, root: &Cid) -> Result<Self> {
        let r: StateRoot = get(&store, root, "state root")?;
        if r.version != StateTreeVersion::V5 {
            return Err(ChainError::State(format!(
                "state tree version {:?} (only version 5 is supported)",
                r.version
            )));
        }
        Ok(StateTree {
            hamt: Hamt::load_with_bit_width(&r.actors, store, HAMT_BIT_WIDTH)?,
            dirty: BTreeMap::new(),
            layers: Vec::new(),
            ids: HashMap::new(),
        })
    }

    /// The blockstore.
    pub fn store(&self) -> &BS {
        self.hamt.store()
    }

    /// The actor with ID `id`, as of every write so far.
    pub fn get_actor(&self, id: ActorID) -> Result<Option<ActorState>> {
        for layer in self.layers.iter().rev() {
            if let Some(a) = layer.actors.get(&id) {
                return Ok(Some(a.clone()));
            }
        }
        if let Some(a) = self.dirty.get(&id) {
            return Ok(Some(a.clone()));
        }
        Ok(self.hamt.get(&key(id))?.cloned())
    }

    /// The actor at ID `id`, which must exist.
    pub fn actor(&self, id: ActorID) -> Result<ActorState> {
        self.get_actor(id)?
            .ok_or_else(|| ChainError::NoActor(Address::new_id(id)))
    }

    /// Writes the actor at `id` (in the open transaction, if any).
    pub fn set_actor(&mut self, id: ActorID, actor: ActorState) {
        match self.layers.last_mut() {
            Some(layer) => {
                layer.actors.insert(id, actor);
            }
            None => {
                self.dirty.insert(id, actor);
            }
        }
    }

    fn remember_id(&mut self, addr: Address, id: ActorID) {
        match self.layers.last_mut() {
            Some(layer) => layer.ids.insert(addr, id),
            None => self.ids.insert(addr, id),
        };
    }

    fn cached_id(&self, addr: &Address) -> Option<ActorID> {
        self.layers
            .iter()
            .rev()
            .find_map(|l| l.ids.get(addr))
            .or_else(|| self.ids.get(addr))
            .copied()
    }

    /// The init actor's state.
    pub fn init_state(&self) -> Result<(ActorState, InitState)> {
        let actor = self.actor(INIT_ACTOR_ID)?;
        let st = self.read_state(&actor.state, "init actor state")?;
        Ok((actor, st))
    }

    /// Reads an actor's state object.
    pub fn read_state<T: serde::de::DeserializeOwned>(
        &self,
        head: &Cid,
        what: &'static str,
    ) -> Result<T> {
        get(self.store(), head, what)
    }

    /// Writes a state object; returns its CID.
    pub fn put_state<T: serde::Serialize>(&self, state: &T) -> Result<Cid> {
        self.store()
            .put_cbor(state, Code::Blake2b256)
            .map_err(store_err)
    }

    /// The ID `addr` resolves to: itself for an ID address, else through
    /// the init actor's address map. `None` if it has none yet.
    pub fn lookup_id(&mut self, addr: &Address) -> Result<Option<ActorID>> {
        if let Ok(id) = addr.id() {
            return Ok(Some(id));
        }
        if let Some(id) = self.cached_id(addr) {
            return Ok(Some(id));
        }
        let (_, init) = self.init_state()?;
        let found = init.resolve_address(self.store(), addr)?;
        let id = match found {
            Some(a) => a
                .id()
                .map_err(|_| ChainError::State(format!("{addr} resolves to {a}, not an ID")))?,
            None => return Ok(None),
        };
        self.remember_id(*addr, id);
        Ok(Some(id))
    }

    /// The actor at `addr` (any address kind), if there is one.
    pub fn find_actor(&mut self, addr: &Address) -> Result<Option<ActorState>> {
        match self.lookup_id(addr)? {
            Some(id) => self.get_actor(id),
            None => Ok(None),
        }
    }

    /// Gives `addr` (a key or actor address) the init actor's next ID, as
    /// a send to a new address does before creating its account.
    pub fn register_new_address(&mut self, addr: &Address) -> Result<ActorID> {
        if addr.protocol() == Protocol::ID {
            return Err(ChainError::State(format!(
                "{addr} is already an ID address"
            )));
        }
        let (mut actor, mut init) = self.init_state()?;
        let (id, _) = init.map_addresses_to_id(self.store(), addr, None)?;
        actor.state = self.put_state(&init)?;
        self.set_actor(INIT_ACTOR_ID, actor);
        self.remember_id(*addr, id);
        Ok(id)
    }

    /// Opens a transaction: writes from now on can be undone together.
    pub fn begin(&mut self) {
        self.layers.push(Layer::default());
    }

    /// Keeps the innermost transaction's writes.
    pub fn commit(&mut self) -> Result<()> {
        let top = self
            .layers
            .pop()
            .ok_or(ChainError::Transaction("commit without begin"))?;
        for (addr, id) in top.ids {
            self.remember_id(addr, id);
        }
        for (id, actor) in top.actors {
            self.set_actor(id, actor);
        }
        Ok(())
    }

    /// Throws away the innermost transaction's writes.
    pub fn revert(&mut self) -> Result<()> {
        self.layers
            .pop()
            .map(drop)
            .ok_or(ChainError::Transaction("revert without begin"))
    }

    /// Writes every change to the blockstore; returns the new state root.
    pub fn flush(&mut self) -> Result<Cid> {
        if !self.layers.is_empty() {
            return Err(ChainError::Transaction("flush inside a transaction"));
        }
        for (id, actor) in std::mem::take(&mut self.dirty) {
            self.hamt.set(key(id), actor)?;
        }
        let actors = self.hamt.flush()?;
        let info = self.put_state(&StateInfo0::default())?;
        self.put_state(&StateRoot {
            version: StateTreeVersion::V5,
            actors,
            info,
        })
    }

    /// Every actor of the flushed state, in HAMT order. Fails if changes
    /// are waiting for a flush (they would be missed).
    pub fn for_each(&self, mut f: impl FnMut(ActorID, &ActorState) -> Result<()>) -> Result<()> {
        if !self.dirty.is_empty() || !self.layers.is_empty() {
            return Err(ChainError::Transaction("for_each before flush"));
        }
        for entry in self.hamt.iter() {
            let (k, actor) = entry?;
            let id = Address::from_bytes(&k.0)
                .ok()
                .and_then(|a| a.id().ok())
                .ok_or_else(|| {
                    ChainError::State(format!("state-tree key {:?} is not an ID address", k.0))
                })?;
            f(id, actor)?;
        }
        Ok(())
    }
}
