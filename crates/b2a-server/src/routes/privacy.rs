//! A person's rights over their personal data (docs/privacy.md): access — everything held about
//! a principal, for an operator or for the agent whose token carries `privacy:self` for it — and
//! erasure, for an operator.

use axum::extract::State;
use axum::response::Json;
use b2a_contract::ErrorCode;
use b2a_model::Principal;
use serde_json::{Value, json};
use time::OffsetDateTime;

use super::table::{Routes, get};
use crate::extract::{Admin, Grant, PathId, PrivacySelf};
use crate::{ApiError, AppState};

pub(super) fn router() -> Routes {
    Routes::new()
        .route(
            "/v1/admin/principals/{id}",
            get(export).delete(erase_principal),
        )
        .route("/v1/privacy/self", get(export_self))
}

/// Everything held about a principal, for an operator.
async fn export(
    State(app): State<AppState>,
    _grant: Grant<Admin>,
    PathId(principal): PathId<Principal>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(
        app.shop
            .principal_export(&principal, OffsetDateTime::now_utc())
            .await?,
    ))
}

/// Everything held about the principal the token acts for.
async fn export_self(
    State(app): State<AppState>,
    grant: Grant<PrivacySelf>,
) -> Result<Json<Value>, ApiError> {
    let principal = grant.caller().principal.clone().ok_or_else(|| {
        ApiError::new(
            ErrorCode::InsufficientCapability,
            "this token acts for no principal: there is no personal data to export for it",
        )
    })?;
    Ok(Json(
        app.shop
            .principal_export(&principal, OffsetDateTime::now_utc())
            .await?,
    ))
}

/// Erases a principal's personal data (its vault key and rows); its orders stay, their details
/// read as erased, and the audit log still verifies.
async fn erase_principal(
    State(app): State<AppState>,
    grant: Grant<Admin>,
    PathId(principal): PathId<Principal>,
) -> Result<Json<Value>, ApiError> {
    let erased = app
        .shop
        .erase_principal(&principal, &grant.actor(), OffsetDateTime::now_utc())
        .await?;
    Ok(Json(json!({
        "principal": principal,
        "vault_records_erased": erased.vault_records,
        "key_destroyed": erased.key_destroyed,
    })))
}
