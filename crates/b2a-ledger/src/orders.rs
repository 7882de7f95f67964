//! How the ledger reads an order's stored status and transitions.

use b2a_model::{OrderStatus, Transition};
use b2a_orders::lifecycle::CLOSED;

use crate::LedgerError;

/// The statuses after which an order's personal data is kept only for the retention period.
pub(crate) fn closed_statuses() -> Vec<&'static str> {
    CLOSED.map(OrderStatus::as_str).to_vec()
}

/// A stored order status.
pub(crate) fn status_from(text: &str) -> Result<OrderStatus, LedgerError> {
    OrderStatus::from_wire(text)
        .ok_or_else(|| LedgerError::Corrupt(format!("unknown order status {text}")))
}

/// A stored transition.
pub(crate) fn transition_from(text: &str) -> Result<Transition, LedgerError> {
    Transition::from_wire(text)
        .ok_or_else(|| LedgerError::Corrupt(format!("unknown transition {text}")))
}
