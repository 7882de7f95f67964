//! Orders after placement: the rules that hold an order for a person's approval, the lifecycle
//! transitions and their history, the personal-data vault the fulfilment details go to, and the
//! stock levels operators set.

use b2a_model::{AgentId, OrderId, OrderStatus, Transition};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::Actor;

/// Risk rules: an order that trips one waits for a person's approval, with the reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RiskRules {
    /// Velocity: an agent's orders in the last hour, beyond which the next is held.
    pub max_orders_per_agent_per_hour: Option<u32>,
    /// Unusual quantity: a line of more units than this is held.
    pub max_line_quantity: Option<u32>,
}

/// A change of an order's status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderChange {
    /// The order.
    pub order_id: OrderId,
    /// For an agent's transition, the agent: only its own orders are found. `None` for an
    /// operator.
    pub agent: Option<AgentId>,
    /// What happens.
    pub transition: Transition,
    /// Who does it, for the event and the audit entry.
    pub by: Actor,
    /// Why, as the actor says.
    pub reason: Option<String>,
    /// How long after delivery a return may be asked for.
    pub return_window: time::Duration,
    /// Now.
    pub now: OffsetDateTime,
}

/// One step of an order's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderEvent {
    /// 1 for the placement, then one more per change.
    pub seq: u32,
    /// The status it entered.
    pub status: OrderStatus,
    /// The transition that made it; absent for the placement.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transition: Option<Transition>,
    /// Who: `agent:<id>`, `operator:<id>`, ...
    pub actor: String,
    /// Why: the rule that held it, the operator's reason, the agent's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

/// The order `cmd` makes of `quote`: confirmed, or held for approval with its reason when a
/// grant of `chain` or a risk rule says so ([`hold_reason`]). The same for every backend.
pub(crate) fn new_order(
    quote: b2a_model::Quote,
    chain: &[crate::GrantState],
    cmd: &crate::PlaceOrder,
    agent_orders_last_hour: u32,
) -> b2a_model::Order {
    let mut order = b2a_model::Order::from_quote(quote, OrderId::generate(), cmd.now);
    if let Some(reason) = hold_reason(chain, &order, &cmd.risk, agent_orders_last_hour) {
        order.status = OrderStatus::PendingApproval;
        order.status_reason = Some(reason);
    }
    order
}

/// The reason an order of these lines and total is held for approval, if it is: above an
/// `approval_above` of its grants, or tripping a risk rule. The same for every backend.
fn hold_reason(
    chain: &[crate::GrantState],
    order: &b2a_model::Order,
    risk: &RiskRules,
    agent_orders_last_hour: u32,
) -> Option<String> {
    let total = order.total;
    for link in chain {
        if let Some(above) = link.grant.limits.approval_above
            && u64::try_from(total.amount()).is_ok_and(|t| t > above)
        {
            let above = b2a_model::Money::new(crate::enforce::saturating(above), total.currency());
            return Some(format!(
                "the total {total} is above the token's approval threshold of {above}: a person at the brand approves it"
            ));
        }
    }
    if let Some(max) = risk.max_orders_per_agent_per_hour
        && agent_orders_last_hour >= max
    {
        return Some(format!(
            "velocity: this agent placed {agent_orders_last_hour} orders in the last hour (review from {max})"
        ));
    }
    if let Some(max) = risk.max_line_quantity
        && let Some(line) = order.lines.iter().find(|l| l.quantity.get() > max)
    {
        return Some(format!(
            "unusual quantity: {} units of {} (review above {max})",
            line.quantity.get(),
            line.sku
        ));
    }
    None
}

/// The quote of `cmd`, stored as `body`, if it can become its order: not ordered yet (`ordered`
/// names the order it became), accepted, not expired. The same for every backend.
pub(crate) fn orderable_quote(
    cmd: &crate::PlaceOrder,
    body: &str,
    ordered: Option<OrderId>,
) -> Result<b2a_model::Quote, crate::LedgerError> {
    if let Some(order) = ordered {
        return Err(crate::LedgerError::QuoteAlreadyOrdered {
            quote: cmd.quote_id.clone(),
            order,
        });
    }
    let quote: b2a_model::Quote =
        serde_json::from_str(body).map_err(|e| crate::LedgerError::Corrupt(e.to_string()))?;
    if quote.expires_at <= cmd.now {
        return Err(crate::LedgerError::QuoteExpired(quote.id));
    }
    if quote.status != b2a_model::QuoteStatus::Accepted {
        return Err(crate::LedgerError::QuoteNotAccepted(quote.id));
    }
    Ok(quote)
}

/// The units each SKU of `quote` takes (a SKU on several lines counted once, in the order it
/// first appears).
pub(crate) fn units_by_sku(quote: &b2a_model::Quote) -> Vec<(&b2a_model::Sku, u32)> {
    let mut wanted: Vec<(&b2a_model::Sku, u32)> = Vec::new();
    for line in &quote.lines {
        match wanted.iter_mut().find(|(sku, _)| *sku == &line.sku) {
            Some((_, n)) => *n = n.saturating_add(line.quantity.get()),
            None => wanted.push((&line.sku, line.quantity.get())),
        }
    }
    wanted
}

/// Whether the stock covers `wanted` ([`units_by_sku`]), `on_hand` telling each SKU's level
/// (`None`: not stocked): the first SKU unknown or short is the error.
pub(crate) fn check_stock(
    wanted: &[(&b2a_model::Sku, u32)],
    on_hand: impl Fn(&b2a_model::Sku) -> Option<i64>,
) -> Result<(), crate::LedgerError> {
    for &(sku, requested) in wanted {
        match on_hand(sku) {
            None => return Err(crate::LedgerError::UnknownSku(sku.clone())),
            Some(n) if n < i64::from(requested) => {
                return Err(crate::LedgerError::InsufficientStock {
                    sku: sku.clone(),
                    available: u32::try_from(n)
                        .map_err(|e| crate::LedgerError::Corrupt(e.to_string()))?,
                    requested,
                });
            }
            Some(_) => {}
        }
    }
    Ok(())
}

/// The statuses after which an order's personal data is kept only for the retention period.
pub(crate) fn closed_statuses() -> Vec<&'static str> {
    [
        OrderStatus::Delivered,
        OrderStatus::Rejected,
        OrderStatus::Cancelled,
        OrderStatus::Refunded,
    ]
    .map(OrderStatus::as_str)
    .to_vec()
}

/// A new reference of fulfilment details in the vault.
pub(crate) fn new_vault_ref() -> String {
    format!("v_{}", uuid::Uuid::now_v7().simple())
}

/// A stored order status.
pub(crate) fn status_from(text: &str) -> Result<OrderStatus, crate::LedgerError> {
    OrderStatus::from_wire(text)
        .ok_or_else(|| crate::LedgerError::Corrupt(format!("unknown order status {text}")))
}

/// A stored transition.
pub(crate) fn transition_from(text: &str) -> Result<Transition, crate::LedgerError> {
    Transition::from_wire(text)
        .ok_or_else(|| crate::LedgerError::Corrupt(format!("unknown transition {text}")))
}
