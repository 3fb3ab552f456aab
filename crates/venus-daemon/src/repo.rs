//! [`Repo`]: a daemon's directory (config, token secret, database, API info).

use std::path::{Path, PathBuf};

use crate::{DaemonError, Result};

/// A daemon's repo directory.
#[derive(Debug, Clone)]
pub struct Repo {
    name: String,
    dir: PathBuf,
}

impl Repo {
    /// The environment variable naming the repo of daemon `name`:
    /// `VENUS_WALLET_PATH` for `wallet`.
    pub fn env_var(name: &str) -> String {
        format!("VENUS_{}_PATH", name.to_ascii_uppercase().replace('-', "_"))
    }

    /// Where the repo of daemon `name` is: `flag` if given, then
    /// `$VENUS_<NAME>_PATH`, then `~/.venus-<name>`.
    pub fn locate(name: &str, flag: Option<PathBuf>) -> PathBuf {
        if let Some(p) = flag {
            return p;
        }
        if let Some(p) = std::env::var_os(Self::env_var(name)) {
            return PathBuf::from(p);
        }
        let home = std::env::var_os("HOME").map_or_else(|| PathBuf::from("."), PathBuf::from);
        home.join(format!(".venus-{name}"))
    }

    /// Opens the repo of daemon `name` (see [`Repo::locate`]), creating the
    /// directory (mode 0700: it holds the token secret) if needed.
    pub fn open(name: &str, flag: Option<PathBuf>) -> Result<Self> {
        let dir = Self::locate(name, flag);
        let mut b = std::fs::DirBuilder::new();
        b.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o700);
        b.create(&dir).map_err(|source| DaemonError::Io {
            what: "creating the repo directory",
            path: dir.clone(),
            source,
        })?;
        Ok(Repo {
            name: name.to_string(),
            dir,
        })
    }

    /// The daemon's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// A file in the repo.
    pub fn path(&self, file: &str) -> PathBuf {
        self.dir.join(file)
    }

    /// This instance's name among the instances of one pool sharing a
    /// database: `configured` when not empty, else the repo's `instance`
    /// file, made at the first start as `<prefix>-<12 hex digits>`. A
    /// restarted instance keeps its name, so it takes up its own leases.
    pub fn instance_name(&self, prefix: &str, configured: &str) -> Result<String> {
        if !configured.is_empty() {
            return Ok(configured.to_string());
        }
        let path = self.path("instance");
        match std::fs::read_to_string(&path) {
            Ok(name) if !name.trim().is_empty() => return Ok(name.trim().to_string()),
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(source) => {
                return Err(DaemonError::Io {
                    what: "reading",
                    path,
                    source,
                })
            }
        }
        let name = format!("{prefix}-{:012x}", rand::random::<u64>() >> 16);
        self.write_file("instance", name.as_bytes())?;
        Ok(name)
    }

    /// The config file, `config.toml`.
    pub fn config_path(&self) -> PathBuf {
        self.path("config.toml")
    }

    /// Writes `contents` to `file` in the repo through a temporary file and
    /// a rename, so a reader never sees half of it.
    pub fn write_file(&self, file: &str, contents: &[u8]) -> Result<PathBuf> {
        self.write_with_mode(file, contents, 0o644)
    }

    /// [`Repo::write_file`] for what holds a secret (an API token): the file
    /// is readable by its owner only (mode 0600), whatever the directory's
    /// mode and the umask.
    pub fn write_private(&self, file: &str, contents: &[u8]) -> Result<PathBuf> {
        self.write_with_mode(file, contents, 0o600)
    }

    fn write_with_mode(&self, file: &str, contents: &[u8], mode: u32) -> Result<PathBuf> {
        use std::io::Write;
        let path = self.path(file);
        let tmp = self.path(&format!(".{file}.tmp"));
        let io = |source| DaemonError::Io {
            what: "writing",
            path: path.clone(),
            source,
        };
        // A leftover from an interrupted write could carry a wider mode.
        match std::fs::remove_file(&tmp) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(io(e)),
            _ => {}
        }
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut opts, mode);
        #[cfg(not(unix))]
        let _ = mode;
        opts.open(&tmp)
            .and_then(|mut f| f.write_all(contents).and_then(|()| f.sync_all()))
            .and_then(|()| std::fs::rename(&tmp, &path))
            .map_err(io)?;
        Ok(path)
    }
}
