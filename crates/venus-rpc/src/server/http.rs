//! HTTP POST: one request or a batch per body.

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::dispatch::{dispatch_batch, dispatch_one, parse, Reply};
use super::ServerState;
use crate::wire::OutResponse;
use crate::{codes, RpcError};

fn json(status: StatusCode, v: &Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        v.to_string(),
    )
        .into_response()
}

pub(crate) async fn handle(
    State(s): State<Arc<ServerState>>,
    headers: HeaderMap,
    uri: Uri,
    body: Body,
) -> Response {
    let claims = match s.authenticate(&headers, &uri).await {
        Ok(c) => c,
        Err(e) => return (StatusCode::UNAUTHORIZED, e.to_string()).into_response(),
    };
    let limit = s.config.max_request_bytes;
    let body: Bytes = match axum::body::to_bytes(body, limit).await {
        Ok(b) => b,
        Err(_) => {
            let err = RpcError::new(
                codes::INVALID_REQUEST,
                format!("request exceeds the {limit}-byte limit"),
            );
            return json(
                StatusCode::PAYLOAD_TOO_LARGE,
                &OutResponse::err(Value::Null, err).to_value(),
            );
        }
    };
    let parsed = match parse(&body) {
        Ok(v) => v,
        Err(resp) => return json(StatusCode::OK, &resp),
    };
    let out = match parsed {
        Value::Array(items) => {
            dispatch_batch(&s, &claims, items, s.config.max_in_flight_per_conn).await
        }
        single => match dispatch_one(&s, &claims, single, false).await {
            Reply::Response(r) => Some(r.to_value()),
            _ => None,
        },
    };
    match out {
        Some(v) => json(StatusCode::OK, &v),
        None => StatusCode::NO_CONTENT.into_response(),
    }
}
