//! Lotus JSON for the leaf types that come from `fvm_shared` and `cid`.

use std::str::FromStr;

use cid::Cid;
use fvm_ipld_encoding::RawBytes;
use fvm_shared::address::Address;
use fvm_shared::bigint::BigInt;
use fvm_shared::crypto::signature::{Signature, SignatureType};
use fvm_shared::econ::TokenAmount;
use fvm_shared::error::ExitCode;
use fvm_shared::message::Message;
use fvm_shared::receipt::Receipt;
use fvm_shared::sector::{PoStProof, RegisteredPoStProof, RegisteredSealProof};
use serde::{Deserialize, Serialize};

use super::{base64_bytes, lotus_json, LotusJson};
use crate::encoding::cid_of;

impl LotusJson for Address {
    type Json = String;
    fn to_lotus_json(&self) -> String {
        self.to_string()
    }
    fn from_lotus_json(json: String) -> Result<Self, String> {
        crate::address::parse(&json).map_err(|e| format!("{json:?}: {e}"))
    }
}

/// A CID as Lotus writes it: `{"/": "bafy…"}`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct CidJson {
    /// The CID's string form.
    #[serde(rename = "/")]
    pub cid: String,
}

impl LotusJson for Cid {
    type Json = CidJson;
    fn to_lotus_json(&self) -> CidJson {
        CidJson {
            cid: self.to_string(),
        }
    }
    fn from_lotus_json(json: CidJson) -> Result<Self, String> {
        Cid::from_str(&json.cid).map_err(|e| format!("invalid cid {:?}: {e}", json.cid))
    }
}

/// The longest decimal string a big integer may have: a sign and the 309
/// digits of the largest 128-byte magnitude (Lotus's `BigIntMaxSerializedLen`
/// bounds a big integer's CBOR at 128 bytes). Decimal parsing is quadratic
/// in the length, so longer strings are refused before parsing.
pub const MAX_BIGINT_DECIMAL_LEN: usize = 310;

impl LotusJson for BigInt {
    type Json = String;
    fn to_lotus_json(&self) -> String {
        self.to_string()
    }
    fn from_lotus_json(json: String) -> Result<Self, String> {
        if json.len() > MAX_BIGINT_DECIMAL_LEN {
            return Err(format!(
                "big integer of {} characters refused: at most {MAX_BIGINT_DECIMAL_LEN} \
                 (a 128-byte integer) are allowed",
                json.len()
            ));
        }
        BigInt::from_str(&json).map_err(|_| format!("invalid big integer {json:?}"))
    }
}

impl LotusJson for TokenAmount {
    type Json = String;
    fn to_lotus_json(&self) -> String {
        self.atto().to_string()
    }
    fn from_lotus_json(json: String) -> Result<Self, String> {
        BigInt::from_lotus_json(json).map(TokenAmount::from_atto)
    }
}

impl LotusJson for RawBytes {
    type Json = Option<String>;
    fn to_lotus_json(&self) -> Option<String> {
        use base64::Engine;
        (!self.is_empty()).then(|| base64::engine::general_purpose::STANDARD.encode(self.bytes()))
    }
    fn from_lotus_json(json: Option<String>) -> Result<Self, String> {
        use base64::Engine;
        match json.as_deref() {
            None | Some("") => Ok(RawBytes::default()),
            Some(s) => base64::engine::general_purpose::STANDARD
                .decode(s)
                .map(RawBytes::new)
                .map_err(|e| format!("invalid base64: {e}")),
        }
    }
}

/// A signature as Lotus writes it: `{"Type": 1|2, "Data": base64}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SignatureJson {
    /// 1 for secp256k1, 2 for BLS.
    #[serde(rename = "Type")]
    pub sig_type: u8,
    /// The signature bytes.
    #[serde(with = "base64_bytes")]
    pub data: Vec<u8>,
}

impl LotusJson for SignatureType {
    type Json = u8;
    fn to_lotus_json(&self) -> u8 {
        *self as u8
    }
    fn from_lotus_json(json: u8) -> Result<Self, String> {
        match json {
            1 => Ok(SignatureType::Secp256k1),
            2 => Ok(SignatureType::BLS),
            other => Err(format!("unknown signature type {other}")),
        }
    }
}

impl LotusJson for Signature {
    type Json = SignatureJson;
    fn to_lotus_json(&self) -> SignatureJson {
        SignatureJson {
            sig_type: self.sig_type as u8,
            data: self.bytes.clone(),
        }
    }
    fn from_lotus_json(json: SignatureJson) -> Result<Self, String> {
        Ok(Signature {
            sig_type: SignatureType::from_lotus_json(json.sig_type)?,
            bytes: json.data,
        })
    }
}

macro_rules! proof_json {
    ($($t:ty),*) => {$(
        impl LotusJson for $t {
            type Json = i64;
            fn to_lotus_json(&self) -> i64 { i64::from(*self) }
            fn from_lotus_json(json: i64) -> Result<Self, String> { Ok(<$t>::from(json)) }
        }
    )*};
}
proof_json!(RegisteredPoStProof, RegisteredSealProof);

impl LotusJson for ExitCode {
    type Json = u32;
    fn to_lotus_json(&self) -> u32 {
        self.value()
    }
    fn from_lotus_json(json: u32) -> Result<Self, String> {
        Ok(ExitCode::new(json))
    }
}

/// Lotus JSON of a [`PoStProof`].
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PoStProofJson {
    #[serde(rename = "PoStProof", with = "lotus_json")]
    post_proof: RegisteredPoStProof,
    #[serde(with = "base64_bytes")]
    proof_bytes: Vec<u8>,
}

impl LotusJson for PoStProof {
    type Json = PoStProofJson;
    fn to_lotus_json(&self) -> PoStProofJson {
        PoStProofJson {
            post_proof: self.post_proof,
            proof_bytes: self.proof_bytes.clone(),
        }
    }
    fn from_lotus_json(j: PoStProofJson) -> Result<Self, String> {
        Ok(PoStProof {
            post_proof: j.post_proof,
            proof_bytes: j.proof_bytes,
        })
    }
}

/// Lotus JSON of a [`Message`], with its computed `CID`.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct MessageJson {
    #[serde(default)]
    version: u64,
    #[serde(with = "lotus_json")]
    to: Address,
    #[serde(with = "lotus_json")]
    from: Address,
    nonce: u64,
    #[serde(with = "lotus_json")]
    value: TokenAmount,
    gas_limit: u64,
    #[serde(with = "lotus_json")]
    gas_fee_cap: TokenAmount,
    #[serde(with = "lotus_json")]
    gas_premium: TokenAmount,
    method: u64,
    #[serde(with = "lotus_json", default)]
    params: RawBytes,
    /// Written from the message itself; ignored when read, as Lotus does.
    #[serde(rename = "CID", default, skip_serializing_if = "Option::is_none")]
    cid: Option<CidJson>,
}

impl LotusJson for Message {
    type Json = MessageJson;
    fn to_lotus_json(&self) -> MessageJson {
        MessageJson {
            version: self.version,
            to: self.to,
            from: self.from,
            nonce: self.sequence,
            value: self.value.clone(),
            gas_limit: self.gas_limit,
            gas_fee_cap: self.gas_fee_cap.clone(),
            gas_premium: self.gas_premium.clone(),
            method: self.method_num,
            params: self.params.clone(),
            cid: cid_of(self).ok().map(|(c, _)| c.to_lotus_json()),
        }
    }
    fn from_lotus_json(j: MessageJson) -> Result<Self, String> {
        for (name, v) in [
            ("Value", &j.value),
            ("GasFeeCap", &j.gas_fee_cap),
            ("GasPremium", &j.gas_premium),
        ] {
            if v.is_negative() {
                return Err(format!("message {name} is negative: {}", v.atto()));
            }
        }
        Ok(Message {
            version: j.version,
            from: j.from,
            to: j.to,
            sequence: j.nonce,
            value: j.value,
            method_num: j.method,
            params: j.params,
            gas_limit: j.gas_limit,
            gas_fee_cap: j.gas_fee_cap,
            gas_premium: j.gas_premium,
        })
    }
}

/// Lotus JSON of a message [`Receipt`].
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ReceiptJson {
    #[serde(with = "lotus_json")]
    exit_code: ExitCode,
    #[serde(with = "lotus_json", default)]
    r#return: RawBytes,
    gas_used: u64,
    #[serde(with = "lotus_json", default)]
    events_root: Option<Cid>,
}

impl LotusJson for Receipt {
    type Json = ReceiptJson;
    fn to_lotus_json(&self) -> ReceiptJson {
        ReceiptJson {
            exit_code: self.exit_code,
            r#return: self.return_data.clone(),
            gas_used: self.gas_used,
            events_root: self.events_root,
        }
    }
    fn from_lotus_json(j: ReceiptJson) -> Result<Self, String> {
        Ok(Receipt {
            exit_code: j.exit_code,
            return_data: j.r#return,
            gas_used: j.gas_used,
            events_root: j.events_root,
        })
    }
}

#[cfg(test)]
mod bigint_tests {
    use super::*;

    #[test]
    fn decimal_strings_longer_than_a_128_byte_integer_are_refused_unparsed() {
        let largest: BigInt = (BigInt::from(1) << 1024u32) - 1;
        let text = largest.to_string();
        assert_eq!(text.len(), 309);
        assert_eq!(BigInt::from_lotus_json(text.clone()), Ok(largest.clone()));
        assert_eq!(
            BigInt::from_lotus_json(format!("-{text}")),
            Ok(-largest.clone())
        );
        // A megabyte of digits: quadratic to parse, refused by its length.
        let huge = "9".repeat(1 << 20);
        let err = TokenAmount::from_lotus_json(huge).expect_err("refused");
        assert!(err.contains("at most 310"), "{err}");
        assert!(BigInt::from_lotus_json("1".repeat(311)).is_err());
    }
}
