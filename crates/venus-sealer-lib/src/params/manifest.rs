//! The record this crate writes after generating a circuit's files: each file's
//! length and blake2b-256, so a partial or altered file is noticed.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::error::{Result, SealerError};

/// Lengths and digests of one circuit's parameter files.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// The circuit, for people reading the file.
    pub circuit: String,
    /// Seconds generation took.
    pub generated_secs: u64,
    /// File name → length and digest.
    pub files: BTreeMap<String, FileDigest>,
}

/// One file's length and blake2b-256 (hex).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileDigest {
    /// Length in bytes.
    pub len: u64,
    /// blake2b-256 of the content, hex.
    pub blake2b: String,
}

fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn digest(path: &Path) -> std::io::Result<FileDigest> {
    let mut f = std::fs::File::open(path)?;
    let mut state = blake2b_simd::Params::new().hash_length(32).to_state();
    let mut buf = vec![0u8; 1 << 20];
    let mut len = 0u64;
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        state.update(&buf[..n]);
        len += n as u64;
    }
    Ok(FileDigest {
        len,
        blake2b: state.finalize().to_hex().to_string(),
    })
}

impl Manifest {
    /// Digests `files` as they are now.
    pub fn of(circuit: &str, files: &[PathBuf], took: Duration) -> Result<Self> {
        let mut out = BTreeMap::new();
        for f in files {
            out.insert(file_name(f), digest(f).map_err(|e| SealerError::io(f, e))?);
        }
        Ok(Self {
            circuit: circuit.to_string(),
            generated_secs: took.as_secs(),
            files: out,
        })
    }

    /// Reads a manifest: `Ok(None)` when there is none.
    pub fn read(path: &Path) -> Result<Option<std::result::Result<Self, String>>> {
        match std::fs::read(path) {
            Ok(text) => Ok(Some(serde_json::from_slice(&text).map_err(|e| {
                format!("manifest {} is unreadable: {e}", path.display())
            }))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(SealerError::io(path, e)),
        }
    }

    /// Whether `files` exist with the recorded lengths and digests: `Ok(Err(reason))`
    /// when they do not, `Err` when they cannot be read.
    pub fn check(&self, files: &[PathBuf]) -> Result<std::result::Result<(), String>> {
        for f in files {
            let name = file_name(f);
            let Some(want) = self.files.get(&name) else {
                return Ok(Err(format!("{name} is not in the manifest")));
            };
            let len = match std::fs::metadata(f) {
                Ok(m) => m.len(),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    return Ok(Err(format!("{name} is missing")))
                }
                Err(e) => return Err(SealerError::io(f, e)),
            };
            if len != want.len {
                return Ok(Err(format!(
                    "{name} has {len} bytes, expected {} (partial?)",
                    want.len
                )));
            }
            let got = digest(f).map_err(|e| SealerError::io(f, e))?;
            if got.blake2b != want.blake2b {
                return Ok(Err(format!("{name} does not match its digest (corrupt)")));
            }
        }
        Ok(Ok(()))
    }

    /// Total bytes of the files.
    pub fn total_bytes(&self) -> u64 {
        self.files.values().map(|f| f.len).sum()
    }

    /// Writes atomically (temporary file, fsync, rename).
    pub fn write(&self, path: &Path) -> Result<()> {
        let tmp = path.with_extension("tmp");
        let body = serde_json::to_vec_pretty(self).map_err(|e| SealerError::Metadata {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
        let write = || -> std::io::Result<()> {
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(&body)?;
            f.sync_all()?;
            std::fs::rename(&tmp, path)
        };
        write().map_err(|e| SealerError::io(path, e))
    }
}
