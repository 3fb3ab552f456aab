//! [`WalletClient`]: the wallet's API over RPC, and a `RemoteSigner` over it.

use async_trait::async_trait;
use venus_core::crypto::KeyInfo;
use venus_core::encoding::RawBytes;
use venus_core::json::Lotus;
use venus_core::traits::RemoteSigner;
use venus_core::types::MsgMeta;
use venus_core::{Address, Signature, SignatureType};
use venus_rpc::{codes, RpcClient};

use super::*;
use crate::{Error, Result};

/// A `venus-wallet` daemon (or any Lotus remote wallet) over RPC.
///
/// The typed methods, named after the wire methods, return a refusal as its
/// [`Error`] kind ([`Error::Locked`], [`Error::PolicyDenied`], …). As a
/// [`RemoteSigner`] a refusal is `SignRefused` and anything else `Backend`.
pub struct WalletClient {
    rpc: RpcClient,
}

impl WalletClient {
    /// Wraps a connected client; the token needs `sign` (and `write` for
    /// `has`/`list`, `admin` for keys, locks and policies).
    pub fn new(rpc: RpcClient) -> Self {
        WalletClient { rpc }
    }

    /// The RPC client, for methods this type does not wrap.
    pub fn rpc(&self) -> &RpcClient {
        &self.rpc
    }

    /// `Filecoin.WalletNew`: a new key of type `t`.
    pub async fn wallet_new(&self, t: SignatureType) -> Result<Address> {
        let name = match t {
            SignatureType::BLS => "bls",
            SignatureType::Secp256k1 => "secp256k1",
        };
        Ok(self.rpc.call::<WalletNew>((name.into(),)).await?.0)
    }

    /// `Filecoin.WalletHas`.
    pub async fn wallet_has(&self, addr: &Address) -> Result<bool> {
        Ok(self.rpc.call::<WalletHas>((Lotus(*addr),)).await?)
    }

    /// `Filecoin.WalletList`.
    pub async fn wallet_list(&self) -> Result<Vec<Address>> {
        Ok(self.rpc.call::<WalletList>([]).await?.0)
    }

    /// `Filecoin.WalletSign`: `data` signed by `addr`, once the wallet has
    /// checked it against `meta` and the caller's policies.
    pub async fn wallet_sign(
        &self,
        addr: &Address,
        data: &[u8],
        meta: &MsgMeta,
    ) -> Result<Signature> {
        let params = (
            Lotus(*addr),
            Lotus(RawBytes::new(data.to_vec())),
            Lotus(meta.clone()),
        );
        Ok(self.rpc.call::<WalletSign>(params).await?.0)
    }

    /// `Filecoin.WalletImport`.
    pub async fn wallet_import(&self, key: KeyInfo) -> Result<Address> {
        Ok(self.rpc.call::<WalletImport>((key,)).await?.0)
    }

    /// `Filecoin.WalletExport`.
    pub async fn wallet_export(&self, addr: &Address) -> Result<KeyInfo> {
        Ok(self.rpc.call::<WalletExport>((Lotus(*addr),)).await?)
    }

    /// `Filecoin.WalletDelete`.
    pub async fn wallet_delete(&self, addr: &Address) -> Result<()> {
        Ok(self.rpc.call::<WalletDelete>((Lotus(*addr),)).await?)
    }

    /// `Venus.WalletLockState`: whether the wallet is locked.
    pub async fn lock_state(&self) -> Result<bool> {
        Ok(self.rpc.call::<WalletLockState>([]).await?)
    }

    /// `Venus.WalletLock`.
    pub async fn lock(&self) -> Result<()> {
        Ok(self.rpc.call::<WalletLock>([]).await?)
    }

    /// `Venus.WalletUnlock`: the entries that failed to open, as (address, why).
    pub async fn unlock(&self, password: &str) -> Result<Vec<(String, String)>> {
        Ok(self.rpc.call::<WalletUnlock>((password.into(),)).await?)
    }

    /// `Venus.SignRecords`.
    pub async fn sign_records(&self, query: RecordQuery) -> Result<Vec<SignRecord>> {
        Ok(self.rpc.call::<SignRecords>((query,)).await?)
    }

    /// `Venus.PolicyPut`.
    pub async fn put_policy(&self, policy: Policy) -> Result<()> {
        Ok(self.rpc.call::<PolicyPut>((policy,)).await?)
    }

    /// `Venus.PolicyGroupPut`.
    pub async fn put_policy_group(&self, group: PolicyGroup) -> Result<()> {
        Ok(self.rpc.call::<PolicyGroupPut>((group,)).await?)
    }

    /// `Venus.PolicyBind`: lets `caller` (a token's name) sign what `group` allows.
    pub async fn bind_policy(&self, caller: &str, group: &str) -> Result<()> {
        Ok(self
            .rpc
            .call::<PolicyBind>((caller.into(), group.into()))
            .await?)
    }
}

/// A signer's answer as `venus_core` reads it: the wallet's refusals (and a
/// Lotus wallet's, which all have code 1) are `SignRefused`.
fn sign_error(e: Error) -> venus_core::Error {
    match e {
        Error::Locked(m)
        | Error::PolicyDenied(m)
        | Error::Mismatch(m)
        | Error::NotFound(m)
        | Error::Invalid(m) => venus_core::Error::SignRefused(m),
        Error::Rpc(venus_rpc::Error::Rpc(r)) if r.code == codes::METHOD_ERROR => {
            venus_core::Error::SignRefused(r.message)
        }
        other => venus_core::Error::Backend(other.to_string()),
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
        self.wallet_sign(addr, data, meta).await.map_err(sign_error)
    }

    async fn has(&self, addr: &Address) -> venus_core::Result<bool> {
        Ok(self.wallet_has(addr).await?)
    }

    async fn list(&self) -> venus_core::Result<Vec<Address>> {
        Ok(self.wallet_list().await?)
    }
}
