//! `ChainApi` over the node: what the pool's components (ours, or Venus's
//! through the Lotus API) read and call.

use std::time::Duration;

use async_trait::async_trait;
use cid::Cid;
use futures::StreamExt;
use fvm_ipld_blockstore::Blockstore;
use venus_chain::chain::NullRound;
use venus_core::traits::{BlockApi, ChainRead, HeadChangeStream, MessageApi, StateRead};
use venus_core::types::{
    ActorState, BlockMessages, BlockMsg, BlockTemplate, MessageSendSpec, MiningBaseInfo, MsgLookup,
    SignedMessage, TipSet, TipSetKey,
};
use venus_core::{Address, ChainEpoch, Error, Message, Result};
use venus_mpool::Origin;

use crate::error::NodeError;
use crate::node::Node;

fn core(e: impl Into<NodeError>) -> Error {
    e.into().into()
}

#[async_trait]
impl<BS: Blockstore + Send + Sync + 'static> ChainRead for Node<BS> {
    async fn head(&self) -> Result<TipSet> {
        Ok(self.chain().head())
    }

    async fn tipset(&self, key: &TipSetKey) -> Result<TipSet> {
        self.chain().tipset(key).map_err(core)
    }

    async fn tipset_by_height(&self, height: ChainEpoch, anchor: &TipSetKey) -> Result<TipSet> {
        let anchor = self.chain().tipset(anchor).map_err(core)?;
        self.chain()
            .tipset_by_height(height, Some(&anchor), NullRound::Below)
            .map_err(core)
    }

    async fn subscribe_head_changes(&self) -> Result<HeadChangeStream> {
        let mut rx = self.chain().subscribe();
        Ok(futures::stream::poll_fn(move |cx| rx.poll_recv(cx)).boxed())
    }

    async fn block_messages(&self, block: &Cid) -> Result<BlockMessages> {
        let header = self.chain().header(block).map_err(core)?;
        self.chain().block_messages(&header).map_err(core)
    }
}

#[async_trait]
impl<BS: Blockstore + Send + Sync + 'static> StateRead for Node<BS> {
    /// In the tipset's parent state, as Lotus's `StateGetActor`.
    async fn actor(&self, addr: &Address, key: &TipSetKey) -> Result<ActorState> {
        let ts = self.chain().tipset(key).map_err(core)?;
        match self
            .actor_at(ts.parent_state(), *addr)
            .await
            .map_err(core)?
        {
            Some(a) => Ok(ActorState {
                code: a.code,
                head: a.state,
                nonce: a.sequence,
                balance: a.balance,
                delegated_address: a.delegated_address,
            }),
            // The text Lotus's `types.ErrActorNotFound` has: clients match it.
            None => Err(Error::NotFound(format!("actor not found: {addr}"))),
        }
    }

    async fn mining_base_info(
        &self,
        miner: &Address,
        epoch: ChainEpoch,
        key: &TipSetKey,
    ) -> Result<Option<MiningBaseInfo>> {
        let base = self.chain().tipset(key).map_err(core)?;
        self.consensus
            .mining_base_info(miner, epoch, &base, &self.beacon)
            .await
            .map_err(core)
    }

    async fn search_message(&self, cid: &Cid) -> Result<Option<MsgLookup>> {
        self.search(cid, None).await.map_err(core)
    }

    async fn wait_message(
        &self,
        cid: &Cid,
        poll: Duration,
        timeout: Duration,
    ) -> Result<MsgLookup> {
        let deadline = tokio::time::Instant::now() + timeout;
        let mut heads = self.subscribe_head_changes().await?;
        loop {
            if let Some(found) = self.search(cid, None).await.map_err(core)? {
                return Ok(found);
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(Error::NotFound(format!(
                    "message {cid} not executed within {timeout:?}"
                )));
            }
            // A new head, or the poll interval, whichever comes first; a
            // stream the chain dropped is renewed.
            let wait = tokio::time::timeout(poll.max(Duration::from_millis(10)), heads.next());
            if let Ok(None) = wait.await {
                heads = self.subscribe_head_changes().await?;
            }
        }
    }
}

#[async_trait]
impl<BS: Blockstore + Send + Sync + 'static> BlockApi for Node<BS> {
    /// The header comes back unsigned: the node holds no worker key.
    async fn create_block(&self, template: BlockTemplate) -> Result<BlockMsg> {
        let consensus = self.consensus.clone();
        let full = tokio::task::spawn_blocking(move || consensus.create_block(&template))
            .await
            .map_err(core)?
            .map_err(core)?;
        let bls = full
            .bls_messages
            .iter()
            .map(venus_core::types::message_cid)
            .collect::<Result<Vec<_>>>()?;
        let secp = full
            .secp_messages
            .iter()
            .map(|m| m.cid())
            .collect::<Result<Vec<_>>>()?;
        Ok(BlockMsg {
            header: full.header,
            bls_messages: bls,
            secpk_messages: secp,
        })
    }

    async fn submit_block(&self, block: BlockMsg) -> Result<()> {
        Node::submit_block(self, block).await.map_err(core)?;
        Ok(())
    }
}

#[async_trait]
impl<BS: Blockstore + Send + Sync + 'static> MessageApi for Node<BS> {
    async fn select_messages(
        &self,
        key: &TipSetKey,
        ticket_quality: f64,
    ) -> Result<Vec<SignedMessage>> {
        let base = self.chain().tipset(key).map_err(core)?;
        self.mpool
            .select_on(Some(&base), ticket_quality)
            .await
            .map_err(core)
    }

    async fn push_message(&self, msg: SignedMessage) -> Result<Cid> {
        self.push(msg, Origin::Local).await.map_err(core)
    }

    async fn estimate_message_gas(
        &self,
        msg: Message,
        spec: Option<MessageSendSpec>,
        key: &TipSetKey,
    ) -> Result<Message> {
        crate::gas::estimate_message_gas(self, msg, spec.as_ref(), key)
            .await
            .map_err(core)
    }

    async fn select_messages_multi(
        &self,
        key: &TipSetKey,
        ticket_qualities: &[f64],
    ) -> Result<Vec<Vec<SignedMessage>>> {
        let base = self.chain().tipset(key).map_err(core)?;
        self.mpool
            .select_multi_on(Some(&base), ticket_qualities)
            .await
            .map_err(core)
    }
}
