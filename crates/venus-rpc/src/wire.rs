//! The JSON-RPC frames go-jsonrpc exchanges.

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::Value;

use crate::RpcError;

/// A request or notification as received (fields kept loose for precise
/// errors). Params stay raw JSON until the method's handler decodes them
/// into its own types, so no `Value` tree is built for them.
#[derive(Debug, Deserialize)]
pub(crate) struct InFrame<'a> {
    #[serde(default)]
    pub id: Option<Value>,
    #[serde(default, borrow)]
    pub method: Option<std::borrow::Cow<'a, str>>,
    #[serde(default, borrow)]
    pub params: Option<&'a RawValue>,
}

/// A request or notification to send.
#[derive(Debug, Serialize)]
pub(crate) struct OutRequest<'a> {
    pub jsonrpc: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<u64>,
    pub method: &'a str,
    pub params: Value,
}

/// A response to send.
#[derive(Debug, Serialize)]
pub(crate) struct OutResponse {
    pub jsonrpc: &'static str,
    pub id: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<RpcError>,
}

impl OutResponse {
    pub fn ok(id: Value, result: Value) -> Self {
        OutResponse {
            jsonrpc: "2.0",
            id,
            result: Some(result),
            error: None,
        }
    }
    pub fn err(id: Value, error: RpcError) -> Self {
        OutResponse {
            jsonrpc: "2.0",
            id,
            result: None,
            error: Some(error),
        }
    }
    /// The frame as JSON text.
    pub fn to_text(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "null".into())
    }
}

/// go-jsonrpc's channel value notification.
pub(crate) const CH_VAL: &str = "xrpc.ch.val";
/// go-jsonrpc's channel close notification.
pub(crate) const CH_CLOSE: &str = "xrpc.ch.close";
/// go-jsonrpc's cancel of a request by id.
pub(crate) const CANCEL: &str = "xrpc.cancel";

/// A server→client notification frame.
pub(crate) fn notification(method: &str, params: Value) -> String {
    serde_json::json!({"jsonrpc": "2.0", "method": method, "params": params}).to_string()
}

/// Params as raw JSON text of an array: absent and `null` are `[]`; anything
/// else that is not an array is an error.
pub(crate) fn params_array(params: Option<&RawValue>) -> Result<&str, RpcError> {
    // `null` never reaches here as `Some`: serde reads it as `None`.
    let Some(raw) = params else { return Ok("[]") };
    if raw.get().trim_start().starts_with('[') {
        Ok(raw.get())
    } else {
        Err(RpcError::invalid_params(
            "params must be a positional array",
        ))
    }
}

/// The first byte of a body that is not JSON whitespace.
pub(crate) fn first_byte(body: &[u8]) -> Option<u8> {
    body.iter()
        .copied()
        .find(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
}
