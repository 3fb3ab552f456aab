//! [`RpcModule`]: the methods a server answers, registered by declaration.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;

use futures::future::BoxFuture;
use futures::stream::{BoxStream, Stream, StreamExt};
use futures::FutureExt;
use serde_json::Value;

use crate::{ChannelMethod, Claims, Error, Permission, RpcError, RpcMethod};

/// A call handler: params arrive as the raw JSON text of their array and are
/// decoded before the returned future starts.
pub(crate) type CallFn =
    Arc<dyn Fn(&str, Claims) -> BoxFuture<'static, Result<Value, RpcError>> + Send + Sync>;
pub(crate) type ChanFn = Arc<
    dyn Fn(&str, Claims) -> BoxFuture<'static, Result<BoxStream<'static, Value>, RpcError>>
        + Send
        + Sync,
>;

pub(crate) enum Kind {
    Call(CallFn),
    Channel(ChanFn),
}

pub(crate) struct Entry {
    pub perm: Permission,
    pub kind: Kind,
}

/// A set of methods. Cheap to clone; merge modules of several namespaces into one server.
#[derive(Clone, Default)]
pub struct RpcModule {
    methods: HashMap<&'static str, Arc<Entry>>,
}

fn decode_params<P: serde::de::DeserializeOwned>(name: &str, params: &str) -> Result<P, RpcError> {
    serde_json::from_str(params)
        .map_err(|e| RpcError::invalid_params(format!("wrong params for {name}: {e}")))
}

impl RpcModule {
    /// An empty module.
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers the handler of a request/response method. The handler gets
    /// the caller's claims and the decoded params; errors it returns reach the
    /// caller as they are.
    ///
    /// Handlers use `?` on their own errors directly: a crate's error enum
    /// implements `From<CrateError> for RpcError`, mapping each kind to a
    /// code of [`codes`](crate::codes), so the client can tell the kinds apart.
    /// (The handler's error type is `RpcError` rather than any `E:
    /// Into<RpcError>` so that `async { Ok(x) }` needs no type annotation.)
    pub fn register<M, F, Fut>(&mut self, handler: F) -> &mut Self
    where
        M: RpcMethod,
        F: Fn(Claims, M::Params) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<M::Output, RpcError>> + Send + 'static,
    {
        let handler = Arc::new(handler);
        let call: CallFn = Arc::new(move |params, claims| {
            let handler = handler.clone();
            let p = decode_params::<M::Params>(M::NAME, params);
            async move {
                let out = handler(claims, p?).await?;
                serde_json::to_value(out)
                    .map_err(|e| RpcError::new(crate::codes::INTERNAL_ERROR, e.to_string()))
            }
            .boxed()
        });
        self.insert(M::NAME, M::PERMISSION, Kind::Call(call));
        self
    }

    /// Registers the handler of a call method that gets a clone of `state` with
    /// every call: the usual shape for a service behind an `Arc`.
    pub fn register_with<M, S, F, Fut>(&mut self, state: &S, handler: F) -> &mut Self
    where
        M: RpcMethod,
        S: Clone + Send + Sync + 'static,
        F: Fn(S, Claims, M::Params) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<M::Output, RpcError>> + Send + 'static,
    {
        let state = state.clone();
        self.register::<M, _, _>(move |claims, params| handler(state.clone(), claims, params))
    }

    /// Registers the handler of a channel method. The stream's items are sent
    /// as `xrpc.ch.val`; its end as `xrpc.ch.close`. The stream is dropped
    /// when the client cancels or disconnects.
    pub fn register_channel<M, F, Fut, S>(&mut self, handler: F) -> &mut Self
    where
        M: ChannelMethod,
        F: Fn(Claims, M::Params) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<S, RpcError>> + Send + 'static,
        S: Stream<Item = M::Item> + Send + 'static,
    {
        let handler = Arc::new(handler);
        let chan: ChanFn = Arc::new(move |params, claims| {
            let handler = handler.clone();
            let p = decode_params::<M::Params>(M::NAME, params);
            async move {
                let stream = handler(claims, p?).await?;
                Ok(stream
                    .map(|item| serde_json::to_value(item).unwrap_or(Value::Null))
                    .boxed())
            }
            .boxed()
        });
        self.insert(M::NAME, M::PERMISSION, Kind::Channel(chan));
        self
    }

    /// Registers an untyped handler for `name`: params arrive as the JSON
    /// array, and the returned JSON is the result. For proxies and test
    /// doubles; prefer [`RpcModule::register`].
    pub fn register_raw<F, Fut>(
        &mut self,
        name: &'static str,
        perm: Permission,
        handler: F,
    ) -> &mut Self
    where
        F: Fn(Claims, Value) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Value, RpcError>> + Send + 'static,
    {
        let handler = Arc::new(handler);
        let call: CallFn = Arc::new(move |params, claims| {
            let handler = handler.clone();
            let params = serde_json::from_str::<Value>(params)
                .map_err(|e| RpcError::invalid_params(format!("wrong params for {name}: {e}")));
            async move { handler(claims, params?).await }.boxed()
        });
        self.insert(name, perm, Kind::Call(call));
        self
    }

    fn insert(&mut self, name: &'static str, perm: Permission, kind: Kind) {
        self.methods.insert(name, Arc::new(Entry { perm, kind }));
    }

    /// Adds `other`'s methods; a name registered in both is an error.
    pub fn merge(&mut self, other: RpcModule) -> Result<&mut Self, Error> {
        for (name, entry) in other.methods {
            if self.methods.contains_key(name) {
                return Err(Error::Server(format!("method {name} registered twice")));
            }
            self.methods.insert(name, entry);
        }
        Ok(self)
    }

    /// The registered method names, sorted.
    pub fn method_names(&self) -> Vec<&'static str> {
        let mut names: Vec<_> = self.methods.keys().copied().collect();
        names.sort_unstable();
        names
    }

    pub(crate) fn get(&self, name: &str) -> Option<Arc<Entry>> {
        self.methods.get(name).cloned()
    }
}
