//! An order's life after placement: the transitions an agent or an operator makes, their
//! history, and which statuses close an order.

use b2a_audit::entry::Record;
use b2a_model::{AgentId, Order, OrderId, OrderStatus, Transition};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::records::order_changed;
use crate::{Actor, LedgerError};

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

/// An order moved by a change: what a store writes in the change's transaction.
#[derive(Debug, Clone)]
pub struct Moved {
    /// The order as it now is.
    pub order: Order,
    /// Whether its stock goes back on hand and its spend back to every grant of its chain.
    pub releases: bool,
    /// Its audit entry.
    pub record: Record,
}

impl OrderChange {
    /// Whether deciding it needs the time the order was delivered (a return's window).
    pub fn needs_delivery_time(&self) -> bool {
        self.transition == Transition::RequestReturn
    }

    /// Moves `order` (as stored) by this change: the transition must apply to its status, and
    /// a return must come within the window after `delivered_at` (the order's last delivery;
    /// its placement when none is recorded).
    pub fn apply(
        &self,
        mut order: Order,
        delivered_at: Option<OffsetDateTime>,
    ) -> Result<Moved, LedgerError> {
        let from = order.status;
        let to = self
            .transition
            .apply(from)
            .ok_or_else(|| LedgerError::InvalidTransition {
                order: order.id.clone(),
                from,
                transition: self.transition,
            })?;
        if self.needs_delivery_time() {
            let delivered = delivered_at.unwrap_or(order.created_at);
            if self.now > delivered + self.return_window {
                return Err(LedgerError::ReturnWindowClosed {
                    order: order.id,
                    days: self.return_window.whole_days(),
                });
            }
        }
        order.status = to;
        order.status_reason = self.reason.clone();
        order.updated_at = Some(self.now);
        let record = order_changed(&order, from, self);
        Ok(Moved {
            releases: self.transition.releases(),
            order,
            record,
        })
    }
}

/// The statuses after which an order's personal data is kept only for the retention period.
pub const CLOSED: [OrderStatus; 4] = [
    OrderStatus::Delivered,
    OrderStatus::Rejected,
    OrderStatus::Cancelled,
    OrderStatus::Refunded,
];

/// When `events` (an order's history, oldest first) last entered `delivered`.
pub fn delivered_at(events: &[OrderEvent]) -> Option<OffsetDateTime> {
    events
        .iter()
        .rev()
        .find(|e| e.status == OrderStatus::Delivered)
        .map(|e| e.at)
}

#[cfg(test)]
mod tests {
    use b2a_model::OrderId;
    use time::Duration;

    use super::*;
    use crate::fixtures::{NOW, agent, quote};

    fn order(status: OrderStatus) -> Order {
        Order {
            status,
            ..Order::from_quote(quote(0, &[(0, 1, 1_000)], false), OrderId::generate(), NOW)
        }
    }

    fn change(transition: Transition, at: OffsetDateTime) -> OrderChange {
        OrderChange {
            order_id: OrderId::generate(),
            agent: Some(agent(0)),
            transition,
            by: Actor {
                name: "agent:agent-0".into(),
                credential: "jti-0".into(),
            },
            reason: Some("changed my mind".into()),
            return_window: Duration::days(14),
            now: at,
        }
    }

    #[test]
    fn a_change_applies_exactly_where_the_lifecycle_allows() {
        for t in Transition::ALL {
            for from in OrderStatus::ALL {
                let moved = change(t, NOW).apply(order(from), Some(NOW));
                match t.apply(from) {
                    Some(to) => {
                        let moved = moved.expect("the transition applies");
                        assert_eq!(moved.order.status, to);
                        assert_eq!(moved.order.updated_at, Some(NOW));
                        assert_eq!(
                            moved.order.status_reason.as_deref(),
                            Some("changed my mind")
                        );
                        assert_eq!(moved.releases, t.releases());
                        assert_eq!(moved.record.action, format!("order.{}", t.as_str()));
                        assert_eq!(moved.record.payload["from"], from.as_str());
                    }
                    None => assert!(matches!(
                        moved,
                        Err(LedgerError::InvalidTransition { from: f, transition, .. }) if f == from && transition == t
                    )),
                }
            }
        }
    }

    #[test]
    fn a_return_comes_within_the_window_after_the_last_delivery() {
        let delivered = NOW - Duration::days(20);
        let events = [
            OrderEvent {
                seq: 1,
                status: OrderStatus::Confirmed,
                transition: None,
                actor: "agent:agent-0".into(),
                reason: None,
                at: NOW - Duration::days(30),
            },
            OrderEvent {
                seq: 2,
                status: OrderStatus::Delivered,
                transition: Some(Transition::Deliver),
                actor: "operator:op".into(),
                reason: None,
                at: delivered,
            },
        ];
        assert_eq!(delivered_at(&events), Some(delivered));
        let ret = change(Transition::RequestReturn, delivered + Duration::days(14));
        assert!(ret.needs_delivery_time());
        assert!(
            ret.apply(order(OrderStatus::Delivered), delivered_at(&events))
                .is_ok()
        );
        let late = change(Transition::RequestReturn, delivered + Duration::days(15));
        assert!(matches!(
            late.apply(order(OrderStatus::Delivered), delivered_at(&events)),
            Err(LedgerError::ReturnWindowClosed { days: 14, .. })
        ));
        // No delivery recorded: the window runs from the placement.
        let placed_long_ago = Order {
            created_at: NOW - Duration::days(30),
            ..order(OrderStatus::Delivered)
        };
        assert!(matches!(
            late.apply(placed_long_ago, None),
            Err(LedgerError::ReturnWindowClosed { .. })
        ));
    }
}
