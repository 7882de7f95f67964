//! Quotes, their versions and private bounds, what pricing reads, and the pricing policy's
//! versions: tables `quotes`, `quote_versions`, `quote_bounds`, `sku_activity`, `sku_costs`,
//! `pricing_policies`.

use std::collections::HashMap;

use async_trait::async_trait;
use b2a_model::{AgentId, Currency, Money, OrderId, Principal, Quote, QuoteId, Sku};
use b2a_orders::offers::{CreateQuote, QuoteBatch, QuoteCmd, decide_quotes, hour_of};
use time::OffsetDateTime;

use super::SqlLedger;
use super::orders::{bodies, body};
use crate::codec::{corrupt, decode, encode, instant};
use crate::engine::{Engine, retrying};
use crate::group_commit::{Batch, Job, fail_all};
use crate::records::policy_changed;
use crate::sql::{Conn, Fail, Lock, Row, Stmt, chunks, list, values};
use crate::{
    Acceptance, Actor, LedgerError, NewQuote, Offers, Policies, PricingSignals, QuoteRecord,
    Revision, SkuCost, StoredPolicy,
};

#[async_trait]
impl<E: Engine> Offers for SqlLedger<E> {
    async fn create_quote(&self, new: NewQuote<'_>) -> Result<(), LedgerError> {
        let cmd = QuoteCmd::Create(Box::new(CreateQuote::from(new)));
        self.quotes.submit(cmd).await.map(|_| ())
    }

    async fn quote(&self, id: &QuoteId, agent: &AgentId) -> Result<Option<Quote>, LedgerError> {
        let s = Stmt::new("SELECT body FROM quotes WHERE id = $1 AND agent = $2")
            .bind(id.as_str())
            .bind(agent.as_str());
        body(&mut *self.engine.read().await?, s).await
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
        let history = bodies(
            &mut *conn,
            Stmt::new("SELECT body FROM quote_versions WHERE quote_id = $1 ORDER BY round")
                .bind(id.as_str()),
        )
        .await?;
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
        self.quotes.submit(QuoteCmd::Revise(rev.clone())).await
    }

    async fn accept_quote(&self, acc: &Acceptance) -> Result<Quote, LedgerError> {
        self.quotes.submit(QuoteCmd::Accept(acc.clone())).await
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

/// Makes batches of quote writes (the ledger's group commit of quotes, `group_commit.rs`):
/// each batch in one transaction, decided in memory (`b2a_orders::offers::decide_quotes`), a
/// handful of statements whatever its size.
#[derive(Debug)]
pub(crate) struct QuoteBatches<E>(pub(crate) E);

#[async_trait]
impl<E: Engine> Batch for QuoteBatches<E> {
    type Cmd = QuoteCmd;
    type Answer = Quote;

    async fn run(&self, batch: Vec<Job<QuoteCmd, Quote>>) {
        let cmds: Vec<&QuoteCmd> = batch.iter().map(|job| &job.cmd).collect();
        let written = retrying(E::ATTEMPTS, || write_quotes(&self.0, &cmds)).await;
        match written {
            Ok(answers) => {
                for (job, answer) in batch.into_iter().zip(answers) {
                    job.answer(answer);
                }
            }
            Err(e) => fail_all(batch, &e),
        }
    }
}

/// Makes `cmds` in one transaction: reads (and, where rows are locked, locks in id order) the
/// stored quotes they depend on, decides each in turn, appends their audit entries (taking the
/// log's lock before any row of `sku_activity`, as orders do), writes what they changed, commits.
async fn write_quotes<E: Engine>(
    engine: &E,
    cmds: &[&QuoteCmd],
) -> Result<Vec<Result<Quote, LedgerError>>, Fail> {
    let mut tx = engine.begin().await?;
    let mut ids: Vec<&str> = cmds
        .iter()
        .filter_map(|c| c.reads())
        .map(QuoteId::as_str)
        .collect();
    ids.sort_unstable();
    ids.dedup();
    let mut current = HashMap::with_capacity(ids.len());
    for part in chunks(&ids, 1) {
        let s = Stmt::new(format!(
            "SELECT id, body, order_id FROM quotes WHERE id IN ({}) ORDER BY id",
            list(1, part.len())
        ))
        .bind_all(part.iter().copied())
        .for_update("FOR UPDATE");
        for r in tx.fetch_all(s).await? {
            current.insert(
                r.text(0)?.to_owned(),
                (decode(r.text(1)?)?, ordered(&r, 2)?),
            );
        }
    }
    let QuoteBatch {
        answers,
        created,
        history,
        replaced,
        records,
    } = decide_quotes(cmds, current);
    tx.append(records).await?;
    for part in chunks(&created, 4) {
        let mut quotes = Stmt::new(format!(
            "INSERT INTO quotes (id, agent, body, expires_at) VALUES {}",
            values(1, part.len(), 4)
        ));
        let mut bounds = Stmt::new(format!(
            "INSERT INTO quote_bounds (quote_id, body) VALUES {}",
            values(1, part.len(), 2)
        ));
        for new in part {
            let q = &new.quote;
            quotes = quotes
                .bind(q.id.as_str())
                .bind(q.agent.as_str())
                .bind(encode(q)?)
                .bind(q.expires_at.unix_timestamp());
            bounds = bounds.bind(q.id.as_str()).bind(new.bounds.to_string());
        }
        tx.execute(quotes).await?;
        tx.execute(bounds).await?;
    }
    record_activity(&mut *tx, &demand_of(&created)).await?;
    for part in chunks(&history, 3) {
        let mut s = Stmt::new(format!(
            "INSERT INTO quote_versions (quote_id, round, body) VALUES {}",
            values(1, part.len(), 3)
        ));
        for old in part {
            s = s
                .bind(old.id.as_str())
                .bind(i64::from(old.round))
                .bind(encode(old)?);
        }
        tx.execute(s).await?;
    }
    for part in chunks(&replaced, 3) {
        let mut s = Stmt::new(format!(
            "UPDATE quotes SET body = v.column2, expires_at = v.column3
             FROM (VALUES {}) AS v WHERE quotes.id = v.column1",
            values(1, part.len(), 3)
        ));
        for new in part {
            s = s
                .bind(new.id.as_str())
                .bind(encode(new)?)
                .bind(new.expires_at.unix_timestamp());
        }
        tx.execute(s).await?;
    }
    engine.commit(tx).await?;
    Ok(answers)
}

/// The demand and base prices new quotes record, one row per SKU and hour.
fn demand_of<'c>(created: &[&'c CreateQuote]) -> Vec<Activity<'c>> {
    let mut rows: Vec<Activity<'c>> = Vec::new();
    for new in created {
        let hour = hour_of(new.quote.created_at);
        for (sku, quantity, base) in &new.base_prices {
            let row = Activity {
                sku: sku.as_str(),
                hour,
                quantity: i64::from(*quantity),
                base_min: Some(base.amount()),
                base_max: Some(base.amount()),
                currency: Some(base.currency().code()),
            };
            match rows.iter_mut().find(|r| r.sku == row.sku && r.hour == hour) {
                Some(r) => r.add(&row),
                None => rows.push(row),
            }
        }
    }
    rows
}

/// The order a quote's row says it became (column `i`).
fn ordered(row: &Row, i: usize) -> Result<Option<OrderId>, LedgerError> {
    row.opt_text(i)?
        .map(OrderId::parse)
        .transpose()
        .map_err(corrupt)
}

/// Units of a SKU quoted (first versions) or ordered in an hour, and the range of one-unit
/// base prices quoted.
#[derive(Debug)]
pub(crate) struct Activity<'a> {
    pub(crate) sku: &'a str,
    pub(crate) hour: i64,
    pub(crate) quantity: i64,
    pub(crate) base_min: Option<i64>,
    pub(crate) base_max: Option<i64>,
    pub(crate) currency: Option<&'static str>,
}

impl Activity<'_> {
    /// Adds another row of the same SKU and hour (its price range, and the first currency).
    fn add(&mut self, other: &Activity<'_>) {
        self.quantity += other.quantity;
        self.base_min = [self.base_min, other.base_min].into_iter().flatten().min();
        self.base_max = [self.base_max, other.base_max].into_iter().flatten().max();
        self.currency = self.currency.or(other.currency);
    }
}

/// Adds `rows` (at most one per SKU and hour) to the hourly demand and price range of their
/// SKUs.
async fn record_activity(conn: &mut dyn Conn, rows: &[Activity<'_>]) -> Result<(), Fail> {
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
                .bind(a.base_min)
                .bind(a.base_max)
                .bind(a.currency);
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

#[cfg(test)]
mod tests {
    use b2a_model::{
        Answer, CountryCode, Delivery, NegotiationState, Quantity, QuoteLine, QuoteStatus, Speed,
    };
    use time::macros::datetime;

    use super::*;
    use crate::SqliteLedger;

    const NOW: OffsetDateTime = datetime!(2026-11-21 08:05 UTC);

    fn eur(minor: i64) -> Money {
        Money::new(minor, Currency::EUR)
    }

    fn open_quote(total: i64) -> Quote {
        let line = QuoteLine {
            sku: Sku::parse("VC-A").expect("sku"),
            name: "A".into(),
            quantity: Quantity::new(1).expect("quantity"),
            list_price: eur(total),
            unit_price: eur(total),
            adjustments: Vec::new(),
            line_total: eur(total),
        };
        Quote {
            id: QuoteId::generate(),
            round: 0,
            status: QuoteStatus::Open,
            agent: AgentId::parse("alice").expect("agent"),
            principal: None,
            lines: vec![line],
            ship_to: CountryCode::parse("FR").expect("country"),
            delivery: Delivery {
                zone: "fr".into(),
                speed: Speed::Standard,
                days: 3,
                price: eur(0),
                reason: "free".into(),
            },
            subtotal: eur(total),
            total: eur(total),
            vat_included: true,
            policy_version: 0,
            negotiation: NegotiationState {
                max_rounds: 3,
                target: None,
                answer: None,
                reason: None,
            },
            created_at: datetime!(2026-11-21 08:00 UTC),
            expires_at: datetime!(2026-11-21 08:15 UTC),
            signature: None,
        }
    }

    fn create(q: &Quote) -> QuoteCmd {
        QuoteCmd::Create(Box::new(CreateQuote {
            quote: q.clone(),
            bounds: serde_json::json!({"floor": 1}),
            base_prices: vec![(q.lines[0].sku.clone(), 1, q.total)],
            credential: "jti".into(),
        }))
    }

    fn counter(q: &Quote, total: i64) -> QuoteCmd {
        QuoteCmd::Revise(Revision {
            quote_id: q.id.clone(),
            agent: q.agent.clone(),
            credential: "jti".into(),
            from_round: q.round,
            target: eur(total),
            answer: Answer::Countered,
            reason: "part of the way".into(),
            new_version: Some(Quote {
                round: q.round + 1,
                total: eur(total),
                ..q.clone()
            }),
            now: NOW,
        })
    }

    /// One batch of writes on quotes, as the group commit makes it when they arrive together:
    /// each decided in turn on what the ones before it wrote, and stored once.
    #[tokio::test]
    async fn a_batch_of_quote_writes_is_decided_in_turn() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let ledger = SqliteLedger::open(&dir.path().join("ledger.sqlite"))
            .await
            .expect("opens");
        let stored = open_quote(1_000);
        let old = QuoteCmd::Create(Box::new(CreateQuote::from(NewQuote {
            quote: &stored,
            bounds: &serde_json::json!({}),
            base_prices: &[],
            credential: "jti",
        })));
        write_quotes(&ledger.engine, &[&old])
            .await
            .expect("stored")
            .remove(0)
            .expect("created");

        let fresh = open_quote(2_000);
        let first = counter(&stored, 950);
        let stale = counter(&stored, 940);
        let after = match counter(&stored, 950) {
            QuoteCmd::Revise(r) => {
                let moved = r.new_version.clone().expect("a new version");
                QuoteCmd::Accept(Acceptance {
                    accepted: Quote {
                        status: QuoteStatus::Accepted,
                        ..moved
                    },
                    credential: "jti".into(),
                    now: NOW,
                })
            }
            other => other,
        };
        let batch = [
            &create(&fresh),
            &first,
            &stale,
            &after,
            &create(&open_quote(3_000)),
        ];
        let answers = write_quotes(&ledger.engine, &batch)
            .await
            .expect("committed");
        assert!(answers[0].is_ok() && answers[4].is_ok(), "{answers:?}");
        assert_eq!(answers[1].as_ref().map(|q| q.round).ok(), Some(1));
        assert!(
            matches!(answers[2], Err(LedgerError::QuoteChanged { round: 1, .. })),
            "the second counter of round 0 sees the first: {:?}",
            answers[2]
        );
        assert_eq!(
            answers[3].as_ref().map(|q| (q.round, q.status)).ok(),
            Some((1, QuoteStatus::Accepted)),
            "the acceptance sees the new round"
        );
        let record = ledger
            .quote_record(&stored.id, &stored.agent)
            .await
            .expect("read")
            .expect("stored");
        assert_eq!(record.current.status, QuoteStatus::Accepted);
        assert_eq!(record.history, vec![stored.clone()]);
        assert_eq!(
            ledger.quote(&fresh.id, &fresh.agent).await.expect("read"),
            Some(fresh)
        );
        let signals = ledger
            .pricing_signals(
                &[Sku::parse("VC-A").expect("sku")],
                NOW - time::Duration::hours(1),
                NOW - time::Duration::hours(1),
            )
            .await
            .expect("signals");
        assert_eq!(
            signals[0].demand, 2,
            "the two new quotes of the batch, one row"
        );
        assert_eq!(signals[0].recent_prices, Some((eur(2_000), eur(3_000))));
    }
}
