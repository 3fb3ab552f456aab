//! Serving any `ChainApi` as the Lotus v1 API.

use std::sync::Arc;

use futures::StreamExt;
use venus_core::json::Lotus;
use venus_core::traits::ChainApi;

use super::*;
use venus_rpc::{codes, AuthError, Hs256Verifier, RpcError, RpcModule, TokenVerifier};

/// Lotus's `AuthVerify` and `AuthNew` (`node/impl/common/common.go`) for a
/// daemon whose tokens `verifier` checks: the permissions a token has
/// here, and, with a `signer` (the daemon's own secret), new tokens for an
/// admin, granting what is asked as Lotus's do. Lotus's CLI (`lotus auth
/// create-token`) and a pool checking the token it was given call them.
///
/// Leave `signer` out where tokens come from `venus-auth`: a token made
/// with the daemon's own secret would outlive venus-auth's revocations,
/// expiries and rate limits.
pub fn auth_module(verifier: Arc<dyn TokenVerifier>, signer: Option<Hs256Verifier>) -> RpcModule {
    let mut m = RpcModule::new();
    m.register_with::<AuthVerify, _, _, _>(&verifier, |v, _, (token,)| async move {
        // The verdict on the token asked about, not on the caller's own.
        let claims = v.verify(&token).await.map_err(|e| match e {
            AuthError::Unavailable(_) => RpcError::new(codes::INTERNAL_ERROR, e.to_string()),
            refused => RpcError::new(codes::TOKEN_REFUSED, refused.to_string()),
        })?;
        Ok(claims.allow)
    });
    if let Some(signer) = signer {
        m.register_with::<AuthNew, _, _, _>(&Arc::new(signer), |s, _, (allow,)| async move {
            let token = s
                .sign(allow, None, None)
                .map_err(|e| RpcError::new(codes::INTERNAL_ERROR, e.to_string()))?;
            Ok(Bytes(token.into_bytes()))
        });
    }
    m
}

/// A module answering the Lotus methods of this crate from `api`: put a
/// `MemoryChain`, a `LotusClient` (a proxy) or our own node behind the Lotus
/// wire format.
pub fn chain_api_module(api: Arc<dyn ChainApi>) -> RpcModule {
    let mut m = RpcModule::new();
    m.register_with::<ChainHead, _, _, _>(
        &api,
        |a, _, _| async move { Ok(Lotus(a.head().await?)) },
    );
    let a = api.clone();
    m.register_channel::<ChainNotify, _, _, _>(move |_, _| {
        let a = a.clone();
        async move {
            Ok(a.subscribe_head_changes()
                .await
                .map_err(RpcError::from)?
                .map(Lotus))
        }
    });
    m.register_with::<ChainGetTipSet, _, _, _>(&api, |a, _, (k,)| async move {
        Ok(Lotus(a.tipset(&k.0).await?))
    });
    m.register_with::<ChainGetBlockMessages, _, _, _>(&api, |a, _, (c,)| async move {
        Ok(Lotus(a.block_messages(&c.0).await?))
    });
    m.register_with::<ChainGetTipSetByHeight, _, _, _>(&api, |a, _, (h, k)| async move {
        Ok(Lotus(a.tipset_by_height(h, &k.0).await?))
    });
    m.register_with::<StateGetActor, _, _, _>(&api, |a, _, (addr, k)| async move {
        Ok(Lotus(a.actor(&addr.0, &k.0).await?))
    });
    m.register_with::<MinerGetBaseInfo, _, _, _>(&api, |a, _, (miner, epoch, k)| async move {
        Ok(Lotus(a.mining_base_info(&miner.0, epoch, &k.0).await?))
    });
    m.register_with::<MinerCreateBlock, _, _, _>(&api, |a, _, (t,)| async move {
        Ok(Lotus(a.create_block(t.0).await?))
    });
    m.register_with::<SyncSubmitBlock, _, _, _>(&api, |a, _, (b,)| async move {
        Ok(a.submit_block(b.0).await?)
    });
    m.register_with::<MpoolSelect, _, _, _>(&api, |a, _, (k, q)| async move {
        Ok(Lotus(a.select_messages(&k.0, q).await?))
    });
    m.register_with::<MpoolSelects, _, _, _>(&api, |a, _, (k, qs)| async move {
        Ok(Lotus(a.select_messages_multi(&k.0, &qs).await?))
    });
    m.register_with::<MpoolPush, _, _, _>(&api, |a, _, (sm,)| async move {
        Ok(Lotus(a.push_message(sm.0).await?))
    });
    m.register_with::<GasEstimateMessageGas, _, _, _>(&api, |a, _, (msg, spec, k)| async move {
        Ok(Lotus(a.estimate_message_gas(msg.0, spec.0, &k.0).await?))
    });
    m.register_with::<StateSearchMsg, _, _, _>(&api, |a, _, (_, cid, _, _)| async move {
        Ok(Lotus(a.search_message(&cid.0).await?))
    });
    m.register_with::<StateWaitMsg, _, _, _>(&api, |a, _, (cid, _, _, _)| async move {
        let found = a
            .wait_message(
                &cid.0,
                std::time::Duration::from_millis(200),
                std::time::Duration::from_secs(600),
            )
            .await?;
        Ok(Lotus(Some(found)))
    });
    m
}
