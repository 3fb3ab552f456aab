//! State: the actors tree ([`StateTree`]) and the manifest that says which
//! code runs each actor ([`Manifest`]).

pub mod ids;
mod manifest;
pub(crate) mod tree;

pub(crate) use manifest::unknown_code;
pub use manifest::{ActorKind, Manifest, ACTORS_VERSION, DEVNET_V17_MANIFEST, NETWORK_VERSION};
pub use tree::{StateTree, INIT_ACTOR_ID};
