//! Storage: three small traits, one SQL implementation for SQLite and MySQL.
//!
//! Contract shared by every method: errors are [`AuthServiceError::Storage`]
//! for database failures, [`AuthServiceError::Duplicate`] when a unique name
//! or address is taken, [`AuthServiceError::NotFound`] when an update or
//! delete names nothing. Reads are idempotent; every call is one statement or
//! one transaction, so a dropped future leaves no half-done change.

mod sql;

use async_trait::async_trait;

pub use sql::{Backend, SqlStore, MIGRATIONS};

use crate::model::{Miner, TokenInfo, User, UserRateLimit};
#[allow(unused_imports)]
use crate::AuthServiceError;
use crate::Result;

/// Users and their rate limits.
#[async_trait]
pub trait UserStore: Send + Sync {
    /// Creates a user; a taken name is `Duplicate`.
    async fn create_user(&self, user: &User) -> Result<()>;
    /// A user by name.
    async fn user(&self, name: &str) -> Result<Option<User>>;
    /// All users, by name.
    async fn users(&self) -> Result<Vec<User>>;
    /// Updates comment and enabled.
    async fn update_user(&self, user: &User) -> Result<()>;
    /// Deletes a user and everything bound to it.
    async fn delete_user(&self, name: &str) -> Result<()>;
    /// Sets (`Some`) or clears (`None`) a user's rate limit.
    async fn set_rate_limit(&self, user: &str, limit: Option<UserRateLimit>) -> Result<()>;
    /// A user's rate limit.
    async fn rate_limit(&self, user: &str) -> Result<Option<UserRateLimit>>;
}

/// Issued tokens.
#[async_trait]
pub trait TokenStore: Send + Sync {
    /// Records an issued token.
    async fn insert_token(&self, t: &TokenInfo) -> Result<()>;
    /// A token by id.
    async fn token(&self, id: &str) -> Result<Option<TokenInfo>>;
    /// Tokens, of one user or all.
    async fn tokens(&self, user: Option<&str>) -> Result<Vec<TokenInfo>>;
    /// Marks a token revoked (idempotent).
    async fn revoke_token(&self, id: &str) -> Result<()>;
}

/// Miners and signer addresses.
#[async_trait]
pub trait RegistryStore: Send + Sync {
    /// Adds or moves a miner to `user`, with its switch.
    async fn put_miner(&self, m: &Miner) -> Result<()>;
    /// Miners, of one user or all.
    async fn miners(&self, user: Option<&str>) -> Result<Vec<Miner>>;
    /// Removes a miner.
    async fn delete_miner(&self, address: &str) -> Result<()>;
    /// Binds a signer address to a user (idempotent).
    async fn bind_signer(&self, address: &str, user: &str) -> Result<()>;
    /// Unbinds it.
    async fn unbind_signer(&self, address: &str, user: &str) -> Result<()>;
    /// Signer addresses of a user, or users of an address.
    async fn signers(
        &self,
        user: Option<&str>,
        address: Option<&str>,
    ) -> Result<Vec<(String, String)>>;
}

/// Everything the service stores.
pub trait AuthStore: UserStore + TokenStore + RegistryStore {}

impl<T: UserStore + TokenStore + RegistryStore + ?Sized> AuthStore for T {}
