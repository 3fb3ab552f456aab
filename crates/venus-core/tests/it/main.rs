//! venus-core integration tests: one binary, one module per concern.

mod addresses;
mod drand;
mod json_openrpc;
mod signatures;
mod tipsets;
mod traits;
mod vectors_blocks;
mod vectors_messages;
mod vectors_zondax;
mod wincount;

use std::path::PathBuf;

/// The shared test vectors: `$VENUS_VECTORS`, or `../shared/vectors` beside the repository.
pub fn vectors_dir() -> PathBuf {
    if let Ok(dir) = std::env::var("VENUS_VECTORS") {
        return PathBuf::from(dir);
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/vectors")
}

/// Reads a vector file as text. Missing vectors fail the test: they are part of the suite.
pub fn vector_text(rel: &str) -> String {
    let path = vectors_dir().join(rel);
    std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read test vector {}: {e}. Put shared/ beside the repository or set VENUS_VECTORS.",
            path.display()
        )
    })
}

/// Reads a vector file as JSON.
pub fn vector(rel: &str) -> serde_json::Value {
    serde_json::from_str(&vector_text(rel)).expect("vector files are JSON")
}

/// base64 (standard, padded) to bytes.
pub fn b64(s: &str) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD
        .decode(s)
        .expect("valid base64 in vector")
}
