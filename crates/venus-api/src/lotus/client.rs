//! [`LotusClient`]: `ChainApi` over any node with the Lotus v1 API.

use std::time::Duration;

use async_trait::async_trait;
use futures::StreamExt;
use venus_core::json::Lotus;
use venus_core::traits::{
    select_disjoint, BlockApi, ChainRead, HeadChangeStream, MessageApi, StateRead,
};
use venus_core::types::*;
use venus_core::{Address, ChainEpoch, Cid, Message, Result};

use super::*;
use venus_rpc::{codes, Error, Permission, RpcClient};

/// Confidence (epochs on top) `wait_message` asks `StateWaitMsg` for, Lotus's `MessageConfidence`.
pub const MESSAGE_CONFIDENCE: u64 = 5;

/// A `ChainApi` backed by a Lotus, Venus or Forest node (or our own).
///
/// Connect over WebSocket to use `subscribe_head_changes` (`ChainNotify` is a
/// channel). `select_messages_multi` uses Venus's `MpoolSelects` when the node
/// has it and falls back to [`select_disjoint`] when it does not.
pub struct LotusClient {
    rpc: RpcClient,
}

impl LotusClient {
    /// Wraps a connected client.
    pub fn new(rpc: RpcClient) -> Self {
        LotusClient { rpc }
    }

    /// Connects to an API-info string (`TOKEN:/ip4/…/tcp/…/ws`) or URL.
    pub async fn connect(endpoint: &str) -> crate::Result<Self> {
        Ok(Self::new(RpcClient::connect(endpoint).await?))
    }

    /// The underlying RPC client, for methods this type does not wrap.
    pub fn rpc(&self) -> &RpcClient {
        &self.rpc
    }

    /// What this client's own token grants on the node (Lotus's
    /// `AuthVerify`), or `None` when that cannot be asked: the endpoint
    /// has no token, or the node has no `AuthVerify`.
    pub async fn permissions(&self) -> crate::Result<Option<Vec<Permission>>> {
        crate::common::token_permissions(&self.rpc).await
    }

    /// Refuses a token that the node says lacks `needed`, with a message
    /// naming what it grants and `uses` (the methods that need it): a
    /// daemon given a read-only token fails at its start, not later as a
    /// chain that does not move. Only the node's answer refuses; see
    /// [`check_token`](crate::common::check_token).
    pub async fn require(&self, needed: Permission, uses: &str) -> std::result::Result<(), String> {
        crate::common::check_token(&self.rpc, &[needed])
            .await
            .map_err(|e| {
                format!(
                    "the node's {e}, which {uses} need: give a token with {needed} \
                     (`lotus auth create-token --perm {needed}`)"
                )
            })
    }
}

fn lotus<T>(r: venus_rpc::Result<Lotus<T>>) -> Result<T> {
    r.map(|l| l.0).map_err(Into::into)
}

#[async_trait]
impl ChainRead for LotusClient {
    async fn head(&self) -> Result<TipSet> {
        lotus(self.rpc.call::<ChainHead>([]).await)
    }

    async fn tipset(&self, key: &TipSetKey) -> Result<TipSet> {
        lotus(self.rpc.call::<ChainGetTipSet>((Lotus(key.clone()),)).await)
    }

    async fn tipset_by_height(&self, height: ChainEpoch, anchor: &TipSetKey) -> Result<TipSet> {
        lotus(
            self.rpc
                .call::<ChainGetTipSetByHeight>((height, Lotus(anchor.clone())))
                .await,
        )
    }

    async fn block_messages(&self, block: &Cid) -> Result<BlockMessages> {
        lotus(
            self.rpc
                .call::<ChainGetBlockMessages>((Lotus(*block),))
                .await,
        )
    }

    async fn subscribe_head_changes(&self) -> Result<HeadChangeStream> {
        let sub = self.rpc.subscribe::<ChainNotify>([]).await?;
        Ok(sub
            .filter_map(|item| async move {
                match item {
                    Ok(Lotus(changes)) => Some(changes),
                    Err(e) => {
                        tracing::warn!(target: "venus::api", error = %e, "undecodable head change skipped");
                        None
                    }
                }
            })
            .boxed())
    }
}

#[async_trait]
impl StateRead for LotusClient {
    /// Lotus answers an unknown actor with a plain method error (code 1)
    /// wrapping `types.ErrActorNotFound` ("actor not found"); that one answer
    /// of this one call is read as `NotFound`, every other error by its code.
    async fn actor(&self, addr: &Address, key: &TipSetKey) -> Result<ActorState> {
        match self
            .rpc
            .call::<StateGetActor>((Lotus(*addr), Lotus(key.clone())))
            .await
        {
            Err(Error::Rpc(e))
                if e.code == codes::METHOD_ERROR && e.message.ends_with("actor not found") =>
            {
                Err(venus_core::Error::NotFound(format!(
                    "actor {addr}: {}",
                    e.message
                )))
            }
            r => lotus(r),
        }
    }

    async fn mining_base_info(
        &self,
        miner: &Address,
        epoch: ChainEpoch,
        key: &TipSetKey,
    ) -> Result<Option<MiningBaseInfo>> {
        lotus(
            self.rpc
                .call::<MinerGetBaseInfo>((Lotus(*miner), epoch, Lotus(key.clone())))
                .await,
        )
    }

    async fn search_message(&self, cid: &Cid) -> Result<Option<MsgLookup>> {
        let params = (
            Lotus(TipSetKey::default()),
            Lotus(*cid),
            LOOKBACK_NO_LIMIT,
            true,
        );
        lotus(self.rpc.call::<StateSearchMsg>(params).await)
    }

    /// `StateWaitMsg` with [`MESSAGE_CONFIDENCE`], re-issued when one call hits the client timeout.
    async fn wait_message(
        &self,
        cid: &Cid,
        _poll: Duration,
        timeout: Duration,
    ) -> Result<MsgLookup> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let params = (Lotus(*cid), MESSAGE_CONFIDENCE, LOOKBACK_NO_LIMIT, true);
            let call = tokio::time::timeout_at(deadline, self.rpc.call::<StateWaitMsg>(params));
            match call.await {
                Err(_) => {
                    return Err(venus_core::Error::NotFound(format!(
                        "message {cid} not executed within {timeout:?}"
                    )))
                }
                Ok(Err(Error::Timeout(_))) => continue,
                Ok(r) => {
                    return lotus(r)?
                        .ok_or_else(|| venus_core::Error::NotFound(format!("message {cid}")));
                }
            }
        }
    }
}

#[async_trait]
impl BlockApi for LotusClient {
    async fn create_block(&self, template: BlockTemplate) -> Result<BlockMsg> {
        lotus(self.rpc.call::<MinerCreateBlock>((Lotus(template),)).await)
    }

    async fn submit_block(&self, block: BlockMsg) -> Result<()> {
        Ok(self.rpc.call::<SyncSubmitBlock>((Lotus(block),)).await?)
    }
}

#[async_trait]
impl MessageApi for LotusClient {
    async fn select_messages(
        &self,
        key: &TipSetKey,
        ticket_quality: f64,
    ) -> Result<Vec<SignedMessage>> {
        lotus(
            self.rpc
                .call::<MpoolSelect>((Lotus(key.clone()), ticket_quality))
                .await,
        )
    }

    async fn push_message(&self, msg: SignedMessage) -> Result<Cid> {
        lotus(self.rpc.call::<MpoolPush>((Lotus(msg),)).await)
    }

    async fn estimate_message_gas(
        &self,
        msg: Message,
        spec: Option<MessageSendSpec>,
        key: &TipSetKey,
    ) -> Result<Message> {
        lotus(
            self.rpc
                .call::<GasEstimateMessageGas>((Lotus(msg), Lotus(spec), Lotus(key.clone())))
                .await,
        )
    }

    async fn select_messages_multi(
        &self,
        key: &TipSetKey,
        qualities: &[f64],
    ) -> Result<Vec<Vec<SignedMessage>>> {
        match self
            .rpc
            .call::<MpoolSelects>((Lotus(key.clone()), qualities.to_vec()))
            .await
        {
            Err(Error::Rpc(e)) if e.code == codes::METHOD_NOT_FOUND => {
                tracing::debug!(target: "venus::api", "node has no MpoolSelects; selecting one list at a time");
                select_disjoint(self, key, qualities).await
            }
            other => lotus(other),
        }
    }
}
