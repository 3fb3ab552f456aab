//! The auth daemon's API, and [`RemoteVerifier`]: a `TokenVerifier` that asks it.

use std::sync::Arc;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use venus_rpc::{
    codes, rpc_method, Anonymous, AuthError, Claims, NoParams, Permission, RateLimit, RateLimiter,
    RpcClient, RpcError, RpcMethod, RpcModule, RpcServer, ServerConfig, TokenVerifier,
};

use crate::model::{Miner, TokenInfo, User, UserRateLimit};
use crate::service::{AuthService, CacheConfig, VerifyCache};
use crate::AuthServiceError;

/// What a token grants, as `Venus.AuthVerify` answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifiedClaims {
    /// The user.
    pub name: Option<String>,
    /// The permissions.
    pub allow: Vec<Permission>,
    /// The user's budget.
    pub rate_limit: Option<RateLimit>,
}

rpc_method! { /// Verifies a token: the one method a caller without a token may call (rate-limited per address).
pub AuthVerify = "Venus.AuthVerify", read, idempotent, (String,) => VerifiedClaims }
rpc_method! { /// Issues a token for a user with a permission.
pub AuthCreateToken = "Venus.AuthCreateToken", admin, (String, Permission) => String }
rpc_method! { /// Revokes a token (JWT or id).
pub AuthRevokeToken = "Venus.AuthRevokeToken", admin, (String,) => () }
rpc_method! { /// Lists tokens, of one user or all.
pub AuthListTokens = "Venus.AuthListTokens", admin, idempotent, (Option<String>,) => Vec<TokenInfo> }
rpc_method! { /// Creates a user: (name, comment).
pub AuthCreateUser = "Venus.AuthCreateUser", admin, (String, String) => User }
rpc_method! { /// A user by name.
pub AuthGetUser = "Venus.AuthGetUser", read, idempotent, (String,) => Option<User> }
rpc_method! { /// All users.
pub AuthListUsers = "Venus.AuthListUsers", read, idempotent, NoParams => Vec<User> }
rpc_method! { /// Enables or disables a user.
pub AuthSetUserEnabled = "Venus.AuthSetUserEnabled", admin, (String, bool) => () }
rpc_method! { /// Deletes a user and what is bound to it.
pub AuthDeleteUser = "Venus.AuthDeleteUser", admin, (String,) => () }
rpc_method! { /// Adds or moves a miner.
pub AuthPutMiner = "Venus.AuthPutMiner", admin, (Miner,) => () }
rpc_method! { /// Miners, of one user or all.
pub AuthListMiners = "Venus.AuthListMiners", read, idempotent, (Option<String>,) => Vec<Miner> }
rpc_method! { /// Removes a miner.
pub AuthDeleteMiner = "Venus.AuthDeleteMiner", admin, (String,) => () }
rpc_method! { /// Binds a signer address to a user: (address, user).
pub AuthBindSigner = "Venus.AuthBindSigner", admin, (String, String) => () }
rpc_method! { /// Unbinds it.
pub AuthUnbindSigner = "Venus.AuthUnbindSigner", admin, (String, String) => () }
rpc_method! { /// Signer bindings (address, user), filtered by user and/or address.
pub AuthListSigners = "Venus.AuthListSigners", read, idempotent, (Option<String>, Option<String>) => Vec<(String, String)> }
rpc_method! { /// Sets or clears a user's rate limit.
pub AuthSetRateLimit = "Venus.AuthSetRateLimit", admin, (String, Option<UserRateLimit>) => () }
rpc_method! { /// A user's rate limit.
pub AuthGetRateLimit = "Venus.AuthGetRateLimit", read, idempotent, (String,) => Option<UserRateLimit> }

fn err(e: AuthServiceError) -> RpcError {
    RpcError::method(e)
}

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
    reg!(m, s, AuthCreateToken, |(user, perm)| s
        .create_token(&user, perm)
        .await
        .map_err(err));
    reg!(m, s, AuthRevokeToken, |(t,)| s
        .revoke(&t)
        .await
        .map_err(err));
    reg!(m, s, AuthListTokens, |(u,)| s
        .store()
        .tokens(u.as_deref())
        .await
        .map_err(err));
    reg!(m, s, AuthCreateUser, |(name, comment)| s
        .create_user(&name, &comment)
        .await
        .map_err(err));
    reg!(m, s, AuthGetUser, |(name,)| s
        .store()
        .user(&name)
        .await
        .map_err(err));
    reg!(m, s, AuthListUsers, |_| s
        .store()
        .users()
        .await
        .map_err(err));
    reg!(m, s, AuthSetUserEnabled, |(name, on)| s
        .set_enabled(&name, on)
        .await
        .map_err(err));
    reg!(m, s, AuthDeleteUser, |(name,)| s
        .delete_user(&name)
        .await
        .map_err(err));
    reg!(m, s, AuthPutMiner, |(miner,)| s
        .store()
        .put_miner(&miner)
        .await
        .map_err(err));
    reg!(m, s, AuthListMiners, |(u,)| s
        .store()
        .miners(u.as_deref())
        .await
        .map_err(err));
    reg!(m, s, AuthDeleteMiner, |(a,)| s
        .store()
        .delete_miner(&a)
        .await
        .map_err(err));
    reg!(m, s, AuthBindSigner, |(a, u)| s
        .store()
        .bind_signer(&a, &u)
        .await
        .map_err(err));
    reg!(m, s, AuthUnbindSigner, |(a, u)| s
        .store()
        .unbind_signer(&a, &u)
        .await
        .map_err(err));
    reg!(m, s, AuthListSigners, |(u, a)| s
        .store()
        .signers(u.as_deref(), a.as_deref())
        .await
        .map_err(err));
    reg!(m, s, AuthSetRateLimit, |(u, l)| s
        .set_rate_limit(&u, l)
        .await
        .map_err(err));
    reg!(m, s, AuthGetRateLimit, |(u,)| s
        .store()
        .rate_limit(&u)
        .await
        .map_err(err));
    m
}

/// A [`TokenVerifier`] for any daemon of the pool: asks the auth service over
/// RPC and caches answers for at most `CacheConfig::ttl`, so a revocation or
/// a disabled user takes effect within that bound.
pub struct RemoteVerifier {
    rpc: RpcClient,
    cache: VerifyCache,
}

impl RemoteVerifier {
    /// Verifies through `rpc`, an auth daemon endpoint. No token is needed;
    /// without one the calls count against the auth daemon's per-address
    /// budget for anonymous callers, so a busy daemon should connect with a
    /// token of its own.
    pub fn new(rpc: RpcClient, cache: CacheConfig) -> Self {
        RemoteVerifier {
            rpc,
            cache: VerifyCache::new(cache),
        }
    }
}

#[async_trait]
impl TokenVerifier for RemoteVerifier {
    async fn verify(&self, token: &str) -> Result<Claims, AuthError> {
        if let Some(c) = self.cache.get(token) {
            return Ok(c);
        }
        let generation = self.cache.generation();
        let v = match self.rpc.call::<AuthVerify>((token.to_string(),)).await {
            Ok(v) => v,
            // The daemon's word on the token (code 1 from a daemon before
            // `TOKEN_REFUSED`) refuses it; anything else (the daemon down,
            // this verifier's own token refused, its budget spent, its store
            // failing) only means no answer now, so connections are kept.
            Err(venus_rpc::Error::Rpc(e))
                if matches!(e.code, codes::TOKEN_REFUSED | codes::METHOD_ERROR) =>
            {
                return Err(AuthError::Refused(e.message))
            }
            Err(venus_rpc::Error::Unauthorized(why)) => {
                tracing::error!(target: "venus::auth", %why, "the auth daemon refused this verifier's own token: no token can be verified until it is replaced");
                return Err(AuthError::Unavailable(format!(
                    "the auth daemon refused the verifier's own token: {why}"
                )));
            }
            Err(e) => return Err(AuthError::Unavailable(e.to_string())),
        };
        let claims = Claims {
            name: v.name,
            allow: v.allow,
            rate_limit: v.rate_limit,
        };
        self.cache.put(token, &claims, generation);
        Ok(claims)
    }
}
