//! Serving any `ChainApi` as the Lotus v1 API.

use std::sync::Arc;

use futures::StreamExt;
use venus_core::json::Lotus;
use venus_core::traits::ChainApi;

use super::*;
use crate::{RpcError, RpcModule};

/// A module answering the Lotus methods of this crate from `api`: put a
/// `MemoryChain`, a `LotusClient` (a proxy) or our own node behind the Lotus
/// wire format.
pub fn chain_api_module(api: Arc<dyn ChainApi>) -> RpcModule {
    let mut m = RpcModule::new();
    let a = api.clone();
    m.register::<ChainHead, _, _>(move |_, _| {
        let a = a.clone();
        async move { Ok(Lotus(a.head().await?)) }
    });
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
    let a = api.clone();
    m.register::<ChainGetTipSet, _, _>(move |_, (k,)| {
        let a = a.clone();
        async move { Ok(Lotus(a.tipset(&k.0).await?)) }
    });
    let a = api.clone();
    m.register::<ChainGetBlockMessages, _, _>(move |_, (c,)| {
        let a = a.clone();
        async move { Ok(Lotus(a.block_messages(&c.0).await?)) }
    });
    let a = api.clone();
    m.register::<ChainGetTipSetByHeight, _, _>(move |_, (h, k)| {
        let a = a.clone();
        async move { Ok(Lotus(a.tipset_by_height(h, &k.0).await?)) }
    });
    let a = api.clone();
    m.register::<StateGetActor, _, _>(move |_, (addr, k)| {
        let a = a.clone();
        async move { Ok(Lotus(a.actor(&addr.0, &k.0).await?)) }
    });
    let a = api.clone();
    m.register::<MinerGetBaseInfo, _, _>(move |_, (miner, epoch, k)| {
        let a = a.clone();
        async move { Ok(Lotus(a.mining_base_info(&miner.0, epoch, &k.0).await?)) }
    });
    let a = api.clone();
    m.register::<MinerCreateBlock, _, _>(move |_, (t,)| {
        let a = a.clone();
        async move { Ok(Lotus(a.create_block(t.0).await?)) }
    });
    let a = api.clone();
    m.register::<SyncSubmitBlock, _, _>(move |_, (b,)| {
        let a = a.clone();
        async move { Ok(a.submit_block(b.0).await?) }
    });
    let a = api.clone();
    m.register::<MpoolSelect, _, _>(move |_, (k, q)| {
        let a = a.clone();
        async move { Ok(Lotus(a.select_messages(&k.0, q).await?)) }
    });
    let a = api.clone();
    m.register::<MpoolSelects, _, _>(move |_, (k, qs)| {
        let a = a.clone();
        async move { Ok(Lotus(a.select_messages_multi(&k.0, &qs).await?)) }
    });
    let a = api.clone();
    m.register::<MpoolPush, _, _>(move |_, (sm,)| {
        let a = a.clone();
        async move { Ok(Lotus(a.push_message(sm.0).await?)) }
    });
    let a = api.clone();
    m.register::<GasEstimateMessageGas, _, _>(move |_, (msg, spec, k)| {
        let a = a.clone();
        async move { Ok(Lotus(a.estimate_message_gas(msg.0, spec.0, &k.0).await?)) }
    });
    let a = api.clone();
    m.register::<StateSearchMsg, _, _>(move |_, (_, cid, _, _)| {
        let a = a.clone();
        async move { Ok(Lotus(a.search_message(&cid.0).await?)) }
    });
    let a = api;
    m.register::<StateWaitMsg, _, _>(move |_, (cid, _, _, _)| {
        let a = a.clone();
        async move {
            let found = a
                .wait_message(
                    &cid.0,
                    std::time::Duration::from_millis(200),
                    std::time::Duration::from_secs(600),
                )
                .await?;
            Ok(Lotus(Some(found)))
        }
    });
    m
}
