//! [`RemoteVerifier`]: a `TokenVerifier` that asks the auth daemon.

use async_trait::async_trait;
use venus_rpc::{codes, AuthError, Claims, RpcClient, TokenVerifier};

use super::{AuthClient, CacheConfig, VerifyCache};
use crate::Error;

/// A [`TokenVerifier`] for any daemon of the pool: asks the auth service over
/// RPC and caches answers for at most `CacheConfig::ttl`, so a revocation or
/// a disabled user takes effect within that bound.
pub struct RemoteVerifier {
    auth: AuthClient,
    cache: VerifyCache,
}

impl RemoteVerifier {
    /// Verifies through `rpc`, an auth daemon endpoint. No token is needed;
    /// without one the calls count against the auth daemon's per-address
    /// budget for anonymous callers, so a busy daemon should connect with a
    /// token of its own.
    pub fn new(rpc: RpcClient, cache: CacheConfig) -> Self {
        RemoteVerifier {
            auth: AuthClient::new(rpc),
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
        let v = match self.auth.verify(token).await {
            Ok(v) => v,
            // The daemon's word on the token refuses it (code 1 from a daemon
            // before `TOKEN_REFUSED`); anything else (the daemon down, this
            // verifier's own token refused, its budget spent, its store
            // failing) only means no answer now, so connections are kept.
            Err(Error::TokenRefused(why)) => return Err(AuthError::Refused(why)),
            Err(Error::Rpc(venus_rpc::Error::Rpc(e))) if e.code == codes::METHOD_ERROR => {
                return Err(AuthError::Refused(e.message))
            }
            Err(Error::Rpc(venus_rpc::Error::Unauthorized(why))) => {
                tracing::error!(target: "venus::api", %why, "the auth daemon refused this verifier's own token: no token can be verified until it is replaced");
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
