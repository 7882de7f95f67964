//! Domain types of b2a: money, identifiers, capabilities, quotes and orders.
//!
//! This crate does no I/O and knows nothing of HTTP, storage or JSON Schema. Every value type
//! here is valid by construction: parse at the edge, then pass typed values inward.
//!
//! ```
//! use b2a_model::{Currency, Money};
//!
//! let eur = Currency::parse("EUR")?;
//! let price = Money::parse_decimal("189.00", eur)?;
//! assert_eq!(price.amount(), 18_900);
//! assert_eq!(price.checked_mul(3)?.amount(), 56_700);
//! # Ok::<_, b2a_model::ModelError>(())
//! ```

mod auth;
mod commerce;
mod error;
mod grant;
mod gtin;
mod ids;
mod money;
mod offer;

pub use auth::{Capability, Role};
pub use commerce::{
    Availability, Order, OrderLine, OrderStatus, Quantity, Quote, QuoteLine, QuoteRequest,
    RequestedLine, Transition,
};
pub use error::ModelError;
pub use grant::{
    Confirmation, Consent, GrantViolation, LIMIT_NAMES, Limits, check_capabilities_within,
};
pub use gtin::Gtin;
pub use ids::{AgentId, CountryCode, IdempotencyKey, OrderId, Principal, ProductId, QuoteId, Sku};
pub use money::{Currency, Money};
pub use offer::{
    Adjustment, AdjustmentKind, Answer, Delivery, NegotiationState, QuoteSignature, QuoteStatus,
    Speed,
};
