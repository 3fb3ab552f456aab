//! The pool's venus-auth registry: one user per member, owning its miner
//! (open for mining: the pool's miner mines the open miners of venus-auth)
//! and its worker address (the messager lets a member's token push from
//! its own addresses only), and one `write` token per member that the
//! shared node and messager accept, as a member of a real pool is given.
//!
//! It is written to the auth database before the daemon starts, at every
//! run. A member is registered (user, miner, signer) once, when its user
//! is made: what the operator changed since (a miner closed or moved, a
//! signer unbound, the user disabled) is left as it is. A member's token
//! file is kept while this secret signed it for that member, even if the
//! operator revoked it; a new one is made only when there is none. So a
//! repo made before the pool ran venus-auth gains it too.
//!
//! The shared services ask venus-auth with a `read` token of their own
//! (`venus-pool-services`): all they call (`AuthVerify`, `AuthListMiners`,
//! `AuthListSigners`) reads.

use std::path::Path;
use std::sync::Arc;

use venus_auth_lib::{AuthService, AuthServiceError, CacheConfig, Miner, SqlStore};
use venus_rpc::{Hs256Verifier, Permission};

use crate::devnet::{write_private, Member};
use crate::{Layout, PoolError, Result};

/// The user name of the member whose miner is `miner` (`member-f01000`).
pub fn member_user(miner: &str) -> String {
    format!("member-{miner}")
}

/// The file holding a member's token: `members/<miner>/auth-token`.
pub(crate) fn token_file(layout: &Layout, miner: &str) -> std::path::PathBuf {
    layout.member(miner).join("auth-token")
}

/// The auth daemon's token secret in its repo (its default place).
pub(crate) fn secret_file(dir: &Path) -> std::path::PathBuf {
    dir.join("token-secret")
}

/// What the pool's services and members call venus-auth and the shared
/// services with.
pub(crate) struct Registered {
    /// Each member's token, in `pool.json`'s order.
    pub members: Vec<String>,
    /// The shared services' `read` token for venus-auth.
    pub services: String,
}

/// Registers every member on the auth database `db` (see the module doc).
pub(crate) async fn register(layout: &Layout, dir: &Path, db: &str) -> Result<Registered> {
    let failed = |e: &dyn std::fmt::Display| PoolError::Component {
        name: "auth".into(),
        reason: e.to_string(),
    };
    // Made as the daemon makes its repo (0700: it holds the secret).
    venus_daemon::Repo::open("auth", Some(dir.to_path_buf())).map_err(|e| failed(&e))?;
    let secret = venus_rpc::load_or_create_secret(&secret_file(dir)).map_err(|e| failed(&e))?;
    let store = SqlStore::connect(db).await.map_err(|e| failed(&e))?;
    let auth = AuthService::new(Arc::new(store), &secret, CacheConfig::default());
    let jwt = Hs256Verifier::new(&secret);
    let mut members = Vec::new();
    for m in &layout.pool.members {
        members.push(
            register_member(layout, &auth, &jwt, m)
                .await
                .map_err(|e| failed(&format!("registering {}: {e}", m.miner)))?,
        );
    }
    let services = jwt
        .sign(
            vec![Permission::Read],
            Some("venus-pool-services".into()),
            None,
        )
        .map_err(|e| failed(&e))?;
    Ok(Registered { members, services })
}

async fn register_member(
    layout: &Layout,
    auth: &AuthService,
    jwt: &Hs256Verifier,
    m: &Member,
) -> std::result::Result<String, AuthServiceError> {
    let user = member_user(&m.miner);
    let comment = format!("devnet member owning {}", m.miner);
    match auth.create_user(&user, &comment).await {
        Ok(_) => {
            let store = auth.store();
            store
                .put_miner(&Miner {
                    address: m.miner.clone(),
                    user: user.clone(),
                    open_mining: true,
                })
                .await?;
            store.bind_signer(&m.worker, &user).await?;
        }
        // Registered at an earlier run: the operator's since.
        Err(AuthServiceError::Duplicate(_)) => {}
        Err(e) => return Err(e),
    }
    let path = token_file(layout, &m.miner);
    if let Ok(token) = std::fs::read_to_string(&path) {
        let token = token.trim();
        // Ours and this member's: kept, whatever venus-auth now says of it.
        if jwt
            .decode(token)
            .is_ok_and(|p| p.name.as_deref() == Some(user.as_str()))
        {
            return Ok(token.to_string());
        }
    }
    let token = auth.create_token(&user, Permission::Write).await?;
    write_private(&path, token.as_bytes()).map_err(|e| AuthServiceError::Invalid(e.to_string()))?;
    Ok(token)
}
