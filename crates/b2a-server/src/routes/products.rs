//! Catalog search and product pages.

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Json, Response};
use b2a_contract::ErrorCode;
use b2a_graph::{Cursor, Facet, ProductQuery, ProductSummary, Relation, Sort};
use b2a_model::{Currency, Money, ProductId};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::table::{Routes, get};
use crate::extract::{ApiQuery, PathId, Reader};
use crate::{ApiError, AppState, GatewayConfig};

pub(super) fn router() -> Routes {
    Routes::new()
        .route("/v1/products", get(search))
        .route("/v1/products/{id}", get(product))
        .route("/v1/products/{id}/related", get(related))
        .route("/v1/categories", get(categories))
}

fn invalid(param: &str, detail: impl Into<String>) -> ApiError {
    ApiError::new(ErrorCode::InvalidQuery, detail).at(param)
}

/// The attributes filtered by name; any product property is `attr.<name>`.
const ATTRIBUTES: [&str; 4] = ["brand", "color", "size", "material"];

/// Reads the search parameters. Every parameter may appear once; an unknown one is an error
/// naming it, so that a misspelt filter is never silently ignored.
fn search_query(params: Vec<(String, String)>) -> Result<ProductQuery, ApiError> {
    let mut q = ProductQuery {
        limit: GatewayConfig::DEFAULT_PAGE_SIZE as usize,
        ..ProductQuery::default()
    };
    let mut seen = std::collections::HashSet::new();
    let (mut min_price, mut max_price, mut cursor, mut sort) = (None, None, None, None);
    for (name, value) in params {
        if !seen.insert(name.clone()) {
            return Err(invalid(&name, format!("`{name}` is given more than once")));
        }
        let n = name.as_str();
        match n {
            "q" => {
                if value.chars().count() > 200 {
                    return Err(invalid(n, "q must be at most 200 characters"));
                }
                q.text = Some(value).filter(|v| !v.trim().is_empty());
            }
            "category" => {
                let is_slug = (1..=64).contains(&value.len())
                    && value
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
                if !is_slug {
                    return Err(invalid(
                        n,
                        "category must be a slug such as `coats-jackets`",
                    ));
                }
                q.category = Some(value);
            }
            "currency" => {
                q.currency = Some(Currency::parse(&value).map_err(|e| invalid(n, e.to_string()))?);
            }
            "min_price" | "max_price" => {
                let amount = value
                    .parse::<i64>()
                    .ok()
                    .filter(|a| *a >= 0)
                    .ok_or_else(|| {
                        invalid(n, format!("{n} is a non-negative amount in minor units, e.g. 15000 for 150.00 EUR"))
                    })?;
                *if n == "min_price" {
                    &mut min_price
                } else {
                    &mut max_price
                } = Some(amount);
            }
            "in_stock" => {
                q.in_stock = match value.as_str() {
                    "true" => true,
                    "false" => false,
                    _ => return Err(invalid(n, "in_stock is `true` or `false`")),
                };
            }
            "sort" => {
                sort = Some(Sort::parse(&value).ok_or_else(|| {
                    invalid(n, format!("sort `{value}` is not one of {}", Sort::NAMES))
                })?);
            }
            "cursor" => {
                cursor = Some(Cursor::decode(&value).ok_or_else(|| {
                    invalid(n, "cursor is not a next_cursor this gateway returned")
                })?);
            }
            "limit" => {
                q.limit = value
                    .parse::<u32>()
                    .ok()
                    .filter(|l| (1..=GatewayConfig::MAX_PAGE_SIZE).contains(l))
                    .ok_or_else(|| {
                        invalid(
                            n,
                            format!("limit must be 1 to {}", GatewayConfig::MAX_PAGE_SIZE),
                        )
                    })? as usize;
            }
            _ if ATTRIBUTES.contains(&n)
                || n.strip_prefix("attr.").is_some_and(|a| !a.is_empty()) =>
            {
                if value.is_empty() || value.chars().count() > 200 {
                    return Err(invalid(n, format!("{n} must be 1 to 200 characters")));
                }
                if q.attributes.len() == 16 {
                    return Err(invalid(n, "at most 16 attribute filters"));
                }
                q.attributes.push((name, value));
            }
            _ => {
                return Err(invalid(
                    n,
                    format!(
                        "unknown parameter `{n}`: filters are q, category, brand, color, size, material, \
                         attr.<property>, currency, min_price, max_price, in_stock; also sort, cursor, limit"
                    ),
                ));
            }
        }
    }
    let price = |amount: Option<i64>, param: &str| match (amount, q.currency) {
        (None, _) => Ok(None),
        (Some(_), None) => Err(invalid(
            "currency",
            format!("{param} is in minor units of a currency: add currency, e.g. currency=EUR"),
        )),
        (Some(a), Some(c)) => Ok(Some(Money::new(a, c))),
    };
    q.min_price = price(min_price, "min_price")?;
    q.max_price = price(max_price, "max_price")?;
    if let (Some(lo), Some(hi)) = (q.min_price, q.max_price)
        && lo.amount() > hi.amount()
    {
        return Err(invalid("min_price", "min_price is above max_price"));
    }
    q.sort = sort.unwrap_or_default();
    if let Some(c) = &cursor
        && c.sort() != q.sort
    {
        return Err(invalid(
            "cursor",
            "this cursor was made for another sort order",
        ));
    }
    q.after = cursor;
    Ok(q)
}

async fn search(
    State(app): State<AppState>,
    _reader: Reader,
    ApiQuery(params): ApiQuery<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let page = app.shop.search(search_query(params)?).await?;
    Ok(Json(PageBody {
        items: &page.items,
        total: page.total,
        facets: &page.facets,
        next_cursor: page.next.map(|c| c.encode()),
    })
    .into_response())
}

/// `schemas/product-page.json`.
#[derive(Serialize)]
struct PageBody<'a> {
    items: &'a [ProductSummary],
    total: usize,
    facets: &'a [Facet],
    next_cursor: Option<String>,
}

#[derive(Debug, Clone, Copy)]
enum ProductView {
    JsonLd,
    Json,
    Turtle,
}

async fn product(
    State(app): State<AppState>,
    _reader: Reader,
    headers: HeaderMap,
    PathId(id): PathId<ProductId>,
) -> Result<Response, ApiError> {
    let view = super::negotiate(
        &headers,
        &[
            ("application/ld+json", ProductView::JsonLd),
            ("application/json", ProductView::Json),
            ("text/turtle", ProductView::Turtle),
        ],
    )
    .ok_or_else(|| {
        ApiError::new(
            ErrorCode::NotAcceptable,
            "a product is served as application/ld+json, application/json or text/turtle",
        )
        .at("Accept")
    })?;
    let doc = app.shop.product(id).await?;
    let (body, media) = match view {
        ProductView::JsonLd => (
            axum::body::Body::from(doc.jsonld_bytes().to_vec()).into_response(),
            "application/ld+json",
        ),
        ProductView::Json => (Json(doc.plain_json()).into_response(), "application/json"),
        ProductView::Turtle => (doc.turtle()?.into_response(), "text/turtle"),
    };
    let mut resp = body;
    resp.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(media));
    resp.headers_mut()
        .insert(header::VARY, HeaderValue::from_static("Accept"));
    Ok(resp)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RelatedParams {
    rel: Option<String>,
}

async fn related(
    State(app): State<AppState>,
    _reader: Reader,
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
    _reader: Reader,
) -> Result<Json<serde_json::Value>, ApiError> {
    Ok(Json(json!({"items": app.shop.categories().await?})))
}
