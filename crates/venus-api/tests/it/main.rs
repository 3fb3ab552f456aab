//! venus-api integration tests, over real sockets on 127.0.0.1:0.

#![allow(missing_docs)] // test fixtures

mod lotus_auth;
mod lotus_client;
mod refusals;
