//! Placing orders on SQLite: each batch of the group commit (`group_commit.rs`) in one
//! transaction, opened with `BEGIN IMMEDIATE` (so it holds the file's write lock from its first
//! read to its commit) and committed with one fsync.
//!
//! Whatever its size, a batch takes two trips to SQLite's thread besides `BEGIN` and `COMMIT`:
//! one query reads every row its orders depend on ([`CONTEXT`]), and one script writes every row
//! they change ([`WRITES`]). Between the two, `b2a_orders::placing` decides each order in turn, in memory,
//! exactly as if each were placed alone in that order (the same code decides PostgreSQL's
//! batches). A refused order writes nothing; a new token's grant is recorded before its orders
//! are decided and removed again if they were all refused.
//!
//! Both statements are fixed texts, prepared once per connection: the rows of a batch are bound
//! as JSON arrays and unpacked with `json_each`, one statement per table.

use async_trait::async_trait;
use sqlx::{SqliteConnection, SqlitePool};

use super::audit_log::log_size;
use super::script::Script;
use super::{ORDERS_ENDPOINT, audit_log, storage};
use crate::codec::{corrupt, decode, encode};
use crate::context::{self, ContextParams};
use crate::group_commit::{Answer, Batch, OrderJob, fail_all};
use crate::sql::Row;
use crate::{LedgerError, PlaceOrder, Placed};
use b2a_orders::admission::{DAY_SECONDS, MAX_CHAIN};
use b2a_orders::placing::{self, Outcome, Placement, Snapshot, Totals};

/// Places batches of orders through the writer pool.
pub(super) struct Batches(pub(super) SqlitePool);

#[async_trait]
impl Batch for Batches {
    type Cmd = PlaceOrder;
    type Answer = Placed;

    async fn run(&self, batch: Vec<OrderJob>) {
        let cmds: Vec<&PlaceOrder> = batch.iter().map(|job| &job.cmd).collect();
        match place_all(&self.0, &cmds).await {
            Ok(answers) => {
                for (job, answer) in batch.into_iter().zip(answers) {
                    job.answer(answer);
                }
            }
            Err(broken) => fail_all(batch, &broken),
        }
    }
}

/// Places `cmds` in one transaction, in turn: each order's answer, or the error that left the
/// transaction uncommitted.
async fn place_all(pool: &SqlitePool, cmds: &[&PlaceOrder]) -> Result<Vec<Answer>, LedgerError> {
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await.map_err(storage)?;
    let mut rows = load(&mut tx, cmds).await?;
    let recorded = match context::record_missing(&mut *tx, &rows, cmds).await? {
        Some(recorded) => {
            rows = load(&mut tx, cmds).await?;
            recorded
        }
        None => Vec::new(),
    };
    let outcome = placing::decide(cmds, rows);
    let mut script = Script::default();
    if !outcome.placed.is_empty() {
        add_writes(&mut script, &outcome)?;
    }
    let unused = outcome.unused(recorded);
    if !unused.is_empty() {
        script
            .statement("DELETE FROM grants WHERE jti IN (SELECT value FROM json_each(?))")
            .bind(encode(&unused)?);
    }
    script.run(&mut tx).await?;
    tx.commit().await.map_err(storage)?;
    Ok(outcome.answers)
}

/// Every row a batch's orders depend on, in one query (the transaction holds the write lock, so
/// nothing changes them before the commit).
///
/// Parameters, JSON arrays where plural: `?1` the orders' (agent, idempotency key) pairs, `?2`
/// the endpoint, `?3` the quotes, `?4` the tokens' `jti`s, `?5` the agents, `?6` the agents
/// whose recent orders are counted (the velocity rule) and `?7` since when, `?8` how deep
/// chains are walked, `?9` since when grants' daily orders are counted.
///
/// Answers one row: JSON arrays of the keys used (agent, key, fingerprint, order body), the
/// quotes (id, agent, body, order), the agents (id, status), the grants of every chain
/// ([`crate::grants::GrantRow`]), the stock of the quotes' SKUs (SKU, on hand); the audit log's size; JSON
/// arrays of the recent orders (agent, count) and of the orders of the
/// last 24 hours of the grants with a daily limit (`jti`, count).
const CONTEXT: &str = concat!(
    "
WITH RECURSIVE
    walk (jti, depth) AS (
        SELECT value, 1 FROM json_each(?4)
        UNION
        SELECT g.parent, w.depth + 1 FROM grants g JOIN walk w ON g.jti = w.jti
        WHERE g.parent IS NOT NULL AND w.depth <= ?8),
    walked AS (SELECT * FROM grants WHERE jti IN (SELECT jti FROM walk)),
    quoted AS (
        SELECT id, agent, body, order_id FROM quotes
        WHERE id IN (SELECT value FROM json_each(?3)))
SELECT
    (SELECT json_group_array(json_array(k.agent, k.key, k.fingerprint, o.body))
     FROM json_each(?1) c
     JOIN idempotency_keys k
         ON k.agent = c.value ->> 0 AND k.endpoint = ?2 AND k.key = c.value ->> 1
     JOIN orders o ON o.id = k.order_id),
    (SELECT json_group_array(json_array(id, agent, body, order_id)) FROM quoted),
    (SELECT json_group_array(json_array(id, status)) FROM agents
     WHERE id IN (SELECT value FROM json_each(?5))),
    (SELECT json_group_array(json_array(jti, parent, agent, role, principal, limits, issued_at,
                                        expires_at, revoked_at, spent, max_per_day))
     FROM walked),
    (SELECT json_group_array(json_array(sku, on_hand)) FROM stock
     WHERE sku IN (SELECT l.value ->> 'sku' FROM quoted, json_each(quoted.body, '$.lines') l)),
    (",
    log_size!(),
    "),
    (SELECT json_group_array(json_array(agent, n))
     FROM (SELECT agent, COUNT(*) AS n FROM orders
           WHERE agent IN (SELECT value FROM json_each(?6)) AND created_at >= ?7
           GROUP BY agent)),
    (SELECT json_group_array(json_array(w.jti, (SELECT COUNT(*) FROM grant_spend s
                                               WHERE s.jti = w.jti AND s.at > ?9)))
     FROM walked w WHERE w.max_per_day IS NOT NULL)"
);

/// The rows `cmds` depend on ([`CONTEXT`]).
async fn load(conn: &mut SqliteConnection, cmds: &[&PlaceOrder]) -> Result<Snapshot, LedgerError> {
    let p = ContextParams::of(cmds);
    let keys: Vec<(&str, &str)> = p
        .agents_of
        .iter()
        .copied()
        .zip(p.keys.iter().copied())
        .collect();
    let row = sqlx::query(CONTEXT)
        .bind(encode(&keys)?)
        .bind(ORDERS_ENDPOINT)
        .bind(encode(&p.quotes)?)
        .bind(encode(&p.jtis)?)
        .bind(encode(&p.agents)?)
        .bind(encode(&p.counted)?)
        .bind(p.now - 3600)
        .bind(i64::try_from(MAX_CHAIN).map_err(corrupt)?)
        .bind(p.now - DAY_SECONDS)
        .fetch_one(conn)
        .await
        .map_err(storage)?;
    let row = Row::Sqlite(row);
    let mut rows = context::snapshot(&row)?;
    rows.set_day_counts(context::day_counts(decode(row.text(7)?)?));
    Ok(rows)
}

/// The statements that write what a batch placed (besides the audit log's rows,
/// `audit_log::add_appended`), one per table, each unpacking its rows from
/// one JSON array bound to its `?` (`value ->> n` is the row's `n`th column).
const WRITES: [&str; 8] = [
    "INSERT INTO orders (id, agent, quote_id, status, body, created_at)
     SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5
     FROM json_each(?)",
    "UPDATE quotes SET order_id = o.value ->> 0
     FROM json_each(?) o WHERE quotes.id = o.value ->> 1",
    "INSERT INTO order_events (order_id, seq, status, transition, actor, reason, at)
     SELECT value ->> 0, 1, value ->> 1, NULL, value ->> 2, value ->> 3, value ->> 4
     FROM json_each(?)",
    "INSERT INTO vault (ref, principal, purpose, body, created_at)
     SELECT value ->> 0, value ->> 1, 'fulfilment', value ->> 2, value ->> 3 FROM json_each(?)",
    "UPDATE stock SET on_hand = on_hand - (t.value ->> 1)
     FROM json_each(?) t WHERE stock.sku = t.value ->> 0",
    "INSERT INTO sku_activity (sku, hour, quantity)
     SELECT value ->> 0, value ->> 1, value ->> 2 FROM json_each(?) WHERE true
     ON CONFLICT (sku, hour) DO UPDATE SET quantity = quantity + excluded.quantity",
    "INSERT INTO grant_spend (jti, order_id, amount, at)
     SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3 FROM json_each(?)",
    "INSERT INTO idempotency_keys (agent, endpoint, key, fingerprint, order_id, created_at)
     SELECT value ->> 0, ?, value ->> 1, value ->> 2, value ->> 3, value ->> 4
     FROM json_each(?)",
];

/// Adds [`WRITES`] for what `outcome` placed to `script`.
fn add_writes(script: &mut Script, outcome: &Outcome) -> Result<(), LedgerError> {
    let placed = &outcome.placed;
    let time = |p: &Placement| p.order.created_at.unix_timestamp();
    let Totals {
        taken,
        demand,
        spend,
    } = outcome.totals();
    let orders = rows(placed, |p| {
        (
            p.order.id.as_str(),
            p.order.agent.as_str(),
            p.order.quote_id.as_str(),
            p.order.status.as_str(),
            p.body.as_str(),
            time(p),
        )
    });
    let quotes = rows(placed, |p| (p.order.id.as_str(), p.order.quote_id.as_str()));
    let events = rows(placed, |p| {
        (
            p.order.id.as_str(),
            p.order.status.as_str(),
            format!("agent:{}", p.order.agent),
            p.order.status_reason.as_deref(),
            time(p),
        )
    });
    let vault: Vec<_> = placed
        .iter()
        .filter_map(|p| {
            let details = p.details.as_deref()?;
            Some((
                p.order.fulfilment_ref.as_deref(),
                principal(p),
                details,
                time(p),
            ))
        })
        .collect();
    let taken = rows(&taken, |(sku, n)| (*sku, *n));
    let demand = rows(&demand, |((sku, hour), n)| (*sku, *hour, *n));
    let spend = rows(&spend, |(jti, o)| {
        (
            *jti,
            o.id.as_str(),
            o.total.amount(),
            o.created_at.unix_timestamp(),
        )
    });
    let keys = rows(placed, |p| {
        (
            p.order.agent.as_str(),
            p.key.as_str(),
            p.fingerprint.as_str(),
            p.order.id.as_str(),
            time(p),
        )
    });
    let [
        orders_sql,
        quotes_sql,
        events_sql,
        vault_sql,
        stock_sql,
        demand_sql,
        spend_sql,
        keys_sql,
    ] = WRITES;
    script.statement(orders_sql).bind(encode(&orders)?);
    script.statement(quotes_sql).bind(encode(&quotes)?);
    script.statement(events_sql).bind(encode(&events)?);
    script.statement(vault_sql).bind(encode(&vault)?);
    script.statement(stock_sql).bind(encode(&taken)?);
    script.statement(demand_sql).bind(encode(&demand)?);
    script.statement(spend_sql).bind(encode(&spend)?);
    script
        .statement(keys_sql)
        .bind(ORDERS_ENDPOINT)
        .bind(encode(&keys)?);
    audit_log::add_appended(script, &outcome.entries)
}

fn principal(p: &Placement) -> Option<&str> {
    p.order.principal.as_ref().map(|x| x.as_str())
}

/// One row per item (a tuple: a JSON array).
fn rows<'a, T, R>(items: &'a [T], row: impl Fn(&'a T) -> R) -> Vec<R> {
    items.iter().map(row).collect()
}
