//! Key encryption at rest: scrypt → AES-128-CTR, with an HMAC-SHA256 over the ciphertext.
//!
//! The 32-byte scrypt output is split: the first 16 bytes key AES-128-CTR,
//! the last 16 key the MAC. The MAC covers the KDF parameters, salt, IV and
//! ciphertext, so a wrong password and a tampered entry are both detected
//! before any plaintext is used, and are told apart only by whether other
//! entries open with the same password.

use aes::cipher::{KeyIvInit, StreamCipher};
use hmac::{Hmac, Mac};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::{Result, WalletError};

type Aes128Ctr = ctr::Ctr128BE<aes::Aes128>;

/// scrypt cost parameters, stored with each key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct KdfParams {
    /// log2 of N.
    pub log_n: u8,
    /// Block size.
    pub r: u32,
    /// Parallelism.
    pub p: u32,
}

impl KdfParams {
    /// Production default: N = 2^18, r = 8, p = 1 (about 256 MiB and a second per derivation).
    pub const PRODUCTION: KdfParams = KdfParams {
        log_n: 18,
        r: 8,
        p: 1,
    };
    /// For tests only: N = 2^10.
    pub const FAST_INSECURE: KdfParams = KdfParams {
        log_n: 10,
        r: 8,
        p: 1,
    };
}

impl Default for KdfParams {
    fn default() -> Self {
        Self::PRODUCTION
    }
}

/// One encrypted private key as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EncryptedKey {
    /// Format version (1).
    pub version: u8,
    /// scrypt parameters.
    pub kdf: KdfParams,
    /// 16-byte scrypt salt, hex.
    pub salt: String,
    /// 16-byte CTR IV, hex.
    pub iv: String,
    /// Ciphertext, hex.
    pub ciphertext: String,
    /// HMAC-SHA256 over version, params, salt, iv and ciphertext, hex.
    pub mac: String,
}

fn derive(password: &[u8], salt: &[u8], kdf: KdfParams) -> Result<Zeroizing<[u8; 32]>> {
    let params = scrypt::Params::new(kdf.log_n, kdf.r, kdf.p, 32)
        .map_err(|e| WalletError::Corrupt(format!("bad scrypt parameters: {e}")))?;
    let mut out = Zeroizing::new([0u8; 32]);
    scrypt::scrypt(password, salt, &params, out.as_mut())
        .map_err(|e| WalletError::Corrupt(format!("scrypt: {e}")))?;
    Ok(out)
}

fn mac(key: &[u8], kdf: KdfParams, salt: &[u8], iv: &[u8], ct: &[u8]) -> Result<Hmac<Sha256>> {
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(key)
        .map_err(|e| WalletError::Corrupt(e.to_string()))?;
    m.update(&[1, kdf.log_n]);
    m.update(&kdf.r.to_be_bytes());
    m.update(&kdf.p.to_be_bytes());
    m.update(salt);
    m.update(iv);
    m.update(ct);
    Ok(m)
}

fn unhex(field: &str, s: &str, len: Option<usize>) -> Result<Vec<u8>> {
    let b = hex::decode(s).map_err(|_| WalletError::Corrupt(format!("{field} is not hex")))?;
    match len {
        Some(n) if b.len() != n => Err(WalletError::Corrupt(format!(
            "{field} is {} bytes, expected {n}",
            b.len()
        ))),
        _ => Ok(b),
    }
}

/// Encrypts `plaintext` under `password`. CPU-heavy: call it off the async runtime.
pub fn encrypt(password: &[u8], plaintext: &[u8], kdf: KdfParams) -> Result<EncryptedKey> {
    let mut salt = [0u8; 16];
    let mut iv = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut salt);
    rand::rngs::OsRng.fill_bytes(&mut iv);
    let key = derive(password, &salt, kdf)?;
    let mut ct = plaintext.to_vec();
    Aes128Ctr::new(key[..16].into(), (&iv).into()).apply_keystream(&mut ct);
    let tag = mac(&key[16..], kdf, &salt, &iv, &ct)?
        .finalize()
        .into_bytes();
    Ok(EncryptedKey {
        version: 1,
        kdf,
        salt: hex::encode(salt),
        iv: hex::encode(iv),
        ciphertext: hex::encode(ct),
        mac: hex::encode(tag),
    })
}

/// Decrypts an entry. A MAC mismatch is [`WalletError::WrongPassword`]; a
/// malformed entry is [`WalletError::Corrupt`]. CPU-heavy: call it off the async runtime.
pub fn decrypt(password: &[u8], e: &EncryptedKey) -> Result<Zeroizing<Vec<u8>>> {
    if e.version != 1 {
        return Err(WalletError::Corrupt(format!(
            "unknown key format version {}",
            e.version
        )));
    }
    if e.kdf.log_n > 24
        || e.kdf.log_n == 0
        || e.kdf.r == 0
        || e.kdf.p == 0
        || u64::from(e.kdf.r) * u64::from(e.kdf.p) > 64
        // scrypt needs 128 · r · 2^log_n bytes: refuse more than 1 GiB (production
        // keys use 256 MiB) rather than let a damaged entry exhaust memory.
        || (128u64 * u64::from(e.kdf.r)) << e.kdf.log_n > 1 << 30
    {
        return Err(WalletError::Corrupt(format!(
            "implausible scrypt parameters {:?}",
            e.kdf
        )));
    }
    let salt = unhex("salt", &e.salt, Some(16))?;
    let iv = unhex("iv", &e.iv, Some(16))?;
    let ct = unhex("ciphertext", &e.ciphertext, None)?;
    let tag = unhex("mac", &e.mac, Some(32))?;
    if ct.is_empty() {
        return Err(WalletError::Corrupt("empty ciphertext".into()));
    }
    let key = derive(password, &salt, e.kdf)?;
    let m = mac(&key[16..], e.kdf, &salt, &iv, &ct)?;
    m.verify_slice(&tag)
        .map_err(|_| WalletError::WrongPassword)?;
    let mut pt = Zeroizing::new(ct);
    let iv: [u8; 16] = iv
        .try_into()
        .map_err(|_| WalletError::Corrupt("iv".into()))?;
    Aes128Ctr::new(key[..16].into(), (&iv).into()).apply_keystream(&mut pt);
    Ok(pt)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_wrong_password_and_tampering() {
        let e = encrypt(b"pw", b"secret key bytes", KdfParams::FAST_INSECURE).expect("encrypt");
        assert_eq!(
            &decrypt(b"pw", &e).expect("decrypt")[..],
            b"secret key bytes"
        );
        assert!(matches!(
            decrypt(b"nope", &e),
            Err(WalletError::WrongPassword)
        ));
        let mut t = e.clone();
        t.ciphertext.replace_range(
            0..2,
            if &t.ciphertext[0..2] == "00" {
                "01"
            } else {
                "00"
            },
        );
        assert!(matches!(
            decrypt(b"pw", &t),
            Err(WalletError::WrongPassword)
        ));
        let mut short = e.clone();
        short.iv.truncate(10);
        assert!(matches!(
            decrypt(b"pw", &short),
            Err(WalletError::Corrupt(_))
        ));
        let mut weird = e;
        weird.kdf.log_n = 60;
        assert!(matches!(
            decrypt(b"pw", &weird),
            Err(WalletError::Corrupt(_))
        ));
    }
}
