//! [`AuthService`]: issuing, verifying (with a bounded cache) and revoking tokens.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use rand::RngCore;
use venus_api::auth::VerifyCache;
use venus_rpc::{AuthError, Claims, Hs256Verifier, JwtPayload, Permission, TokenVerifier};

use crate::model::{TokenInfo, User, UserRateLimit};
use crate::store::AuthStore;
use crate::{AuthServiceError, Result};

pub use venus_api::auth::CacheConfig;

fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// The auth service over an [`AuthStore`].
pub struct AuthService {
    store: Arc<dyn AuthStore>,
    jwt: Hs256Verifier,
    cache: VerifyCache,
}

impl AuthService {
    /// A service signing tokens with `secret`.
    pub fn new(store: Arc<dyn AuthStore>, secret: &[u8], cache: CacheConfig) -> Self {
        AuthService {
            store,
            jwt: Hs256Verifier::new(secret),
            cache: VerifyCache::new(cache),
        }
    }

    /// The store, for registry reads and writes that need no cache purge.
    pub fn store(&self) -> &Arc<dyn AuthStore> {
        &self.store
    }

    /// Creates a user (enabled).
    pub async fn create_user(&self, name: &str, comment: &str) -> Result<User> {
        if name.is_empty() || name.len() > 255 {
            return Err(AuthServiceError::Invalid(
                "a user name has 1 to 255 bytes".into(),
            ));
        }
        let u = User {
            name: name.into(),
            comment: comment.into(),
            enabled: true,
            created_at: now_secs(),
        };
        self.store.create_user(&u).await?;
        Ok(u)
    }

    /// Enables or disables a user; a disabled user's tokens stop working at once here.
    pub async fn set_enabled(&self, name: &str, enabled: bool) -> Result<()> {
        let mut u = self
            .store
            .user(name)
            .await?
            .ok_or_else(|| AuthServiceError::NotFound(format!("user {name:?}")))?;
        u.enabled = enabled;
        self.store.update_user(&u).await?;
        self.cache.purge(|c| c.name.as_deref() == Some(name));
        Ok(())
    }

    /// Deletes a user with its tokens, miners, signers and limit.
    pub async fn delete_user(&self, name: &str) -> Result<()> {
        self.store.delete_user(name).await?;
        self.cache.purge(|c| c.name.as_deref() == Some(name));
        Ok(())
    }

    /// Sets or clears a user's rate limit.
    pub async fn set_rate_limit(&self, user: &str, limit: Option<UserRateLimit>) -> Result<()> {
        self.store.set_rate_limit(user, limit).await?;
        self.cache.purge(|c| c.name.as_deref() == Some(user));
        Ok(())
    }

    /// Issues a token for an enabled user, granting `perm` and every permission below it.
    pub async fn create_token(&self, user: &str, perm: Permission) -> Result<String> {
        let u = self
            .store
            .user(user)
            .await?
            .ok_or_else(|| AuthServiceError::NotFound(format!("user {user:?}")))?;
        if !u.enabled {
            return Err(AuthServiceError::Invalid(format!(
                "user {user:?} is disabled"
            )));
        }
        let mut id = [0u8; 16];
        rand::rngs::OsRng.fill_bytes(&mut id);
        let id = hex::encode(id);
        let payload = JwtPayload {
            allow: perm.and_below(),
            name: Some(user.into()),
            exp: None,
            jti: Some(id.clone()),
        };
        let jwt = self
            .jwt
            .sign_payload(&payload)
            .map_err(|e| AuthServiceError::Invalid(e.to_string()))?;
        self.store
            .insert_token(&TokenInfo {
                id,
                user: user.into(),
                perm,
                created_at: now_secs(),
                revoked: false,
            })
            .await?;
        Ok(jwt)
    }

    /// Revokes a token by its JWT or its id; it is refused at its next use.
    pub async fn revoke(&self, token_or_id: &str) -> Result<()> {
        let id = match self.jwt.decode(token_or_id) {
            Ok(p) => p.jti.ok_or_else(|| {
                AuthServiceError::Invalid(
                    "a Lotus-format token has no id and cannot be revoked; rotate the secret"
                        .into(),
                )
            })?,
            Err(_) => token_or_id.to_string(),
        };
        self.store.revoke_token(&id).await?;
        // The cache is keyed by JWT; drop every entry of this token's user to be sure.
        if let Some(t) = self.store.token(&id).await? {
            self.cache
                .purge(|c| c.name.as_deref() == Some(t.user.as_str()));
        }
        Ok(())
    }

    async fn verify_uncached(&self, token: &str) -> Result<Claims, AuthError> {
        let p = self.jwt.decode(token)?;
        let Some(id) = p.jti else {
            // A Lotus-format token: valid signature, no user, not revocable.
            return Ok(Claims {
                name: p.name,
                allow: p.allow,
                rate_limit: None,
            });
        };
        let unavailable = |e: AuthServiceError| AuthError::Unavailable(e.to_string());
        let t = self
            .store
            .token(&id)
            .await
            .map_err(unavailable)?
            .ok_or_else(|| AuthError::Refused("unknown token".into()))?;
        if t.revoked {
            return Err(AuthError::Refused("token revoked".into()));
        }
        let u = self
            .store
            .user(&t.user)
            .await
            .map_err(unavailable)?
            .ok_or_else(|| AuthError::Refused(format!("user {} no longer exists", t.user)))?;
        if !u.enabled {
            return Err(AuthError::Refused(format!("user {} is disabled", t.user)));
        }
        let limit = self.store.rate_limit(&t.user).await.map_err(unavailable)?;
        Ok(Claims {
            name: Some(t.user),
            allow: t.perm.and_below(),
            rate_limit: limit.map(Into::into),
        })
    }
}

#[async_trait]
impl TokenVerifier for AuthService {
    async fn verify(&self, token: &str) -> Result<Claims, AuthError> {
        if let Some(c) = self.cache.get(token) {
            return Ok(c);
        }
        let generation = self.cache.generation();
        let claims = self.verify_uncached(token).await?;
        self.cache.put(token, &claims, generation);
        Ok(claims)
    }
}
