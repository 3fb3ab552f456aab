//! What every daemon answers, as in Lotus's Common API
//! (`api/api_common.go`): [`AuthVerify`] says what a token grants there.
//!
//! [`check_token`] asks it about a client's own token when a daemon starts,
//! so a token that cannot do what the daemon will ask of it stops the start
//! with an error naming both, instead of failing call by call later.
//!
//! ```no_run
//! use venus_api::common::check_token;
//! use venus_api::wallet::WalletSign;
//! use venus_rpc::{RpcClient, RpcMethod};
//!
//! # async fn demo() -> Result<(), String> {
//! let wallet = RpcClient::connect("TOKEN:/ip4/127.0.0.1/tcp/5678/http")
//!     .await
//!     .map_err(|e| e.to_string())?;
//! check_token(&wallet, &[WalletSign::PERMISSION])
//!     .await
//!     .map_err(|e| format!("the wallet's {e}, which signing needs"))?;
//! # Ok(()) }
//! ```

use std::time::Duration;

use venus_rpc::{codes, Error, Permission, RpcClient};

pub use crate::lotus::{AuthNew, AuthVerify};

/// How long [`check_token`] waits for the daemon's answer.
pub const PERMISSIONS_TIMEOUT: Duration = Duration::from_secs(10);

/// What `rpc`'s own token grants on the daemon it calls ([`AuthVerify`]),
/// or `None` when that cannot be asked: the endpoint has no token, or the
/// daemon has no `AuthVerify` (Venus's node, whose method is `Verify`).
pub async fn token_permissions(rpc: &RpcClient) -> crate::Result<Option<Vec<Permission>>> {
    let Some(token) = rpc.endpoint().token.clone() else {
        return Ok(None);
    };
    match rpc.call::<AuthVerify>((token,)).await {
        Ok(allow) => Ok(Some(allow)),
        Err(Error::Rpc(e)) if e.code == codes::METHOD_NOT_FOUND => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// A token that the daemon it is for says lacks permissions a caller needs.
/// Shown after whose token it is: `format!("the wallet's {e}")` reads
/// `the wallet's token grants [read] but not sign`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingPermissions {
    /// What the token grants there.
    pub granted: Vec<Permission>,
    /// What is needed and not granted, never empty.
    pub missing: Vec<Permission>,
}

impl std::fmt::Display for MissingPermissions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names = |ps: &[Permission]| ps.iter().map(|p| p.as_str()).collect::<Vec<_>>();
        write!(
            f,
            "token grants [{}] but not {}",
            names(&self.granted).join(", "),
            names(&self.missing).join(" or ")
        )
    }
}

impl std::error::Error for MissingPermissions {}

/// Refuses `rpc`'s token when the daemon it calls says it lacks one of
/// `needed`. Only that answer refuses: a token that cannot be asked about
/// (no token, a daemon without `AuthVerify`) passes with a debug event,
/// and any failure to ask (the daemon down or silent for
/// [`PERMISSIONS_TIMEOUT`], the token itself refused) with a warning, for
/// the calls to come to report.
///
/// The check is membership, as go-jsonrpc's is: a token granting only
/// `admin` lacks `write`.
pub async fn check_token(rpc: &RpcClient, needed: &[Permission]) -> Result<(), MissingPermissions> {
    let asked = tokio::time::timeout(PERMISSIONS_TIMEOUT, token_permissions(rpc))
        .await
        .unwrap_or_else(|_| Err(crate::Error::Rpc(Error::Timeout(PERMISSIONS_TIMEOUT))));
    let endpoint = rpc.endpoint().redacted();
    match asked {
        Ok(Some(granted)) => {
            let missing: Vec<Permission> = needed
                .iter()
                .filter(|p| !granted.contains(p))
                .copied()
                .collect();
            if missing.is_empty() {
                Ok(())
            } else {
                Err(MissingPermissions { granted, missing })
            }
        }
        Ok(None) => {
            tracing::debug!(target: "venus::api", %endpoint, "the token cannot be asked about: its permissions are not checked");
            Ok(())
        }
        Err(e) => {
            tracing::warn!(target: "venus::api", %endpoint, error = %e, "asking what the token grants failed: its permissions are not checked");
            Ok(())
        }
    }
}
