//! What the ledger keeps about offers beyond the quote itself: the private negotiation bounds of
//! each quote, its earlier versions, the pricing signals the engine reads (stock, cost, demand,
//! recent prices), and the versions of the pricing policy.

use b2a_model::{AgentId, Answer, Money, OrderId, Quote, QuoteId, Sku};
use serde_json::Value;
use time::OffsetDateTime;

use crate::SkuCost;

/// The hour (since the Unix epoch) an instant falls in: demand and recent prices are kept in
/// hourly buckets, and a window starting at `since` counts the whole hour `since` falls in.
pub(crate) fn hour_of(at: OffsetDateTime) -> i64 {
    at.unix_timestamp().div_euclid(3600)
}

/// A new quote (round 0) and what the ledger keeps beside it.
#[derive(Debug, Clone, Copy)]
pub struct NewQuote<'a> {
    /// The signed quote.
    pub quote: &'a Quote,
    /// The brand-private negotiation bounds of the quote: stored, never served.
    pub bounds: &'a Value,
    /// The one-unit base price of each line's SKU, recorded for the daily-change guardrail, with
    /// the quantity asked for, recorded as demand.
    pub base_prices: &'a [(Sku, u32, Money)],
    /// The token it was asked with (`jti`), for the audit entry.
    pub credential: &'a str,
}

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

/// The brand's answer to a counter-offer, to record.
#[derive(Debug, Clone, PartialEq)]
pub struct Revision {
    /// The quote.
    pub quote_id: QuoteId,
    /// The agent countering; must be the agent the quote was made to.
    pub agent: AgentId,
    /// The token it acts with (`jti`).
    pub credential: String,
    /// The round the answer was computed from: if the quote has moved on since, nothing is
    /// written and [`crate::LedgerError::QuoteChanged`] is returned.
    pub from_round: u32,
    /// The counter-offer's target total.
    pub target: Money,
    /// The answer.
    pub answer: Answer,
    /// Why.
    pub reason: String,
    /// The new version (signed), when the answer makes one.
    pub new_version: Option<Quote>,
    /// Now.
    pub now: OffsetDateTime,
}

/// An agent's acceptance of the current version of its quote.
#[derive(Debug, Clone, PartialEq)]
pub struct Acceptance {
    /// The accepted version, status `accepted`, signed again.
    pub accepted: Quote,
    /// The token it acts with (`jti`).
    pub credential: String,
    /// Now.
    pub now: OffsetDateTime,
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
