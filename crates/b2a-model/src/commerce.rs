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
///
/// ```text
/// pending_approval ──approve──▶ confirmed ──ship──▶ shipped ──deliver──▶ delivered
///        │                          │                                      │
///      reject                    cancel (agent, before shipment)     return (agent, in the window)
///        ▼                          ▼                                      ▼
///     rejected                  cancelled                          return_requested ──refund──▶ refunded
/// ```
/// (`cancel` also applies to `pending_approval`.)
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    /// Held for a person at the brand to approve; stock and budget are reserved.
    PendingApproval,
    /// Accepted; stock and budget are reserved.
    Confirmed,
    /// Refused by the brand's operator; stock and budget are released.
    Rejected,
    /// Cancelled by the agent before shipment; stock and budget are released.
    Cancelled,
    /// On its way.
    Shipped,
    /// Delivered.
    Delivered,
    /// The agent asked to return it.
    ReturnRequested,
    /// Returned and refunded: the stock is back and the budget credited.
    Refunded,
}

impl OrderStatus {
    /// Every status, in lifecycle order.
    pub const ALL: [OrderStatus; 8] = [
        OrderStatus::PendingApproval,
        OrderStatus::Confirmed,
        OrderStatus::Rejected,
        OrderStatus::Cancelled,
        OrderStatus::Shipped,
        OrderStatus::Delivered,
        OrderStatus::ReturnRequested,
        OrderStatus::Refunded,
    ];

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::PendingApproval => "pending_approval",
            OrderStatus::Confirmed => "confirmed",
            OrderStatus::Rejected => "rejected",
            OrderStatus::Cancelled => "cancelled",
            OrderStatus::Shipped => "shipped",
            OrderStatus::Delivered => "delivered",
            OrderStatus::ReturnRequested => "return_requested",
            OrderStatus::Refunded => "refunded",
        }
    }

    /// The status of a wire name.
    pub fn from_wire(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// Whether nothing can happen to the order any more.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            OrderStatus::Rejected | OrderStatus::Cancelled | OrderStatus::Refunded
        )
    }
}

/// Something that moves an order from one status to another.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Transition {
    /// An operator approves an order held for approval.
    Approve,
    /// An operator rejects an order held for approval.
    Reject,
    /// The agent cancels its order before shipment.
    Cancel,
    /// An operator ships a confirmed order.
    Ship,
    /// An operator marks a shipped order delivered.
    Deliver,
    /// The agent asks to return a delivered order, within the return window.
    RequestReturn,
    /// An operator refunds a returned order.
    Refund,
}

impl Transition {
    /// Every transition, in lifecycle order.
    pub const ALL: [Transition; 7] = [
        Transition::Approve,
        Transition::Reject,
        Transition::Cancel,
        Transition::Ship,
        Transition::Deliver,
        Transition::RequestReturn,
        Transition::Refund,
    ];

    /// The transition of a wire name.
    pub fn from_wire(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == text)
    }

    /// The wire name (and the verb of its audit action, `order.<name>`).
    pub fn as_str(self) -> &'static str {
        match self {
            Transition::Approve => "approve",
            Transition::Reject => "reject",
            Transition::Cancel => "cancel",
            Transition::Ship => "ship",
            Transition::Deliver => "deliver",
            Transition::RequestReturn => "request_return",
            Transition::Refund => "refund",
        }
    }

    /// Whether the agent that placed the order makes it (the others are the operator's).
    pub fn by_agent(self) -> bool {
        matches!(self, Transition::Cancel | Transition::RequestReturn)
    }

    /// The status an order in `from` moves to, if this transition applies to it.
    pub fn apply(self, from: OrderStatus) -> Option<OrderStatus> {
        use OrderStatus as S;
        match (self, from) {
            (Transition::Approve, S::PendingApproval) => Some(S::Confirmed),
            (Transition::Reject, S::PendingApproval) => Some(S::Rejected),
            (Transition::Cancel, S::PendingApproval | S::Confirmed) => Some(S::Cancelled),
            (Transition::Ship, S::Confirmed) => Some(S::Shipped),
            (Transition::Deliver, S::Shipped) => Some(S::Delivered),
            (Transition::RequestReturn, S::Delivered) => Some(S::ReturnRequested),
            (Transition::Refund, S::ReturnRequested) => Some(S::Refunded),
            _ => None,
        }
    }

    /// Whether the order's stock goes back on hand and its spend back to its grants.
    pub fn releases(self) -> bool {
        matches!(
            self,
            Transition::Reject | Transition::Cancel | Transition::Refund
        )
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
    /// Why it stands there, when a rule or a person decided (held for approval, rejected, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_reason: Option<String>,
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
    /// The personal-data vault entry holding its fulfilment details (address, contact), if
    /// the agent gave them: the order only references it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fulfilment_ref: Option<String>,
    /// When it was placed.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// When its status last changed.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "time::serde::rfc3339::option"
    )]
    pub updated_at: Option<OffsetDateTime>,
}

impl Order {
    /// The confirmed order an agent places from its quote at `now`.
    pub fn from_quote(quote: Quote, id: OrderId, now: OffsetDateTime) -> Self {
        Order {
            id,
            status: OrderStatus::Confirmed,
            status_reason: None,
            quote_id: quote.id,
            quote_round: quote.round,
            agent: quote.agent,
            agent_initiated: true,
            principal: quote.principal,
            lines: quote.lines,
            ship_to: quote.ship_to,
            delivery: Some(quote.delivery),
            total: quote.total,
            fulfilment_ref: None,
            created_at: now,
            updated_at: None,
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
    fn transitions_follow_the_lifecycle() {
        use OrderStatus as S;
        let mut reachable = 0;
        for t in Transition::ALL {
            assert_eq!(Transition::from_wire(t.as_str()), Some(t));
            for from in S::ALL {
                if let Some(to) = t.apply(from) {
                    reachable += 1;
                    assert!(!from.is_final(), "{t:?} from final {from:?}");
                    assert_ne!(from, to);
                }
            }
        }
        assert_eq!(reachable, 8, "every arrow of the diagram, and no other");
        assert_eq!(
            Transition::Cancel.apply(S::Shipped),
            None,
            "no cancel after shipment"
        );
        assert_eq!(Transition::RequestReturn.apply(S::Shipped), None);
        assert!(Transition::Cancel.by_agent() && !Transition::Ship.by_agent());
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
