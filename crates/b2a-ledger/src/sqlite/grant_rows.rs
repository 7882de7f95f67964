//! Grant rows: recording and revoking grants, loading them with their spend (an order's chain
//! is walked by the batch's context query, `placing.rs`).

use std::collections::HashSet;

use b2a_model::Principal;
use sqlx::SqliteConnection;
use time::OffsetDateTime;

use super::{encode, storage};
use crate::grants::GrantRow;
use crate::{Actor, GrantRecord, GrantState, LedgerError};
use b2a_orders::admission::{DAY_SECONDS, saturating};

/// How long after its expiry a revoked token stays in the trust snapshot: verifiers accept
/// tokens that far past `exp` for clock skew.
const REVOCATION_GRACE_SECONDS: i64 = 60;

/// Inserts `grant` unless a grant with its `jti` exists; true when it was inserted.
pub(super) async fn insert(
    conn: &mut SqliteConnection,
    grant: &GrantRecord,
) -> Result<bool, LedgerError> {
    let limits = &grant.limits;
    let done = sqlx::query(
        "INSERT INTO grants (jti, parent, agent, role, principal, limits, currency, total_limit,
                             per_order, max_per_day, issued_at, expires_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (jti) DO NOTHING",
    )
    .bind(&grant.jti)
    .bind(grant.parent.as_deref())
    .bind(grant.agent.as_str())
    .bind(grant.role.as_str())
    .bind(grant.principal.as_ref().map(Principal::as_str))
    .bind(encode(limits)?)
    .bind(limits.currency.map(|c| c.code()))
    .bind(limits.total.map(saturating))
    .bind(limits.per_order.map(saturating))
    .bind(limits.max_orders_per_day.map(i64::from))
    .bind(grant.issued_at.unix_timestamp())
    .bind(grant.expires_at.unix_timestamp())
    .execute(conn)
    .await
    .map_err(storage)?
    .rows_affected();
    Ok(done == 1)
}

/// The grant `jti` with its spend and its orders in the 24 hours before `now`.
pub(super) async fn state(
    conn: &mut SqliteConnection,
    jti: &str,
    now: OffsetDateTime,
) -> Result<Option<GrantState>, LedgerError> {
    let row = sqlx::query(
        "SELECT jti, parent, agent, role, principal, limits, issued_at, expires_at, revoked_at,
                g.spent,
                (SELECT COUNT(*) FROM grant_spend s WHERE s.jti = g.jti AND s.at > ?2)
         FROM grants g WHERE g.jti = ?1",
    )
    .bind(jti)
    .bind(now.unix_timestamp() - DAY_SECONDS)
    .fetch_optional(conn)
    .await
    .map_err(storage)?;
    row.as_ref().map(GrantRow::state_of_row).transpose()
}

/// Marks the unrevoked grant `jti` revoked at `now` by `by`.
pub(super) async fn revoke(
    conn: &mut SqliteConnection,
    jti: &str,
    reason: &str,
    by: &Actor,
    now: OffsetDateTime,
) -> Result<(), LedgerError> {
    sqlx::query(
        "UPDATE grants SET revoked_at = ?, revoked_by = ?, revoke_reason = ?
         WHERE jti = ? AND revoked_at IS NULL",
    )
    .bind(now.unix_timestamp())
    .bind(&by.name)
    .bind(reason)
    .bind(jti)
    .execute(conn)
    .await
    .map_err(storage)?;
    Ok(())
}

/// `jti`s of revoked grants a verifier may still accept at `now`.
pub(super) async fn revoked(
    conn: &mut SqliteConnection,
    now: OffsetDateTime,
) -> Result<HashSet<String>, LedgerError> {
    let jtis: Vec<String> = sqlx::query_scalar(
        "SELECT jti FROM grants WHERE revoked_at IS NOT NULL AND expires_at > ?",
    )
    .bind(now.unix_timestamp() - REVOCATION_GRACE_SECONDS)
    .fetch_all(conn)
    .await
    .map_err(storage)?;
    Ok(jtis.into_iter().collect())
}
