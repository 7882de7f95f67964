//! What the ledger keeps about offers beyond the quote itself (the commands that write them are
//! `b2a_orders::offers`): the private negotiation bounds of
//! each quote, its earlier versions, the pricing signals the engine reads (stock, cost, demand,
//! recent prices), and the versions of the pricing policy.

use b2a_model::{Money, OrderId, Quote};
use serde_json::Value;
use time::OffsetDateTime;

use crate::SkuCost;

/// A quote as the ledger holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct QuoteRecord {
    /// The current version.
    pub current: Quote,
    /// The earlier versions, oldest first.
    pub history: Vec<Quote>,
    /// The private negotiation bounds.
    pub bounds: Value,
    /// The order placed on it, if any.
    pub order: Option<OrderId>,
}

/// What the pricing engine may know of a SKU from the ledger.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PricingSignals {
    /// Units on hand, if stocked.
    pub stock: Option<u32>,
    /// Brand-private cost and floor.
    pub cost: Option<SkuCost>,
    /// Units quoted (first versions only) and ordered since the demand window's start (counted
    /// in whole hours: from the start of the hour it falls in).
    pub demand: u32,
    /// The lowest and highest one-unit base price quoted since the price window's start (whole
    /// hours, likewise).
    pub recent_prices: Option<(Money, Money)>,
}

/// One version of the pricing policy.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredPolicy {
    /// 1, 2, ...
    pub version: u64,
    /// The policy as loaded (JSON).
    pub body: Value,
    /// When it was loaded.
    pub loaded_at: OffsetDateTime,
    /// Who loaded it.
    pub loaded_by: String,
}
