//! Sealing: add piece, PC1, PC2, C1, C2 and seal verification.

use std::io::{Read, Seek, SeekFrom};
use std::path::PathBuf;

use filecoin_proofs::pieces::sum_piece_bytes_with_alignment;
use filecoin_proofs_api::seal;
use filecoin_proofs_api::{PaddedBytesAmount, SectorId, UnpaddedBytesAmount};
use venus_core::shared::sector::RegisteredSealProof;

use super::{api_seal, Prover};
use crate::error::{Result, SealerError};
use crate::params::Circuit;
use crate::sector::SectorRef;
use crate::store::SectorPaths;
use crate::types::{prover_id, Commitment};

/// A piece's commitment (CommP) and unpadded size, as filecoin-proofs returns it.
pub use filecoin_proofs_api::PieceInfo;
/// The output of PC1 (labels and tree configuration), input of PC2.
pub type Pc1Output = seal::SealPreCommitPhase1Output;
/// The output of C1 (vanilla proofs), input of C2.
pub type C1Output = seal::SealCommitPhase1Output;

/// The result of PC2: the sector's CommR and CommD.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PreCommit {
    /// The seal type.
    pub proof: RegisteredSealProof,
    /// The replica commitment.
    pub comm_r: Commitment,
    /// The data commitment.
    pub comm_d: Commitment,
}

impl PreCommit {
    fn api(&self) -> Result<seal::SealPreCommitPhase2Output> {
        Ok(seal::SealPreCommitPhase2Output {
            registered_proof: api_seal(self.proof)?,
            comm_r: self.comm_r,
            comm_d: self.comm_d,
        })
    }
}

impl Prover {
    /// Writes `piece_bytes` (unpadded) bytes from `source` into the unsealed file
    /// after the pieces of sizes `existing` (already in the file), Fr32-padding
    /// them; returns its CommP. With no `existing` pieces the file starts afresh.
    pub async fn add_piece<R: Read + Send + 'static>(
        &self,
        proof: RegisteredSealProof,
        source: R,
        piece_bytes: u64,
        unsealed: PathBuf,
        existing: Vec<u64>,
    ) -> Result<PieceInfo> {
        let api = api_seal(proof)?;
        let sector_unpadded = crate::types::sector_bytes(proof)? / 128 * 127;
        let mut total = 0u64;
        for &size in existing.iter().chain(std::iter::once(&piece_bytes)) {
            check_piece_size(size, sector_unpadded)?;
            total = total.saturating_add(size);
        }
        if total > sector_unpadded {
            return Err(SealerError::InvalidInput(format!(
                "pieces of {total} bytes do not fit a sector of {sector_unpadded} unpadded bytes"
            )));
        }
        self.pool
            .run("add piece", move || {
                let mut target = std::fs::OpenOptions::new()
                    .read(true)
                    .write(true)
                    .create(true)
                    .truncate(existing.is_empty())
                    .open(&unsealed)
                    .map_err(|e| SealerError::io(&unsealed, e))?;
                let mut all: Vec<_> = existing.into_iter().map(UnpaddedBytesAmount).collect();
                // filecoin-proofs writes at the current position: after the earlier pieces.
                let written = u64::from(PaddedBytesAmount::from(sum_piece_bytes_with_alignment(&all)));
                let len = target
                    .seek(SeekFrom::End(0))
                    .map_err(|e| SealerError::io(&unsealed, e))?;
                if len != written {
                    return Err(SealerError::InvalidInput(format!(
                        "{}: {len} bytes on disk, but the earlier pieces take {written} padded bytes",
                        unsealed.display()
                    )));
                }
                let rollback = target.try_clone().map_err(|e| SealerError::io(&unsealed, e))?;
                let out = seal::add_piece(
                    api,
                    source.take(piece_bytes),
                    target,
                    UnpaddedBytesAmount(piece_bytes),
                    &all,
                )
                .map(|(info, _)| info)
                .map_err(|e| SealerError::proof("add piece", e));
                // filecoin-proofs does not flush its writer: check what reached the file.
                all.push(UnpaddedBytesAmount(piece_bytes));
                let expected = u64::from(PaddedBytesAmount::from(sum_piece_bytes_with_alignment(&all)));
                let now = rollback.metadata().map(|m| m.len()).unwrap_or(0);
                match out {
                    Ok(info) if now == expected => Ok(info),
                    other => {
                        // Leave the file as it was, so the caller can retry.
                        rollback.set_len(written).map_err(|e| SealerError::io(&unsealed, e))?;
                        match other {
                            Err(e) => Err(e),
                            Ok(_) => Err(SealerError::Proof {
                                stage: "add piece",
                                reason: format!("{} has {now} bytes after the piece, expected {expected}", unsealed.display()),
                            }),
                        }
                    }
                }
            })
            .await
    }

    /// PC1: SDR labelling of the sector's unsealed data into its cache.
    pub async fn pc1(
        &self,
        proof: RegisteredSealProof,
        paths: &SectorPaths,
        ticket: [u8; 32],
        pieces: Vec<PieceInfo>,
    ) -> Result<Pc1Output> {
        let api = api_seal(proof)?;
        let p = paths.clone();
        self.pool
            .run("pc1", move || {
                // filecoin-proofs expects the replica file to exist (Lotus touches it too).
                std::fs::OpenOptions::new()
                    .create(true)
                    .truncate(false)
                    .write(true)
                    .open(&p.sealed)
                    .map_err(|e| SealerError::io(&p.sealed, e))?;
                seal::seal_pre_commit_phase1(
                    api,
                    &p.cache,
                    &p.unsealed,
                    &p.sealed,
                    prover_id(p.sector.miner),
                    SectorId::from(p.sector.number),
                    ticket,
                    &pieces,
                )
                .map_err(|e| SealerError::proof("pc1", e))
            })
            .await
    }

    /// PC2: column hashes, tree R and the sealed replica; returns CommR and CommD.
    pub async fn pc2(&self, pc1: Pc1Output, paths: &SectorPaths) -> Result<PreCommit> {
        let p = paths.clone();
        let out = self
            .pool
            .run("pc2", move || {
                seal::seal_pre_commit_phase2(pc1, &p.cache, &p.sealed)
                    .map_err(|e| SealerError::proof("pc2", e))
            })
            .await?;
        Ok(PreCommit {
            proof: seal_from_api(out.registered_proof)?,
            comm_r: out.comm_r,
            comm_d: out.comm_d,
        })
    }

    /// C1: the vanilla proofs for the challenges drawn from `seed`.
    pub async fn c1(
        &self,
        paths: &SectorPaths,
        ticket: [u8; 32],
        seed: [u8; 32],
        pre_commit: PreCommit,
        pieces: Vec<PieceInfo>,
    ) -> Result<C1Output> {
        let p = paths.clone();
        let pc2 = pre_commit.api()?;
        self.pool
            .run("c1", move || {
                seal::seal_commit_phase1(
                    &p.cache,
                    &p.sealed,
                    prover_id(p.sector.miner),
                    SectorId::from(p.sector.number),
                    ticket,
                    seed,
                    pc2,
                    &pieces,
                )
                .map_err(|e| SealerError::proof("c1", e))
            })
            .await
    }

    /// C2: the SNARK over C1's vanilla proofs (PoRep parameters needed).
    pub async fn c2(&self, c1: C1Output, sector: SectorRef) -> Result<Vec<u8>> {
        self.ready(Circuit::PoRep(seal_from_api(c1.registered_proof)?))
            .await?;
        self.pool
            .run("c2", move || {
                seal::seal_commit_phase2(c1, prover_id(sector.miner), SectorId::from(sector.number))
                    .map(|o| o.proof)
                    .map_err(|e| SealerError::proof("c2", e))
            })
            .await
    }

    /// Verifies a seal proof of `pre_commit` (seal type, CommR, CommD) for
    /// `sector`: `Ok(false)` when it does not prove these inputs.
    pub async fn verify_seal(
        &self,
        pre_commit: PreCommit,
        sector: SectorRef,
        ticket: [u8; 32],
        seed: [u8; 32],
        proof_bytes: Vec<u8>,
    ) -> Result<bool> {
        let api = api_seal(pre_commit.proof)?;
        self.ready(Circuit::PoRep(pre_commit.proof)).await?;
        self.pool
            .run_short("verify seal", move || {
                seal::verify_seal(
                    api,
                    pre_commit.comm_r,
                    pre_commit.comm_d,
                    prover_id(sector.miner),
                    SectorId::from(sector.number),
                    ticket,
                    seed,
                    &proof_bytes,
                )
                .map_err(|e| SealerError::proof("verify seal", e))
            })
            .await
    }
}

/// A piece is 127 × 2^k unpadded bytes (128 × 2^k padded), at most a sector.
fn check_piece_size(size: u64, sector_unpadded: u64) -> Result<()> {
    if size >= 127
        && size.is_multiple_of(127)
        && (size / 127).is_power_of_two()
        && size <= sector_unpadded
    {
        return Ok(());
    }
    Err(SealerError::InvalidInput(format!(
        "piece of {size} unpadded bytes: a piece is 127 × 2^k bytes, at most {sector_unpadded}"
    )))
}

/// The fvm_shared seal type of a filecoin-proofs one.
fn seal_from_api(p: filecoin_proofs_api::RegisteredSealProof) -> Result<RegisteredSealProof> {
    (0..20)
        .map(RegisteredSealProof::from)
        .find(|ours| api_seal(*ours).ok() == Some(p))
        .ok_or_else(|| SealerError::UnsupportedProof(format!("{p:?}")))
}
