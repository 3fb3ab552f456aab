//! The HS256 secret a daemon signs its API tokens with, kept in a file.

use std::io::Write;
use std::path::Path;

use rand::RngCore;

/// The fewest bytes a token secret may have: HMAC-SHA256's own key size.
/// A shorter key (an empty file above all) lets anyone forge admin tokens.
pub const MIN_SECRET_BYTES: usize = 32;

/// Reads the hex secret at `path`, or creates one when the file does not
/// exist: 32 random bytes, written to a temporary file with mode 0600,
/// fsynced, then linked into place, so a crash never leaves an empty or
/// partial secret and two processes starting together agree on one.
///
/// A secret that is not hex or has fewer than [`MIN_SECRET_BYTES`] bytes is
/// an error naming the file and how to replace it.
pub fn load_or_create_secret(path: &Path) -> std::io::Result<Vec<u8>> {
    match std::fs::read_to_string(path) {
        Ok(s) => check(path, &s),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => create(path),
        Err(e) => Err(e),
    }
}

fn invalid(path: &Path, what: &str) -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::InvalidData,
        format!(
            "token secret {} {what}; delete the file and restart to create a new one \
             (tokens signed with the old secret stop working)",
            path.display()
        ),
    )
}

fn check(path: &Path, text: &str) -> std::io::Result<Vec<u8>> {
    let secret = hex::decode(text.trim()).map_err(|_| invalid(path, "is not hex"))?;
    if secret.len() < MIN_SECRET_BYTES {
        return Err(invalid(
            path,
            &format!(
                "holds {} bytes, fewer than the {MIN_SECRET_BYTES} required",
                secret.len()
            ),
        ));
    }
    Ok(secret)
}

fn create(path: &Path) -> std::io::Result<Vec<u8>> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(dir)?;
    let mut secret = vec![0u8; MIN_SECRET_BYTES];
    rand::rngs::OsRng.fill_bytes(&mut secret);
    let mut nonce = [0u8; 8];
    rand::rngs::OsRng.fill_bytes(&mut nonce);
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let tmp = dir.join(format!(".{name}.{}.tmp", hex::encode(nonce)));
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    let written = opts.open(&tmp).and_then(|mut f| {
        f.write_all(hex::encode(&secret).as_bytes())?;
        f.sync_all()
    });
    // A hard link fails when the file exists: a process that lost the race
    // reads the winner's secret instead of replacing it.
    let linked = written.and_then(|()| std::fs::hard_link(&tmp, path));
    let _ = std::fs::remove_file(&tmp);
    match linked {
        Ok(()) => {
            // The new directory entry survives a crash too.
            #[cfg(unix)]
            std::fs::File::open(dir)?.sync_all()?;
            Ok(secret)
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            check(path, &std::fs::read_to_string(path)?)
        }
        Err(e) => Err(std::io::Error::new(
            e.kind(),
            format!(
                "creating token secret {}: {e} (the directory must allow hard links; \
                 or write 32 random bytes as hex to the file yourself, mode 0600)",
                path.display()
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn created_once_then_read_back() {
        let dir = tempdir();
        let path = dir.join("nested/token-secret");
        let a = load_or_create_secret(&path).expect("create");
        let b = load_or_create_secret(&path).expect("read");
        assert_eq!((a.len(), a), (32, b));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        // No temporary file is left beside it.
        let names: Vec<_> = std::fs::read_dir(path.parent().expect("dir"))
            .expect("list")
            .map(|e| e.expect("entry").file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("token-secret")]);
        std::fs::write(&path, "zz").expect("corrupt");
        assert!(load_or_create_secret(&path).is_err());
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn empty_or_short_secrets_are_refused_naming_the_file() {
        let dir = tempdir();
        let path = dir.join("token-secret");
        for content in ["", "\n", "00", &"ab".repeat(31)] {
            std::fs::write(&path, content).expect("write");
            let err = load_or_create_secret(&path)
                .expect_err("refused")
                .to_string();
            assert!(err.contains(&path.display().to_string()), "{err}");
            assert!(err.contains("delete the file"), "{err}");
        }
        std::fs::write(&path, "ab".repeat(32)).expect("write");
        assert_eq!(load_or_create_secret(&path).expect("32 bytes").len(), 32);
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn racing_creators_agree_on_one_secret() {
        let dir = tempdir();
        let path = dir.join("token-secret");
        let secrets: Vec<Vec<u8>> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..8)
                .map(|_| s.spawn(|| load_or_create_secret(&path).expect("secret")))
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("join"))
                .collect()
        });
        assert!(secrets.windows(2).all(|w| w[0] == w[1]));
        let _ = std::fs::remove_dir_all(dir);
    }

    fn tempdir() -> std::path::PathBuf {
        let mut n = [0u8; 8];
        rand::rngs::OsRng.fill_bytes(&mut n);
        let dir = std::env::temp_dir().join(format!("venus-rpc-secret-{}", hex::encode(n)));
        std::fs::create_dir_all(&dir).expect("temp dir");
        dir
    }
}
