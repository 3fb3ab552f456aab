//! Signed messages and their CIDs.

use cid::Cid;
use fvm_ipld_encoding::tuple::{Deserialize_tuple, Serialize_tuple};
use fvm_shared::crypto::signature::{Signature, SignatureType};
use fvm_shared::message::Message;
use serde::{Deserialize, Serialize};

use crate::encoding::{cid_of, to_cbor};
use crate::json::{lotus_json, CidJson, LotusJson};
use crate::Result;

/// A message with its sender's signature, as Lotus encodes it: `[msg, sig]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize_tuple, Deserialize_tuple)]
pub struct SignedMessage {
    /// The unsigned message.
    pub message: Message,
    /// The signature over the message CID's bytes.
    pub signature: Signature,
}

impl SignedMessage {
    /// The CID of the unsigned message for BLS (the signature travels in the
    /// block's aggregate), and the CID of `[msg, sig]` for secp256k1.
    pub fn cid(&self) -> Result<Cid> {
        match self.signature.sig_type {
            SignatureType::BLS => message_cid(&self.message),
            SignatureType::Secp256k1 => Ok(cid_of(self)?.0),
        }
    }

    /// The signed message's DAG-CBOR.
    pub fn to_cbor(&self) -> Result<Vec<u8>> {
        to_cbor(self)
    }

    /// Whether the signature is BLS.
    pub fn is_bls(&self) -> bool {
        self.signature.sig_type == SignatureType::BLS
    }

    /// Checks the signature against the message's `From` address.
    pub fn verify(&self) -> Result<()> {
        let data = message_cid(&self.message)?.to_bytes();
        crate::crypto::verify(&self.signature, &data, &self.message.from)
    }
}

/// A plain FIL transfer (method 0) of `value` from `from` to `to`, with
/// nonce and gas left at zero: what a client hands the messager (which
/// sets them) or `GasEstimateMessageGas` (which fills the gas) before the
/// nonce is set and it is signed.
pub fn transfer(
    from: fvm_shared::address::Address,
    to: fvm_shared::address::Address,
    value: fvm_shared::econ::TokenAmount,
) -> Message {
    Message {
        version: 0,
        from,
        to,
        sequence: 0,
        value,
        method_num: 0,
        params: Default::default(),
        gas_limit: 0,
        gas_fee_cap: Default::default(),
        gas_premium: Default::default(),
    }
}

/// The CID of an unsigned message.
pub fn message_cid(msg: &Message) -> Result<Cid> {
    Ok(cid_of(msg)?.0)
}

/// Lotus JSON of a [`SignedMessage`], with its computed `CID`.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SignedMessageJson {
    #[serde(with = "lotus_json")]
    message: Message,
    #[serde(with = "lotus_json")]
    signature: Signature,
    #[serde(rename = "CID", default, skip_serializing_if = "Option::is_none")]
    cid: Option<CidJson>,
}

impl LotusJson for SignedMessage {
    type Json = SignedMessageJson;
    fn to_lotus_json(&self) -> SignedMessageJson {
        SignedMessageJson {
            message: self.message.clone(),
            signature: self.signature.clone(),
            cid: self.cid().ok().map(|c| c.to_lotus_json()),
        }
    }
    fn from_lotus_json(j: SignedMessageJson) -> Result<Self, String> {
        Ok(SignedMessage {
            message: j.message,
            signature: j.signature,
        })
    }
}
