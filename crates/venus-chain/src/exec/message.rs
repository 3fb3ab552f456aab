//! Applying one explicit (signed) message, as ref-fvm's
//! `DefaultExecutor::execute_message` does: the pre-checks that charge
//! nothing but the miner, then the call in a transaction that a failure
//! undoes whole, then the fees split by [`GasOutputs`]. Calls between
//! actors go through the same [`Vm::call`], each in a transaction of its
//! own.

use fil_actors_shared::v17::runtime::Policy;
use fil_actors_shared::v17::ActorError;
use fvm_ipld_blockstore::Blockstore;
use fvm_ipld_encoding::ipld_block::IpldBlock;
use fvm_ipld_encoding::{RawBytes, DAG_CBOR};
use fvm_shared::address::{Address, Protocol};
use fvm_shared::clock::ChainEpoch;
use fvm_shared::econ::TokenAmount;
use fvm_shared::error::ExitCode;
use fvm_shared::receipt::Receipt;
use fvm_shared::state::ActorState;
use fvm_shared::version::NetworkVersion;
use fvm_shared::{ActorID, MethodNum, METHOD_SEND};
use num_bigint::BigInt;
use num_traits::Zero;
use venus_core::gas::{on_chain_message_gas, GasOutputs};
use venus_core::Message;

use super::actors;
use super::externs::Externs;
use super::gas::{self, GasTracker};
use super::policy;
use super::runtime::{Abort, MethodResult, MsgCtx, Rt};
use crate::error::{ChainError, Result};
use crate::state::ids::{
    account_state, BURNT_FUNDS_ID, FIL_BASE, MARKET_ID, POWER_ID, RESERVE_ID, REWARD_ID,
};
use crate::state::{unknown_code, ActorKind, Manifest, StateTree, NETWORK_VERSION};

/// The first method number an actor exports to any caller (FRC-0042);
/// below it, methods are for builtin actors.
pub const FIRST_EXPORTED_METHOD: MethodNum = 1 << 24;

/// Where and when messages run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecEnv {
    /// The epoch of the tipset being built on top of.
    pub epoch: ChainEpoch,
    /// The base fee the messages pay (the blocks' parent base fee).
    pub base_fee: TokenAmount,
    /// The network version in force.
    pub network_version: NetworkVersion,
    /// The actors' policy ([`policy::devnet`] on our devnet).
    pub policy: Policy,
}

impl ExecEnv {
    /// Our devnet at `epoch` with `base_fee`: [`NETWORK_VERSION`] and the
    /// devnet policy.
    pub fn devnet(epoch: ChainEpoch, base_fee: TokenAmount) -> Self {
        ExecEnv {
            epoch,
            base_fee,
            network_version: NETWORK_VERSION,
            policy: policy::devnet(),
        }
    }
}

/// What applying a message did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplyRet {
    /// The receipt that goes on chain.
    pub receipt: Receipt,
    /// How its fees were split.
    pub gas: GasOutputs,
    /// What the including block's miner owes: a message that fails its
    /// pre-checks costs the miner `base fee × gas limit` (`× inclusion
    /// gas` when the limit does not cover inclusion), and a fee cap below
    /// the base fee costs the miner the difference.
    pub miner_penalty: TokenAmount,
    /// Why the message failed, for logs and tests (not on chain, as
    /// Lotus's `ActorErr`).
    pub error: Option<String>,
}

/// A virtual machine over one state tree: applies messages to it.
#[derive(Debug)]
pub struct Vm<BS: Blockstore> {
    tree: StateTree<BS>,
    manifest: Manifest,
    env: ExecEnv,
    /// The circulating supply, computed once per VM (as Lotus computes it
    /// once per tipset).
    supply: Option<TokenAmount>,
    externs: Option<Externs>,
}

impl<BS: Blockstore + Clone> Vm<BS> {
    /// A VM over `tree`, whose actors run the code of `manifest`.
    pub fn new(tree: StateTree<BS>, manifest: Manifest, env: ExecEnv) -> Self {
        Vm {
            tree,
            manifest,
            env,
            supply: None,
            externs: None,
        }
    }

    /// Gives the VM randomness and proof verification, which the methods
    /// that check proofs need; without them those methods stop execution
    /// with an error.
    pub fn with_externs(mut self, externs: Externs) -> Self {
        self.externs = Some(externs);
        self
    }

    /// The VM's randomness and verifier.
    pub(crate) fn externs(&self) -> Result<&Externs> {
        self.externs.as_ref().ok_or_else(|| {
            ChainError::State("this VM was built without randomness and a proof verifier".into())
        })
    }

    /// The state tree.
    pub fn tree(&self) -> &StateTree<BS> {
        &self.tree
    }

    /// The state tree, to write to.
    pub fn tree_mut(&mut self) -> &mut StateTree<BS> {
        &mut self.tree
    }

    /// The VM's environment.
    pub fn env(&self) -> &ExecEnv {
        &self.env
    }

    /// The code the actors run.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// The tree, once done.
    pub fn into_tree(self) -> StateTree<BS> {
        self.tree
    }

    /// Fixes the circulating supply the actors see (Lotus's genesis runs
    /// its set-up with zero), instead of computing it from the tree.
    pub fn with_circulating_supply(mut self, supply: TokenAmount) -> Self {
        self.supply = Some(supply);
        self
    }

    /// The FIL in circulation before the VM's first message
    /// ([`circulating_supply`]), as Lotus computes it once per tipset.
    pub fn circulating_supply(&mut self) -> Result<TokenAmount> {
        if let Some(s) = &self.supply {
            return Ok(s.clone());
        }
        let s = circulating_supply(&self.tree)?;
        self.supply = Some(s.clone());
        Ok(s)
    }

    fn prevalidation_fail(&self, code: ExitCode, penalty_gas: u64) -> ApplyRet {
        ApplyRet {
            receipt: Receipt {
                exit_code: code,
                return_data: RawBytes::default(),
                gas_used: 0,
                events_root: None,
            },
            gas: GasOutputs::default(),
            miner_penalty: TokenAmount::from_atto(
                self.env.base_fee.atto() * BigInt::from(penalty_gas),
            ),
            error: Some(format!("message failed its pre-checks: {code}")),
        }
    }

    fn kind(&self, actor: &ActorState) -> Result<ActorKind> {
        self.manifest
            .kind_of(&actor.code)
            .ok_or_else(|| unknown_code(&actor.code))
    }

    /// Applies `msg`, which occupies `chain_length` bytes on chain (its
    /// CBOR; with the signature for a secp256k1 message). A message that
    /// fails gets a receipt with its exit code. Errors when the state
    /// cannot be read or written, or for a message no valid block holds (a
    /// negative amount); after an error the VM's tree must be thrown away.
    pub fn apply_message(&mut self, msg: &Message, chain_length: usize) -> Result<ApplyRet> {
        // Block validation refuses these (ValidForBlockInclusion); ref-fvm
        // relies on it. Executed, a negative fee cap or value would mint FIL.
        if msg.gas_fee_cap.is_negative() || msg.gas_premium.is_negative() || msg.value.is_negative()
        {
            return Err(ChainError::State(format!(
                "message from {} (nonce {}) has a negative amount: blocks must be validated before they are executed",
                msg.from, msg.sequence
            )));
        }
        self.circulating_supply()?;
        let inclusion = on_chain_message_gas(self.env.network_version, chain_length);
        if inclusion > msg.gas_limit {
            return Ok(self.prevalidation_fail(ExitCode::SYS_OUT_OF_GAS, inclusion));
        }
        let limit = msg.gas_limit;
        let Some(from_id) = self.tree.lookup_id(&msg.from)? else {
            return Ok(self.prevalidation_fail(ExitCode::SYS_SENDER_INVALID, limit));
        };
        let Some(mut sender) = self.tree.get_actor(from_id)? else {
            return Ok(self.prevalidation_fail(ExitCode::SYS_SENDER_INVALID, limit));
        };
        if !matches!(
            self.kind(&sender)?,
            ActorKind::Account | ActorKind::EthAccount
        ) {
            return Ok(self.prevalidation_fail(ExitCode::SYS_SENDER_INVALID, limit));
        }
        if msg.sequence != sender.sequence {
            return Ok(self.prevalidation_fail(ExitCode::SYS_SENDER_STATE_INVALID, limit));
        }
        let gas_cost = TokenAmount::from_atto(msg.gas_fee_cap.atto() * BigInt::from(limit));
        if sender.balance < gas_cost {
            return Ok(self.prevalidation_fail(ExitCode::SYS_SENDER_STATE_INVALID, limit));
        }
        sender.sequence += 1;
        sender.balance -= &gas_cost;
        self.tree.set_actor(from_id, sender);

        let mut cx = MsgCtx::new(msg.from, msg.sequence, GasTracker::new(limit, inclusion));
        // A store failure mid-call leaves the nonce and the gas deposit
        // taken, so the tree must not be flushed after an error
        // (apply_messages throws its whole buffer away).
        let (exit_code, return_data, error) = self.run(
            &mut cx,
            from_id,
            &msg.to,
            msg.method_num,
            &msg.params,
            &msg.value,
        )?;
        if !exit_code.is_success() {
            tracing::debug!(target: "venus::chain", from = %msg.from, nonce = msg.sequence, %exit_code, error = error.as_deref().unwrap_or(""), "message failed");
        }

        let gas_used = cx.gas.used();
        let out = GasOutputs::compute(
            gas_used,
            limit,
            &self.env.base_fee,
            &msg.gas_fee_cap,
            &msg.gas_premium,
        );
        self.credit(from_id, &out.refund)?;
        self.credit(
            BURNT_FUNDS_ID,
            &(&out.base_fee_burn + &out.over_estimation_burn),
        )?;
        self.credit(REWARD_ID, &out.miner_tip)?;
        Ok(ApplyRet {
            receipt: Receipt {
                exit_code,
                return_data,
                gas_used,
                events_root: None,
            },
            miner_penalty: out.miner_penalty.clone(),
            gas: out,
            error,
        })
    }

    /// Applies an implicit message, as Lotus's `ApplyImplicitMessage` does
    /// for the reward and cron messages and for genesis set-up: from any
    /// actor, with no nonce, no gas paid and no inclusion cost; the value
    /// moves and the method runs in a transaction that a failure undoes.
    /// The receipt's `gas_used` is the gas the call would have cost.
    pub fn apply_implicit(
        &mut self,
        from: &Address,
        to: &Address,
        method: MethodNum,
        params: &RawBytes,
        value: &TokenAmount,
    ) -> Result<ApplyRet> {
        self.circulating_supply()?;
        let Some(from_id) = self.tree.lookup_id(from)? else {
            return Ok(self.prevalidation_fail(ExitCode::SYS_SENDER_INVALID, 0));
        };
        let mut cx = MsgCtx::new(*from, 0, GasTracker::new(IMPLICIT_GAS_LIMIT, 0));
        let (exit_code, return_data, error) =
            self.run(&mut cx, from_id, to, method, params, value)?;
        Ok(ApplyRet {
            receipt: Receipt {
                exit_code,
                return_data,
                gas_used: cx.gas.used(),
                events_root: None,
            },
            gas: GasOutputs::default(),
            miner_penalty: TokenAmount::zero(),
            error,
        })
    }

    /// Runs a message's call: the exit code, the return value and why it
    /// failed. Errors only when the store is
    /// broken.
    fn run(
        &mut self,
        cx: &mut MsgCtx,
        from_id: ActorID,
        to: &Address,
        method: MethodNum,
        params: &RawBytes,
        value: &TokenAmount,
    ) -> Result<(ExitCode, RawBytes, Option<String>)> {
        let params = (!params.is_empty()).then(|| IpldBlock {
            codec: DAG_CBOR,
            data: params.to_vec(),
        });
        Ok(match self.call(cx, from_id, to, method, params, value) {
            Ok(r) => (
                ExitCode::OK,
                RawBytes::new(r.map(|b| b.data).unwrap_or_default()),
                None,
            ),
            Err(Abort::Actor(e)) => (
                e.exit_code(),
                RawBytes::default(),
                Some(e.msg().to_string()),
            ),
            Err(Abort::OutOfGas) => (
                ExitCode::SYS_OUT_OF_GAS,
                RawBytes::default(),
                Some("out of gas".to_string()),
            ),
            Err(Abort::Fatal(e)) => return Err(e),
        })
    }

    /// Adds `amount` to an actor that must exist.
    fn credit(&mut self, id: ActorID, amount: &TokenAmount) -> Result<()> {
        if amount.is_zero() {
            return Ok(());
        }
        let mut a = self.tree.actor(id)?;
        a.balance += amount;
        self.tree.set_actor(id, a);
        Ok(())
    }

    /// One call, the message's own or one an actor makes, in a
    /// transaction of its own that an abort undoes: find (or create) the
    /// receiver, move the value, run the method.
    pub(crate) fn call(
        &mut self,
        cx: &mut MsgCtx,
        from: ActorID,
        to: &Address,
        method: MethodNum,
        params: Option<IpldBlock>,
        value: &TokenAmount,
    ) -> MethodResult {
        if cx.depth >= MAX_CALL_DEPTH {
            return Err(sys(ExitCode::SYS_ASSERTION_FAILED, "call depth exceeded"));
        }
        cx.depth += 1;
        self.tree.begin();
        let mut result = self.call_inner(cx, from, to, method, params, value);
        if cx.depth == 1 {
            // The message's own call: what it returns is stored on chain,
            // charged inside the transaction, so running out of gas here
            // undoes the call too (ref-fvm's `on_method_return`).
            result = result.and_then(|r| {
                cx.settle()?;
                let len = r.as_ref().map_or(0, |b| b.data.len()) as u64;
                cx.gas.charge(gas::RETURN_PER_BYTE * len)?;
                Ok(r)
            });
        }
        cx.depth -= 1;
        match &result {
            Ok(_) => self.tree.commit()?,
            Err(_) => self.tree.revert()?,
        }
        result
    }

    fn call_inner(
        &mut self,
        cx: &mut MsgCtx,
        from: ActorID,
        to: &Address,
        method: MethodNum,
        params: Option<IpldBlock>,
        value: &TokenAmount,
    ) -> MethodResult {
        if to.protocol() != Protocol::ID {
            cx.gas.charge(gas::ADDRESS_LOOKUP)?;
        }
        let to_id = match self.tree.lookup_id(to)? {
            Some(id) if self.tree.get_actor(id)?.is_some() => id,
            Some(_) => {
                return Err(sys(
                    ExitCode::SYS_INVALID_RECEIVER,
                    format!("no actor at {to}"),
                ))
            }
            None => self.create_account(cx, to)?,
        };
        if !gas::preloaded(to_id) {
            cx.gas.charge(gas::ACTOR_LOOKUP)?;
        }
        if value.is_negative() {
            return Err(sys(ExitCode::SYS_ASSERTION_FAILED, "negative value"));
        }
        if !value.is_zero() {
            cx.gas.charge(gas::TRANSFER_FUNDS + gas::ACTOR_UPDATE)?;
            let mut sender = self.tree.actor(from)?;
            if sender.balance < *value {
                return Err(sys(
                    ExitCode::SYS_INSUFFICIENT_FUNDS,
                    format!("f0{from} has {} and sends {value}", sender.balance),
                ));
            }
            if from != to_id {
                sender.balance -= value;
                self.tree.set_actor(from, sender);
                let mut receiver = self.tree.actor(to_id)?;
                receiver.balance += value;
                self.tree.set_actor(to_id, receiver);
            }
        }
        if method == METHOD_SEND {
            return Ok(None);
        }
        cx.gas.charge(gas::INVOKE_METHOD)?;
        let kind = self.kind(&self.tree.actor(to_id)?)?;
        let mut rt = Rt::new(self, cx, from, to_id, value.clone());
        let result = actors::invoke(&mut rt, kind, method, params);
        cx.settle()?;
        result
    }

    /// A send to a key address with no actor creates its account, as the
    /// FVM does; any other unknown receiver is invalid.
    fn create_account(&mut self, cx: &mut MsgCtx, addr: &Address) -> Result<ActorID, Abort> {
        if !matches!(addr.protocol(), Protocol::Secp256k1 | Protocol::BLS) {
            return Err(sys(
                ExitCode::SYS_INVALID_RECEIVER,
                format!("no actor at {addr}, and it is not a key address"),
            ));
        }
        cx.gas.charge(gas::ACTOR_CREATE + gas::ADDRESS_ASSIGNMENT)?;
        let id = self.tree.register_new_address(addr)?;
        let head = account_state(&self.tree, *addr)?;
        let code = self.manifest.code(ActorKind::Account);
        self.tree.set_actor(
            id,
            ActorState::new(code, head, TokenAmount::zero(), 0, None),
        );
        // ref-fvm's `create_actor_from_send` does not count this one
        // towards the next f2 address.
        Ok(id)
    }
}

/// The gas limit of an implicit message (ref-fvm's: the block gas limit
/// times 10,000, so it never runs out).
const IMPLICIT_GAS_LIMIT: u64 = venus_core::gas::BLOCK_GAS_LIMIT * 10_000;

/// How deep calls may nest (the FVM's `max_call_depth`).
const MAX_CALL_DEPTH: u32 = 1024;

/// A system exit: what the FVM itself, not an actor, ends a call with.
fn sys(code: ExitCode, msg: impl Into<String>) -> Abort {
    Abort::Actor(ActorError::unchecked(code, msg.into()))
}

/// The FIL in circulation in `tree`: all there is ([`FIL_BASE`]) less
/// what the reserve (f090), the reward actor (f02) and the burnt-funds
/// account (f099) hold, and less what miners and deals have locked (the
/// power actor's pledge total and the market's balance).
///
/// Lotus counts only what has vested, been mined or left the reserve, so
/// on a devnet its figure is lower than ours; both only scale the pledge
/// that new sectors lock.
pub fn circulating_supply<BS: Blockstore>(tree: &StateTree<BS>) -> Result<TokenAmount> {
    let mut held = TokenAmount::zero();
    for id in [RESERVE_ID, REWARD_ID, BURNT_FUNDS_ID, MARKET_ID] {
        if let Some(a) = tree.get_actor(id)? {
            held += a.balance;
        }
    }
    if let Some(power) = tree.get_actor(POWER_ID)? {
        let st: fil_actor_power_state::v17::State = tree.read_state(&power.state, "power state")?;
        held += st.total_pledge_collateral;
    }
    let total = TokenAmount::from_whole(FIL_BASE);
    Ok(if held > total {
        TokenAmount::zero()
    } else {
        total - held
    })
}
