//! What the ledger keeps to govern agents: the agent registry, the trust snapshot, and how a
//! grant's row (one per issued or exchanged token, with its limits and spend) is read.

use std::collections::HashSet;

use b2a_model::{AgentId, Principal};
use b2a_orders::{GrantRecord, GrantState};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;

use crate::LedgerError;
use crate::codec::{corrupt, decode, instant};
use crate::sql::Row;

/// Whether a registered agent's tokens work.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgentStatus {
    /// Its tokens work.
    Active,
    /// Its tokens are refused, at once, on every replica.
    Suspended,
}

impl AgentStatus {
    /// The stored and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            AgentStatus::Active => "active",
            AgentStatus::Suspended => "suspended",
        }
    }
}

/// A registered agent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentRecord {
    /// Its id: the `sub` of its tokens.
    pub id: AgentId,
    /// A display name.
    pub name: String,
    /// How the brand reaches its developer (an e-mail address or URL).
    pub contact: String,
    /// Public keys (JWKs) it may bind tokens to for proof of possession.
    #[serde(default)]
    pub keys: Vec<Value>,
    /// Active or suspended.
    pub status: AgentStatus,
    /// When it was registered.
    #[serde(with = "time::serde::rfc3339")]
    pub registered_at: OffsetDateTime,
}

/// What every request checks against: tokens revoked and not yet expired, and suspended agents.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustSnapshot {
    /// `jti`s of revoked tokens.
    pub revoked: HashSet<String>,
    /// Suspended agents.
    pub suspended: HashSet<AgentId>,
}

impl TrustSnapshot {
    /// Why a token with this `jti`, ancestors `chain` and subject `agent` is refused, if it is.
    pub fn refusal(&self, jti: &str, chain: &[String], agent: &AgentId) -> Option<Refusal> {
        if self.suspended.contains(agent) {
            return Some(Refusal::AgentSuspended);
        }
        if self.revoked.contains(jti) {
            return Some(Refusal::Revoked(jti.to_owned()));
        }
        chain
            .iter()
            .find(|a| self.revoked.contains(*a))
            .map(|a| Refusal::AncestorRevoked(a.clone()))
    }
}

/// Why a verified token is refused anyway.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The token was revoked.
    Revoked(String),
    /// A token it was exchanged from was revoked.
    AncestorRevoked(String),
    /// Its agent is suspended.
    AgentSuspended,
}

/// A grant's row as read (`jti`, `parent`, `agent`, `role`, `principal`, `limits`, `issued_at`,
/// `expires_at`, `revoked_at`, `spent`, `max_per_day`), from its columns or as a JSON array.
#[derive(Deserialize)]
pub(crate) struct GrantRow(
    pub(crate) String,
    pub(crate) Option<String>,
    pub(crate) String,
    pub(crate) String,
    pub(crate) Option<String>,
    pub(crate) String,
    pub(crate) i64,
    pub(crate) i64,
    pub(crate) Option<i64>,
    pub(crate) i64,
    pub(crate) Option<i64>,
);

impl GrantRow {
    /// A grant's state from the columns of a row — `jti`, `parent`, `agent`, `role`,
    /// `principal`, `limits`, `issued_at`, `expires_at`, `revoked_at`, `spent`, then its orders
    /// of the last 24 hours — as both backends' grant queries select them.
    pub(crate) fn state_of_row(r: &Row) -> Result<GrantState, LedgerError> {
        let owned = |t: Option<&str>| t.map(str::to_owned);
        let row = GrantRow(
            r.text(0)?.to_owned(),
            owned(r.opt_text(1)?),
            r.text(2)?.to_owned(),
            r.text(3)?.to_owned(),
            owned(r.opt_text(4)?),
            r.text(5)?.to_owned(),
            r.int(6)?,
            r.int(7)?,
            r.opt_int(8)?,
            r.int(9)?,
            None,
        );
        let mut state = row.state()?;
        state.orders_last_24h = u32::try_from(r.int(10)?).map_err(corrupt)?;
        Ok(state)
    }

    /// The grant's state (no orders counted in the last 24 hours).
    pub(crate) fn state(self) -> Result<GrantState, LedgerError> {
        let GrantRow(
            jti,
            parent,
            agent,
            role,
            principal,
            limits,
            issued,
            expires,
            revoked,
            spent,
            _per_day,
        ) = self;
        let grant = GrantRecord {
            jti,
            parent,
            agent: AgentId::parse(agent).map_err(corrupt)?,
            role: role.parse().map_err(corrupt)?,
            principal: principal
                .map(Principal::parse)
                .transpose()
                .map_err(corrupt)?,
            limits: decode(&limits)?,
            issued_at: instant(issued)?,
            expires_at: instant(expires)?,
        };
        let state = GrantState {
            grant,
            revoked_at: revoked.map(instant).transpose()?,
            spent: u64::try_from(spent).map_err(corrupt)?,
            orders_last_24h: 0,
        };
        Ok(state)
    }
}
