//! Private keys: generation, addresses, signing, and Lotus's KeyInfo export.

use bls_signatures::Serialize as _;
use fvm_shared::address::Address;
use fvm_shared::crypto::signature::{Signature, SignatureType};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::encoding::blake2b_256;
use crate::{Error, Result};

/// A BLS or secp256k1 private key. The bytes are zeroized on drop.
///
/// BLS keys are 32 little-endian bytes, as Lotus stores them; secp256k1 keys
/// are 32 big-endian bytes.
#[derive(Clone)]
pub struct PrivateKey {
    key_type: SignatureType,
    bytes: Zeroizing<Vec<u8>>,
}

impl std::fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PrivateKey({:?}, <redacted>)", self.key_type)
    }
}

impl PrivateKey {
    /// Generates a key from OS randomness.
    pub fn generate(key_type: SignatureType) -> Self {
        let mut rng = rand::rngs::OsRng;
        match key_type {
            SignatureType::BLS => {
                let sk = bls_signatures::PrivateKey::generate(&mut rng);
                PrivateKey {
                    key_type,
                    bytes: Zeroizing::new(sk.as_bytes()),
                }
            }
            SignatureType::Secp256k1 => loop {
                let mut b = Zeroizing::new([0u8; 32]);
                rng.fill_bytes(b.as_mut());
                // Rejection sampling: retry the ~2^-128 chance of an out-of-range scalar.
                if libsecp256k1::SecretKey::parse(&b).is_ok() {
                    return PrivateKey {
                        key_type,
                        bytes: Zeroizing::new(b.to_vec()),
                    };
                }
            },
        }
    }

    /// Loads a key from its bytes, checking that they form a valid key.
    pub fn from_bytes(key_type: SignatureType, bytes: &[u8]) -> Result<Self> {
        let key = PrivateKey {
            key_type,
            bytes: Zeroizing::new(bytes.to_vec()),
        };
        key.public_key()?;
        Ok(key)
    }

    /// The key type.
    pub fn key_type(&self) -> SignatureType {
        self.key_type
    }

    /// The private key bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The public key: 48 bytes (BLS, compressed G1) or 65 (secp256k1, uncompressed).
    pub fn public_key(&self) -> Result<Vec<u8>> {
        match self.key_type {
            SignatureType::BLS => Ok(self.bls()?.public_key().as_bytes()),
            SignatureType::Secp256k1 => Ok(libsecp256k1::PublicKey::from_secret_key(&self.secp()?)
                .serialize()
                .to_vec()),
        }
    }

    /// The f1 or f3 address of the key.
    pub fn address(&self) -> Result<Address> {
        let pk = self.public_key()?;
        Ok(match self.key_type {
            SignatureType::BLS => Address::new_bls(&pk)?,
            SignatureType::Secp256k1 => Address::new_secp256k1(&pk)?,
        })
    }

    /// Signs `data`: BLS directly; secp256k1 over blake2b-256(`data`), giving `r‖s‖v`.
    pub fn sign(&self, data: &[u8]) -> Result<Signature> {
        match self.key_type {
            SignatureType::BLS => Ok(Signature::new_bls(self.bls()?.sign(data).as_bytes())),
            SignatureType::Secp256k1 => {
                let msg = libsecp256k1::Message::parse(&blake2b_256(data));
                let (sig, rec) = libsecp256k1::sign(&msg, &self.secp()?);
                let mut out = sig.serialize().to_vec();
                out.push(rec.serialize());
                Ok(Signature::new_secp256k1(out))
            }
        }
    }

    fn bls(&self) -> Result<bls_signatures::PrivateKey> {
        bls_signatures::PrivateKey::from_bytes(&self.bytes)
            .map_err(|e| Error::Crypto(format!("BLS private key: {e}")))
    }

    fn secp(&self) -> Result<libsecp256k1::SecretKey> {
        libsecp256k1::SecretKey::parse_slice(&self.bytes)
            .map_err(|e| Error::Crypto(format!("secp256k1 private key: {e:?}")))
    }
}

/// Lotus's `KeyInfo`: `{"Type": "bls"|"secp256k1", "PrivateKey": base64}`.
/// `lotus wallet export` prints the hex of this JSON.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyInfo {
    /// `bls` or `secp256k1`.
    #[serde(rename = "Type")]
    pub key_type: String,
    /// The private key bytes.
    #[serde(rename = "PrivateKey", with = "crate::json::base64_bytes")]
    pub private_key: Vec<u8>,
}

impl std::fmt::Debug for KeyInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "KeyInfo({}, <redacted>)", self.key_type)
    }
}

impl Drop for KeyInfo {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.private_key);
    }
}

impl KeyInfo {
    /// Parses `lotus wallet export` output (hex of the KeyInfo JSON).
    pub fn from_lotus_export(hex_str: &str) -> Result<PrivateKey> {
        let json = Zeroizing::new(
            hex::decode(hex_str.trim())
                .map_err(|e| Error::Json(format!("export is not hex: {e}")))?,
        );
        let ki: KeyInfo = serde_json::from_slice(&json)?;
        ki.to_private_key()
    }

    /// The key this info holds.
    pub fn to_private_key(&self) -> Result<PrivateKey> {
        let t = match self.key_type.as_str() {
            "bls" => SignatureType::BLS,
            "secp256k1" => SignatureType::Secp256k1,
            other => return Err(Error::Json(format!("unknown key type {other:?}"))),
        };
        PrivateKey::from_bytes(t, &self.private_key)
    }

    /// The KeyInfo of a key, to export as Lotus does.
    pub fn from_private_key(key: &PrivateKey) -> Self {
        KeyInfo {
            key_type: match key.key_type() {
                SignatureType::BLS => "bls",
                SignatureType::Secp256k1 => "secp256k1",
            }
            .into(),
            private_key: key.bytes().to_vec(),
        }
    }

    /// `lotus wallet export` format: hex of this JSON.
    pub fn to_lotus_export(&self) -> Result<String> {
        let json = Zeroizing::new(serde_json::to_vec(self)?);
        Ok(hex::encode(&*json))
    }
}
