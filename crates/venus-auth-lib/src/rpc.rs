//! The auth daemon's server: [`auth_module`] answers the auth API from an
//! [`AuthService`], and [`auth_server`] puts it behind the service itself.
//!
//! The API (its methods, [`VerifiedClaims`], [`AuthClient`] and
//! [`RemoteVerifier`], the `TokenVerifier` any daemon puts in front of its
//! server) is declared in `venus_api::auth` and re-exported here. A refusal
//! reaches the caller with its code (see
//! [`AuthServiceError`](crate::AuthServiceError)'s conversion into `RpcError`).

use std::sync::Arc;

use venus_rpc::{
    codes, Anonymous, AuthError, RateLimiter, RpcError, RpcMethod, RpcModule, RpcServer,
    ServerConfig, TokenVerifier,
};

pub use venus_api::auth::{
    AuthBindSigner, AuthClient, AuthCreateToken, AuthCreateUser, AuthDeleteMiner, AuthDeleteUser,
    AuthGetRateLimit, AuthGetUser, AuthListMiners, AuthListSigners, AuthListTokens, AuthListUsers,
    AuthPutMiner, AuthRevokeToken, AuthSetRateLimit, AuthSetUserEnabled, AuthUnbindSigner,
    AuthVerify, RemoteVerifier, VerifiedClaims,
};

use crate::service::AuthService;

macro_rules! reg {
    ($m:ident, $s:ident, $M:ty, |$p:pat_param| $body:expr) => {
        $m.register_with::<$M, _, _, _>(&$s, |$s, _, $p| async move { $body })
    };
}

/// The auth daemon's server: [`auth_module`] behind `service` as verifier,
/// where a caller without a token may call only `Venus.AuthVerify` (the
/// registry names who owns which miner and signer), within `config`'s
/// per-address budget.
pub fn auth_server(
    service: Arc<AuthService>,
    limiter: Arc<dyn RateLimiter>,
    config: ServerConfig,
) -> RpcServer {
    RpcServer::builder(auth_module(service.clone()))
        .verifier(service)
        .rate_limiter(limiter)
        .anonymous(Anonymous::Only(vec![AuthVerify::NAME.to_string()]))
        .config(config)
        .build()
}

/// The auth daemon's module.
pub fn auth_module(service: Arc<AuthService>) -> RpcModule {
    let mut m = RpcModule::new();
    let s = service;
    reg!(m, s, AuthVerify, |(token,)| {
        // The verdict on the token asked about, not on the caller's own.
        let c = s.verify(&token).await.map_err(|e| match e {
            AuthError::Unavailable(_) => RpcError::new(codes::INTERNAL_ERROR, e.to_string()),
            refused => RpcError::new(codes::TOKEN_REFUSED, refused.to_string()),
        })?;
        Ok(VerifiedClaims {
            name: c.name,
            allow: c.allow,
            rate_limit: c.rate_limit,
        })
    });
    reg!(m, s, AuthCreateToken, |(user, perm)| Ok(s
        .create_token(&user, perm)
        .await?));
    reg!(m, s, AuthRevokeToken, |(t,)| Ok(s.revoke(&t).await?));
    reg!(m, s, AuthListTokens, |(u,)| Ok(s
        .store()
        .tokens(u.as_deref())
        .await?));
    reg!(m, s, AuthCreateUser, |(name, comment)| Ok(s
        .create_user(&name, &comment)
        .await?));
    reg!(m, s, AuthGetUser, |(name,)| Ok(s
        .store()
        .user(&name)
        .await?));
    reg!(m, s, AuthListUsers, |_| Ok(s.store().users().await?));
    reg!(m, s, AuthSetUserEnabled, |(name, on)| Ok(s
        .set_enabled(&name, on)
        .await?));
    reg!(m, s, AuthDeleteUser, |(name,)| Ok(s
        .delete_user(&name)
        .await?));
    reg!(m, s, AuthPutMiner, |(miner,)| Ok(s
        .store()
        .put_miner(&miner)
        .await?));
    reg!(m, s, AuthListMiners, |(u,)| Ok(s
        .store()
        .miners(u.as_deref())
        .await?));
    reg!(m, s, AuthDeleteMiner, |(a,)| Ok(s
        .store()
        .delete_miner(&a)
        .await?));
    reg!(m, s, AuthBindSigner, |(a, u)| Ok(s
        .store()
        .bind_signer(&a, &u)
        .await?));
    reg!(m, s, AuthUnbindSigner, |(a, u)| Ok(s
        .store()
        .unbind_signer(&a, &u)
        .await?));
    reg!(m, s, AuthListSigners, |(u, a)| Ok(s
        .store()
        .signers(u.as_deref(), a.as_deref())
        .await?));
    reg!(m, s, AuthSetRateLimit, |(u, l)| Ok(s
        .set_rate_limit(&u, l)
        .await?));
    reg!(m, s, AuthGetRateLimit, |(u,)| Ok(s
        .store()
        .rate_limit(&u)
        .await?));
    m
}
