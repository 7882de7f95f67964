//! One router per resource, merged here with the middleware every route shares.

mod agents;
mod audit;
mod catalog;
mod discovery;
mod export;
mod fulfilment;
mod orders;
mod pricing;
mod privacy;
mod products;
mod quotes;
mod sparql;
mod table;
mod tokens;

use axum::extract::{DefaultBodyLimit, Request};
use axum::http::HeaderValue;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Router};
use b2a_contract::ErrorCode;
use tower_http::catch_panic::CatchPanicLayer;
use tracing::Instrument;

pub use self::table::Served;
pub(crate) use self::table::{Routes, get};
use crate::error::REQUEST_ID;
use crate::extract::RateSlot;
use crate::{ApiError, AppState};

/// The gateway's complete router.
pub fn router(state: AppState) -> Router {
    route_table(state).0
}

/// The gateway's complete router and every route it serves: those of the REST binding (which
/// `b2a_contract::ROUTES` documents) and `/mcp`.
pub fn route_table(state: AppState) -> (Router, Vec<Served>) {
    let max_body = state.config.max_body_bytes;
    let (api, mut served) = Routes::new()
        .merge(discovery::router())
        .merge(products::router())
        .merge(quotes::router())
        .merge(pricing::router())
        .merge(orders::router())
        .merge(fulfilment::router())
        .merge(privacy::router())
        .merge(sparql::router())
        .merge(export::router())
        .merge(audit::router())
        .merge(tokens::router())
        .merge(agents::router())
        .merge(catalog::router(state.config.max_catalog_bytes))
        .with_state(state.clone());
    let api = api
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(max_body))
        .layer(catch_panic())
        .layer(middleware::from_fn(rate_headers));
    // The MCP binding calls the REST routes above in-process.
    let (mcp, mcp_served) = crate::mcp::router(state.clone(), api.clone()).with_state(state);
    served.extend(mcp_served);
    let mcp = mcp
        .layer(catch_panic())
        .layer(middleware::from_fn(rate_headers));
    (
        api.merge(mcp).layer(middleware::from_fn(request_id)),
        served,
    )
}

/// Answers a panicking handler with a 500 problem (and keeps serving).
fn catch_panic() -> CatchPanicLayer<fn(Box<dyn std::any::Any + Send>) -> Response> {
    CatchPanicLayer::custom(|_| ApiError::internal("handler panicked").into_response())
}

/// Adds the `RateLimit-*` headers (IETF draft) of the bucket the request drew from, if any.
async fn rate_headers(mut req: Request, next: Next) -> Response {
    let slot = RateSlot::default();
    req.extensions_mut().insert(slot.clone());
    let mut resp = next.run(req).await;
    if let Some(state) = slot.0.get() {
        let h = resp.headers_mut();
        for (name, value) in [
            ("ratelimit-limit", state.limit.into()),
            ("ratelimit-remaining", state.remaining.into()),
            ("ratelimit-reset", state.reset_seconds),
        ] {
            h.insert(name, HeaderValue::from(value));
        }
    }
    resp
}

/// Marks the answers of the router's fallbacks: no route has the request's path, or none of its
/// routes there takes the request's method.
#[derive(Debug, Clone, Copy)]
pub struct Unrouted;

async fn not_found() -> (Extension<Unrouted>, ApiError) {
    let e = ApiError::new(
        ErrorCode::NotFound,
        "no such route; GET /openapi.json lists every route",
    );
    (Extension(Unrouted), e)
}

async fn method_not_allowed() -> (Extension<Unrouted>, ApiError) {
    let e = ApiError::new(
        ErrorCode::MethodNotAllowed,
        "this route does not accept this method; see GET /openapi.json",
    );
    (Extension(Unrouted), e)
}

/// Gives every request an id (the client's `X-Request-Id` when it is sane), makes it available
/// to problem responses, and returns it in the `X-Request-Id` response header.
async fn request_id(req: Request, next: Next) -> Response {
    let id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            (1..=128).contains(&v.len())
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b))
        })
        .map_or_else(|| uuid::Uuid::now_v7().to_string(), str::to_owned);
    let span = tracing::info_span!("request", request_id = %id, method = %req.method(), path = %req.uri().path());
    let started = std::time::Instant::now();
    let mut resp = REQUEST_ID
        .scope(id.clone(), next.run(req))
        .instrument(span.clone())
        .await;
    span.in_scope(|| {
        tracing::info!(
            status = resp.status().as_u16(),
            micros = started.elapsed().as_micros() as u64,
            "served"
        );
    });
    if let Ok(v) = HeaderValue::from_str(&id) {
        resp.headers_mut().insert("x-request-id", v);
    }
    resp
}

/// The first media type of the request's `Accept` that `offers` serves, in the client's order
/// (`*/*`, a missing header and `type/*` pick the first offer of that kind). `None` when nothing
/// offered is acceptable.
pub(crate) fn negotiate<T: Copy>(
    headers: &axum::http::HeaderMap,
    offers: &[(&str, T)],
) -> Option<T> {
    let accept = headers
        .get(axum::http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("*/*");
    accept
        .split(',')
        .map(|m| {
            m.split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase()
        })
        .find_map(|media| {
            offers.iter().find_map(|(offered, t)| {
                let wildcard = media.is_empty()
                    || media == "*/*"
                    || media
                        .strip_suffix("/*")
                        .is_some_and(|kind| offered.split('/').next() == Some(kind));
                (wildcard || media == *offered).then_some(*t)
            })
        })
}
