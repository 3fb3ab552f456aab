//! DAG-CBOR encoding and CIDs, as Lotus computes them.

use cid::multihash::Multihash;
use cid::Cid;
use serde::{de::DeserializeOwned, Serialize};

use crate::Result;

pub use fvm_ipld_encoding::{RawBytes, DAG_CBOR};

/// Multihash code of blake2b-256, the hash of every Filecoin chain CID.
pub const BLAKE2B_256: u64 = 0xb220;

/// blake2b-256 of `data`.
pub fn blake2b_256(data: &[u8]) -> [u8; 32] {
    let hash = blake2b_simd::Params::new().hash_length(32).hash(data);
    let mut out = [0u8; 32];
    out.copy_from_slice(hash.as_bytes());
    out
}

/// Encodes `value` as DAG-CBOR.
pub fn to_cbor<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>> {
    Ok(fvm_ipld_encoding::to_vec(value)?)
}

/// Decodes DAG-CBOR into `T`. Trailing bytes are an error.
pub fn from_cbor<T: DeserializeOwned>(bytes: &[u8]) -> Result<T> {
    Ok(fvm_ipld_encoding::from_slice(bytes)?)
}

/// The CIDv1 (DAG-CBOR, blake2b-256) of already-encoded CBOR bytes.
pub fn cid_of_cbor_bytes(bytes: &[u8]) -> Cid {
    let digest = blake2b_256(bytes);
    // A 32-byte digest always fits the 64-byte multihash, so wrap cannot fail.
    let mh = Multihash::<64>::wrap(BLAKE2B_256, &digest).expect("32-byte digest fits");
    Cid::new_v1(DAG_CBOR, mh)
}

/// Encodes `value` and returns its bytes with their CID.
pub fn cid_of<T: Serialize + ?Sized>(value: &T) -> Result<(Cid, Vec<u8>)> {
    let bytes = to_cbor(value)?;
    Ok((cid_of_cbor_bytes(&bytes), bytes))
}
