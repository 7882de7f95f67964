//! Orders after placement: events, the vault, lists, transitions and their releases (tables
//! `order_events` and `vault`).

use b2a_model::{Order, OrderId, OrderStatus, Sku, Transition};
use sqlx::{Row, SqliteConnection};
use time::OffsetDateTime;

use super::script::Script;
use super::{corrupt, decode, encode, instant, storage};
use crate::{LedgerError, OrderEvent};

/// Appends the next event of `order`.
pub(super) async fn append_event(
    conn: &mut SqliteConnection,
    order: &OrderId,
    status: OrderStatus,
    transition: Option<Transition>,
    actor: &str,
    reason: Option<&str>,
    at: OffsetDateTime,
) -> Result<(), LedgerError> {
    let mut script = Script::default();
    add_event(&mut script, order, status, transition, actor, reason, at);
    script.run(conn).await
}

/// [`append_event`] as a statement of `script`.
pub(super) fn add_event(
    script: &mut Script,
    order: &OrderId,
    status: OrderStatus,
    transition: Option<Transition>,
    actor: &str,
    reason: Option<&str>,
    at: OffsetDateTime,
) {
    script
        .statement(
            "INSERT INTO order_events (order_id, seq, status, transition, actor, reason, at)
             VALUES (?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM order_events WHERE order_id = ?), ?, ?, ?, ?, ?)",
        )
        .bind(order.as_str())
        .bind(order.as_str())
        .bind(status.as_str())
        .bind(transition.map(Transition::as_str))
        .bind(actor)
        .bind(reason)
        .bind(at.unix_timestamp());
}

/// The events of `order`, oldest first.
pub(super) async fn events(
    conn: &mut SqliteConnection,
    order: &OrderId,
) -> Result<Vec<OrderEvent>, LedgerError> {
    let rows = sqlx::query(
        "SELECT seq, status, transition, actor, reason, at FROM order_events
         WHERE order_id = ? ORDER BY seq",
    )
    .bind(order.as_str())
    .fetch_all(conn)
    .await
    .map_err(storage)?;
    rows.iter()
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
        .collect()
}

/// The fulfilment details of an order.
pub(super) async fn fulfilment(
    conn: &mut SqliteConnection,
    order: &OrderId,
) -> Result<Option<serde_json::Value>, LedgerError> {
    let body: Option<String> = sqlx::query_scalar(
        "SELECT v.body FROM vault v JOIN orders o ON json_extract(o.body, '$.fulfilment_ref') = v.ref
         WHERE o.id = ?",
    )
    .bind(order.as_str())
    .fetch_optional(conn)
    .await
    .map_err(storage)?;
    body.map(|b| decode(&b)).transpose()
}

/// Orders by a query with its bound values, decoded.
pub(super) async fn list(
    conn: &mut SqliteConnection,
    sql: &'static str,
    binds: &[&str],
    limit: u32,
) -> Result<Vec<Order>, LedgerError> {
    let mut q = sqlx::query(sql);
    for b in binds {
        q = q.bind(*b);
    }
    let rows = q
        .bind(i64::from(limit))
        .fetch_all(conn)
        .await
        .map_err(storage)?;
    rows.iter().map(|r| decode(r.get::<&str, _>(0))).collect()
}

/// Puts `order`'s stock back on hand and removes its spend from every grant.
pub(super) async fn release(conn: &mut SqliteConnection, order: &Order) -> Result<(), LedgerError> {
    for line in &order.lines {
        restock(&mut *conn, &line.sku, line.quantity.get()).await?;
    }
    sqlx::query("DELETE FROM grant_spend WHERE order_id = ?")
        .bind(order.id.as_str())
        .execute(conn)
        .await
        .map_err(storage)?;
    Ok(())
}

async fn restock(conn: &mut SqliteConnection, sku: &Sku, quantity: u32) -> Result<(), LedgerError> {
    sqlx::query("UPDATE stock SET on_hand = on_hand + ? WHERE sku = ?")
        .bind(i64::from(quantity))
        .bind(sku.as_str())
        .execute(conn)
        .await
        .map_err(storage)?;
    Ok(())
}

/// Stores the new state of `order`.
pub(super) async fn update(conn: &mut SqliteConnection, order: &Order) -> Result<(), LedgerError> {
    sqlx::query("UPDATE orders SET status = ?, body = ? WHERE id = ?")
        .bind(order.status.as_str())
        .bind(encode(order)?)
        .bind(order.id.as_str())
        .execute(conn)
        .await
        .map_err(storage)?;
    Ok(())
}

/// Sets the level of one SKU; returns the level before (`None`: it was not stocked).
pub(super) async fn set_level(
    conn: &mut SqliteConnection,
    sku: &Sku,
    level: u32,
) -> Result<Option<u32>, LedgerError> {
    let before: Option<i64> = sqlx::query_scalar("SELECT on_hand FROM stock WHERE sku = ?")
        .bind(sku.as_str())
        .fetch_optional(&mut *conn)
        .await
        .map_err(storage)?;
    sqlx::query(
        "INSERT INTO stock (sku, on_hand) VALUES (?, ?)
         ON CONFLICT (sku) DO UPDATE SET on_hand = excluded.on_hand",
    )
    .bind(sku.as_str())
    .bind(i64::from(level))
    .execute(conn)
    .await
    .map_err(storage)?;
    before.map(u32::try_from).transpose().map_err(corrupt)
}
