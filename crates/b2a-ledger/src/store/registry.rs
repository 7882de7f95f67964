//! Governance records: the agent registry and the grants, with their revocations and spend
//! (tables `agents`, `grants`, `grant_spend`), and the trust snapshot every request checks.

use std::collections::HashSet;

use async_trait::async_trait;
use b2a_model::{AgentId, Principal};
use b2a_orders::admission::{DAY_SECONDS, saturating};
use time::OffsetDateTime;

use super::SqlLedger;
use crate::codec::{corrupt, decode, encode, instant};
use crate::engine::{Engine, retrying};
use crate::grants::GrantRow;
use crate::records::{agent_registered, agent_status_changed, grant_recorded, grant_revoked};
use crate::sql::{Conn, Fail, Lock, Row, Stmt};
use crate::{
    Actor, AgentRecord, AgentStatus, GrantRecord, GrantState, LedgerError, Registry, TrustSnapshot,
};

/// How long after its expiry a revoked token stays in the trust snapshot: verifiers accept
/// tokens that far past `exp` for clock skew.
const REVOCATION_GRACE_SECONDS: i64 = 60;

/// The agent query, with `$tail` (a `WHERE` or `ORDER BY`) appended.
macro_rules! select_agents {
    ($tail:literal) => {
        concat!(
            "SELECT id, name, contact, keys, status, registered_at FROM agents ",
            $tail
        )
    };
}

#[async_trait]
impl<E: Engine> Registry for SqlLedger<E> {
    async fn register_agent(&self, agent: &AgentRecord, by: &Actor) -> Result<(), LedgerError> {
        retrying(E::ATTEMPTS, || async {
            let mut tx = self.engine.begin().await?;
            let inserted = tx
                .execute(
                    Stmt::new(
                        "INSERT INTO agents (id, name, contact, keys, status, registered_at)
                         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO NOTHING",
                    )
                    .bind(agent.id.as_str())
                    .bind(agent.name.as_str())
                    .bind(agent.contact.as_str())
                    .bind(encode(&agent.keys)?)
                    .bind(AgentStatus::Active.as_str())
                    .bind(agent.registered_at.unix_timestamp()),
                )
                .await?;
            if inserted != 1 {
                return Err(LedgerError::AgentExists(agent.id.clone()).into());
            }
            tx.append(vec![agent_registered(agent, by)]).await?;
            self.engine.commit(tx).await
        })
        .await
    }

    async fn agents(&self) -> Result<Vec<AgentRecord>, LedgerError> {
        let mut conn = self.engine.read().await?;
        let rows = conn
            .fetch_all(Stmt::new(select_agents!("ORDER BY id")))
            .await?;
        rows.iter().map(agent_of).collect()
    }

    async fn agent(&self, id: &AgentId) -> Result<Option<AgentRecord>, LedgerError> {
        let mut conn = self.engine.read().await?;
        let row = conn
            .fetch_optional(Stmt::new(select_agents!("WHERE id = $1")).bind(id.as_str()))
            .await?;
        row.as_ref().map(agent_of).transpose()
    }

    async fn set_agent_status(
        &self,
        id: &AgentId,
        status: AgentStatus,
        by: &Actor,
    ) -> Result<AgentRecord, LedgerError> {
        retrying(E::ATTEMPTS, || async {
            let mut tx = self.engine.begin().await?;
            let row = tx
                .fetch_optional(
                    Stmt::new(select_agents!("WHERE id = $1"))
                        .bind(id.as_str())
                        .for_update("FOR UPDATE"),
                )
                .await?
                .ok_or_else(|| LedgerError::AgentNotFound(id.clone()))?;
            let mut agent = agent_of(&row)?;
            if agent.status == status {
                return Ok(agent);
            }
            tx.execute(
                Stmt::new("UPDATE agents SET status = $1 WHERE id = $2")
                    .bind(status.as_str())
                    .bind(id.as_str()),
            )
            .await?;
            self.engine.announce_trust_change(&mut *tx).await?;
            let record = agent_status_changed(id, status, by, OffsetDateTime::now_utc());
            tx.append(vec![record]).await?;
            self.engine.commit_trust_change(tx).await?;
            agent.status = status;
            Ok(agent)
        })
        .await
    }

    async fn record_grant(&self, grant: &GrantRecord, by: &Actor) -> Result<(), LedgerError> {
        retrying(E::ATTEMPTS, || async {
            let mut tx = self.engine.begin().await?;
            if !insert_grant(&mut *tx, grant).await? {
                return Err(LedgerError::Storage(format!(
                    "token {} is already recorded",
                    grant.jti
                ))
                .into());
            }
            tx.append(vec![grant_recorded(grant, by)]).await?;
            self.engine.commit(tx).await
        })
        .await
    }

    async fn ensure_grant(&self, grant: &GrantRecord) -> Result<(), LedgerError> {
        retrying(E::ATTEMPTS, || async {
            let mut tx = self.engine.begin().await?;
            insert_grant(&mut *tx, grant).await?;
            self.engine.commit(tx).await
        })
        .await
    }

    async fn revoke_grant(
        &self,
        jti: &str,
        reason: &str,
        by: &Actor,
        now: OffsetDateTime,
    ) -> Result<GrantRecord, LedgerError> {
        retrying(E::ATTEMPTS, || async {
            let mut tx = self.engine.begin().await?;
            tx.lock(Lock::Grant(jti)).await?;
            let state = grant_state(&mut *tx, jti, now)
                .await?
                .ok_or_else(|| LedgerError::GrantNotFound(jti.to_owned()))?;
            if state.revoked_at.is_some() {
                return Ok(state.grant);
            }
            tx.execute(
                Stmt::new(
                    "UPDATE grants SET revoked_at = $1, revoked_by = $2, revoke_reason = $3
                     WHERE jti = $4 AND revoked_at IS NULL",
                )
                .bind(now.unix_timestamp())
                .bind(by.name.as_str())
                .bind(reason)
                .bind(jti),
            )
            .await?;
            self.engine.announce_trust_change(&mut *tx).await?;
            tx.append(vec![grant_revoked(&state.grant, reason, by, now)])
                .await?;
            self.engine.commit_trust_change(tx).await?;
            Ok(state.grant)
        })
        .await
    }

    async fn grant_state(
        &self,
        jti: &str,
        now: OffsetDateTime,
    ) -> Result<Option<GrantState>, LedgerError> {
        Ok(grant_state(&mut *self.engine.read().await?, jti, now).await?)
    }

    async fn trust_snapshot(&self, now: OffsetDateTime) -> Result<TrustSnapshot, LedgerError> {
        let mut conn = self.engine.read().await?;
        let revoked = conn
            .fetch_all(
                Stmt::new(
                    "SELECT jti FROM grants WHERE revoked_at IS NOT NULL AND expires_at > $1",
                )
                .bind(now.unix_timestamp() - REVOCATION_GRACE_SECONDS),
            )
            .await?
            .iter()
            .map(|r| Ok(r.text(0)?.to_owned()))
            .collect::<Result<HashSet<String>, LedgerError>>()?;
        let suspended = conn
            .fetch_all(Stmt::new(
                "SELECT id FROM agents WHERE status = 'suspended'",
            ))
            .await?
            .iter()
            .map(|r| AgentId::parse(r.text(0)?).map_err(corrupt))
            .collect::<Result<HashSet<AgentId>, LedgerError>>()?;
        Ok(TrustSnapshot { revoked, suspended })
    }

    fn trust_stamp(&self) -> u64 {
        self.engine.trust_stamp()
    }
}

/// Inserts `grant` unless a grant with its `jti` exists; true when it was inserted.
pub(crate) async fn insert_grant(conn: &mut dyn Conn, grant: &GrantRecord) -> Result<bool, Fail> {
    let limits = &grant.limits;
    let inserted = conn
        .execute(
            Stmt::new(
                "INSERT INTO grants (jti, parent, agent, role, principal, limits, currency,
                                     total_limit, per_order, max_per_day, issued_at, expires_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
                 ON CONFLICT (jti) DO NOTHING",
            )
            .bind(grant.jti.as_str())
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
            .bind(grant.expires_at.unix_timestamp()),
        )
        .await?;
    Ok(inserted == 1)
}

/// The grant `jti` with its spend and its orders in the 24 hours before `now`.
async fn grant_state(
    conn: &mut dyn Conn,
    jti: &str,
    now: OffsetDateTime,
) -> Result<Option<GrantState>, Fail> {
    let row = conn
        .fetch_optional(
            Stmt::new(
                "SELECT jti, parent, agent, role, principal, limits, issued_at, expires_at,
                        revoked_at, g.spent,
                        (SELECT COUNT(*) FROM grant_spend s WHERE s.jti = g.jti AND s.at > $2)
                 FROM grants g WHERE g.jti = $1",
            )
            .bind(jti)
            .bind(now.unix_timestamp() - DAY_SECONDS),
        )
        .await?;
    Ok(row.as_ref().map(GrantRow::state_of_row).transpose()?)
}

fn agent_of(r: &Row) -> Result<AgentRecord, LedgerError> {
    Ok(AgentRecord {
        id: AgentId::parse(r.text(0)?).map_err(corrupt)?,
        name: r.text(1)?.to_owned(),
        contact: r.text(2)?.to_owned(),
        keys: decode(r.text(3)?)?,
        status: agent_status(r.text(4)?)?,
        registered_at: instant(r.int(5)?)?,
    })
}

fn agent_status(stored: &str) -> Result<AgentStatus, LedgerError> {
    [AgentStatus::Active, AgentStatus::Suspended]
        .into_iter()
        .find(|s| s.as_str() == stored)
        .ok_or_else(|| corrupt(format!("agent status `{stored}`")))
}
