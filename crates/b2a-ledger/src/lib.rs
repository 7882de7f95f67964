//! The ledger: everything that needs read-modify-write atomicity — stock, quotes, orders,
//! idempotency keys and the audit log — behind one [`Ledger`] trait.
//!
//! Backends: [`SqliteLedger`] (embedded, the default; WAL with `synchronous=FULL`, so an
//! acknowledged write survives `kill -9`) and [`PostgresLedger`] (one database shared by any
//! number of gateway replicas and the CLI; READ COMMITTED with explicit row and advisory locks).
//! Both pass the same conformance suite (`tests/it/conformance.rs`).
//!
//! Invariants every backend keeps:
//! - stock never goes below zero, under any concurrency;
//! - one order per quote, and one order per (agent, endpoint, idempotency key);
//! - every business write and its audit entry commit in one transaction;
//! - the orders under a grant and every token exchanged from it never spend more than the
//!   grant's `total`, nor place more than `max_orders_per_day` in 24 hours, under any
//!   concurrency; a revoked grant or a suspended agent places nothing.

mod audit;
mod codec;
mod context;
mod engine;
mod grants;
mod group_commit;
mod migrations;
mod offers;
mod postgres;
mod records;
mod roles;
mod sql;
mod sqlite;
mod store;

use b2a_model::{Money, Sku};

pub use audit::{AuditHead, AuditQuery, StoredEntry};
pub use b2a_orders::{
    Acceptance, Actor, GrantRecord, GrantState, LedgerError, NewQuote, OrderChange, OrderEvent,
    PlaceOrder, Placed, Revision, RiskRules,
};
pub use grants::{AgentRecord, AgentStatus, Refusal, TrustSnapshot};
pub use offers::{PricingSignals, QuoteRecord, StoredPolicy};
pub use postgres::{PostgresEngine, PostgresLedger};
pub use roles::{AuditStore, Inventory, Ledger, Offers, OrderBook, Policies, Registry, Vault};
pub use sqlite::{SqliteEngine, SqliteLedger};
pub use store::SqlLedger;

/// What erasing a principal removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Erasure {
    /// Vault rows deleted.
    pub vault_records: u64,
    /// Whether a vault key existed and was destroyed.
    pub key_destroyed: bool,
}

/// The cost and price floor of a SKU: brand-private, never served.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkuCost {
    /// What.
    pub sku: Sku,
    /// Unit cost.
    pub cost: Money,
    /// Lowest unit price the brand accepts.
    pub floor: Money,
}
