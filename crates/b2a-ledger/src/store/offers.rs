//! Quotes, their versions and private bounds, what pricing reads, and the pricing policy's
//! versions: tables `quotes`, `quote_versions`, `quote_bounds`, `sku_activity`, `sku_costs`,
//! `pricing_policies`.

use std::collections::HashMap;

use async_trait::async_trait;
use b2a_model::{AgentId, Currency, Money, OrderId, Principal, Quote, QuoteId, Sku};
use b2a_orders::offers::{QuoteWrite, hour_of};
use b2a_orders::records::quote_created;
use time::OffsetDateTime;

use super::SqlLedger;
use crate::codec::{corrupt, decode, encode, instant};
use crate::engine::{Engine, retrying};
use crate::records::policy_changed;
use crate::sql::{Conn, Fail, Lock, Row, Stmt, chunks, values};
use crate::{
    Acceptance, Actor, LedgerError, NewQuote, Offers, Policies, PricingSignals, QuoteRecord,
    Revision, SkuCost, StoredPolicy,
};

#[async_trait]
impl<E: Engine> Offers for SqlLedger<E> {
    async fn create_quote(&self, new: NewQuote<'_>) -> Result<(), LedgerError> {
        let quote = new.quote;
        retrying(E::ATTEMPTS, || async {
            let mut tx = self.engine.begin().await?;
            tx.execute(
                Stmt::new(
                    "INSERT INTO quotes (id, agent, body, expires_at) VALUES ($1, $2, $3, $4)",
                )
                .bind(quote.id.as_str())
                .bind(quote.agent.as_str())
                .bind(encode(quote)?)
                .bind(quote.expires_at.unix_timestamp()),
            )
            .await?;
            tx.execute(
                Stmt::new("INSERT INTO quote_bounds (quote_id, body) VALUES ($1, $2)")
                    .bind(quote.id.as_str())
                    .bind(new.bounds.to_string()),
            )
            .await?;
            let activity: Vec<Activity<'_>> = new
                .base_prices
                .iter()
                .map(|(sku, quantity, base)| Activity {
                    sku: sku.as_str(),
                    hour: hour_of(quote.created_at),
                    quantity: i64::from(*quantity),
                    base: Some(*base),
                })
                .collect();
            record_activity(&mut *tx, &activity).await?;
            tx.append(vec![quote_created(quote, new.credential)])
                .await?;
            self.engine.commit(tx).await
        })
        .await
    }

    async fn quote(&self, id: &QuoteId, agent: &AgentId) -> Result<Option<Quote>, LedgerError> {
        let mut conn = self.engine.read().await?;
        let row = conn
            .fetch_optional(
                Stmt::new("SELECT body FROM quotes WHERE id = $1 AND agent = $2")
                    .bind(id.as_str())
                    .bind(agent.as_str()),
            )
            .await?;
        row.map(|r| decode(r.text(0)?)).transpose()
    }

    async fn quote_record(
        &self,
        id: &QuoteId,
        agent: &AgentId,
    ) -> Result<Option<QuoteRecord>, LedgerError> {
        let mut conn = self.engine.read().await?;
        let Some(row) = conn
            .fetch_optional(
                Stmt::new(
                    "SELECT q.body, q.order_id, b.body FROM quotes q
                     LEFT JOIN quote_bounds b ON b.quote_id = q.id
                     WHERE q.id = $1 AND q.agent = $2",
                )
                .bind(id.as_str())
                .bind(agent.as_str()),
            )
            .await?
        else {
            return Ok(None);
        };
        let history = conn
            .fetch_all(
                Stmt::new("SELECT body FROM quote_versions WHERE quote_id = $1 ORDER BY round")
                    .bind(id.as_str()),
            )
            .await?
            .iter()
            .map(|r| decode(r.text(0)?))
            .collect::<Result<Vec<Quote>, _>>()?;
        Ok(Some(QuoteRecord {
            current: decode(row.text(0)?)?,
            history,
            bounds: row
                .opt_text(2)?
                .map_or(Ok(serde_json::Value::Null), decode)?,
            order: ordered(&row, 1)?,
        }))
    }

    async fn revise_quote(&self, rev: &Revision) -> Result<Quote, LedgerError> {
        retrying(E::ATTEMPTS, || async {
            let mut tx = self.engine.begin().await?;
            let (current, order) = current(&mut *tx, &rev.quote_id, &rev.agent).await?;
            let write = rev.apply(current, order.as_ref())?;
            store_write(&mut *tx, &write).await?;
            self.engine.commit(tx).await?;
            Ok(write.current)
        })
        .await
    }

    async fn accept_quote(&self, acc: &Acceptance) -> Result<Quote, LedgerError> {
        let new = &acc.accepted;
        retrying(E::ATTEMPTS, || async {
            let mut tx = self.engine.begin().await?;
            let (current, order) = current(&mut *tx, &new.id, &new.agent).await?;
            let write = acc.apply(current, order.as_ref())?;
            store_write(&mut *tx, &write).await?;
            self.engine.commit(tx).await?;
            Ok(write.current)
        })
        .await
    }

    async fn pricing_signals(
        &self,
        skus: &[Sku],
        demand_since: OffsetDateTime,
        prices_since: OffsetDateTime,
    ) -> Result<Vec<PricingSignals>, LedgerError> {
        let mut conn = self.engine.read().await?;
        let mut found = HashMap::with_capacity(skus.len());
        for part in chunks(skus, 1) {
            let sql = format!("{SIGNALS} FROM (VALUES {}) AS w", values(3, part.len(), 1))
                + " LEFT JOIN sku_costs c ON c.sku = w.column1";
            let s = Stmt::new(sql)
                .bind(hour_of(demand_since))
                .bind(hour_of(prices_since))
                .bind_all(part.iter().map(Sku::as_str));
            for row in conn.fetch_all(s).await? {
                let sku = Sku::parse(row.text(0)?).map_err(corrupt)?;
                found.insert(sku.as_str().to_owned(), signals_of(sku, &row)?);
            }
        }
        Ok(skus
            .iter()
            .map(|s| found.get(s.as_str()).cloned().unwrap_or_default())
            .collect())
    }

    async fn principal_orders(
        &self,
        principal: &Principal,
        since: OffsetDateTime,
    ) -> Result<u32, LedgerError> {
        let mut conn = self.engine.read().await?;
        let n = conn
            .fetch_one(
                Stmt::new("SELECT COUNT(*) FROM orders WHERE principal = $1 AND created_at >= $2")
                    .bind(principal.as_str())
                    .bind(since.unix_timestamp()),
            )
            .await?
            .int(0)?;
        Ok(u32::try_from(n).unwrap_or(u32::MAX))
    }
}

#[async_trait]
impl<E: Engine> Policies for SqlLedger<E> {
    async fn store_policy(
        &self,
        body: &serde_json::Value,
        by: &Actor,
        now: OffsetDateTime,
    ) -> Result<StoredPolicy, LedgerError> {
        retrying(E::ATTEMPTS, || async {
            let mut tx = self.engine.begin().await?;
            // Versions are numbered under the audit log's lock: two loads at once get 1 and 2.
            tx.lock(Lock::AuditLog).await?;
            let version = tx
                .fetch_one(Stmt::new(
                    "SELECT COALESCE(MAX(version), 0) + 1 FROM pricing_policies",
                ))
                .await?
                .int(0)?;
            tx.execute(
                Stmt::new(
                    "INSERT INTO pricing_policies (version, body, loaded_at, loaded_by)
                     VALUES ($1, $2, $3, $4)",
                )
                .bind(version)
                .bind(body.to_string())
                .bind(now.unix_timestamp())
                .bind(by.name.as_str()),
            )
            .await?;
            let stored = StoredPolicy {
                version: u64::try_from(version).map_err(corrupt)?,
                body: body.clone(),
                loaded_at: now.replace_nanosecond(0).unwrap_or(now),
                loaded_by: by.name.clone(),
            };
            tx.append(vec![policy_changed(&stored, by)]).await?;
            self.engine.commit(tx).await?;
            Ok(stored)
        })
        .await
    }

    async fn policy(&self) -> Result<Option<StoredPolicy>, LedgerError> {
        let mut conn = self.engine.read().await?;
        let row = conn
            .fetch_optional(Stmt::new(
                "SELECT version, body, loaded_at, loaded_by FROM pricing_policies
                 ORDER BY version DESC LIMIT 1",
            ))
            .await?;
        row.map(|r| {
            Ok(StoredPolicy {
                version: r.count(0)?,
                body: decode(r.text(1)?)?,
                loaded_at: instant(r.int(2)?)?,
                loaded_by: r.text(3)?.to_owned(),
            })
        })
        .transpose()
    }
}

/// Stores what a counter-offer or an acceptance decided, inside `tx`: the version it keeps in
/// the history, the one in force, its audit entry.
async fn store_write(conn: &mut dyn Conn, write: &QuoteWrite) -> Result<(), Fail> {
    if let Some(old) = &write.history {
        conn.execute(
            Stmt::new("INSERT INTO quote_versions (quote_id, round, body) VALUES ($1, $2, $3)")
                .bind(old.id.as_str())
                .bind(i64::from(old.round))
                .bind(encode(old)?),
        )
        .await?;
    }
    if let Some(new) = &write.replacement {
        conn.execute(
            Stmt::new("UPDATE quotes SET body = $1, expires_at = $2 WHERE id = $3")
                .bind(encode(new)?)
                .bind(new.expires_at.unix_timestamp())
                .bind(new.id.as_str()),
        )
        .await?;
    }
    if let Some(record) = &write.record {
        conn.append(vec![record.clone()]).await?;
    }
    Ok(())
}

/// The current version of a quote of `agent` and the order placed on it, for a write: its row
/// locked for the rest of the transaction where rows are locked.
async fn current(
    conn: &mut dyn Conn,
    id: &QuoteId,
    agent: &AgentId,
) -> Result<(Quote, Option<OrderId>), Fail> {
    let row = conn
        .fetch_optional(
            Stmt::new("SELECT body, order_id FROM quotes WHERE id = $1 AND agent = $2")
                .bind(id.as_str())
                .bind(agent.as_str())
                .for_update("FOR UPDATE"),
        )
        .await?
        .ok_or_else(|| LedgerError::QuoteNotFound(id.clone()))?;
    Ok((decode(row.text(0)?)?, ordered(&row, 1)?))
}

/// The order a quote's row says it became (column `i`).
fn ordered(row: &Row, i: usize) -> Result<Option<OrderId>, LedgerError> {
    row.opt_text(i)?
        .map(OrderId::parse)
        .transpose()
        .map_err(corrupt)
}

/// Units of a SKU quoted (first versions) or ordered in an hour, and the one-unit base price
/// quoted.
pub(crate) struct Activity<'a> {
    pub(crate) sku: &'a str,
    pub(crate) hour: i64,
    pub(crate) quantity: i64,
    pub(crate) base: Option<Money>,
}

/// Adds `rows` (at most one per SKU and hour) to the hourly demand and price range of their
/// SKUs.
pub(crate) async fn record_activity(
    conn: &mut dyn Conn,
    rows: &[Activity<'_>],
) -> Result<(), Fail> {
    for part in chunks(rows, 6) {
        let sql = format!(
            "INSERT INTO sku_activity (sku, hour, quantity, base_min, base_max, currency)
             VALUES {}
             ON CONFLICT (sku, hour) DO UPDATE SET
                 quantity = sku_activity.quantity + excluded.quantity,
                 base_min = CASE WHEN sku_activity.base_min IS NULL
                                   OR excluded.base_min < sku_activity.base_min
                            THEN excluded.base_min ELSE sku_activity.base_min END,
                 base_max = CASE WHEN sku_activity.base_max IS NULL
                                   OR excluded.base_max > sku_activity.base_max
                            THEN excluded.base_max ELSE sku_activity.base_max END,
                 currency = COALESCE(sku_activity.currency, excluded.currency)",
            values(1, part.len(), 6)
        );
        let mut s = Stmt::new(sql);
        for a in part {
            s = s
                .bind(a.sku)
                .bind(a.hour)
                .bind(a.quantity)
                .bind(a.base.map(Money::amount))
                .bind(a.base.map(Money::amount))
                .bind(a.base.map(|m| m.currency().code()));
        }
        conn.execute(s).await?;
    }
    Ok(())
}

/// What pricing reads of each SKU `w.column1`: stock, cost and floor, units since the demand
/// window's hour (`$1`), and the range of base prices since the price window's hour (`$2`).
const SIGNALS: &str = "SELECT w.column1,
    (SELECT on_hand FROM stock WHERE sku = w.column1),
    c.cost_minor, c.floor_minor, c.currency,
    (SELECT CAST(COALESCE(SUM(quantity), 0) AS BIGINT) FROM sku_activity
     WHERE sku = w.column1 AND hour >= $1),
    (SELECT MIN(base_min) FROM sku_activity
     WHERE sku = w.column1 AND hour >= $2 AND base_min IS NOT NULL),
    (SELECT MAX(base_max) FROM sku_activity
     WHERE sku = w.column1 AND hour >= $2 AND base_min IS NOT NULL),
    (SELECT MIN(currency) FROM sku_activity
     WHERE sku = w.column1 AND hour >= $2 AND base_min IS NOT NULL),
    (SELECT MAX(currency) FROM sku_activity
     WHERE sku = w.column1 AND hour >= $2 AND base_min IS NOT NULL)";

fn signals_of(sku: Sku, r: &Row) -> Result<PricingSignals, LedgerError> {
    let cost = match (r.opt_int(2)?, r.opt_int(3)?, r.opt_text(4)?) {
        (Some(cost), Some(floor), Some(currency)) => {
            let currency = Currency::parse(currency).map_err(corrupt)?;
            Some(SkuCost {
                sku,
                cost: Money::new(cost, currency),
                floor: Money::new(floor, currency),
            })
        }
        _ => None,
    };
    let recent_prices = match (r.opt_int(6)?, r.opt_int(7)?, r.opt_text(8)?, r.opt_text(9)?) {
        // Prices quoted in two currencies give no range to hold to.
        (Some(lo), Some(hi), Some(c1), Some(c2)) if c1 == c2 => {
            let currency = Currency::parse(c1).map_err(corrupt)?;
            Some((Money::new(lo, currency), Money::new(hi, currency)))
        }
        _ => None,
    };
    Ok(PricingSignals {
        stock: r
            .opt_int(1)?
            .map(u32::try_from)
            .transpose()
            .map_err(corrupt)?,
        cost,
        demand: u32::try_from(r.int(5)?).unwrap_or(u32::MAX),
        recent_prices,
    })
}
