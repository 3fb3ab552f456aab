//! What a remote signer is told about the bytes it signs.

use fvm_ipld_encoding::strict_bytes;
use fvm_ipld_encoding::tuple::{Deserialize_tuple, Serialize_tuple};
use fvm_shared::address::Address;
use fvm_shared::clock::ChainEpoch;
use fvm_shared::message::Message;
use serde::{Deserialize, Serialize};

use super::signed_message::message_cid;
use super::BlockHeader;
use crate::crypto::{draw_randomness, DomainSeparationTag};
use crate::encoding::from_cbor;
use crate::json::lotus_json_struct;
use crate::{Error, Result};

/// The kind of object being signed. The strings are Lotus's and Venus's,
/// including Lotus's spelling of `networkresposne`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum MsgType {
    /// Raw bytes with no object to check them against.
    #[serde(rename = "unknown")]
    Unknown,
    /// A chain message; `Extra` is its CBOR and the bytes are its CID.
    #[serde(rename = "message")]
    ChainMsg,
    /// A block header; `Extra` is its CBOR and the bytes are its CBOR without `BlockSig`.
    #[serde(rename = "block")]
    Block,
    /// A storage deal proposal.
    #[serde(rename = "dealproposal")]
    DealProposal,
    /// Randomness to sign as a VRF (ticket, election); `Extra` is [`DrawRandomParams`].
    #[serde(rename = "drawrandomparam")]
    DrawRandomParam,
    /// A payment channel voucher.
    #[serde(rename = "signedvoucher")]
    SignedVoucher,
    /// A storage ask.
    #[serde(rename = "storageask")]
    StorageAsk,
    /// A response to an ask.
    #[serde(rename = "askresponse")]
    AskResponse,
    /// A market network response.
    #[serde(rename = "networkresposne")]
    NetworkResponse,
    /// A client deal.
    #[serde(rename = "clientdeal")]
    ClientDeal,
    /// A provider deal state.
    #[serde(rename = "providerdealstate")]
    ProviderDealState,
    /// Proof of control of an address.
    #[serde(rename = "verifyaddress")]
    VerifyAddress,
}

crate::json::plain_json_enum!(MsgType);

impl MsgType {
    /// Every type, for policy tables and tests.
    pub const ALL: [MsgType; 12] = [
        MsgType::Unknown,
        MsgType::ChainMsg,
        MsgType::Block,
        MsgType::DealProposal,
        MsgType::DrawRandomParam,
        MsgType::SignedVoucher,
        MsgType::StorageAsk,
        MsgType::AskResponse,
        MsgType::NetworkResponse,
        MsgType::ClientDeal,
        MsgType::ProviderDealState,
        MsgType::VerifyAddress,
    ];
}

/// The type of what is signed, and the object itself in `extra`, so the signer
/// can recompute the bytes instead of trusting them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MsgMeta {
    /// What kind of object is signed.
    pub msg_type: MsgType,
    /// The object's CBOR (empty for `unknown`).
    pub extra: Vec<u8>,
}

lotus_json_struct! {
    /// Lotus JSON of a [`MsgMeta`]: `{"Type": "message", "Extra": base64}`.
    MsgMeta => MsgMetaJson {
        msg_type: MsgType = "Type" via "crate::json::lotus_json",
        extra: Vec<u8> = "Extra" via "crate::json::base64_bytes",
    }
}

/// The inputs of `DrawRandomness`, as a signer receives them for a VRF.
#[derive(Debug, Clone, PartialEq, Eq, Serialize_tuple, Deserialize_tuple)]
pub struct DrawRandomParams {
    /// The beacon entry's data the randomness is drawn from.
    #[serde(with = "strict_bytes")]
    pub rbase: Vec<u8>,
    /// The domain separation tag.
    pub pers: i64,
    /// The round (epoch).
    pub round: ChainEpoch,
    /// Extra entropy (e.g. the miner address's CBOR).
    #[serde(with = "strict_bytes")]
    pub entropy: Vec<u8>,
}

impl MsgMeta {
    /// A meta for a chain message.
    pub fn message(msg: &Message) -> Result<Self> {
        Ok(MsgMeta {
            msg_type: MsgType::ChainMsg,
            extra: crate::encoding::to_cbor(msg)?,
        })
    }

    /// A meta for a block header.
    pub fn block(header: &BlockHeader) -> Result<Self> {
        Ok(MsgMeta {
            msg_type: MsgType::Block,
            extra: header.to_cbor()?,
        })
    }

    /// Checks `to_sign` against the object in `extra` for the types whose
    /// bytes `venus-core` knows how to recompute (message, block, drawrandomparam),
    /// and that a chain message is signed by its `From`.
    ///
    /// Returns [`Error::Unsupported`] for the market types, which the wallet
    /// checks itself, and accepts `unknown`, which only a policy can allow.
    pub fn check(&self, signer: &Address, to_sign: &[u8]) -> Result<()> {
        let expected = match self.msg_type {
            MsgType::Unknown => return Ok(()),
            MsgType::ChainMsg => {
                let msg: Message = from_cbor(&self.extra)?;
                if msg.from != *signer {
                    return Err(Error::SignRefused(format!(
                        "message From {} is not the signer {signer}",
                        msg.from
                    )));
                }
                message_cid(&msg)?.to_bytes()
            }
            MsgType::Block => from_cbor::<BlockHeader>(&self.extra)?.signing_bytes()?,
            MsgType::DrawRandomParam => {
                let p: DrawRandomParams = from_cbor(&self.extra)?;
                let tag = DomainSeparationTag::try_from(p.pers)?;
                draw_randomness(&p.rbase, tag, p.round, &p.entropy).to_vec()
            }
            _ => return Err(Error::Unsupported("checking this MsgType in venus-core")),
        };
        if expected != to_sign {
            return Err(Error::SignRefused(format!(
                "the bytes to sign do not match the {:?} in MsgMeta.Extra",
                self.msg_type
            )));
        }
        Ok(())
    }
}
