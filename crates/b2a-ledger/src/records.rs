//! The audit records of ledger writes. Details hold facts of the decision, never personal data.

use b2a_audit::AuditRecord;
use b2a_model::{Order, Quote, QuoteLine};
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

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
