//! The HS256 secret a daemon signs its API tokens with, kept in a file.

use std::io::Write;
use std::path::Path;

use rand::RngCore;

/// Reads the hex secret at `path`, or creates one (32 random bytes, file mode
/// 0600, parent directories made) when the file does not exist.
pub fn load_or_create_secret(path: &Path) -> std::io::Result<Vec<u8>> {
    let invalid = |what: String| std::io::Error::new(std::io::ErrorKind::InvalidData, what);
    match std::fs::read_to_string(path) {
        Ok(s) => {
            hex::decode(s.trim()).map_err(|_| invalid(format!("{} is not hex", path.display())))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir)?;
            }
            let mut secret = vec![0u8; 32];
            rand::rngs::OsRng.fill_bytes(&mut secret);
            let mut opts = std::fs::OpenOptions::new();
            opts.write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
            opts.open(path)?
                .write_all(hex::encode(&secret).as_bytes())?;
            Ok(secret)
        }
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn created_once_then_read_back() {
        let dir = std::env::temp_dir().join(format!("venus-rpc-secret-{}", std::process::id()));
        let path = dir.join("nested/token-secret");
        let a = super::load_or_create_secret(&path).expect("create");
        let b = super::load_or_create_secret(&path).expect("read");
        assert_eq!((a.len(), a), (32, b));
        std::fs::write(&path, "zz").expect("corrupt");
        assert!(super::load_or_create_secret(&path).is_err());
        let _ = std::fs::remove_dir_all(dir);
    }
}
