//! Catalog search and product pages.

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Json, Response};
use axum::routing::get;
use b2a_contract::ErrorCode;
use b2a_graph::{ProductQuery, Relation};
use b2a_model::{Currency, Money, ProductId, Sku};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;
use serde_json::json;

use crate::extract::{ApiQuery, CatalogRead, Grant, PathId};
use crate::{ApiError, AppState, GatewayConfig};

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/products", get(search))
        .route("/v1/products/{id}", get(product))
        .route("/v1/products/{id}/related", get(related))
        .route("/v1/categories", get(categories))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SearchParams {
    q: Option<String>,
    category: Option<String>,
    max_price: Option<i64>,
    currency: Option<String>,
    cursor: Option<String>,
    limit: Option<u32>,
}

fn invalid(param: &str, detail: impl Into<String>) -> ApiError {
    ApiError::new(ErrorCode::InvalidQuery, detail).at(param)
}

impl SearchParams {
    fn into_query(self) -> Result<ProductQuery, ApiError> {
        let limit = self.limit.unwrap_or(GatewayConfig::DEFAULT_PAGE_SIZE);
        if !(1..=GatewayConfig::MAX_PAGE_SIZE).contains(&limit) {
            return Err(invalid(
                "limit",
                format!("limit must be 1 to {}", GatewayConfig::MAX_PAGE_SIZE),
            ));
        }
        let text = self.q.filter(|q| !q.trim().is_empty());
        if text.as_ref().is_some_and(|q| q.chars().count() > 200) {
            return Err(invalid("q", "q must be at most 200 characters"));
        }
        let is_slug = |c: &str| {
            (1..=64).contains(&c.len())
                && c.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        };
        if self.category.as_deref().is_some_and(|c| !is_slug(c)) {
            return Err(invalid(
                "category",
                "category must be a slug such as `coats-jackets`",
            ));
        }
        let currency = self
            .currency
            .as_deref()
            .map(Currency::parse)
            .transpose()
            .map_err(|e| invalid("currency", e.to_string()))?;
        let max_price = match (self.max_price, currency) {
            (None, _) => None,
            (Some(_), None) => {
                return Err(invalid(
                    "currency",
                    "max_price is in minor units of a currency: add currency, e.g. currency=EUR",
                ));
            }
            (Some(n), _) if n < 0 => {
                return Err(invalid("max_price", "max_price must not be negative"));
            }
            (Some(n), Some(c)) => Some(Money::new(n, c)),
        };
        let after = self
            .cursor
            .map(|c| {
                URL_SAFE_NO_PAD
                    .decode(c.as_bytes())
                    .ok()
                    .and_then(|b| String::from_utf8(b).ok())
                    .and_then(|s| Sku::parse(s).ok())
                    .ok_or_else(|| {
                        invalid(
                            "cursor",
                            "cursor is not a next_cursor this gateway returned",
                        )
                    })
            })
            .transpose()?;
        Ok(ProductQuery {
            text,
            category: self.category,
            max_price,
            currency,
            after,
            limit: limit as usize,
        })
    }
}

async fn search(
    State(app): State<AppState>,
    _grant: Grant<CatalogRead>,
    ApiQuery(params): ApiQuery<SearchParams>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let page = app.shop.search(params.into_query()?).await?;
    let next_cursor = page.next_after.map(|s| URL_SAFE_NO_PAD.encode(s.as_str()));
    Ok(Json(
        json!({"items": page.items, "next_cursor": next_cursor}),
    ))
}

async fn product(
    State(app): State<AppState>,
    _grant: Grant<CatalogRead>,
    PathId(id): PathId<ProductId>,
) -> Result<Response, ApiError> {
    let doc = app.shop.product(id).await?;
    let mut resp = Json(doc).into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/ld+json"),
    );
    Ok(resp)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RelatedParams {
    rel: Option<String>,
}

async fn related(
    State(app): State<AppState>,
    _grant: Grant<CatalogRead>,
    PathId(id): PathId<ProductId>,
    ApiQuery(p): ApiQuery<RelatedParams>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let rel = p.rel.unwrap_or_else(|| "variant".to_owned());
    let relation = Relation::parse(&rel).ok_or_else(|| {
        invalid(
            "rel",
            format!("rel `{rel}` is not one of variant, accessory, similar, bundle"),
        )
    })?;
    let items = app.shop.related(id, relation).await?;
    Ok(Json(json!({"rel": rel, "items": items})))
}

async fn categories(
    State(app): State<AppState>,
    _grant: Grant<CatalogRead>,
) -> Result<Json<serde_json::Value>, ApiError> {
    Ok(Json(json!({"items": app.shop.categories().await?})))
}
