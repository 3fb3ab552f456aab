//! The pool's venus-auth registry: one user per member, owning its miner
//! (open for mining: the pool's miner mines the open miners of venus-auth)
//! and its worker address (the messager lets a member's token push from
//! its own addresses only), and one `write` token per member that the
//! shared node and messager accept, as a member of a real pool is given.
//!
//! It is written to the auth database before the daemon starts, at every
//! run: what is there is kept (an operator's `miner-put --closed` stays
//! closed, a member's token stays valid), what is missing is added, so a
//! repo made before the pool ran venus-auth gains it too.

use std::path::Path;
use std::sync::Arc;

use venus_auth_lib::{AuthService, AuthServiceError, CacheConfig, Miner, SqlStore};
use venus_rpc::{Permission, TokenVerifier};

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

/// Registers every member on the auth database `db` (see the module doc);
/// each member's token, in `pool.json`'s order.
pub(crate) async fn register(layout: &Layout, dir: &Path, db: &str) -> Result<Vec<String>> {
    let failed = |e: &dyn std::fmt::Display| PoolError::Component {
        name: "auth".into(),
        reason: e.to_string(),
    };
    std::fs::create_dir_all(dir).map_err(PoolError::io("creating", dir))?;
    let secret = venus_rpc::load_or_create_secret(&secret_file(dir)).map_err(|e| failed(&e))?;
    let store = SqlStore::connect(db).await.map_err(|e| failed(&e))?;
    let auth = AuthService::new(Arc::new(store), &secret, CacheConfig::default());
    let mut tokens = Vec::new();
    for m in &layout.pool.members {
        tokens.push(
            register_member(layout, &auth, m)
                .await
                .map_err(|e| failed(&format!("registering {}: {e}", m.miner)))?,
        );
    }
    Ok(tokens)
}

async fn register_member(
    layout: &Layout,
    auth: &AuthService,
    m: &Member,
) -> std::result::Result<String, AuthServiceError> {
    let user = member_user(&m.miner);
    let comment = format!("devnet member owning {}", m.miner);
    match auth.create_user(&user, &comment).await {
        Ok(_) | Err(AuthServiceError::Duplicate(_)) => {}
        Err(e) => return Err(e),
    }
    let store = auth.store();
    if !store
        .miners(Some(&user))
        .await?
        .iter()
        .any(|x| x.address == m.miner)
    {
        store
            .put_miner(&Miner {
                address: m.miner.clone(),
                user: user.clone(),
                open_mining: true,
            })
            .await?;
    }
    store.bind_signer(&m.worker, &user).await?;
    let path = token_file(layout, &m.miner);
    if let Ok(token) = std::fs::read_to_string(&path) {
        let token = token.trim();
        // Kept while venus-auth still takes it as this member's.
        if let Ok(c) = auth.verify(token).await {
            if c.name.as_deref() == Some(user.as_str()) && c.allow.contains(&Permission::Write) {
                return Ok(token.to_string());
            }
        }
    }
    let token = auth.create_token(&user, Permission::Write).await?;
    write_private(&path, token.as_bytes()).map_err(|e| AuthServiceError::Invalid(e.to_string()))?;
    Ok(token)
}
