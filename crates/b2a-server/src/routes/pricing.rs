//! The pricing policy: published to agents (rule kinds, bounds, attributes used and never used),
//! loaded and read whole by operators.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Json, Response};
use b2a_contract::ErrorCode;
use b2a_ledger::StoredPolicy;
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::table::{Routes, get};
use crate::extract::{Admin, Grant};
use crate::{ApiError, AppState};

pub(super) fn router() -> Routes {
    Routes::new()
        .route("/v1/pricing-policy", get(published))
        .route("/v1/admin/pricing-policy", get(read).put(load))
}

/// What agents may know of the policy in force. No token needed: the rules that price are public.
async fn published(State(app): State<AppState>) -> Result<Response, ApiError> {
    Ok(Json(app.shop.published_policy().await?).into_response())
}

fn stored_json(p: &StoredPolicy, whole: bool) -> Value {
    let mut body = json!({
        "version": p.version,
        "loaded_at": p.loaded_at.format(&Rfc3339).unwrap_or_default(),
        "loaded_by": p.loaded_by,
    });
    if whole {
        body["policy"] = p.body.clone();
    }
    body
}

/// The whole policy in force, for operators.
async fn read(State(app): State<AppState>, _grant: Grant<Admin>) -> Result<Response, ApiError> {
    match app.shop.policies().policy().await? {
        Some(p) => Ok(Json(stored_json(&p, true)).into_response()),
        None => Err(ApiError::new(
            ErrorCode::PricingPolicyNotFound,
            "no pricing policy was loaded: quotes are at list price (PUT one here or run `b2a pricing load`)",
        )),
    }
}

/// Loads a new version of the policy: TOML (`application/toml`) or JSON.
async fn load(
    State(app): State<AppState>,
    grant: Grant<Admin>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let media = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase());
    let toml = match media.as_deref() {
        Some("application/toml" | "text/toml" | "text/x-toml") => true,
        Some("application/json") => false,
        _ => {
            return Err(ApiError::new(
                ErrorCode::UnsupportedMediaType,
                "send the policy as application/toml or application/json",
            )
            .at("Content-Type"));
        }
    };
    let text = std::str::from_utf8(&body).map_err(|_| {
        ApiError::new(
            ErrorCode::PricingPolicyInvalid,
            "the policy is not UTF-8 text",
        )
    })?;
    let stored = app
        .shop
        .load_policy(text, toml, &grant.actor(), OffsetDateTime::now_utc())
        .await?;
    Ok(Json(stored_json(&stored, false)).into_response())
}
