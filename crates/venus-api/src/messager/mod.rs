//! The message manager's API as Venus's messager serves it
//! (`venus-shared/api/messager/api.go`): the same method names (namespace
//! `Message.`), permissions and JSON, so damocles, sophon-miner and the
//! Venus tools that push and wait for messages talk to `venus-messager` as
//! to sophon-messager. [`MessagerClient`] wraps the calls a pool's services
//! make.
//!
//! A caller whose token is not `admin` sees and pushes only the addresses
//! bound to its user in venus-auth (`AuthBindSigner`), as sophon-messager
//! checks them.

mod types;

pub use types::{
    uuid_of, AddressInfo, AddressSpec, AddressState, FeeSpec, Message, MessageState,
    MsgQueryParams, Node, ReplaceMessageParams, SendSpec, SharedSpec,
};

use cid::Cid;
use serde::{Deserialize, Serialize};
use venus_core::json::Lotus;
use venus_core::Address;
use venus_rpc::{rpc_method, NoParams, RpcClient};

/// The daemon's version (Venus's `types.Version`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Version {
    /// The build.
    pub version: String,
    /// The API's version (major << 16 | minor << 8 | patch).
    #[serde(rename = "APIVersion")]
    pub api_version: u32,
}

rpc_method! { /// Whether a message with this id was accepted.
pub HasMessageByUid = "Message.HasMessageByUid", read, idempotent, (String,) => bool }
rpc_method! { /// Waits until the message is on chain with this many tipsets on top (or failed).
pub WaitMessage = "Message.WaitMessage", read, idempotent, (String, u64) => Message }
rpc_method! { /// Accepts a message (its nonce and zero gas fields are filled by the messager); returns its new id.
pub PushMessage = "Message.PushMessage", write, (Lotus<venus_core::Message>, Option<SendSpec>) => String }
rpc_method! { /// Accepts a message under the caller's id; pushing the same message under the same id again is accepted once.
pub PushMessageWithId = "Message.PushMessageWithId", write, idempotent, (String, Lotus<venus_core::Message>, Option<SendSpec>) => String }
rpc_method! { /// A message by id.
pub GetMessageByUid = "Message.GetMessageByUid", read, idempotent, (String,) => Message }
rpc_method! { /// A message by the CID the chain knows it by (now or before a replace).
pub GetMessageBySignedCid = "Message.GetMessageBySignedCid", read, idempotent, (Lotus<Cid>,) => Message }
rpc_method! { /// A message by its unsigned CID.
pub GetMessageByUnsignedCid = "Message.GetMessageByUnsignedCid", read, idempotent, (Lotus<Cid>,) => Message }
rpc_method! { /// A message by sender and nonce.
pub GetMessageByFromAndNonce = "Message.GetMessageByFromAndNonce", read, idempotent, (Lotus<Address>, u64) => Message }
rpc_method! { /// Messages by state and sender, newest change first unless `Asc`.
pub ListMessage = "Message.ListMessage", read, idempotent, (MsgQueryParams,) => Vec<Message> }
rpc_method! { /// Unfilled messages whose last fill failed (an estimate failed), oldest first.
pub ListFailedMessage = "Message.ListFailedMessage", read, idempotent, NoParams => Vec<Message> }
rpc_method! { /// Unfilled and filled messages older than the duration (Go nanoseconds), of one address (or all: `""` or `"<empty>"`).
pub ListBlockedMessage = "Message.ListBlockedMessage", read, idempotent, (String, i64) => Vec<Message> }
rpc_method! { /// Re-checks every filled message against the chain; returns how many landed.
pub UpdateAllFilledMessage = "Message.UpdateAllFilledMessage", admin, NoParams => i64 }
rpc_method! { /// Re-checks one filled message against the chain; returns its id.
pub UpdateFilledMessageByID = "Message.UpdateFilledMessageByID", write, (String,) => String }
rpc_method! { /// Replaces a filled message with a higher premium; returns the new signed CID.
pub ReplaceMessage = "Message.ReplaceMessage", write, (ReplaceMessageParams,) => Lotus<Cid> }
rpc_method! { /// Pushes a filled message to the nodes again.
pub RepublishMessage = "Message.RepublishMessage", admin, (String,) => () }
rpc_method! { /// Marks a message failed (a message on chain cannot be).
pub MarkBadMessage = "Message.MarkBadMessage", write, (String,) => () }
rpc_method! { /// Failed messages of an address that still hold a nonce ahead of the chain go back to filled; returns their ids.
pub RecoverFailedMsg = "Message.RecoverFailedMsg", write, (Lotus<Address>,) => Vec<String> }
rpc_method! { /// An address the messager sends from.
pub GetAddress = "Message.GetAddress", read, idempotent, (Lotus<Address>,) => AddressInfo }
rpc_method! { /// Whether the messager sends from an address.
pub HasAddress = "Message.HasAddress", read, idempotent, (Lotus<Address>,) => bool }
rpc_method! { /// Whether a wallet the messager signs with holds an address's key.
pub WalletHas = "Message.WalletHas", read, idempotent, (Lotus<Address>,) => bool }
rpc_method! { /// The addresses the messager sends from (those of the caller's user unless admin).
pub ListAddress = "Message.ListAddress", read, idempotent, NoParams => Vec<AddressInfo> }
rpc_method! { /// Raises an address's next nonce (never lowers it: a nonce given out stays given).
pub UpdateNonce = "Message.UpdateNonce", admin, (Lotus<Address>, u64) => () }
rpc_method! { /// Switches an address off: its messages are held.
pub ForbiddenAddress = "Message.ForbiddenAddress", write, (Lotus<Address>,) => () }
rpc_method! { /// Switches an address on.
pub ActiveAddress = "Message.ActiveAddress", write, (Lotus<Address>,) => () }
rpc_method! { /// How many messages of an address may wait filled but not on chain (0: the shared setting).
pub SetSelectMsgNum = "Message.SetSelectMsgNum", write, (Lotus<Address>, u64) => () }
rpc_method! { /// An address's fee rules.
pub SetFeeParams = "Message.SetFeeParams", write, (AddressSpec,) => () }
rpc_method! { /// Marks an address's unfilled messages failed; returns how many.
pub ClearUnFillMessage = "Message.ClearUnFillMessage", write, (Lotus<Address>,) => i64 }
rpc_method! { /// The global settings.
pub GetSharedParams = "Message.GetSharedParams", read, idempotent, NoParams => SharedSpec }
rpc_method! { /// Sets the global settings.
pub SetSharedParams = "Message.SetSharedParams", admin, (SharedSpec,) => () }
rpc_method! { /// Adds or changes a node messages are pushed to.
pub SaveNode = "Message.SaveNode", admin, (Node,) => () }
rpc_method! { /// A node by name.
pub GetNode = "Message.GetNode", admin, idempotent, (String,) => Node }
rpc_method! { /// Whether a node of this name is saved.
pub HasNode = "Message.HasNode", admin, idempotent, (String,) => bool }
rpc_method! { /// The saved nodes.
pub ListNode = "Message.ListNode", admin, idempotent, NoParams => Vec<Node> }
rpc_method! { /// Removes a node.
pub DeleteNode = "Message.DeleteNode", admin, (String,) => () }
rpc_method! { /// The daemon's version.
pub VersionMethod = "Message.Version", read, idempotent, NoParams => Version }

/// A client of `venus-messager` (or sophon-messager) for the calls a
/// pool's services make; [`MessagerClient::rpc`] reaches every other
/// method.
pub struct MessagerClient {
    rpc: RpcClient,
}

impl MessagerClient {
    /// Wraps a connected client.
    pub fn new(rpc: RpcClient) -> Self {
        MessagerClient { rpc }
    }

    /// Connects to `endpoint` (`TOKEN:MULTIADDR` API info or a URL).
    pub async fn connect(endpoint: &str) -> crate::Result<Self> {
        Ok(MessagerClient::new(RpcClient::connect(endpoint).await?))
    }

    /// The underlying client.
    pub fn rpc(&self) -> &RpcClient {
        &self.rpc
    }

    /// Pushes `msg` under `id`: accepted once, whatever the retries (the
    /// same message under the same id again answers the id; another
    /// message under it is [`crate::Error::Duplicate`]).
    pub async fn push_with_id(
        &self,
        id: &str,
        msg: &venus_core::Message,
        spec: Option<SendSpec>,
    ) -> crate::Result<String> {
        let params = (id.to_string(), Lotus(msg.clone()), spec);
        Ok(self.rpc.call::<PushMessageWithId>(params).await?)
    }

    /// Pushes `msg` under a new id, which it returns. A retry after a lost
    /// answer pushes it twice: prefer [`MessagerClient::push_with_id`].
    pub async fn push(
        &self,
        msg: &venus_core::Message,
        spec: Option<SendSpec>,
    ) -> crate::Result<String> {
        Ok(self
            .rpc
            .call::<PushMessage>((Lotus(msg.clone()), spec))
            .await?)
    }

    /// The message with this id.
    pub async fn get(&self, id: &str) -> crate::Result<Message> {
        Ok(self.rpc.call::<GetMessageByUid>((id.to_string(),)).await?)
    }

    /// Waits until the message has `confidence` tipsets on top of the one
    /// that executed it (or failed).
    pub async fn wait(&self, id: &str, confidence: u64) -> crate::Result<Message> {
        Ok(self
            .rpc
            .call::<WaitMessage>((id.to_string(), confidence))
            .await?)
    }

    /// Messages matching `q`.
    pub async fn list(&self, q: MsgQueryParams) -> crate::Result<Vec<Message>> {
        Ok(self.rpc.call::<ListMessage>((q,)).await?)
    }

    /// Replaces a filled message; returns the new signed CID.
    pub async fn replace(&self, params: ReplaceMessageParams) -> crate::Result<Cid> {
        Ok(self.rpc.call::<ReplaceMessage>((params,)).await?.0)
    }

    /// Marks a message failed.
    pub async fn mark_bad(&self, id: &str) -> crate::Result<()> {
        Ok(self.rpc.call::<MarkBadMessage>((id.to_string(),)).await?)
    }

    /// The addresses the caller may send from.
    pub async fn addresses(&self) -> crate::Result<Vec<AddressInfo>> {
        Ok(self.rpc.call::<ListAddress>([]).await?)
    }
}
