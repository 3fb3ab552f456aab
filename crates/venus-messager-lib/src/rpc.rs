//! The messager's API (`venus_api::messager`: Venus's method names,
//! permissions and JSON) over a [`Messager`], with every address checked
//! against what the caller may use ([`Access`]).

use std::sync::Arc;
use std::time::Duration;

use venus_api::messager::{self as api, *};
use venus_core::json::Lotus;
use venus_core::Address;
use venus_rpc::{codes, Claims, RpcError, RpcModule};

use crate::access::{Access, Allowed};
use crate::push::PushNode;
use crate::signers::WalletSigners;
use crate::store::{ListQuery, NodeEntry};
use crate::{Messager, MessagerError, MsgRecord, ReplaceSpec};

const T: &str = "venus::messager";

/// What the messager's API serves.
pub struct MessagerService {
    messager: Messager,
    access: Arc<dyn Access>,
    wallets: Option<Arc<WalletSigners>>,
    base_nodes: Vec<PushNode>,
    max_wait: Duration,
    resolver: Option<Arc<venus_api::lotus::LotusClient>>,
}

impl MessagerService {
    /// The API of `messager`, each caller limited by `access`.
    pub fn new(messager: Messager, access: Arc<dyn Access>) -> Self {
        // The chain the messager reads is always pushed to.
        let base_nodes = vec![PushNode {
            name: "node".into(),
            api: messager.chain().clone(),
        }];
        MessagerService {
            messager,
            access,
            wallets: None,
            base_nodes,
            max_wait: Duration::from_secs(600),
            resolver: None,
        }
    }

    /// The wallets the messager signs with: `WalletHas` asks them, and a
    /// push from an address one of them holds adds the address (as Venus
    /// does) instead of refusing it.
    pub fn with_wallets(mut self, wallets: Arc<WalletSigners>) -> Self {
        self.wallets = Some(wallets);
        self
    }

    /// A Lotus-API node that resolves a sender given as an ID address
    /// (`f0…`) to its key address (`StateAccountKey`), as Venus's messager
    /// does before it checks and stores the message; without, an ID
    /// sender is refused.
    pub fn with_resolver(mut self, node: Arc<venus_api::lotus::LotusClient>) -> Self {
        self.resolver = Some(node);
        self
    }

    /// The nodes always pushed to, before those saved with `SaveNode`
    /// (default: the chain the messager reads).
    pub fn with_base_nodes(mut self, nodes: Vec<PushNode>) -> Self {
        self.base_nodes = nodes;
        self
    }

    /// How long one `WaitMessage` waits before answering that the message
    /// is not there yet (default 10 minutes; the caller asks again).
    pub fn with_max_wait(mut self, max_wait: Duration) -> Self {
        self.max_wait = max_wait;
        self
    }

    /// The messager.
    pub fn messager(&self) -> &Messager {
        &self.messager
    }

    /// The push list: the base nodes, then every saved node that answers
    /// (a saved node that does not is skipped and logged).
    pub async fn reload_nodes(&self) -> crate::Result<usize> {
        let mut nodes = self.base_nodes.clone();
        for n in self.messager.store().nodes().await? {
            let info = if n.token.is_empty() {
                n.url.clone()
            } else {
                format!("{}:{}", n.token, n.url)
            };
            match venus_api::lotus::LotusClient::connect(&info).await {
                Ok(c) => nodes.push(PushNode {
                    name: n.name,
                    api: Arc::new(c),
                }),
                Err(e) => {
                    tracing::warn!(target: T, node = %n.name, error = %e, "a saved node cannot be reached; not pushed to")
                }
            }
        }
        let count = nodes.len();
        self.messager.set_nodes(nodes);
        Ok(count)
    }

    async fn allowed(&self, claims: &Claims) -> Result<Allowed, RpcError> {
        Ok(self.access.allowed(claims).await?)
    }

    /// Refuses `addr` unless the caller may use it.
    async fn check(&self, claims: &Claims, addr: &Address) -> Result<(), RpcError> {
        if self.allowed(claims).await?.allows(addr) {
            Ok(())
        } else {
            Err(denied(claims, addr))
        }
    }

    /// The message `id`, if the caller may see it (one it may not see is
    /// "not found", so ids of other users' messages are not revealed).
    async fn visible(&self, claims: &Claims, id: &str) -> Result<MsgRecord, RpcError> {
        let m = self.messager.get(id).await?;
        if self.allowed(claims).await?.allows(&m.from()) {
            Ok(m)
        } else {
            Err(MessagerError::NotFound(id.into()).into())
        }
    }

    async fn push(
        &self,
        claims: &Claims,
        id: Option<String>,
        mut msg: venus_core::Message,
        spec: Option<SendSpec>,
    ) -> Result<String, RpcError> {
        if msg.from.protocol() == venus_core::address::Protocol::ID {
            let Some(node) = &self.resolver else {
                return Err(RpcError::invalid_params(format!(
                    "{}: push from the sender's key address (this messager resolves no ID addresses)",
                    msg.from
                )));
            };
            let key = node
                .rpc()
                .call::<venus_api::lotus::StateAccountKey>((
                    Lotus(msg.from),
                    Lotus(Default::default()),
                ))
                .await
                .map_err(|e| {
                    RpcError::invalid_params(format!(
                        "resolving {} to its key address: {e}",
                        msg.from
                    ))
                })?;
            msg.from = key.0;
        }
        self.check(claims, &msg.from).await?;
        let store = self.messager.store();
        if store.address(&msg.from).await?.is_none() {
            match &self.wallets {
                Some(w) if w.has(&msg.from).await => store.add_address(&msg.from).await?,
                _ => {
                    return Err(RpcError::invalid_params(format!(
                        "{} is not held by any wallet of the messager: push from a key address of a configured wallet",
                        msg.from
                    )))
                }
            }
        }
        let user = claims.name.clone().unwrap_or_default();
        Ok(self
            .messager
            .push(id, msg, spec.unwrap_or_default(), &user)
            .await?)
    }

    async fn to_api(&self, rec: MsgRecord) -> api::Message {
        let head = self.head_for(std::slice::from_ref(&rec)).await;
        let c = confidence(rec.height, head);
        to_api(rec, c)
    }

    /// Records as the API shows them, each with its confidence.
    async fn many(&self, recs: Vec<MsgRecord>) -> Vec<api::Message> {
        let head = self.head_for(&recs).await;
        recs.into_iter()
            .map(|r| {
                let c = confidence(r.height, head);
                to_api(r, c)
            })
            .collect()
    }

    /// The head's height, asked only when one of `recs` is on chain.
    async fn head_for(&self, recs: &[MsgRecord]) -> Option<i64> {
        if !recs.iter().any(|r| r.height.is_some()) {
            return None;
        }
        self.messager.chain().head().await.ok().map(|h| h.height())
    }

    /// Lists `q`, limited to what the caller may see.
    async fn list(&self, claims: &Claims, mut q: ListQuery) -> Result<Vec<api::Message>, RpcError> {
        if let Allowed::Only(set) = self.allowed(claims).await? {
            q.from = if q.from.is_empty() {
                set.into_iter().collect()
            } else {
                q.from.into_iter().filter(|a| set.contains(a)).collect()
            };
            if q.from.is_empty() {
                return Ok(Vec::new());
            }
        }
        let recs = self.messager.list(&q).await?;
        Ok(self.many(recs).await)
    }

    async fn address(&self, claims: &Claims, addr: &Address) -> Result<AddressInfo, RpcError> {
        self.check(claims, addr).await?;
        let info = self
            .messager
            .store()
            .address(addr)
            .await?
            .ok_or_else(|| MessagerError::unknown_address(addr))?;
        Ok(address_to_api(info))
    }
}

/// Tipsets on top of the one that executed a message at `height` (0 when
/// not on chain or the head is unknown).
fn confidence(height: Option<i64>, head: Option<i64>) -> i64 {
    match (height, head) {
        (Some(at), Some(head)) => (head - at).max(0),
        _ => 0,
    }
}

/// A record as the API shows it.
pub fn to_api(rec: MsgRecord, confidence: i64) -> api::Message {
    let m = rec.message;
    api::Message {
        id: rec.id,
        unsigned_cid: rec.unsigned_cid,
        signed_cid: rec.signed_cid,
        version: m.version,
        to: m.to,
        from: m.from,
        nonce: rec.nonce.unwrap_or(0),
        value: m.value,
        gas_limit: m.gas_limit,
        gas_fee_cap: m.gas_fee_cap,
        gas_premium: m.gas_premium,
        method: m.method_num,
        params: m.params,
        signature: rec.signature,
        height: rec.height.unwrap_or(0),
        confidence,
        receipt: rec.receipt,
        tip_set_key: rec.tipset.unwrap_or_default(),
        meta: Some(rec.spec),
        wallet_name: rec.from_user,
        state: rec.state,
        error_msg: rec.error,
        created_at: rec.created_ms,
        updated_at: rec.updated_ms,
    }
}

fn address_to_api(info: crate::AddressInfo) -> AddressInfo {
    AddressInfo {
        id: venus_api::messager::uuid_of(&info.addr.to_string()),
        addr: info.addr,
        nonce: info.next_nonce,
        weight: 0,
        state: info.state,
        sel_msg_num: info.sel_msg_num,
        fee: info.fee,
        is_deleted: -1,
        owner: info.owner,
        created_at: 0,
        updated_at: 0,
    }
}

fn denied(claims: &Claims, addr: &Address) -> RpcError {
    RpcError::new(
        codes::POLICY_DENIED,
        format!(
            "{} may not use {addr}: bind it to the user in venus-auth (AuthBindSigner), or use an admin token",
            claims.name.as_deref().unwrap_or("this token")
        ),
    )
}

impl From<MessagerError> for RpcError {
    fn from(e: MessagerError) -> Self {
        match e {
            MessagerError::NotFound(_) => RpcError::new(codes::NOT_FOUND, e.to_string()),
            MessagerError::Duplicate(_) => RpcError::new(codes::DUPLICATE, e.to_string()),
            MessagerError::Invalid(_) | MessagerError::Address(_) | MessagerError::State { .. } => {
                RpcError::invalid_params(e)
            }
            other => RpcError::method(other),
        }
    }
}

fn addrs(list: Option<Vec<Lotus<Address>>>) -> Vec<Address> {
    list.unwrap_or_default().into_iter().map(|a| a.0).collect()
}

/// Go's `address.Undef` is written `<empty>`.
fn optional_address(s: &str) -> Result<Option<Address>, RpcError> {
    if s.is_empty() || s == "<empty>" {
        return Ok(None);
    }
    venus_core::address::parse(s)
        .map(Some)
        .map_err(|e| RpcError::invalid_params(format!("{s:?} is not an address: {e}")))
}

/// The messager's API on `service`.
pub fn messager_module(service: Arc<MessagerService>) -> RpcModule {
    let mut m = RpcModule::new();
    let s = &service;
    m.register_with::<PushMessage, _, _, _>(s, |s, c, (msg, spec)| async move {
        s.push(&c, None, msg.0, spec).await
    });
    m.register_with::<PushMessageWithId, _, _, _>(s, |s, c, (id, msg, spec)| async move {
        s.push(&c, Some(id), msg.0, spec).await
    });
    m.register_with::<HasMessageByUid, _, _, _>(s, |s, c, (id,)| async move {
        match s.visible(&c, &id).await {
            Ok(_) => Ok(true),
            Err(e) if e.code == codes::NOT_FOUND => Ok(false),
            Err(e) => Err(e),
        }
    });
    m.register_with::<GetMessageByUid, _, _, _>(s, |s, c, (id,)| async move {
        let rec = s.visible(&c, &id).await?;
        Ok(s.to_api(rec).await)
    });
    m.register_with::<WaitMessage, _, _, _>(s, |s, c, (id, confidence)| async move {
        s.visible(&c, &id).await?;
        let confidence = i64::try_from(confidence).unwrap_or(i64::MAX);
        let rec = s.messager.wait(&id, confidence, s.max_wait).await?;
        Ok(s.to_api(rec).await)
    });
    m.register_with::<GetMessageBySignedCid, _, _, _>(s, |s, c, (cid,)| async move {
        by(&s, &c, s.messager.store().by_cid(&cid.0).await?, &cid.0).await
    });
    m.register_with::<GetMessageByUnsignedCid, _, _, _>(s, |s, c, (cid,)| async move {
        by(&s, &c, s.messager.store().by_cid(&cid.0).await?, &cid.0).await
    });
    m.register_with::<GetMessageByFromAndNonce, _, _, _>(s, |s, c, (from, nonce)| async move {
        s.check(&c, &from.0).await?;
        let found = s.messager.store().by_nonce(&from.0, nonce).await?;
        let rec = found
            .ok_or_else(|| MessagerError::NotFound(format!("{} with nonce {nonce}", from.0)))?;
        Ok(s.to_api(rec).await)
    });
    m.register_with::<ListMessage, _, _, _>(s, |s, c, (q,)| async move {
        let updated_since_ms = match q.by_update_at.as_deref() {
            Some(t) if !t.is_empty() => {
                venus_api::time::parse_rfc3339_ms(t).map_err(RpcError::invalid_params)?
            }
            _ => 0,
        };
        let query = ListQuery {
            states: q.state.unwrap_or_default(),
            from: addrs(q.from),
            updated_since_ms,
            newest_first: !q.asc,
            limit: q.limit,
            offset: q.offset,
            ..Default::default()
        };
        s.list(&c, query).await
    });
    m.register_with::<ListFailedMessage, _, _, _>(s, |s, c, _| async move {
        let q = ListQuery {
            states: vec![MessageState::Unfilled],
            with_error: true,
            ..Default::default()
        };
        s.list(&c, q).await
    });
    m.register_with::<ListBlockedMessage, _, _, _>(s, |s, c, (addr, nanos)| async move {
        let from = optional_address(&addr)?;
        let age_ms = nanos.max(0) / 1_000_000;
        let q = ListQuery {
            states: vec![MessageState::Unfilled, MessageState::Filled],
            from: from.into_iter().collect(),
            created_before_ms: crate::now_ms() - age_ms,
            ..Default::default()
        };
        s.list(&c, q).await
    });
    m.register_with::<UpdateAllFilledMessage, _, _, _>(s, |s, _, _| async move {
        let mut landed = 0;
        for a in s.messager.store().addresses().await? {
            landed += s.messager.refresh_address(&a.addr).await?.landed;
        }
        Ok(landed as i64)
    });
    m.register_with::<UpdateFilledMessageByID, _, _, _>(s, |s, c, (id,)| async move {
        let m = s.visible(&c, &id).await?;
        s.messager.refresh_address(&m.from()).await?;
        Ok(id)
    });
    m.register_with::<ReplaceMessage, _, _, _>(s, |s, c, (p,)| async move {
        s.visible(&c, &p.id).await?;
        if !(p.gas_over_premium.is_finite() && p.gas_over_premium >= 0.0) || p.gas_limit < 0 {
            return Err(RpcError::invalid_params(
                "GasOverPremium and GasLimit must not be negative",
            ));
        }
        let how = ReplaceSpec {
            manual: !p.auto,
            max_fee: p.max_fee,
            gas_limit: p.gas_limit as u64,
            gas_premium: p.gas_premium,
            gas_fee_cap: p.gas_feecap,
            gas_over_premium: Some(p.gas_over_premium).filter(|r| *r > 0.0),
        };
        Ok(Lotus(s.messager.replace(&p.id, &how).await?))
    });
    m.register_with::<RepublishMessage, _, _, _>(s, |s, _, (id,)| async move {
        let took = s.messager.republish(&id).await?;
        if took == 0 {
            return Err(RpcError::method(format!("no node took message {id}")));
        }
        Ok(())
    });
    m.register_with::<MarkBadMessage, _, _, _>(s, |s, c, (id,)| async move {
        s.visible(&c, &id).await?;
        Ok(s.messager.mark_bad(&id).await?)
    });
    m.register_with::<RecoverFailedMsg, _, _, _>(s, |s, c, (addr,)| async move {
        s.check(&c, &addr.0).await?;
        Ok(s.messager.recover_failed(&addr.0).await?)
    });
    m.register_with::<GetAddress, _, _, _>(s, |s, c, (addr,)| async move {
        s.address(&c, &addr.0).await
    });
    m.register_with::<HasAddress, _, _, _>(s, |s, c, (addr,)| async move {
        if !s.allowed(&c).await?.allows(&addr.0) {
            return Ok(false);
        }
        Ok(s.messager.store().address(&addr.0).await?.is_some())
    });
    m.register_with::<WalletHas, _, _, _>(s, |s, c, (addr,)| async move {
        if !s.allowed(&c).await?.allows(&addr.0) {
            return Ok(false);
        }
        Ok(match &s.wallets {
            Some(w) => w.has(&addr.0).await,
            None => s.messager.signers().signer(&addr.0).is_some(),
        })
    });
    m.register_with::<ListAddress, _, _, _>(s, |s, c, _| async move {
        let allowed = s.allowed(&c).await?;
        Ok(s.messager
            .store()
            .addresses()
            .await?
            .into_iter()
            .filter(|a| allowed.allows(&a.addr))
            .map(address_to_api)
            .collect::<Vec<_>>())
    });
    m.register_with::<UpdateNonce, _, _, _>(s, |s, _, (addr, nonce)| async move {
        let store = s.messager.store();
        store
            .address(&addr.0)
            .await?
            .ok_or_else(|| MessagerError::unknown_address(&addr.0))?;
        let next = store.reconcile_nonce(&addr.0, nonce).await?;
        if next > nonce {
            tracing::info!(target: T, addr = %addr.0, asked = nonce, next, "a nonce is never lowered");
        }
        Ok(())
    });
    m.register_with::<ForbiddenAddress, _, _, _>(s, |s, c, (addr,)| async move {
        s.address(&c, &addr.0).await?;
        Ok(s.messager
            .store()
            .set_address_state(&addr.0, AddressState::Forbidden)
            .await?)
    });
    m.register_with::<ActiveAddress, _, _, _>(s, |s, c, (addr,)| async move {
        s.address(&c, &addr.0).await?;
        Ok(s.messager
            .store()
            .set_address_state(&addr.0, AddressState::Alive)
            .await?)
    });
    m.register_with::<SetSelectMsgNum, _, _, _>(s, |s, c, (addr, num)| async move {
        let info = s.address(&c, &addr.0).await?;
        Ok(s.messager
            .store()
            .set_address_fee(&addr.0, &info.fee, num)
            .await?)
    });
    m.register_with::<SetFeeParams, _, _, _>(s, |s, c, (spec,)| async move {
        let info = s.address(&c, &spec.address).await?;
        let fee = spec.update(&info.fee).map_err(RpcError::invalid_params)?;
        Ok(s.messager
            .store()
            .set_address_fee(&spec.address, &fee, info.sel_msg_num)
            .await?)
    });
    m.register_with::<ClearUnFillMessage, _, _, _>(s, |s, c, (addr,)| async move {
        s.address(&c, &addr.0).await?;
        let n = s
            .messager
            .store()
            .fail_unfilled(&addr.0, "cleared by the operator")
            .await?;
        Ok(n as i64)
    });
    m.register_with::<GetSharedParams, _, _, _>(s, |s, _, _| async move {
        let config = s.messager.config();
        let stored = s.messager.store().fee_rule("", None).await?;
        Ok(SharedSpec {
            id: 1,
            sel_msg_num: config.sel_msg_num,
            fee: stored.unwrap_or_default().or(&config.fee),
        })
    });
    m.register_with::<SetSharedParams, _, _, _>(s, |s, _, (p,)| async move {
        let config = s.messager.config();
        if p.sel_msg_num != 0 && p.sel_msg_num != config.sel_msg_num {
            return Err(RpcError::invalid_params(format!(
                "selMsgNum is the daemon's sel_msg_num ({}) in config.toml; per address, use SetSelectMsgNum",
                config.sel_msg_num
            )));
        }
        p.fee.validate().map_err(RpcError::invalid_params)?;
        Ok(s.messager.store().set_fee_rule("", None, &p.fee).await?)
    });
    m.register_with::<SaveNode, _, _, _>(s, |s, _, (node,)| async move {
        if node.name.is_empty() || node.url.is_empty() {
            return Err(RpcError::invalid_params("a node needs a Name and a URL"));
        }
        s.messager
            .store()
            .save_node(&NodeEntry {
                name: node.name,
                url: node.url,
                token: node.token,
            })
            .await?;
        s.reload_nodes().await?;
        Ok(())
    });
    m.register_with::<GetNode, _, _, _>(s, |s, _, (name,)| async move {
        let nodes = s.messager.store().nodes().await?;
        let n = nodes
            .into_iter()
            .find(|n| n.name == name)
            .ok_or_else(|| MessagerError::NotFound(format!("node {name}")))?;
        Ok(node_to_api(n))
    });
    m.register_with::<HasNode, _, _, _>(s, |s, _, (name,)| async move {
        Ok(s.messager
            .store()
            .nodes()
            .await?
            .iter()
            .any(|n| n.name == name))
    });
    m.register_with::<ListNode, _, _, _>(s, |s, _, _| async move {
        Ok(s.messager
            .store()
            .nodes()
            .await?
            .into_iter()
            .map(node_to_api)
            .collect::<Vec<_>>())
    });
    m.register_with::<DeleteNode, _, _, _>(s, |s, _, (name,)| async move {
        if !s.messager.store().delete_node(&name).await? {
            return Err(MessagerError::NotFound(format!("node {name}")).into());
        }
        s.reload_nodes().await?;
        Ok(())
    });
    m.register_with::<VersionMethod, _, _, _>(s, |_, _, _| async move {
        Ok(Version {
            version: format!("venus-messager/{}", env!("CARGO_PKG_VERSION")),
            api_version: 0x0001_0000,
        })
    });
    m
}

async fn by(
    s: &MessagerService,
    c: &Claims,
    found: Option<MsgRecord>,
    cid: &cid::Cid,
) -> Result<api::Message, RpcError> {
    let rec = found.ok_or_else(|| MessagerError::NotFound(format!("message {cid}")))?;
    if !s.allowed(c).await?.allows(&rec.from()) {
        return Err(MessagerError::NotFound(format!("message {cid}")).into());
    }
    Ok(s.to_api(rec).await)
}

fn node_to_api(n: NodeEntry) -> Node {
    Node {
        id: venus_api::messager::uuid_of(&n.name),
        name: n.name,
        url: n.url,
        token: n.token,
        node_type: 1,
        created_at: 0,
        updated_at: 0,
    }
}
