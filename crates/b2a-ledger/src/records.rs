//! The audit records of ledger writes. Details hold facts of the decision, never personal data.

use b2a_audit::AuditRecord;
use b2a_model::{AgentId, Order, OrderStatus, Quote, QuoteLine, Sku};

use crate::{OrderChange, Revision, StoredPolicy};
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
        .map(|l| {
            json!({
                "sku": l.sku,
                "quantity": l.quantity,
                "list_price": l.list_price,
                "unit_price": l.unit_price,
                "adjustments": l.adjustments,
                "line_total": l.line_total,
            })
        })
        .collect()
}

/// What an audit entry says of one version of a quote: every line with each adjustment and its
/// reason, the delivery, the totals, the policy version, the negotiation state and the
/// signature — enough to check the signed quote the agent holds against the log.
fn version_details(q: &Quote) -> Value {
    json!({
        "round": q.round,
        "status": q.status,
        "lines": lines(&q.lines),
        "delivery": q.delivery,
        "subtotal": q.subtotal,
        "total": q.total,
        "ship_to": q.ship_to,
        "policy_version": q.policy_version,
        "negotiation": q.negotiation,
        "expires_at": rfc3339(q.expires_at),
        "signature": q.signature,
    })
}

fn by_agent(
    q: &Quote,
    credential: &str,
    at: OffsetDateTime,
    action: &str,
    details: Value,
) -> AuditRecord {
    AuditRecord {
        at: rfc3339(at),
        actor: format!("agent:{}", q.agent),
        credential: credential.to_owned(),
        action: action.into(),
        subject: q.id.to_string(),
        details,
    }
}

/// `quote.created`: the first version, as priced and signed.
pub fn quote_created(q: &Quote, credential: &str) -> AuditRecord {
    by_agent(
        q,
        credential,
        q.created_at,
        "quote.created",
        version_details(q),
    )
}

/// `quote.countered`: the agent's target and the brand's answer with its reason, and the new
/// version when the answer made one.
pub(crate) fn quote_countered(current: &Quote, rev: &Revision) -> AuditRecord {
    by_agent(
        current,
        &rev.credential,
        rev.now,
        "quote.countered",
        json!({
            "from_round": rev.from_round,
            "target": rev.target,
            "answer": rev.answer,
            "reason": rev.reason,
            "version": rev.new_version.as_ref().map(version_details),
        }),
    )
}

/// `quote.accepted`: the version the brand is now bound to, signed again.
pub(crate) fn quote_accepted(q: &Quote, credential: &str, at: OffsetDateTime) -> AuditRecord {
    by_agent(q, credential, at, "quote.accepted", version_details(q))
}

/// `pricing_policy.changed`: the new version, whole (auditors review the rules that price).
pub(crate) fn policy_changed(p: &StoredPolicy, by: &Actor) -> AuditRecord {
    by_actor(
        by,
        p.loaded_at,
        "pricing_policy.changed",
        &format!("pricing-policy/v{}", p.version),
        json!({"version": p.version, "policy": p.body}),
    )
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
            "quote_round": o.quote_round,
            "status": o.status,
            "status_reason": o.status_reason,
            "fulfilment_ref": o.fulfilment_ref,
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

/// `order.<transition>` (`order.approve`, `order.cancel`, ...): the order's move, who made it and
/// why.
pub(crate) fn order_changed(o: &Order, from: OrderStatus, change: &OrderChange) -> AuditRecord {
    by_actor(
        &change.by,
        change.now,
        &format!("order.{}", change.transition.as_str()),
        o.id.as_str(),
        json!({
            "from": from,
            "to": o.status,
            "reason": change.reason,
            "agent": o.agent,
            "released": change.transition.releases(),
        }),
    )
}

/// `stock.set`: a SKU's units on hand set by an operator.
pub(crate) fn stock_set(
    sku: &Sku,
    from: Option<u32>,
    to: u32,
    by: &Actor,
    at: OffsetDateTime,
) -> AuditRecord {
    by_actor(
        by,
        at,
        "stock.set",
        sku.as_str(),
        json!({"from": from, "to": to}),
    )
}

/// The audit chain after its tip (sequence number and hash as stored), or from its genesis.
pub(crate) fn chain_after(
    tip: Option<(i64, &str)>,
) -> Result<b2a_audit::Chain, crate::LedgerError> {
    let corrupt = |e: String| crate::LedgerError::Corrupt(e);
    match tip {
        Some((seq, hash)) => b2a_audit::Chain::after(
            u64::try_from(seq).map_err(|e| corrupt(e.to_string()))?,
            hash,
        )
        .map_err(|e| corrupt(e.to_string())),
        None => Ok(b2a_audit::Chain::genesis()),
    }
}
