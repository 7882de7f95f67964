//! Catalog administration for operators: upload a version, list and inspect versions, publish,
//! roll back. The same operations as `b2a catalog`, on a running gateway.

use std::io::Cursor;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, FromRequest, Path, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Json, Response};
use b2a_app::VersionInfo;
use b2a_contract::ErrorCode;
use b2a_graph::{CatalogFormat, CatalogSource, FeedBase, PublishReport, ValidationReport};
use serde::Deserialize;
use serde_json::{Value, json};

use super::quotes::created;
use super::table::{Routes, get, post};
use crate::error::validation_json;
use crate::extract::{Admin, ApiQuery, Grant};
use crate::{ApiError, AppState};

pub(super) fn router(max_catalog_bytes: usize) -> Routes {
    Routes::new()
        .route(
            "/v1/admin/catalog/versions",
            post(upload)
                .layer(DefaultBodyLimit::max(max_catalog_bytes))
                .get(list),
        )
        .route("/v1/admin/catalog/versions/{id}", get(read))
        .route("/v1/admin/catalog/versions/{id}/publish", post(publish))
        .route("/v1/admin/catalog/rollback", post(rollback))
}

fn version_json(v: VersionInfo, validation: Option<&ValidationReport>) -> Value {
    let mut body = json!({
        "version": v.version,
        "triples": v.triples,
        "products": v.products,
        "published": v.published,
    });
    if let Some(r) = validation {
        body["validation"] = validation_json(r);
    }
    body
}

fn version_param(text: &str) -> Result<u32, ApiError> {
    text.strip_prefix('v').unwrap_or(text).parse().map_err(|_| {
        ApiError::new(
            ErrorCode::InvalidPath,
            format!("`{text}` is not a version number"),
        )
        .at("id")
    })
}

/// Query parameters of an upload.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct UploadParams {
    /// The IRI a product feed's nodes are named under.
    base: Option<String>,
}

async fn upload(
    State(app): State<AppState>,
    grant: Grant<Admin>,
    ApiQuery(params): ApiQuery<UploadParams>,
    req: Request,
) -> Result<Response, ApiError> {
    let base = match params.base.as_deref() {
        None => FeedBase::default(),
        Some(text) => FeedBase::parse(text).map_err(|_| {
            ApiError::new(
                ErrorCode::InvalidQuery,
                format!("`{text}` is not an absolute IRI without a query, such as https://brand.example/"),
            )
            .at("base")
        })?,
    };
    let media_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|m| m.trim().to_ascii_lowercase())
        .unwrap_or_default();
    let format = CatalogFormat::from_media_type(&media_type)
        .ok_or_else(|| {
            ApiError::new(
                ErrorCode::UnsupportedMediaType,
                format!(
                    "`{media_type}` is not a catalog syntax; send text/turtle, application/n-triples, \
                     application/n-quads, application/trig, application/ld+json, \
                     application/rdf+xml, or a product feed as text/csv or application/jsonl"
                ),
            )
            .at("Content-Type")
        })?
        .with_base(base);
    let bytes = Bytes::from_request(req, &app).await.map_err(|r| {
        if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(
                ErrorCode::PayloadTooLarge,
                "the catalog exceeds the upload limit; load large catalogs with `b2a catalog load`",
            )
        } else {
            ApiError::new(
                ErrorCode::CatalogUnparsable,
                format!("the body could not be read: {r}"),
            )
        }
    })?;
    let source = CatalogSource {
        name: "upload".into(),
        format,
        reader: Cursor::new(bytes),
    };
    let loaded = app.shop.load_catalog(vec![source], |_| ()).await?;
    let report = app.shop.validate_catalog(loaded.version).await?;
    let info = app.shop.catalog_version(loaded.version).await?;
    tracing::info!(actor = %grant.claims.actor(), version = loaded.version, valid = report.is_valid(), "catalog uploaded");
    Ok(created(
        format!("/v1/admin/catalog/versions/{}", loaded.version),
        &version_json(info, Some(&report)),
    ))
}

async fn list(State(app): State<AppState>, _grant: Grant<Admin>) -> Result<Json<Value>, ApiError> {
    let items: Vec<Value> = app
        .shop
        .catalog_versions()
        .await?
        .into_iter()
        .map(|v| version_json(v, None))
        .collect();
    Ok(Json(
        json!({"items": items, "published": app.shop.catalog().published_version()}),
    ))
}

async fn read(
    State(app): State<AppState>,
    _grant: Grant<Admin>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let version = version_param(&id)?;
    let info = app.shop.catalog_version(version).await?;
    let report = app.shop.validate_catalog(version).await?;
    Ok(Json(version_json(info, Some(&report))))
}

async fn publish(
    State(app): State<AppState>,
    grant: Grant<Admin>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let version = version_param(&id)?;
    let report = app
        .shop
        .publish_catalog(version, &grant.claims.actor())
        .await?;
    Ok(publication(&report))
}

async fn rollback(State(app): State<AppState>, grant: Grant<Admin>) -> Result<Response, ApiError> {
    let report = app.shop.rollback_catalog(&grant.claims.actor()).await?;
    Ok(publication(&report))
}

fn publication(r: &PublishReport) -> Response {
    Json(json!({"version": r.version, "previous": r.previous, "rollback": r.rollback, "diff": r.diff})).into_response()
}
