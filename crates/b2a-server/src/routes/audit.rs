//! The audit log, for auditors.

use axum::Router;
use axum::extract::State;
use axum::response::Json;
use axum::routing::get;
use b2a_contract::ErrorCode;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::extract::{ApiQuery, AuditRead, Grant};
use crate::{ApiError, AppState, GatewayConfig};

pub(super) fn router() -> Router<AppState> {
    Router::new().route("/v1/audit/entries", get(entries))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    cursor: Option<String>,
    limit: Option<u32>,
}

async fn entries(
    State(app): State<AppState>,
    _grant: Grant<AuditRead>,
    ApiQuery(p): ApiQuery<Params>,
) -> Result<Json<Value>, ApiError> {
    let limit = p.limit.unwrap_or(100);
    if !(1..=GatewayConfig::MAX_AUDIT_PAGE).contains(&limit) {
        return Err(ApiError::new(
            ErrorCode::InvalidQuery,
            format!("limit must be 1 to {}", GatewayConfig::MAX_AUDIT_PAGE),
        )
        .at("limit"));
    }
    let after = match p.cursor {
        None => 0,
        Some(c) => c.parse::<u64>().map_err(|_| {
            ApiError::new(
                ErrorCode::InvalidQuery,
                "cursor is not a next_cursor this gateway returned",
            )
            .at("cursor")
        })?,
    };
    let page = app.shop.audit(after, limit).await?;
    Ok(Json(
        json!({"items": page.items, "next_cursor": page.next_after.map(|s| s.to_string())}),
    ))
}
