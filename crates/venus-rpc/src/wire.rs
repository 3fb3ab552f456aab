//! The JSON-RPC frames go-jsonrpc exchanges.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::RpcError;

/// A request or notification as received (fields kept loose for precise errors).
#[derive(Debug, Deserialize)]
pub(crate) struct InFrame {
    #[serde(default)]
    pub id: Option<Value>,
    #[serde(default)]
    pub method: Option<String>,
    #[serde(default)]
    pub params: Option<Value>,
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
    pub fn to_value(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
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

/// Params as a JSON array: absent and `null` are `[]`; anything else that is not an array is an error.
pub(crate) fn params_array(params: Option<Value>) -> Result<Value, RpcError> {
    match params {
        None | Some(Value::Null) => Ok(Value::Array(Vec::new())),
        Some(v @ Value::Array(_)) => Ok(v),
        Some(_) => Err(RpcError::invalid_params(
            "params must be a positional array",
        )),
    }
}
