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
    estimate_gas_limit_after(node, msg, key, &[]).await
}

/// [`estimate_gas_limit`] with `batch` (messages of the same sender not
/// yet in the pool, as `GasBatchEstimateMessageGas` estimates them) run
/// after the pending ones.
pub(crate) async fn estimate_gas_limit_after<BS: Blockstore + Send + Sync + 'static>(
    node: &Node<BS>,
    msg: &Message,
    key: &TipSetKey,
    batch: &[SignedMessage],
) -> Result<u64> {
    let ts: TipSet = node.tipset(key)?;
    let state = node.state_after(&ts).await?;
    let all_pending = node.mpool().pending().await;
    let batch = batch.to_vec();
    let mut msg = msg.clone();
    msg.gas_limit = BLOCK_GAS_LIMIT;
    msg.gas_fee_cap = TokenAmount::zero();
    msg.gas_premium = TokenAmount::zero();
    let consensus = node.consensus().clone();
    let epoch = ts.height() + 1;
    let ret = tokio::task::spawn_blocking(move || -> Result<_> {
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
        let key = key_address(&mut tree, &params.manifest, &msg.from).unwrap_or(msg.from);
        let mut pending: Vec<SignedMessage> = all_pending
            .into_iter()
            .filter(|m| m.message.from == msg.from || m.message.from == key)
            .collect();
        pending.sort_by_key(|m| m.message.sequence);
        // Lotus's prior messages: the pending ones before this nonce.
        if let Some(at) = pending
            .iter()
            .position(|m| m.message.sequence == msg.sequence)
        {
            pending.truncate(at);
        }
        pending.extend(batch);
        let mut vm = Vm::new(tree, params.manifest.clone(), env).with_externs(externs);
        let from = msg.from;
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
        let mut msg = msg;
        msg.sequence = nonce(&mut vm)?
            .ok_or_else(|| NodeError::Invalid(format!("actor not found: sender {}", msg.from)))?;
        let signed = as_on_chain(msg);
        let len = venus_core::gas::inclusion::chain_length(&signed);
        let ret = vm.apply_message(&signed.message, len)?;
        buffered.discard();
        Ok(ret)
    })
    .await??;
    match ret.receipt.exit_code {
        ExitCode::OK => Ok(ret.receipt.gas_used),
        ExitCode::SYS_OUT_OF_GAS => Err(NodeError::Invalid("out of gas".into())),
        code => Err(NodeError::Invalid(format!(
            "message execution failed: exit {code}"
        ))),
    }
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
pub(crate) async fn batch_estimate<BS: Blockstore + Send + Sync + 'static>(
    node: &Node<BS>,
    msgs: Vec<(Message, Option<MessageSendSpec>)>,
    mut from_nonce: u64,
    key: &TipSetKey,
) -> Result<Vec<std::result::Result<Message, String>>> {
    let mut prior: Vec<SignedMessage> = Vec::new();
    let mut out = Vec::with_capacity(msgs.len());
    for (mut msg, spec) in msgs {
        msg.sequence = from_nonce;
        let estimated = async {
            if msg.gas_limit == 0 {
                let used = estimate_gas_limit_after(node, &msg, key, &prior).await?;
                msg.gas_limit =
                    (((used as f64) * GAS_LIMIT_OVERESTIMATION) as u64).min(BLOCK_GAS_LIMIT);
            }
            if msg.gas_premium.is_zero() {
                msg.gas_premium = estimate_gas_premium(node, 10, key).await?;
            }
            if msg.gas_fee_cap.is_zero() {
                msg.gas_fee_cap = estimate_fee_cap(node, &msg, 20, key)?;
            }
            cap_gas_fee(&mut msg, spec.as_ref());
            Ok::<_, NodeError>(msg)
        }
        .await;
        match estimated {
            Ok(m) => {
                prior.push(as_on_chain(m.clone()));
                from_nonce += 1;
                out.push(Ok(m));
            }
            Err(e) => out.push(Err(e.to_string())),
        }
    }
    Ok(out)
}
