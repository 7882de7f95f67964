//! What the ledger keeps of a token to enforce it, and who acts.

use b2a_model::{AgentId, Limits, Principal, Role};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// What the ledger keeps of one token to enforce it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GrantRecord {
    /// The token's `jti` (external issuers' are namespaced by the verifier).
    pub jti: String,
    /// The token it was exchanged from, if any.
    pub parent: Option<String>,
    /// Its subject.
    pub agent: AgentId,
    /// Its role.
    pub role: Role,
    /// The person it acts for.
    pub principal: Option<Principal>,
    /// Its limits.
    pub limits: Limits,
    /// When it was issued.
    #[serde(with = "time::serde::rfc3339")]
    pub issued_at: OffsetDateTime,
    /// When it expires.
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
}

/// A grant with what has happened under it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrantState {
    /// The grant.
    pub grant: GrantRecord,
    /// When it was revoked, if it was.
    pub revoked_at: Option<OffsetDateTime>,
    /// Minor units spent by orders under this grant and every token exchanged from it.
    pub spent: u64,
    /// Orders under this grant (and its descendants) in the 24 hours before `now`.
    pub orders_last_24h: u32,
}

/// Who acts, for the audit entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// `operator:<id>`, `agent:<id>` or `cli:<user>`.
    pub name: String,
    /// The token it acts with (`jti`), or empty for the CLI on the host.
    pub credential: String,
}
