//! Discovery: the manifest, the JWKS, the OpenAPI document, the schemas and health.

use axum::extract::{Path, State};
use axum::response::Json;
use b2a_contract::ErrorCode;
use b2a_model::Capability;
use serde_json::{Value, json};

use super::table::{Routes, get};
use crate::{ApiError, AppState, GatewayConfig};

pub(super) fn router() -> Routes {
    Routes::new()
        .route("/.well-known/b2a", get(manifest))
        .route("/.well-known/jwks.json", get(jwks))
        .route("/openapi.json", get(openapi))
        .route("/schemas/{file}", get(schema))
        .route("/healthz", get(health))
}

async fn manifest(State(app): State<AppState>) -> Json<Value> {
    let base = &app.config.public_url;
    let tokens = app.governance.tokens();
    Json(json!({
        "protocol": {"name": "b2a", "version": env!("CARGO_PKG_VERSION")},
        "brand": {"name": app.config.brand_name, "url": app.config.brand_url, "languages": ["fr", "en"]},
        "issuer": tokens.issuer(),
        "audience": tokens.audience(),
        "endpoints": {
            "rest": format!("{base}/v1"),
            "openapi": format!("{base}/openapi.json"),
            "schemas": format!("{base}/schemas/"),
            "products": format!("{base}/v1/products"),
            "quotes": format!("{base}/v1/quotes"),
            "orders": format!("{base}/v1/orders"),
            "audit": format!("{base}/v1/audit/entries"),
            "sparql": format!("{base}/v1/sparql"),
            "mcp": format!("{base}/mcp"),
        },
        "jwks_uri": format!("{base}/.well-known/jwks.json"),
        "token": {
            "type": b2a_trust::TOKEN_TYPE,
            "algorithms": ["EdDSA", "ES256"],
            "required_claims": ["iss", "aud", "sub", "exp", "nbf", "iat", "jti", "role", "cap"],
            "dpop": {"algorithms": ["EdDSA", "ES256"], "window_seconds": app.config.dpop_window.as_secs()},
            "trusted_issuers": tokens.trusted_issuers().iter().map(|t| json!({"name": t.name, "issuer": t.issuer})).collect::<Vec<_>>(),
            "exchange": format!("{base}/v1/tokens/exchange"),
            "introspection": format!("{base}/v1/tokens/self"),
        },
        "catalog_access": if app.config.public_catalog { "public" } else { "token" },
        "capabilities": Capability::ALL.iter().map(|c| c.as_str()).collect::<Vec<_>>(),
        "currencies": ["EUR"],
        "limits": {
            "max_page_size": GatewayConfig::MAX_PAGE_SIZE,
            "max_body_bytes": app.config.max_body_bytes,
            "max_quote_lines": GatewayConfig::MAX_QUOTE_LINES,
            "quote_ttl_seconds": app.shop.quote_ttl().as_secs(),
            "sparql_timeout_ms": app.config.sparql_timeout.as_millis() as u64,
            "sparql_max_rows": app.config.sparql_max_rows,
            "sparql_max_concurrent": app.config.sparql_max_concurrent,
            "rate": app.rate_limits.rates().iter().map(|(c, r)| (c.as_str().to_owned(), json!(r))).collect::<serde_json::Map<_, _>>(),
        },
        "policies": {
            "pricing": "list prices from the published catalog; no personalised pricing",
            "returns": format!("{}/returns", app.config.brand_url),
            "shipping": format!("{}/shipping", app.config.brand_url),
        },
        "audit": {
            "entries": format!("{base}/v1/audit/entries"),
            "checkpoint": format!("{base}/v1/audit/checkpoint"),
            "integrity": "rfc9162-merkle-tree",
            "checkpoint_format": "c2sp-tlog-checkpoint",
            "origin": app.audit.origin(),
            "key_id": app.audit.key().kid(),
        },
    }))
}

async fn jwks(State(app): State<AppState>) -> Json<Value> {
    let mut set = app.governance.tokens().keys().jwks();
    if let Some(keys) = set["keys"].as_array_mut() {
        keys.push(app.audit.key().jwk());
    }
    Json(set)
}

async fn openapi(State(app): State<AppState>) -> Json<Value> {
    Json(
        app.contract
            .openapi(&app.config.public_url, env!("CARGO_PKG_VERSION")),
    )
}

async fn schema(
    State(app): State<AppState>,
    Path(file): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let name = file.strip_suffix(".json").unwrap_or(&file);
    app.contract.schema(name).cloned().map(Json).ok_or_else(|| {
        let known: Vec<_> = app.contract.names().map(|n| format!("{n}.json")).collect();
        ApiError::new(
            ErrorCode::NotFound,
            format!("no schema {file}; known: {}", known.join(", ")),
        )
        .at("file")
    })
}

async fn health(State(app): State<AppState>) -> Json<Value> {
    let version = app.shop.catalog().published_version();
    Json(
        json!({"status": if version.is_some() { "ok" } else { "degraded" }, "catalog_version": version}),
    )
}
