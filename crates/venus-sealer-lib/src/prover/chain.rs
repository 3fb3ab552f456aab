//! The chain's side of the proofs: [`SealVerifier`] for [`Prover`],
//! synchronous, for the executor's blocking thread. Parameters must be in
//! the cache already: verification never generates them.

use std::collections::BTreeMap;

use filecoin_proofs_api::{post, seal, PublicReplicaInfo, SectorId, UnpaddedBytesAmount};
use venus_core::shared::piece::PieceInfo;
use venus_core::shared::sector::{RegisteredSealProof, SealVerifyInfo, WindowPoStVerifyInfo};
use venus_core::traits::SealVerifier;

use super::{api_post, api_seal, Prover};
use crate::error::{Result, SealerError};
use crate::params::{Circuit, ParamState};
use crate::types::{comm_d, comm_r, prover_id, unsealed_cid};

fn randomness(what: &str, r: &[u8]) -> Result<[u8; 32]> {
    r.try_into().map_err(|_| {
        SealerError::InvalidInput(format!("{what}: {} bytes of randomness, not 32", r.len()))
    })
}

impl Prover {
    /// Fails unless `circuit`'s parameters are in the cache and intact.
    fn params_present(&self, circuit: Circuit) -> Result<()> {
        if self.params().is_verified(circuit) {
            return Ok(());
        }
        match self.params().verify(circuit)? {
            ParamState::Valid => Ok(()),
            other => Err(SealerError::Params {
                circuit: circuit.to_string(),
                reason: format!(
                    "{other:?} in {}; run `venus-sealer params` for this sector size first",
                    self.params().dir().display()
                ),
            }),
        }
    }

    fn verify_seal_now(&self, info: &SealVerifyInfo) -> Result<bool> {
        let api = api_seal(info.registered_proof)?;
        self.params_present(Circuit::PoRep(info.registered_proof))?;
        seal::verify_seal(
            api,
            comm_r(&info.sealed_cid)?,
            comm_d(&info.unsealed_cid)?,
            prover_id(info.sector_id.miner),
            SectorId::from(info.sector_id.number),
            randomness("seal ticket", &info.randomness.0)?,
            randomness("interactive seed", &info.interactive_randomness.0)?,
            &info.proof,
        )
        .map_err(|e| SealerError::proof("verify seal", e))
    }

    fn verify_window_post_now(&self, info: &WindowPoStVerifyInfo) -> Result<bool> {
        let [proof] = info.proofs.as_slice() else {
            return Err(SealerError::InvalidInput(format!(
                "window PoSt: expected exactly one proof, got {}",
                info.proofs.len()
            )));
        };
        let post_type = proof.post_proof;
        let api = api_post(post_type)?;
        self.params_present(Circuit::PoSt(post_type))?;
        let mut replicas = BTreeMap::new();
        for s in &info.challenged_sectors {
            replicas.insert(
                SectorId::from(s.sector_number),
                PublicReplicaInfo::new(api, comm_r(&s.sealed_cid)?),
            );
        }
        let mut r = randomness("window PoSt", &info.randomness.0)?;
        // The field element the chain's randomness becomes.
        r[31] &= 0x3f;
        post::verify_window_post(
            &r,
            &[(api, proof.proof_bytes.as_slice())],
            &replicas,
            prover_id(info.prover),
        )
        .map_err(|e| SealerError::proof("verify window PoSt", e))
    }

    fn unsealed_cid_now(
        &self,
        proof: RegisteredSealProof,
        pieces: &[PieceInfo],
    ) -> Result<cid::Cid> {
        let api = api_seal(proof)?;
        let pieces = pieces
            .iter()
            .map(|p| {
                Ok(filecoin_proofs_api::PieceInfo {
                    commitment: comm_d(&p.cid)?,
                    size: UnpaddedBytesAmount(p.size.unpadded().0),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let commd =
            seal::compute_comm_d(api, &pieces).map_err(|e| SealerError::proof("CommD", e))?;
        unsealed_cid(&commd)
    }
}

impl SealVerifier for Prover {
    fn verify_seal(&self, info: &SealVerifyInfo) -> venus_core::Result<bool> {
        Ok(self.verify_seal_now(info)?)
    }

    fn verify_window_post(&self, info: &WindowPoStVerifyInfo) -> venus_core::Result<bool> {
        Ok(self.verify_window_post_now(info)?)
    }

    fn compute_unsealed_sector_cid(
        &self,
        proof: RegisteredSealProof,
        pieces: &[PieceInfo],
    ) -> venus_core::Result<cid::Cid> {
        Ok(self.unsealed_cid_now(proof, pieces)?)
    }
}
