//! Agent rows.

use std::collections::HashSet;

use b2a_model::AgentId;
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, Row};

use super::{Fail, corrupt, db, decode, encode, instant};
use crate::{AgentRecord, AgentStatus, LedgerError};

/// The agent query, with `$tail` (a `WHERE` or `ORDER BY`) appended.
macro_rules! select_agents {
    ($tail:literal) => {
        concat!(
            "SELECT id, name, contact, keys, status, registered_at FROM agents ",
            $tail
        )
    };
}

/// Inserts `agent` as active unless its id is taken; true when it was inserted.
pub(super) async fn insert(conn: &mut PgConnection, agent: &AgentRecord) -> Result<bool, Fail> {
    let done = sqlx::query(
        "INSERT INTO agents (id, name, contact, keys, status, registered_at)
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO NOTHING",
    )
    .bind(agent.id.as_str())
    .bind(&agent.name)
    .bind(&agent.contact)
    .bind(encode(&agent.keys)?)
    .bind(AgentStatus::Active.as_str())
    .bind(agent.registered_at.unix_timestamp())
    .execute(conn)
    .await
    .map_err(db)?
    .rows_affected();
    Ok(done == 1)
}

/// The agent `id`, if registered.
pub(super) async fn load(
    conn: &mut PgConnection,
    id: &AgentId,
) -> Result<Option<AgentRecord>, Fail> {
    let row = sqlx::query(select_agents!("WHERE id = $1"))
        .bind(id.as_str())
        .fetch_optional(conn)
        .await
        .map_err(db)?;
    Ok(row.as_ref().map(from_row).transpose()?)
}

/// The agent `id`, if registered, its row locked for the rest of the transaction.
pub(super) async fn load_for_update(
    conn: &mut PgConnection,
    id: &AgentId,
) -> Result<Option<AgentRecord>, Fail> {
    let row = sqlx::query(select_agents!("WHERE id = $1 FOR UPDATE"))
        .bind(id.as_str())
        .fetch_optional(conn)
        .await
        .map_err(db)?;
    Ok(row.as_ref().map(from_row).transpose()?)
}

/// Every registered agent, by id.
pub(super) async fn all(conn: &mut PgConnection) -> Result<Vec<AgentRecord>, Fail> {
    let rows = sqlx::query(select_agents!("ORDER BY id"))
        .fetch_all(conn)
        .await
        .map_err(db)?;
    Ok(rows.iter().map(from_row).collect::<Result<_, _>>()?)
}

/// Sets the status of the registered agent `id`.
pub(super) async fn set_status(
    conn: &mut PgConnection,
    id: &AgentId,
    status: AgentStatus,
) -> Result<(), Fail> {
    sqlx::query("UPDATE agents SET status = $1 WHERE id = $2")
        .bind(status.as_str())
        .bind(id.as_str())
        .execute(conn)
        .await
        .map_err(db)?;
    Ok(())
}

/// Every suspended agent.
pub(super) async fn suspended(conn: &mut PgConnection) -> Result<HashSet<AgentId>, Fail> {
    let ids: Vec<String> = sqlx::query_scalar("SELECT id FROM agents WHERE status = 'suspended'")
        .fetch_all(conn)
        .await
        .map_err(db)?;
    Ok(ids
        .into_iter()
        .map(|id| AgentId::parse(id).map_err(corrupt))
        .collect::<Result<_, _>>()?)
}

fn from_row(r: &PgRow) -> Result<AgentRecord, LedgerError> {
    Ok(AgentRecord {
        id: AgentId::parse(r.get::<String, _>(0)).map_err(corrupt)?,
        name: r.get(1),
        contact: r.get(2),
        keys: decode(r.get::<&str, _>(3))?,
        status: status(r.get::<&str, _>(4))?,
        registered_at: instant(r.get(5))?,
    })
}

fn status(stored: &str) -> Result<AgentStatus, LedgerError> {
    [AgentStatus::Active, AgentStatus::Suspended]
        .into_iter()
        .find(|s| s.as_str() == stored)
        .ok_or_else(|| corrupt(format!("agent status `{stored}`")))
}
