//! Orders: turn one's own quote into an order, idempotently; read one's own orders.

use axum::Router;
use axum::extract::State;
use axum::http::HeaderValue;
use axum::response::{IntoResponse, Json, Response};
use axum::routing::{get, post};
use b2a_contract::OrderRequestBody;
use b2a_model::OrderId;
use time::OffsetDateTime;

use super::quotes::created;
use crate::extract::{Grant, IdempotencyKey, OrdersRead, OrdersWrite, PathId, Valid};
use crate::{ApiError, AppState};

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/orders", post(create))
        .route("/v1/orders/{id}", get(read))
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

async fn read(
    State(app): State<AppState>,
    grant: Grant<OrdersRead>,
    PathId(id): PathId<OrderId>,
) -> Result<Response, ApiError> {
    Ok(Json(app.shop.order(&grant.caller(), id).await?).into_response())
}
