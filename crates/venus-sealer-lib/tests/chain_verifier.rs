//! The chain's side of the proofs (`SealVerifier for Prover`): the CommD
//! of pieces is padded to the sector as ref-fvm pads it, and hostile piece
//! sizes are refused, never a panic.

use std::sync::Arc;

use venus_core::shared::piece::{zero_piece_commitment, PaddedPieceSize, PieceInfo};
use venus_core::shared::sector::RegisteredSealProof;
use venus_core::traits::SealVerifier;
use venus_sealer_lib::params::ParamCache;
use venus_sealer_lib::types::unsealed_cid;
use venus_sealer_lib::{ProofPool, Prover};

const SEAL: RegisteredSealProof = RegisteredSealProof::StackedDRG2KiBV1P1;

fn zero(size: u64) -> PieceInfo {
    PieceInfo {
        size: PaddedPieceSize(size),
        cid: unsealed_cid(&zero_piece_commitment(PaddedPieceSize(size))).expect("CID"),
    }
}

#[test]
fn commd_pads_to_the_sector_and_refuses_hostile_sizes() {
    let params = ParamCache::from_env().expect("parameter cache");
    let prover = Prover::new(Arc::new(params), ProofPool::new(1));
    let sector_zero = zero(2048).cid;
    // No pieces, one zero piece of half the sector, or two 512-byte zero
    // pieces after a 128-byte one (gaps padded): all the zero sector.
    for pieces in [
        vec![],
        vec![zero(1024)],
        vec![zero(128), zero(512), zero(512)],
    ] {
        let commd = prover
            .compute_unsealed_sector_cid(SEAL, &pieces)
            .expect("CommD");
        assert_eq!(commd, sector_zero, "{pieces:?}");
    }
    // A whole-sector piece is its own CommD.
    let full = zero(2048);
    assert_eq!(
        prover
            .compute_unsealed_sector_cid(SEAL, std::slice::from_ref(&full))
            .expect("CommD"),
        full.cid
    );
    // Sizes that are not pieces, or do not fit.
    for (what, pieces) in [
        (
            "too small",
            vec![PieceInfo {
                size: PaddedPieceSize(64),
                ..zero(128)
            }],
        ),
        (
            "not a power of two",
            vec![PieceInfo {
                size: PaddedPieceSize(1000),
                ..zero(1024)
            }],
        ),
        (
            "huge",
            vec![PieceInfo {
                size: PaddedPieceSize(1 << 62),
                ..zero(2048)
            }],
        ),
        ("two sectors' worth", vec![zero(2048), zero(2048)]),
    ] {
        assert!(
            prover.compute_unsealed_sector_cid(SEAL, &pieces).is_err(),
            "{what}"
        );
    }
}
