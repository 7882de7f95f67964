//! Placing orders on PostgreSQL: alone (one transaction, retried on a serialization failure or
//! a deadlock) or in a batch of the handle's group commit (`group_commit.rs`): one transaction,
//! one commit.
//!
//! A batch, whatever its size, takes three trips to the server:
//! 1. the advisory locks of its orders' idempotency keys and, when the velocity rule is on, of
//!    their agents (statements without parameters, sent together);
//! 2. one statement that locks and reads all its orders depend on ([`CONTEXT`]);
//! 3. one statement that writes all they change ([`WRITES`]).
//!
//! Between the two, `b2a_orders::placing` decides each order in turn, in memory, as if each were placed
//! alone in that order. A refused order has written nothing, so the batch needs no savepoint
//! (a new token's grant, recorded before its orders are decided, is removed again if they were
//! all refused).
//!
//! A batch never waits for another request's idempotency key: that order is placed alone once
//! the batch has committed, by a task of its own, which waits as a lone order does. A batch
//! waits at most [`BATCH_LOCK_WAIT_MS`] for any other lock; that, or any other error of the
//! database (a deadlock), ends the batch's transaction, and each of its orders is placed alone.
//! So does a batch that fails to commit: each order's idempotency key tells whether the commit
//! happened after all (the order is replayed) or not (it is placed now).

use std::sync::Arc;

use async_trait::async_trait;

use b2a_model::Order;

use sha2::{Digest, Sha256};
use sqlx::{PgConnection, PgPool, Postgres, Row as _, Transaction};

use super::audit_log::{bind_appended, store_entries_ctes};
use super::{ATTEMPTS, IDEMPOTENCY_WAIT, ORDERS_ENDPOINT, column};
use crate::codec::corrupt;
use crate::context::{self, ContextParams};
use crate::engine::retrying;
use crate::group_commit::{Answer, Batch, OrderJob};
use crate::sql::Row;
use crate::sql::{Fail, failure as db, sqlstate};
use crate::{LedgerError, PlaceOrder, Placed};
use b2a_orders::admission::{DAY_SECONDS, MAX_CHAIN};
use b2a_orders::placing::{self, Outcome, Placement, Snapshot, Totals};

/// How long an order of a batch waits for a lock another transaction holds (another replica's
/// batch, a counter-offer on its quote, a revocation of its token) before it leaves the batch
/// and is placed alone: a batch never stalls the orders behind it for longer.
const BATCH_LOCK_WAIT_MS: u64 = 500;

/// Whether orders are placed alone or as a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// One order, which waits for its idempotency key.
    Alone,
    /// A batch: it waits for no key, and at most [`BATCH_LOCK_WAIT_MS`] for any other lock.
    Batch,
}

/// What places orders: the ledger's pool and schema (owned by the group-commit task).
#[derive(Debug, Clone)]
pub(super) struct Placer {
    pub(super) pool: PgPool,
    pub(super) schema: Arc<str>,
}

#[async_trait]
impl Batch for Placer {
    type Cmd = PlaceOrder;
    type Answer = Placed;

    async fn run(&self, batch: Vec<OrderJob>) {
        let answers = match self.batch_once(&batch).await {
            Ok(answers) => answers,
            Err(e) => {
                tracing::debug!(error = ?e, orders = batch.len(), "order batch placed alone");
                batch.iter().map(|_| None).collect()
            }
        };
        for (job, answer) in batch.into_iter().zip(answers) {
            match answer {
                Some(answer) => job.answer(answer),
                // Off the batch task, which goes on with the next batch meanwhile.
                None => {
                    let placer = self.clone();
                    tokio::spawn(async move {
                        let answer = placer.place_alone(&job.cmd).await;
                        job.answer(answer);
                    });
                }
            }
        }
    }
}

impl Placer {
    async fn begin(&self) -> Result<Transaction<'static, Postgres>, Fail> {
        self.pool
            .begin_with("BEGIN ISOLATION LEVEL READ COMMITTED")
            .await
            .map_err(db)
    }

    /// Places `cmd` in a transaction of its own, committed only when the order is placed.
    async fn place_alone(&self, cmd: &PlaceOrder) -> Answer {
        retrying(ATTEMPTS, || async {
            let mut tx = self.begin().await?;
            let answer = self
                .place_all(&mut tx, &[cmd], Mode::Alone)
                .await?
                .pop()
                .flatten()
                .ok_or(Fail::KeyInFlight)?;
            let placed = answer?;
            tx.commit().await.map_err(db)?;
            Ok(placed)
        })
        .await
    }

    /// Places every order of `batch` in one transaction; `None` for the orders to place alone.
    async fn batch_once(&self, batch: &[OrderJob]) -> Result<Vec<Option<Answer>>, Fail> {
        let mut tx = self.begin().await?;
        let cmds: Vec<&PlaceOrder> = batch.iter().map(|job| &job.cmd).collect();
        let answers = self.place_all(&mut tx, &cmds, Mode::Batch).await?;
        tx.commit().await.map_err(db)?;
        Ok(answers)
    }

    /// Places `cmds` inside `conn`'s transaction, in turn; `None` for an order whose key
    /// another transaction holds (only in a batch).
    async fn place_all(
        &self,
        conn: &mut PgConnection,
        cmds: &[&PlaceOrder],
        mode: Mode,
    ) -> Result<Vec<Option<Answer>>, Fail> {
        let held = self.take_locks(&mut *conn, cmds, mode).await?;
        let admitted: Vec<&PlaceOrder> = cmds
            .iter()
            .zip(&held)
            .filter(|(_, held)| **held)
            .map(|(cmd, _)| *cmd)
            .collect();
        let mut rows = load(&mut *conn, &admitted).await?;
        let recorded = match context::record_missing(&mut *conn, &rows, &admitted).await? {
            Some(recorded) => {
                rows = load(&mut *conn, &admitted).await?;
                recorded
            }
            None => Vec::new(),
        };
        let limited = rows.limited_grants();
        if !limited.is_empty() {
            // Counted under the grants' locks, so that no order committed meanwhile is missed.
            let since = admitted
                .iter()
                .map(|c| c.now.unix_timestamp())
                .max()
                .unwrap_or_default()
                - DAY_SECONDS;
            let counts: Vec<(String, i64)> = sqlx::query_as(
                "SELECT jti, COUNT(*) FROM grant_spend WHERE jti = ANY($1) AND at > $2 GROUP BY jti",
            )
            .bind(&limited)
            .bind(since)
            .fetch_all(&mut *conn)
            .await
            .map_err(db)?;
            rows.set_day_counts(context::day_counts(counts));
        }
        let outcome = placing::decide(&admitted, rows);
        if !outcome.placed.is_empty() {
            write(&mut *conn, &outcome).await?;
        }
        let unused = outcome.unused(recorded);
        if !unused.is_empty() {
            sqlx::query("DELETE FROM grants WHERE jti = ANY($1)")
                .bind(&unused)
                .execute(&mut *conn)
                .await
                .map_err(db)?;
        }
        let mut answers = outcome.answers.into_iter();
        Ok(held
            .iter()
            .map(|held| if *held { answers.next() } else { None })
            .collect())
    }

    /// The first trip: the transaction-scoped advisory locks of the commands' idempotency keys
    /// and, when the velocity rule is on, of their agents (whose orders then take turns, so
    /// that each counts those before it); whether each command's key is held. A key another
    /// transaction holds is waited for by a lone order (up to [`IDEMPOTENCY_WAIT`], then
    /// [`LedgerError::IdempotencyInFlight`]), not by a batch.
    async fn take_locks(
        &self,
        conn: &mut PgConnection,
        cmds: &[&PlaceOrder],
        mode: Mode,
    ) -> Result<Vec<bool>, Fail> {
        let mut sql = match mode {
            Mode::Batch => format!("SET LOCAL lock_timeout = '{BATCH_LOCK_WAIT_MS}ms'; "),
            Mode::Alone => String::new(),
        };
        let mut velocity: Vec<i64> = cmds
            .iter()
            .filter(|c| c.risk.max_orders_per_agent_per_hour.is_some())
            .map(|c| self.lock_key("velocity", &[c.agent.as_str()]))
            .collect();
        // In key order, so that two batches never wait for each other's.
        velocity.sort_unstable();
        velocity.dedup();
        for agent in &velocity {
            sql.push_str(&format!("SELECT 1 FROM pg_advisory_xact_lock({agent}); "));
        }
        let keys: Vec<i64> = cmds
            .iter()
            .map(|c| {
                self.lock_key(
                    "idempotency",
                    &[
                        c.agent.as_str(),
                        ORDERS_ENDPOINT,
                        c.idempotency_key.as_str(),
                    ],
                )
            })
            .collect();
        let list = keys
            .iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(",");
        // Last, so that the keys' answers are the last rows, in the commands' order.
        sql.push_str(&format!(
            "SELECT pg_try_advisory_xact_lock(k) FROM unnest(ARRAY[{list}]::BIGINT[]) \
             WITH ORDINALITY AS t (k, n) ORDER BY n"
        ));
        let rows = sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
            .fetch_all(&mut *conn)
            .await
            .map_err(db)?;
        let first = rows
            .len()
            .checked_sub(keys.len())
            .ok_or_else(|| LedgerError::Corrupt("too few answers to locks".to_owned()))?;
        let mut held = rows[first..]
            .iter()
            .map(|r| r.try_get::<bool, _>(0).map_err(db))
            .collect::<Result<Vec<bool>, Fail>>()?;
        if mode == Mode::Alone {
            for (key, held) in keys.iter().zip(&mut held) {
                if !*held {
                    wait_for_key(&mut *conn, *key).await?;
                    *held = true;
                }
            }
        }
        Ok(held)
    }

    /// The 64-bit key of an advisory lock of this ledger's schema: the first eight bytes of the
    /// SHA-256 of its name, made of length-prefixed parts so that no two locks share a name
    /// (their keys may collide, which only makes two transactions wait for each other).
    /// Computed here, so that the lock statements carry no text.
    fn lock_key(&self, kind: &str, parts: &[&str]) -> i64 {
        let mut name = Sha256::new();
        name.update(format!("b2a-{kind}"));
        for part in std::iter::once(self.schema.as_ref()).chain(parts.iter().copied()) {
            name.update(format!(":{}:", part.len()));
            name.update(part);
        }
        let digest = name.finalize();
        let mut first = [0u8; 8];
        first.copy_from_slice(&digest[..8]);
        i64::from_be_bytes(first)
    }
}

/// Waits for the idempotency key `key` a concurrent request holds (up to [`IDEMPOTENCY_WAIT`]),
/// so that its order is then replayed.
async fn wait_for_key(conn: &mut PgConnection, key: i64) -> Result<(), Fail> {
    let waited = sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "SET LOCAL lock_timeout = '{}ms'; SELECT 1 FROM pg_advisory_xact_lock({key}); \
         SET LOCAL lock_timeout TO DEFAULT",
        IDEMPOTENCY_WAIT.as_millis()
    )))
    .execute(conn)
    .await;
    match waited {
        Ok(_) => Ok(()),
        Err(e) if sqlstate(&e).as_deref() == Some("55P03") => {
            Err(LedgerError::IdempotencyInFlight.into())
        }
        Err(e) => Err(db(e)),
    }
}

/// The second trip: every row the orders depend on, locked where a concurrent transaction could
/// change it, in one statement. Locked rows are read as committed when the lock was granted
/// (READ COMMITTED reads a row it had to wait for in its newest version), the rest as of the
/// statement's start, which is after the first trip's locks: the keys, and the agents' recent
/// orders.
///
/// Parameters: `$1` the orders' agents and `$2` their idempotency keys, `$3` the endpoint,
/// `$4` the quotes, `$5` the tokens' `jti`s, `$6` the agents, `$7` the agents whose recent
/// orders are counted (the velocity rule) and `$8` since when, `$9` how deep chains are walked.
/// The stock rows locked are those of the SKUs of the quotes' lines.
///
/// Answers one row of JSON arrays: the keys used (agent, key, fingerprint, order body); the
/// quotes (id, agent, body, order); the agents (id, status); the grants of every chain
/// ([`crate::grants::GrantRow`]); the stock levels (SKU, on hand); then the audit log's size; then the
/// recent orders (agent, count).
///
/// The locks are taken in the order of the answer's columns (quotes in id order, agents, grants
/// in `jti` order, stock in SKU order, the audit head last), as other transactions take them.
const CONTEXT: &str = "
WITH RECURSIVE
    walk (jti, parent, depth) AS (
        SELECT jti, parent, 1 FROM grants WHERE jti = ANY($5)
        UNION ALL
        SELECT g.jti, g.parent, w.depth + 1 FROM grants g JOIN walk w ON g.jti = w.parent
        WHERE w.depth <= $9),
    locked_quotes AS MATERIALIZED (
        SELECT id, agent, body, order_id FROM quotes WHERE id = ANY($4) ORDER BY id FOR UPDATE),
    locked_agents AS MATERIALIZED (
        SELECT id, status FROM agents WHERE id = ANY($6) ORDER BY id FOR SHARE),
    locked_grants AS MATERIALIZED (
        SELECT g.* FROM grants g WHERE g.jti IN (SELECT jti FROM walk) ORDER BY g.jti FOR UPDATE),
    locked_stock AS MATERIALIZED (
        SELECT sku, on_hand FROM stock
        WHERE sku IN (SELECT line ->> 'sku'
                      FROM locked_quotes, json_array_elements(body::JSON -> 'lines') line)
        ORDER BY sku FOR UPDATE),
    locked_head AS MATERIALIZED (SELECT size FROM audit_head FOR UPDATE)
SELECT
    (SELECT json_agg(json_build_array(k.agent, k.key, k.fingerprint, o.body))::TEXT
     FROM unnest($1::TEXT[], $2::TEXT[]) AS c (agent, key)
     JOIN idempotency_keys k ON k.agent = c.agent AND k.endpoint = $3 AND k.key = c.key
     JOIN orders o ON o.id = k.order_id),
    (SELECT json_agg(json_build_array(id, agent, body, order_id))::TEXT FROM locked_quotes),
    (SELECT json_agg(json_build_array(id, status))::TEXT FROM locked_agents),
    (SELECT json_agg(json_build_array(jti, parent, agent, role, principal, limits, issued_at,
                                      expires_at, revoked_at, spent, max_per_day))::TEXT
     FROM locked_grants),
    (SELECT json_agg(json_build_array(sku, on_hand))::TEXT FROM locked_stock),
    (SELECT size FROM locked_head),
    (SELECT json_agg(json_build_array(agent, n))::TEXT
     FROM (SELECT agent, COUNT(*) AS n FROM orders
           WHERE agent = ANY($7) AND created_at >= $8 GROUP BY agent) recent)";

/// The rows `cmds` depend on ([`CONTEXT`]).
async fn load(conn: &mut PgConnection, cmds: &[&PlaceOrder]) -> Result<Snapshot, Fail> {
    let p = ContextParams::of(cmds);
    let row = sqlx::query(CONTEXT)
        .bind(&p.agents_of)
        .bind(&p.keys)
        .bind(ORDERS_ENDPOINT)
        .bind(&p.quotes)
        .bind(&p.jtis)
        .bind(&p.agents)
        .bind(&p.counted)
        .bind(p.now - 3600)
        .bind(i64::try_from(MAX_CHAIN).map_err(corrupt)?)
        .fetch_one(&mut *conn)
        .await
        .map_err(db)?;
    Ok(context::snapshot(&Row::Postgres(row))?)
}

/// The third trip: everything the placed orders write, in one statement, each table's rows as
/// arrays. Parameters: `$1` and `$2` the audit entries ([`store_entries_ctes`]); the orders' ids,
/// agents, quotes, principals, statuses, bodies, times and vault references (`$3`..`$10`);
/// their first events' actors and reasons (`$11`, `$12`); the vault's references, principals,
/// details and times (`$13`..`$16`); the units taken per SKU (`$17`, `$18`); the demand per SKU
/// and hour (`$19`..`$21`); the spend per grant and order (`$22`..`$25`); the keys' endpoint,
/// keys and fingerprints (`$26`..`$28`, with the orders' agents, ids and times).
const WRITES: &str = concat!(
    "WITH ",
    store_entries_ctes!(),
    ",
    stored_details AS (
        INSERT INTO vault (ref, principal, purpose, body, created_at)
        SELECT r, p, 'fulfilment', b, t
        FROM unnest($13::TEXT[], $14::TEXT[], $15::TEXT[], $16::BIGINT[]) AS v (r, p, b, t)),
    stored_orders AS (
        INSERT INTO orders (id, agent, quote_id, principal, status, body, created_at,
                            fulfilment_ref)
        SELECT * FROM unnest($3::TEXT[], $4::TEXT[], $5::TEXT[], $6::TEXT[], $7::TEXT[],
                             $8::TEXT[], $9::BIGINT[], $10::TEXT[])),
    linked_quotes AS (
        UPDATE quotes q SET order_id = o.id FROM unnest($3::TEXT[], $5::TEXT[]) AS o (id, quote)
        WHERE q.id = o.quote),
    first_events AS (
        INSERT INTO order_events (order_id, seq, status, transition, actor, reason, at)
        SELECT id, 1, status, NULL, actor, reason, at
        FROM unnest($3::TEXT[], $7::TEXT[], $11::TEXT[], $12::TEXT[], $9::BIGINT[])
             AS e (id, status, actor, reason, at)),
    taken_stock AS (
        UPDATE stock s SET on_hand = s.on_hand - l.units
        FROM unnest($17::TEXT[], $18::BIGINT[]) AS l (sku, units) WHERE s.sku = l.sku),
    demand AS (
        INSERT INTO sku_activity AS a (sku, hour, quantity)
        SELECT * FROM unnest($19::TEXT[], $20::BIGINT[], $21::BIGINT[])
        ON CONFLICT (sku, hour) DO UPDATE SET quantity = a.quantity + excluded.quantity),
    spend AS (
        INSERT INTO grant_spend (jti, order_id, amount, at)
        SELECT * FROM unnest($22::TEXT[], $23::TEXT[], $24::BIGINT[], $25::BIGINT[]))
INSERT INTO idempotency_keys (agent, endpoint, key, fingerprint, order_id, created_at)
SELECT agent, $26, key, fingerprint, id, at
FROM unnest($4::TEXT[], $27::TEXT[], $28::TEXT[], $3::TEXT[], $9::BIGINT[])
     AS k (agent, key, fingerprint, id, at)"
);

/// Writes what `outcome` placed ([`WRITES`]).
async fn write(conn: &mut PgConnection, outcome: &Outcome) -> Result<(), Fail> {
    let placed: Vec<&Placement> = outcome.placed.iter().collect();
    let vaulted: Vec<&Placement> = placed
        .iter()
        .copied()
        .filter(|p| p.details.is_some())
        .collect();
    let Totals {
        taken,
        demand,
        spend,
    } = outcome.totals();
    let time = |o: &Order| o.created_at.unix_timestamp();
    fn principal(o: &Order) -> Option<&str> {
        o.principal.as_ref().map(|p| p.as_str())
    }
    bind_appended(sqlx::query(WRITES), &outcome.entries)?
        .bind(column(&placed, |p| p.order.id.as_str()))
        .bind(column(&placed, |p| p.order.agent.as_str()))
        .bind(column(&placed, |p| p.order.quote_id.as_str()))
        .bind(column(&placed, |p| principal(&p.order)))
        .bind(column(&placed, |p| p.order.status.as_str()))
        .bind(column(&placed, |p| p.body.as_str()))
        .bind(column(&placed, |p| time(&p.order)))
        .bind(column(&placed, |p| p.order.fulfilment_ref.as_deref()))
        .bind(column(&placed, |p| format!("agent:{}", p.order.agent)))
        .bind(column(&placed, |p| p.order.status_reason.as_deref()))
        .bind(column(&vaulted, |p| p.order.fulfilment_ref.as_deref()))
        .bind(column(&vaulted, |p| principal(&p.order)))
        .bind(column(&vaulted, |p| p.details.as_deref()))
        .bind(column(&vaulted, |p| time(&p.order)))
        .bind(column(&taken, |(sku, _)| *sku))
        .bind(column(&taken, |(_, n)| *n))
        .bind(column(&demand, |((sku, _), _)| *sku))
        .bind(column(&demand, |((_, hour), _)| *hour))
        .bind(column(&demand, |(_, n)| *n))
        .bind(column(&spend, |(jti, _)| *jti))
        .bind(column(&spend, |(_, o)| o.id.as_str()))
        .bind(column(&spend, |(_, o)| o.total.amount()))
        .bind(column(&spend, |(_, o)| time(o)))
        .bind(ORDERS_ENDPOINT)
        .bind(column(&placed, |p| p.key.as_str()))
        .bind(column(&placed, |p| p.fingerprint.as_str()))
        .execute(conn)
        .await
        .map_err(db)?;
    Ok(())
}
