//! The messager's records: a message's state, and what is kept of it.

use cid::Cid;
use venus_core::shared::receipt::Receipt;
use venus_core::types::{SignedMessage, TipSetKey};
use venus_core::{Address, ChainEpoch, Message, Signature};

use crate::fee::FeeSpec;

pub use venus_api::messager::{AddressState, MessageState, SendSpec};

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
