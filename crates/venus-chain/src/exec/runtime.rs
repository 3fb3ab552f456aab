//! What a natively run actor method sees ([`Rt`]), modeled on
//! builtin-actors' `Runtime`: its caller, receiver and value, its own
//! state, a store that charges gas for every block read and written,
//! sends to other actors, the policy and the epoch.
//!
//! A method returns a [`MethodResult`]: its return block, or an
//! [`Abort`] (the actor's exit code, out of gas, or a broken store). The
//! call it runs in ([`Vm::call`](super::message)) undoes its writes when
//! it aborts.

use std::cell::Cell;
use std::rc::Rc;

use cid::Cid;
use fil_actors_shared::v17::runtime::Policy;
use fil_actors_shared::v17::ActorError;
use fvm_ipld_blockstore::Blockstore;
use fvm_ipld_encoding::ipld_block::IpldBlock;
use fvm_ipld_encoding::CborStore;
use fvm_shared::address::Address;
use fvm_shared::clock::ChainEpoch;
use fvm_shared::econ::TokenAmount;
use fvm_shared::error::ExitCode;
use fvm_shared::piece::PieceInfo;
use fvm_shared::sector::{RegisteredSealProof, SealVerifyInfo, WindowPoStVerifyInfo};
use fvm_shared::state::ActorState;
use fvm_shared::{ActorID, MethodNum};
use multihash_codetable::Code;
use serde::de::DeserializeOwned;
use serde::Serialize;
use venus_core::crypto::{draw_randomness_from_digest, DomainSeparationTag};

use super::gas::{self, GasTracker, OutOfGas};
use super::message::Vm;
use crate::error::{store_err, ChainError};
use crate::state::ActorKind;

/// Why a call stopped before returning.
#[derive(Debug)]
pub(crate) enum Abort {
    /// The actor exited with an error; its code goes on the receipt.
    Actor(ActorError),
    /// The message ran out of gas: every call in it fails.
    OutOfGas,
    /// The store or the state is broken: execution stops.
    Fatal(ChainError),
}

impl Abort {
    /// The same abort with `msg` before an actor's message (`wrap`), as
    /// builtin-actors adds context to an error from a send; out of gas and
    /// store failures pass through.
    pub(crate) fn wrap(self, msg: &str) -> Abort {
        match self {
            Abort::Actor(a) => Abort::Actor(a.wrap(msg)),
            other => other,
        }
    }
}

impl From<ActorError> for Abort {
    fn from(e: ActorError) -> Self {
        Abort::Actor(e)
    }
}

impl From<OutOfGas> for Abort {
    fn from(_: OutOfGas) -> Self {
        Abort::OutOfGas
    }
}

impl From<ChainError> for Abort {
    fn from(e: ChainError) -> Self {
        Abort::Fatal(e)
    }
}

/// What a method returns.
pub(crate) type MethodResult = Result<Option<IpldBlock>, Abort>;

/// The return block of a method that returns `value`.
pub(crate) fn ret<T: Serialize>(value: &T) -> MethodResult {
    IpldBlock::serialize_cbor(value).map_err(|e| {
        Abort::Actor(ActorError::serialization(format!(
            "encoding the return: {e}"
        )))
    })
}

/// A method's parameters, decoded as builtin-actors' dispatcher decodes
/// them, before the method runs: missing parameters exit with
/// `USR_ILLEGAL_ARGUMENT`, malformed ones with `USR_SERIALIZATION`.
pub(crate) fn params<T: DeserializeOwned>(p: Option<IpldBlock>) -> Result<T, Abort> {
    let block =
        p.ok_or_else(|| ActorError::illegal_argument("method expects arguments".to_string()))?;
    block
        .deserialize()
        .map_err(|e| Abort::Actor(ActorError::serialization(format!("parameters: {e}"))))
}

/// A method that takes no parameters refuses any (`USR_ILLEGAL_ARGUMENT`).
pub(crate) fn no_params(p: &Option<IpldBlock>) -> Result<(), Abort> {
    match p {
        None => Ok(()),
        Some(_) => {
            Err(ActorError::illegal_argument("method expects no arguments".to_string()).into())
        }
    }
}

/// What a called method returned (`deserialize_block`): a missing return
/// is `USR_ASSERTION_FAILED`, a malformed one `USR_SERIALIZATION`.
pub(crate) fn returned<T: DeserializeOwned>(r: Option<IpldBlock>) -> Result<T, Abort> {
    let block =
        r.ok_or_else(|| ActorError::assertion_failed("method returned nothing".to_string()))?;
    block
        .deserialize()
        .map_err(|e| Abort::Actor(ActorError::serialization(format!("return value: {e}"))))
}

/// One message's execution, shared by every call it makes.
#[derive(Debug)]
pub(crate) struct MsgCtx {
    /// The message's sender, as written in it (new actor addresses are
    /// derived from it, as the FVM derives them).
    pub origin: Address,
    /// The message's nonce.
    pub nonce: u64,
    /// Actors created so far by the message.
    pub actors_created: u64,
    /// Gas left.
    pub gas: GasTracker,
    /// Gas owed for block reads and writes not yet charged.
    pub io: Rc<Cell<u64>>,
    /// How deep the calls are nested.
    pub depth: u32,
}

impl MsgCtx {
    pub(crate) fn new(origin: Address, nonce: u64, gas: GasTracker) -> Self {
        MsgCtx {
            origin,
            nonce,
            actors_created: 0,
            gas,
            io: Rc::new(Cell::new(0)),
            depth: 0,
        }
    }

    /// Charges the block reads and writes made since the last call.
    pub(crate) fn settle(&mut self) -> Result<(), OutOfGas> {
        let owed = self.io.replace(0);
        self.gas.charge(owed)
    }
}

/// A blockstore that adds the gas of every read and write to a counter.
#[derive(Debug, Clone)]
pub(crate) struct Metered<BS> {
    inner: BS,
    owed: Rc<Cell<u64>>,
}

impl<BS> Metered<BS> {
    fn add(&self, gas: u64) {
        self.owed.set(self.owed.get().saturating_add(gas));
    }
}

impl<BS: Blockstore> Blockstore for Metered<BS> {
    fn get(&self, k: &Cid) -> anyhow::Result<Option<Vec<u8>>> {
        let block = self.inner.get(k)?;
        let len = block.as_ref().map_or(0, Vec::len) as u64;
        self.add(gas::BLOCK_READ + gas::BLOCK_READ_PER_BYTE * len);
        Ok(block)
    }

    fn put_keyed(&self, k: &Cid, block: &[u8]) -> anyhow::Result<()> {
        self.add(gas::BLOCK_WRITE + gas::BLOCK_WRITE_PER_BYTE * block.len() as u64);
        self.inner.put_keyed(k, block)
    }

    fn has(&self, k: &Cid) -> anyhow::Result<bool> {
        self.inner.has(k)
    }
}

/// One call of an actor's method.
pub(crate) struct Rt<'v, BS: Blockstore + Clone> {
    pub(crate) vm: &'v mut Vm<BS>,
    pub(crate) cx: &'v mut MsgCtx,
    store: Metered<BS>,
    /// Who called.
    pub caller: ActorID,
    /// The actor whose method runs.
    pub receiver: ActorID,
    /// The value sent with the call (already in the receiver's balance).
    pub value: TokenAmount,
}

impl<'v, BS: Blockstore + Clone> Rt<'v, BS> {
    pub(crate) fn new(
        vm: &'v mut Vm<BS>,
        cx: &'v mut MsgCtx,
        caller: ActorID,
        receiver: ActorID,
        value: TokenAmount,
    ) -> Self {
        let store = Metered {
            inner: vm.tree().store().clone(),
            owed: cx.io.clone(),
        };
        Rt {
            vm,
            cx,
            store,
            caller,
            receiver,
            value,
        }
    }

    /// The store; every block read or written costs gas.
    pub fn store(&self) -> &Metered<BS> {
        &self.store
    }

    /// The epoch the message runs in.
    pub fn epoch(&self) -> ChainEpoch {
        self.vm.env().epoch
    }

    /// The actors' policy.
    pub fn policy(&self) -> &Policy {
        &self.vm.env().policy
    }

    /// Charges `gas`.
    pub fn charge(&mut self, gas: u64) -> Result<(), Abort> {
        self.cx.settle()?;
        Ok(self.cx.gas.charge(gas)?)
    }

    /// The FIL in circulation (for pledge and deposits).
    pub fn circulating_supply(&mut self) -> Result<TokenAmount, Abort> {
        Ok(self.vm.circulating_supply()?)
    }

    /// The receiving actor.
    pub fn actor(&self) -> Result<ActorState, Abort> {
        Ok(self.vm.tree().actor(self.receiver)?)
    }

    /// The receiver's balance (the value sent included).
    pub fn balance(&self) -> Result<TokenAmount, Abort> {
        Ok(self.actor()?.balance)
    }

    /// The receiver's state. State we wrote that does not decode is a
    /// broken store, not an actor error.
    pub fn state<T: DeserializeOwned>(&self) -> Result<T, Abort> {
        let head = self.actor()?.state;
        self.store
            .get_cbor(&head)
            .map_err(|e| {
                Abort::Fatal(ChainError::Decode {
                    what: "actor state",
                    msg: e.to_string(),
                })
            })?
            .ok_or(Abort::Fatal(ChainError::Missing(head)))
    }

    /// Replaces the receiver's state.
    pub fn set_state<T: Serialize>(&mut self, state: &T) -> Result<(), Abort> {
        let head = self
            .store
            .put_cbor(state, Code::Blake2b256)
            .map_err(store_err)?;
        let mut actor = self.actor()?;
        actor.state = head;
        self.vm.tree_mut().set_actor(self.receiver, actor);
        self.charge(gas::ACTOR_UPDATE)
    }

    /// The type of actor `id`, if it exists and is a builtin actor.
    pub fn kind_of(&mut self, id: ActorID) -> Result<Option<ActorKind>, Abort> {
        if !gas::preloaded(id) {
            self.charge(gas::ACTOR_LOOKUP)?;
        }
        let Some(actor) = self.vm.tree().get_actor(id)? else {
            return Ok(None);
        };
        Ok(self.vm.manifest().kind_of(&actor.code))
    }

    /// Fails with `USR_FORBIDDEN` unless the caller is one of `ids`
    /// (`validate_immediate_caller_is`).
    pub fn validate_caller_is(&self, ids: &[ActorID]) -> Result<(), Abort> {
        if ids.contains(&self.caller) {
            return Ok(());
        }
        Err(ActorError::forbidden(format!("caller f0{} is not one of {ids:?}", self.caller)).into())
    }

    /// Fails with `USR_FORBIDDEN` unless the caller is of one of `kinds`
    /// (`validate_immediate_caller_type`).
    pub fn validate_caller_type(&mut self, kinds: &[ActorKind]) -> Result<(), Abort> {
        match self.kind_of(self.caller)? {
            Some(k) if kinds.contains(&k) => Ok(()),
            k => Err(ActorError::forbidden(format!(
                "caller f0{} of type {k:?} is not one of {kinds:?}",
                self.caller
            ))
            .into()),
        }
    }

    /// The ID `addr` resolves to, if any (`resolve_address`).
    pub fn resolve_address(&mut self, addr: &Address) -> Result<Option<ActorID>, Abort> {
        if addr.id().is_err() {
            self.charge(gas::ADDRESS_LOOKUP)?;
        }
        Ok(self.vm.tree_mut().lookup_id(addr)?)
    }

    /// Sends `value` and calls `method` of `to`, as the receiver. A call
    /// that exits with an error comes back as this actor's error with the
    /// same code (`extract_send_result`); running out of gas ends the
    /// whole message.
    pub fn send(
        &mut self,
        to: &Address,
        method: MethodNum,
        params: Option<IpldBlock>,
        value: TokenAmount,
    ) -> MethodResult {
        self.cx.settle()?;
        let from = self.receiver;
        match self.vm.call(self.cx, from, to, method, params, &value) {
            // The send itself failed: builtin-actors' `From<SendError>`.
            Err(Abort::Actor(e)) if e.exit_code() == ExitCode::SYS_INSUFFICIENT_FUNDS => {
                Err(ActorError::insufficient_funds(format!("send to {to}: {}", e.msg())).into())
            }
            Err(Abort::Actor(e)) if e.exit_code() == ExitCode::SYS_INVALID_RECEIVER => {
                Err(ActorError::unspecified(format!("send to {to}: receiver not found")).into())
            }
            Err(Abort::Actor(e)) => Err(ActorError::checked(
                e.exit_code(),
                format!("send to {to} method {method} aborted: {}", e.msg()),
                None,
            )
            .into()),
            other => other,
        }
    }

    /// The robust (f2) address for the next actor this message creates:
    /// the FVM's `next_actor_address`, the Blake2b-160 of the origin's
    /// CBOR address, the nonce and the count of actors created so far.
    pub fn next_actor_address(&self) -> Result<Address, Abort> {
        let mut b = fvm_ipld_encoding::to_vec(&self.cx.origin)
            .map_err(|e| ChainError::State(format!("encoding an address: {e}")))?;
        b.extend_from_slice(&self.cx.nonce.to_be_bytes());
        b.extend_from_slice(&self.cx.actors_created.to_be_bytes());
        Ok(Address::new_actor(&b))
    }

    /// Creates an empty actor of `code` at `id` (`create_actor`); it must
    /// not exist yet.
    pub fn create_actor(&mut self, code: Cid, id: ActorID) -> Result<(), Abort> {
        if self.vm.tree().get_actor(id)?.is_some() {
            return Err(ActorError::forbidden(format!("actor f0{id} already exists")).into());
        }
        self.charge(gas::ACTOR_CREATE)?;
        let empty = self.vm.tree().put_state(&[(); 0]).map_err(Abort::Fatal)?;
        self.vm.tree_mut().set_actor(
            id,
            ActorState::new(code, empty, TokenAmount::default(), 0, None),
        );
        self.cx.actors_created += 1;
        Ok(())
    }

    /// Randomness drawn from the ticket chain at `epoch` for `tag`, mixed
    /// with `entropy` (`get_randomness_from_tickets`).
    pub fn randomness_from_tickets(
        &mut self,
        tag: DomainSeparationTag,
        epoch: ChainEpoch,
        entropy: &[u8],
    ) -> Result<[u8; 32], Abort> {
        self.randomness(tag, epoch, entropy, false)
    }

    /// Randomness drawn from the beacon at `epoch` (`get_randomness_from_beacon`).
    pub fn randomness_from_beacon(
        &mut self,
        tag: DomainSeparationTag,
        epoch: ChainEpoch,
        entropy: &[u8],
    ) -> Result<[u8; 32], Abort> {
        self.randomness(tag, epoch, entropy, true)
    }

    fn randomness(
        &mut self,
        tag: DomainSeparationTag,
        epoch: ChainEpoch,
        entropy: &[u8],
        beacon: bool,
    ) -> Result<[u8; 32], Abort> {
        if epoch > self.epoch() {
            return Err(ActorError::illegal_argument(format!(
                "randomness from epoch {epoch}, after the current {}",
                self.epoch()
            ))
            .into());
        }
        let lookback = (self.epoch() - epoch) as u64;
        self.charge(gas::RANDOMNESS + gas::RANDOMNESS_PER_EPOCH.saturating_mul(lookback))?;
        let externs = self.vm.externs()?;
        let digest = if beacon {
            externs.randomness.beacon_randomness(epoch)
        } else {
            externs.randomness.chain_randomness(epoch)
        }
        .map_err(|e| ActorError::illegal_argument(format!("randomness at epoch {epoch}: {e:#}")))?;
        Ok(draw_randomness_from_digest(&digest, tag, epoch, entropy))
    }

    /// Verifies a seal proof. A proof the verifier cannot even read (not
    /// on the curve, say) does not verify, as in the FVM's
    /// `batch_verify_seals`.
    pub fn verify_seal(&mut self, info: &SealVerifyInfo) -> Result<bool, Abort> {
        self.charge(gas::VERIFY_SEAL)?;
        let verifier = self.vm.externs()?.verifier.clone();
        Ok(verifier.verify_seal(info).unwrap_or_else(|e| {
            tracing::debug!(target: "venus::chain", sector = info.sector_id.number, error = %e, "seal proof does not verify");
            false
        }))
    }

    /// Verifies a window PoSt.
    pub fn verify_window_post(&mut self, info: &WindowPoStVerifyInfo) -> Result<bool, Abort> {
        self.charge(
            gas::VERIFY_POST + gas::VERIFY_POST_PER_SECTOR * info.challenged_sectors.len() as u64,
        )?;
        let verifier = self.vm.externs()?.verifier.clone();
        verifier
            .verify_window_post(info)
            .map_err(|e| ActorError::illegal_argument(format!("window PoSt: {e}")).into())
    }

    /// The CommD of a sector of type `proof` holding `pieces`.
    pub fn compute_unsealed_sector_cid(
        &mut self,
        proof: RegisteredSealProof,
        pieces: &[PieceInfo],
    ) -> Result<Cid, Abort> {
        self.charge(gas::COMPUTE_UNSEALED_CID)?;
        let verifier = self.vm.externs()?.verifier.clone();
        verifier
            .compute_unsealed_sector_cid(proof, pieces)
            .map_err(|e| {
                ActorError::illegal_argument(format!("failed to compute unsealed sector CID: {e}"))
                    .into()
            })
    }

    /// The Blake2b-256 of `data` (`hash_blake2b`).
    pub fn blake2b(&self, data: &[u8]) -> [u8; 32] {
        let h = blake2b_simd::Params::new().hash_length(32).hash(data);
        let mut out = [0u8; 32];
        out.copy_from_slice(h.as_bytes());
        out
    }
}
