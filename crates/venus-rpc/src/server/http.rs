//! HTTP POST: one request or a batch per body.

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};

use super::dispatch::{dispatch_batch, dispatch_one, error_text, parse, Body as Frames, Reply};
use super::{Peer, ServerState};
use crate::codes;

/// 401 for a token refused; 503 when the verifier could not answer, which
/// says nothing about the token (clients retry idempotent calls on it).
pub(crate) fn refusal_status(e: &crate::AuthError) -> StatusCode {
    match e {
        crate::AuthError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::UNAUTHORIZED,
    }
}

fn json(status: StatusCode, text: String) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], text).into_response()
}

pub(crate) async fn handle(
    State(s): State<Arc<ServerState>>,
    Peer(peer): Peer,
    headers: HeaderMap,
    uri: Uri,
    body: Body,
) -> Response {
    let token = ServerState::token(&headers, &uri);
    let v0 = uri.path().ends_with("/v0");
    let caller = match s.authenticate(token.as_deref(), peer, v0).await {
        Ok(c) => c,
        Err(e) => return (refusal_status(&e), e.to_string()).into_response(),
    };
    let limit = s.config.max_request_bytes;
    let body: Bytes = match axum::body::to_bytes(body, limit).await {
        Ok(b) => b,
        Err(_) => {
            let msg = format!("request exceeds the {limit}-byte limit");
            return json(
                StatusCode::PAYLOAD_TOO_LARGE,
                error_text(codes::INVALID_REQUEST, msg),
            );
        }
    };
    let out = match parse(&body, s.config.max_batch_items) {
        Err(resp) => Some(resp),
        Ok(Frames::Batch(items)) => {
            dispatch_batch(&s, &caller, items, s.config.max_in_flight_per_conn).await
        }
        Ok(Frames::Single(frame)) => match dispatch_one(&s, &caller, frame, None).await {
            Reply::Response(r) => Some(r),
            _ => None,
        },
    };
    match out {
        Some(text) => json(StatusCode::OK, text),
        None => StatusCode::NO_CONTENT.into_response(),
    }
}
