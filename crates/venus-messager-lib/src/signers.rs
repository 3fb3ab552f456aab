//! [`WalletSigners`]: the pool members' wallets as [`Signers`], each
//! address signed by the wallet that lists it.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use venus_api::wallet::WalletClient;
use venus_core::traits::RemoteSigner;
use venus_core::Address;

use crate::Signers;

const T: &str = "venus::messager";

/// Wallets over RPC; which one signs for an address is learned from their
/// `WalletList` ([`WalletSigners::refresh`]). A wallet that does not
/// answer keeps the addresses it listed before.
pub struct WalletSigners {
    wallets: Vec<(String, Arc<WalletClient>)>,
    known: RwLock<HashMap<Address, Arc<dyn RemoteSigner>>>,
}

impl WalletSigners {
    /// The wallets, each with a name for logs.
    pub fn new(wallets: Vec<(String, WalletClient)>) -> Self {
        WalletSigners {
            wallets: wallets.into_iter().map(|(n, w)| (n, Arc::new(w))).collect(),
            known: RwLock::default(),
        }
    }

    /// Asks every wallet for its addresses; returns how many are known.
    pub async fn refresh(&self) -> usize {
        let mut found: Vec<(Address, Arc<dyn RemoteSigner>)> = Vec::new();
        for (name, w) in &self.wallets {
            match w.wallet_list().await {
                Ok(list) => {
                    let signer: Arc<dyn RemoteSigner> = w.clone();
                    found.extend(list.into_iter().map(|a| (a, signer.clone())));
                }
                Err(e) => {
                    tracing::warn!(target: T, wallet = %name, error = %e, "listing a wallet's keys failed")
                }
            }
        }
        let mut known = self.known.write().unwrap_or_else(|p| p.into_inner());
        known.extend(found);
        known.len()
    }

    /// Whether a wallet lists `addr` (asking them again when it is not
    /// known yet).
    pub async fn has(&self, addr: &Address) -> bool {
        if self.signer(addr).is_some() {
            return true;
        }
        self.refresh().await;
        self.signer(addr).is_some()
    }
}

impl Signers for WalletSigners {
    fn signer(&self, from: &Address) -> Option<Arc<dyn RemoteSigner>> {
        self.known
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(from)
            .cloned()
    }
}
