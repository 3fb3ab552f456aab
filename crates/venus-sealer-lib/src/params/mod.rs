//! Groth parameters for the devnet sector sizes, generated locally and never downloaded.
//!
//! [`ParamCache`] owns a directory outside any checkout (by default
//! `$XDG_CACHE_HOME/venus-rs/params` or `~/.cache/venus-rs/params`, or
//! `FIL_PROOFS_PARAMETER_CACHE` when set). [`ParamCache::ensure`] makes one
//! [`Circuit`]'s files ready:
//!
//! - files this crate generated carry a manifest (length and blake2b-256 of each
//!   file); a file that is missing, partial, altered or has no manifest is
//!   regenerated;
//! - an exclusive lock per circuit makes two processes (or threads) asking at
//!   once safe: one generates, the other waits and then finds the files ready;
//! - progress is reported through [`ParamEvent`]s.
//!
//! PoSt circuits are independent of PoRep's, so a devnet that only mines asks
//! for [`Circuit::post_for`] and never waits for the 15-minute PoRep parameters.
//!
//! The parameters are generated with a random toxic waste, so they are fit for a
//! devnet only: proofs made with them verify only against them, never on mainnet
//! or calibnet. That is also why the default directory is not Lotus's
//! `/var/tmp/filecoin-proof-parameters`, which holds the published parameters
//! under the same file names.

mod generate;
mod manifest;

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use venus_core::shared::sector::{RegisteredPoStProof, RegisteredSealProof};

use crate::error::{Result, SealerError};
pub use manifest::Manifest;

/// The environment variable filecoin-proofs reads its parameter directory from.
pub const PARAMETER_CACHE_ENV: &str = "FIL_PROOFS_PARAMETER_CACHE";
const PARENT_CACHE_ENV: &str = "FIL_PROOFS_PARENT_CACHE";

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
        let winning = venus_core::traits::winning_post_type(seal)
            .map_err(|e| SealerError::UnsupportedProof(e.to_string()))?;
        let window = seal
            .registered_window_post_proof()
            .map_err(SealerError::UnsupportedProof)?;
        Ok([Circuit::PoSt(winning), Circuit::PoSt(window)])
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

    /// How long generation took on 2 cores, where measured (2 KiB only).
    pub fn estimate(&self) -> Option<Duration> {
        use RegisteredPoStProof::*;
        let secs = match self {
            Circuit::PoRep(p) if p.sector_size().ok()? as u64 == 2_048 => 900,
            Circuit::PoSt(StackedDRGWinning2KiBV1) => 40,
            Circuit::PoSt(StackedDRGWindow2KiBV1P1) => 10,
            _ => return None,
        };
        Some(Duration::from_secs(secs))
    }

    fn api(&self) -> Result<ApiCircuit> {
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

enum ApiCircuit {
    PoRep(filecoin_proofs_api::RegisteredSealProof),
    PoSt(filecoin_proofs_api::RegisteredPoStProof),
}

/// Progress of [`ParamCache::ensure`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParamEvent {
    /// The files are present and match their manifest.
    Ready(Circuit),
    /// Another process or thread is generating them; waiting for it.
    Waiting(Circuit),
    /// The files on disk are unusable and will be regenerated.
    Invalid {
        /// The circuit.
        circuit: Circuit,
        /// Why (missing, partial, digest mismatch...).
        reason: String,
    },
    /// Generation started.
    Generating {
        /// The circuit.
        circuit: Circuit,
        /// How long it took here, where measured.
        estimate: Option<Duration>,
    },
    /// Generation finished.
    Generated {
        /// The circuit.
        circuit: Circuit,
        /// How long it took.
        elapsed: Duration,
        /// Total size of the files written.
        bytes: u64,
    },
}

/// The state of a circuit's files on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParamState {
    /// Present and matching the manifest this crate wrote.
    Valid,
    /// Not there at all.
    Missing,
    /// Ours, but missing, partial or altered: regenerated by [`ParamCache::ensure`].
    Invalid(String),
    /// Files without a manifest of ours (e.g. the published parameters):
    /// [`ParamCache::ensure`] leaves them alone and reports an error.
    Foreign,
}

/// What [`ParamCache::ensure`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ensured {
    /// The files were already valid.
    Present,
    /// Another process or thread generated them while this one waited.
    GeneratedElsewhere,
    /// This call generated them.
    Generated(Duration),
}

/// The process's parameter directory; filecoin-proofs reads it once per process.
static ACTIVE_DIR: OnceLock<PathBuf> = OnceLock::new();

/// A directory of Groth parameters (see the [module docs](self)).
#[derive(Debug)]
pub struct ParamCache {
    dir: PathBuf,
    verified: Mutex<HashSet<Circuit>>,
    gates: Mutex<HashMap<Circuit, Arc<Mutex<()>>>>,
}

impl ParamCache {
    /// `FIL_PROOFS_PARAMETER_CACHE` if set, else `$XDG_CACHE_HOME/venus-rs/params`,
    /// else `$HOME/.cache/venus-rs/params`.
    pub fn default_dir() -> PathBuf {
        if let Some(dir) = std::env::var_os(PARAMETER_CACHE_ENV).filter(|d| !d.is_empty()) {
            return PathBuf::from(dir);
        }
        let base = std::env::var_os("XDG_CACHE_HOME")
            .filter(|d| !d.is_empty())
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
            .unwrap_or_else(std::env::temp_dir);
        base.join("venus-rs").join("params")
    }

    /// The cache at [`ParamCache::default_dir`].
    pub fn from_env() -> Result<Self> {
        Self::open(Self::default_dir())
    }

    /// The cache at `dir`, created if needed.
    ///
    /// filecoin-proofs reads its parameter directory once per process (from
    /// `FIL_PROOFS_PARAMETER_CACHE`), so the first cache opened sets that variable
    /// and fixes the directory: opening another one later, or after filecoin-proofs
    /// already read its settings, is [`SealerError::ParamDirConflict`].
    ///
    /// Setting an environment variable races with other threads reading the
    /// environment: open the cache early, before starting a multi-threaded runtime.
    pub fn open(dir: impl Into<PathBuf>) -> Result<Self> {
        let dir = dir.into();
        std::fs::create_dir_all(&dir).map_err(|e| SealerError::io(&dir, e))?;
        let dir = dir.canonicalize().map_err(|e| SealerError::io(&dir, e))?;
        let active = ACTIVE_DIR.get_or_init(|| {
            // Before any filecoin-proofs call reads its settings.
            std::env::set_var(PARAMETER_CACHE_ENV, &dir);
            if std::env::var_os(PARENT_CACHE_ENV).is_none() {
                let parents = dir.join("parents");
                if std::fs::create_dir_all(&parents).is_ok() {
                    std::env::set_var(PARENT_CACHE_ENV, parents);
                }
            }
            // Pin filecoin-proofs' settings now; if something read them earlier,
            // they hold another directory and the check below says so.
            let pinned = storage_proofs_core::parameter_cache::parameter_cache_dir();
            pinned.canonicalize().unwrap_or(pinned)
        });
        if *active != dir {
            return Err(SealerError::ParamDirConflict {
                active: active.clone(),
                requested: dir,
            });
        }
        tracing::debug!(dir = %dir.display(), "proof parameter cache");
        Ok(Self {
            dir,
            verified: Mutex::new(HashSet::new()),
            gates: Mutex::new(HashMap::new()),
        })
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The files of `circuit`: `.params`, `.vk` and `.meta`.
    pub fn files(&self, circuit: Circuit) -> Result<[PathBuf; 3]> {
        let id = self.identifier(circuit)?;
        let version = storage_proofs_core::parameter_cache::VERSION;
        Ok(["params", "vk", "meta"].map(|ext| self.dir.join(format!("v{version}-{id}.{ext}"))))
    }

    fn identifier(&self, circuit: Circuit) -> Result<String> {
        let id = match circuit.api()? {
            ApiCircuit::PoRep(p) => p.circuit_identifier(),
            ApiCircuit::PoSt(p) => p.circuit_identifier(),
        };
        id.map_err(|e| SealerError::Params {
            circuit: circuit.to_string(),
            reason: format!("{e:#}"),
        })
    }

    fn manifest_path(&self, circuit: Circuit) -> Result<PathBuf> {
        Ok(self.dir.join(format!(
            ".{}.venus-manifest.json",
            self.identifier(circuit)?
        )))
    }

    fn marker_path(&self, circuit: Circuit) -> Result<PathBuf> {
        Ok(self
            .dir
            .join(format!(".{}.venus-generating", self.identifier(circuit)?)))
    }

    /// The state of `circuit`'s files on disk (reads and hashes them).
    pub fn state(&self, circuit: Circuit) -> Result<ParamState> {
        let files = self.files(circuit)?;
        match Manifest::read(&self.manifest_path(circuit)?)? {
            Some(Ok(manifest)) => Ok(match manifest.check(&files)? {
                Ok(()) => ParamState::Valid,
                Err(reason) => ParamState::Invalid(reason),
            }),
            Some(Err(reason)) => Ok(ParamState::Invalid(reason)),
            None if !files.iter().any(|f| f.exists()) => Ok(ParamState::Missing),
            None if self.marker_path(circuit)?.exists() => Ok(ParamState::Invalid(
                "an earlier generation did not finish (partial files)".into(),
            )),
            None => Ok(ParamState::Foreign),
        }
    }

    /// Like [`ParamCache::state`], remembering a valid result for this process
    /// (later calls and [`ParamCache::is_verified`] skip the disk). Never generates.
    pub fn verify(&self, circuit: Circuit) -> Result<ParamState> {
        let gate = self.gate(circuit);
        let _gate = gate.lock().unwrap_or_else(|e| e.into_inner());
        if self.is_verified(circuit) {
            return Ok(ParamState::Valid);
        }
        let state = self.state(circuit)?;
        if state == ParamState::Valid {
            self.mark_verified(circuit);
        }
        Ok(state)
    }

    /// Whether this process already verified `circuit` (no disk access).
    pub fn is_verified(&self, circuit: Circuit) -> bool {
        self.verified
            .lock()
            .map(|v| v.contains(&circuit))
            .unwrap_or(false)
    }

    /// Makes `circuit`'s files ready, generating them if missing or invalid.
    /// Blocking (hashes files, may generate for minutes): call it from a blocking
    /// thread. Events go to `progress`.
    ///
    /// Parameters this crate did not generate (no manifest, e.g. the published
    /// ones) are never touched, and nothing is generated into a directory that
    /// holds any: that is [`SealerError::Params`] asking for another directory.
    ///
    /// `progress` must not call back into this cache for the same circuit (the
    /// call holds the circuit's lock while reporting).
    pub fn ensure(&self, circuit: Circuit, progress: &dyn Fn(ParamEvent)) -> Result<Ensured> {
        // One caller per circuit in this process does the work; the others wait
        // here and then take the fast path.
        let gate = self.gate(circuit);
        let _gate = gate.lock().unwrap_or_else(|e| e.into_inner());
        if self.is_verified(circuit) {
            return Ok(Ensured::Present);
        }
        let params_err = |reason: String| SealerError::Params {
            circuit: circuit.to_string(),
            reason,
        };
        let first = self.state(circuit)?;
        if first == ParamState::Valid {
            self.mark_verified(circuit);
            progress(ParamEvent::Ready(circuit));
            return Ok(Ensured::Present);
        }

        // One generator per circuit across processes (flock).
        let lock_path = self
            .dir
            .join(format!(".{}.lock", self.identifier(circuit)?));
        let lock = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|e| SealerError::io(&lock_path, e))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                progress(ParamEvent::Waiting(circuit));
                lock.lock().map_err(|e| SealerError::io(&lock_path, e))?;
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(SealerError::io(&lock_path, e)),
        }

        let marker = self.marker_path(circuit)?;
        match self.state(circuit)? {
            ParamState::Valid => {
                // A crash between the manifest and the marker's removal leaves it behind.
                let _ = std::fs::remove_file(&marker);
                self.mark_verified(circuit);
                progress(ParamEvent::Ready(circuit));
                // It was not valid when this call looked: someone else made it.
                return Ok(Ensured::GeneratedElsewhere);
            }
            ParamState::Foreign => {
                return Err(params_err(format!(
                    "{} holds parameter files venus-rs did not generate (published parameters?); \
                     refusing to overwrite them: use another directory (--params-dir / {PARAMETER_CACHE_ENV})",
                    self.dir.display()
                )))
            }
            ParamState::Missing => progress(ParamEvent::Invalid {
                circuit,
                reason: "not generated yet".into(),
            }),
            ParamState::Invalid(reason) => progress(ParamEvent::Invalid { circuit, reason }),
        }

        if let Some(foreign) = self.foreign_file()? {
            return Err(params_err(format!(
                "{} holds {foreign}, which venus-rs did not generate (published parameters?); \
                 not generating devnet parameters beside it: use another directory (--params-dir / {PARAMETER_CACHE_ENV})",
                self.dir.display()
            )));
        }
        let files = self.files(circuit)?;
        let manifest_path = self.manifest_path(circuit)?;
        File::create(&marker)
            .and_then(|f| f.sync_all())
            .map_err(|e| SealerError::io(&marker, e))?;
        // Start clean: storage-proofs would otherwise trust a partial file.
        for path in files.iter().chain(std::iter::once(&manifest_path)) {
            match std::fs::remove_file(path) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(SealerError::io(path, e)),
            }
        }
        progress(ParamEvent::Generating {
            circuit,
            estimate: circuit.estimate(),
        });
        tracing::info!(%circuit, dir = %self.dir.display(), "generating Groth parameters");
        let started = Instant::now();
        let generated = match circuit.api()? {
            ApiCircuit::PoRep(p) => generate::porep(&p.as_v1_config()),
            ApiCircuit::PoSt(p) => generate::post(&p.as_v1_config()),
        };
        generated.map_err(|e| params_err(format!("{e:#}")))?;
        let elapsed = started.elapsed();
        let manifest = Manifest::of(&circuit.to_string(), &files, elapsed)?;
        manifest.write(&manifest_path)?;
        std::fs::remove_file(&marker).map_err(|e| SealerError::io(&marker, e))?;
        drop(lock);
        self.mark_verified(circuit);
        tracing::info!(%circuit, secs = elapsed.as_secs_f64(), "generated Groth parameters");
        progress(ParamEvent::Generated {
            circuit,
            elapsed,
            bytes: manifest.total_bytes(),
        });
        Ok(Ensured::Generated(elapsed))
    }

    /// A parameter file (`v28-<id>.params|vk|meta`) with neither a manifest nor
    /// a generation marker of ours beside it.
    fn foreign_file(&self) -> Result<Option<String>> {
        let prefix = format!("v{}-", storage_proofs_core::parameter_cache::VERSION);
        let entries = std::fs::read_dir(&self.dir).map_err(|e| SealerError::io(&self.dir, e))?;
        for entry in entries {
            let name = entry
                .map_err(|e| SealerError::io(&self.dir, e))?
                .file_name();
            let name = name.to_string_lossy();
            let Some(id) = name
                .strip_prefix(&prefix)
                .and_then(|rest| rest.rsplit_once('.'))
                .map(|(id, _ext)| id)
            else {
                continue;
            };
            let ours = self.dir.join(format!(".{id}.venus-manifest.json")).exists()
                || self.dir.join(format!(".{id}.venus-generating")).exists();
            if !ours {
                return Ok(Some(name.into_owned()));
            }
        }
        Ok(None)
    }

    fn gate(&self, circuit: Circuit) -> Arc<Mutex<()>> {
        let mut gates = self.gates.lock().unwrap_or_else(|e| e.into_inner());
        gates.entry(circuit).or_default().clone()
    }

    fn mark_verified(&self, circuit: Circuit) {
        if let Ok(mut v) = self.verified.lock() {
            v.insert(circuit);
        }
    }
}
