//! The sign record: every signature and every refusal. Its types are part of
//! the wallet's API (`venus_api::wallet`); the store is [`WalletDb`](crate::WalletDb).

pub use venus_api::wallet::{RecordQuery, SignRecord};
