//! Applying one explicit (signed) message, as ref-fvm's
//! `DefaultExecutor::execute_message` does: the pre-checks that charge
//! nothing but the miner, then the call in a transaction that a failure
//! undoes whole, then the fees split by [`GasOutputs`].

use fvm_ipld_blockstore::Blockstore;
use fvm_ipld_encoding::RawBytes;
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

use super::gas::{self, GasTracker, OutOfGas};
use crate::error::{ChainError, Result};
use crate::genesis::{account_state, BURNT_FUNDS_ID, REWARD_ID};
use crate::state::{unknown_code, ActorKind, Manifest, StateTree};

/// The first method number an actor exports to any caller (FRC-0042);
/// below it, methods are for builtin actors.
pub const FIRST_EXPORTED_METHOD: MethodNum = 1 << 24;

/// The account actor's `PubkeyAddress` method.
const ACCOUNT_PUBKEY_ADDRESS: MethodNum = 2;
/// The account actor's `AuthenticateMessage` (FRC-0042 hash of the name).
const ACCOUNT_AUTHENTICATE_MESSAGE: MethodNum = 2_643_134_072;

/// Where and when messages run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecEnv {
    /// The epoch of the tipset being built on top of.
    pub epoch: ChainEpoch,
    /// The base fee the messages pay (the blocks' parent base fee).
    pub base_fee: TokenAmount,
    /// The network version in force.
    pub network_version: NetworkVersion,
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
}

/// A virtual machine over one state tree: applies messages to it.
#[derive(Debug)]
pub struct Vm<BS: Blockstore> {
    tree: StateTree<BS>,
    manifest: Manifest,
    env: ExecEnv,
}

/// How a call ended, inside the message's transaction.
enum Call {
    Ok(RawBytes),
    Exit(ExitCode),
    OutOfGas,
}

impl From<OutOfGas> for Call {
    fn from(_: OutOfGas) -> Self {
        Call::OutOfGas
    }
}

impl<BS: Blockstore> Vm<BS> {
    /// A VM over `tree`, whose actors run the code of `manifest`.
    pub fn new(tree: StateTree<BS>, manifest: Manifest, env: ExecEnv) -> Self {
        Vm {
            tree,
            manifest,
            env,
        }
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

    /// The tree, once done.
    pub fn into_tree(self) -> StateTree<BS> {
        self.tree
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

        let mut gas = GasTracker::new(limit, inclusion);
        self.tree.begin();
        let call = match self.send(from_id, msg, &mut gas) {
            Ok(call) => call,
            Err(e) => {
                // The store failed mid-call: drop the call's writes. The
                // nonce and the gas deposit stay taken, so the tree must
                // not be flushed after an error (apply_messages throws its
                // whole buffer away).
                let _ = self.tree.revert();
                return Err(e);
            }
        };
        let (exit_code, return_data) = match call {
            Call::Ok(ret) => match gas.charge(gas::RETURN_PER_BYTE * ret.len() as u64) {
                Ok(()) => (ExitCode::OK, ret),
                Err(OutOfGas) => (ExitCode::SYS_OUT_OF_GAS, RawBytes::default()),
            },
            Call::Exit(code) => (code, RawBytes::default()),
            Call::OutOfGas => (ExitCode::SYS_OUT_OF_GAS, RawBytes::default()),
        };
        if exit_code.is_success() {
            self.tree.commit()?;
        } else {
            self.tree.revert()?;
        }

        let gas_used = gas.used();
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

    /// The message's call: find (or create) the receiver, move the value,
    /// run the method.
    fn send(&mut self, from_id: ActorID, msg: &Message, gas: &mut GasTracker) -> Result<Call> {
        if msg.to.protocol() != Protocol::ID {
            if let Err(e) = gas.charge(gas::ADDRESS_LOOKUP) {
                return Ok(e.into());
            }
        }
        let to_id = match self.tree.lookup_id(&msg.to)? {
            Some(id) if self.tree.get_actor(id)?.is_some() => id,
            Some(_) => return Ok(Call::Exit(ExitCode::SYS_INVALID_RECEIVER)),
            None => match self.create_account(&msg.to, gas)? {
                Ok(id) => id,
                Err(call) => return Ok(call),
            },
        };
        if !gas::preloaded(to_id) {
            if let Err(e) = gas.charge(gas::ACTOR_LOOKUP) {
                return Ok(e.into());
            }
        }
        if msg.value.is_negative() {
            return Ok(Call::Exit(ExitCode::SYS_ASSERTION_FAILED));
        }
        if !msg.value.is_zero() {
            if let Err(e) = gas.charge(gas::TRANSFER_FUNDS + gas::ACTOR_UPDATE) {
                return Ok(e.into());
            }
            let mut from = self.tree.actor(from_id)?;
            if from.balance < msg.value {
                return Ok(Call::Exit(ExitCode::SYS_INSUFFICIENT_FUNDS));
            }
            if from_id != to_id {
                from.balance -= &msg.value;
                self.tree.set_actor(from_id, from);
                let mut to = self.tree.actor(to_id)?;
                to.balance += &msg.value;
                self.tree.set_actor(to_id, to);
            }
        }
        if msg.method_num == METHOD_SEND {
            return Ok(Call::Ok(RawBytes::default()));
        }
        if let Err(e) = gas.charge(gas::INVOKE_METHOD) {
            return Ok(e.into());
        }
        let to = self.tree.actor(to_id)?;
        self.invoke(&to, msg.method_num)
    }

    /// A send to a key address with no actor creates its account, as the
    /// FVM does; any other unknown receiver is invalid.
    fn create_account(
        &mut self,
        addr: &Address,
        gas: &mut GasTracker,
    ) -> Result<Result<ActorID, Call>> {
        if !matches!(addr.protocol(), Protocol::Secp256k1 | Protocol::BLS) {
            return Ok(Err(Call::Exit(ExitCode::SYS_INVALID_RECEIVER)));
        }
        if let Err(e) = gas.charge(gas::ACTOR_CREATE + gas::ADDRESS_ASSIGNMENT) {
            return Ok(Err(e.into()));
        }
        let id = self.tree.register_new_address(addr)?;
        let head = account_state(&self.tree, *addr)?;
        let code = self.manifest.code(ActorKind::Account);
        self.tree.set_actor(
            id,
            ActorState::new(code, head, TokenAmount::zero(), 0, None),
        );
        Ok(Ok(id))
    }

    /// Runs method `method` (not a plain send) of actor `to`, called by an
    /// account. Only what is modeled runs; everything else exits as the
    /// FVM exits for a method the actor does not handle.
    fn invoke(&mut self, to: &ActorState, method: MethodNum) -> Result<Call> {
        // Every builtin constructor accepts only the system or init actor.
        if method == 1 {
            return Ok(Call::Exit(ExitCode::USR_FORBIDDEN));
        }
        match (self.kind(to)?, method) {
            (ActorKind::Account, ACCOUNT_PUBKEY_ADDRESS) => {
                let st: fil_actor_account_state::v17::State =
                    self.tree.read_state(&to.state, "account state")?;
                let ret = RawBytes::serialize(st.address)
                    .map_err(|e| ChainError::State(format!("encoding an address: {e}")))?;
                Ok(Call::Ok(ret))
            }
            // The account's fallback accepts any exported method (token
            // hooks, say) but AuthenticateMessage, which checks a
            // signature and is not modeled.
            (ActorKind::Account, m)
                if m >= FIRST_EXPORTED_METHOD && m != ACCOUNT_AUTHENTICATE_MESSAGE =>
            {
                Ok(Call::Ok(RawBytes::default()))
            }
            _ => Ok(Call::Exit(ExitCode::USR_UNHANDLED_MESSAGE)),
        }
    }
}
