//! The audit records of quotes and orders. Payloads hold facts of the decision, never personal
//! data; the person appears only as the pseudonym of the principal.

use std::collections::BTreeMap;

use b2a_audit::entry::Record;
use b2a_model::{Order, OrderStatus, Quote, QuoteLine};
use serde_json::{Value, json};
use time::OffsetDateTime;

use crate::{Actor, OrderChange, Revision};

/// A time as entries store it: RFC 3339 in UTC.
pub fn rfc3339(t: OffsetDateTime) -> String {
    use time::format_description::well_known::Rfc3339;
    t.to_offset(time::UtcOffset::UTC)
        .format(&Rfc3339)
        .unwrap_or_else(|_| t.unix_timestamp().to_string())
}

/// A record of `by` acting on `subject` (no principal, no commitments).
pub fn by_actor(
    by: &Actor,
    at: OffsetDateTime,
    action: &str,
    subject: &str,
    payload: Value,
) -> Record {
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
pub fn quote_countered(current: &Quote, rev: &Revision) -> Record {
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
pub fn quote_accepted(q: &Quote, credential: &str, at: OffsetDateTime) -> Record {
    by_agent(q, credential, at, "quote.accepted", version_details(q))
}

/// `order.placed`: the order, the quote (and round) it came from and its status; its subjects
/// are the order, the quote and every token of the chain it was charged to (`grants`, the
/// token's own first); `commitments` are the salted commitments of its fulfilment details.
pub fn order_placed<'g>(
    o: &Order,
    credential: &str,
    grants: impl IntoIterator<Item = &'g str>,
    commitments: BTreeMap<String, String>,
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

/// `order.<transition>` (`order.approve`, `order.cancel`, ...): the order's move, who made it and
/// why.
pub fn order_changed(o: &Order, from: OrderStatus, change: &OrderChange) -> Record {
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
