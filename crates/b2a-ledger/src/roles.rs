//! The ledger by role: each trait is what one kind of caller needs, and [`Ledger`] is all of
//! them. Both backends implement every role with the same code (`store/`), over their engine.

use std::collections::HashMap;

use async_trait::async_trait;
use b2a_audit::checkpoint::SignedCheckpoint;
use b2a_audit::entry::{Entry, Record};
use b2a_audit::merkle::{Hash, NodeId};
use b2a_model::{AgentId, Order, OrderId, Principal, Quote, QuoteId, Sku};
use time::OffsetDateTime;

use crate::{
    Acceptance, Actor, AgentRecord, AgentStatus, AuditHead, AuditQuery, Erasure, GrantRecord,
    GrantState, LedgerError, NewQuote, OrderChange, OrderEvent, PlaceOrder, Placed, PricingSignals,
    QuoteRecord, Revision, SkuCost, StoredEntry, StoredPolicy, TrustSnapshot,
};

/// Stock levels and the brand-private costs of SKUs.
#[async_trait]
pub trait Inventory: Send + Sync + std::fmt::Debug {
    /// Sets the stock of SKUs that have none yet; returns how many rows were inserted.
    async fn seed_stock(&self, levels: &[(Sku, u32)]) -> Result<u64, LedgerError>;

    /// Records private costs and floors (insert or replace; of two costs of one SKU, the later).
    async fn seed_costs(&self, costs: &[SkuCost]) -> Result<(), LedgerError>;

    /// Units on hand, if the SKU is stocked.
    async fn stock(&self, sku: &Sku) -> Result<Option<u32>, LedgerError>;

    /// Sets the units on hand of SKUs (creating the SKUs not stocked yet), one audit entry
    /// (`stock.set`) per SKU whose level changes, in one transaction. Returns how many changed.
    async fn set_stock(
        &self,
        levels: &[(Sku, u32)],
        by: &Actor,
        now: OffsetDateTime,
    ) -> Result<u64, LedgerError>;
}

/// Quotes, their versions and bounds, and what pricing reads.
#[async_trait]
pub trait Offers: Send + Sync + std::fmt::Debug {
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

    /// What the pricing engine may know of each SKU (in the order of `skus`): stock, cost,
    /// demand since `demand_since`, base prices quoted since `prices_since`.
    async fn pricing_signals(
        &self,
        skus: &[Sku],
        demand_since: OffsetDateTime,
        prices_since: OffsetDateTime,
    ) -> Result<Vec<PricingSignals>, LedgerError>;

    /// Orders placed for `principal` since `since` (for a consented loyalty tier).
    async fn principal_orders(
        &self,
        principal: &Principal,
        since: OffsetDateTime,
    ) -> Result<u32, LedgerError>;
}

/// The versions of the pricing policy.
#[async_trait]
pub trait Policies: Send + Sync + std::fmt::Debug {
    /// Stores a new version of the pricing policy with its `pricing_policy.changed` audit entry.
    async fn store_policy(
        &self,
        body: &serde_json::Value,
        by: &Actor,
        now: OffsetDateTime,
    ) -> Result<StoredPolicy, LedgerError>;

    /// The pricing policy in force: the newest version, if any was loaded.
    async fn policy(&self) -> Result<Option<StoredPolicy>, LedgerError>;
}

/// Orders: placing them, reading them, moving them through their lifecycle.
#[async_trait]
pub trait OrderBook: Send + Sync + std::fmt::Debug {
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

    /// Number of orders, for operators and tests.
    async fn order_count(&self) -> Result<u64, LedgerError>;
}

/// Personal data: the vault's keys and rows, access, erasure and retention.
#[async_trait]
pub trait Vault: Send + Sync + std::fmt::Debug {
    /// The vault key of `owner` (a principal's pseudonym, or `agent:<id>`): the stored one, or
    /// `candidate`, stored now when there was none (two callers at once get the same key).
    async fn vault_key(&self, owner: &str, candidate: &[u8]) -> Result<Vec<u8>, LedgerError>;

    /// The stored vault key of `owner`, if any (none once its principal was erased).
    async fn stored_vault_key(&self, owner: &str) -> Result<Option<Vec<u8>>, LedgerError>;

    /// The fulfilment details of an order from the vault, for operators.
    async fn fulfilment(&self, id: &OrderId) -> Result<Option<serde_json::Value>, LedgerError>;

    /// Every order placed for `principal`, oldest first (an access request), at most `limit`.
    async fn orders_of_principal(
        &self,
        principal: &Principal,
        limit: u32,
    ) -> Result<Vec<Order>, LedgerError>;

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
}

/// Governance records and trust: the agent registry, grants and their revocations.
#[async_trait]
pub trait Registry: Send + Sync + std::fmt::Debug {
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
    /// Read it before the snapshot, never after.
    fn trust_stamp(&self) -> u64;
}

/// The audit log: appends, the tree, checkpoints and what auditors read.
#[async_trait]
pub trait AuditStore: Send + Sync + std::fmt::Debug {
    /// Appends an audit entry on its own (token issuance, catalog publication, ...).
    async fn append_audit(&self, record: Record) -> Result<Entry, LedgerError>;

    /// Appends several audit entries, in order, in one transaction (all or none).
    async fn append_audit_all(&self, records: Vec<Record>) -> Result<Vec<Entry>, LedgerError>;

    /// The audit entries `query` asks for, oldest first, as stored. A filtered query first
    /// indexes the entries appended since the last indexing ([`AuditStore::index_audit`]), so
    /// it sees every committed entry.
    async fn audit_entries(&self, query: &AuditQuery) -> Result<Vec<StoredEntry>, LedgerError>;

    /// Indexes the entries appended since the last indexing, in transactions of their own, never
    /// in the transaction of the write an entry records: their leaf hashes and the tree's perfect
    /// nodes they complete (what proofs and the root are made of), and what auditors filter by
    /// (time, actor, principal, action, subjects). Returns how many it indexed.
    async fn index_audit(&self) -> Result<u64, LedgerError>;

    /// The audit log's size and root: the entries committed before the call are indexed first
    /// ([`AuditStore::index_audit`]), and the head is that of the tree of every indexed entry.
    async fn audit_head(&self) -> Result<AuditHead, LedgerError>;

    /// How many audit entries are committed (their tree need not be indexed yet).
    async fn audit_size(&self) -> Result<u64, LedgerError>;

    /// The perfect nodes `ids` of the audit log's tree that exist (the rest are beyond it). The
    /// nodes are stored as entries are indexed ([`AuditStore::index_audit`]): when some are
    /// missing, the pending entries are indexed first.
    async fn audit_nodes(&self, ids: &[NodeId]) -> Result<HashMap<NodeId, Hash>, LedgerError>;

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
}

/// The whole ledger: every role. One conformance suite, two backends.
pub trait Ledger:
    Inventory + Offers + Policies + OrderBook + Vault + Registry + AuditStore
{
}

impl<T> Ledger for T where
    T: Inventory + Offers + Policies + OrderBook + Vault + Registry + AuditStore
{
}
