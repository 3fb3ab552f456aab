//! [`SealerError`]: the one error type of this crate.

use std::path::PathBuf;

use crate::sector::SectorRef;

/// Everything that can go wrong while sealing, proving or preparing parameters.
///
/// Variants name the sector, file or circuit involved, so an operator can act on
/// the message alone.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SealerError {
    /// A sector's sealed replica is not where the store says it is.
    #[error("sector {sector}: sealed file {} is missing", path.display())]
    SealedFileMissing {
        /// The sector.
        sector: SectorRef,
        /// Where the store expected it.
        path: PathBuf,
    },
    /// A sector's sealed replica is shorter or longer than the sector size.
    #[error("sector {sector}: sealed file {} has {found} bytes, expected {expected} (truncated or not a sealed sector)", path.display())]
    SealedFileWrongSize {
        /// The sector.
        sector: SectorRef,
        /// The file.
        path: PathBuf,
        /// Its sector size in bytes.
        expected: u64,
        /// Its length on disk.
        found: u64,
    },
    /// A sector's cache directory lacks a file PoSt needs.
    #[error("sector {sector}: cache {} is incomplete ({missing} missing)", dir.display())]
    CacheIncomplete {
        /// The sector.
        sector: SectorRef,
        /// The cache directory.
        dir: PathBuf,
        /// The first missing file.
        missing: String,
    },
    /// A proof type this crate (or filecoin-proofs) does not support.
    #[error("unsupported proof type: {0}")]
    UnsupportedProof(String),
    /// Input that cannot describe a valid proof request (empty sector set, bad CID, non-ID miner...).
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// The parameter directory was already fixed for this process.
    #[error("the proof parameter directory is process-wide and is already {}; cannot switch to {}", active.display(), requested.display())]
    ParamDirConflict {
        /// The directory in use.
        active: PathBuf,
        /// The directory asked for.
        requested: PathBuf,
    },
    /// Generating or checking Groth parameters failed.
    #[error("parameters for {circuit}: {reason}")]
    Params {
        /// The circuit (e.g. `porep 2KiB`).
        circuit: String,
        /// What went wrong.
        reason: String,
    },
    /// filecoin-proofs reported an error.
    #[error("{stage}: {reason}")]
    Proof {
        /// The stage (`pc1`, `winning post`...).
        stage: &'static str,
        /// The library's message, with its causes.
        reason: String,
    },
    /// The process proving out of this one ([`crate::child::PostChild`])
    /// could not start, died, or answered something else than a proof.
    #[error("{stage} process: {reason}")]
    ProofProcess {
        /// The stage (`winning post`).
        stage: &'static str,
        /// What happened.
        reason: String,
    },
    /// Proof work panicked inside filecoin-proofs; the process is unharmed.
    #[error("{stage}: the proving library panicked: {reason}")]
    Panicked {
        /// The stage.
        stage: &'static str,
        /// The panic message.
        reason: String,
    },
    /// The blocking pool was shut down.
    #[error("{0}: the proof pool is closed")]
    PoolClosed(&'static str),
    /// Filesystem error on a named path.
    #[error("{}: {source}", path.display())]
    Io {
        /// The path.
        path: PathBuf,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// The sealer's database failed (feature `pipeline`).
    #[cfg(feature = "pipeline")]
    #[error("sealer store: {0}")]
    Sql(#[from] venus_sql::SqlError),
    /// The chain node failed or answered something unusable.
    #[error("node: {0}")]
    Node(String),
    /// The messager refused or failed a message.
    #[error("messager: {0}")]
    Messager(String),
    /// A remote sealer (asked by a worker) failed.
    #[error("sealer: {0}")]
    Remote(String),
    /// The sealer has no such sector.
    #[error("no sector {0} in this sealer")]
    UnknownSector(u64),
    /// A metadata file could not be read or written.
    #[error("{}: {reason}", path.display())]
    Metadata {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
}

impl SealerError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io {
            path: path.into(),
            source,
        }
    }

    #[cfg(feature = "proofs")]
    pub(crate) fn proof(stage: &'static str, err: impl std::fmt::Display) -> Self {
        Self::Proof {
            stage,
            reason: format!("{err:#}"),
        }
    }
}

impl From<SealerError> for venus_core::Error {
    fn from(e: SealerError) -> Self {
        venus_core::Error::Backend(e.to_string())
    }
}

/// This crate's result type.
pub type Result<T, E = SealerError> = std::result::Result<T, E>;
