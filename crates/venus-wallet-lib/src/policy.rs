//! Sign policies: who may sign what, grouped and bound to callers. The
//! policies themselves are part of the wallet's API (`venus_api::wallet`);
//! the caller they are checked against is the server's.

pub use venus_api::wallet::{Policy, PolicyGroup};

/// Who asks for a signature, from their token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The token's name; `None` for local, in-process use.
    pub name: Option<String>,
    /// Admin callers may sign anything.
    pub admin: bool,
}

impl Caller {
    /// In-process use: everything allowed.
    pub fn local() -> Self {
        Caller {
            name: None,
            admin: true,
        }
    }

    /// A named, non-admin caller.
    pub fn named(name: &str) -> Self {
        Caller {
            name: Some(name.to_string()),
            admin: false,
        }
    }

    /// The name recorded in sign records.
    pub fn label(&self) -> String {
        match (&self.name, self.admin) {
            (Some(n), _) => n.clone(),
            (None, true) => "local".into(),
            (None, false) => "anonymous".into(),
        }
    }
}
