//! Running the wallet as a daemon: the repo directory, the token secret, the server.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use venus_rpc::{Endpoint, Hs256Verifier, Permission, RpcServer, ServerConfig, ServerHandle};

use crate::rpc::wallet_module;
use crate::{KdfParams, LocalWallet, Result, WalletDb, WalletError};

/// The wallet's directory: `wallet.db` (SQLite) and `token-secret` (HS256 key for API tokens).
#[derive(Debug, Clone)]
pub struct WalletRepo {
    dir: PathBuf,
}

fn io(what: &str, path: &Path, e: std::io::Error) -> WalletError {
    WalletError::Invalid(format!("{what} {}: {e}", path.display()))
}

impl WalletRepo {
    /// Opens (creating) the repo directory.
    pub fn open(dir: impl Into<PathBuf>) -> Result<Self> {
        let dir = dir.into();
        std::fs::create_dir_all(&dir).map_err(|e| io("creating", &dir, e))?;
        Ok(WalletRepo { dir })
    }

    /// The default repo: `$VENUS_WALLET_PATH`, else `~/.venus-wallet`.
    pub fn default_dir() -> PathBuf {
        if let Ok(p) = std::env::var("VENUS_WALLET_PATH") {
            return PathBuf::from(p);
        }
        let home = std::env::var("HOME").unwrap_or_else(|_| ".".into());
        PathBuf::from(home).join(".venus-wallet")
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The database file.
    pub fn db_path(&self) -> PathBuf {
        self.dir.join("wallet.db")
    }

    /// The API token secret, created (32 random bytes, mode 0600) on first use.
    pub fn secret(&self) -> Result<Vec<u8>> {
        let path = self.dir.join("token-secret");
        venus_rpc::load_or_create_secret(&path).map_err(|e| match e.kind() {
            // Its message names the file and the fix.
            std::io::ErrorKind::InvalidData => WalletError::Invalid(e.to_string()),
            _ => io("reading", &path, e),
        })
    }

    /// The wallet, locked.
    pub async fn wallet(&self, kdf: KdfParams) -> Result<Arc<LocalWallet>> {
        Ok(Arc::new(LocalWallet::new(
            WalletDb::open(&self.db_path()).await?,
            kdf,
        )))
    }

    /// A token for this repo's daemon.
    pub fn token(&self, perm: Permission, name: Option<String>) -> Result<String> {
        Hs256Verifier::new(&self.secret()?)
            .sign(perm.and_below(), name, None)
            .map_err(|e| WalletError::Invalid(e.to_string()))
    }
}

/// Serves the wallet's API on `listen` with tokens signed by `secret`, and
/// Lotus's `AuthVerify` and `AuthNew` beside it, as Venus's wallet does
/// (its `api/api_common.go`): `AuthNew` makes tokens with `secret` for an
/// admin. Those tokens name no caller, so one without admin signs nothing
/// (policies bind to callers' names): make a signer's token with
/// `venus-wallet api-info --perm sign --name <caller>`.
pub async fn serve(
    wallet: Arc<LocalWallet>,
    secret: &[u8],
    listen: SocketAddr,
) -> Result<ServerHandle> {
    let tokens = Hs256Verifier::new(secret);
    let mut module = wallet_module(wallet);
    module
        .merge(venus_api::lotus::auth_module(
            Arc::new(tokens.clone()),
            Some(tokens.clone()),
        ))
        .map_err(|e| WalletError::Serve(e.to_string()))?;
    RpcServer::builder(module)
        .verifier(Arc::new(tokens))
        .config(ServerConfig::daemon())
        .build()
        .start(listen)
        .await
        .map_err(|e| WalletError::Serve(e.to_string()))
}

/// The API-info string (`TOKEN:/ip4/…/tcp/…/http`) Lotus's `RemoteBackend` accepts.
pub fn api_info(token: &str, addr: SocketAddr) -> Result<String> {
    Endpoint::new(format!("http://{addr}/rpc/v1"), Some(token.to_string()))
        .to_api_info()
        .map_err(|e| WalletError::Invalid(e.to_string()))
}
