//! [`Access`]: which sending addresses an API caller may see and push
//! from. [`OpenAccess`] lets every caller use every address (one operator,
//! the daemon's own tokens); [`AuthAccess`] lets an `admin` token use all,
//! and any other only the addresses bound to its user in venus-auth
//! (`AuthBindSigner`), as sophon-messager's `CheckPermissionBySigner` does.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use venus_api::auth::AuthClient;
use venus_core::Address;
use venus_rpc::{Claims, Permission};

use crate::{MessagerError, Result};

/// The addresses a caller may use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Allowed {
    /// Every address.
    All,
    /// Only these.
    Only(HashSet<Address>),
}

impl Allowed {
    /// Whether `addr` is allowed.
    pub fn allows(&self, addr: &Address) -> bool {
        match self {
            Allowed::All => true,
            Allowed::Only(set) => set.contains(addr),
        }
    }
}

/// Decides which addresses a caller may use.
#[async_trait]
pub trait Access: Send + Sync {
    /// The addresses the caller with `claims` may use.
    async fn allowed(&self, claims: &Claims) -> Result<Allowed>;
}

/// Every caller may use every address.
pub struct OpenAccess;

#[async_trait]
impl Access for OpenAccess {
    async fn allowed(&self, _claims: &Claims) -> Result<Allowed> {
        Ok(Allowed::All)
    }
}

/// venus-auth's signer bindings, asked once per user per `ttl`.
pub struct AuthAccess {
    client: AuthClient,
    ttl: Duration,
    cache: Mutex<HashMap<String, (Instant, HashSet<Address>)>>,
}

impl AuthAccess {
    /// Over venus-auth; a user's bindings are kept `ttl`.
    pub fn new(client: AuthClient, ttl: Duration) -> Self {
        AuthAccess {
            client,
            ttl,
            cache: Mutex::default(),
        }
    }
}

#[async_trait]
impl Access for AuthAccess {
    async fn allowed(&self, claims: &Claims) -> Result<Allowed> {
        if claims.allow.contains(&Permission::Admin) {
            return Ok(Allowed::All);
        }
        let Some(user) = claims.name.clone().filter(|n| !n.is_empty()) else {
            return Ok(Allowed::Only(HashSet::new()));
        };
        if let Some((at, set)) = self
            .cache
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&user)
        {
            if at.elapsed() < self.ttl {
                return Ok(Allowed::Only(set.clone()));
            }
        }
        let bound =
            self.client.signers(Some(&user), None).await.map_err(|e| {
                MessagerError::Address(format!("venus-auth's signers of {user}: {e}"))
            })?;
        let set: HashSet<Address> = bound
            .into_iter()
            .filter_map(|(a, _)| venus_core::address::parse(&a).ok())
            .collect();
        self.cache
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(user, (Instant::now(), set.clone()));
        Ok(Allowed::Only(set))
    }
}
