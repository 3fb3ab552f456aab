//! Recomputing what to sign from the object in `MsgMeta.Extra`, for every MsgType.
//!
//! The caller sends the bytes to sign and the object they come from. The
//! object is decoded *as the type the caller named* (a block header does not
//! decode as a message, a message not as a deal proposal), the bytes are
//! recomputed from it, and anything but an exact match is refused.
//!
//! The chain types (message, block, drawrandomparam, f3) are checked by
//! [`MsgMeta::check`], which every venus-rs signer shares; the market types,
//! which venus-core does not model, are checked here.

use std::collections::BTreeMap;

use cid::Cid;
use fvm_ipld_encoding::de::IgnoredAny;
use fvm_ipld_encoding::{strict_bytes, RawBytes};
use serde_tuple::{Deserialize_tuple, Serialize_tuple};
use sha2::{Digest, Sha256};
use venus_core::encoding::{blake2b_256, from_cbor, to_cbor};
use venus_core::types::{message_cid, MsgMeta, MsgType};
use venus_core::{Address, Message, Signature, TokenAmount};

use crate::{Result, WalletError};

/// What was signed, for policy and the sign record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signed {
    /// The message CID, the block CID, or a hash of the bytes.
    pub object: String,
    /// The actor method, for chain messages.
    pub method: Option<u64>,
}

// market.DealProposal, 11 fields.
#[derive(Deserialize_tuple)]
#[allow(dead_code)]
struct DealProposal {
    piece_cid: Cid,
    piece_size: u64,
    verified: bool,
    client: Address,
    provider: Address,
    label: IgnoredAny,
    start: i64,
    end: i64,
    price: TokenAmount,
    provider_collateral: TokenAmount,
    client_collateral: TokenAmount,
}

// paych.SignedVoucher, 11 fields; it signs itself with Signature null.
#[derive(Serialize_tuple, Deserialize_tuple)]
struct SignedVoucher {
    channel: Address,
    time_lock_min: i64,
    time_lock_max: i64,
    #[serde(with = "strict_bytes")]
    secret_hash: Vec<u8>,
    extra: Option<(Address, u64, RawBytes)>,
    lane: u64,
    nonce: u64,
    amount: TokenAmount,
    min_settle_height: i64,
    merges: Vec<(u64, u64)>,
    signature: Option<Signature>,
}

// storagemarket.StorageAsk, 8 fields.
#[derive(Deserialize_tuple)]
#[allow(dead_code)]
struct StorageAsk {
    price: TokenAmount,
    verified_price: TokenAmount,
    min_piece_size: u64,
    max_piece_size: u64,
    miner: Address,
    timestamp: i64,
    expiry: i64,
    seq_no: u64,
}

/// go-fil-markets' map-encoded structs: the keys that identify each.
fn required_keys(t: MsgType) -> &'static [&'static str] {
    match t {
        MsgType::AskResponse => &["Ask"],
        MsgType::NetworkResponse => &["Response", "Signature"],
        MsgType::ClientDeal => &["ClientDealProposal", "ProposalCid", "State"],
        MsgType::ProviderDealState => &["State", "Proposal", "ProposalCid"],
        _ => &[],
    }
}

fn mismatch(t: MsgType, why: impl std::fmt::Display) -> WalletError {
    WalletError::Mismatch(format!("MsgMeta.Extra is not a valid {t:?}: {why}"))
}

/// A refusal by [`MsgMeta::check`], as a [`WalletError::Mismatch`]: its own
/// reason when it refused the request, else why the object did not decode.
fn refused(t: MsgType, e: venus_core::Error) -> WalletError {
    match e {
        venus_core::Error::SignRefused(why) => WalletError::Mismatch(why),
        other => mismatch(t, other),
    }
}

/// Recomputes the bytes to sign from `meta` and checks them against `to_sign`.
/// `unknown` passes here (only a policy can allow raw bytes).
pub fn check(signer: &Address, to_sign: &[u8], meta: &MsgMeta) -> Result<Signed> {
    let t = meta.msg_type;
    let (expected, signed) = match t {
        MsgType::Unknown => {
            return Ok(Signed {
                object: hex::encode(blake2b_256(to_sign)),
                method: None,
            })
        }
        MsgType::F3 => {
            meta.check(signer, to_sign).map_err(|e| refused(t, e))?;
            return Ok(hashed(to_sign));
        }
        MsgType::ChainMsg => {
            // venus-core checks the From and that the bytes are the CID;
            // the wallet still reads the method for its policies.
            meta.check(signer, to_sign).map_err(|e| refused(t, e))?;
            let msg: Message = from_cbor(&meta.extra).map_err(|e| mismatch(t, e))?;
            return Ok(Signed {
                object: message_cid(&msg)?.to_string(),
                method: Some(msg.method_num),
            });
        }
        MsgType::Block => {
            meta.check(signer, to_sign).map_err(|e| refused(t, e))?;
            let h = meta.block_header(to_sign).map_err(|e| mismatch(t, e))?;
            return Ok(Signed {
                object: h.cid()?.to_string(),
                method: None,
            });
        }
        MsgType::DrawRandomParam => {
            meta.check(signer, to_sign).map_err(|e| refused(t, e))?;
            return Ok(Signed {
                object: hex::encode(to_sign),
                method: None,
            });
        }
        MsgType::DealProposal => {
            from_cbor::<DealProposal>(&meta.extra).map_err(|e| mismatch(t, e))?;
            (meta.extra.clone(), hashed(&meta.extra))
        }
        MsgType::SignedVoucher => {
            let mut v: SignedVoucher = from_cbor(&meta.extra).map_err(|e| mismatch(t, e))?;
            v.signature = None;
            let bytes = to_cbor(&v)?;
            let s = hashed(&bytes);
            (bytes, s)
        }
        MsgType::StorageAsk => {
            from_cbor::<StorageAsk>(&meta.extra).map_err(|e| mismatch(t, e))?;
            (meta.extra.clone(), hashed(&meta.extra))
        }
        MsgType::AskResponse
        | MsgType::NetworkResponse
        | MsgType::ClientDeal
        | MsgType::ProviderDealState => {
            let map: BTreeMap<String, IgnoredAny> =
                from_cbor(&meta.extra).map_err(|e| mismatch(t, e))?;
            if let Some(k) = required_keys(t).iter().find(|k| !map.contains_key(**k)) {
                return Err(mismatch(t, format!("missing field {k}")));
            }
            (meta.extra.clone(), hashed(&meta.extra))
        }
        MsgType::VerifyAddress => {
            // Proof of control: the signature covers sha256 of the challenge in Extra.
            if meta.extra.is_empty() {
                return Err(mismatch(t, "empty challenge"));
            }
            let digest = Sha256::digest(&meta.extra).to_vec();
            let s = hashed(&digest);
            (digest, s)
        }
    };
    if expected != to_sign {
        return Err(WalletError::Mismatch(format!(
            "the bytes to sign are not those of the {t:?} in MsgMeta.Extra"
        )));
    }
    Ok(signed)
}

fn hashed(b: &[u8]) -> Signed {
    Signed {
        object: hex::encode(blake2b_256(b)),
        method: None,
    }
}
