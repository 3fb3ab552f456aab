//! Prover ids, commitment CIDs, proof types and what a sealed sector is known by.
//!
//! [`SectorRef`] is re-exported here from its own module: [`SealerError`]
//! names sectors, and the helpers here return it, so the two cannot share a file.

use cid::Cid;
use serde::{Deserialize, Serialize};
use venus_core::shared::address::Address;
use venus_core::shared::commcid;
use venus_core::shared::sector::{RegisteredPoStProof, RegisteredSealProof, SectorNumber};
use venus_core::shared::ActorID;

use crate::error::{Result, SealerError};
pub use crate::sector::SectorRef;

/// A 32-byte commitment (CommR, CommD or a piece's CommP).
pub type Commitment = [u8; 32];

/// The prover id of a miner, as Lotus derives it: the ID address payload
/// (the LEB128 actor id), zero-padded to 32 bytes.
pub fn prover_id(miner: ActorID) -> [u8; 32] {
    let payload = Address::new_id(miner).payload_bytes();
    let mut id = [0u8; 32];
    id[..payload.len()].copy_from_slice(&payload);
    id
}

/// The actor id of an ID address (`f01000`/`t01000`); any other address is an error.
pub fn actor_id(miner: &Address) -> Result<ActorID> {
    miner
        .id()
        .map_err(|_| SealerError::InvalidInput(format!("miner {miner} is not an ID address")))
}

/// The sealed CID (`bagboea4b5abc…`) of a CommR.
pub fn sealed_cid(comm_r: &Commitment) -> Result<Cid> {
    commcid::replica_commitment_v1_to_cid(comm_r)
        .map_err(|e| SealerError::InvalidInput(format!("CommR: {e}")))
}

/// The unsealed CID (`baga6ea4seaq…`) of a CommD.
pub fn unsealed_cid(comm_d: &Commitment) -> Result<Cid> {
    commcid::data_commitment_v1_to_cid(comm_d)
        .map_err(|e| SealerError::InvalidInput(format!("CommD: {e}")))
}

/// The CommR inside a sealed CID; any other CID is an error.
pub fn comm_r(sealed: &Cid) -> Result<Commitment> {
    commcid::cid_to_replica_commitment_v1(sealed)
        .map_err(|e| SealerError::InvalidInput(format!("sealed CID {sealed}: {e}")))
}

/// The CommD inside an unsealed CID; any other CID is an error.
pub fn comm_d(unsealed: &Cid) -> Result<Commitment> {
    commcid::cid_to_data_commitment_v1(unsealed)
        .map_err(|e| SealerError::InvalidInput(format!("unsealed CID {unsealed}: {e}")))
}

/// The sector size in bytes of a seal proof type.
pub fn sector_bytes(proof: RegisteredSealProof) -> Result<u64> {
    proof
        .sector_size()
        .map(|s| s as u64)
        .map_err(SealerError::UnsupportedProof)
}

/// The winning and window PoSt types for sectors sealed with `seal`.
pub fn post_proofs(seal: RegisteredSealProof) -> Result<[RegisteredPoStProof; 2]> {
    let winning = venus_core::traits::winning_post_type(seal)
        .map_err(|e| SealerError::UnsupportedProof(e.to_string()))?;
    let window = seal
        .registered_window_post_proof()
        .map_err(SealerError::UnsupportedProof)?;
    Ok([winning, window])
}

/// Parses `2KiB`, `8MiB`, `512MiB`, `32GiB`, `64GiB` (or a byte count) into the
/// current (V1_1) seal proof type for that size.
pub fn seal_proof_for_size(size: &str) -> Result<RegisteredSealProof> {
    use RegisteredSealProof::*;
    Ok(match size.trim() {
        "2KiB" | "2048" => StackedDRG2KiBV1P1,
        "8MiB" | "8388608" => StackedDRG8MiBV1P1,
        "512MiB" | "536870912" => StackedDRG512MiBV1P1,
        "32GiB" | "34359738368" => StackedDRG32GiBV1P1,
        "64GiB" | "68719476736" => StackedDRG64GiBV1P1,
        other => {
            return Err(SealerError::InvalidInput(format!(
                "unknown sector size {other:?} (one of 2KiB, 8MiB, 512MiB, 32GiB, 64GiB)"
            )))
        }
    })
}

/// What a sealed sector is known by: its number, CommR, CommD and seal type.
///
/// Serialised with Lotus's genesis key names (`SectorID`, `CommR`, `CommD`,
/// `ProofType`), so pre-seal output reads like `lotus-seed`'s.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SealedSector {
    /// The sector number.
    #[serde(rename = "SectorID")]
    pub number: SectorNumber,
    /// The sealed CID (CommR).
    #[serde(rename = "CommR", with = "cid_json")]
    pub sealed_cid: Cid,
    /// The unsealed CID (CommD).
    #[serde(rename = "CommD", with = "cid_json")]
    pub unsealed_cid: Cid,
    /// The seal proof type, as its registered number (5 for 2KiB V1_1).
    #[serde(rename = "ProofType", with = "seal_proof_json")]
    pub proof: RegisteredSealProof,
}

impl SealedSector {
    /// The sector as the chain's `MinerGetBaseInfo` lists it (no snap-deal key).
    pub fn sector_info(&self) -> venus_core::types::ExtendedSectorInfo {
        venus_core::types::ExtendedSectorInfo {
            seal_proof: self.proof,
            sector_number: self.number,
            sector_key: None,
            sealed_cid: self.sealed_cid,
        }
    }
}

/// CIDs as Lotus JSON `{"/": "bagboea…"}`.
pub(crate) mod cid_json {
    use cid::Cid;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    #[derive(Serialize, Deserialize)]
    struct Link {
        #[serde(rename = "/")]
        link: String,
    }

    pub fn serialize<S: Serializer>(c: &Cid, s: S) -> Result<S::Ok, S::Error> {
        Link {
            link: c.to_string(),
        }
        .serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Cid, D::Error> {
        let l = Link::deserialize(d)?;
        l.link.parse().map_err(serde::de::Error::custom)
    }
}

mod seal_proof_json {
    use serde::{Deserialize, Deserializer, Serializer};
    use venus_core::shared::sector::RegisteredSealProof;

    pub fn serialize<S: Serializer>(p: &RegisteredSealProof, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_i64(i64::from(*p))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<RegisteredSealProof, D::Error> {
        let n = i64::deserialize(d)?;
        let p = RegisteredSealProof::from(n);
        if let RegisteredSealProof::Invalid(n) = p {
            return Err(serde::de::Error::custom(format!(
                "unknown seal proof type {n}"
            )));
        }
        Ok(p)
    }
}
