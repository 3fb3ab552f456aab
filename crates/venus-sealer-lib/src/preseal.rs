//! Pre-seal: seal sectors for a devnet genesis miner, as `lotus-seed pre-seal`
//! does (add piece, PC1, PC2; no C1/C2, genesis sectors carry no seal proof).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rand::{RngCore, SeedableRng};
use serde::{Deserialize, Serialize};
use venus_core::shared::sector::RegisteredSealProof;
use venus_core::shared::ActorID;

use crate::error::{Result, SealerError};
use crate::prover::Prover;
use crate::store::SectorStore;
use crate::types::{sealed_cid, sector_bytes, unsealed_cid, SealedSector, SectorRef};

/// What to pre-seal.
#[derive(Debug, Clone)]
pub struct PreSealConfig {
    /// The genesis miner's actor id (`1000` for `t01000`).
    pub miner: ActorID,
    /// The seal type (2 KiB V1_1 for a devnet).
    pub proof: RegisteredSealProof,
    /// The first sector number.
    pub first_sector: u64,
    /// How many sectors.
    pub count: u64,
    /// The sealing ticket. Genesis sectors have no chain to draw one from; the
    /// default is all zeroes.
    pub ticket: [u8; 32],
}

impl PreSealConfig {
    /// `count` sectors of `miner`, numbered from 0, with a zero ticket.
    pub fn new(miner: ActorID, proof: RegisteredSealProof, count: u64) -> Self {
        Self {
            miner,
            proof,
            first_sector: 0,
            count,
            ticket: [0; 32],
        }
    }
}

/// Seals `config.count` sectors into `store` and returns their metadata, calling
/// `progress(done, total)` after each.
///
/// Each sector is filled with one piece of pseudo-random data seeded by the
/// miner and sector number, so a rerun gives the same CommD. A sector's old files
/// are removed first, so an interrupted run can simply be run again. Dropping
/// the future stops before the next sector (the stage in flight finishes on its
/// thread); nothing is returned for sectors not finished.
pub async fn preseal(
    prover: &Prover,
    store: &dyn SectorStore,
    config: &PreSealConfig,
    progress: &(dyn Fn(u64, u64) + Send + Sync),
) -> Result<Vec<SealedSector>> {
    let bytes = sector_bytes(config.proof)?;
    let piece_bytes = bytes / 128 * 127;
    config
        .first_sector
        .checked_add(config.count)
        .ok_or_else(|| {
            SealerError::InvalidInput(format!(
                "sectors {} + {} overflow the sector number",
                config.first_sector, config.count
            ))
        })?;
    let mut out = Vec::new();
    for i in 0..config.count {
        let sector = SectorRef::new(config.miner, config.first_sector + i);
        let paths = store.prepare(sector)?;
        remove_sealed(&paths.sealed, &paths.cache)?;
        let piece = prover
            .add_piece(
                config.proof,
                piece_reader(sector, piece_bytes),
                piece_bytes,
                paths.unsealed.clone(),
                vec![],
            )
            .await?;
        let pc1 = prover
            .pc1(config.proof, &paths, config.ticket, vec![piece])
            .await?;
        let pre = prover.pc2(pc1, &paths).await?;
        tracing::info!(%sector, "pre-sealed");
        out.push(SealedSector {
            number: sector.number,
            sealed_cid: sealed_cid(&pre.comm_r)?,
            unsealed_cid: unsealed_cid(&pre.comm_d)?,
            proof: config.proof,
        });
        progress(i + 1, config.count);
    }
    Ok(out)
}

/// `len` pseudo-random bytes seeded by the sector, streamed (a 64 GiB sector
/// never sits in memory).
pub(crate) fn piece_reader(sector: SectorRef, len: u64) -> impl std::io::Read + Send + 'static {
    struct Rng(rand::rngs::StdRng);
    impl std::io::Read for Rng {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            self.0.fill_bytes(buf);
            Ok(buf.len())
        }
    }
    let seed = (sector.miner << 32) ^ sector.number;
    std::io::Read::take(Rng(rand::rngs::StdRng::seed_from_u64(seed)), len)
}

/// Removes a sector's sealed file and empties its cache directory.
pub(crate) fn remove_sealed(sealed: &Path, cache: &Path) -> Result<()> {
    match std::fs::remove_file(sealed) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(SealerError::io(sealed, e)),
    }
    let entries = std::fs::read_dir(cache).map_err(|e| SealerError::io(cache, e))?;
    for entry in entries {
        let path = entry.map_err(|e| SealerError::io(cache, e))?.path();
        let removed = if path.is_dir() {
            std::fs::remove_dir_all(&path)
        } else {
            std::fs::remove_file(&path)
        };
        removed.map_err(|e| SealerError::io(&path, e))?;
    }
    Ok(())
}

/// A genesis miner's pre-sealed sectors, in the shape of one entry of
/// `lotus-seed`'s `pre-seal-t01000.json` (the fields venus-rs fills).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreSealMiner {
    /// The miner address, `t01000`.
    #[serde(rename = "ID")]
    pub id: String,
    /// Sector size in bytes.
    #[serde(rename = "SectorSize")]
    pub sector_size: u64,
    /// The sectors.
    #[serde(rename = "Sectors")]
    pub sectors: Vec<SealedSector>,
}

impl PreSealMiner {
    /// The file name `lotus-seed` uses: `pre-seal-t01000.json`.
    pub fn file_name(miner: ActorID) -> String {
        format!("pre-seal-t0{miner}.json")
    }

    /// Writes `{"t01000": {...}}` to `dir/pre-seal-t01000.json` atomically.
    pub fn write(&self, dir: &Path, miner: ActorID) -> Result<PathBuf> {
        let path = dir.join(Self::file_name(miner));
        let body =
            serde_json::to_vec_pretty(&BTreeMap::from([(self.id.clone(), self)])).map_err(|e| {
                SealerError::Metadata {
                    path: path.clone(),
                    reason: e.to_string(),
                }
            })?;
        let tmp = path.with_extension("json.tmp");
        std::fs::write(&tmp, body)
            .and_then(|()| std::fs::rename(&tmp, &path))
            .map_err(|e| SealerError::io(&path, e))?;
        Ok(path)
    }

    /// Reads the entry for `miner` from `dir/pre-seal-t0<miner>.json`.
    pub fn read(dir: &Path, miner: ActorID) -> Result<Self> {
        let path = dir.join(Self::file_name(miner));
        let text = std::fs::read(&path).map_err(|e| SealerError::io(&path, e))?;
        let mut all: BTreeMap<String, PreSealMiner> =
            serde_json::from_slice(&text).map_err(|e| SealerError::Metadata {
                path: path.clone(),
                reason: e.to_string(),
            })?;
        all.remove(&format!("t0{miner}"))
            .ok_or_else(|| SealerError::Metadata {
                path,
                reason: format!("no entry for t0{miner}"),
            })
    }
}
