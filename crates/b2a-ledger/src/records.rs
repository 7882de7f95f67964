//! The audit records of ledger writes. Payloads hold facts of the decision, never personal data;
//! the person appears only as the pseudonym of the principal.

use b2a_audit::entry::Record;
use b2a_model::{AgentId, Order, OrderStatus, Quote, QuoteLine, Sku};

use crate::{OrderChange, Revision, StoredPolicy};
use serde_json::{Value, json};
use time::OffsetDateTime;

use crate::audit::rfc3339;
use crate::{Actor, AgentRecord, AgentStatus, GrantRecord};

/// What a line bought at what price.
fn bought(l: &QuoteLine) -> Value {
    json!({
        "sku": l.sku,
        "quantity": l.quantity,
        "unit_price": l.unit_price,
        "line_total": l.line_total,
    })
}

/// A quote version's lines, each with its list price, adjustments and their reasons.
fn lines(lines: &[QuoteLine]) -> Value {
    lines
        .iter()
        .map(|l| {
            let mut line = bought(l);
            line["list_price"] = json!(l.list_price);
            line["adjustments"] = json!(l.adjustments);
            line
        })
        .collect()
}

/// An order's lines: what it bought at what price. How each price came about (the list price,
/// every adjustment and its reason) is in the `quote.accepted` entry of the quote and round the
/// order names, which the order's trail holds.
fn ordered_lines(lines: &[QuoteLine]) -> Value {
    lines.iter().map(bought).collect()
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
    payload: Value,
) -> Record {
    Record {
        at: rfc3339(at),
        actor: format!("agent:{}", q.agent),
        credential: credential.to_owned(),
        principal: q.principal.as_ref().map(|p| p.as_str().to_owned()),
        action: action.into(),
        subjects: vec![q.id.to_string()],
        payload,
        commitments: Default::default(),
    }
}

/// `quote.created`: the first version, as priced and signed.
pub fn quote_created(q: &Quote, credential: &str) -> Record {
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
pub(crate) fn quote_countered(current: &Quote, rev: &Revision) -> Record {
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
pub(crate) fn quote_accepted(q: &Quote, credential: &str, at: OffsetDateTime) -> Record {
    by_agent(q, credential, at, "quote.accepted", version_details(q))
}

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

/// `order.placed`: the order, the quote (and round) it came from and its status; its subjects are the order,
/// the quote and every token of the chain it was charged to (`grants`, the token's own first);
/// `commitments` are the salted commitments of its fulfilment details.
pub fn order_placed<'g>(
    o: &Order,
    credential: &str,
    grants: impl IntoIterator<Item = &'g str>,
    commitments: std::collections::BTreeMap<String, String>,
) -> Record {
    let mut subjects = vec![o.id.to_string(), o.quote_id.to_string()];
    subjects.extend(grants.into_iter().map(str::to_owned));
    Record {
        at: rfc3339(o.created_at),
        actor: format!("agent:{}", o.agent),
        credential: credential.to_owned(),
        principal: o.principal.as_ref().map(|p| p.as_str().to_owned()),
        action: "order.placed".into(),
        subjects,
        commitments,
        payload: json!({
            "quote_id": o.quote_id,
            "quote_round": o.quote_round,
            "status": o.status,
            "status_reason": o.status_reason,
            "fulfilment_ref": o.fulfilment_ref,
            "lines": ordered_lines(&o.lines),
            "total": o.total,
            "agent_initiated": o.agent_initiated,
        }),
    }
}

/// A record of `by` acting on `subject`.
fn by_actor(by: &Actor, at: OffsetDateTime, action: &str, subject: &str, payload: Value) -> Record {
    Record {
        at: rfc3339(at),
        actor: by.name.clone(),
        credential: by.credential.clone(),
        principal: None,
        action: action.into(),
        subjects: vec![subject.into()],
        payload,
        commitments: Default::default(),
    }
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

/// `order.<transition>` (`order.approve`, `order.cancel`, ...): the order's move, who made it and
/// why.
pub(crate) fn order_changed(o: &Order, from: OrderStatus, change: &OrderChange) -> Record {
    let mut record = by_actor(
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
    );
    record.principal = o.principal.as_ref().map(|p| p.as_str().to_owned());
    record.subjects.push(o.quote_id.to_string());
    record
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
