//! The rules that decide a quote's and an order's fate, without storage.
//!
//! - [`admission`]: the limits of every grant of a token's chain an order must pass;
//! - [`holds`]: the risk rules that hold an order for a person's approval;
//! - [`placing`]: a batch of orders decided in memory, in turn, from the rows its transaction
//!   read ([`placing::Snapshot`]): what each order answers, and what the store writes;
//! - [`lifecycle`]: an order's transitions after placement;
//! - [`offers`]: what a counter-offer or an acceptance does to a quote's current version;
//! - [`records`]: the audit records of quotes and orders;
//! - [`LedgerError`]: why a ledger operation failed (these rules' refusals, and a store's
//!   failures).
//!
//! No I/O: every function takes values and returns values, so the ledger's backends (SQLite,
//! PostgreSQL) run the same decisions, and these rules are tested without a database.
//!
//! ```
//! use b2a_orders::placing::{PlaceOrder, Snapshot, decide};
//! use b2a_orders::{GrantRecord, GrantState, RiskRules};
//! use b2a_model::{
//!     AgentId, CountryCode, Currency, Delivery, Limits, Money, NegotiationState, OrderStatus,
//!     Quantity, Quote, QuoteId, QuoteLine, QuoteStatus, Role, Sku, Speed,
//! };
//! use time::macros::datetime;
//!
//! let now = datetime!(2026-11-21 08:05 UTC);
//! let agent = AgentId::parse("shopper-1")?;
//! let price = Money::new(4_500, Currency::EUR);
//! let quote = Quote {
//!     id: QuoteId::generate(),
//!     round: 0,
//!     status: QuoteStatus::Accepted,
//!     agent: agent.clone(),
//!     principal: None,
//!     lines: vec![QuoteLine {
//!         sku: Sku::parse("VC-BOOT-42")?,
//!         name: "Boot".into(),
//!         quantity: Quantity::new(2)?,
//!         list_price: price,
//!         unit_price: price,
//!         adjustments: Vec::new(),
//!         line_total: price.checked_mul(2)?,
//!     }],
//!     ship_to: CountryCode::parse("FR")?,
//!     delivery: Delivery {
//!         zone: "fr".into(),
//!         speed: Speed::Standard,
//!         days: 3,
//!         price: Money::zero(Currency::EUR),
//!         reason: "Free standard delivery".into(),
//!     },
//!     subtotal: price.checked_mul(2)?,
//!     total: price.checked_mul(2)?,
//!     vat_included: true,
//!     policy_version: 0,
//!     negotiation: NegotiationState { max_rounds: 0, target: None, answer: None, reason: None },
//!     created_at: datetime!(2026-11-21 08:00 UTC),
//!     expires_at: datetime!(2026-11-21 08:15 UTC),
//!     signature: None,
//! };
//! // A token that may spend 100.00 EUR in all.
//! let grant = GrantRecord {
//!     jti: "jti-1".into(),
//!     parent: None,
//!     agent: agent.clone(),
//!     role: Role::Agent,
//!     principal: None,
//!     limits: Limits { currency: Some(Currency::EUR), total: Some(10_000), ..Limits::default() },
//!     issued_at: datetime!(2026-11-21 07:00 UTC),
//!     expires_at: datetime!(2026-11-22 07:00 UTC),
//! };
//! let mut rows = Snapshot::default();
//! rows.quotes.insert(quote.id.to_string(), (quote.clone(), None));
//! rows.grants.insert(
//!     grant.jti.clone(),
//!     GrantState { grant: grant.clone(), revoked_at: None, spent: 0, orders_last_24h: 0 },
//! );
//! rows.stock.insert("VC-BOOT-42".into(), 3);
//! let order = |key: &str| PlaceOrder {
//!     quote_id: quote.id.clone(),
//!     agent: agent.clone(),
//!     credential: "jti-1".into(),
//!     grant: grant.clone(),
//!     idempotency_key: key.into(),
//!     fingerprint: "sha256:…".into(),
//!     now,
//!     risk: RiskRules::default(),
//!     fulfilment: None,
//!     commitments: Default::default(),
//! };
//! let (first, retry, other) = (order("k1"), order("k1"), order("k2"));
//! let outcome = decide(&[&first, &retry, &other], rows);
//! let placed = outcome.answers[0].as_ref().expect("placed");
//! assert_eq!(placed.order.status, OrderStatus::Confirmed);
//! // The same key again replays the same order; another key finds the quote ordered.
//! assert!(outcome.answers[1].as_ref().is_ok_and(|r| r.replayed && r.order.id == placed.order.id));
//! assert!(outcome.answers[2].is_err());
//! assert_eq!(outcome.placed.len(), 1);
//! assert_eq!(outcome.totals().taken, vec![("VC-BOOT-42", 2)]);
//! # Ok::<_, Box<dyn std::error::Error>>(())
//! ```

pub mod admission;
mod error;
#[cfg(test)]
mod fixtures;
mod grants;
pub mod holds;
pub mod lifecycle;
pub mod offers;
pub mod placing;
pub mod records;

pub use error::{LedgerError, corrupt};
pub use grants::{Actor, GrantRecord, GrantState};
pub use holds::RiskRules;
pub use lifecycle::{OrderChange, OrderEvent};
pub use offers::{Acceptance, NewQuote, Revision};
pub use placing::{PlaceOrder, Placed};
