//! Signature verification and BLS aggregation.

use bls_signatures::Serialize as _;
use fvm_shared::address::{Address, Payload};
use fvm_shared::crypto::signature::{Signature, SignatureType};

use crate::encoding::blake2b_256;
use crate::{Error, Result};

/// The compressed point at infinity: the aggregate of no BLS signatures,
/// which is what a block with no BLS messages carries.
pub const BLS_INFINITY_SIGNATURE: [u8; 96] = {
    let mut b = [0u8; 96];
    b[0] = 0xc0;
    b
};

/// Verifies `sig` over `data` for `addr`, dispatching on the signature type.
///
/// secp256k1 signatures are checked by recovering the public key from the
/// signature over blake2b-256(`data`) and comparing its f1 address; BLS
/// signatures against the public key in the f3 address.
pub fn verify(sig: &Signature, data: &[u8], addr: &Address) -> Result<()> {
    match sig.sig_type {
        SignatureType::Secp256k1 => verify_secp(&sig.bytes, data, addr),
        SignatureType::BLS => verify_bls(&sig.bytes, data, addr),
    }
}

/// The f1 address of an uncompressed (65-byte) secp256k1 public key.
pub fn secp_address(pubkey: &[u8]) -> Result<Address> {
    Address::new_secp256k1(pubkey).map_err(Error::from)
}

/// Verifies a 65-byte `r‖s‖v` secp256k1 signature by public-key recovery.
pub fn verify_secp(sig: &[u8], data: &[u8], addr: &Address) -> Result<()> {
    if addr.protocol() != fvm_shared::address::Protocol::Secp256k1 {
        return Err(Error::InvalidSignature(format!(
            "secp256k1 signature for non-secp address {addr}"
        )));
    }
    if sig.len() != 65 {
        return Err(Error::Crypto(format!(
            "secp256k1 signature must be 65 bytes, got {}",
            sig.len()
        )));
    }
    let hash = blake2b_256(data);
    let msg = libsecp256k1::Message::parse(&hash);
    let rs = libsecp256k1::Signature::parse_standard_slice(&sig[..64])
        .map_err(|e| Error::Crypto(format!("secp256k1 signature: {e:?}")))?;
    let v = libsecp256k1::RecoveryId::parse(sig[64])
        .map_err(|e| Error::Crypto(format!("secp256k1 recovery id: {e:?}")))?;
    let key = libsecp256k1::recover(&msg, &rs, &v)
        .map_err(|e| Error::InvalidSignature(format!("secp256k1 recovery failed: {e:?}")))?;
    let recovered = secp_address(&key.serialize())?;
    if recovered != *addr {
        return Err(Error::InvalidSignature(format!(
            "secp256k1 signature is by {recovered}, not {addr}"
        )));
    }
    Ok(())
}

fn bls_key_of(addr: &Address) -> Result<bls_signatures::PublicKey> {
    match addr.payload() {
        Payload::BLS(pk) => bls_signatures::PublicKey::from_bytes(pk)
            .map_err(|e| Error::Crypto(format!("BLS public key of {addr}: {e}"))),
        _ => Err(Error::InvalidSignature(format!(
            "BLS signature for non-BLS address {addr}"
        ))),
    }
}

fn bls_sig(sig: &[u8]) -> Result<bls_signatures::Signature> {
    bls_signatures::Signature::from_bytes(sig)
        .map_err(|e| Error::Crypto(format!("BLS signature ({} bytes): {e}", sig.len())))
}

/// Verifies a 96-byte BLS signature over `data` for an f3 address.
pub fn verify_bls(sig: &[u8], data: &[u8], addr: &Address) -> Result<()> {
    let pk = bls_key_of(addr)?;
    let sig = bls_sig(sig)?;
    if !bls_signatures::verify_messages(&sig, &[data], &[pk]) {
        return Err(Error::InvalidSignature(format!(
            "BLS signature does not verify for {addr}"
        )));
    }
    Ok(())
}

/// Verifies a block's BLS aggregate over its BLS messages' CID bytes, each
/// signed by the corresponding f3 address. With no messages the aggregate
/// must be the point at infinity.
pub fn verify_bls_aggregate(sig: &[u8], data: &[&[u8]], signers: &[Address]) -> Result<()> {
    if data.len() != signers.len() {
        return Err(Error::Crypto(format!(
            "{} messages but {} signers",
            data.len(),
            signers.len()
        )));
    }
    if data.is_empty() {
        return if sig == BLS_INFINITY_SIGNATURE {
            Ok(())
        } else {
            Err(Error::InvalidSignature(
                "aggregate of no BLS messages must be the point at infinity".into(),
            ))
        };
    }
    // A sender's key is parsed (a point decompression and subgroup check)
    // once, however many of its messages the block carries.
    let mut parsed: std::collections::HashMap<&Address, bls_signatures::PublicKey> =
        std::collections::HashMap::new();
    let mut keys = Vec::with_capacity(signers.len());
    for a in signers {
        let key = match parsed.get(a) {
            Some(k) => *k,
            None => {
                let k = bls_key_of(a)?;
                parsed.insert(a, k);
                k
            }
        };
        keys.push(key);
    }
    if !bls_signatures::verify_messages(&bls_sig(sig)?, data, &keys) {
        return Err(Error::InvalidSignature(
            "BLS aggregate does not verify".into(),
        ));
    }
    Ok(())
}

/// Aggregates BLS signatures into a block's `BLSAggregate`.
pub fn bls_aggregate<'a>(sigs: impl IntoIterator<Item = &'a Signature>) -> Result<Signature> {
    let parsed = sigs
        .into_iter()
        .map(|s| match s.sig_type {
            SignatureType::BLS => bls_sig(&s.bytes),
            SignatureType::Secp256k1 => Err(Error::Crypto(
                "cannot aggregate a secp256k1 signature".into(),
            )),
        })
        .collect::<Result<Vec<_>>>()?;
    if parsed.is_empty() {
        return Ok(Signature::new_bls(BLS_INFINITY_SIGNATURE.to_vec()));
    }
    let agg = bls_signatures::aggregate(&parsed).map_err(|e| Error::Crypto(e.to_string()))?;
    Ok(Signature::new_bls(agg.as_bytes()))
}
