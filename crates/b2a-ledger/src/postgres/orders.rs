//! Orders after placement: events, the vault, transitions and their releases, stock levels set
//! by operators (tables `order_events` and `vault`).

use b2a_model::{AgentId, Order, OrderId, OrderStatus, Sku, Transition};
use sqlx::{PgConnection, Row};
use time::OffsetDateTime;

use super::{Fail, corrupt, db, decode, encode, instant};
use crate::{LedgerError, OrderEvent};

/// The order `id` (of `agent`, when given), its row locked for the rest of the transaction.
pub(super) async fn load_for_update(
    conn: &mut PgConnection,
    id: &OrderId,
    agent: Option<&AgentId>,
) -> Result<Option<Order>, Fail> {
    let body: Option<String> = sqlx::query_scalar(
        "SELECT body FROM orders WHERE id = $1 AND ($2::TEXT IS NULL OR agent = $2) FOR UPDATE",
    )
    .bind(id.as_str())
    .bind(agent.map(AgentId::as_str))
    .fetch_optional(conn)
    .await
    .map_err(db)?;
    Ok(body.map(|b| decode(&b)).transpose()?)
}

/// Appends the next event of `order` (whose row the transaction holds, or has just inserted).
pub(super) async fn append_event(
    conn: &mut PgConnection,
    order: &OrderId,
    status: OrderStatus,
    transition: Option<Transition>,
    actor: &str,
    reason: Option<&str>,
    at: OffsetDateTime,
) -> Result<(), Fail> {
    sqlx::query(
        "INSERT INTO order_events (order_id, seq, status, transition, actor, reason, at)
         VALUES ($1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM order_events WHERE order_id = $1),
                 $2, $3, $4, $5, $6)",
    )
    .bind(order.as_str())
    .bind(status.as_str())
    .bind(transition.map(Transition::as_str))
    .bind(actor)
    .bind(reason)
    .bind(at.unix_timestamp())
    .execute(conn)
    .await
    .map_err(db)?;
    Ok(())
}

/// The events of `order`, oldest first.
pub(super) async fn events(
    conn: &mut PgConnection,
    order: &OrderId,
) -> Result<Vec<OrderEvent>, Fail> {
    let rows = sqlx::query(
        "SELECT seq, status, transition, actor, reason, at FROM order_events
         WHERE order_id = $1 ORDER BY seq",
    )
    .bind(order.as_str())
    .fetch_all(conn)
    .await
    .map_err(db)?;
    let events = rows
        .iter()
        .map(|r| {
            Ok(OrderEvent {
                seq: u32::try_from(r.get::<i64, _>(0)).map_err(corrupt)?,
                status: crate::orders::status_from(r.get(1))?,
                transition: r
                    .get::<Option<&str>, _>(2)
                    .map(crate::orders::transition_from)
                    .transpose()?,
                actor: r.get(3),
                reason: r.get(4),
                at: instant(r.get(5))?,
            })
        })
        .collect::<Result<_, LedgerError>>()?;
    Ok(events)
}

/// Removes `order`'s spend from every grant (their rows locked in `jti` order, as an order locks
/// them, before the stock, as an order does), then puts its stock back on hand (the rows locked
/// in SKU order).
pub(super) async fn release(conn: &mut PgConnection, order: &Order) -> Result<(), Fail> {
    let charged: Vec<String> =
        sqlx::query_scalar("SELECT jti FROM grant_spend WHERE order_id = $1 ORDER BY jti")
            .bind(order.id.as_str())
            .fetch_all(&mut *conn)
            .await
            .map_err(db)?;
    let charged: Vec<&str> = charged.iter().map(String::as_str).collect();
    super::grant_rows::lock(&mut *conn, &charged).await?;
    sqlx::query("DELETE FROM grant_spend WHERE order_id = $1")
        .bind(order.id.as_str())
        .execute(&mut *conn)
        .await
        .map_err(db)?;
    let mut skus: Vec<&str> = order.lines.iter().map(|l| l.sku.as_str()).collect();
    skus.sort_unstable();
    skus.dedup();
    super::lock_stock(&mut *conn, &skus).await?;
    for line in &order.lines {
        restock(&mut *conn, &line.sku, line.quantity.get()).await?;
    }
    Ok(())
}

async fn restock(conn: &mut PgConnection, sku: &Sku, quantity: u32) -> Result<(), Fail> {
    sqlx::query("UPDATE stock SET on_hand = on_hand + $1 WHERE sku = $2")
        .bind(i64::from(quantity))
        .bind(sku.as_str())
        .execute(conn)
        .await
        .map_err(db)?;
    Ok(())
}

/// Stores the new state of `order`.
pub(super) async fn update(conn: &mut PgConnection, order: &Order) -> Result<(), Fail> {
    sqlx::query("UPDATE orders SET status = $1, body = $2 WHERE id = $3")
        .bind(order.status.as_str())
        .bind(encode(order)?)
        .bind(order.id.as_str())
        .execute(conn)
        .await
        .map_err(db)?;
    Ok(())
}

/// Sets the level of one SKU; returns the level before (`None`: it was not stocked). The
/// caller has locked the SKU's row if it existed; a SKU another transaction creates meanwhile
/// is waited for, and its level read as the level before.
pub(super) async fn set_level(
    conn: &mut PgConnection,
    sku: &Sku,
    level: u32,
) -> Result<Option<u32>, Fail> {
    let created = sqlx::query(
        "INSERT INTO stock (sku, on_hand) VALUES ($1, $2) ON CONFLICT (sku) DO NOTHING",
    )
    .bind(sku.as_str())
    .bind(i64::from(level))
    .execute(&mut *conn)
    .await
    .map_err(db)?
    .rows_affected();
    if created == 1 {
        return Ok(None);
    }
    let before: i64 = sqlx::query_scalar("SELECT on_hand FROM stock WHERE sku = $1 FOR UPDATE")
        .bind(sku.as_str())
        .fetch_one(&mut *conn)
        .await
        .map_err(db)?;
    sqlx::query("UPDATE stock SET on_hand = $1 WHERE sku = $2")
        .bind(i64::from(level))
        .bind(sku.as_str())
        .execute(conn)
        .await
        .map_err(db)?;
    Ok(Some(u32::try_from(before).map_err(corrupt)?))
}
