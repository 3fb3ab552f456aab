//! [`ComputeProof`] and [`ProofVerifier`]: winning PoSt, computed where the
//! sectors are; [`SealVerifier`]: the chain's seal and window PoSt checks.

use async_trait::async_trait;
use fvm_shared::address::Address;
use fvm_shared::piece::PieceInfo;
use fvm_shared::sector::{
    PoStProof, RegisteredPoStProof, RegisteredSealProof, SealVerifyInfo, WindowPoStVerifyInfo,
};

use crate::encoding::blake2b_256;
use crate::types::ExtendedSectorInfo;
use crate::{Error, Result};

/// Computes a winning PoSt over a miner's challenged sectors.
///
/// Contract: deterministic inputs, CPU-heavy work. Implementations run the
/// proof off the async runtime's workers (e.g. `spawn_blocking`). Dropping
/// the future abandons the result but may not stop work already started.
/// A missing or unreadable sector is an error naming the sector.
#[async_trait]
pub trait ComputeProof: Send + Sync {
    /// The winning PoSt for `miner` (an ID address) over `sectors`, seeded by `randomness`.
    async fn compute_winning_post(
        &self,
        miner: &Address,
        sectors: &[ExtendedSectorInfo],
        randomness: &[u8; 32],
    ) -> Result<Vec<PoStProof>>;
}

/// Verifies a winning PoSt; the chain's side of [`ComputeProof`].
///
/// Contract: `Ok(false)` for a well-formed proof that does not verify; `Err`
/// for malformed input. Idempotent and cancel-safe.
#[async_trait]
pub trait ProofVerifier: Send + Sync {
    /// Whether `proofs` prove `sectors` for `miner` under `randomness`.
    async fn verify_winning_post(
        &self,
        miner: &Address,
        sectors: &[ExtendedSectorInfo],
        randomness: &[u8; 32],
        proofs: &[PoStProof],
    ) -> Result<bool>;

    /// Which of a miner's `eligible` sectors (positions in ascending
    /// sector-number order) a winning PoSt of type `proof` under
    /// `randomness` must prove: Lotus's `GenerateWinningPoStSectorChallenge`,
    /// which a node needs for `MinerGetBaseInfo` and block validation.
    async fn winning_post_challenge(
        &self,
        proof: RegisteredPoStProof,
        miner: &Address,
        randomness: &[u8; 32],
        eligible: u64,
    ) -> Result<Vec<u64>>;
}

/// Verifies seal proofs and window PoSts for the chain's executor, which
/// runs synchronously on a blocking thread (the FVM's verification
/// syscalls).
///
/// Contract: `Ok(false)` for a well-formed proof that does not verify;
/// `Err` when the proof cannot be checked at all (malformed input, missing
/// parameters). CPU-heavy: call it off the async runtime's workers.
pub trait SealVerifier: Send + Sync {
    /// Whether `info.proof` proves the sealing of `info`'s sector.
    fn verify_seal(&self, info: &SealVerifyInfo) -> Result<bool>;
    /// Whether `info.proofs` prove `info.challenged_sectors` for
    /// `info.prover` under `info.randomness`.
    fn verify_window_post(&self, info: &WindowPoStVerifyInfo) -> Result<bool>;
    /// The CommD of a sector of type `proof` holding `pieces`, in order
    /// (zero padding where they leave room).
    fn compute_unsealed_sector_cid(
        &self,
        proof: RegisteredSealProof,
        pieces: &[PieceInfo],
    ) -> Result<cid::Cid>;
}

/// The winning PoSt type for a seal type.
pub fn winning_post_type(seal: RegisteredSealProof) -> Result<RegisteredPoStProof> {
    use fvm_shared::sector::SectorSize::*;
    let size = seal.sector_size().map_err(Error::Crypto)?;
    Ok(match size {
        _2KiB => RegisteredPoStProof::StackedDRGWinning2KiBV1,
        _8MiB => RegisteredPoStProof::StackedDRGWinning8MiBV1,
        _512MiB => RegisteredPoStProof::StackedDRGWinning512MiBV1,
        _32GiB => RegisteredPoStProof::StackedDRGWinning32GiBV1,
        _64GiB => RegisteredPoStProof::StackedDRGWinning64GiBV1,
    })
}

/// A stand-in prover for tests: its "proof" is blake2b-256 over the miner,
/// the randomness and the sealed CIDs. It binds the same inputs a real PoSt
/// does, so wrong randomness, sectors or miner fail verification, but it
/// proves nothing about storage. Never use it where proofs matter; the
/// sealer crate has the real one.
#[derive(Debug, Default, Clone, Copy)]
pub struct DigestProver;

impl DigestProver {
    fn digest(miner: &Address, sectors: &[ExtendedSectorInfo], randomness: &[u8; 32]) -> Vec<u8> {
        let mut buf = miner.to_bytes();
        buf.extend_from_slice(randomness);
        for s in sectors {
            buf.extend_from_slice(&s.sector_number.to_be_bytes());
            buf.extend_from_slice(&s.sealed_cid.to_bytes());
        }
        blake2b_256(&buf).to_vec()
    }

    fn post_type(sectors: &[ExtendedSectorInfo]) -> Result<RegisteredPoStProof> {
        let first = sectors
            .first()
            .ok_or_else(|| Error::Crypto("winning PoSt over no sectors".into()))?;
        winning_post_type(first.seal_proof)
    }
}

#[async_trait]
impl ComputeProof for DigestProver {
    async fn compute_winning_post(
        &self,
        miner: &Address,
        sectors: &[ExtendedSectorInfo],
        randomness: &[u8; 32],
    ) -> Result<Vec<PoStProof>> {
        Ok(vec![PoStProof {
            post_proof: Self::post_type(sectors)?,
            proof_bytes: Self::digest(miner, sectors, randomness),
        }])
    }
}

#[async_trait]
impl ProofVerifier for DigestProver {
    async fn verify_winning_post(
        &self,
        miner: &Address,
        sectors: &[ExtendedSectorInfo],
        randomness: &[u8; 32],
        proofs: &[PoStProof],
    ) -> Result<bool> {
        let expected_type = Self::post_type(sectors)?;
        Ok(matches!(proofs, [p] if p.post_proof == expected_type
            && p.proof_bytes == Self::digest(miner, sectors, randomness)))
    }

    /// One position, drawn from the randomness and the miner as the real
    /// challenge is (not the same position).
    async fn winning_post_challenge(
        &self,
        _proof: RegisteredPoStProof,
        miner: &Address,
        randomness: &[u8; 32],
        eligible: u64,
    ) -> Result<Vec<u64>> {
        if eligible == 0 {
            return Err(Error::Crypto("winning PoSt over no sectors".into()));
        }
        let mut buf = miner.to_bytes();
        buf.extend_from_slice(randomness);
        let d = blake2b_256(&buf);
        let mut first = [0u8; 8];
        first.copy_from_slice(&d[..8]);
        Ok(vec![u64::from_le_bytes(first) % eligible])
    }
}
