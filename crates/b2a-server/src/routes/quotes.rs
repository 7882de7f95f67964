//! Quotes: price lines for a destination, read one's own quotes with their history, counter,
//! accept.

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Json, Response};
use b2a_contract::{CounterBody, QuoteRequestBody};
use b2a_model::QuoteId;
use serde_json::json;
use time::OffsetDateTime;

use super::table::{Routes, get, post};
use crate::extract::{Grant, PathId, QuotesWrite, Valid};
use crate::{ApiError, AppState};

pub(super) fn router() -> Routes {
    Routes::new()
        .route("/v1/quotes", post(create))
        .route("/v1/quotes/{id}", get(read))
        .route("/v1/quotes/{id}/counter", post(counter))
        .route("/v1/quotes/{id}/accept", post(accept))
}

/// `201 Created` with a `Location` header and a JSON body.
pub(super) fn created<T: serde::Serialize>(location: String, body: &T) -> Response {
    let mut resp = (StatusCode::CREATED, Json(body)).into_response();
    if let Ok(v) = HeaderValue::from_str(&location) {
        resp.headers_mut().insert(header::LOCATION, v);
    }
    resp
}

async fn create(
    State(app): State<AppState>,
    grant: Grant<QuotesWrite>,
    Valid { body, .. }: Valid<QuoteRequestBody>,
) -> Result<Response, ApiError> {
    let quote = app
        .shop
        .create_quote(
            &grant.caller(),
            body.into_domain()?,
            OffsetDateTime::now_utc(),
        )
        .await?;
    Ok(created(format!("/v1/quotes/{}", quote.id), &quote))
}

async fn read(
    State(app): State<AppState>,
    grant: Grant<QuotesWrite>,
    PathId(id): PathId<QuoteId>,
) -> Result<Response, ApiError> {
    let found = app.shop.quote_history(&grant.caller(), id).await?;
    let mut body = serde_json::to_value(&found.current).map_err(ApiError::internal)?;
    body["history"] = json!(found.history);
    Ok(Json(body).into_response())
}

async fn counter(
    State(app): State<AppState>,
    grant: Grant<QuotesWrite>,
    PathId(id): PathId<QuoteId>,
    Valid { body, .. }: Valid<CounterBody>,
) -> Result<Response, ApiError> {
    let outcome = app
        .shop
        .counter(
            &grant.caller(),
            id,
            body.into_counter()?,
            OffsetDateTime::now_utc(),
        )
        .await?;
    Ok(Json(json!({
        "answer": outcome.answer,
        "reason": outcome.reason,
        "quote": outcome.quote,
    }))
    .into_response())
}

async fn accept(
    State(app): State<AppState>,
    grant: Grant<QuotesWrite>,
    PathId(id): PathId<QuoteId>,
) -> Result<Response, ApiError> {
    let quote = app
        .shop
        .accept_quote(&grant.caller(), id, OffsetDateTime::now_utc())
        .await?;
    Ok(Json(quote).into_response())
}
