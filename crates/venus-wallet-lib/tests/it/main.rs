//! venus-wallet-lib integration tests.

#![allow(missing_docs)] // test fixtures

mod attacks;
mod client_forms;
mod daemon;
mod keystore;
mod policies;
mod races;
mod store_conformance;
mod vectors;

use std::path::PathBuf;

use venus_core::types::{MsgMeta, MsgType};
use venus_wallet_lib::{KdfParams, LocalWallet, WalletDb};

pub const PW: &str = "correct horse battery staple";

pub async fn wallet() -> LocalWallet {
    let w = LocalWallet::new(
        WalletDb::in_memory().await.expect("db"),
        KdfParams::FAST_INSECURE,
    );
    w.set_password(None, PW).await.expect("password");
    w
}

pub fn vector(rel: &str) -> serde_json::Value {
    let dir = std::env::var("VENUS_VECTORS")
        .map(PathBuf::from)
        .unwrap_or_else(|_| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/vectors")
        });
    let text =
        std::fs::read_to_string(dir.join(rel)).unwrap_or_else(|e| panic!("vector {rel}: {e}"));
    serde_json::from_str(&text).expect("json")
}

pub fn b64(s: &str) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD
        .decode(s)
        .expect("base64")
}

pub fn unknown() -> MsgMeta {
    MsgMeta {
        msg_type: MsgType::Unknown,
        extra: vec![],
    }
}
