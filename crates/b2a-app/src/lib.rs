//! The application layer: the operations an agent, operator or auditor performs, composed from
//! the catalog graph, the pricing engine and the ledger. Every binding (REST today, MCP next)
//! calls these and nothing below them.
//!
//! No HTTP here: callers pass typed values and get typed values or a [`ShopError`]. Blocking
//! graph calls run on tokio's blocking pool.

mod audit;
mod catalog;
pub mod demo;
mod governance;
mod offers;
mod orders;
mod privacy;
mod shop;

pub use audit::{AuditLog, ConsistencyProof, EntryPage, InclusionProof};
pub use catalog::VersionInfo;
pub use governance::{
    Governance, GovernanceError, SNAPSHOT_MAX_AGE, STAMP_INTERVAL, TokenStatus, grant_of,
};
pub use offers::{
    CounterOutcome, PublishedPolicy, QUOTE_SIGNATURE_TYPE, QuoteHistory, load_policy, parse_policy,
};
pub use orders::{OrderPage, OrderRules};
pub use shop::{Caller, Shop, ShopError};
