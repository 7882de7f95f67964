//! The audit records of the ledger's governance writes (agents, tokens, the pricing policy,
//! stock, privacy; those of quotes and orders are `b2a_orders::records`). Payloads hold facts of the decision, never personal data;
//! the person appears only as the pseudonym of the principal.

use b2a_audit::entry::Record;
use b2a_model::{AgentId, Sku};
use b2a_orders::records::{by_actor, rfc3339};
use serde_json::json;
use time::OffsetDateTime;

use crate::StoredPolicy;
use crate::{Actor, AgentRecord, AgentStatus, GrantRecord};

/// `pricing_policy.changed`: the new version, whole (auditors review the rules that price).
pub(crate) fn policy_changed(p: &StoredPolicy, by: &Actor) -> Record {
    by_actor(
        by,
        p.loaded_at,
        "pricing_policy.changed",
        &format!("pricing-policy/v{}", p.version),
        json!({"version": p.version, "policy": p.body}),
    )
}

/// `agent.registered`: its name and how many keys it registered — never its contact, which is
/// personal data.
pub(crate) fn agent_registered(a: &AgentRecord, by: &Actor) -> Record {
    by_actor(
        by,
        a.registered_at,
        "agent.registered",
        a.id.as_str(),
        json!({"name": a.name, "keys": a.keys.len()}),
    )
}

/// `agent.suspended` or `agent.reactivated`.
pub(crate) fn agent_status_changed(
    id: &AgentId,
    status: AgentStatus,
    by: &Actor,
    at: OffsetDateTime,
) -> Record {
    let action = match status {
        AgentStatus::Active => "agent.reactivated",
        AgentStatus::Suspended => "agent.suspended",
    };
    by_actor(by, at, action, id.as_str(), json!({"status": status}))
}

/// `token.issued`, or `token.exchanged` when the token has a parent: its role, agent, principal,
/// limits, parent and expiry.
pub(crate) fn grant_recorded(g: &GrantRecord, by: &Actor) -> Record {
    let action = if g.parent.is_some() {
        "token.exchanged"
    } else {
        "token.issued"
    };
    let mut record = by_actor(
        by,
        g.issued_at,
        action,
        &g.jti,
        json!({
            "role": g.role,
            "agent": g.agent,
            "principal_bound": g.principal.is_some(),
            "limits": g.limits,
            "parent": g.parent,
            "expires_at": rfc3339(g.expires_at),
        }),
    );
    record.principal = g.principal.as_ref().map(|p| p.as_str().to_owned());
    record.subjects.extend(g.parent.clone());
    record
}

/// `token.revoked`: why, and whose token it was.
pub(crate) fn grant_revoked(
    g: &GrantRecord,
    reason: &str,
    by: &Actor,
    at: OffsetDateTime,
) -> Record {
    by_actor(
        by,
        at,
        "token.revoked",
        &g.jti,
        json!({"reason": reason, "agent": g.agent, "parent": g.parent}),
    )
}

/// `stock.set`: a SKU's units on hand set by an operator.
pub(crate) fn stock_set(
    sku: &Sku,
    from: Option<u32>,
    to: u32,
    by: &Actor,
    at: OffsetDateTime,
) -> Record {
    by_actor(
        by,
        at,
        "stock.set",
        sku.as_str(),
        json!({"from": from, "to": to}),
    )
}

/// `privacy.erased`: a principal's personal data erased — how much, by whom (the pseudonym is
/// the entry's principal and subject; no personal data).
pub(crate) fn privacy_erased(
    principal: &b2a_model::Principal,
    erased: &crate::Erasure,
    by: &Actor,
    at: OffsetDateTime,
) -> Record {
    let mut record = by_actor(
        by,
        at,
        "privacy.erased",
        principal.as_str(),
        json!({"vault_records": erased.vault_records, "key_destroyed": erased.key_destroyed}),
    );
    record.principal = Some(principal.as_str().to_owned());
    record
}

/// `privacy.purged`: an order's personal data deleted at the end of its retention period.
pub(crate) fn privacy_purged(
    order: &str,
    closed_before: OffsetDateTime,
    by: &Actor,
    at: OffsetDateTime,
) -> Record {
    by_actor(
        by,
        at,
        "privacy.purged",
        order,
        json!({"reason": "retention", "closed_before": rfc3339(closed_before)}),
    )
}
