//! Orders: turn one's own accepted quote into an order, idempotently; list, read and follow one's
//! own orders (JSON or a live server-sent-event stream); cancel before shipment; ask for a return.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Json, Response};
use b2a_app::{Caller, OrderPage};
use b2a_contract::{ErrorCode, OrderActionBody, OrderRequestBody};
use b2a_model::{OrderId, Transition};
use serde::Deserialize;
use serde_json::json;
use time::OffsetDateTime;

use super::quotes::created;
use super::table::{Routes, get, post};
use crate::extract::{
    ApiQuery, Grant, IdempotencyKey, OptionalBody, OrdersCancel, OrdersRead, OrdersWrite, PathId,
    ReturnsWrite, Valid,
};
use crate::{ApiError, AppState, GatewayConfig};

/// How often a live stream of order events looks for new ones (in the ledger, so that a change
/// made through any replica is seen).
const STREAM_POLL: Duration = Duration::from_millis(500);
/// The longest a live stream stays open; the client reconnects for more.
const STREAM_MAX: Duration = Duration::from_secs(600);

pub(super) fn router() -> Routes {
    Routes::new()
        .route("/v1/orders", post(create).get(list))
        .route("/v1/orders/{id}", get(read))
        .route("/v1/orders/{id}/events", get(events))
        .route("/v1/orders/{id}/cancel", post(cancel))
        .route("/v1/orders/{id}/returns", post(request_return))
}

async fn create(
    State(app): State<AppState>,
    grant: Grant<OrdersWrite>,
    IdempotencyKey(key): IdempotencyKey,
    Valid { body, fingerprint }: Valid<OrderRequestBody>,
) -> Result<Response, ApiError> {
    let quote_id = body.quote_id()?;
    let placed = app
        .shop
        .place_order(
            &grant.caller(),
            quote_id,
            body.fulfilment,
            key,
            fingerprint,
            OffsetDateTime::now_utc(),
        )
        .await?;
    let mut resp = created(format!("/v1/orders/{}", placed.order.id), &placed.order);
    if placed.replayed {
        resp.headers_mut()
            .insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    Ok(resp)
}

/// `limit` and `cursor` of a page of orders.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct PageParams {
    limit: Option<u32>,
    cursor: Option<String>,
}

impl PageParams {
    /// The page size and the order id to continue from, checked.
    pub(super) fn checked(self) -> Result<(u32, Option<OrderId>), ApiError> {
        let limit = self.limit.unwrap_or(GatewayConfig::DEFAULT_PAGE_SIZE);
        if !(1..=GatewayConfig::MAX_PAGE_SIZE).contains(&limit) {
            return Err(ApiError::new(
                ErrorCode::InvalidQuery,
                format!("limit must be 1 to {}", GatewayConfig::MAX_PAGE_SIZE),
            )
            .at("limit"));
        }
        let cursor = self
            .cursor
            .map(|c| {
                let shaped = c.strip_prefix("o_").is_some_and(|hex| {
                    hex.len() == 32 && hex.bytes().all(|b| b.is_ascii_hexdigit())
                });
                OrderId::parse(c).ok().filter(|_| shaped).ok_or_else(|| {
                    ApiError::new(
                        ErrorCode::InvalidQuery,
                        "cursor is not a next_cursor this gateway returned",
                    )
                    .at("cursor")
                })
            })
            .transpose()?;
        Ok((limit, cursor))
    }
}

/// A page of orders as `schemas/order-page.json`.
pub(super) fn page_json(page: OrderPage) -> Json<serde_json::Value> {
    Json(json!({"items": page.items, "next_cursor": page.next}))
}

async fn list(
    State(app): State<AppState>,
    grant: Grant<OrdersRead>,
    ApiQuery(params): ApiQuery<PageParams>,
) -> Result<Response, ApiError> {
    let (limit, before) = params.checked()?;
    let page = app.shop.orders(&grant.caller(), before, limit).await?;
    Ok(page_json(page).into_response())
}

async fn read(
    State(app): State<AppState>,
    grant: Grant<OrdersRead>,
    PathId(id): PathId<OrderId>,
) -> Result<Response, ApiError> {
    Ok(Json(app.shop.order(&grant.caller(), id).await?).into_response())
}

/// The order's history as JSON, or live as server-sent events (`Accept: text/event-stream`):
/// every event so far, then each new one as it happens, until the order reaches a final status
/// or the stream has been open for [`STREAM_MAX`].
async fn events(
    State(app): State<AppState>,
    grant: Grant<OrdersRead>,
    PathId(id): PathId<OrderId>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    #[derive(Clone, Copy)]
    enum Form {
        Json,
        Stream,
    }
    let form = super::negotiate(
        &headers,
        &[
            ("application/json", Form::Json),
            ("text/event-stream", Form::Stream),
        ],
    )
    .ok_or_else(|| {
        ApiError::new(
            ErrorCode::NotAcceptable,
            "order events are served as application/json or text/event-stream",
        )
        .at("Accept")
    })?;
    let caller = grant.caller();
    let items = app.shop.order_events(&caller, id.clone()).await?;
    match form {
        Form::Json => Ok(Json(json!({"order_id": id, "items": items})).into_response()),
        Form::Stream => Ok(live(app, caller, id, items.into()).into_response()),
    }
}

/// The state of a live stream of order events.
struct Live {
    app: AppState,
    caller: Caller,
    id: OrderId,
    pending: VecDeque<b2a_ledger::OrderEvent>,
    sent: u32,
    ended: bool,
    until: Instant,
}

fn live(
    app: AppState,
    caller: Caller,
    id: OrderId,
    pending: VecDeque<b2a_ledger::OrderEvent>,
) -> Sse<impl futures_util::Stream<Item = Result<Event, Infallible>>> {
    let state = Live {
        app,
        caller,
        id,
        pending,
        sent: 0,
        ended: false,
        until: Instant::now() + STREAM_MAX,
    };
    let stream = futures_util::stream::unfold(state, |mut s| async move {
        loop {
            if let Some(event) = s.pending.pop_front() {
                s.sent = event.seq;
                s.ended = event.status.is_final();
                let data = serde_json::to_string(&event).unwrap_or_default();
                let sse = Event::default()
                    .event("status")
                    .id(event.seq.to_string())
                    .data(data);
                return Some((Ok(sse), s));
            }
            if s.ended || Instant::now() >= s.until {
                return None;
            }
            tokio::time::sleep(STREAM_POLL).await;
            match s.app.shop.order_events(&s.caller, s.id.clone()).await {
                Ok(all) => s.pending = all.into_iter().filter(|e| e.seq > s.sent).collect(),
                Err(e) => {
                    tracing::warn!(error = %e, order = %s.id, "order event stream stopped");
                    return None;
                }
            }
        }
    });
    Sse::new(stream).keep_alive(KeepAlive::default())
}

async fn cancel(
    State(app): State<AppState>,
    grant: Grant<OrdersCancel>,
    PathId(id): PathId<OrderId>,
    OptionalBody(body): OptionalBody<OrderActionBody>,
) -> Result<Response, ApiError> {
    agent_action(app, grant.caller(), id, Transition::Cancel, body).await
}

async fn request_return(
    State(app): State<AppState>,
    grant: Grant<ReturnsWrite>,
    PathId(id): PathId<OrderId>,
    OptionalBody(body): OptionalBody<OrderActionBody>,
) -> Result<Response, ApiError> {
    agent_action(app, grant.caller(), id, Transition::RequestReturn, body).await
}

async fn agent_action(
    app: AppState,
    caller: Caller,
    id: OrderId,
    transition: Transition,
    body: Option<OrderActionBody>,
) -> Result<Response, ApiError> {
    let order = app
        .shop
        .agent_transition(
            &caller,
            id,
            transition,
            body.and_then(|b| b.reason),
            OffsetDateTime::now_utc(),
        )
        .await?;
    Ok(Json(order).into_response())
}
