//! A block's message roots, and blocks with their messages.

use cid::Cid;
use fvm_ipld_amt::Amtv0;
use fvm_ipld_blockstore::{Blockstore, MemoryBlockstore};
use fvm_ipld_encoding::tuple::{Deserialize_tuple, Serialize_tuple};
use fvm_shared::message::Message;

use super::signed_message::message_cid;
use super::{BlockHeader, SignedMessage};
use crate::encoding::cid_of;
use crate::json::lotus_json_struct;
use crate::{Error, Result};

/// The two message roots of a block (Lotus's `MsgMeta`): AMTs (v0) of the
/// BLS messages' CIDs and the secp messages' CIDs. Its CID is the header's
/// `Messages`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize_tuple, Deserialize_tuple)]
pub struct TxMeta {
    /// Root of the AMT of unsigned BLS message CIDs.
    pub bls_message_root: Cid,
    /// Root of the AMT of signed secp message CIDs.
    pub secp_message_root: Cid,
}

impl TxMeta {
    /// Builds both AMTs in `store` and returns the meta.
    pub fn build_in<BS: Blockstore>(store: &BS, bls: &[Cid], secp: &[Cid]) -> Result<Self> {
        let amt = |cids: &[Cid]| {
            Amtv0::<&Cid, _>::new_from_iter(store, cids.iter())
                .map_err(|e| Error::Cbor(format!("building message AMT: {e}")))
        };
        Ok(TxMeta {
            bls_message_root: amt(bls)?,
            secp_message_root: amt(secp)?,
        })
    }

    /// Builds the meta in a throwaway store, for computing a header's `Messages`.
    pub fn build(bls: &[Cid], secp: &[Cid]) -> Result<Self> {
        Self::build_in(&MemoryBlockstore::new(), bls, secp)
    }

    /// The meta's CID.
    pub fn cid(&self) -> Result<Cid> {
        Ok(cid_of(self)?.0)
    }
}

/// A header with its messages' CIDs: what a producer gossips and submits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize_tuple, Deserialize_tuple)]
pub struct BlockMsg {
    /// The block header.
    pub header: BlockHeader,
    /// CIDs of the unsigned BLS messages.
    pub bls_messages: Vec<Cid>,
    /// CIDs of the signed secp messages.
    pub secpk_messages: Vec<Cid>,
}

impl BlockMsg {
    /// Checks that the header's `Messages` is the root of these CID lists.
    pub fn check_msg_root(&self) -> Result<()> {
        let root = TxMeta::build(&self.bls_messages, &self.secpk_messages)?.cid()?;
        if root != self.header.messages {
            return Err(Error::Cbor(format!(
                "header Messages {} does not match the message lists' root {root}",
                self.header.messages
            )));
        }
        Ok(())
    }
}

lotus_json_struct! {
    /// Lotus JSON of a [`BlockMsg`].
    BlockMsg => BlockMsgJson {
        header: BlockHeader = "Header" via "crate::json::lotus_json",
        bls_messages: Vec<Cid> = "BlsMessages" via "crate::json::lotus_json",
        secpk_messages: Vec<Cid> = "SecpkMessages" via "crate::json::lotus_json",
    }
}

/// A block's messages, as `ChainGetBlockMessages` returns them: BLS messages
/// unsigned (their signatures are in the header's aggregate), secp ones
/// signed, and the CIDs of both in that order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BlockMessages {
    /// The BLS messages.
    pub bls_messages: Vec<Message>,
    /// The secp messages.
    pub secpk_messages: Vec<SignedMessage>,
    /// BLS CIDs then secp CIDs.
    pub cids: Vec<Cid>,
}

impl BlockMessages {
    /// Every message, in the order a block executes them: the BLS ones,
    /// then the secp ones (without their signatures).
    pub fn messages(&self) -> impl Iterator<Item = &Message> {
        self.bls_messages
            .iter()
            .chain(self.secpk_messages.iter().map(|m| &m.message))
    }
}

lotus_json_struct! {
    /// Lotus JSON of [`BlockMessages`].
    BlockMessages => BlockMessagesJson {
        bls_messages: Vec<Message> = "BlsMessages" via "crate::json::lotus_json",
        secpk_messages: Vec<SignedMessage> = "SecpkMessages" via "crate::json::lotus_json",
        cids: Vec<Cid> = "Cids" via "crate::json::lotus_json",
    }
}

/// A header with the full messages it includes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FullBlock {
    /// The block header.
    pub header: BlockHeader,
    /// The BLS messages (their signatures are in the header's aggregate).
    pub bls_messages: Vec<Message>,
    /// The secp messages, signed.
    pub secp_messages: Vec<SignedMessage>,
}

impl FullBlock {
    /// The CID lists of this block's messages.
    pub fn to_block_msg(&self) -> Result<BlockMsg> {
        Ok(BlockMsg {
            header: self.header.clone(),
            bls_messages: self
                .bls_messages
                .iter()
                .map(message_cid)
                .collect::<Result<_>>()?,
            secpk_messages: self
                .secp_messages
                .iter()
                .map(SignedMessage::cid)
                .collect::<Result<_>>()?,
        })
    }

    /// The [`TxMeta`] of this block's messages.
    pub fn tx_meta(&self) -> Result<TxMeta> {
        let bm = self.to_block_msg()?;
        TxMeta::build(&bm.bls_messages, &bm.secpk_messages)
    }
}
