//! [`MessageStore`]: where the messager keeps messages, addresses, nonces
//! and fee rules. [`SqlMessageStore`] is the one implementation (a SQLite
//! file by default, MySQL for instances that share a pool); one
//! conformance suite runs over both engines.
//!
//! The store is the nonce authority: [`MessageStore::fill`] takes the
//! address's next nonces and moves the messages to filled in one
//! transaction, and only for the instance that holds the address's lease,
//! checked under the address row's lock. The `(from, nonce)` unique key is
//! a second guard: no code path can give one nonce twice.

mod sql;

pub use sql::SqlMessageStore;

use async_trait::async_trait;
use cid::Cid;
use venus_core::shared::receipt::Receipt;
use venus_core::types::TipSetKey;
use venus_core::{Address, ChainEpoch, Message, Signature};

use crate::fee::FeeSpec;
use crate::{AddressInfo, AddressState, MessageState, MsgRecord, Result};

/// Which messages [`MessageStore::list`] returns.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ListQuery {
    /// Only these states (all when empty).
    pub states: Vec<MessageState>,
    /// Only from these addresses (all when empty).
    pub from: Vec<Address>,
    /// Only messages with an error recorded (Venus's failed list: unfilled
    /// messages whose estimate failed).
    pub with_error: bool,
    /// Only messages stored before this (Unix ms); 0 for no bound.
    pub created_before_ms: i64,
    /// Only messages changed at or after this (Unix ms); 0 for no bound.
    pub updated_since_ms: i64,
    /// Only messages executed at this height or above.
    pub min_height: Option<ChainEpoch>,
    /// Latest change first (Venus's order unless `Asc`); otherwise in
    /// insertion order.
    pub newest_first: bool,
    /// At most this many (0 for no limit).
    pub limit: u64,
    /// Skip this many.
    pub offset: u64,
}

/// A message that landed, as the tracker found it.
#[derive(Debug, Clone, PartialEq)]
pub struct Landed {
    /// The CID that landed (the message's own, or one it had before a
    /// replace, or a same-call version signed elsewhere).
    pub cid: Cid,
    /// The receipt.
    pub receipt: Receipt,
    /// The executing tipset's height.
    pub height: ChainEpoch,
    /// The executing tipset.
    pub tipset: TipSetKey,
}

/// A node messages are pushed to, kept in the store (the node list is
/// data: the operator changes it at run time). Its `Debug` shows no token.
#[derive(Clone, PartialEq, Eq)]
pub struct NodeEntry {
    /// Its name (unique).
    pub name: String,
    /// Its API address (`/ip4/…` multiaddr or URL).
    pub url: String,
    /// Its token.
    pub token: String,
}

impl std::fmt::Debug for NodeEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NodeEntry")
            .field("name", &self.name)
            .field("url", &venus_rpc::redact_api_info(&self.url))
            .field("token", &(!self.token.is_empty()).then_some("<token>"))
            .finish()
    }
}

/// Counts for metrics: messages per state, and per address the oldest
/// message not yet on chain.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Stats {
    /// Messages per state.
    pub by_state: Vec<(MessageState, u64)>,
    /// Per address: unfilled and filled messages, and when the oldest of
    /// them was accepted (Unix ms).
    pub pending: Vec<(Address, u64, i64)>,
}

/// Storage of the messager. Every method is one transaction.
#[async_trait]
pub trait MessageStore: Send + Sync {
    /// Stores a new unfilled message;
    /// [`MessagerError::Duplicate`](crate::MessagerError::Duplicate) when
    /// its id is taken. Durable
    /// when it returns.
    async fn insert(&self, rec: &MsgRecord) -> Result<()>;

    /// The message with this id.
    async fn get(&self, id: &str) -> Result<Option<MsgRecord>>;

    /// The message whose current or earlier signed CID, or unsigned CID,
    /// is `cid`.
    async fn by_cid(&self, cid: &Cid) -> Result<Option<MsgRecord>>;

    /// Messages in insertion order (or latest change first).
    async fn list(&self, q: &ListQuery) -> Result<Vec<MsgRecord>>;

    /// The message of `from` holding `nonce`.
    async fn by_nonce(&self, from: &Address, nonce: u64) -> Result<Option<MsgRecord>>;

    /// Marks every unfilled message of `from` failed with `reason`;
    /// returns how many.
    async fn fail_unfilled(&self, from: &Address, reason: &str) -> Result<u64>;

    /// Counts for metrics.
    async fn stats(&self) -> Result<Stats>;

    /// Adds or changes a node of the push list.
    async fn save_node(&self, node: &NodeEntry) -> Result<()>;

    /// The push list.
    async fn nodes(&self) -> Result<Vec<NodeEntry>>;

    /// Removes a node; whether it was there.
    async fn delete_node(&self, name: &str) -> Result<bool>;

    /// Unfilled messages of `from`, oldest first, at most `limit`.
    async fn unfilled(&self, from: &Address, limit: u64) -> Result<Vec<MsgRecord>>;

    /// Filled messages of `from` (signed or not), by nonce.
    async fn filled(&self, from: &Address) -> Result<Vec<MsgRecord>>;

    /// Records the last error met while filling an unfilled message (it
    /// stays unfilled and takes no nonce).
    async fn set_error(&self, id: &str, error: &str) -> Result<()>;

    /// Fills the unfilled messages `msgs` (id and the message with its gas
    /// set) of `from`, in order: each takes the address's next nonce; all
    /// or none are stored, and only while `owner` holds the address's
    /// lease. Returns the messages as filled (unsigned).
    async fn fill(
        &self,
        from: &Address,
        owner: &str,
        msgs: &[(String, Message)],
        epoch: ChainEpoch,
    ) -> Result<Vec<MsgRecord>>;

    /// Stores the signatures of filled messages (`id`, signature, the CID
    /// the chain knows it by, and the unsigned CID of the message version
    /// signed), all in one transaction. A signature of a version the
    /// message no longer holds (a replace came between) is refused.
    async fn set_signed(&self, signed: &[(String, Signature, Cid, Cid)]) -> Result<()>;

    /// Records a replacement of a filled message: the new message (same
    /// nonce, new gas), unsigned until [`MessageStore::set_signed`]; its
    /// signed CID so far joins the earlier ones.
    async fn replace(&self, id: &str, message: &Message, epoch: ChainEpoch) -> Result<MsgRecord>;

    /// Filled messages landed, all in one transaction; returns how many
    /// moved to on chain (a message no longer filled, found by another
    /// instance first, is skipped).
    async fn landed(&self, landed: &[(String, Landed)]) -> Result<usize>;

    /// Another message took a filled message's nonce on chain.
    async fn conflicted(&self, id: &str, height: ChainEpoch, tipset: &TipSetKey) -> Result<()>;

    /// Messages on chain (or in nonce conflict) at `height` or above go
    /// back to filled, their receipts cleared; returns their ids.
    async fn revert_from(&self, height: ChainEpoch) -> Result<Vec<String>>;

    /// Marks a message failed with `reason` (Venus's `MarkBadMessage`).
    /// A message on chain is refused.
    async fn fail(&self, id: &str, reason: &str) -> Result<()>;

    /// Failed messages of `from` that hold a nonce at least `chain_nonce`
    /// go back to filled, to be signed if they were not, and pushed
    /// (Venus's `RecoverFailedMsg`); returns their ids.
    async fn recover_failed(&self, from: &Address, chain_nonce: u64) -> Result<Vec<String>>;

    /// Adds an address (alive, next nonce 0) or leaves it as it is.
    async fn add_address(&self, addr: &Address) -> Result<()>;

    /// The address.
    async fn address(&self, addr: &Address) -> Result<Option<AddressInfo>>;

    /// Every address.
    async fn addresses(&self) -> Result<Vec<AddressInfo>>;

    /// Switches an address on or off.
    async fn set_address_state(&self, addr: &Address, state: AddressState) -> Result<()>;

    /// Sets an address's fee rules and how many messages it fills per head.
    async fn set_address_fee(&self, addr: &Address, fee: &FeeSpec, sel_msg_num: u64) -> Result<()>;

    /// Raises the address's next nonce to `chain_nonce` if it is below
    /// (never lowers it); returns the next nonce.
    async fn reconcile_nonce(&self, addr: &Address, chain_nonce: u64) -> Result<u64>;

    /// Takes or renews the lease of `addr` for `owner` until `until_ms`,
    /// if it is free, lapsed (before `now_ms`) or already `owner`'s.
    async fn lease(&self, addr: &Address, owner: &str, now_ms: i64, until_ms: i64) -> Result<bool>;

    /// Gives up `owner`'s lease of `addr`.
    async fn release(&self, addr: &Address, owner: &str) -> Result<()>;

    /// The fee rules of actor `code` and `method` (`None` for every
    /// method of the code), or the global ones for code `""`.
    async fn fee_rule(&self, code: &str, method: Option<u64>) -> Result<Option<FeeSpec>>;

    /// Sets the fee rules of actor `code` and `method` (see
    /// [`MessageStore::fee_rule`]).
    async fn set_fee_rule(&self, code: &str, method: Option<u64>, fee: &FeeSpec) -> Result<()>;
}
