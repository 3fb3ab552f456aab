//! The shared fixture: `venus_node::testing`.

pub use venus_node::testing::*;
