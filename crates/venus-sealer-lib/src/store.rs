//! [`SectorStore`]: where a sector's files live, and [`LocalSectorStore`], a directory on disk.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Result, SealerError};
use crate::sector::SectorRef;

/// The files of one sector.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SectorPaths {
    /// The sector.
    pub sector: SectorRef,
    /// The sealed replica (one file of the sector's size).
    pub sealed: PathBuf,
    /// The cache directory (trees, `p_aux`, `t_aux`).
    pub cache: PathBuf,
    /// The unsealed (padded) data.
    pub unsealed: PathBuf,
}

/// Says where a sector's sealed file, cache and unsealed file live.
///
/// Implementations map sectors to storage (a local directory, a mount per
/// disk, a network path); the prover only reads and writes the paths returned.
pub trait SectorStore: Send + Sync {
    /// The paths of `sector`, whether or not its files exist yet.
    fn paths(&self, sector: SectorRef) -> SectorPaths;

    /// The paths of `sector`, with parent directories and the cache directory
    /// created, ready for sealing.
    fn prepare(&self, sector: SectorRef) -> Result<SectorPaths> {
        let p = self.paths(sector);
        for dir in [
            p.sealed.parent(),
            Some(p.cache.as_path()),
            p.unsealed.parent(),
        ]
        .into_iter()
        .flatten()
        {
            std::fs::create_dir_all(dir).map_err(|e| SealerError::io(dir, e))?;
        }
        Ok(p)
    }
}

/// Lotus's layout under one root: `sealed/s-t01000-1`, `cache/s-t01000-1/`,
/// `unsealed/s-t01000-1`.
#[derive(Debug, Clone)]
pub struct LocalSectorStore {
    root: PathBuf,
}

impl LocalSectorStore {
    /// A store rooted at `root` (created on first [`SectorStore::prepare`]).
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// The root directory.
    pub fn root(&self) -> &Path {
        &self.root
    }
}

impl SectorStore for LocalSectorStore {
    fn paths(&self, sector: SectorRef) -> SectorPaths {
        let name = sector.to_string();
        SectorPaths {
            sector,
            sealed: self.root.join("sealed").join(&name),
            cache: self.root.join("cache").join(&name),
            unsealed: self.root.join("unsealed").join(&name),
        }
    }
}

/// What PoSt reads from a sector's cache: `p_aux` (CommC, CommRLast) and the
/// tree R leaves (`sc-02-data-tree-r-last.dat`, or `-0.dat`… for larger sectors).
const P_AUX: &str = "p_aux";
const TREE_R_LAST: &str = "sc-02-data-tree-r-last";

impl SectorPaths {
    /// Checks that the sealed file has exactly `sector_bytes` bytes and the cache
    /// holds what PoSt reads, with an error naming the sector and file otherwise.
    pub fn check_sealed(&self, sector_bytes: u64) -> Result<()> {
        let found = match std::fs::metadata(&self.sealed) {
            Ok(m) if m.is_file() => m.len(),
            Ok(_) => {
                return Err(SealerError::SealedFileMissing {
                    sector: self.sector,
                    path: self.sealed.clone(),
                })
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(SealerError::SealedFileMissing {
                    sector: self.sector,
                    path: self.sealed.clone(),
                })
            }
            Err(e) => return Err(SealerError::io(&self.sealed, e)),
        };
        if found != sector_bytes {
            return Err(SealerError::SealedFileWrongSize {
                sector: self.sector,
                path: self.sealed.clone(),
                expected: sector_bytes,
                found,
            });
        }
        let incomplete = |missing: &str| SealerError::CacheIncomplete {
            sector: self.sector,
            dir: self.cache.clone(),
            missing: missing.to_string(),
        };
        if !self.cache.join(P_AUX).is_file() {
            return Err(incomplete(P_AUX));
        }
        let has_tree = std::fs::read_dir(&self.cache)
            .map_err(|e| SealerError::io(&self.cache, e))?
            .filter_map(|e| e.ok())
            .any(|e| e.file_name().to_string_lossy().starts_with(TREE_R_LAST));
        if !has_tree {
            return Err(incomplete(&format!("{TREE_R_LAST}*.dat")));
        }
        Ok(())
    }
}
