//! Token verification: the [`TokenVerifier`] trait and a local HS256 verifier.

use std::time::{SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::{Claims, Permission};

/// Why a token was refused.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum AuthError {
    /// Malformed, wrongly signed or expired.
    #[error("invalid token: {0}")]
    Invalid(String),
    /// Well-formed but no longer good (revoked, user disabled).
    #[error("token refused: {0}")]
    Refused(String),
    /// The verifier could not decide (e.g. the auth service is down).
    #[error("token verifier unavailable: {0}")]
    Unavailable(String),
}

/// Turns a bearer token into [`Claims`].
///
/// Contract: idempotent and cancel-safe; it may cache, but a cache must be
/// bounded in time so that revocation takes effect. A server maps any error
/// to HTTP 401.
#[async_trait]
pub trait TokenVerifier: Send + Sync {
    /// Verifies `token` and returns what it grants.
    async fn verify(&self, token: &str) -> Result<Claims, AuthError>;
}

/// The JWT payload: Lotus's `{"Allow": [...]}`, plus an optional name and
/// expiry that our own tokens carry.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct JwtPayload {
    /// Granted permissions.
    #[serde(rename = "Allow")]
    pub allow: Vec<Permission>,
    /// The caller's name.
    #[serde(rename = "name", default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Expiry, seconds since the Unix epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exp: Option<u64>,
    /// Token id, for services that can revoke tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jti: Option<String>,
}

/// Verifies HS256 tokens signed with a local secret, as Lotus's do.
#[derive(Clone)]
pub struct Hs256Verifier {
    key: DecodingKey,
    encoding: EncodingKey,
}

impl std::fmt::Debug for Hs256Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Hs256Verifier(<secret>)")
    }
}

impl Hs256Verifier {
    /// A verifier for tokens signed with `secret` (Lotus keeps it in `keystore/MF2XI2BNNJ3XILLQOJUXMYLUMU`).
    pub fn new(secret: &[u8]) -> Self {
        Hs256Verifier {
            key: DecodingKey::from_secret(secret),
            encoding: EncodingKey::from_secret(secret),
        }
    }

    /// Signs a token granting `allow`, with an optional name and lifetime.
    pub fn sign(
        &self,
        allow: Vec<Permission>,
        name: Option<String>,
        ttl: Option<std::time::Duration>,
    ) -> Result<String, AuthError> {
        let exp = ttl.map(|t| now_secs() + t.as_secs());
        self.sign_payload(&JwtPayload {
            allow,
            name,
            exp,
            jti: None,
        })
    }

    /// Signs a payload as given.
    pub fn sign_payload(&self, payload: &JwtPayload) -> Result<String, AuthError> {
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), payload, &self.encoding)
            .map_err(|e| AuthError::Invalid(e.to_string()))
    }
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

impl Hs256Verifier {
    /// Checks the signature and expiry, and returns the payload.
    pub fn decode(&self, token: &str) -> Result<JwtPayload, AuthError> {
        let mut validation = Validation::new(Algorithm::HS256);
        // Lotus tokens carry no expiry; ours may. Expiry is checked below when present.
        validation.required_spec_claims.clear();
        validation.validate_exp = false;
        let data = jsonwebtoken::decode::<JwtPayload>(token, &self.key, &validation)
            .map_err(|e| AuthError::Invalid(e.to_string()))?;
        if let Some(exp) = data.claims.exp {
            if exp <= now_secs() {
                return Err(AuthError::Invalid("token expired".into()));
            }
        }
        Ok(data.claims)
    }
}

#[async_trait]
impl TokenVerifier for Hs256Verifier {
    async fn verify(&self, token: &str) -> Result<Claims, AuthError> {
        let payload = self.decode(token)?;
        Ok(Claims {
            name: payload.name,
            allow: payload.allow,
            rate_limit: None,
        })
    }
}

/// A local verifier, then a second one for what the first refuses: a
/// daemon whose tokens come from `venus-auth` still accepts the admin
/// token of its own repo (the `token` file it writes), as sophon-messager
/// keeps a local and a remote JWT client side by side
/// (`api/jwt/jwt.go`).
///
/// A token the local verifier finds invalid (another signer's, say) goes
/// to the second; a local [`AuthError::Refused`] or
/// [`AuthError::Unavailable`] stands.
pub struct LocalThen<L, R> {
    local: L,
    then: R,
}

impl<L, R> LocalThen<L, R> {
    /// `local` first, `then` for the rest.
    pub fn new(local: L, then: R) -> Self {
        LocalThen { local, then }
    }
}

#[async_trait]
impl<L: TokenVerifier, R: TokenVerifier> TokenVerifier for LocalThen<L, R> {
    async fn verify(&self, token: &str) -> Result<Claims, AuthError> {
        match self.local.verify(token).await {
            Ok(c) => Ok(c),
            Err(AuthError::Invalid(_)) => self.then.verify(token).await,
            Err(e) => Err(e),
        }
    }
}
