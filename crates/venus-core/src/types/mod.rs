//! Chain types that Lotus has and `fvm_shared` lacks, with Lotus's CBOR and JSON.

mod api;
mod block;
mod msgmeta;
mod signed_message;
mod tipset;
mod txmeta;

pub use api::{
    ActorState, BlockTemplate, ExtendedSectorInfo, HeadChange, HeadChangeType, MessageSendSpec,
    MiningBaseInfo, MsgLookup,
};
pub use block::{BeaconEntry, BlockHeader, ElectionProof, Ticket};
pub use msgmeta::{check_f3_payload, DrawRandomParams, MsgMeta, MsgType};
pub use signed_message::{message_cid, transfer, SignedMessage};
pub use tipset::{TipSet, TipSetKey};
pub use txmeta::{BlockMessages, BlockMsg, FullBlock, TxMeta};
