//! The chain's side of the proofs: [`SealVerifier`] for [`Prover`],
//! synchronous, for the executor's blocking thread. Parameters must be in
//! the cache already: verification never generates them.

use std::collections::BTreeMap;

use filecoin_proofs_api::{post, seal, PublicReplicaInfo, SectorId, UnpaddedBytesAmount};
use venus_core::shared::piece::{zero_piece_commitment, PaddedPieceSize, PieceInfo};
use venus_core::shared::sector::{RegisteredSealProof, SealVerifyInfo, WindowPoStVerifyInfo};
use venus_core::traits::SealVerifier;

use super::{api_post, api_seal, Prover};
use crate::error::{Result, SealerError};
use crate::params::{Circuit, ParamState};
use crate::types::{comm_d, comm_r, prover_id, sector_bytes, unsealed_cid};

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

    /// The CommD of `pieces` in a sector of type `proof`, zero pieces
    /// filling the gaps each piece's alignment leaves and the rest of the
    /// sector, as ref-fvm's `compute_unsealed_sector_cid` fills them.
    /// Piece sizes are checked first (powers of two of at least 128
    /// bytes, together no more than the sector), so no arithmetic on them
    /// can overflow.
    fn unsealed_cid_now(
        &self,
        proof: RegisteredSealProof,
        pieces: &[PieceInfo],
    ) -> Result<cid::Cid> {
        let api = api_seal(proof)?;
        let sector = sector_bytes(proof)?;
        let mut total: u128 = 0;
        for p in pieces {
            p.size
                .validate()
                .map_err(|e| SealerError::InvalidInput(format!("piece {}: {e}", p.cid)))?;
            total += u128::from(p.size.0);
        }
        if total > u128::from(sector) {
            return Err(SealerError::InvalidInput(format!(
                "pieces of {total} bytes do not fit a {sector}-byte sector"
            )));
        }
        let zero = |size: u64| filecoin_proofs_api::PieceInfo {
            commitment: zero_piece_commitment(PaddedPieceSize(size)),
            size: UnpaddedBytesAmount(PaddedPieceSize(size).unpadded().0),
        };
        // Zero pieces, smallest first, from `sum` up to a multiple of `align`.
        let pad = |all: &mut Vec<filecoin_proofs_api::PieceInfo>, sum: &mut u64, align: u64| {
            let mut fill = sum.wrapping_neg() % align;
            while fill != 0 {
                let size = 1u64 << fill.trailing_zeros();
                fill ^= size;
                all.push(zero(size));
                *sum += size;
            }
        };
        let mut all = Vec::with_capacity(pieces.len() * 2 + 1);
        let mut sum = 0u64;
        for p in pieces {
            pad(&mut all, &mut sum, p.size.0);
            all.push(filecoin_proofs_api::PieceInfo {
                commitment: comm_d(&p.cid)?,
                size: UnpaddedBytesAmount(p.size.unpadded().0),
            });
            sum += p.size.0;
        }
        if pieces.is_empty() {
            all.push(zero(sector));
        } else {
            pad(&mut all, &mut sum, sector);
        }
        let commd = seal::compute_comm_d(api, &all).map_err(|e| SealerError::proof("CommD", e))?;
        unsealed_cid(&commd)
    }
}

/// Runs a proofs-library call, turning a panic on bad input into an error
/// (the library asserts on some malformed inputs; a node must not die of
/// them), as ref-fvm's `catch_and_log_panic` does.
fn no_panic<T>(what: &str, f: impl FnOnce() -> Result<T>) -> Result<T> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).unwrap_or_else(|_| {
        Err(SealerError::InvalidInput(format!(
            "{what}: the proofs library panicked on this input"
        )))
    })
}

impl SealVerifier for Prover {
    fn verify_seal(&self, info: &SealVerifyInfo) -> venus_core::Result<bool> {
        Ok(no_panic("verify seal", || self.verify_seal_now(info))?)
    }

    fn verify_window_post(&self, info: &WindowPoStVerifyInfo) -> venus_core::Result<bool> {
        Ok(no_panic("verify window PoSt", || {
            self.verify_window_post_now(info)
        })?)
    }

    fn compute_unsealed_sector_cid(
        &self,
        proof: RegisteredSealProof,
        pieces: &[PieceInfo],
    ) -> venus_core::Result<cid::Cid> {
        Ok(no_panic("CommD", || self.unsealed_cid_now(proof, pieces))?)
    }
}
