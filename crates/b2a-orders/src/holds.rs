//! Risk holds: the rules that make an order wait for a person's approval, with the reason.

use b2a_model::{Money, Order};

use crate::GrantState;
use crate::admission::saturating;

/// Risk rules: an order that trips one waits for a person's approval, with the reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RiskRules {
    /// Velocity: an agent's orders in the last hour, beyond which the next is held.
    pub max_orders_per_agent_per_hour: Option<u32>,
    /// Unusual quantity: a line of more units than this is held.
    pub max_line_quantity: Option<u32>,
}

/// The reason `order` is held for approval, if it is: above an `approval_above` of a grant of
/// its chain (the token's own first), or tripping a risk rule given the agent's orders of the
/// last hour.
pub fn hold_reason(
    chain: &[GrantState],
    order: &Order,
    risk: &RiskRules,
    agent_orders_last_hour: u32,
) -> Option<String> {
    let total = order.total;
    for link in chain {
        if let Some(above) = link.grant.limits.approval_above
            && u64::try_from(total.amount()).is_ok_and(|t| t > above)
        {
            let above = Money::new(saturating(above), total.currency());
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
