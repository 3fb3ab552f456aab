//! Sign policies: who may sign what, grouped and bound to callers.

use serde::{Deserialize, Serialize};
use venus_core::types::MsgType;
use venus_core::Address;

/// What one policy allows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    /// Unique name.
    pub name: String,
    /// Addresses it covers (strings as printed); empty covers every key.
    #[serde(default)]
    pub addresses: Vec<String>,
    /// Types it allows; `unknown` (raw bytes) only when listed.
    pub msg_types: Vec<MsgType>,
    /// For chain messages, the actor methods allowed (0 Send, 5
    /// SubmitWindowedPoSt, 6 PreCommitSector, 7 ProveCommitSector, …); empty allows all.
    #[serde(default)]
    pub methods: Vec<u64>,
}

impl Policy {
    /// What an operator should know before storing this policy. Allowing
    /// `unknown` lets the caller sign raw bytes, which can be the CBOR of any
    /// message, block or deal: it cancels the policy's method restriction and
    /// every other check the wallet makes on what it signs.
    pub fn warnings(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.msg_types.contains(&MsgType::Unknown) {
            out.push(format!(
                "policy {} allows `unknown`: its callers can sign raw bytes, including any \
                 message or block, so its method restriction and the wallet's checks of what it \
                 signs no longer bind them; allow `unknown` only to callers you trust with the key",
                self.name
            ));
        }
        out
    }

    /// Why this policy does not allow the signature, or `None` if it does.
    pub fn refuses(&self, addr: &Address, t: MsgType, method: Option<u64>) -> Option<String> {
        let a = addr.to_string();
        // Compare without the network prefix, so f… and t… name the same key.
        if !self.addresses.is_empty() && !self.addresses.iter().any(|x| x.get(1..) == a.get(1..)) {
            return Some(format!("policy {} does not cover {a}", self.name));
        }
        if !self.msg_types.contains(&t) {
            return Some(format!("policy {} does not allow {t:?}", self.name));
        }
        match method {
            Some(m)
                if t == MsgType::ChainMsg
                    && !self.methods.is_empty()
                    && !self.methods.contains(&m) =>
            {
                Some(format!("policy {} does not allow method {m}", self.name))
            }
            _ => None,
        }
    }
}

/// A named set of policies; a caller bound to the group may do what any of them allows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyGroup {
    /// Unique name.
    pub name: String,
    /// Policy names.
    pub policies: Vec<String>,
}
