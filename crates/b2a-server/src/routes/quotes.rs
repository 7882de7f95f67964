//! Quotes: price lines for a destination; read one's own quotes.

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Json, Response};
use axum::routing::{get, post};
use b2a_contract::QuoteRequestBody;
use b2a_model::QuoteId;
use time::OffsetDateTime;

use crate::extract::{Grant, PathId, QuotesWrite, Valid};
use crate::{ApiError, AppState};

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/quotes", post(create))
        .route("/v1/quotes/{id}", get(read))
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
    Ok(Json(app.shop.quote(&grant.caller(), id).await?).into_response())
}
