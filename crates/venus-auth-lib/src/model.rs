//! What the auth service knows: users, tokens, miners, signers, rate limits.
//! The types are part of the auth daemon's API, declared in `venus_api::auth`.

pub use venus_api::auth::{Miner, TokenInfo, User, UserRateLimit};
