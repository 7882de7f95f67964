//! `/v1/catalog`: the published public catalog, whole, with a strong ETag per version and syntax.

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use b2a_contract::ErrorCode;
use b2a_graph::{JsonLdProfileSet, RdfFormat};

use super::table::{Routes, get};
use crate::extract::{CatalogRead, Grant};
use crate::{ApiError, AppState};

pub(super) fn router() -> Routes {
    Routes::new().route("/v1/catalog", get(export))
}

/// The syntax to answer in: the first of `Accept` this route serves (Turtle by default).
fn negotiate(headers: &HeaderMap) -> Result<(RdfFormat, &'static str), ApiError> {
    let jsonld = RdfFormat::JsonLd {
        profile: JsonLdProfileSet::empty(),
    };
    super::negotiate(
        headers,
        &[
            ("text/turtle", (RdfFormat::Turtle, "ttl")),
            ("application/n-triples", (RdfFormat::NTriples, "nt")),
            ("application/ld+json", (jsonld, "jsonld")),
        ],
    )
    .ok_or_else(|| {
        ApiError::new(
            ErrorCode::NotAcceptable,
            "the catalog is served as text/turtle, application/n-triples or application/ld+json",
        )
        .at("Accept")
    })
}

async fn export(
    State(app): State<AppState>,
    _grant: Grant<CatalogRead>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let (format, ext) = negotiate(&headers)?;
    let published = app.shop.catalog().published_version().ok_or_else(|| {
        ApiError::new(
            ErrorCode::CatalogUnavailable,
            "no catalog version is published",
        )
    })?;
    let etag = format!("\"catalog-v{published}-{ext}\"");
    let cached = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    if cached {
        let mut resp = StatusCode::NOT_MODIFIED.into_response();
        if let Ok(v) = HeaderValue::from_str(&etag) {
            resp.headers_mut().insert(header::ETAG, v);
        }
        return Ok(resp);
    }
    // The version may have changed since the ETag was computed: label the body with its own.
    let (version, body) = app.shop.export_catalog(format).await?;
    let etag = format!("\"catalog-v{version}-{ext}\"");
    let mut resp = body.into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(format.media_type()),
    );
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    Ok(resp)
}
