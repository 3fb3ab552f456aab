//! Declaring methods: one declaration gives the server's dispatch types and the client's stub.

use serde::{de::DeserializeOwned, Serialize};

use crate::Permission;

/// Params of a method that takes none: serializes as `[]`.
pub type NoParams = [u8; 0];

/// A request/response method.
///
/// `Params` is a tuple (positional params, as go-jsonrpc sends them) of types
/// whose serde form is the wire form; wrap Filecoin types in
/// [`Lotus`](venus_core::json::Lotus).
pub trait RpcMethod: Send + Sync + 'static {
    /// The full wire name, e.g. `Filecoin.ChainHead`.
    const NAME: &'static str;
    /// What the caller's token must allow.
    const PERMISSION: Permission;
    /// Whether the client may retry it after a transport failure.
    const IDEMPOTENT: bool;
    /// Positional params.
    type Params: Serialize + DeserializeOwned + Send + Sync + 'static;
    /// The result.
    type Output: Serialize + DeserializeOwned + Send + 'static;
}

/// A method whose result is a go-jsonrpc channel (WebSocket only).
pub trait ChannelMethod: Send + Sync + 'static {
    /// The full wire name, e.g. `Filecoin.ChainNotify`.
    const NAME: &'static str;
    /// What the caller's token must allow.
    const PERMISSION: Permission;
    /// Positional params.
    type Params: Serialize + DeserializeOwned + Send + Sync + 'static;
    /// Each value sent on the channel.
    type Item: Serialize + DeserializeOwned + Send + 'static;
}

/// Declares an [`RpcMethod`] as a unit struct.
///
/// ```
/// use venus_rpc::{rpc_method, NoParams};
/// rpc_method! {
///     /// Returns the daemon's version string.
///     pub Version = "Venus.Version", read, idempotent, NoParams => String
/// }
/// ```
#[macro_export]
macro_rules! rpc_method {
    ($(#[$m:meta])* $vis:vis $ty:ident = $name:literal, $perm:ident, idempotent, $params:ty => $out:ty) => {
        $crate::rpc_method!(@def $(#[$m])* $vis $ty = $name, $perm, true, $params => $out);
    };
    ($(#[$m:meta])* $vis:vis $ty:ident = $name:literal, $perm:ident, $params:ty => $out:ty) => {
        $crate::rpc_method!(@def $(#[$m])* $vis $ty = $name, $perm, false, $params => $out);
    };
    (@def $(#[$m:meta])* $vis:vis $ty:ident = $name:literal, $perm:ident, $idem:expr, $params:ty => $out:ty) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, Default)]
        $vis struct $ty;
        impl $crate::RpcMethod for $ty {
            const NAME: &'static str = $name;
            const PERMISSION: $crate::Permission = $crate::rpc_method!(@perm $perm);
            const IDEMPOTENT: bool = $idem;
            type Params = $params;
            type Output = $out;
        }
    };
    (@perm read) => { $crate::Permission::Read };
    (@perm write) => { $crate::Permission::Write };
    (@perm sign) => { $crate::Permission::Sign };
    (@perm admin) => { $crate::Permission::Admin };
}

/// Declares a [`ChannelMethod`] as a unit struct.
#[macro_export]
macro_rules! channel_method {
    ($(#[$m:meta])* $vis:vis $ty:ident = $name:literal, $perm:ident, $params:ty => $item:ty) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, Default)]
        $vis struct $ty;
        impl $crate::ChannelMethod for $ty {
            const NAME: &'static str = $name;
            const PERMISSION: $crate::Permission = $crate::rpc_method!(@perm $perm);
            type Params = $params;
            type Item = $item;
        }
    };
}
