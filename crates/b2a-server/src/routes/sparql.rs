//! `/v1/sparql`: the SPARQL 1.1 Protocol, read-only, over the published catalog only.

use axum::body::Bytes;
use axum::extract::{FromRequest, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use b2a_contract::ErrorCode;
use b2a_graph::{SparqlError, SparqlLimits};
use serde::Deserialize;

use super::table::{Routes, get};
use crate::extract::{CatalogSparql, Grant};
use crate::{ApiError, AppState};

pub(super) fn router() -> Routes {
    Routes::new().route("/v1/sparql", get(by_get).post(by_post))
}

/// The protocol's parameters (query string or form body).
#[derive(Debug, Default, Deserialize)]
struct Params {
    query: Option<String>,
    update: Option<String>,
    #[serde(rename = "default-graph-uri")]
    default_graph_uri: Option<String>,
    #[serde(rename = "named-graph-uri")]
    named_graph_uri: Option<String>,
}

impl Params {
    fn into_query(self) -> Result<String, ApiError> {
        if self.update.is_some() {
            return Err(ApiError::new(
                ErrorCode::SparqlUpdateNotAllowed,
                "this endpoint is read-only",
            )
            .at("update"));
        }
        if self.default_graph_uri.is_some() || self.named_graph_uri.is_some() {
            return Err(ApiError::new(
                ErrorCode::SparqlDatasetNotAllowed,
                "queries run over the published catalog only; remove default-graph-uri and named-graph-uri",
            ));
        }
        self.query.filter(|q| !q.trim().is_empty()).ok_or_else(|| {
            ApiError::new(
                ErrorCode::SparqlMalformed,
                "send the query in the `query` parameter",
            )
            .at("query")
        })
    }
}

async fn by_get(
    State(app): State<AppState>,
    grant: Grant<CatalogSparql>,
    headers: HeaderMap,
    params: Result<Query<Params>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(params) =
        params.map_err(|r| ApiError::new(ErrorCode::InvalidQuery, r.body_text()))?;
    run(&app, &grant, &headers, params.into_query()?).await
}

async fn by_post(
    State(app): State<AppState>,
    grant: Grant<CatalogSparql>,
    req: Request,
) -> Result<Response, ApiError> {
    let headers = req.headers().clone();
    let media_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|m| m.trim().to_ascii_lowercase())
        .unwrap_or_default();
    let query = match media_type.as_str() {
        "application/sparql-query" => {
            let body = Bytes::from_request(req, &app)
                .await
                .map_err(|r| ApiError::new(ErrorCode::PayloadTooLarge, r.body_text()))?;
            String::from_utf8(body.to_vec())
                .map_err(|_| ApiError::new(ErrorCode::SparqlMalformed, "the query is not UTF-8"))?
        }
        "application/sparql-update" => {
            return Err(ApiError::new(
                ErrorCode::SparqlUpdateNotAllowed,
                "this endpoint is read-only",
            ));
        }
        "application/x-www-form-urlencoded" => {
            let axum::Form(params) = axum::Form::<Params>::from_request(req, &app)
                .await
                .map_err(|r| ApiError::new(ErrorCode::SparqlMalformed, r.body_text()))?;
            params.into_query()?
        }
        other => {
            return Err(ApiError::new(
                ErrorCode::UnsupportedMediaType,
                format!(
                    "`{other}`: send application/sparql-query or application/x-www-form-urlencoded"
                ),
            )
            .at("Content-Type"));
        }
    };
    run(&app, &grant, &headers, query).await
}

async fn run(
    app: &AppState,
    grant: &Grant<CatalogSparql>,
    headers: &HeaderMap,
    query: String,
) -> Result<Response, ApiError> {
    let permit = app
        .sparql_gate
        .enter(grant.claims.sub.as_str())
        .ok_or_else(|| {
            ApiError::new(
                ErrorCode::RateLimited,
                format!(
                    "this agent already runs {} SPARQL queries; retry when one finishes",
                    app.config.sparql_max_concurrent
                ),
            )
            .with_header(header::RETRY_AFTER, "1")
        })?;
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let limits = SparqlLimits {
        timeout: app.config.sparql_timeout,
        max_rows: app.config.sparql_max_rows,
    };
    // The permit goes with the query's thread: an agent's runaway query counts against its
    // share until it really stops.
    let answer = app
        .shop
        .sparql(query, accept, limits, permit)
        .await
        .map_err(|e| {
            let detail = e.to_string();
            match e {
                SparqlError::Syntax(_) => {
                    ApiError::new(ErrorCode::SparqlMalformed, detail).at("query")
                }
                SparqlError::Update => {
                    ApiError::new(ErrorCode::SparqlUpdateNotAllowed, detail).at("query")
                }
                SparqlError::Service => {
                    ApiError::new(ErrorCode::SparqlServiceNotAllowed, detail).at("query")
                }
                SparqlError::UnsupportedFunction(_) => {
                    ApiError::new(ErrorCode::SparqlFunctionUnsupported, detail).at("query")
                }
                SparqlError::NotAcceptable(_) => {
                    ApiError::new(ErrorCode::NotAcceptable, detail).at("Accept")
                }
                SparqlError::Timeout(_) => ApiError::new(ErrorCode::SparqlTimeout, detail),
                SparqlError::Busy => ApiError::new(ErrorCode::SparqlBusy, detail)
                    .with_header(header::RETRY_AFTER, "1"),
                SparqlError::Graph(g) => g.into(),
            }
        })?;
    let mut resp = answer.body.into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(answer.media_type),
    );
    if let Ok(v) = HeaderValue::from_str(&answer.rows.to_string()) {
        h.insert("b2a-rows", v);
    }
    if answer.truncated {
        h.insert("b2a-truncated", HeaderValue::from_static("true"));
    }
    Ok(resp)
}
