//! Which member miners the pool mines for, and each one's switch.
//!
//! The list comes from configuration or from `venus-auth` (its miners with
//! `open_mining`); whether a member is switched on is kept in storage, so
//! a miner stopped through the API stays stopped after a restart
//! (sophon-miner keeps it only in memory and re-reads `open_mining`:
//! venus#5415, a restart re-enabled every miner).

mod auth;
mod memory;
mod sql;

pub use auth::AuthMembers;
pub use memory::MemoryMemberStore;
pub use sql::SqlMemberStore;

use std::sync::Arc;

use async_trait::async_trait;
use venus_core::Address;

use crate::builder::Members;
use crate::Result;

/// Where each member's switch is kept.
#[async_trait]
pub trait MemberStore: Send + Sync {
    /// Switches `miner` on or off.
    async fn set_enabled(&self, miner: &Address, enabled: bool) -> Result<()>;

    /// The switches that were set, by miner.
    async fn switches(&self) -> Result<Vec<(Address, bool)>>;
}

/// The members: a list (from configuration or venus-auth), less those
/// switched off in the store; a member never switched is on.
pub struct SwitchedMembers {
    list: Arc<dyn Members>,
    store: Arc<dyn MemberStore>,
}

impl SwitchedMembers {
    /// The members of `list`, switched by `store`.
    pub fn new(list: Arc<dyn Members>, store: Arc<dyn MemberStore>) -> Self {
        SwitchedMembers { list, store }
    }

    /// The store, to switch members.
    pub fn store(&self) -> &Arc<dyn MemberStore> {
        &self.store
    }
}

#[async_trait]
impl Members for SwitchedMembers {
    async fn miners(&self) -> Result<Vec<Address>> {
        let off: std::collections::HashSet<Address> = self
            .store
            .switches()
            .await?
            .into_iter()
            .filter(|(_, on)| !on)
            .map(|(m, _)| m)
            .collect();
        Ok(self
            .list
            .miners()
            .await?
            .into_iter()
            .filter(|m| !off.contains(m))
            .collect())
    }
}
