//! The wallet's API: Lotus's remote-wallet methods, the venus wallet's own,
//! the types they carry, and [`WalletClient`].
//!
//! Lotus methods and permissions (as Lotus declares them): `WalletNew`,
//! `WalletHas`, `WalletList` (write), `WalletSign` (sign), `WalletExport`,
//! `WalletImport`, `WalletDelete` (admin). Ours, in the `Venus.` namespace:
//! lock state, unlock, set password, sign records, policies (admin).
//!
//! A refusal arrives with its code: [`codes::LOCKED`](venus_rpc::codes::LOCKED),
//! [`codes::POLICY_DENIED`](venus_rpc::codes::POLICY_DENIED),
//! [`codes::SIGN_MISMATCH`](venus_rpc::codes::SIGN_MISMATCH),
//! [`codes::NOT_FOUND`](venus_rpc::codes::NOT_FOUND) (no such key), … and
//! [`WalletClient`] returns it as the matching [`Error`](crate::Error) kind.

mod client;
mod policy;
mod record;

pub use client::WalletClient;
pub use policy::{Policy, PolicyGroup};
pub use record::{RecordQuery, SignRecord};

use venus_core::crypto::KeyInfo;
use venus_core::encoding::RawBytes;
use venus_core::json::Lotus;
use venus_core::types::MsgMeta;
use venus_core::{Address, Signature};
use venus_rpc::{rpc_method, NoParams};

rpc_method! { /// Creates a key: "bls" or "secp256k1".
pub WalletNew = "Filecoin.WalletNew", write, (String,) => Lotus<Address> }
rpc_method! { /// Whether the wallet has the key.
pub WalletHas = "Filecoin.WalletHas", write, idempotent, (Lotus<Address>,) => bool }
rpc_method! { /// The wallet's addresses.
pub WalletList = "Filecoin.WalletList", write, idempotent, NoParams => Lotus<Vec<Address>> }
rpc_method! { /// Signs bytes after checking them against MsgMeta.
pub WalletSign = "Filecoin.WalletSign", sign, (Lotus<Address>, Lotus<RawBytes>, Lotus<MsgMeta>) => Lotus<Signature> }
rpc_method! { /// Exports a key as Lotus KeyInfo.
pub WalletExport = "Filecoin.WalletExport", admin, (Lotus<Address>,) => KeyInfo }
rpc_method! { /// Imports a Lotus KeyInfo.
pub WalletImport = "Filecoin.WalletImport", admin, (KeyInfo,) => Lotus<Address> }
rpc_method! { /// Deletes a key.
pub WalletDelete = "Filecoin.WalletDelete", admin, (Lotus<Address>,) => () }
rpc_method! { /// Whether the wallet is locked.
pub WalletLockState = "Venus.WalletLockState", read, idempotent, NoParams => bool }
rpc_method! { /// Locks the wallet.
pub WalletLock = "Venus.WalletLock", admin, NoParams => () }
rpc_method! { /// Unlocks the wallet; returns the entries that failed to open.
pub WalletUnlock = "Venus.WalletUnlock", admin, (String,) => Vec<(String, String)> }
rpc_method! { /// Sets (old, new) the password.
pub WalletSetPassword = "Venus.WalletSetPassword", admin, (Option<String>, String) => () }
rpc_method! { /// Queries the sign record.
pub SignRecords = "Venus.SignRecords", admin, idempotent, (RecordQuery,) => Vec<SignRecord> }
rpc_method! { /// Adds or replaces a policy.
pub PolicyPut = "Venus.PolicyPut", admin, (Policy,) => () }
rpc_method! { /// Lists policies.
pub PolicyList = "Venus.PolicyList", admin, idempotent, NoParams => Vec<Policy> }
rpc_method! { /// Deletes a policy.
pub PolicyDelete = "Venus.PolicyDelete", admin, (String,) => bool }
rpc_method! { /// Adds or replaces a policy group.
pub PolicyGroupPut = "Venus.PolicyGroupPut", admin, (PolicyGroup,) => () }
rpc_method! { /// Lists policy groups.
pub PolicyGroupList = "Venus.PolicyGroupList", admin, idempotent, NoParams => Vec<PolicyGroup> }
rpc_method! { /// Binds a caller (token name) to a group.
pub PolicyBind = "Venus.PolicyBind", admin, (String, String) => () }
