//! # venus-node
//!
//! The pool's devnet chain node as a library: a [`Node`] keeps the chain
//! (`venus_chain::chain::ChainStore`), its consensus
//! (`venus_chain::consensus::Consensus`) and the message pool
//! (`venus_mpool::MessagePool`) in step, implements
//! `venus_core::traits::ChainApi`, and [`rpc::lotus_module`] (with
//! [`rpc::lotus_v0_module`] on `/rpc/v0`) serves it as Lotus's full-node API, so sophon-miner, sophon-messager, Lotus's CLI
//! and our own `LotusClient` talk to it as to Lotus.
//!
//! - Blocks come in through [`Node::submit_block`] (`SyncSubmitBlock`):
//!   every check of Lotus's `ValidateBlock`, then stored, then the head
//!   moves if the tipset is heavier; the pool follows the head change
//!   (messages of applied tipsets leave it, those of reverted ones come
//!   back) before the call returns.
//! - Messages come in through [`Node::push`] (`MpoolPush`).
//! - Gas is estimated as Lotus does ([`gas`]), by running the message.
//!
//! ```no_run
//! use std::sync::Arc;
//! use venus_chain::beacon::LocalBeacon;
//! use venus_chain::consensus::Consensus;
//! use venus_core::traits::ChainRead;
//! use venus_node::Node;
//!
//! # async fn demo<BS: fvm_ipld_blockstore::Blockstore + Send + Sync + 'static>(
//! #     consensus: Arc<Consensus<BS>>, beacon: Arc<LocalBeacon>) -> venus_core::Result<()> {
//! let node = Node::builder(consensus, beacon).network_name("devnet").build();
//! println!("head at {}", node.head().await?.height());
//! // Serve it as the Lotus API: v1 on /rpc/v1, and on /rpc/v0 the same
//! // with the few methods whose v0 shape differs.
//! let server = venus_rpc::RpcServer::builder(venus_node::rpc::lotus_module(node.clone()))
//!     .v0(venus_node::rpc::lotus_v0_module(node.clone()))
//!     .build();
//! # let _ = server; Ok(()) }
//! ```

mod chain_api;
#[cfg(feature = "cli")]
pub mod cli;
mod error;
pub mod gas;
mod miner_api;
mod node;
pub mod params;
pub mod rpc;
mod search;
#[cfg(feature = "test-utils")]
pub mod testing;

pub use error::{MissingMessage, NodeError, Result};
pub use node::{system_clock, Clock, Node, NodeBuilder};
pub use search::{executed_messages, parent_receipts};
