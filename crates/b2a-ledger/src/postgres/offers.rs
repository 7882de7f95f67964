//! Quotes beyond their first version, and what pricing reads: tables `quote_versions`,
//! `quote_bounds`, `sku_activity` and `pricing_policies`.

use b2a_model::{AgentId, Money, OrderId, Quote, QuoteId, Sku};
use b2a_orders::offers::{QuoteWrite, hour_of};
use sqlx::{PgConnection, Row};
use time::OffsetDateTime;

use super::{Fail, corrupt, db, decode, encode, instant};
use crate::{LedgerError, PricingSignals, SkuCost, StoredPolicy};

/// The current version of a quote of `agent` and the order placed on it, if any.
pub(super) async fn current(
    conn: &mut PgConnection,
    id: &QuoteId,
    agent: &AgentId,
) -> Result<Option<(Quote, Option<OrderId>)>, Fail> {
    let row = sqlx::query("SELECT body, order_id FROM quotes WHERE id = $1 AND agent = $2")
        .bind(id.as_str())
        .bind(agent.as_str())
        .fetch_optional(conn)
        .await
        .map_err(db)?;
    Ok(row.as_ref().map(quote_row).transpose()?)
}

fn quote_row(r: &sqlx::postgres::PgRow) -> Result<(Quote, Option<OrderId>), LedgerError> {
    let order = r
        .get::<Option<String>, _>(1)
        .map(OrderId::parse)
        .transpose()
        .map_err(corrupt)?;
    Ok((decode(r.get::<&str, _>(0))?, order))
}

/// The current version of a quote of `agent` and the order placed on it, for a write: the
/// quote's row is locked for the rest of the transaction.
pub(super) async fn current_for_update(
    conn: &mut PgConnection,
    id: &QuoteId,
    agent: &AgentId,
) -> Result<(Quote, Option<OrderId>), Fail> {
    let row =
        sqlx::query("SELECT body, order_id FROM quotes WHERE id = $1 AND agent = $2 FOR UPDATE")
            .bind(id.as_str())
            .bind(agent.as_str())
            .fetch_optional(conn)
            .await
            .map_err(db)?
            .ok_or_else(|| LedgerError::QuoteNotFound(id.clone()))?;
    Ok(quote_row(&row)?)
}

/// Stores what a counter-offer or an acceptance decided: the version it keeps in the history,
/// the one in force, its audit entry.
pub(super) async fn store(conn: &mut PgConnection, write: &QuoteWrite) -> Result<(), Fail> {
    if let Some(old) = &write.history {
        sqlx::query("INSERT INTO quote_versions (quote_id, round, body) VALUES ($1, $2, $3)")
            .bind(old.id.as_str())
            .bind(i64::from(old.round))
            .bind(encode(old)?)
            .execute(&mut *conn)
            .await
            .map_err(db)?;
    }
    if let Some(new) = &write.replacement {
        sqlx::query("UPDATE quotes SET body = $1, expires_at = $2 WHERE id = $3")
            .bind(encode(new)?)
            .bind(new.expires_at.unix_timestamp())
            .bind(new.id.as_str())
            .execute(&mut *conn)
            .await
            .map_err(db)?;
    }
    if let Some(record) = &write.record {
        super::audit_log::append(conn, record.clone()).await?;
    }
    Ok(())
}

/// Stores the private bounds of a new quote.
pub(super) async fn insert_bounds(
    conn: &mut PgConnection,
    id: &QuoteId,
    bounds: &serde_json::Value,
) -> Result<(), Fail> {
    sqlx::query("INSERT INTO quote_bounds (quote_id, body) VALUES ($1, $2)")
        .bind(id.as_str())
        .bind(bounds.to_string())
        .execute(conn)
        .await
        .map_err(db)?;
    Ok(())
}

/// Records demand (and, for quotes, the one-unit base price) of a SKU at `at`.
pub(super) async fn record_activity(
    conn: &mut PgConnection,
    sku: &Sku,
    quantity: u32,
    base_price: Option<Money>,
    at: OffsetDateTime,
) -> Result<(), Fail> {
    sqlx::query(
        "INSERT INTO sku_activity AS a (sku, hour, quantity, base_min, base_max, currency)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (sku, hour) DO UPDATE SET
             quantity = a.quantity + excluded.quantity,
             base_min = LEAST(a.base_min, excluded.base_min),
             base_max = GREATEST(a.base_max, excluded.base_max),
             currency = COALESCE(a.currency, excluded.currency)",
    )
    .bind(sku.as_str())
    .bind(hour_of(at))
    .bind(i64::from(quantity))
    .bind(base_price.map(Money::amount))
    .bind(base_price.map(Money::amount))
    .bind(base_price.map(|m| m.currency().code()))
    .execute(conn)
    .await
    .map_err(db)?;
    Ok(())
}

/// The earlier versions and the bounds of a quote.
pub(super) async fn history_and_bounds(
    conn: &mut PgConnection,
    id: &QuoteId,
) -> Result<(Vec<Quote>, serde_json::Value), Fail> {
    let bodies: Vec<String> =
        sqlx::query_scalar("SELECT body FROM quote_versions WHERE quote_id = $1 ORDER BY round")
            .bind(id.as_str())
            .fetch_all(&mut *conn)
            .await
            .map_err(db)?;
    let history = bodies
        .iter()
        .map(|b| decode(b))
        .collect::<Result<Vec<Quote>, _>>()?;
    let bounds: Option<String> =
        sqlx::query_scalar("SELECT body FROM quote_bounds WHERE quote_id = $1")
            .bind(id.as_str())
            .fetch_optional(conn)
            .await
            .map_err(db)?;
    let bounds = bounds.map_or(Ok(serde_json::Value::Null), |b| decode(&b))?;
    Ok((history, bounds))
}

/// Stock, cost, demand since `demand_since` and the range of base prices since `prices_since`,
/// per SKU.
pub(super) async fn signals(
    conn: &mut PgConnection,
    skus: &[Sku],
    demand_since: OffsetDateTime,
    prices_since: OffsetDateTime,
) -> Result<Vec<PricingSignals>, Fail> {
    let mut out = Vec::with_capacity(skus.len());
    for sku in skus {
        let stock: Option<i64> = sqlx::query_scalar("SELECT on_hand FROM stock WHERE sku = $1")
            .bind(sku.as_str())
            .fetch_optional(&mut *conn)
            .await
            .map_err(db)?;
        let cost =
            sqlx::query("SELECT cost_minor, floor_minor, currency FROM sku_costs WHERE sku = $1")
                .bind(sku.as_str())
                .fetch_optional(&mut *conn)
                .await
                .map_err(db)?
                .map(|r| -> Result<SkuCost, LedgerError> {
                    let currency =
                        b2a_model::Currency::parse(r.get::<&str, _>(2)).map_err(corrupt)?;
                    Ok(SkuCost {
                        sku: sku.clone(),
                        cost: Money::new(r.get(0), currency),
                        floor: Money::new(r.get(1), currency),
                    })
                })
                .transpose()?;
        let demand: i64 = sqlx::query_scalar(
            "SELECT COALESCE(SUM(quantity), 0)::BIGINT FROM sku_activity WHERE sku = $1 AND hour >= $2",
        )
        .bind(sku.as_str())
        .bind(hour_of(demand_since))
        .fetch_one(&mut *conn)
        .await
        .map_err(db)?;
        let range = sqlx::query(
            "SELECT MIN(base_min), MAX(base_max), MIN(currency), MAX(currency)
             FROM sku_activity WHERE sku = $1 AND hour >= $2 AND base_min IS NOT NULL",
        )
        .bind(sku.as_str())
        .bind(hour_of(prices_since))
        .fetch_one(&mut *conn)
        .await
        .map_err(db)?;
        let recent_prices = match (
            range.get::<Option<i64>, _>(0),
            range.get::<Option<i64>, _>(1),
            range.get::<Option<String>, _>(2),
            range.get::<Option<String>, _>(3),
        ) {
            // Prices quoted in two currencies give no range to hold to.
            (Some(lo), Some(hi), Some(c1), Some(c2)) if c1 == c2 => {
                let currency = b2a_model::Currency::parse(&c1).map_err(corrupt)?;
                Some((Money::new(lo, currency), Money::new(hi, currency)))
            }
            _ => None,
        };
        out.push(PricingSignals {
            stock: stock.map(u32::try_from).transpose().map_err(corrupt)?,
            cost,
            demand: u32::try_from(demand).unwrap_or(u32::MAX),
            recent_prices,
        });
    }
    Ok(out)
}

/// The newest version of the pricing policy.
pub(super) async fn latest_policy(conn: &mut PgConnection) -> Result<Option<StoredPolicy>, Fail> {
    let row = sqlx::query(
        "SELECT version, body, loaded_at, loaded_by FROM pricing_policies
         ORDER BY version DESC LIMIT 1",
    )
    .fetch_optional(conn)
    .await
    .map_err(db)?;
    row.map(|r| {
        Ok(StoredPolicy {
            version: u64::try_from(r.get::<i64, _>(0)).map_err(corrupt)?,
            body: decode(r.get::<&str, _>(1))?,
            loaded_at: instant(r.get(2))?,
            loaded_by: r.get(3),
        })
    })
    .transpose()
}

/// Stores `body` as the next version of the pricing policy (the caller holds the audit lock,
/// which serializes version numbers).
pub(super) async fn insert_policy(
    conn: &mut PgConnection,
    body: &serde_json::Value,
    by: &str,
    now: OffsetDateTime,
) -> Result<StoredPolicy, Fail> {
    let version: i64 =
        sqlx::query_scalar("SELECT COALESCE(MAX(version), 0) + 1 FROM pricing_policies")
            .fetch_one(&mut *conn)
            .await
            .map_err(db)?;
    sqlx::query(
        "INSERT INTO pricing_policies (version, body, loaded_at, loaded_by)
         VALUES ($1, $2, $3, $4)",
    )
    .bind(version)
    .bind(body.to_string())
    .bind(now.unix_timestamp())
    .bind(by)
    .execute(conn)
    .await
    .map_err(db)?;
    Ok(StoredPolicy {
        version: u64::try_from(version).map_err(corrupt)?,
        body: body.clone(),
        loaded_at: now.replace_nanosecond(0).unwrap_or(now),
        loaded_by: by.to_owned(),
    })
}
