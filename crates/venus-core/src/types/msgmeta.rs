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
    /// A block header; `Extra` is its CBOR and the bytes are its CBOR without
    /// `BlockSig`. Lotus and sophon-miner send an empty `Extra`: the bytes
    /// are then decoded as the header.
    #[serde(rename = "block")]
    Block,
    /// A storage deal proposal.
    #[serde(rename = "dealproposal")]
    DealProposal,
    /// Randomness to sign as a VRF (ticket, election); `Extra` is
    /// [`DrawRandomParams`] and the bytes their digest. Venus sends an empty
    /// `Extra` and the params (its own encoding) as the bytes; the digest is
    /// signed then.
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
    /// An F3 (GossiPBFT) vote or VRF ticket, signed with a miner's BLS
    /// worker key: Venus's `MTF3` (`venus-shared/types/msg_meta.go`), sent
    /// with an empty `Extra` and the signing payload as the bytes. Venus
    /// signs those bytes unchecked; we accept only what go-f3 signs (see
    /// [`check_f3_payload`]). Lotus sends the same bytes as `unknown`.
    #[serde(rename = "f3")]
    F3,
}

/// Checks that `bytes` are one of the two payloads go-f3 has a participant
/// sign: a vote, `"GPBFT:" network ":"` then phase (1 byte), round and
/// instance (8 bytes each, big-endian), the 32-byte commitments, the
/// 32-byte chain key and the power table CID (`MarshalPayloadForSigning`);
/// or a ticket, `"VRF:" network ":" beacon ":"` then instance and round
/// (`vrfSerializeSigInput`). Their ASCII tags can begin neither a CID (a
/// message's signing bytes) nor a CBOR block header, so an `f3` request
/// cannot carry a chain message or a block.
pub fn check_f3_payload(bytes: &[u8]) -> Result<()> {
    let refuse = |why: &str| {
        Err(Error::SignRefused(format!(
            "not an F3 signing payload: {why}"
        )))
    };
    let (rest, fixed) = if let Some(rest) = bytes.strip_prefix(b"GPBFT:") {
        // phase + round + instance + commitments + chain key, then a CID (≥ 4 bytes).
        (rest, 1 + 8 + 8 + 32 + 32 + 4)
    } else if let Some(rest) = bytes.strip_prefix(b"VRF:") {
        // ":" after the beacon, then instance + round.
        (rest, 1 + 8 + 8)
    } else {
        return refuse("it starts with neither GPBFT: nor VRF:");
    };
    let Some(sep) = rest.iter().position(|b| *b == b':') else {
        return refuse("no network name");
    };
    if !rest[..sep].iter().all(|b| b.is_ascii_graphic()) {
        return refuse("the network name is not printable ASCII");
    }
    if rest.len() - sep - 1 < fixed {
        return refuse("too short");
    }
    Ok(())
}

crate::json::plain_json_enum!(MsgType);

impl MsgType {
    /// Every type, for policy tables and tests.
    pub const ALL: [MsgType; 13] = [
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
        MsgType::F3,
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

impl DrawRandomParams {
    /// The 32 bytes a VRF over these params signs: `DrawRandomness`.
    pub fn digest(&self) -> Result<[u8; 32]> {
        let tag = DomainSeparationTag::try_from(self.pers)?;
        Ok(draw_randomness(&self.rbase, tag, self.round, &self.entropy))
    }

    /// Decodes the params as Venus's signers send them as the bytes to sign
    /// (with an empty `Extra`): `fxamacker/cbor`'s encoding of the Go struct,
    /// a map keyed `Rbase`, `Pers`, `Round`, `Entropy`, where a nil byte
    /// slice is `null` (`venus-shared/types/wallet/draw_random_params.go`).
    pub fn from_venus_cbor(bytes: &[u8]) -> Result<Self> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Venus {
            #[serde(rename = "Rbase")]
            rbase: Option<serde_bytes::ByteBuf>,
            #[serde(rename = "Pers")]
            pers: i64,
            #[serde(rename = "Round")]
            round: ChainEpoch,
            #[serde(rename = "Entropy")]
            entropy: Option<serde_bytes::ByteBuf>,
        }
        let v: Venus = from_cbor(bytes)?;
        Ok(DrawRandomParams {
            rbase: v.rbase.map(|b| b.into_vec()).unwrap_or_default(),
            pers: v.pers,
            round: v.round,
            entropy: v.entropy.map(|b| b.into_vec()).unwrap_or_default(),
        })
    }
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
            MsgType::F3 => {
                if !self.extra.is_empty() {
                    return Err(Error::SignRefused("an f3 request carries no Extra".into()));
                }
                return check_f3_payload(to_sign);
            }
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
            MsgType::Block => self.block_header(to_sign)?.signing_bytes()?,
            MsgType::DrawRandomParam if self.extra.is_empty() => {
                // Venus's form: the params themselves are the bytes sent, and
                // what is signed is their digest (see `MsgMeta::sign_bytes`).
                DrawRandomParams::from_venus_cbor(to_sign)?;
                to_sign.to_vec()
            }
            MsgType::DrawRandomParam => from_cbor::<DrawRandomParams>(&self.extra)?
                .digest()?
                .to_vec(),
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

    /// The header of a `block` request: from `Extra`, or, when `Extra` is
    /// empty as Lotus's and sophon-miner's block signing sends it
    /// (`WalletSign(worker, header.SigningBytes(), {Type: block})`), from
    /// the bytes to sign, which must then carry no `BlockSig`.
    pub fn block_header(&self, to_sign: &[u8]) -> Result<BlockHeader> {
        if !self.extra.is_empty() {
            return from_cbor(&self.extra);
        }
        let h: BlockHeader = from_cbor(to_sign)?;
        if h.block_sig.is_some() {
            return Err(Error::SignRefused(
                "a block header to sign must not carry a BlockSig".into(),
            ));
        }
        Ok(h)
    }

    /// The bytes a signer signs for a request whose checked bytes are
    /// `to_sign`: `to_sign` itself, except for Venus's `drawrandomparam`
    /// form (empty `Extra`, the params as `to_sign`), where it is their
    /// `DrawRandomness` digest, as Venus's wallet signs it.
    pub fn sign_bytes(&self, to_sign: &[u8]) -> Result<Vec<u8>> {
        match self.msg_type {
            MsgType::DrawRandomParam if self.extra.is_empty() => {
                Ok(DrawRandomParams::from_venus_cbor(to_sign)?
                    .digest()?
                    .to_vec())
            }
            _ => Ok(to_sign.to_vec()),
        }
    }
}
