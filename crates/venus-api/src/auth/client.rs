//! [`AuthClient`]: the auth daemon's API over RPC.

use venus_rpc::{Permission, RpcClient};

use super::*;
use crate::Result;

/// An auth daemon over RPC. A refusal is returned as its
/// [`Error`](crate::Error) kind: an unknown user is
/// [`Error::NotFound`](crate::Error::NotFound), a name taken
/// [`Error::Duplicate`](crate::Error::Duplicate), a refused token (from
/// [`AuthClient::verify`]) [`Error::TokenRefused`](crate::Error::TokenRefused).
pub struct AuthClient {
    rpc: RpcClient,
}

impl AuthClient {
    /// Wraps a connected client. `verify` needs no token; registry reads need
    /// `read`, everything else `admin`.
    pub fn new(rpc: RpcClient) -> Self {
        AuthClient { rpc }
    }

    /// The RPC client, for methods this type does not wrap.
    pub fn rpc(&self) -> &RpcClient {
        &self.rpc
    }

    /// What `token` grants.
    pub async fn verify(&self, token: &str) -> Result<VerifiedClaims> {
        Ok(self.rpc.call::<AuthVerify>((token.into(),)).await?)
    }

    /// Issues a token for `user`, granting `perm` and every permission below it.
    pub async fn create_token(&self, user: &str, perm: Permission) -> Result<String> {
        Ok(self
            .rpc
            .call::<AuthCreateToken>((user.into(), perm))
            .await?)
    }

    /// Revokes a token, by its JWT or its id.
    pub async fn revoke_token(&self, token_or_id: &str) -> Result<()> {
        Ok(self
            .rpc
            .call::<AuthRevokeToken>((token_or_id.into(),))
            .await?)
    }

    /// The tokens of `user`, or of everyone.
    pub async fn tokens(&self, user: Option<&str>) -> Result<Vec<TokenInfo>> {
        Ok(self
            .rpc
            .call::<AuthListTokens>((user.map(Into::into),))
            .await?)
    }

    /// Creates an enabled user.
    pub async fn create_user(&self, name: &str, comment: &str) -> Result<User> {
        Ok(self
            .rpc
            .call::<AuthCreateUser>((name.into(), comment.into()))
            .await?)
    }

    /// A user by name.
    pub async fn user(&self, name: &str) -> Result<Option<User>> {
        Ok(self.rpc.call::<AuthGetUser>((name.into(),)).await?)
    }

    /// Every user.
    pub async fn users(&self) -> Result<Vec<User>> {
        Ok(self.rpc.call::<AuthListUsers>([]).await?)
    }

    /// Enables or disables a user.
    pub async fn set_user_enabled(&self, name: &str, enabled: bool) -> Result<()> {
        Ok(self
            .rpc
            .call::<AuthSetUserEnabled>((name.into(), enabled))
            .await?)
    }

    /// Deletes a user with its tokens, miners, signers and limit.
    pub async fn delete_user(&self, name: &str) -> Result<()> {
        Ok(self.rpc.call::<AuthDeleteUser>((name.into(),)).await?)
    }

    /// Adds a miner, or moves it to another user.
    pub async fn put_miner(&self, miner: Miner) -> Result<()> {
        Ok(self.rpc.call::<AuthPutMiner>((miner,)).await?)
    }

    /// The miners of `user`, or of everyone.
    pub async fn miners(&self, user: Option<&str>) -> Result<Vec<Miner>> {
        Ok(self
            .rpc
            .call::<AuthListMiners>((user.map(Into::into),))
            .await?)
    }

    /// Removes a miner.
    pub async fn delete_miner(&self, address: &str) -> Result<()> {
        Ok(self.rpc.call::<AuthDeleteMiner>((address.into(),)).await?)
    }

    /// Binds a signer address to a user.
    pub async fn bind_signer(&self, address: &str, user: &str) -> Result<()> {
        Ok(self
            .rpc
            .call::<AuthBindSigner>((address.into(), user.into()))
            .await?)
    }

    /// Unbinds a signer address from a user.
    pub async fn unbind_signer(&self, address: &str, user: &str) -> Result<()> {
        Ok(self
            .rpc
            .call::<AuthUnbindSigner>((address.into(), user.into()))
            .await?)
    }

    /// Signer bindings as (address, user), of one user and/or one address.
    pub async fn signers(
        &self,
        user: Option<&str>,
        address: Option<&str>,
    ) -> Result<Vec<(String, String)>> {
        Ok(self
            .rpc
            .call::<AuthListSigners>((user.map(Into::into), address.map(Into::into)))
            .await?)
    }

    /// Sets or clears a user's rate limit.
    pub async fn set_rate_limit(&self, user: &str, limit: Option<UserRateLimit>) -> Result<()> {
        Ok(self
            .rpc
            .call::<AuthSetRateLimit>((user.into(), limit))
            .await?)
    }

    /// A user's rate limit.
    pub async fn rate_limit(&self, user: &str) -> Result<Option<UserRateLimit>> {
        Ok(self.rpc.call::<AuthGetRateLimit>((user.into(),)).await?)
    }
}
