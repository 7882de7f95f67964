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
mod batch;
mod codec;
mod enforce;
mod grants;
mod group_commit;
mod migrations;
mod offers;
mod orders;
mod postgres;
mod records;
mod sqlite;

use async_trait::async_trait;
use b2a_audit::checkpoint::SignedCheckpoint;
use b2a_audit::entry::{Entry, Record};
use b2a_audit::merkle::{Hash, NodeId};
use b2a_model::{
    AgentId, Money, Order, OrderId, OrderStatus, Principal, Quote, QuoteId, Sku, Transition,
};

/// How an error names a transition: `approved`, `cancelled`, ...
fn verb(t: Transition) -> &'static str {
    match t {
        Transition::Approve => "approved",
        Transition::Reject => "rejected",
        Transition::Cancel => "cancelled",
        Transition::Ship => "shipped",
        Transition::Deliver => "delivered",
        Transition::RequestReturn => "returned",
        Transition::Refund => "refunded",
    }
}
use time::OffsetDateTime;

pub use audit::{AuditHead, AuditQuery, StoredEntry};
pub use grants::{
    Actor, AgentRecord, AgentStatus, GrantRecord, GrantState, Refusal, TrustSnapshot,
};
pub use offers::{Acceptance, NewQuote, PricingSignals, QuoteRecord, Revision, StoredPolicy};
pub use orders::{OrderChange, OrderEvent, RiskRules};
pub use postgres::PostgresLedger;
pub use records::{order_placed, quote_created};
pub use sqlite::SqliteLedger;

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

/// Everything the ledger needs to turn a quote into an order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlaceOrder {
    /// The quote to order.
    pub quote_id: QuoteId,
    /// The agent placing it; must be the agent the quote was made to.
    pub agent: AgentId,
    /// The token it acts with (`jti`), for the audit entry.
    pub credential: String,
    /// The grant of that token: its limits (and those of the grants it was exchanged from,
    /// found through `parent`) are enforced in the order's transaction. Recorded if the ledger
    /// does not know it yet (a token of a trusted external issuer).
    pub grant: GrantRecord,
    /// The client's `Idempotency-Key`.
    pub idempotency_key: String,
    /// A digest of the request body; the same key with another body is refused.
    pub fingerprint: String,
    /// Now, as the caller sees it (tests pass a fixed instant).
    pub now: OffsetDateTime,
    /// The rules that hold an order for a person's approval (with the grants' `approval_above`).
    pub risk: RiskRules,
    /// Fulfilment details (shipping address, contact): personal data, kept in the vault apart
    /// from the order, which only references them.
    pub fulfilment: Option<serde_json::Value>,
    /// Salted commitments of those details, by field, for the order's audit entry (never the
    /// values; `b2a_audit::entry::commit`).
    pub commitments: std::collections::BTreeMap<String, String>,
}

/// An order, and whether it was created now or replayed from an earlier request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placed {
    /// The order.
    pub order: Order,
    /// True when the idempotency key had already produced this order.
    pub replayed: bool,
}

/// Why a ledger operation failed.
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    /// No order with this id (for this agent, when an agent asks).
    #[error("order {0} not found")]
    OrderNotFound(OrderId),
    /// The order's status does not allow this transition.
    #[error("order {order} is {}: it cannot be {}", from.as_str(), verb(*transition))]
    InvalidTransition {
        /// The order.
        order: OrderId,
        /// Its status.
        from: OrderStatus,
        /// What was asked.
        transition: Transition,
    },
    /// A return was asked for after the return window closed.
    #[error("order {order} was delivered more than {days} days ago: the return window is closed")]
    ReturnWindowClosed {
        /// The order.
        order: OrderId,
        /// The window, in days.
        days: i64,
    },
    /// No quote with this id was made to this agent.
    #[error("quote {0} not found")]
    QuoteNotFound(QuoteId),
    /// The quote's expiry has passed.
    #[error("quote {0} has expired")]
    QuoteExpired(QuoteId),
    /// The quote was accepted: its price is bound and no longer negotiable.
    #[error("quote {0} was accepted and can no longer be countered")]
    QuoteAccepted(QuoteId),
    /// An order needs the quote accepted first.
    #[error("quote {0} has not been accepted; accept it before ordering")]
    QuoteNotAccepted(QuoteId),
    /// The quote moved on (another counter-offer or acceptance) since it was read.
    #[error("quote {quote} changed meanwhile; it is now at round {round}")]
    QuoteChanged {
        /// The quote.
        quote: QuoteId,
        /// Its current round.
        round: u32,
    },
    /// The quote already became an order.
    #[error("quote {quote} was already ordered as {order}")]
    QuoteAlreadyOrdered {
        /// The quote.
        quote: QuoteId,
        /// The order it became.
        order: OrderId,
    },
    /// Not enough units on hand.
    #[error("only {available} of {sku} in stock, {requested} requested")]
    InsufficientStock {
        /// What.
        sku: Sku,
        /// Units on hand.
        available: u32,
        /// Units asked for.
        requested: u32,
    },
    /// The ledger keeps no stock for this SKU.
    #[error("no stock is kept for {0}")]
    UnknownSku(Sku),
    /// The idempotency key was already used with another request body.
    #[error("idempotency key reused with a different request")]
    IdempotencyMismatch,
    /// Another request with the same idempotency key is still being processed (a concurrent
    /// retry): the client retries shortly and gets that request's order. Only [`PostgresLedger`]
    /// returns it, after waiting a few seconds for the other request; SQLite's single writer
    /// serializes the two requests, so [`SqliteLedger`] never does.
    #[error("a request with this idempotency key is still being processed; retry shortly")]
    IdempotencyInFlight,
    /// The token, or a token it was exchanged from, was revoked.
    #[error("token {0} has been revoked")]
    GrantRevoked(String),
    /// The agent is suspended.
    #[error("agent {0} is suspended")]
    AgentSuspended(AgentId),
    /// The order's total is above a grant's `per_order`.
    #[error("the order total {total} is above the token's per-order limit of {limit}")]
    PerOrderLimitExceeded {
        /// The limit.
        limit: Money,
        /// The order's total.
        total: Money,
    },
    /// The order would take a grant's spend above its `total`.
    #[error(
        "the order total {requested} is above what remains of the token's budget ({remaining} of {limit})"
    )]
    BudgetExceeded {
        /// The grant whose budget it would exceed.
        jti: String,
        /// Its total.
        limit: Money,
        /// What remains of it.
        remaining: Money,
        /// The order's total.
        requested: Money,
    },
    /// A grant already placed `max_orders_per_day` orders in the last 24 hours.
    #[error("the token's limit of {limit} orders in 24 hours is reached")]
    DailyOrderLimitReached {
        /// The limit.
        limit: u32,
    },
    /// The order is priced in another currency than a grant's limits.
    #[error("the order is priced in {order}, the token's limits are in {limit}")]
    LimitCurrencyMismatch {
        /// The limits' currency.
        limit: String,
        /// The order's currency.
        order: String,
    },
    /// No grant with this `jti`.
    #[error("no token {0} is known")]
    GrantNotFound(String),
    /// No registered agent with this id.
    #[error("no agent {0} is registered")]
    AgentNotFound(AgentId),
    /// An agent with this id is already registered.
    #[error("agent {0} is already registered")]
    AgentExists(AgentId),
    /// A stored row could not be read back.
    #[error("corrupt ledger row: {0}")]
    Corrupt(String),
    /// The database failed.
    #[error("ledger storage: {0}")]
    Storage(String),
}

/// The ledger: one trait, one conformance suite, several backends.
#[async_trait]
pub trait Ledger: Send + Sync + std::fmt::Debug {
    /// Sets the stock of SKUs that have none yet; returns how many rows were inserted.
    async fn seed_stock(&self, levels: &[(Sku, u32)]) -> Result<u64, LedgerError>;

    /// Records private costs and floors (insert or replace).
    async fn seed_costs(&self, costs: &[SkuCost]) -> Result<(), LedgerError>;

    /// Units on hand, if the SKU is stocked.
    async fn stock(&self, sku: &Sku) -> Result<Option<u32>, LedgerError>;

    /// Stores a new quote, its private bounds, its demand and base prices, and its audit entry in
    /// one transaction.
    async fn create_quote(&self, new: NewQuote<'_>) -> Result<(), LedgerError>;

    /// The current version of the quote, if it exists and was made to `agent`.
    async fn quote(&self, id: &QuoteId, agent: &AgentId) -> Result<Option<Quote>, LedgerError>;

    /// The quote with its earlier versions and private bounds, if it was made to `agent`.
    async fn quote_record(
        &self,
        id: &QuoteId,
        agent: &AgentId,
    ) -> Result<Option<QuoteRecord>, LedgerError>;

    /// Records the answer to a counter-offer — and its new version, if any — with its audit
    /// entry, provided the quote is still at `from_round`, open or final, unexpired and unordered.
    /// Returns the current version.
    async fn revise_quote(&self, rev: &Revision) -> Result<Quote, LedgerError>;

    /// Binds the current version of a quote: stores the accepted version (same round) with its
    /// audit entry, provided it is unexpired and unordered. Accepting an accepted quote again
    /// returns it unchanged.
    async fn accept_quote(&self, acc: &Acceptance) -> Result<Quote, LedgerError>;

    /// What the pricing engine may know of each SKU: stock, cost, demand since `demand_since`,
    /// base prices quoted since `prices_since`.
    async fn pricing_signals(
        &self,
        skus: &[Sku],
        demand_since: OffsetDateTime,
        prices_since: OffsetDateTime,
    ) -> Result<Vec<PricingSignals>, LedgerError>;

    /// Every order placed for `principal`, oldest first (an access request), at most `limit`.
    async fn orders_of_principal(
        &self,
        principal: &Principal,
        limit: u32,
    ) -> Result<Vec<Order>, LedgerError>;

    /// Orders placed for `principal` since `since` (for a consented loyalty tier).
    async fn principal_orders(
        &self,
        principal: &Principal,
        since: OffsetDateTime,
    ) -> Result<u32, LedgerError>;

    /// Stores a new version of the pricing policy with its `pricing_policy.changed` audit entry.
    async fn store_policy(
        &self,
        body: &serde_json::Value,
        by: &Actor,
        now: OffsetDateTime,
    ) -> Result<StoredPolicy, LedgerError>;

    /// The pricing policy in force: the newest version, if any was loaded.
    async fn policy(&self) -> Result<Option<StoredPolicy>, LedgerError>;

    /// Turns an accepted quote into an order in one transaction: idempotency key, stock
    /// decrement, order row and audit entry commit together or not at all.
    async fn place_order(&self, cmd: &PlaceOrder) -> Result<Placed, LedgerError>;

    /// The order, if it exists and was placed by `agent`.
    async fn order(&self, id: &OrderId, agent: &AgentId) -> Result<Option<Order>, LedgerError>;

    /// `agent`'s orders, newest first, placed before `before` (an order id: ids are
    /// time-ordered), at most `limit`.
    async fn orders(
        &self,
        agent: &AgentId,
        before: Option<&OrderId>,
        limit: u32,
    ) -> Result<Vec<Order>, LedgerError>;

    /// Any order, for operators.
    async fn order_any(&self, id: &OrderId) -> Result<Option<Order>, LedgerError>;

    /// Orders held for approval, oldest first, after `after`, at most `limit`.
    async fn pending_approvals(
        &self,
        after: Option<&OrderId>,
        limit: u32,
    ) -> Result<Vec<Order>, LedgerError>;

    /// Moves an order through its lifecycle in one transaction: the transition must apply to its
    /// status (an agent's only to its own order; a return only within the window after
    /// delivery); a cancel, reject or refund puts the stock back on hand and the spend back to
    /// every grant of the chain; the event and the audit entry are written. Returns the order.
    async fn transition_order(&self, change: &OrderChange) -> Result<Order, LedgerError>;

    /// The history of an order (of `agent`'s own, when given), oldest first; `None` when there
    /// is no such order.
    async fn order_events(
        &self,
        id: &OrderId,
        agent: Option<&AgentId>,
    ) -> Result<Option<Vec<OrderEvent>>, LedgerError>;

    /// The vault key of `owner` (a principal's pseudonym, or `agent:<id>`): the stored one, or
    /// `candidate`, stored now when there was none (two callers at once get the same key).
    async fn vault_key(&self, owner: &str, candidate: &[u8]) -> Result<Vec<u8>, LedgerError>;

    /// The stored vault key of `owner`, if any (none once its principal was erased).
    async fn stored_vault_key(&self, owner: &str) -> Result<Option<Vec<u8>>, LedgerError>;

    /// Erases a principal's personal data: deletes its vault key and every vault row of its
    /// orders, and appends `privacy.erased`, in one transaction. Orders, quotes and the audit log
    /// stay (they hold no personal data); the orders' fulfilment details read as erased.
    async fn erase_principal(
        &self,
        principal: &Principal,
        by: &Actor,
        now: OffsetDateTime,
    ) -> Result<Erasure, LedgerError>;

    /// Retention: deletes the vault rows of the orders closed (delivered, rejected, cancelled or
    /// refunded) before `closed_before` — their last event older than that — with one
    /// `privacy.purged` entry per order, in one transaction. Returns the orders purged.
    async fn purge_personal_data(
        &self,
        closed_before: OffsetDateTime,
        by: &Actor,
        now: OffsetDateTime,
    ) -> Result<Vec<OrderId>, LedgerError>;

    /// The fulfilment details of an order from the vault, for operators.
    async fn fulfilment(&self, id: &OrderId) -> Result<Option<serde_json::Value>, LedgerError>;

    /// Sets the units on hand of SKUs (creating the SKUs not stocked yet), one audit entry
    /// (`stock.set`) per SKU whose level changes, in one transaction. Returns how many changed.
    async fn set_stock(
        &self,
        levels: &[(Sku, u32)],
        by: &Actor,
        now: OffsetDateTime,
    ) -> Result<u64, LedgerError>;

    /// Appends an audit entry on its own (token issuance, catalog publication, ...).
    async fn append_audit(&self, record: Record) -> Result<Entry, LedgerError>;

    /// Appends several audit entries, in order, in one transaction (all or none).
    async fn append_audit_all(&self, records: Vec<Record>) -> Result<Vec<Entry>, LedgerError>;

    /// The audit entries `query` asks for, oldest first, as stored. A filtered query first
    /// indexes the entries appended since the last indexing ([`Ledger::index_audit`]), so it
    /// sees every committed entry.
    async fn audit_entries(&self, query: &AuditQuery) -> Result<Vec<StoredEntry>, LedgerError>;

    /// Indexes the entries appended since the last indexing, in transactions of its own, never
    /// in the transaction of the write an entry records: their leaf hashes and the tree's perfect
    /// nodes they complete (what proofs and the root are made of), and what auditors filter by
    /// (time, actor, principal, action, subjects). Returns how many it indexed.
    async fn index_audit(&self) -> Result<u64, LedgerError>;

    /// The audit log's size and root: the entries committed before the call are indexed first
    /// ([`Ledger::index_audit`]), and the head is that of the tree of every indexed entry.
    async fn audit_head(&self) -> Result<AuditHead, LedgerError>;

    /// How many audit entries are committed (their tree need not be indexed yet).
    async fn audit_size(&self) -> Result<u64, LedgerError>;

    /// The perfect nodes `ids` of the audit log's tree that exist (the rest are beyond it). The
    /// nodes are stored as entries are indexed ([`Ledger::index_audit`]): when some are missing,
    /// the pending entries are indexed first.
    async fn audit_nodes(
        &self,
        ids: &[NodeId],
    ) -> Result<std::collections::HashMap<NodeId, Hash>, LedgerError>;

    /// Keeps a signed checkpoint of the audit log (one per size: a second of the same size is
    /// ignored).
    async fn store_checkpoint(
        &self,
        checkpoint: &SignedCheckpoint,
        at: OffsetDateTime,
    ) -> Result<(), LedgerError>;

    /// Every kept checkpoint, smallest size first.
    async fn checkpoints(&self) -> Result<Vec<SignedCheckpoint>, LedgerError>;

    /// The checkpoint of the largest size kept, if any.
    async fn latest_checkpoint(&self) -> Result<Option<SignedCheckpoint>, LedgerError>;

    /// Number of orders, for operators and tests.
    async fn order_count(&self) -> Result<u64, LedgerError>;

    /// Registers an agent (status active) with its `agent.registered` audit entry.
    async fn register_agent(&self, agent: &AgentRecord, by: &Actor) -> Result<(), LedgerError>;

    /// Every registered agent, by id.
    async fn agents(&self) -> Result<Vec<AgentRecord>, LedgerError>;

    /// One registered agent.
    async fn agent(&self, id: &AgentId) -> Result<Option<AgentRecord>, LedgerError>;

    /// Suspends or reactivates an agent, with its `agent.suspended` / `agent.reactivated` audit
    /// entry (none when the status does not change). Returns the agent as it now is.
    async fn set_agent_status(
        &self,
        id: &AgentId,
        status: AgentStatus,
        by: &Actor,
    ) -> Result<AgentRecord, LedgerError>;

    /// Records a newly signed token with its audit entry (`token.issued`, or `token.exchanged`
    /// when it has a parent).
    async fn record_grant(&self, grant: &GrantRecord, by: &Actor) -> Result<(), LedgerError>;

    /// Records a grant the ledger may not know yet (a trusted issuer's token); no audit entry.
    async fn ensure_grant(&self, grant: &GrantRecord) -> Result<(), LedgerError>;

    /// Revokes a grant with its `token.revoked` audit entry; revoking it again changes nothing
    /// and records nothing. Returns the grant.
    async fn revoke_grant(
        &self,
        jti: &str,
        reason: &str,
        by: &Actor,
        now: OffsetDateTime,
    ) -> Result<GrantRecord, LedgerError>;

    /// A grant with its spend and its orders in the 24 hours before `now`.
    async fn grant_state(
        &self,
        jti: &str,
        now: OffsetDateTime,
    ) -> Result<Option<GrantState>, LedgerError>;

    /// Revoked grants that have not expired at `now`, and suspended agents.
    async fn trust_snapshot(&self, now: OffsetDateTime) -> Result<TrustSnapshot, LedgerError>;

    /// A number that changes whenever a revocation or a suspension is committed, by this
    /// process or any other on the same store. Cheap: called on every authenticated request.
    fn trust_stamp(&self) -> u64;
}
