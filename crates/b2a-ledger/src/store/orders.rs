//! Orders after placement: reads, lists, their history and their transitions with what those
//! release (tables `orders`, `order_events`; placing them is the engine's, `crate::engine`).

use async_trait::async_trait;
use b2a_model::{AgentId, Order, OrderId, OrderStatus, Transition};
use b2a_orders::lifecycle::delivered_at;
use serde::de::DeserializeOwned;

use super::SqlLedger;
use crate::codec::{corrupt, decode, encode, instant};
use crate::engine::{Engine, retrying};
use crate::sql::{Conn, Fail, Lock, Row, Stmt};
use crate::{LedgerError, OrderBook, OrderChange, OrderEvent, PlaceOrder, Placed};

#[async_trait]
impl<E: Engine> OrderBook for SqlLedger<E> {
    async fn place_order(&self, cmd: &PlaceOrder) -> Result<Placed, LedgerError> {
        self.engine.place_order(cmd).await
    }

    async fn order(&self, id: &OrderId, agent: &AgentId) -> Result<Option<Order>, LedgerError> {
        let s = Stmt::new("SELECT body FROM orders WHERE id = $1 AND agent = $2")
            .bind(id.as_str())
            .bind(agent.as_str());
        body(&mut *self.engine.read().await?, s).await
    }

    async fn orders(
        &self,
        agent: &AgentId,
        before: Option<&OrderId>,
        limit: u32,
    ) -> Result<Vec<Order>, LedgerError> {
        let s = match before {
            Some(b) => Stmt::new(
                "SELECT body FROM orders WHERE agent = $1 AND id < $2 ORDER BY id DESC LIMIT $3",
            )
            .bind(agent.as_str())
            .bind(b.as_str()),
            None => Stmt::new("SELECT body FROM orders WHERE agent = $1 ORDER BY id DESC LIMIT $2")
                .bind(agent.as_str()),
        };
        bodies(&mut *self.engine.read().await?, s.bind(i64::from(limit))).await
    }

    async fn order_any(&self, id: &OrderId) -> Result<Option<Order>, LedgerError> {
        let s = Stmt::new("SELECT body FROM orders WHERE id = $1").bind(id.as_str());
        body(&mut *self.engine.read().await?, s).await
    }

    async fn pending_approvals(
        &self,
        after: Option<&OrderId>,
        limit: u32,
    ) -> Result<Vec<Order>, LedgerError> {
        let s = Stmt::new(
            "SELECT body FROM orders WHERE status = 'pending_approval' AND id > $1
             ORDER BY id LIMIT $2",
        )
        .bind(after.map_or("", OrderId::as_str))
        .bind(i64::from(limit));
        bodies(&mut *self.engine.read().await?, s).await
    }

    async fn transition_order(&self, change: &OrderChange) -> Result<Order, LedgerError> {
        retrying(E::ATTEMPTS, || async {
            let mut tx = self.engine.begin().await?;
            let row = tx
                .fetch_optional(
                    Stmt::new(
                        "SELECT body FROM orders WHERE id = $1 AND ($2 IS NULL OR agent = $2)",
                    )
                    .bind(change.order_id.as_str())
                    .bind(change.agent.as_ref().map(AgentId::as_str))
                    .for_update("FOR UPDATE"),
                )
                .await?
                .ok_or_else(|| LedgerError::OrderNotFound(change.order_id.clone()))?;
            let order: Order = decode(row.text(0)?)?;
            let delivered = match change.needs_delivery_time() {
                true => delivered_at(&events(&mut *tx, &order.id).await?),
                false => None,
            };
            let moved = change.apply(order, delivered)?;
            let order = moved.order;
            if moved.releases {
                release(&mut *tx, &order).await?;
            }
            tx.execute(
                Stmt::new("UPDATE orders SET status = $1, body = $2 WHERE id = $3")
                    .bind(order.status.as_str())
                    .bind(encode(&order)?)
                    .bind(order.id.as_str()),
            )
            .await?;
            tx.execute(
                Stmt::new(
                    "INSERT INTO order_events (order_id, seq, status, transition, actor, reason, at)
                     VALUES ($1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM order_events
                                  WHERE order_id = $1),
                             $2, $3, $4, $5, $6)",
                )
                .bind(order.id.as_str())
                .bind(order.status.as_str())
                .bind(change.transition.as_str())
                .bind(change.by.name.as_str())
                .bind(change.reason.as_deref())
                .bind(change.now.unix_timestamp()),
            )
            .await?;
            tx.append(vec![moved.record]).await?;
            self.engine.commit(tx).await?;
            Ok(order)
        })
        .await
    }

    async fn order_events(
        &self,
        id: &OrderId,
        agent: Option<&AgentId>,
    ) -> Result<Option<Vec<OrderEvent>>, LedgerError> {
        let mut conn = self.engine.read().await?;
        let exists = conn
            .fetch_optional(
                Stmt::new("SELECT 1 FROM orders WHERE id = $1 AND ($2 IS NULL OR agent = $2)")
                    .bind(id.as_str())
                    .bind(agent.map(AgentId::as_str)),
            )
            .await?;
        match exists {
            Some(_) => Ok(Some(events(&mut *conn, id).await?)),
            None => Ok(None),
        }
    }

    async fn order_count(&self) -> Result<u64, LedgerError> {
        let mut conn = self.engine.read().await?;
        Ok(conn
            .fetch_one(Stmt::new("SELECT COUNT(*) FROM orders"))
            .await?
            .count(0)?)
    }
}

/// The values a statement selects (their JSON bodies, column 0), decoded.
pub(super) async fn bodies<T: DeserializeOwned>(
    conn: &mut dyn Conn,
    s: Stmt<'_>,
) -> Result<Vec<T>, LedgerError> {
    conn.fetch_all(s)
        .await?
        .iter()
        .map(|r| decode(r.text(0)?))
        .collect()
}

/// The value a statement selects, if any (its JSON body, column 0), decoded.
pub(super) async fn body<T: DeserializeOwned>(
    conn: &mut dyn Conn,
    s: Stmt<'_>,
) -> Result<Option<T>, LedgerError> {
    let row = conn.fetch_optional(s).await?;
    row.map(|r| decode(r.text(0)?)).transpose()
}

/// The events of `order`, oldest first.
async fn events(conn: &mut dyn Conn, order: &OrderId) -> Result<Vec<OrderEvent>, Fail> {
    let rows = conn
        .fetch_all(
            Stmt::new(
                "SELECT seq, status, transition, actor, reason, at FROM order_events
                 WHERE order_id = $1 ORDER BY seq",
            )
            .bind(order.as_str()),
        )
        .await?;
    Ok(rows.iter().map(event).collect::<Result<_, _>>()?)
}

fn event(r: &Row) -> Result<OrderEvent, LedgerError> {
    Ok(OrderEvent {
        seq: u32::try_from(r.int(0)?).map_err(corrupt)?,
        status: status_from(r.text(1)?)?,
        transition: r.opt_text(2)?.map(transition_from).transpose()?,
        actor: r.text(3)?.to_owned(),
        reason: r.opt_text(4)?.map(str::to_owned),
        at: instant(r.int(5)?)?,
    })
}

/// Takes `order`'s spend back from every grant of its chain (their rows locked in `jti` order,
/// as an order locks them, before the stock, as an order does), then puts its stock back on
/// hand (the rows locked in SKU order).
async fn release(conn: &mut dyn Conn, order: &Order) -> Result<(), Fail> {
    conn.lock(Lock::ChargedGrants(order.id.as_str())).await?;
    conn.execute(Stmt::new("DELETE FROM grant_spend WHERE order_id = $1").bind(order.id.as_str()))
        .await?;
    let mut skus: Vec<&str> = order.lines.iter().map(|l| l.sku.as_str()).collect();
    skus.sort_unstable();
    skus.dedup();
    conn.lock(Lock::Stock(&skus)).await?;
    for line in &order.lines {
        conn.execute(
            Stmt::new("UPDATE stock SET on_hand = on_hand + $1 WHERE sku = $2")
                .bind(i64::from(line.quantity.get()))
                .bind(line.sku.as_str()),
        )
        .await?;
    }
    Ok(())
}

/// A stored order status.
fn status_from(text: &str) -> Result<OrderStatus, LedgerError> {
    OrderStatus::from_wire(text).ok_or_else(|| corrupt(format!("unknown order status {text}")))
}

/// A stored transition.
fn transition_from(text: &str) -> Result<Transition, LedgerError> {
    Transition::from_wire(text).ok_or_else(|| corrupt(format!("unknown transition {text}")))
}
