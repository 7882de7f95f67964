use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::{
    Adjustment, AgentId, CountryCode, Delivery, ModelError, Money, NegotiationState, OrderId,
    Principal, QuoteId, QuoteSignature, QuoteStatus, Sku, Speed,
};

/// How many units of one SKU a line asks for: 1 to [`Quantity::MAX`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "i64", into = "u32")]
pub struct Quantity(u32);

impl Quantity {
    /// The largest quantity of one line.
    pub const MAX: u32 = 999;

    /// Checks the bounds.
    pub fn new(n: i64) -> Result<Self, ModelError> {
        match u32::try_from(n) {
            Ok(q) if (1..=Self::MAX).contains(&q) => Ok(Self(q)),
            _ => Err(ModelError::invalid(
                "quantity",
                format!("{n} is outside 1..={}", Self::MAX),
            )),
        }
    }

    /// The count.
    pub fn get(self) -> u32 {
        self.0
    }
}

impl TryFrom<i64> for Quantity {
    type Error = ModelError;
    fn try_from(n: i64) -> Result<Self, ModelError> {
        Self::new(n)
    }
}

impl From<Quantity> for u32 {
    fn from(q: Quantity) -> u32 {
        q.0
    }
}

/// Offer availability, as schema.org's `ItemAvailability`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Availability {
    /// `https://schema.org/InStock`
    InStock,
    /// `https://schema.org/OutOfStock`
    OutOfStock,
    /// `https://schema.org/PreOrder`
    PreOrder,
    /// `https://schema.org/BackOrder`
    BackOrder,
    /// `https://schema.org/LimitedAvailability`
    LimitedAvailability,
    /// `https://schema.org/Discontinued`
    Discontinued,
}

impl Availability {
    /// Every value, in declaration order.
    pub const ALL: [Availability; 6] = [
        Availability::InStock,
        Availability::OutOfStock,
        Availability::PreOrder,
        Availability::BackOrder,
        Availability::LimitedAvailability,
        Availability::Discontinued,
    ];

    /// The schema.org local name, e.g. `InStock`.
    pub fn as_str(self) -> &'static str {
        match self {
            Availability::InStock => "InStock",
            Availability::OutOfStock => "OutOfStock",
            Availability::PreOrder => "PreOrder",
            Availability::BackOrder => "BackOrder",
            Availability::LimitedAvailability => "LimitedAvailability",
            Availability::Discontinued => "Discontinued",
        }
    }

    /// Reads a schema.org IRI or local name.
    pub fn from_schema_org(text: &str) -> Option<Self> {
        let local = text
            .strip_prefix("https://schema.org/")
            .or_else(|| text.strip_prefix("http://schema.org/"))
            .unwrap_or(text);
        Self::ALL.into_iter().find(|a| a.as_str() == local)
    }

    /// Whether an order may be placed for it.
    pub fn is_orderable(self) -> bool {
        matches!(
            self,
            Availability::InStock | Availability::LimitedAvailability | Availability::BackOrder
        )
    }
}

/// One line an agent asks a quote for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestedLine {
    /// What.
    pub sku: Sku,
    /// How many.
    pub quantity: Quantity,
}

/// What an agent asks a quote for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuoteRequest {
    /// The lines, at least one, each SKU at most once.
    pub lines: Vec<RequestedLine>,
    /// Destination country.
    pub ship_to: CountryCode,
    /// The delivery service asked for; when absent, the cheapest that meets `deliver_by`.
    pub speed: Option<Speed>,
    /// The latest acceptable delivery date.
    pub deliver_by: Option<time::Date>,
    /// A total the agent hopes for: answered at once as a first counter-offer.
    pub target: Option<Money>,
}

/// A priced line of a quote or an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "StoredLine")]
pub struct QuoteLine {
    /// What.
    pub sku: Sku,
    /// The product's name at quote time.
    pub name: String,
    /// How many.
    pub quantity: Quantity,
    /// The catalog's list price of one unit.
    pub list_price: Money,
    /// The price of one unit: the list price plus every adjustment.
    pub unit_price: Money,
    /// Each change from the list price to the unit price, in the order applied.
    pub adjustments: Vec<Adjustment>,
    /// `unit_price × quantity`.
    pub line_total: Money,
}

/// A line as stored before adjustments existed (list price = unit price) or after.
#[derive(Deserialize)]
struct StoredLine {
    sku: Sku,
    name: String,
    quantity: Quantity,
    list_price: Option<Money>,
    unit_price: Money,
    #[serde(default)]
    adjustments: Vec<Adjustment>,
    line_total: Money,
}

impl From<StoredLine> for QuoteLine {
    fn from(l: StoredLine) -> Self {
        QuoteLine {
            sku: l.sku,
            name: l.name,
            quantity: l.quantity,
            list_price: l.list_price.unwrap_or(l.unit_price),
            unit_price: l.unit_price,
            adjustments: l.adjustments,
            line_total: l.line_total,
        }
    }
}

/// A priced, explained, signed and time-limited offer made to one agent: one version of it.
///
/// Every counter-offer the brand answers with new prices makes a new version (`round` + 1)
/// under the same id; the earlier versions stay readable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quote {
    /// Identifier, the same for every version.
    pub id: QuoteId,
    /// The version: 0 for the first offer, one more for each answer with new prices.
    pub round: u32,
    /// Where it stands.
    pub status: QuoteStatus,
    /// The agent it was made to; no other agent can read or order it.
    pub agent: AgentId,
    /// The person the agent acts for, if the token named one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub principal: Option<Principal>,
    /// Priced lines.
    pub lines: Vec<QuoteLine>,
    /// Destination country.
    pub ship_to: CountryCode,
    /// The delivery included.
    pub delivery: Delivery,
    /// Sum of the line totals.
    pub subtotal: Money,
    /// `subtotal` + the delivery's price: what an order of this quote costs.
    pub total: Money,
    /// Whether the prices include VAT.
    pub vat_included: bool,
    /// The version of the pricing policy that priced it.
    pub policy_version: u64,
    /// Where its negotiation stands.
    pub negotiation: NegotiationState,
    /// When this version was made.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// From this instant on it can no longer be accepted or ordered.
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
    /// The brand's signature over this version; absent only before signing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<QuoteSignature>,
}

impl Quote {
    /// The JSON members the signature covers: every member but `signature` (and `history`,
    /// which a response may add beside a quote).
    pub fn signed_payload(&self) -> serde_json::Value {
        let mut value = serde_json::to_value(self).unwrap_or(serde_json::Value::Null);
        if let Some(map) = value.as_object_mut() {
            map.remove("signature");
            map.remove("history");
        }
        value
    }
}

/// Where an order stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    /// Accepted; stock is reserved.
    Confirmed,
    /// Held for a person at the brand to approve.
    PendingApproval,
    /// Cancelled; stock and budget are released.
    Cancelled,
}

impl OrderStatus {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::Confirmed => "confirmed",
            OrderStatus::PendingApproval => "pending_approval",
            OrderStatus::Cancelled => "cancelled",
        }
    }
}

/// One ordered line: the quote line it came from.
pub type OrderLine = QuoteLine;

/// An order placed by an agent from one of its quotes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Order {
    /// Identifier.
    pub id: OrderId,
    /// Where it stands.
    pub status: OrderStatus,
    /// The quote it was placed from.
    pub quote_id: QuoteId,
    /// The version of that quote that was accepted.
    #[serde(default)]
    pub quote_round: u32,
    /// The agent that placed it.
    pub agent: AgentId,
    /// Always true: a machine placed this order, and anything a person later sees says so.
    pub agent_initiated: bool,
    /// The person the agent acts for, if the token named one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub principal: Option<Principal>,
    /// Lines as quoted.
    pub lines: Vec<OrderLine>,
    /// Destination country.
    pub ship_to: CountryCode,
    /// The delivery as quoted (absent on orders placed before quotes included one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery: Option<Delivery>,
    /// Total as quoted, delivery included.
    pub total: Money,
    /// When it was placed.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

impl Order {
    /// The confirmed order an agent places from its quote at `now`.
    pub fn from_quote(quote: Quote, id: OrderId, now: OffsetDateTime) -> Self {
        Order {
            id,
            status: OrderStatus::Confirmed,
            quote_id: quote.id,
            quote_round: quote.round,
            agent: quote.agent,
            agent_initiated: true,
            principal: quote.principal,
            lines: quote.lines,
            ship_to: quote.ship_to,
            delivery: Some(quote.delivery),
            total: quote.total,
            created_at: now,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities_are_bounded() {
        assert!(Quantity::new(0).is_err());
        assert!(Quantity::new(-1).is_err());
        assert!(Quantity::new(1000).is_err());
        assert_eq!(Quantity::new(999).map(Quantity::get), Ok(999));
    }

    #[test]
    fn availability_reads_schema_org_iris() {
        assert_eq!(
            Availability::from_schema_org("https://schema.org/OutOfStock"),
            Some(Availability::OutOfStock)
        );
        assert_eq!(
            Availability::from_schema_org("InStock"),
            Some(Availability::InStock)
        );
        assert_eq!(
            Availability::from_schema_org("https://schema.org/Sold"),
            None
        );
        assert!(!Availability::OutOfStock.is_orderable());
    }
}
