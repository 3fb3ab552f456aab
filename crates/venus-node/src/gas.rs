//! Gas estimation as Lotus's `GasEstimateMessageGas` does it
//! (`node/impl/full/gas.go`, `node/impl/gasutils/gasutils.go`).

use fvm_ipld_blockstore::Blockstore;
use fvm_shared::error::ExitCode;
use num_traits::Zero;
use venus_chain::chain::ChainStore;
use venus_chain::consensus::key_address;
use venus_chain::exec::{ExecEnv, Externs, Vm};
use venus_chain::store::Buffered;
use venus_chain::StateTree;
use venus_core::gas::BLOCK_GAS_TARGET;
use venus_core::types::{MessageSendSpec, SignedMessage, TipSet, TipSetKey};
use venus_core::{Message, TokenAmount};
use venus_mpool::BLOCK_GAS_LIMIT;

use crate::error::{NodeError, Result};
use crate::node::Node;

/// Lotus's `MinGasPremium`.
pub const MIN_GAS_PREMIUM: u64 = 100_000;
/// Lotus's default `GasLimitOverestimation`.
pub const GAS_LIMIT_OVERESTIMATION: f64 = 1.25;
/// Lotus's `DefaultMaxFee`: 0.07 FIL.
pub fn default_max_fee() -> TokenAmount {
    TokenAmount::from_nano(70_000_000)
}
/// Lotus's `BaseFeeMaxChangeDenom`.
const BASE_FEE_MAX_CHANGE_DENOM: f64 = 8.0;

/// `GasEstimateMessageGas`: the limit (when zero) from executing the
/// message, the premium (when zero) from recent blocks, the fee cap (when
/// zero) for 20 blocks of base fee rises, then the max-fee cap.
pub(crate) async fn estimate_message_gas<BS: Blockstore + Send + Sync + 'static>(
    node: &Node<BS>,
    mut msg: Message,
    spec: Option<&MessageSendSpec>,
    key: &TipSetKey,
) -> Result<Message> {
    if msg.gas_limit == 0 {
        let used = estimate_gas_limit(node, &msg, key).await?;
        msg.gas_limit = ((used as f64) * GAS_LIMIT_OVERESTIMATION) as u64;
        msg.gas_limit = msg.gas_limit.min(BLOCK_GAS_LIMIT);
    }
    if msg.gas_premium.is_zero() {
        msg.gas_premium = estimate_gas_premium(node, 10, key).await?;
    }
    if msg.gas_fee_cap.is_zero() {
        msg.gas_fee_cap = estimate_fee_cap(node, &msg, 20, key)?;
    }
    cap_gas_fee(&mut msg, spec);
    Ok(msg)
}

/// Lotus's `CapGasFee`: the fee cap lowered so that cap × limit stays
/// within the max fee (the spec's, or [`default_max_fee`]), and the
/// premium at most the fee cap.
pub fn cap_gas_fee(msg: &mut Message, spec: Option<&MessageSendSpec>) {
    let (mut max_fee, maximize) = match spec {
        Some(s) => (s.max_fee.clone(), s.maximize_fee_cap),
        None => (TokenAmount::zero(), false),
    };
    if max_fee.is_zero() {
        max_fee = default_max_fee();
    }
    if msg.gas_limit > 0 {
        let total = &msg.gas_fee_cap * msg.gas_limit;
        if maximize || total > max_fee {
            msg.gas_fee_cap = TokenAmount::from_atto(max_fee.atto() / msg.gas_limit);
        }
    }
    if msg.gas_premium > msg.gas_fee_cap {
        msg.gas_premium = msg.gas_fee_cap.clone();
    }
}

/// Lotus's `GasEstimateFeeCap`: the tipset's base fee after
/// `max_queue_blocks` blocks of the largest rise, plus the premium.
pub fn estimate_fee_cap<BS: Blockstore + Send + Sync + 'static>(
    node: &Node<BS>,
    msg: &Message,
    max_queue_blocks: i32,
    key: &TipSetKey,
) -> Result<TokenAmount> {
    let ts = node.tipset(key)?;
    let parent_base_fee = &ts.blocks()[0].parent_base_fee;
    let factor = (1.0 + 1.0 / BASE_FEE_MAX_CHANGE_DENOM).powi(max_queue_blocks);
    let scaled = parent_base_fee.atto() * ((factor * 256.0) as u64) / 256u32;
    Ok(TokenAmount::from_atto(scaled) + &msg.gas_premium)
}

/// Lotus's `GasEstimateGasPremium` without its random noise: the premium
/// at which the messages of the last `2 × blocks_incl` tipsets would fill
/// half the blocks' gas target (plus 2.5%), at least the minimum premium.
/// The chain reads run on a blocking thread.
pub async fn estimate_gas_premium<BS: Blockstore + Send + Sync + 'static>(
    node: &Node<BS>,
    blocks_incl: u64,
    key: &TipSetKey,
) -> Result<TokenAmount> {
    let (chain, key) = (node.chain().clone(), key.clone());
    tokio::task::spawn_blocking(move || premium_from(&chain, blocks_incl, &key)).await?
}

fn premium_from<BS: Blockstore>(
    chain: &ChainStore<BS>,
    blocks_incl: u64,
    key: &TipSetKey,
) -> Result<TokenAmount> {
    let blocks_incl = blocks_incl.clamp(1, 128);
    let mut ts = chain.tipset(key)?;
    let mut prices: Vec<(TokenAmount, u64)> = Vec::new();
    let mut blocks = 0u64;
    for _ in 0..blocks_incl * 2 {
        if ts.height() == 0 {
            break;
        }
        let parent = chain.tipset(&ts.parents())?;
        blocks += parent.blocks().len() as u64;
        let msgs = crate::node::tipset_messages(chain, &parent)?;
        prices.extend(
            msgs.messages()
                .map(|m| (m.gas_premium.clone(), m.gas_limit)),
        );
        ts = parent;
    }
    let mut premium = median_premium(prices, blocks);
    if premium < TokenAmount::from_atto(MIN_GAS_PREMIUM) {
        premium = TokenAmount::from_atto(match blocks_incl {
            1 => 2 * MIN_GAS_PREMIUM,
            2 => MIN_GAS_PREMIUM * 3 / 2,
            _ => MIN_GAS_PREMIUM,
        });
    }
    Ok(premium)
}

fn median_premium(mut prices: Vec<(TokenAmount, u64)>, blocks: u64) -> TokenAmount {
    prices.sort_by(|a, b| b.0.cmp(&a.0));
    let target = BLOCK_GAS_TARGET as i128 * blocks as i128;
    let mut at = target / 2 + target / 40;
    let (mut prev1, mut prev2) = (TokenAmount::zero(), TokenAmount::zero());
    for (price, limit) in prices {
        prev2 = std::mem::replace(&mut prev1, price);
        at -= limit as i128;
        if at < 0 {
            break;
        }
    }
    if prev2.is_zero() {
        prev1
    } else {
        TokenAmount::from_atto((prev1.atto() + prev2.atto()) / 2u32)
    }
}

/// Lotus's `GasEstimateGasLimit`: the gas the message uses when run, at
/// the sender's next nonce, on the state after the tipset and the
/// sender's pending messages, with a block's gas limit and no fees.
///
/// Lotus runs it on the tipset's parent state plus its messages (without
/// cron); this node starts from the tipset's executed state, which is the
/// state the message will run on.
pub async fn estimate_gas_limit<BS: Blockstore + Send + Sync + 'static>(
    node: &Node<BS>,
    msg: &Message,
    key: &TipSetKey,
) -> Result<u64> {
    // Estimated whatever limit the message carries.
    let msg = Message {
        gas_limit: 0,
        ..msg.clone()
    };
    estimate_gas_limits(node, vec![msg], key)
        .await?
        .pop()
        .unwrap_or_else(|| Err(NodeError::Invalid("no estimate".into())))
}

/// The gas each of `msgs` (one sender's messages not yet in the pool, in
/// order) uses when run one after another, after the sender's pending
/// ones, on one VM: linear in the batch. A message that fails is undone
/// and takes no nonce; the ones after it run at its nonce.
pub(crate) async fn estimate_gas_limits<BS: Blockstore + Send + Sync + 'static>(
    node: &Node<BS>,
    msgs: Vec<Message>,
    key: &TipSetKey,
) -> Result<Vec<Result<u64>>> {
    let Some(first) = msgs.first() else {
        return Ok(Vec::new());
    };
    let from = first.from;
    if msgs.iter().any(|m| m.from != from) {
        return Err(NodeError::Invalid(
            "a batch estimate takes messages of one sender".into(),
        ));
    }
    let ts: TipSet = node.tipset(key)?;
    let state = node.state_after(&ts).await?;
    let all_pending = node.mpool().pending().await;
    let consensus = node.consensus().clone();
    let epoch = ts.height() + 1;
    tokio::task::spawn_blocking(move || -> Result<_> {
        let params = consensus.params();
        let buffered = Buffered::new(consensus.chain().blockstore());
        let tree = StateTree::load(&buffered, &state)?;
        let env = ExecEnv {
            epoch,
            base_fee: TokenAmount::zero(),
            network_version: params.network_version,
            policy: params.policy.clone(),
        };
        let externs = Externs {
            randomness: std::sync::Arc::new(consensus.rand(&ts)),
            verifier: consensus.seal_verifier().clone(),
        };
        let mut tree = tree;
        // The pool keys senders by the address they signed with: an ID
        // sender is looked up by its key address, as Lotus resolves it.
        let key = key_address(&mut tree, &params.manifest, &from).unwrap_or(from);
        let mut pending: Vec<SignedMessage> = all_pending
            .into_iter()
            .filter(|m| m.message.from == from || m.message.from == key)
            .collect();
        pending.sort_by_key(|m| m.message.sequence);
        // Lotus's prior messages: the pending ones before the first's nonce.
        if let Some(at) = pending
            .iter()
            .position(|m| m.message.sequence == first_sequence(&msgs))
        {
            pending.truncate(at);
        }
        let mut vm = Vm::new(tree, params.manifest.clone(), env).with_externs(externs);
        let nonce = |vm: &mut Vm<&Buffered<&BS>>| -> Result<Option<u64>> {
            let tree = vm.tree_mut();
            Ok(tree.find_actor(&from)?.map(|a| a.sequence))
        };
        for p in &pending {
            if Some(p.message.sequence) != nonce(&mut vm)? {
                continue;
            }
            vm.apply_message(&p.message, venus_core::gas::inclusion::chain_length(p))?;
        }
        let mut out = Vec::with_capacity(msgs.len());
        for mut msg in msgs {
            // A message whose sender set its gas limit is not estimated: it
            // runs with that limit and takes its nonce whatever its exit.
            let preset = msg.gas_limit != 0;
            let Some(seq) = nonce(&mut vm)? else {
                out.push(Err(NodeError::Invalid(format!(
                    "actor not found: sender {}",
                    msg.from
                ))));
                continue;
            };
            msg.sequence = seq;
            if !preset {
                msg.gas_limit = BLOCK_GAS_LIMIT;
            }
            msg.gas_fee_cap = TokenAmount::zero();
            msg.gas_premium = TokenAmount::zero();
            let signed = as_on_chain(msg);
            let len = venus_core::gas::inclusion::chain_length(&signed);
            vm.tree_mut().begin();
            let ret = match vm.apply_message(&signed.message, len) {
                Ok(ret) => ret,
                Err(e) => {
                    vm.tree_mut().revert()?;
                    out.push(Err(e.into()));
                    continue;
                }
            };
            match ret.receipt.exit_code {
                _ if preset => {
                    vm.tree_mut().commit()?;
                    out.push(Ok(ret.receipt.gas_used));
                }
                ExitCode::OK => {
                    vm.tree_mut().commit()?;
                    out.push(Ok(ret.receipt.gas_used));
                }
                code => {
                    vm.tree_mut().revert()?;
                    out.push(Err(NodeError::Invalid(
                        if code == ExitCode::SYS_OUT_OF_GAS {
                            "out of gas".into()
                        } else {
                            format!("message execution failed: exit {code}")
                        },
                    )));
                }
            }
        }
        buffered.discard();
        Ok(out)
    })
    .await?
}

fn first_sequence(msgs: &[Message]) -> u64 {
    msgs.first().map_or(0, |m| m.sequence)
}

/// A message as it goes on chain for size, as Lotus assumes when it
/// estimates: a secp sender's with a 65-byte signature, a BLS sender's
/// unsigned.
pub(crate) fn as_on_chain(message: Message) -> SignedMessage {
    let signature = if message.from.protocol() == fvm_shared::address::Protocol::Secp256k1 {
        venus_core::Signature::new_secp256k1(vec![0; 65])
    } else {
        venus_core::Signature::new_bls(Vec::new())
    };
    SignedMessage { message, signature }
}

/// Venus's `GasBatchEstimateMessageGas`: messages of one sender given
/// nonces from `from_nonce` on, each estimated after the ones before it;
/// one that fails gets its error and takes no nonce.
///
/// The spec is Venus's: its `GasOverEstimation` scales the gas used (this
/// node takes Lotus's 1.25 where it is 0; Venus's node would answer a gas
/// limit of 0) and its `GasOverPremium` the premium.
pub(crate) async fn batch_estimate<BS: Blockstore + Send + Sync + 'static>(
    node: &Node<BS>,
    msgs: Vec<(Message, Option<venus_api::lotus::BatchSendSpec>)>,
    from_nonce: u64,
    key: &TipSetKey,
) -> Result<Vec<std::result::Result<Message, String>>> {
    let runs: Vec<Message> = msgs
        .iter()
        .enumerate()
        .map(|(i, (m, _))| Message {
            sequence: from_nonce.saturating_add(i as u64),
            ..m.clone()
        })
        .collect();
    let used = estimate_gas_limits(node, runs, key).await?;
    // One premium for the batch: it depends on the chain, not the message.
    let mut premium: Option<TokenAmount> = None;
    let mut nonce = from_nonce;
    let mut out = Vec::with_capacity(msgs.len());
    for ((mut msg, spec), used) in msgs.into_iter().zip(used) {
        let over = spec
            .as_ref()
            .map(|s| s.gas_over_estimation)
            .filter(|r| r.is_finite() && *r > 0.0)
            .unwrap_or(GAS_LIMIT_OVERESTIMATION);
        let over_premium = spec
            .as_ref()
            .map(|s| s.gas_over_premium)
            .filter(|r| r.is_finite() && *r > 0.0);
        let cap = spec.as_ref().map(|s| MessageSendSpec {
            max_fee: s.max_fee.clone(),
            ..Default::default()
        });
        let estimated = async {
            msg.sequence = nonce;
            if msg.gas_limit == 0 {
                let used = used?;
                msg.gas_limit = (((used as f64) * over) as u64).min(BLOCK_GAS_LIMIT);
            }
            if msg.gas_premium.is_zero() {
                if premium.is_none() {
                    premium = Some(estimate_gas_premium(node, 10, key).await?);
                }
                let p = premium.clone().unwrap_or_default();
                msg.gas_premium = match over_premium {
                    Some(r) => TokenAmount::from_atto(
                        (p.atto() * ((r * 1e6).round() as u64)) / 1_000_000u64,
                    ),
                    None => p,
                };
            }
            if msg.gas_fee_cap.is_zero() {
                msg.gas_fee_cap = estimate_fee_cap(node, &msg, 20, key)?;
            }
            cap_gas_fee(&mut msg, cap.as_ref());
            Ok::<_, NodeError>(msg)
        }
        .await;
        match estimated {
            Ok(m) => {
                nonce += 1;
                out.push(Ok(m));
            }
            Err(e) => out.push(Err(e.to_string())),
        }
    }
    Ok(out)
}
