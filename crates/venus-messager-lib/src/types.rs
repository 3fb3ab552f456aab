//! The messager's records: a message's state, and what is kept of it.

use cid::Cid;
use serde::{Deserialize, Serialize};
use venus_core::shared::receipt::Receipt;
use venus_core::types::{SignedMessage, TipSetKey};
use venus_core::{Address, ChainEpoch, Message, Signature};

use crate::fee::FeeSpec;

/// Where a message stands, with Venus's names and numbers
/// (`venus-shared/types/messager/message.go`: `UnKnown` … `NonceConflictMsg`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MessageState {
    /// Accepted and stored; no nonce, gas or signature yet.
    Unfilled = 1,
    /// Nonce and gas set and persisted, signature set (or being asked for:
    /// see [`MsgRecord::signature`]); pushed, or to be pushed.
    Filled = 2,
    /// Executed on chain, with its receipt.
    OnChain = 3,
    /// Given up, with the reason (marked bad, or refused for good).
    Failed = 4,
    /// Another message with the same sender and nonce landed.
    NonceConflict = 5,
}

impl MessageState {
    /// The state Venus numbers `n`.
    pub fn from_code(n: i64) -> Option<Self> {
        Some(match n {
            1 => Self::Unfilled,
            2 => Self::Filled,
            3 => Self::OnChain,
            4 => Self::Failed,
            5 => Self::NonceConflict,
            _ => return None,
        })
    }

    /// Venus's number for the state.
    pub fn code(self) -> i64 {
        self as i64
    }

    /// Whether the message's life is over (nothing will change it but an
    /// operator or a reorg).
    pub fn is_final(self) -> bool {
        matches!(self, Self::OnChain | Self::Failed | Self::NonceConflict)
    }
}

impl std::fmt::Display for MessageState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Unfilled => "unfilled",
            Self::Filled => "filled",
            Self::OnChain => "on chain",
            Self::Failed => "failed",
            Self::NonceConflict => "nonce conflict",
        })
    }
}

impl Serialize for MessageState {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_i64(self.code())
    }
}

impl<'de> Deserialize<'de> for MessageState {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let n = i64::deserialize(d)?;
        Self::from_code(n).ok_or_else(|| serde::de::Error::custom(format!("unknown state {n}")))
    }
}

/// The sender's own rules for one message (Venus's `SendSpec`): they come
/// first, before the address's, the actor method's and the global ones.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SendSpec {
    /// The fee rules for this message.
    #[serde(flatten)]
    pub fee: FeeSpec,
    /// The message fails (is not filled) once the head passes this epoch;
    /// 0 for never.
    #[serde(rename = "expireEpoch")]
    pub expire_epoch: ChainEpoch,
}

/// One message as the messager keeps it.
#[derive(Debug, Clone, PartialEq)]
pub struct MsgRecord {
    /// The caller's id (a UUID in Venus's API), unique.
    pub id: String,
    /// The message; nonce and gas are set once it is filled.
    pub message: Message,
    /// The sender's rules.
    pub spec: SendSpec,
    /// The user (venus-auth account) that pushed it.
    pub from_user: String,
    /// Where it stands.
    pub state: MessageState,
    /// The nonce, once filled (the same as `message.sequence` then).
    pub nonce: Option<u64>,
    /// The signature; `None` for a filled message whose signature is being
    /// asked for (its nonce and gas are persisted first).
    pub signature: Option<Signature>,
    /// The CID the chain knows the message by (signed for secp256k1,
    /// unsigned for BLS), once signed.
    pub signed_cid: Option<Cid>,
    /// The unsigned message's CID, once filled.
    pub unsigned_cid: Option<Cid>,
    /// Earlier signed CIDs of this message (replaced by fee), oldest first:
    /// whichever of them lands is the one the message ends with.
    pub replaced: Vec<Cid>,
    /// The receipt, once on chain.
    pub receipt: Option<Receipt>,
    /// The height of the tipset that executed it, once on chain.
    pub height: Option<ChainEpoch>,
    /// That tipset, once on chain.
    pub tipset: Option<TipSetKey>,
    /// Why it failed, or the last error met while filling it.
    pub error: String,
    /// The head's height when it was last signed (for replace).
    pub filled_epoch: Option<ChainEpoch>,
    /// When it was stored (Unix ms).
    pub created_ms: i64,
    /// When it last changed (Unix ms).
    pub updated_ms: i64,
}

impl MsgRecord {
    /// A new, unfilled record of `message` (its nonce and gas are ignored).
    pub fn new(id: impl Into<String>, message: Message, spec: SendSpec, from_user: &str) -> Self {
        let now = crate::now_ms();
        MsgRecord {
            id: id.into(),
            message,
            spec,
            from_user: from_user.to_string(),
            state: MessageState::Unfilled,
            nonce: None,
            signature: None,
            signed_cid: None,
            unsigned_cid: None,
            replaced: Vec::new(),
            receipt: None,
            height: None,
            tipset: None,
            error: String::new(),
            filled_epoch: None,
            created_ms: now,
            updated_ms: now,
        }
    }

    /// The sender.
    pub fn from(&self) -> Address {
        self.message.from
    }

    /// The signed message, once signed.
    pub fn signed(&self) -> Option<SignedMessage> {
        Some(SignedMessage {
            message: self.message.clone(),
            signature: self.signature.clone()?,
        })
    }

    /// Whether `cid` is this message's CID now or one it had before a
    /// replace.
    pub fn is_own_cid(&self, cid: &Cid) -> bool {
        self.signed_cid.as_ref() == Some(cid) || self.replaced.contains(cid)
    }
}

/// An address the messager sends from.
#[derive(Debug, Clone, PartialEq)]
pub struct AddressInfo {
    /// The address.
    pub addr: Address,
    /// The next nonce the messager gives.
    pub next_nonce: u64,
    /// Whether it is switched on.
    pub state: AddressState,
    /// Its fee rules.
    pub fee: FeeSpec,
    /// How many messages to fill per head (0 for the default).
    pub sel_msg_num: u64,
    /// The messager instance serving it, and until when (Unix ms).
    pub owner: String,
    /// Until when `owner` holds it.
    pub lease_until_ms: i64,
}

/// Whether an address is switched on (Venus's `AddressState`: `Alive` = 1,
/// `Forbiden` = 4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AddressState {
    /// Its messages are filled and sent.
    Alive = 1,
    /// Its messages are held; new ones are still accepted.
    Forbidden = 4,
}

impl AddressState {
    /// The state Venus numbers `n`.
    pub fn from_code(n: i64) -> Option<Self> {
        match n {
            1 => Some(Self::Alive),
            4 => Some(Self::Forbidden),
            _ => None,
        }
    }
}
