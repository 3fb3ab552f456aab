//! The sign record: every signature and every refusal.

use serde::{Deserialize, Serialize};
use venus_core::types::MsgType;

/// One signature or refusal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignRecord {
    /// Milliseconds since the Unix epoch.
    pub at_ms: i64,
    /// The caller's name.
    pub caller: String,
    /// The signing address.
    pub address: String,
    /// What was (or would have been) signed.
    pub msg_type: MsgType,
    /// Message CID, block CID or a hash of the bytes.
    pub object: String,
    /// Whether it was signed.
    pub ok: bool,
    /// Why not, when refused.
    pub error: Option<String>,
}

/// A query over the sign record; unset fields match everything.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordQuery {
    /// Only this address.
    #[serde(default)]
    pub address: Option<String>,
    /// Only this type.
    #[serde(default)]
    pub msg_type: Option<MsgType>,
    /// From this time (ms, inclusive).
    #[serde(default)]
    pub from_ms: Option<i64>,
    /// Until this time (ms, exclusive).
    #[serde(default)]
    pub to_ms: Option<i64>,
    /// At most this many, newest first (default 1000).
    #[serde(default)]
    pub limit: Option<u32>,
}
