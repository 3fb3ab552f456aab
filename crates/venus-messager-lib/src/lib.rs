//! # venus-messager-lib
//!
//! The pool's message manager as a library. Every message of the pool's
//! miners goes through it: the [`store`] is the one nonce authority per
//! address (a nonce is taken in the same transaction that moves a message
//! to filled, never skipped, never given twice), gas comes from the node
//! and the operator's [`fee`] rules, each member's own wallet signs (asked
//! with the message, so it checks what it signs), messages are [`push`]ed
//! to every node of a list, and [`Messager::pass`] follows them to the
//! chain: what landed moves to on chain with its receipt, what a reorg
//! took off goes back to filled and is pushed again, a message whose nonce
//! another took is marked a nonce conflict, and a message stuck too long
//! is replaced with a higher premium, whichever of its versions lands
//! being the one it ends with.
//!
//! [`rpc::messager_module`] serves Venus's messager API (`Message.*`, its
//! JSON) over a [`Messager`], each caller limited to the addresses
//! [`access`] allows (venus-auth's signer bindings); [`signers`] finds the
//! wallet of each address, [`gas::BatchEstimator`] estimates through a
//! Lotus-API node, [`metrics`] renders Prometheus metrics, and the `cli`
//! feature holds the `venus-messager` daemon.
//!
//! Instances on one MySQL split the addresses with a lease per address
//! (renewed every pass); a fill checks the lease under the address row's
//! lock, so an instance that lost its lease gives no nonce, and the
//! `(from, nonce)` unique key backs that up.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> venus_messager_lib::Result<()> {
//! use venus_messager_lib::store::{MessageStore, SqlMessageStore};
//! use venus_messager_lib::{MessageState, MsgRecord, SendSpec};
//!
//! let db = venus_sql::connect("sqlite::memory:", &venus_messager_lib::MIGRATIONS).await?;
//! let store = SqlMessageStore::new(db);
//! let from = venus_core::Address::new_id(1000);
//! store.add_address(&from).await?;
//! let msg = venus_core::Message {
//!     version: 0, from, to: venus_core::Address::new_id(100), sequence: 0,
//!     value: venus_core::TokenAmount::from_atto(1), method_num: 0, params: Default::default(),
//!     gas_limit: 0, gas_fee_cap: Default::default(), gas_premium: Default::default(),
//! };
//! store.insert(&MsgRecord::new("m1", msg, SendSpec::default(), "alice")).await?;
//!
//! // Only the instance holding the address's lease fills its messages.
//! assert!(store.lease(&from, "messager-a", 0, i64::MAX).await?);
//! let m = store.get("m1").await?.unwrap();
//! let filled = store.fill(&from, "messager-a", &[("m1".into(), m.message)], 10).await?;
//! assert_eq!((filled[0].state, filled[0].nonce), (MessageState::Filled, Some(0)));
//! assert!(store.fill(&from, "messager-b", &[], 10).await?.is_empty());
//! # Ok(()) }
//! ```

pub mod access;
#[cfg(feature = "cli")]
pub mod cli;
mod error;
pub mod fee;
pub mod gas;
mod messager;
pub mod metrics;
pub mod push;
pub mod round;
pub mod rpc;
pub mod signers;
pub mod store;
mod types;

pub use error::{MessagerError, Result};
pub use messager::{new_id, Messager, MessagerBuilder, MessagerConfig, Signers};
pub use round::{PassReport, ReplaceSpec};
pub use types::{AddressInfo, AddressState, MessageState, MsgRecord, SendSpec};

use venus_sql::{sqlx, Migrations};

/// The messager's schema, per engine.
pub static MIGRATIONS: Migrations = Migrations::new()
    .sqlite(&sqlx::migrate!("./migrations/sqlite"))
    .mysql(&sqlx::migrate!("./migrations/mysql"));

pub(crate) use venus_sql::now_ms;
