//! Tokens: issue and revoke (operator), exchange for a narrower one and read one's own status
//! (any holder).

use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Json, Response};
use b2a_contract::{RevocationBody, TokenExchangeBody, TokenRequestBody};
use b2a_trust::{ExchangeRequest, IssueRequest};
use serde_json::json;
use time::OffsetDateTime;

use super::table::{Routes, get, post};
use crate::extract::{Admin, AnyToken, Grant, OptionalBody, Valid};
use crate::{ApiError, AppState};

/// The lifetime of a token issued without `ttl_seconds`.
const DEFAULT_TTL: Duration = Duration::from_secs(7 * 24 * 3600);

pub(super) fn router() -> Routes {
    Routes::new()
        .route("/v1/admin/tokens", post(issue))
        .route("/v1/admin/tokens/{jti}/revoke", post(revoke))
        .route("/v1/tokens/exchange", post(exchange))
        .route("/v1/tokens/self", get(status))
}

async fn issue(
    State(app): State<AppState>,
    grant: Grant<Admin>,
    Valid { body, .. }: Valid<TokenRequestBody>,
) -> Result<Response, ApiError> {
    let req = IssueRequest {
        principal: body.principal()?,
        limits: body.limits.clone(),
        consent: body.consent.clone(),
        cnf: body.cnf.clone(),
        ..IssueRequest::new(
            body.role,
            body.agent()?,
            body.capabilities()?,
            body.ttl_seconds.map_or(DEFAULT_TTL, Duration::from_secs),
        )
    };
    let issued = app.governance.issue(&req, &grant.actor()).await?;
    Ok((StatusCode::CREATED, Json(issued)).into_response())
}

async fn revoke(
    State(app): State<AppState>,
    grant: Grant<Admin>,
    Path(jti): Path<String>,
    OptionalBody(body): OptionalBody<RevocationBody>,
) -> Result<Response, ApiError> {
    let reason = body.and_then(|b| b.reason).unwrap_or_default();
    let revoked = app.governance.revoke(&jti, &reason, &grant.actor()).await?;
    Ok(Json(json!({
        "jti": revoked.jti,
        "agent": revoked.agent,
        "revoked": true,
        "reason": reason,
    }))
    .into_response())
}

async fn exchange(
    State(app): State<AppState>,
    grant: Grant<AnyToken>,
    Valid { body, .. }: Valid<TokenExchangeBody>,
) -> Result<Response, ApiError> {
    let req = ExchangeRequest {
        capabilities: body.capabilities()?,
        limits: body.limits.clone(),
        consent: body.consent.clone(),
        cnf: body.cnf.clone(),
        ttl: body.ttl_seconds.map(Duration::from_secs),
    };
    let child = app.governance.exchange(&grant.claims, &req).await?;
    Ok((StatusCode::CREATED, Json(child)).into_response())
}

async fn status(State(app): State<AppState>, grant: Grant<AnyToken>) -> Result<Response, ApiError> {
    let status = app
        .governance
        .status(&grant.claims, OffsetDateTime::now_utc())
        .await?;
    Ok(Json(status).into_response())
}
