//! Grant rows: recording and revoking grants, loading them with their spend, walking an order's
//! chain and recording what the order spent under each grant of it.

use std::collections::HashSet;

use b2a_model::{AgentId, Order, Principal};
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqliteConnection};
use time::OffsetDateTime;

use super::script::Script;
use super::{corrupt, decode, encode, instant, storage};
use crate::enforce::{DAY_SECONDS, MAX_CHAIN, saturating};
use crate::grants::DayCount;
use crate::{Actor, GrantRecord, GrantState, LedgerError};

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

/// The grant `jti` with its spend and its orders in the 24 hours before `now` (counted as
/// `count` says).
pub(super) async fn state(
    conn: &mut SqliteConnection,
    jti: &str,
    now: OffsetDateTime,
    count: DayCount,
) -> Result<Option<GrantState>, LedgerError> {
    let row = sqlx::query(
        "SELECT jti, parent, agent, role, principal, limits, issued_at, expires_at, revoked_at,
                g.spent,
                CASE WHEN ?3 OR g.max_per_day IS NOT NULL
                     THEN (SELECT COUNT(*) FROM grant_spend s WHERE s.jti = g.jti AND s.at > ?2)
                     ELSE 0 END
         FROM grants g WHERE g.jti = ?1",
    )
    .bind(jti)
    .bind(now.unix_timestamp() - DAY_SECONDS)
    .bind(matches!(count, DayCount::Always))
    .fetch_optional(conn)
    .await
    .map_err(storage)?;
    row.as_ref().map(state_from_row).transpose()
}

/// The states of `jti` and of every grant it was exchanged from, nearest first, as an order
/// checks them: the orders of the last 24 hours counted only where a daily limit needs them.
pub(super) async fn chain(
    conn: &mut SqliteConnection,
    jti: &str,
    now: OffsetDateTime,
) -> Result<Vec<GrantState>, LedgerError> {
    let mut chain: Vec<GrantState> = Vec::new();
    let mut next = Some(jti.to_owned());
    while let Some(jti) = next {
        if chain.len() == MAX_CHAIN {
            return Err(LedgerError::Corrupt(format!(
                "token {} has more than {MAX_CHAIN} ancestors",
                chain[0].grant.jti
            )));
        }
        let link = state(&mut *conn, &jti, now, DayCount::WhenLimited)
            .await?
            .ok_or(LedgerError::GrantNotFound(jti))?;
        next = link.grant.parent.clone();
        chain.push(link);
    }
    Ok(chain)
}

/// Charges `order` to every grant of `chain` (the triggers of `grant_spend` move their totals).
pub(super) fn add_spend(script: &mut Script, chain: &[GrantState], order: &Order) {
    for link in chain {
        script
            .statement("INSERT INTO grant_spend (jti, order_id, amount, at) VALUES (?, ?, ?, ?)")
            .bind(link.grant.jti.as_str())
            .bind(order.id.as_str())
            .bind(order.total.amount())
            .bind(order.created_at.unix_timestamp());
    }
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

fn state_from_row(r: &SqliteRow) -> Result<GrantState, LedgerError> {
    let grant = GrantRecord {
        jti: r.get(0),
        parent: r.get(1),
        agent: AgentId::parse(r.get::<String, _>(2)).map_err(corrupt)?,
        role: r.get::<&str, _>(3).parse().map_err(corrupt)?,
        principal: r
            .get::<Option<String>, _>(4)
            .map(Principal::parse)
            .transpose()
            .map_err(corrupt)?,
        limits: decode(r.get::<&str, _>(5))?,
        issued_at: instant(r.get(6))?,
        expires_at: instant(r.get(7))?,
    };
    Ok(GrantState {
        grant,
        revoked_at: r.get::<Option<i64>, _>(8).map(instant).transpose()?,
        spent: u64::try_from(r.get::<i64, _>(9)).map_err(corrupt)?,
        orders_last_24h: u32::try_from(r.get::<i64, _>(10)).map_err(corrupt)?,
    })
}
