//! The audit log, for auditors (read-only; `audit:read`): signed checkpoints, entries filtered,
//! inclusion and consistency proofs, and the proven trail of one order.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Json, Response};
use b2a_app::{ConsistencyProof, EntryPage, InclusionProof};
use b2a_audit::checkpoint::SignedCheckpoint;
use b2a_audit::verify::Bundle;
use b2a_contract::ErrorCode;
use b2a_graph::RdfFormat;
use b2a_ledger::AuditQuery;
use b2a_model::OrderId;
use serde::Deserialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::table::{Routes, get};
use crate::extract::{ApiQuery, AuditRead, Grant, PathId};
use crate::{ApiError, AppState, GatewayConfig};

pub(super) fn router() -> Routes {
    Routes::new()
        .route("/v1/audit/checkpoint", get(checkpoint).post(new_checkpoint))
        .route("/v1/audit/entries", get(entries))
        .route("/v1/audit/entries/{seq}/proof", get(inclusion))
        .route("/v1/audit/consistency", get(consistency))
        .route("/v1/audit/orders/{id}/trail", get(trail))
}

fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

/// The newest signed checkpoint.
async fn checkpoint(
    State(app): State<AppState>,
    _grant: Grant<AuditRead>,
) -> Result<Json<SignedCheckpoint>, ApiError> {
    Ok(Json(app.audit.checkpoint(now()).await?))
}

/// A checkpoint of the log as it is now (the newest one, if the log has not grown since).
async fn new_checkpoint(
    State(app): State<AppState>,
    _grant: Grant<AuditRead>,
) -> Result<Json<SignedCheckpoint>, ApiError> {
    Ok(Json(app.audit.make_checkpoint(now()).await?))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EntriesParams {
    cursor: Option<String>,
    limit: Option<u32>,
    agent: Option<String>,
    principal: Option<String>,
    order: Option<String>,
    subject: Option<String>,
    action: Option<String>,
    since: Option<String>,
    until: Option<String>,
}

async fn entries(
    State(app): State<AppState>,
    _grant: Grant<AuditRead>,
    ApiQuery(p): ApiQuery<EntriesParams>,
) -> Result<Json<EntryPage>, ApiError> {
    let limit = p.limit.unwrap_or(100);
    if !(1..=GatewayConfig::MAX_AUDIT_PAGE).contains(&limit) {
        return Err(invalid(
            "limit",
            format!("limit must be 1 to {}", GatewayConfig::MAX_AUDIT_PAGE),
        ));
    }
    let from_seq = match p.cursor {
        None => 0,
        Some(c) => c.parse::<u64>().map_err(|_| {
            invalid(
                "cursor",
                "cursor is not a next_cursor this gateway returned".into(),
            )
        })?,
    };
    if p.order.is_some() && p.subject.is_some() {
        return Err(invalid("subject", "give order or subject, not both".into()));
    }
    let query = AuditQuery {
        from_seq,
        limit,
        agent: nonempty("agent", p.agent)?,
        principal: nonempty("principal", p.principal)?,
        subject: nonempty("order", p.order)?.or(nonempty("subject", p.subject)?),
        action: nonempty("action", p.action)?,
        since: time_param("since", p.since)?,
        until: time_param("until", p.until)?,
    };
    Ok(Json(app.audit.entries(&query).await?))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProofParams {
    size: Option<u64>,
}

async fn inclusion(
    State(app): State<AppState>,
    _grant: Grant<AuditRead>,
    Path(seq): Path<String>,
    ApiQuery(p): ApiQuery<ProofParams>,
) -> Result<Json<InclusionProof>, ApiError> {
    let seq = seq.parse::<u64>().map_err(|_| {
        ApiError::new(
            ErrorCode::InvalidPath,
            "an entry's sequence number is a whole number from 0",
        )
        .at("seq")
    })?;
    Ok(Json(app.audit.inclusion(seq, p.size, now()).await?))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConsistencyParams {
    from: u64,
    to: Option<u64>,
}

async fn consistency(
    State(app): State<AppState>,
    _grant: Grant<AuditRead>,
    ApiQuery(p): ApiQuery<ConsistencyParams>,
) -> Result<Json<ConsistencyProof>, ApiError> {
    Ok(Json(app.audit.consistency(p.from, p.to, now()).await?))
}

/// The trail of one order: as a bundle `b2a audit verify-bundle` checks alone (JSON), or as RDF
/// with the W3C PROV-O vocabulary (Turtle, N-Triples) to load next to the catalog.
async fn trail(
    State(app): State<AppState>,
    _grant: Grant<AuditRead>,
    PathId(id): PathId<OrderId>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let format = super::negotiate(
        &headers,
        &[
            ("application/json", None),
            ("text/turtle", Some(RdfFormat::Turtle)),
            ("application/n-triples", Some(RdfFormat::NTriples)),
        ],
    )
    .ok_or_else(|| {
        ApiError::new(
            ErrorCode::NotAcceptable,
            "a trail is served as application/json (a proof bundle), text/turtle or \
             application/n-triples (W3C PROV-O)",
        )
        .at("Accept")
    })?;
    let bundle: Bundle = app.audit.trail(&id, now()).await?;
    let Some(format) = format else {
        return Ok(Json(bundle).into_response());
    };
    let entries: Vec<_> = bundle.entries.into_iter().map(|p| p.entry).collect();
    let body = b2a_graph::provenance(&entries, &app.config.public_url, format)?;
    let mut resp = body.into_response();
    if let Ok(v) = HeaderValue::from_str(format.media_type()) {
        resp.headers_mut().insert(header::CONTENT_TYPE, v);
    }
    resp.headers_mut()
        .insert(header::VARY, HeaderValue::from_static("Accept"));
    Ok(resp)
}

fn invalid(field: &str, detail: String) -> ApiError {
    ApiError::new(ErrorCode::InvalidQuery, detail).at(field)
}

/// A filter's value; an empty one is a mistake, not "no filter".
fn nonempty(field: &str, value: Option<String>) -> Result<Option<String>, ApiError> {
    match value {
        Some(v) if v.is_empty() => Err(invalid(field, format!("{field} must not be empty"))),
        v => Ok(v),
    }
}

fn time_param(field: &str, value: Option<String>) -> Result<Option<OffsetDateTime>, ApiError> {
    value
        .map(|v| {
            OffsetDateTime::parse(&v, &Rfc3339).map_err(|_| {
                invalid(
                    field,
                    format!("{field} must be an RFC 3339 time such as 2026-11-21T08:00:00Z"),
                )
            })
        })
        .transpose()
}
