//! Pre-seal: seal sectors for a devnet genesis miner, as `lotus-seed pre-seal`
//! does (add piece, PC1, PC2; no C1/C2, genesis sectors carry no seal proof).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rand::{RngCore, SeedableRng};
use serde::{Deserialize, Serialize};
use venus_core::crypto::{KeyInfo, PrivateKey};
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
    /// The sealing ticket. Genesis sectors have no chain to draw one from;
    /// the default is `lotus-seed`'s, [`default_ticket`].
    pub ticket: [u8; 32],
}

/// `lotus-seed pre-seal`'s default `--ticket-preimage`.
pub const LOTUS_SEED_TICKET_PREIMAGE: &str = "lotus is fire";

/// `lotus-seed`'s default sealing ticket: BLAKE2b-256 of
/// [`LOTUS_SEED_TICKET_PREIMAGE`] (`cmd/lotus-seed/seed/seed.go`).
pub fn default_ticket() -> [u8; 32] {
    let h = blake2b_simd::Params::new()
        .hash_length(32)
        .hash(LOTUS_SEED_TICKET_PREIMAGE.as_bytes());
    let mut out = [0u8; 32];
    out.copy_from_slice(h.as_bytes());
    out
}

impl PreSealConfig {
    /// `count` sectors of `miner`, numbered from 0, with `lotus-seed`'s ticket.
    pub fn new(miner: ActorID, proof: RegisteredSealProof, count: u64) -> Self {
        Self {
            miner,
            proof,
            first_sector: 0,
            count,
            ticket: default_ticket(),
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
        tracing::info!(target: "venus::sealer", %sector, "pre-sealed");
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

/// A genesis miner's pre-sealed sectors: one entry of `lotus-seed`'s
/// `pre-seal-t01000.json`, with every field Lotus's genesis reads
/// (`genesis.Miner`, `genesis/types.go`), filled as `lotus-seed pre-seal`
/// fills them: owner and worker are the miner's key, balances zero, and one
/// deal per sector from the key's address to the miner over the sector's
/// whole CommD, epochs 0 to 9,001, unpaid, labelled with its index.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreSealMiner {
    /// The miner address, `t01000`.
    #[serde(rename = "ID")]
    pub id: String,
    /// The owner address (the pre-seal key's).
    #[serde(rename = "Owner")]
    pub owner: String,
    /// The worker address (the pre-seal key's).
    #[serde(rename = "Worker")]
    pub worker: String,
    /// A libp2p peer ID for the miner's info (an identifier only).
    #[serde(rename = "PeerId")]
    pub peer_id: String,
    /// Market escrow at genesis, attoFIL as a decimal string.
    #[serde(rename = "MarketBalance")]
    pub market_balance: String,
    /// Pledge at genesis, attoFIL as a decimal string.
    #[serde(rename = "PowerBalance")]
    pub power_balance: String,
    /// Sector size in bytes.
    #[serde(rename = "SectorSize")]
    pub sector_size: u64,
    /// The sectors.
    #[serde(rename = "Sectors")]
    pub sectors: Vec<PreSealSector>,
}

/// One pre-sealed sector with its genesis deal (`genesis.PreSeal`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreSealSector {
    /// Number, CommR, CommD and proof type.
    #[serde(flatten)]
    pub sector: SealedSector,
    /// The deal that covers the sector.
    #[serde(rename = "Deal")]
    pub deal: GenesisDeal,
    /// The deal client's key (the pre-seal key), as Lotus's `KeyInfo` JSON.
    #[serde(rename = "DealClientKey")]
    pub deal_client_key: KeyInfo,
}

/// A market `DealProposal` in Lotus's JSON, as a genesis deal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GenesisDeal {
    /// CommD of the sector.
    #[serde(rename = "PieceCID", with = "crate::types::cid_json")]
    pub piece_cid: cid::Cid,
    /// The padded sector size.
    pub piece_size: u64,
    /// Whether the deal is verified (never, for a pre-seal).
    pub verified_deal: bool,
    /// The client (the pre-seal key's address).
    pub client: String,
    /// The miner.
    pub provider: String,
    /// The sector's index among the pre-sealed ones, as a string label.
    pub label: String,
    /// First epoch.
    pub start_epoch: i64,
    /// Last epoch.
    pub end_epoch: i64,
    /// Price per epoch, attoFIL.
    pub storage_price_per_epoch: String,
    /// Provider collateral, attoFIL.
    pub provider_collateral: String,
    /// Client collateral, attoFIL.
    pub client_collateral: String,
}

/// The end epoch of `lotus-seed`'s genesis deals.
pub const GENESIS_DEAL_END: i64 = 9001;

/// A libp2p peer ID (base58btc of the identity multihash of an Ed25519
/// public key's protobuf) for `miner`. Lotus makes a throwaway key; ours is
/// derived from the miner id, so a rerun writes the same manifest. Nothing
/// holds its private key: it only fills the miner's `PeerId`.
fn peer_id(miner: ActorID) -> String {
    let seed = blake2b_simd::Params::new()
        .hash_length(32)
        .hash(format!("venus-rs pre-seal peer {miner}").as_bytes());
    // identity multihash (0x00, length 36) of PublicKey{Type: Ed25519, Data}.
    let mut bytes = vec![0x00, 36, 0x08, 0x01, 0x12, 32];
    bytes.extend_from_slice(seed.as_bytes());
    let z = cid::multibase::encode(cid::multibase::Base::Base58Btc, bytes);
    z[1..].to_string()
}

impl PreSealMiner {
    /// The manifest entry for `sectors` of `miner`, owned and worked by `key`
    /// (a BLS key, as `lotus-seed` makes), which is also every deal's client.
    pub fn new(
        miner: ActorID,
        key: &PrivateKey,
        proof: RegisteredSealProof,
        sectors: Vec<SealedSector>,
    ) -> Result<Self> {
        let size = sector_bytes(proof)?;
        let addr = key
            .address()
            .map_err(|e| SealerError::InvalidInput(format!("pre-seal key: {e}")))?
            .to_string();
        let id = format!("t0{miner}");
        let key_info = KeyInfo::from_private_key(key);
        let sectors = sectors
            .into_iter()
            .enumerate()
            .map(|(i, sector)| PreSealSector {
                deal: GenesisDeal {
                    piece_cid: sector.unsealed_cid,
                    piece_size: size,
                    verified_deal: false,
                    client: addr.clone(),
                    provider: id.clone(),
                    label: i.to_string(),
                    start_epoch: 0,
                    end_epoch: GENESIS_DEAL_END,
                    storage_price_per_epoch: "0".into(),
                    provider_collateral: "0".into(),
                    client_collateral: "0".into(),
                },
                deal_client_key: key_info.clone(),
                sector,
            })
            .collect();
        Ok(PreSealMiner {
            peer_id: peer_id(miner),
            id,
            owner: addr.clone(),
            worker: addr,
            market_balance: "0".into(),
            power_balance: "0".into(),
            sector_size: size,
            sectors,
        })
    }

    /// The sealed sectors, without their deals.
    pub fn sealed(&self) -> Vec<SealedSector> {
        self.sectors.iter().map(|s| s.sector.clone()).collect()
    }

    /// The file name `lotus-seed` uses: `pre-seal-t01000.json`.
    pub fn file_name(miner: ActorID) -> String {
        format!("pre-seal-t0{miner}.json")
    }

    /// The key file name `lotus-seed` uses: `pre-seal-t01000.key`.
    pub fn key_file_name(miner: ActorID) -> String {
        format!("pre-seal-t0{miner}.key")
    }

    /// Writes `{"t01000": {...}}` to `dir/pre-seal-t01000.json` atomically,
    /// and the key (hex of its `KeyInfo` JSON, Lotus's export format, mode
    /// 0600) to `dir/pre-seal-t01000.key`.
    pub fn write(&self, dir: &Path, miner: ActorID) -> Result<PathBuf> {
        let path = dir.join(Self::file_name(miner));
        let meta_err = |path: &Path, e: &dyn std::fmt::Display| SealerError::Metadata {
            path: path.to_path_buf(),
            reason: e.to_string(),
        };
        if let Some(s) = self.sectors.first() {
            let key_path = dir.join(Self::key_file_name(miner));
            let hex = s
                .deal_client_key
                .to_lotus_export()
                .map_err(|e| meta_err(&key_path, &e))?;
            write_atomic(&key_path, hex.as_bytes(), 0o600)?;
        }
        let body = serde_json::to_vec_pretty(&BTreeMap::from([(self.id.clone(), self)]))
            .map_err(|e| meta_err(&path, &e))?;
        write_atomic(&path, &body, 0o644)?;
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

/// Writes `body` to `path` through a temporary file with `mode`, then renames it.
fn write_atomic(path: &Path, body: &[u8], mode: u32) -> Result<()> {
    use std::io::Write;
    #[cfg(unix)]
    use std::os::unix::fs::OpenOptionsExt;
    // A temporary name of its own per file, and never an old one reused:
    // a leftover could carry a wider mode than the key file's 0600.
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    match std::fs::remove_file(&tmp) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            return Err(SealerError::io(&tmp, e));
        }
        _ => {}
    }
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    opts.mode(mode);
    #[cfg(not(unix))]
    let _ = mode;
    opts.open(&tmp)
        .and_then(|mut f| f.write_all(body).and_then(|()| f.sync_all()))
        .and_then(|()| std::fs::rename(&tmp, path))
        .map_err(|e| SealerError::io(path, e))
}
