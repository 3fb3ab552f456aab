//! Lotus's remote-wallet API, the wallet's own extras, and a client.
//!
//! Lotus methods and permissions (as Lotus declares them): `WalletNew`,
//! `WalletHas`, `WalletList` (write), `WalletSign` (sign), `WalletExport`,
//! `WalletImport`, `WalletDelete` (admin). Ours, in the `Venus.` namespace:
//! lock state, unlock, set password, sign records, policies (admin).

use std::sync::Arc;

use async_trait::async_trait;
use venus_core::crypto::KeyInfo;
use venus_core::encoding::RawBytes;
use venus_core::json::Lotus;
use venus_core::traits::RemoteSigner;
use venus_core::types::MsgMeta;
use venus_core::{Address, Signature, SignatureType};
use venus_rpc::{rpc_method, Claims, NoParams, Permission, RpcClient, RpcError, RpcModule};

use crate::{Caller, LocalWallet, Policy, PolicyGroup, RecordQuery, SignRecord, WalletError};

rpc_method! { /// Creates a key: "bls" or "secp256k1".
pub WalletNew = "Filecoin.WalletNew", write, (String,) => Lotus<Address> }
rpc_method! { /// Whether the wallet has the key.
pub WalletHas = "Filecoin.WalletHas", write, idempotent, (Lotus<Address>,) => bool }
rpc_method! { /// The wallet's addresses.
pub WalletList = "Filecoin.WalletList", write, idempotent, NoParams => Lotus<Vec<Address>> }
rpc_method! { /// Signs bytes after checking them against MsgMeta.
pub WalletSign = "Filecoin.WalletSign", sign, (Lotus<Address>, Lotus<RawBytes>, Lotus<MsgMeta>) => Lotus<Signature> }
rpc_method! { /// Exports a key as Lotus KeyInfo.
pub WalletExport = "Filecoin.WalletExport", admin, (Lotus<Address>,) => KeyInfo }
rpc_method! { /// Imports a Lotus KeyInfo.
pub WalletImport = "Filecoin.WalletImport", admin, (KeyInfo,) => Lotus<Address> }
rpc_method! { /// Deletes a key.
pub WalletDelete = "Filecoin.WalletDelete", admin, (Lotus<Address>,) => () }
rpc_method! { /// Whether the wallet is locked.
pub WalletLockState = "Venus.WalletLockState", read, idempotent, NoParams => bool }
rpc_method! { /// Locks the wallet.
pub WalletLock = "Venus.WalletLock", admin, NoParams => () }
rpc_method! { /// Unlocks the wallet; returns the entries that failed to open.
pub WalletUnlock = "Venus.WalletUnlock", admin, (String,) => Vec<(String, String)> }
rpc_method! { /// Sets (old, new) the password.
pub WalletSetPassword = "Venus.WalletSetPassword", admin, (Option<String>, String) => () }
rpc_method! { /// Queries the sign record.
pub SignRecords = "Venus.SignRecords", admin, idempotent, (RecordQuery,) => Vec<SignRecord> }
rpc_method! { /// Adds or replaces a policy.
pub PolicyPut = "Venus.PolicyPut", admin, (Policy,) => () }
rpc_method! { /// Lists policies.
pub PolicyList = "Venus.PolicyList", admin, idempotent, NoParams => Vec<Policy> }
rpc_method! { /// Deletes a policy.
pub PolicyDelete = "Venus.PolicyDelete", admin, (String,) => bool }
rpc_method! { /// Adds or replaces a policy group.
pub PolicyGroupPut = "Venus.PolicyGroupPut", admin, (PolicyGroup,) => () }
rpc_method! { /// Lists policy groups.
pub PolicyGroupList = "Venus.PolicyGroupList", admin, idempotent, NoParams => Vec<PolicyGroup> }
rpc_method! { /// Binds a caller (token name) to a group.
pub PolicyBind = "Venus.PolicyBind", admin, (String, String) => () }

fn err(e: WalletError) -> RpcError {
    RpcError::method(e)
}

fn caller(c: &Claims) -> Caller {
    Caller {
        name: c.name.clone(),
        admin: c.has(Permission::Admin),
    }
}

fn key_type(s: &str) -> Result<SignatureType, RpcError> {
    crate::wallet::parse_key_type(s).map_err(RpcError::invalid_params)
}

macro_rules! reg {
    ($m:ident, $w:ident, $M:ty, |$c:pat_param, $p:pat_param| $body:expr) => {
        $m.register_with::<$M, _, _, _>(&$w, |$w, $c, $p| async move { $body })
    };
}

/// The wallet's RPC module.
pub fn wallet_module(wallet: Arc<LocalWallet>) -> RpcModule {
    let mut m = RpcModule::new();
    let w = wallet;
    reg!(m, w, WalletNew, |_, (t,)| Ok(Lotus(
        w.new_key(key_type(&t)?).await.map_err(err)?
    )));
    reg!(m, w, WalletHas, |_, (a,)| Ok(w
        .addresses()
        .await
        .map_err(err)?
        .contains(&a.0)));
    reg!(m, w, WalletList, |_, _| Ok(Lotus(
        w.addresses().await.map_err(err)?
    )));
    reg!(m, w, WalletSign, |c, (a, data, meta)| Ok(Lotus(
        w.sign_as(&caller(&c), &a.0, data.0.bytes(), &meta.0)
            .await
            .map_err(err)?
    )));
    reg!(m, w, WalletExport, |_, (a,)| w
        .export(&a.0)
        .await
        .map_err(err));
    reg!(m, w, WalletImport, |_, (ki,)| {
        let key = ki.to_private_key().map_err(RpcError::invalid_params)?;
        Ok(Lotus(w.add_key(key).await.map_err(err)?))
    });
    reg!(m, w, WalletDelete, |_, (a,)| w
        .delete(&a.0)
        .await
        .map_err(err));
    reg!(m, w, WalletLockState, |_, _| Ok(w.is_locked().await));
    reg!(m, w, WalletLock, |_, _| {
        w.lock().await;
        Ok(())
    });
    reg!(m, w, WalletUnlock, |_, (pw,)| Ok(w
        .unlock(&pw)
        .await
        .map_err(err)?
        .corrupt));
    reg!(m, w, WalletSetPassword, |_, (old, new)| w
        .set_password(old.as_deref(), &new)
        .await
        .map_err(err));
    reg!(m, w, SignRecords, |_, (q,)| w
        .db()
        .records(&q)
        .await
        .map_err(err));
    reg!(m, w, PolicyPut, |_, (p,)| w
        .db()
        .put_policy(&p)
        .await
        .map_err(err));
    reg!(m, w, PolicyList, |_, _| w
        .db()
        .policies()
        .await
        .map_err(err));
    reg!(m, w, PolicyDelete, |_, (n,)| w
        .db()
        .delete_policy(&n)
        .await
        .map_err(err));
    reg!(m, w, PolicyGroupPut, |_, (g,)| w
        .db()
        .put_group(&g)
        .await
        .map_err(err));
    reg!(m, w, PolicyGroupList, |_, _| w
        .db()
        .groups()
        .await
        .map_err(err));
    reg!(m, w, PolicyBind, |_, (caller, group)| w
        .db()
        .bind(&caller, &group)
        .await
        .map_err(err));
    m
}

/// A [`RemoteSigner`] over a `venus-wallet` daemon (or any Lotus remote wallet).
pub struct WalletClient {
    rpc: RpcClient,
}

impl WalletClient {
    /// Wraps a connected client; the token needs `sign` (and `write` for `has`/`list`).
    pub fn new(rpc: RpcClient) -> Self {
        WalletClient { rpc }
    }

    /// The RPC client, for the other wallet methods.
    pub fn rpc(&self) -> &RpcClient {
        &self.rpc
    }
}

#[async_trait]
impl RemoteSigner for WalletClient {
    async fn sign(
        &self,
        addr: &Address,
        data: &[u8],
        meta: &MsgMeta,
    ) -> venus_core::Result<Signature> {
        let params = (
            Lotus(*addr),
            Lotus(RawBytes::new(data.to_vec())),
            Lotus(meta.clone()),
        );
        match self.rpc.call::<WalletSign>(params).await {
            Ok(s) => Ok(s.0),
            Err(venus_rpc::Error::Rpc(e)) => Err(venus_core::Error::SignRefused(e.message)),
            Err(e) => Err(venus_core::Error::Backend(e.to_string())),
        }
    }

    async fn has(&self, addr: &Address) -> venus_core::Result<bool> {
        Ok(self.rpc.call::<WalletHas>((Lotus(*addr),)).await?)
    }

    async fn list(&self) -> venus_core::Result<Vec<Address>> {
        Ok(self.rpc.call::<WalletList>([]).await?.0)
    }
}
