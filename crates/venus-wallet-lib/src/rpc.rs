//! The wallet's server side: [`wallet_module`] answers the wallet's API from a
//! [`LocalWallet`].
//!
//! The API itself (Lotus's remote-wallet methods and ours, their types, and
//! [`WalletClient`]) is declared in `venus_api::wallet` and re-exported here.
//! A refusal reaches the caller with its code (see
//! [`WalletError`](crate::WalletError)'s conversion into `RpcError`): locked, wrong password,
//! policy denied, mismatch, no such key, duplicate.

use std::sync::Arc;

use venus_core::json::Lotus;
use venus_core::SignatureType;
use venus_rpc::{Claims, Permission, RpcError, RpcModule};

pub use venus_api::wallet::{
    PolicyBind, PolicyDelete, PolicyGroupList, PolicyGroupPut, PolicyList, PolicyPut, SignRecords,
    WalletClient, WalletDelete, WalletExport, WalletHas, WalletImport, WalletList, WalletLock,
    WalletLockState, WalletNew, WalletSetPassword, WalletSign, WalletUnlock,
};

use crate::{Caller, LocalWallet};

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
        w.new_key(key_type(&t)?).await?
    )));
    reg!(m, w, WalletHas, |_, (a,)| Ok(w
        .addresses()
        .await?
        .contains(&a.0)));
    reg!(m, w, WalletList, |_, _| Ok(Lotus(w.addresses().await?)));
    reg!(m, w, WalletSign, |c, (a, data, meta)| {
        let caller = caller(&c);
        Ok(Lotus(
            w.sign_as(&caller, &a.0, data.0.bytes(), &meta.0).await?,
        ))
    });
    reg!(m, w, WalletExport, |_, (a,)| Ok(w.export(&a.0).await?));
    reg!(m, w, WalletImport, |_, (ki,)| {
        let key = ki.to_private_key().map_err(RpcError::invalid_params)?;
        Ok(Lotus(w.add_key(key).await?))
    });
    reg!(m, w, WalletDelete, |_, (a,)| Ok(w.delete(&a.0).await?));
    reg!(m, w, WalletLockState, |_, _| Ok(w.is_locked().await));
    reg!(m, w, WalletLock, |_, _| {
        w.lock().await;
        Ok(())
    });
    reg!(m, w, WalletUnlock, |_, (pw,)| Ok(w
        .unlock(&pw)
        .await?
        .corrupt));
    reg!(m, w, WalletSetPassword, |_, (old, new)| Ok(w
        .set_password(old.as_deref(), &new)
        .await?));
    reg!(m, w, SignRecords, |_, (q,)| Ok(w.db().records(&q).await?));
    reg!(m, w, PolicyPut, |_, (p,)| Ok(w.db().put_policy(&p).await?));
    reg!(m, w, PolicyList, |_, _| Ok(w.db().policies().await?));
    reg!(m, w, PolicyDelete, |_, (n,)| Ok(w
        .db()
        .delete_policy(&n)
        .await?));
    reg!(m, w, PolicyGroupPut, |_, (g,)| Ok(w
        .db()
        .put_group(&g)
        .await?));
    reg!(m, w, PolicyGroupList, |_, _| Ok(w.db().groups().await?));
    reg!(m, w, PolicyBind, |_, (caller, group)| Ok(w
        .db()
        .bind(&caller, &group)
        .await?));
    m
}
