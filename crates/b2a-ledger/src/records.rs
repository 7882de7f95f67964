//! The audit records of ledger writes. Details hold facts of the decision, never personal data.

use b2a_audit::AuditRecord;
use b2a_model::{AgentId, Order, Quote, QuoteLine};
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::{Actor, AgentRecord, AgentStatus, GrantRecord};

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&Rfc3339)
        .unwrap_or_else(|_| t.unix_timestamp().to_string())
}

fn lines(lines: &[QuoteLine]) -> Value {
    lines
        .iter()
        .map(|l| json!({"sku": l.sku, "quantity": l.quantity, "unit_price": l.unit_price, "line_total": l.line_total}))
        .collect()
}

/// `quote.created`: who asked, the priced lines, the total and the expiry.
pub fn quote_created(q: &Quote, credential: &str) -> AuditRecord {
    AuditRecord {
        at: rfc3339(q.created_at),
        actor: format!("agent:{}", q.agent),
        credential: credential.to_owned(),
        action: "quote.created".into(),
        subject: q.id.to_string(),
        details: json!({
            "lines": lines(&q.lines),
            "total": q.total,
            "ship_to": q.ship_to,
            "expires_at": rfc3339(q.expires_at),
            "pricing": "list_price",
        }),
    }
}

/// `order.placed`: the order, the quote it came from and its status.
pub fn order_placed(o: &Order, credential: &str) -> AuditRecord {
    AuditRecord {
        at: rfc3339(o.created_at),
        actor: format!("agent:{}", o.agent),
        credential: credential.to_owned(),
        action: "order.placed".into(),
        subject: o.id.to_string(),
        details: json!({
            "quote_id": o.quote_id,
            "status": o.status,
            "lines": lines(&o.lines),
            "total": o.total,
            "agent_initiated": o.agent_initiated,
        }),
    }
}

/// A record of `by` acting on `subject`.
fn by_actor(
    by: &Actor,
    at: OffsetDateTime,
    action: &str,
    subject: &str,
    details: Value,
) -> AuditRecord {
    AuditRecord {
        at: rfc3339(at),
        actor: by.name.clone(),
        credential: by.credential.clone(),
        action: action.into(),
        subject: subject.into(),
        details,
    }
}

/// `agent.registered`: its name and how many keys it registered — never its contact, which is
/// personal data.
pub(crate) fn agent_registered(a: &AgentRecord, by: &Actor) -> AuditRecord {
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
) -> AuditRecord {
    let action = match status {
        AgentStatus::Active => "agent.reactivated",
        AgentStatus::Suspended => "agent.suspended",
    };
    by_actor(by, at, action, id.as_str(), json!({"status": status}))
}

/// `token.issued`, or `token.exchanged` when the token has a parent: its role, agent, principal,
/// limits, parent and expiry.
pub(crate) fn grant_recorded(g: &GrantRecord, by: &Actor) -> AuditRecord {
    let action = if g.parent.is_some() {
        "token.exchanged"
    } else {
        "token.issued"
    };
    by_actor(
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
    )
}

/// `token.revoked`: why, and whose token it was.
pub(crate) fn grant_revoked(
    g: &GrantRecord,
    reason: &str,
    by: &Actor,
    at: OffsetDateTime,
) -> AuditRecord {
    by_actor(
        by,
        at,
        "token.revoked",
        &g.jti,
        json!({"reason": reason, "agent": g.agent, "parent": g.parent}),
    )
}
