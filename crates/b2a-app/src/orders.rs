//! Orders: placing one from an accepted quote, following it, and moving it through its
//! lifecycle — the agent's cancel and return, the operator's approval, rejection, shipment,
//! delivery and refund — and the stock levels operators set.

use b2a_ledger::{Actor, LedgerError, OrderChange, OrderEvent, PlaceOrder, Placed, RiskRules};
use b2a_model::{Order, OrderId, QuoteId, Transition};
use time::OffsetDateTime;

use crate::{Caller, Shop, ShopError};

/// What decides how orders are held and returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrderRules {
    /// Rules that hold an order for a person's approval (besides a token's `approval_above`).
    pub risk: RiskRules,
    /// How long after delivery a return may be asked for.
    pub return_window: time::Duration,
}

impl Default for OrderRules {
    /// Velocity 20 orders per agent per hour, lines of more than 20 units, returns within 30
    /// days.
    fn default() -> Self {
        Self {
            risk: RiskRules {
                max_orders_per_agent_per_hour: Some(20),
                max_line_quantity: Some(20),
            },
            return_window: time::Duration::days(30),
        }
    }
}

/// A page of orders and where the next starts.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderPage {
    /// The orders.
    pub items: Vec<Order>,
    /// The order id to continue from, when there may be more.
    pub next: Option<OrderId>,
}

fn page(items: Vec<Order>, limit: u32) -> OrderPage {
    let next = (items.len() == limit as usize)
        .then(|| items.last().map(|o| o.id.clone()))
        .flatten();
    OrderPage { items, next }
}

fn not_found(e: LedgerError) -> ShopError {
    match e {
        LedgerError::QuoteNotFound(id) => ShopError::QuoteNotFound(id),
        LedgerError::OrderNotFound(id) => ShopError::OrderNotFound(id),
        other => ShopError::Ledger(other),
    }
}

impl Shop {
    /// Orders one of the caller's accepted quotes under an idempotency key; fulfilment details
    /// (address, contact) go to the personal-data vault.
    pub async fn place_order(
        &self,
        caller: &Caller,
        quote_id: QuoteId,
        fulfilment: Option<serde_json::Value>,
        idempotency_key: String,
        fingerprint: String,
        now: OffsetDateTime,
    ) -> Result<Placed, ShopError> {
        // The quote, read once when the token's categories or the details need it.
        let quote = if caller.grant.limits.categories.is_some() || fulfilment.is_some() {
            Some(self.quote(caller, quote_id.clone()).await?)
        } else {
            None
        };
        if let Some(quote) = quote
            .as_ref()
            .filter(|_| caller.grant.limits.categories.is_some())
        {
            let cats = quote
                .lines
                .iter()
                .map(|l| self.catalog().sku_categories(&l.sku))
                .collect::<Result<Vec<_>, _>>()?;
            Self::check_categories(
                caller,
                quote
                    .lines
                    .iter()
                    .map(|l| &l.sku)
                    .zip(cats.iter().map(Option::as_deref)),
            )?;
        }
        let (fulfilment, commitments) = match (fulfilment, &quote) {
            (Some(details), Some(quote)) => {
                // Sealed for the quote's principal (its owner), whoever's token orders it.
                let (sealed, commitments) = self
                    .seal_details(quote.principal.as_ref(), &caller.agent, &details)
                    .await?;
                (Some(sealed), commitments)
            }
            _ => (None, Default::default()),
        };
        let cmd = PlaceOrder {
            quote_id,
            agent: caller.agent.clone(),
            credential: caller.credential.clone(),
            grant: caller.grant.clone(),
            idempotency_key,
            fingerprint,
            now,
            risk: self.order_rules.risk,
            fulfilment,
            commitments,
        };
        self.order_book().place_order(&cmd).await.map_err(not_found)
    }

    /// One of the caller's orders.
    pub async fn order(&self, caller: &Caller, id: OrderId) -> Result<Order, ShopError> {
        self.order_book()
            .order(&id, &caller.agent)
            .await?
            .ok_or(ShopError::OrderNotFound(id))
    }

    /// The caller's orders, newest first, before `before`.
    pub async fn orders(
        &self,
        caller: &Caller,
        before: Option<OrderId>,
        limit: u32,
    ) -> Result<OrderPage, ShopError> {
        let items = self
            .order_book()
            .orders(&caller.agent, before.as_ref(), limit)
            .await?;
        Ok(page(items, limit))
    }

    /// The history of one of the caller's orders.
    pub async fn order_events(
        &self,
        caller: &Caller,
        id: OrderId,
    ) -> Result<Vec<OrderEvent>, ShopError> {
        self.order_book()
            .order_events(&id, Some(&caller.agent))
            .await?
            .ok_or(ShopError::OrderNotFound(id))
    }

    /// The caller cancels (before shipment) or asks to return (after delivery, within the
    /// window) one of its orders.
    pub async fn agent_transition(
        &self,
        caller: &Caller,
        id: OrderId,
        transition: Transition,
        reason: Option<String>,
        now: OffsetDateTime,
    ) -> Result<Order, ShopError> {
        debug_assert!(transition.by_agent());
        self.transition(OrderChange {
            order_id: id,
            agent: Some(caller.agent.clone()),
            transition,
            by: Actor {
                name: format!("agent:{}", caller.agent),
                credential: caller.credential.clone(),
            },
            reason,
            return_window: self.order_rules.return_window,
            now,
        })
        .await
    }

    /// An operator approves, rejects, ships, delivers or refunds an order.
    pub async fn operator_transition(
        &self,
        by: Actor,
        id: OrderId,
        transition: Transition,
        reason: Option<String>,
        now: OffsetDateTime,
    ) -> Result<Order, ShopError> {
        debug_assert!(!transition.by_agent());
        self.transition(OrderChange {
            order_id: id,
            agent: None,
            transition,
            by,
            reason,
            return_window: self.order_rules.return_window,
            now,
        })
        .await
    }

    async fn transition(&self, change: OrderChange) -> Result<Order, ShopError> {
        self.order_book()
            .transition_order(&change)
            .await
            .map_err(not_found)
    }

    /// Orders held for a person's approval, oldest first, after `after`.
    pub async fn approvals(
        &self,
        after: Option<OrderId>,
        limit: u32,
    ) -> Result<OrderPage, ShopError> {
        let items = self
            .order_book()
            .pending_approvals(after.as_ref(), limit)
            .await?;
        Ok(page(items, limit))
    }

    /// Any order, with its fulfilment details and history, for operators.
    pub async fn order_for_operator(
        &self,
        id: OrderId,
    ) -> Result<(Order, Option<serde_json::Value>, Vec<OrderEvent>), ShopError> {
        let order = self
            .order_book()
            .order_any(&id)
            .await?
            .ok_or_else(|| ShopError::OrderNotFound(id.clone()))?;
        let stored = self.vault().fulfilment(&id).await?;
        let fulfilment = self.open_details(&order, stored).await?;
        let events = self
            .order_book()
            .order_events(&id, None)
            .await?
            .unwrap_or_default();
        Ok((order, fulfilment, events))
    }
}
