//! [`Circuit`]: which Groth parameters a stage needs.

use std::fmt;
use std::time::Duration;

use venus_core::shared::sector::{RegisteredPoStProof, RegisteredSealProof};

use crate::error::{Result, SealerError};

/// A circuit whose Groth parameters a prover or verifier needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Circuit {
    /// Proof of replication: C2 and seal verification.
    PoRep(RegisteredSealProof),
    /// Winning or window PoSt.
    PoSt(RegisteredPoStProof),
}

impl Circuit {
    /// The PoSt circuits (winning, window) for sectors sealed with `seal`.
    pub fn post_for(seal: RegisteredSealProof) -> Result<[Circuit; 2]> {
        Ok(crate::types::post_proofs(seal)?.map(Circuit::PoSt))
    }

    /// Every circuit a sealer of `seal` sectors needs: PoRep, winning and window PoSt.
    pub fn all_for(seal: RegisteredSealProof) -> Result<[Circuit; 3]> {
        let [winning, window] = Self::post_for(seal)?;
        Ok([Circuit::PoRep(seal), winning, window])
    }

    /// The sector size the circuit proves, in bytes.
    pub fn sector_bytes(&self) -> Option<u64> {
        let size = match self {
            Circuit::PoRep(p) => p.sector_size().ok()?,
            Circuit::PoSt(p) => p.sector_size().ok()?,
        };
        Some(size as u64)
    }

    /// How long generation takes on 2 cores, where measured (2 KiB only,
    /// on machines of this project: PoRep 427-1258 s, winning PoSt 19-69 s,
    /// window PoSt 5-17 s), the slowest seen, rounded up.
    pub fn estimate(&self) -> Option<Duration> {
        use RegisteredPoStProof::*;
        let secs = match self {
            Circuit::PoRep(p) if p.sector_size().ok()? as u64 == 2_048 => 1_260,
            Circuit::PoSt(StackedDRGWinning2KiBV1) => 70,
            Circuit::PoSt(StackedDRGWindow2KiBV1P1) => 20,
            _ => return None,
        };
        Some(Duration::from_secs(secs))
    }

    pub(super) fn api(&self) -> Result<ApiCircuit> {
        let unsupported = |e: String| SealerError::UnsupportedProof(e);
        Ok(match *self {
            Circuit::PoRep(p) => ApiCircuit::PoRep(p.try_into().map_err(unsupported)?),
            Circuit::PoSt(p) => ApiCircuit::PoSt(p.try_into().map_err(unsupported)?),
        })
    }
}

impl fmt::Display for Circuit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use RegisteredPoStProof::*;
        match self {
            Circuit::PoRep(p) => write!(f, "porep {}", size_name(p.sector_size().ok())),
            Circuit::PoSt(p) => {
                let kind = match p {
                    StackedDRGWinning2KiBV1
                    | StackedDRGWinning8MiBV1
                    | StackedDRGWinning512MiBV1
                    | StackedDRGWinning32GiBV1
                    | StackedDRGWinning64GiBV1 => "winning-post",
                    _ => "window-post",
                };
                write!(f, "{kind} {}", size_name(p.sector_size().ok()))
            }
        }
    }
}

fn size_name(size: Option<venus_core::shared::sector::SectorSize>) -> &'static str {
    use venus_core::shared::sector::SectorSize::*;
    match size {
        Some(_2KiB) => "2KiB",
        Some(_8MiB) => "8MiB",
        Some(_512MiB) => "512MiB",
        Some(_32GiB) => "32GiB",
        Some(_64GiB) => "64GiB",
        None => "unknown size",
    }
}

pub(super) enum ApiCircuit {
    PoRep(filecoin_proofs_api::RegisteredSealProof),
    PoSt(filecoin_proofs_api::RegisteredPoStProof),
}
