//! The agent registry (operator): register, list, suspend, reactivate.

use axum::extract::State;
use axum::response::{IntoResponse, Json, Response};
use b2a_contract::AgentRegistrationBody;
use b2a_ledger::{AgentRecord, AgentStatus};
use b2a_model::AgentId;
use serde_json::json;
use time::OffsetDateTime;

use super::quotes::created;
use super::table::{Routes, get, post};
use crate::extract::{Admin, Grant, PathId, Valid};
use crate::{ApiError, AppState};

pub(super) fn router() -> Routes {
    Routes::new()
        .route("/v1/admin/agents", get(list).post(register))
        .route("/v1/admin/agents/{id}/suspend", post(suspend))
        .route("/v1/admin/agents/{id}/reactivate", post(reactivate))
}

async fn register(
    State(app): State<AppState>,
    grant: Grant<Admin>,
    Valid { body, .. }: Valid<AgentRegistrationBody>,
) -> Result<Response, ApiError> {
    let agent = AgentRecord {
        id: body.id()?,
        name: body.name,
        contact: body.contact,
        keys: body.keys,
        status: AgentStatus::Active,
        registered_at: OffsetDateTime::now_utc(),
    };
    app.governance
        .register_agent(&agent, &grant.actor())
        .await?;
    Ok(created(format!("/v1/admin/agents/{}", agent.id), &agent))
}

async fn list(State(app): State<AppState>, _grant: Grant<Admin>) -> Result<Response, ApiError> {
    Ok(Json(json!({"items": app.governance.agents().await?})).into_response())
}

async fn set_status(
    app: &AppState,
    grant: &Grant<Admin>,
    id: &AgentId,
    status: AgentStatus,
) -> Result<Response, ApiError> {
    let agent = app
        .governance
        .set_agent_status(id, status, &grant.actor())
        .await?;
    Ok(Json(agent).into_response())
}

async fn suspend(
    State(app): State<AppState>,
    grant: Grant<Admin>,
    PathId(id): PathId<AgentId>,
) -> Result<Response, ApiError> {
    set_status(&app, &grant, &id, AgentStatus::Suspended).await
}

async fn reactivate(
    State(app): State<AppState>,
    grant: Grant<Admin>,
    PathId(id): PathId<AgentId>,
) -> Result<Response, ApiError> {
    set_status(&app, &grant, &id, AgentStatus::Active).await
}
