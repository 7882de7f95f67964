//! Why a ledger operation failed: a refusal these rules decided, or — from a backend — its store
//! failing ([`LedgerError::Storage`], [`LedgerError::Corrupt`], [`LedgerError::IdempotencyInFlight`]).
//! One enum for both, so that every caller maps each refusal to its problem code exactly once.

use b2a_model::{AgentId, Money, OrderId, OrderStatus, QuoteId, Sku, Transition};

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
    /// retry): the client retries shortly and gets that request's order. Only the PostgreSQL
    /// ledger returns it, after waiting a few seconds for the other request; SQLite's single
    /// writer serializes the two requests, so the embedded ledger never does.
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

/// A stored value that does not decode: the store is corrupt, not the caller.
pub fn corrupt(e: impl std::fmt::Display) -> LedgerError {
    LedgerError::Corrupt(e.to_string())
}
