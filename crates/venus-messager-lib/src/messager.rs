//! [`Messager`]: the message manager, assembled by [`MessagerBuilder`].

use std::sync::Arc;
use std::time::Duration;

use venus_core::traits::{ChainApi, RemoteSigner};
use venus_core::types::TipSet;
use venus_core::{Address, Message, TokenAmount};

use crate::fee::FeeSpec;
use crate::gas::{GasEstimator, NodeEstimator};
use crate::push::PushNode;
use crate::store::{ListQuery, MessageStore};
use crate::{MessageState, MessagerError, MsgRecord, Result, SendSpec};

/// Finds the wallet that holds an address's key.
pub trait Signers: Send + Sync {
    /// The signer of `from`, if any wallet of the pool holds its key.
    fn signer(&self, from: &Address) -> Option<Arc<dyn RemoteSigner>>;
}

/// One wallet for every address.
impl Signers for Arc<dyn RemoteSigner> {
    fn signer(&self, _from: &Address) -> Option<Arc<dyn RemoteSigner>> {
        Some(self.clone())
    }
}

/// A wallet per address.
impl Signers for std::collections::HashMap<Address, Arc<dyn RemoteSigner>> {
    fn signer(&self, from: &Address) -> Option<Arc<dyn RemoteSigner>> {
        self.get(from).cloned()
    }
}

/// How the messager runs. `Default` gives Venus's defaults.
#[derive(Debug, Clone)]
pub struct MessagerConfig {
    /// This instance's name: instances on one database split the
    /// addresses by leases held under their names. Unique per live process.
    pub instance: String,
    /// How long an address lease lasts unless renewed (renewed every
    /// third of it): another instance takes the address over this long
    /// after its holder stops.
    pub lease_ttl: Duration,
    /// How many messages of one address may wait filled but not on chain
    /// (Venus's `SelMsgNum`, 20); an address's own setting comes first.
    pub sel_msg_num: u64,
    /// The global fee rules, under those stored (Venus's shared params:
    /// `GasOverEstimation` 1.25, `MaxFee` 0.07 FIL).
    pub fee: FeeSpec,
    /// A filled message not on chain this many epochs after it was signed
    /// is replaced with a higher premium; 0 never replaces.
    pub replace_after_epochs: i64,
    /// Each push to one node is given up after this.
    pub push_timeout: Duration,
    /// At most this many pushes at once.
    pub push_concurrency: usize,
}

impl Default for MessagerConfig {
    fn default() -> Self {
        MessagerConfig {
            instance: format!("messager-{:016x}", rand::random::<u64>()),
            lease_ttl: Duration::from_secs(60),
            sel_msg_num: 20,
            fee: FeeSpec {
                gas_over_estimation: Some(1.25),
                max_fee: Some(TokenAmount::from_nano(70_000_000)),
                ..Default::default()
            },
            replace_after_epochs: 10,
            push_timeout: Duration::from_secs(10),
            push_concurrency: 16,
        }
    }
}

/// The message manager: accepts messages, fills them (nonce, gas,
/// signature), pushes them, follows them to the chain and replaces those
/// that get stuck. Cheap to clone.
#[derive(Clone)]
pub struct Messager {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) store: Arc<dyn MessageStore>,
    pub(crate) chain: Arc<dyn ChainApi>,
    pub(crate) estimator: Arc<dyn GasEstimator>,
    pub(crate) signers: Arc<dyn Signers>,
    pub(crate) nodes: std::sync::RwLock<Vec<PushNode>>,
    pub(crate) config: MessagerConfig,
    /// One pass at a time (a head change, a tick, a call).
    pub(crate) pass: tokio::sync::Mutex<()>,
    /// What every pass so far did, summed.
    pub(crate) totals: std::sync::Mutex<crate::PassReport>,
    /// When (head height) this process last pushed each pending (sender,
    /// nonce).
    pub(crate) pushed_at: std::sync::Mutex<std::collections::HashMap<(Address, u64), i64>>,
}

/// Builds a [`Messager`]: `store`, `chain` and `signers` are required;
/// gas is estimated by the chain and messages pushed to it unless told
/// otherwise.
pub struct MessagerBuilder {
    config: MessagerConfig,
    store: Option<Arc<dyn MessageStore>>,
    chain: Option<Arc<dyn ChainApi>>,
    estimator: Option<Arc<dyn GasEstimator>>,
    signers: Option<Arc<dyn Signers>>,
    nodes: Option<Vec<PushNode>>,
}

impl Messager {
    /// A builder over `config`.
    pub fn builder(config: MessagerConfig) -> MessagerBuilder {
        MessagerBuilder {
            config,
            store: None,
            chain: None,
            estimator: None,
            signers: None,
            nodes: None,
        }
    }
}

impl MessagerBuilder {
    /// Where messages, addresses and nonces are kept.
    pub fn store(mut self, store: Arc<dyn MessageStore>) -> Self {
        self.store = Some(store);
        self
    }

    /// The node the messager reads the chain from.
    pub fn chain(mut self, chain: Arc<dyn ChainApi>) -> Self {
        self.chain = Some(chain);
        self
    }

    /// Who estimates gas (default: the chain's `GasEstimateMessageGas`).
    pub fn estimator(mut self, estimator: Arc<dyn GasEstimator>) -> Self {
        self.estimator = Some(estimator);
        self
    }

    /// The wallets.
    pub fn signers(mut self, signers: Arc<dyn Signers>) -> Self {
        self.signers = Some(signers);
        self
    }

    /// The nodes messages are pushed to (default: the chain alone).
    pub fn nodes(mut self, nodes: Vec<PushNode>) -> Self {
        self.nodes = Some(nodes);
        self
    }

    /// The messager.
    pub fn build(self) -> Result<Messager> {
        let missing = |what: &str| MessagerError::Invalid(format!("the messager needs {what}"));
        let chain = self.chain.ok_or_else(|| missing("a chain"))?;
        if self.config.instance.is_empty() {
            return Err(MessagerError::Invalid("the instance name is empty".into()));
        }
        self.config.fee.validate().map_err(MessagerError::Invalid)?;
        let estimator = self
            .estimator
            .unwrap_or_else(|| Arc::new(NodeEstimator::new(chain.clone(), 8)));
        let nodes = self.nodes.unwrap_or_else(|| {
            vec![PushNode {
                name: "chain".into(),
                api: chain.clone(),
            }]
        });
        Ok(Messager {
            inner: Arc::new(Inner {
                store: self.store.ok_or_else(|| missing("a store"))?,
                signers: self.signers.ok_or_else(|| missing("signers"))?,
                chain,
                estimator,
                nodes: std::sync::RwLock::new(nodes),
                config: self.config,
                pass: tokio::sync::Mutex::new(()),
                totals: Default::default(),
                pushed_at: Default::default(),
            }),
        })
    }
}

/// A gas limit set by a caller (0: estimated): at least what carrying the
/// message costs (a secp256k1 signature included) and at most a block's,
/// else no node would take it and its nonce would hold back every later one.
pub(crate) fn check_gas_limit(limit: u64, size: usize) -> Result<()> {
    if limit == 0 {
        return Ok(());
    }
    let least = venus_core::gas::inclusion::on_chain_message_gas(
        venus_core::gas::inclusion::DEFAULT_NETWORK_VERSION,
        size + 67,
    );
    if limit < least || limit > venus_core::gas::BLOCK_GAS_LIMIT {
        return Err(MessagerError::Invalid(format!(
            "gas limit {limit} is outside {least}..={} (carrying the message costs at least {least}); leave it 0 to have it estimated",
            venus_core::gas::BLOCK_GAS_LIMIT
        )));
    }
    Ok(())
}

/// The id of `old` when `msg` is the message it was pushed as (the
/// messager's own fields, nonce and gas, aside); else a duplicate.
fn same_message(old: MsgRecord, msg: &Message) -> Result<String> {
    let o = &old.message;
    if o.from == msg.from
        && o.to == msg.to
        && o.value == msg.value
        && o.method_num == msg.method_num
        && o.params == msg.params
    {
        Ok(old.id)
    } else {
        Err(MessagerError::Duplicate(old.id))
    }
}

/// A new message id: a random UUID (version 4), as Venus's are.
pub fn new_id() -> String {
    let mut b: [u8; 16] = rand::random();
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex::encode(b);
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

impl Messager {
    /// The store.
    pub fn store(&self) -> &Arc<dyn MessageStore> {
        &self.inner.store
    }

    /// The node the messager reads the chain from.
    pub fn chain(&self) -> &Arc<dyn ChainApi> {
        &self.inner.chain
    }

    /// The wallets.
    pub fn signers(&self) -> &Arc<dyn Signers> {
        &self.inner.signers
    }

    /// The configuration.
    pub fn config(&self) -> &MessagerConfig {
        &self.inner.config
    }

    /// What every pass so far did, summed (for metrics).
    pub fn totals(&self) -> crate::PassReport {
        self.inner
            .totals
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Replaces the list of nodes messages are pushed to.
    pub fn set_nodes(&self, nodes: Vec<PushNode>) {
        *self.inner.nodes.write().unwrap_or_else(|p| p.into_inner()) = nodes;
    }

    /// Accepts a message from `user` under `id` (a new UUID when `None`):
    /// checks it, stores it unfilled and returns its id. Its nonce is
    /// ignored; gas fields left zero are estimated, others kept. Nothing is
    /// stored when a check fails.
    ///
    /// Pushing again under an id already taken by the same message (same
    /// sender, recipient, value, method and params) answers the id and
    /// stores nothing, so a caller that lost the answer can retry; another
    /// message under a taken id is [`MessagerError::Duplicate`].
    pub async fn push(
        &self,
        id: Option<String>,
        msg: Message,
        spec: SendSpec,
        user: &str,
    ) -> Result<String> {
        let id = match id {
            Some(id) if id.is_empty() || id.len() > 128 => {
                return Err(MessagerError::Invalid(
                    "a message id is 1 to 128 characters".into(),
                ))
            }
            Some(id) => {
                if let Some(old) = self.inner.store.get(&id).await? {
                    return same_message(old, &msg);
                }
                id
            }
            None => new_id(),
        };
        spec.fee.validate().map_err(MessagerError::Invalid)?;
        let info = self
            .inner
            .store
            .address(&msg.from)
            .await?
            .ok_or_else(|| MessagerError::unknown_address(&msg.from))?;
        if msg.value.is_negative() || msg.gas_fee_cap.is_negative() || msg.gas_premium.is_negative()
        {
            return Err(MessagerError::Invalid("negative value or gas price".into()));
        }
        let size = venus_core::encoding::to_cbor(&msg)
            .map_err(|e| MessagerError::Invalid(e.to_string()))?
            .len();
        if size > 32 * 1024 {
            return Err(MessagerError::Invalid("message is above 32 KiB".into()));
        }
        check_gas_limit(msg.gas_limit, size)?;
        let head = self.head().await?;
        match self.inner.chain.actor(&info.addr, head.key()).await {
            Ok(actor) if msg.value > actor.balance => {
                return Err(MessagerError::Invalid(format!(
                    "value {} is above the balance of {} ({})",
                    msg.value, msg.from, actor.balance
                )))
            }
            Ok(_) => {}
            Err(venus_core::Error::NotFound(_)) => {
                return Err(MessagerError::Invalid(format!(
                    "{} has no actor on chain (no funds)",
                    msg.from
                )))
            }
            Err(e) => return Err(MessagerError::Node(e.to_string())),
        }
        let rec = MsgRecord::new(id.clone(), msg, spec, user);
        match self.inner.store.insert(&rec).await {
            Ok(()) => {}
            // A retry racing the first push.
            Err(MessagerError::Duplicate(_)) => {
                if let Some(old) = self.inner.store.get(&id).await? {
                    return same_message(old, &rec.message);
                }
                return Err(MessagerError::Duplicate(id));
            }
            Err(e) => return Err(e),
        }
        tracing::debug!(target: "venus::messager", %id, from = %rec.message.from, "message accepted");
        Ok(id)
    }

    /// The message with this id.
    pub async fn get(&self, id: &str) -> Result<MsgRecord> {
        self.inner
            .store
            .get(id)
            .await?
            .ok_or_else(|| MessagerError::NotFound(id.into()))
    }

    /// Messages matching `q`.
    pub async fn list(&self, q: &ListQuery) -> Result<Vec<MsgRecord>> {
        self.inner.store.list(q).await
    }

    /// Waits until the message is on chain (or in nonce conflict) with
    /// `confidence` tipsets on top of the one that executed it, or has
    /// failed; gives up after `timeout`.
    pub async fn wait(&self, id: &str, confidence: i64, timeout: Duration) -> Result<MsgRecord> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let m = self.get(id).await?;
            match m.state {
                MessageState::Failed => return Ok(m),
                MessageState::OnChain | MessageState::NonceConflict => {
                    let head = self.head().await?;
                    if head.height() - m.height.unwrap_or(head.height()) >= confidence {
                        return Ok(m);
                    }
                }
                _ => {}
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(MessagerError::State {
                    id: id.into(),
                    state: m.state,
                    what: "not on chain before the wait timed out",
                });
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Marks a message failed (Venus's `MarkBadMessage`).
    ///
    /// A filled message is refused: it holds a nonce, and failing it would
    /// leave a gap no later message of its sender could pass (and a
    /// version already pushed could still land). Replace it instead
    /// ([`Messager::replace`]), for instance with a higher premium.
    pub async fn mark_bad(&self, id: &str) -> Result<()> {
        let m = self.get(id).await?;
        if m.state == MessageState::Filled {
            return Err(MessagerError::State {
                id: id.into(),
                state: m.state,
                what: "it holds a nonce: replace it instead of marking it bad",
            });
        }
        self.inner.store.fail(id, "marked bad").await
    }

    /// Failed signed messages of `from` whose nonce is still ahead of the
    /// chain go back to filled (Venus's `RecoverFailedMsg`).
    pub async fn recover_failed(&self, from: &Address) -> Result<Vec<String>> {
        let head = self.head().await?;
        let nonce = self.chain_nonce(from, &head).await?;
        self.inner.store.recover_failed(from, nonce).await
    }

    pub(crate) async fn head(&self) -> Result<TipSet> {
        self.inner
            .chain
            .head()
            .await
            .map_err(|e| MessagerError::Node(format!("head: {e}")))
    }

    /// The chain's next nonce of `from` at `head` (0 with no actor).
    pub(crate) async fn chain_nonce(&self, from: &Address, head: &TipSet) -> Result<u64> {
        match self.inner.chain.actor(from, head.key()).await {
            Ok(a) => Ok(a.nonce),
            Err(venus_core::Error::NotFound(_)) => Ok(0),
            Err(e) => Err(MessagerError::Node(format!("actor {from}: {e}"))),
        }
    }
}
