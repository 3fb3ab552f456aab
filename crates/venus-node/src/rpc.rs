//! The node as the Lotus v1 API ([`lotus_module`]), with Lotus's method
//! names, permissions and JSON. A method it does not serve answers Lotus's
//! "method not found".

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use fvm_ipld_blockstore::Blockstore;
use venus_api::lotus::*;
use venus_chain::consensus::{claim, key_address, miner_state, power_state};
use venus_chain::exec::Randomness;
use venus_chain::StateTree;
use venus_core::crypto::{draw_randomness_from_digest, DomainSeparationTag};
use venus_core::json::Lotus;
use venus_core::traits::{ChainApi, ChainRead};
use venus_core::types::{MsgLookup, TipSet, TipSetKey};
use venus_core::{Address, Cid};
use venus_mpool::Origin;
use venus_rpc::{RpcError, RpcModule};

use crate::error::NodeError;
use crate::node::Node;
use crate::search::{executed_messages, parent_receipts};

impl From<NodeError> for RpcError {
    fn from(e: NodeError) -> Self {
        RpcError::from(venus_core::Error::from(e))
    }
}

/// The id of an address that must name an actor, in `ts`'s parent state.
fn actor_id<BS: Blockstore>(tree: &mut StateTree<BS>, addr: &Address) -> Result<u64, NodeError> {
    tree.lookup_id(addr)?
        .ok_or_else(|| NodeError::NotFound(format!("actor not found: {addr}")))
}

/// Every Lotus method the node serves: the `ChainApi` set
/// (`venus_api::lotus::chain_api_module`) and the rest of what sophon-miner,
/// sophon-messager and Lotus's CLI call.
pub fn lotus_module<BS: Blockstore + Send + Sync + 'static>(node: Arc<Node<BS>>) -> RpcModule {
    let mut m = chain_api_module(node.clone() as Arc<dyn ChainApi>);
    let n = &node;

    m.register_with::<Version, _, _, _>(
        n,
        |n, _, _| async move { Ok(version(&n, FULL_API_VERSION)) },
    );
    m.register_with::<StateNetworkName, _, _, _>(
        n,
        |n, _, _| async move { Ok(n.network_name.clone()) },
    );
    m.register_with::<StateNetworkVersion, _, _, _>(n, |n, _, (k,)| async move {
        n.tipset(&k.0)?;
        Ok(u32::from(n.consensus.params().network_version))
    });
    m.register_with::<StateGetNetworkParams, _, _, _>(n, |n, _, _| async move {
        Ok(crate::params::network_params(&n))
    });
    m.register_with::<SyncStateMethod, _, _, _>(n, |n, _, _| async move {
        let head = n.chain().head();
        Ok(SyncState {
            active_syncs: vec![ActiveSync {
                worker_id: 0,
                base: Some(head.clone()),
                target: Some(head.clone()),
                stage: STAGE_SYNC_COMPLETE,
                height: head.height(),
                start: "0001-01-01T00:00:00Z".into(),
                end: "0001-01-01T00:00:00Z".into(),
                message: String::new(),
            }],
            vm_applied: 0,
        })
    });
    m.register_with::<StateGetBeaconEntry, _, _, _>(n, |n, _, (epoch,)| async move {
        Ok(Lotus(crate::params::beacon_entry(&n, epoch).await?))
    });
    m.register_with::<StateMinerInfo, _, _, _>(n, |n, _, (addr, k)| async move {
        let ts = n.tipset(&k.0)?;
        let addr = addr.0;
        Ok(n.with_state(ts.parent_state(), move |tree| {
            let id = actor_id(tree, &addr)?;
            let (_, info) = miner_state(tree, id)?;
            Ok(crate::params::miner_info(&info))
        })
        .await?)
    });
    m.register_with::<StateMinerPower, _, _, _>(n, |n, _, (addr, k)| async move {
        let ts = n.tipset(&k.0)?;
        let (addr, policy) = (addr.0, n.consensus.params().policy.clone());
        Ok(n.with_state(ts.parent_state(), move |tree| {
            let id = actor_id(tree, &addr)?;
            let power = power_state(tree)?;
            let (raw, qa) = match claim(tree, id)? {
                Some(c) => (c.raw_byte_power, c.quality_adj_power),
                None => Default::default(),
            };
            let (_, has_min_power) = power
                .miner_nominal_power_meets_consensus_minimum(&policy, tree.store(), id)
                .map_err(|e| NodeError::Invalid(format!("power of {addr}: {e}")))?;
            Ok(MinerPower {
                miner_power: PowerClaim {
                    raw_byte_power: raw,
                    quality_adj_power: qa,
                },
                total_power: PowerClaim {
                    raw_byte_power: power.total_raw_byte_power,
                    quality_adj_power: power.total_quality_adj_power,
                },
                has_min_power,
            })
        })
        .await?)
    });
    m.register_with::<ChainGetMessagesInTipset, _, _, _>(n, |n, _, (k,)| async move {
        let ts = n.tipset(&k.0)?;
        Ok(executed(&n, ts).await?)
    });
    m.register_with::<ChainGetParentMessages, _, _, _>(n, |n, _, (c,)| async move {
        let header = n.chain().header(&c.0).map_err(NodeError::from)?;
        if header.height == 0 {
            return Ok(Vec::new());
        }
        let parent = n
            .chain()
            .tipset(&TipSetKey::new(header.parents.clone()))
            .map_err(NodeError::from)?;
        Ok(executed(&n, parent).await?)
    });
    m.register_with::<ChainGetParentReceipts, _, _, _>(n, |n, _, (c,)| async move {
        let header = n.chain().header(&c.0).map_err(NodeError::from)?;
        if header.height == 0 {
            return Ok(Lotus(Vec::new()));
        }
        let (chain, root) = (n.chain().clone(), header.parent_message_receipts);
        let receipts =
            tokio::task::spawn_blocking(move || parent_receipts(chain.blockstore(), &root))
                .await
                .map_err(NodeError::from)??;
        Ok(Lotus(receipts))
    });
    m.register_with::<ChainGetBlock, _, _, _>(n, |n, _, (c,)| async move {
        Ok(Lotus(n.chain().header(&c.0).map_err(NodeError::from)?))
    });
    m.register_with::<ChainGetMessage, _, _, _>(n, |n, _, (c,)| async move {
        Ok(Lotus(n.chain().message(&c.0).map_err(NodeError::from)?))
    });
    m.register_with::<ChainReadObj, _, _, _>(n, |n, _, (c,)| async move {
        match n.chain().blockstore().get(&c.0) {
            Ok(Some(bytes)) => Ok(Bytes(bytes)),
            Ok(None) => Err(NodeError::NotFound(format!("block {} not found", c.0)).into()),
            Err(e) => Err(NodeError::Invalid(format!("reading {}: {e}", c.0)).into()),
        }
    });
    m.register_with::<ChainHasObj, _, _, _>(n, |n, _, (c,)| async move {
        n.chain()
            .blockstore()
            .has(&c.0)
            .map_err(|e| NodeError::Invalid(format!("reading {}: {e}", c.0)).into())
    });
    m.register_with::<StateLookupID, _, _, _>(n, |n, _, (addr, k)| async move {
        let ts = n.tipset(&k.0)?;
        let addr = addr.0;
        let id = n
            .with_state(ts.parent_state(), move |tree| actor_id(tree, &addr))
            .await?;
        Ok(Lotus(Address::new_id(id)))
    });
    m.register_with::<StateAccountKey, _, _, _>(n, |n, _, (addr, k)| async move {
        let ts = n.tipset(&k.0)?;
        let (addr, manifest) = (addr.0, n.consensus.params().manifest.clone());
        let key = n
            .with_state(ts.parent_state(), move |tree| {
                actor_id(tree, &addr)?;
                Ok(key_address(tree, &manifest, &addr)?)
            })
            .await?;
        Ok(Lotus(key))
    });
    m.register_with::<WalletBalance, _, _, _>(n, |n, _, (addr,)| async move {
        let head = n.chain().head();
        let balance = n
            .actor_at(head.parent_state(), addr.0)
            .await?
            .map(|a| a.balance)
            .unwrap_or_default();
        Ok(Lotus(balance))
    });
    m.register_with::<MpoolGetNonce, _, _, _>(n, |n, _, (addr,)| async move {
        Ok(n.mpool.next_nonce(&addr.0).await.map_err(NodeError::from)?)
    });
    m.register_with::<MpoolPending, _, _, _>(n, |n, _, (k,)| async move {
        n.tipset(&k.0)?;
        Ok(Lotus(n.mpool.pending().await))
    });
    m.register_with::<MpoolGetConfig, _, _, _>(n, |n, _, _| async move {
        let c = n.mpool.config();
        Ok(MpoolConfigJson {
            priority_addrs: c.priority_addrs.clone(),
            size_limit_high: c.size_limit_high as i64,
            size_limit_low: c.size_limit_low as i64,
            replace_by_fee_ratio: 1.25,
            prune_cooldown: c.prune_cooldown.as_nanos() as i64,
            gas_limit_overestimation: crate::gas::GAS_LIMIT_OVERESTIMATION,
        })
    });
    m.register_with::<MpoolBatchPush, _, _, _>(n, |n, _, (msgs,)| async move {
        Ok(Lotus(push_all(&n, msgs.0, Origin::Local).await?))
    });
    m.register_with::<MpoolBatchPushUntrusted, _, _, _>(n, |n, _, (msgs,)| async move {
        Ok(Lotus(push_all(&n, msgs.0, Origin::Untrusted).await?))
    });
    m.register_with::<GasEstimateGasLimit, _, _, _>(n, |n, _, (msg, k)| async move {
        let used = crate::gas::estimate_gas_limit(&n, &msg.0, &k.0).await?;
        Ok(i64::try_from(used).unwrap_or(i64::MAX))
    });
    m.register_with::<GasEstimateGasPremium, _, _, _>(n, |n, _, (blocks, _, _, k)| async move {
        Ok(Lotus(
            crate::gas::estimate_gas_premium(&n, blocks, &k.0).await?,
        ))
    });
    m.register_with::<GasEstimateFeeCap, _, _, _>(n, |n, _, (msg, blocks, k)| async move {
        let blocks = i32::try_from(blocks.clamp(0, 1000)).unwrap_or(20);
        Ok(Lotus(crate::gas::estimate_fee_cap(
            &n, &msg.0, blocks, &k.0,
        )?))
    });
    m.register_with::<GasBatchEstimateMessageGas, _, _, _>(
        n,
        |n, _, (msgs, nonce, k)| async move {
            let msgs = msgs.into_iter().map(|e| (e.msg, e.spec)).collect();
            let out = crate::gas::batch_estimate(&n, msgs, nonce, &k.0).await?;
            Ok(out
                .into_iter()
                .map(|r| match r {
                    Ok(m) => EstimateResult {
                        msg: Some(m),
                        err: String::new(),
                    },
                    Err(err) => EstimateResult { msg: None, err },
                })
                .collect())
        },
    );
    m.register_with::<StateGetRandomnessFromTickets, _, _, _>(
        n,
        |n, _, (tag, epoch, e, k)| async move {
            randomness(&n, Source::Tickets, tag, epoch, e, k.0).await
        },
    );
    m.register_with::<StateGetRandomnessFromBeacon, _, _, _>(
        n,
        |n, _, (tag, epoch, e, k)| async move {
            randomness(&n, Source::Beacon, tag, epoch, e, k.0).await
        },
    );
    m.register_with::<StateSearchMsg, _, _, _>(n, |n, _, (k, cid, limit, replaced)| async move {
        let from = n.tipset(&k.0)?;
        Ok(Lotus(
            n.search_with(&cid.0, Some(&from), limit, replaced).await?,
        ))
    });
    m.register_with::<StateWaitMsg, _, _, _>(
        n,
        |n, _, (cid, confidence, limit, replaced)| async move {
            Ok(Lotus(Some(
                wait_msg(&n, cid.0, confidence, limit, replaced).await?,
            )))
        },
    );
    crate::miner_api::register(&mut m, n);
    m
}

/// The methods whose Lotus v0 shape differs from v1's, for
/// [`RpcServerBuilder::v0`](venus_rpc::RpcServerBuilder::v0): Lotus's
/// `v1_wrapper.go` answers them by calling v1 with no lookback limit and
/// replacements allowed.
pub fn lotus_v0_module<BS: Blockstore + Send + Sync + 'static>(node: Arc<Node<BS>>) -> RpcModule {
    use venus_api::lotus::v0;
    let mut m = RpcModule::new();
    let n = &node;
    m.register_with::<v0::Version, _, _, _>(n, |n, _, _| async move {
        Ok(version(&n, v0::FULL_API_VERSION_V0))
    });
    m.register_with::<v0::StateSearchMsg, _, _, _>(n, |n, _, (cid,)| async move {
        Ok(Lotus(
            n.search_with(&cid.0, None, LOOKBACK_NO_LIMIT, true).await?,
        ))
    });
    m.register_with::<v0::StateSearchMsgLimited, _, _, _>(n, |n, _, (cid, limit)| async move {
        Ok(Lotus(n.search_with(&cid.0, None, limit, true).await?))
    });
    m.register_with::<v0::StateWaitMsg, _, _, _>(n, |n, _, (cid, confidence)| async move {
        Ok(Lotus(Some(
            wait_msg(&n, cid.0, confidence, LOOKBACK_NO_LIMIT, true).await?,
        )))
    });
    m.register_with::<v0::StateWaitMsgLimited, _, _, _>(
        n,
        |n, _, (cid, confidence, limit)| async move {
            Ok(Lotus(Some(
                wait_msg(&n, cid.0, confidence, limit, true).await?,
            )))
        },
    );
    m.register_with::<v0::StateGetReceipt, _, _, _>(n, |n, _, (cid, k)| async move {
        let from = n.tipset(&k.0)?;
        let found = n
            .search_with(&cid.0, Some(&from), LOOKBACK_NO_LIMIT, true)
            .await?;
        Ok(Lotus(found.map(|l| l.receipt)))
    });
    m.register_with::<v0::StateSectorPreCommitInfo, _, _, _>(n, |n, _, (a, num, k)| async move {
        n.pre_commit_info(a.0, num, &k.0)
            .await?
            .ok_or_else(|| NodeError::NotFound("precommit info does not exist".into()).into())
    });
    m.register_with::<v0::ChainGetRandomnessFromTickets, _, _, _>(
        n,
        |n, _, (k, tag, epoch, e)| async move {
            randomness(&n, Source::Tickets, tag, epoch, e, k.0).await
        },
    );
    m.register_with::<v0::ChainGetRandomnessFromBeacon, _, _, _>(
        n,
        |n, _, (k, tag, epoch, e)| async move {
            randomness(&n, Source::Beacon, tag, epoch, e, k.0).await
        },
    );
    m.register_with::<v0::BeaconGetEntry, _, _, _>(n, |n, _, (epoch,)| async move {
        Ok(Lotus(crate::params::beacon_entry(&n, epoch).await?))
    });
    m
}

fn version<BS: Blockstore + Send + Sync + 'static>(n: &Node<BS>, api_version: u32) -> ApiVersion {
    ApiVersion {
        version: format!("1.34.0+venus-rs-{}", env!("CARGO_PKG_VERSION")),
        api_version,
        block_delay: n.consensus.params().clock.block_delay,
    }
}

/// Where `StateGetRandomnessFrom*` draws from.
#[derive(Clone, Copy)]
enum Source {
    Tickets,
    Beacon,
}

/// Lotus's `StateGetRandomnessFromTickets` and `…FromBeacon`: the chain's
/// digest at `epoch` as the tipset `key` sees it (read on a blocking
/// thread: it may walk the chain), drawn with the tag and entropy.
async fn randomness<BS: Blockstore + Send + Sync + 'static>(
    n: &Arc<Node<BS>>,
    source: Source,
    tag: i64,
    epoch: i64,
    entropy: Bytes,
    key: TipSetKey,
) -> Result<Bytes, RpcError> {
    let tag =
        DomainSeparationTag::try_from(tag).map_err(|e| RpcError::invalid_params(e.to_string()))?;
    let rand = n.consensus.rand(&n.tipset(&key)?);
    let digest = tokio::task::spawn_blocking(move || match source {
        Source::Tickets => rand.chain_randomness(epoch),
        Source::Beacon => rand.beacon_randomness(epoch),
    })
    .await
    .map_err(NodeError::from)?
    .map_err(|e| NodeError::Invalid(format!("randomness at epoch {epoch}: {e:#}")))?;
    Ok(Bytes(
        draw_randomness_from_digest(&digest, tag, epoch, &entropy.0).to_vec(),
    ))
}

async fn executed<BS: Blockstore + Send + Sync + 'static>(
    n: &Arc<Node<BS>>,
    ts: TipSet,
) -> Result<Vec<CidAndMessage>, NodeError> {
    let chain = n.chain().clone();
    let msgs = tokio::task::spawn_blocking(move || executed_messages(&chain, &ts)).await??;
    Ok(msgs
        .into_iter()
        .map(|(cid, message)| CidAndMessage { cid, message })
        .collect())
}

/// Lotus's batch push: in order, stopping at the first refusal.
async fn push_all<BS: Blockstore + Send + Sync + 'static>(
    n: &Arc<Node<BS>>,
    msgs: Vec<venus_core::types::SignedMessage>,
    origin: Origin,
) -> Result<Vec<Cid>, NodeError> {
    let mut out = Vec::with_capacity(msgs.len());
    for m in msgs {
        out.push(n.push(m, origin).await?);
    }
    Ok(out)
}

/// Lotus's `MaxMessageConfidence`: a chain finality.
pub const MAX_MESSAGE_CONFIDENCE: u64 = 900;

/// Lotus's `StateWaitMsg`: waits until the message has executed and
/// `confidence` tipsets sit on top of the one that holds its receipt. The
/// lookback limit counts from the head at the call, as in Lotus.
async fn wait_msg<BS: Blockstore + Send + Sync + 'static>(
    n: &Arc<Node<BS>>,
    cid: Cid,
    confidence: u64,
    limit: i64,
    replaced: bool,
) -> Result<MsgLookup, NodeError> {
    if confidence > MAX_MESSAGE_CONFIDENCE {
        return Err(NodeError::Invalid(format!(
            "message confidence exceeds maximum: {confidence} > {MAX_MESSAGE_CONFIDENCE}"
        )));
    }
    let subscribe = || async {
        n.subscribe_head_changes()
            .await
            .map_err(|e| NodeError::Invalid(e.to_string()))
    };
    let mut heads = subscribe().await?;
    let start = n.chain().head().height();
    loop {
        let head = n.chain().head();
        let limit = if limit < 0 {
            limit
        } else {
            limit.saturating_add(head.height() - start)
        };
        if let Some(found) = n.search_with(&cid, Some(&head), limit, replaced).await? {
            if head.height() - found.height >= i64::try_from(confidence).unwrap_or(i64::MAX) {
                return Ok(found);
            }
        }
        // The next head change, or a second's poll; a stream the chain
        // dropped (a subscriber that fell behind) is renewed.
        if let Ok(None) = tokio::time::timeout(Duration::from_secs(1), heads.next()).await {
            heads = subscribe().await?;
        }
    }
}
