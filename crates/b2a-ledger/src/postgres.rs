mod audit_log;
mod grant_rows;
mod offers;
mod orders;
mod placing;
mod registry;
mod trust;

use std::future::Future;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use self::audit_log::append;
use async_trait::async_trait;
use b2a_audit::checkpoint::SignedCheckpoint;
use b2a_audit::entry::{Entry, Record};
use b2a_audit::merkle::{Hash, NodeId};
use b2a_model::{AgentId, Order, OrderId, Principal, Quote, QuoteId, Sku};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::{PgConnection, Postgres, Transaction};
use time::OffsetDateTime;

use self::placing::Placer;
use self::trust::TrustWatch;
use crate::audit::{AuditHead, AuditQuery, StoredEntry};
use crate::codec::{corrupt, decode, encode, instant};
use crate::group_commit::OrderWriter;
use crate::records::{
    agent_registered, agent_status_changed, grant_recorded, grant_revoked, policy_changed,
    privacy_erased, privacy_purged, stock_set,
};
use crate::{
    Acceptance, Actor, AgentRecord, AgentStatus, Erasure, GrantRecord, GrantState, Ledger,
    LedgerError, NewQuote, OrderChange, OrderEvent, PlaceOrder, Placed, PricingSignals,
    QuoteRecord, Revision, SkuCost, StoredPolicy, TrustSnapshot,
};
use b2a_orders::lifecycle::delivered_at;
use b2a_orders::records::quote_created;

/// The endpoint idempotency keys of order creation are scoped to.
const ORDERS_ENDPOINT: &str = "POST /v1/orders";

/// Connections of the default pool.
const MAX_CONNECTIONS: u32 = 16;

/// How long a request waits for a connection of the pool.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);

/// Attempts at a transaction that fails on a serialization failure or a deadlock.
const ATTEMPTS: u32 = 5;

/// How long an order waits for another transaction holding its idempotency key (a concurrent
/// retry of the same request) before answering [`LedgerError::IdempotencyInFlight`].
const IDEMPOTENCY_WAIT: Duration = Duration::from_secs(5);

/// The ledger on PostgreSQL: any number of gateway replicas (and the CLI) share one database.
///
/// Transactions run at READ COMMITTED and lock explicitly what SQLite's single writer
/// serializes:
/// - stock moves by a conditional `UPDATE ... WHERE on_hand >= n`, after the order has locked the
///   rows of its SKUs in SKU order, so stock never goes below zero and orders never deadlock;
/// - the quote row is locked (`FOR UPDATE`) by the order, the counter-offer and the acceptance,
///   so a quote becomes at most one order and moves one round at a time (the `UNIQUE` quote id
///   of `orders` stands behind it);
/// - an order locks every grant of its token's chain (`FOR UPDATE`, in `jti` order) before it
///   sums their spend, and the agent's row (`FOR SHARE`) before it checks the suspension: budgets
///   and daily counts hold under any concurrency, and a revocation or suspension waits for the
///   orders already admitted (and the orders after it see it);
/// - an order first takes a transaction-scoped advisory lock on its (schema, agent, endpoint,
///   idempotency key): a concurrent retry waits for it (up to five seconds, then
///   [`LedgerError::IdempotencyInFlight`]) and then replays its order;
/// - a change of an order's status locks the order's row (`FOR UPDATE`): of a cancellation and
///   a shipment racing, one applies and the other finds the new status; the stock it releases is
///   locked in SKU order, as orders lock it;
/// - when the velocity risk rule is on, an agent's orders take turns (an advisory lock on the
///   agent), so each counts the orders of the last hour before it;
/// - every audit append locks the one row of `audit_head`, which holds the log's size, as late
///   in its transaction as it can, so entries are numbered in commit order.
///
/// A batch of orders of the group commit takes three trips to the server, whatever its size
/// (`postgres/placing.rs`): its advisory locks; one statement locking and reading everything its
/// orders depend on; one statement writing everything they change. In between, each order is
/// decided in memory, in turn (`postgres/batch.rs`).
///
/// A serialization failure or a deadlock, should one still happen, is retried (five attempts).
///
/// [`Ledger::trust_stamp`] counts `NOTIFY b2a_trust` notifications (sent inside the transaction
/// of every revocation, suspension and reactivation, delivered at its commit) through a
/// listening connection each handle keeps; see `postgres/trust.rs`. The handle that commits a
/// change moves its own stamp before the call returns; every other handle's moves when the
/// notification arrives, milliseconds later (and once more whenever its listener had to
/// reconnect, as notifications may have been lost meanwhile). Read the stamp before the
/// snapshot, never after.
///
/// The schema is the first of the connection's `search_path`; migrations (embedded, versioned,
/// recorded in `_sqlx_migrations`) are applied at connect under an advisory lock, so replicas
/// starting together are safe. Times of agents and grants are kept to the second.
#[derive(Debug, Clone)]
pub struct PostgresLedger {
    pool: PgPool,
    trust: Arc<TrustWatch>,
    orders: OrderWriter,
}

/// Why one attempt at a transaction failed: for good, or in a way worth another attempt.
#[derive(Debug)]
enum Fail {
    /// The answer.
    Ledger(LedgerError),
    /// A serialization failure or a deadlock: the transaction was rolled back, try again.
    Retry(sqlx::Error),
    /// A lock was held by another transaction for longer than a batch waits (only batches set
    /// a lock timeout): the batch's orders are placed in transactions of their own.
    Busy,
    /// Another transaction holds the order's idempotency key, which an order of a batch does
    /// not wait for: the order is placed in a transaction of its own.
    KeyInFlight,
}

impl From<LedgerError> for Fail {
    fn from(e: LedgerError) -> Self {
        Fail::Ledger(e)
    }
}

impl From<Fail> for LedgerError {
    fn from(f: Fail) -> Self {
        match f {
            Fail::Ledger(e) => e,
            Fail::Retry(e) => LedgerError::Storage(e.to_string()),
            Fail::Busy => LedgerError::Storage("a lock was held too long".to_owned()),
            Fail::KeyInFlight => LedgerError::IdempotencyInFlight,
        }
    }
}

/// The SQLSTATE of a database error.
fn sqlstate(e: &sqlx::Error) -> Option<String> {
    e.as_database_error()
        .and_then(|d| d.code())
        .map(|c| c.into_owned())
}

/// A database error: retryable when it is a serialization failure or a deadlock, busy when a
/// lock wait ran out of time.
fn db(e: sqlx::Error) -> Fail {
    match sqlstate(&e).as_deref() {
        Some("40001" | "40P01") => Fail::Retry(e),
        Some("55P03") => Fail::Busy,
        _ => Fail::Ledger(LedgerError::Storage(e.to_string())),
    }
}

fn storage(e: impl std::fmt::Display) -> LedgerError {
    LedgerError::Storage(e.to_string())
}

/// Runs `attempt` until it succeeds, fails for good, or has failed [`ATTEMPTS`] times on a
/// serialization failure or a deadlock.
async fn retrying<T, F, Fut>(mut attempt: F) -> Result<T, LedgerError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, Fail>>,
{
    let mut tries = 1;
    loop {
        match attempt().await {
            Ok(value) => return Ok(value),
            Err(Fail::Retry(e)) if tries < ATTEMPTS => {
                tracing::debug!(error = %e, tries, "ledger transaction retried");
                tokio::time::sleep(Duration::from_millis(u64::from(tries) * 10)).await;
                tries += 1;
            }
            Err(fail) => return Err(fail.into()),
        }
    }
}

impl PostgresLedger {
    /// Connects to the database at `url` (`postgres://user@host:port/db`; the schema is the
    /// first of its `search_path`, `public` by default) and applies the schema migrations.
    pub async fn connect(url: &str) -> Result<Self, LedgerError> {
        Self::connect_with(PgConnectOptions::from_str(url).map_err(storage)?).await
    }

    /// [`Self::connect`] with connection options (`options([("search_path", "b2a")])` selects
    /// the schema) and the default pool: 16 connections, 10 s to acquire one.
    pub async fn connect_with(options: PgConnectOptions) -> Result<Self, LedgerError> {
        let pool = PgPoolOptions::new()
            .max_connections(MAX_CONNECTIONS)
            .acquire_timeout(ACQUIRE_TIMEOUT);
        Self::connect_with_pool(options, pool).await
    }

    /// [`Self::connect_with`] with the caller's pool options. The trust listener takes one more
    /// connection of its own.
    pub async fn connect_with_pool(
        options: PgConnectOptions,
        pool: PgPoolOptions,
    ) -> Result<Self, LedgerError> {
        migrate(&options).await?;
        let pool = pool.connect_with(options.clone()).await.map_err(storage)?;
        audit_log::carry_over_chain(&pool).await?;
        let schema: Option<String> = sqlx::query_scalar("SELECT current_schema()")
            .fetch_one(&pool)
            .await
            .map_err(storage)?;
        let schema = schema.ok_or_else(|| {
            LedgerError::Storage("no schema of the search_path exists".to_owned())
        })?;
        let trust = TrustWatch::start(&options, &schema)
            .await
            .map_err(storage)?;
        Ok(Self {
            orders: OrderWriter::start(Placer {
                pool: pool.clone(),
                schema: schema.into(),
            }),
            pool,
            trust: Arc::new(trust),
        })
    }

    async fn begin(&self) -> Result<Transaction<'static, Postgres>, Fail> {
        self.pool
            .begin_with("BEGIN ISOLATION LEVEL READ COMMITTED")
            .await
            .map_err(db)
    }

    /// The JSON body of the row `id` if it belongs to `agent` (quotes and orders are scoped to
    /// the agent they were made for).
    async fn owned_body<T: serde::de::DeserializeOwned>(
        &self,
        sql: &'static str,
        id: &str,
        agent: &AgentId,
    ) -> Result<Option<T>, LedgerError> {
        let body: Option<String> = sqlx::query_scalar(sql)
            .bind(id)
            .bind(agent.as_str())
            .fetch_optional(&self.pool)
            .await
            .map_err(storage)?;
        body.map(|b| decode(&b)).transpose()
    }

    /// Announces, inside `conn`'s transaction, a revocation, suspension or reactivation: the
    /// notification reaches every listening handle when the transaction commits.
    async fn announce_trust_change(&self, conn: &mut PgConnection) -> Result<(), Fail> {
        sqlx::query("SELECT pg_notify($1, $2)")
            .bind(trust::CHANNEL)
            .bind(self.trust.payload())
            .execute(conn)
            .await
            .map_err(db)?;
        Ok(())
    }

    /// Commits a transaction that announced a trust change, and moves this handle's stamp.
    async fn commit_trust_change(&self, tx: Transaction<'static, Postgres>) -> Result<(), Fail> {
        let committed = tx.commit().await;
        // Moved even when the commit's answer was lost: a spare reload costs little.
        self.trust.bump();
        committed.map_err(db)
    }

    async fn create_quote_once(&self, new: NewQuote<'_>) -> Result<(), Fail> {
        let quote = new.quote;
        let mut tx = self.begin().await?;
        sqlx::query("INSERT INTO quotes (id, agent, body, expires_at) VALUES ($1, $2, $3, $4)")
            .bind(quote.id.as_str())
            .bind(quote.agent.as_str())
            .bind(encode(quote)?)
            .bind(quote.expires_at.unix_timestamp())
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        offers::insert_bounds(&mut tx, &quote.id, new.bounds).await?;
        for (sku, quantity, base) in new.base_prices {
            offers::record_activity(&mut tx, sku, *quantity, Some(*base), quote.created_at).await?;
        }
        append(&mut tx, quote_created(quote, new.credential)).await?;
        tx.commit().await.map_err(db)
    }

    async fn revise_quote_once(&self, rev: &Revision) -> Result<Quote, Fail> {
        let mut tx = self.begin().await?;
        let (current, order) =
            offers::current_for_update(&mut tx, &rev.quote_id, &rev.agent).await?;
        let write = rev.apply(current, order.as_ref())?;
        offers::store(&mut tx, &write).await?;
        tx.commit().await.map_err(db)?;
        Ok(write.current)
    }

    async fn accept_quote_once(&self, acc: &Acceptance) -> Result<Quote, Fail> {
        let new = &acc.accepted;
        let mut tx = self.begin().await?;
        let (current, order) = offers::current_for_update(&mut tx, &new.id, &new.agent).await?;
        let write = acc.apply(current, order.as_ref())?;
        offers::store(&mut tx, &write).await?;
        tx.commit().await.map_err(db)?;
        Ok(write.current)
    }

    async fn store_policy_once(
        &self,
        body: &serde_json::Value,
        by: &Actor,
        now: OffsetDateTime,
    ) -> Result<StoredPolicy, Fail> {
        let mut tx = self.begin().await?;
        // Versions are numbered under the audit lock: two loads at once get 1 and 2.
        lock_audit(&mut tx).await?;
        let stored = offers::insert_policy(&mut tx, body, &by.name, now).await?;
        append(&mut tx, policy_changed(&stored, by)).await?;
        tx.commit().await.map_err(db)?;
        Ok(stored)
    }

    async fn transition_order_once(&self, change: &OrderChange) -> Result<Order, Fail> {
        let mut tx = self.begin().await?;
        let order = orders::load_for_update(&mut tx, &change.order_id, change.agent.as_ref())
            .await?
            .ok_or_else(|| LedgerError::OrderNotFound(change.order_id.clone()))?;
        let delivered = match change.needs_delivery_time() {
            true => delivered_at(&orders::events(&mut tx, &order.id).await?),
            false => None,
        };
        let moved = change.apply(order, delivered)?;
        if moved.releases {
            orders::release(&mut tx, &moved.order).await?;
        }
        let order = moved.order;
        orders::update(&mut tx, &order).await?;
        orders::append_event(
            &mut tx,
            &order.id,
            order.status,
            Some(change.transition),
            &change.by.name,
            change.reason.as_deref(),
            change.now,
        )
        .await?;
        append(&mut tx, moved.record).await?;
        tx.commit().await.map_err(db)?;
        Ok(order)
    }

    async fn set_stock_once(
        &self,
        levels: &[(Sku, u32)],
        by: &Actor,
        now: OffsetDateTime,
    ) -> Result<u64, Fail> {
        let mut tx = self.begin().await?;
        let mut skus: Vec<&str> = levels.iter().map(|(s, _)| s.as_str()).collect();
        skus.sort_unstable();
        skus.dedup();
        lock_stock(&mut tx, &skus).await?;
        let mut changed = 0;
        for (sku, level) in levels {
            let before = orders::set_level(&mut tx, sku, *level).await?;
            if before != Some(*level) {
                append(&mut tx, stock_set(sku, before, *level, by, now)).await?;
                changed += 1;
            }
        }
        tx.commit().await.map_err(db)?;
        Ok(changed)
    }

    async fn set_agent_status_once(
        &self,
        id: &AgentId,
        status: AgentStatus,
        by: &Actor,
    ) -> Result<AgentRecord, Fail> {
        let mut tx = self.begin().await?;
        let mut agent = registry::load_for_update(&mut tx, id)
            .await?
            .ok_or_else(|| LedgerError::AgentNotFound(id.clone()))?;
        if agent.status == status {
            return Ok(agent);
        }
        registry::set_status(&mut tx, id, status).await?;
        let record = agent_status_changed(id, status, by, OffsetDateTime::now_utc());
        self.announce_trust_change(&mut tx).await?;
        append(&mut tx, record).await?;
        self.commit_trust_change(tx).await?;
        agent.status = status;
        Ok(agent)
    }

    async fn revoke_grant_once(
        &self,
        jti: &str,
        reason: &str,
        by: &Actor,
        now: OffsetDateTime,
    ) -> Result<GrantRecord, Fail> {
        let mut tx = self.begin().await?;
        grant_rows::lock(&mut tx, &[jti]).await?;
        let state = grant_rows::state(&mut tx, jti, now)
            .await?
            .ok_or_else(|| LedgerError::GrantNotFound(jti.to_owned()))?;
        if state.revoked_at.is_some() {
            return Ok(state.grant);
        }
        grant_rows::revoke(&mut tx, jti, reason, by, now).await?;
        self.announce_trust_change(&mut tx).await?;
        append(&mut tx, grant_revoked(&state.grant, reason, by, now)).await?;
        self.commit_trust_change(tx).await?;
        Ok(state.grant)
    }
}

/// Applies the embedded migrations not applied yet, on a connection of its own (closed after,
/// which also releases its lock should a migration fail). `sqlx` holds a session advisory lock
/// (per database) while it migrates, so processes starting together apply each migration once.
async fn migrate(options: &PgConnectOptions) -> Result<(), LedgerError> {
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .acquire_timeout(ACQUIRE_TIMEOUT)
        .connect_with(options.clone())
        .await
        .map_err(storage)?;
    let migrated = crate::migrations::postgres()
        .run(&pool)
        .await
        .map_err(|e| LedgerError::Storage(format!("migrating the ledger schema: {e}")));
    pool.close().await;
    migrated
}

/// Locks the audit chain for the rest of the transaction: appends are serialized, each reads
/// the committed tip.
async fn lock_audit(conn: &mut PgConnection) -> Result<(), Fail> {
    sqlx::query("SELECT singleton FROM audit_head FOR UPDATE")
        .execute(conn)
        .await
        .map_err(db)?;
    Ok(())
}

/// One column of `rows`, as an array parameter.
fn column<'r, R, T>(rows: &'r [R], value: impl Fn(&'r R) -> T) -> Vec<T> {
    rows.iter().map(value).collect()
}

/// Locks the stock rows of `skus` (sorted, distinct) for the rest of the transaction.
async fn lock_stock(conn: &mut PgConnection, skus: &[&str]) -> Result<(), Fail> {
    sqlx::query("SELECT sku FROM stock WHERE sku = ANY($1) ORDER BY sku FOR UPDATE")
        .bind(skus)
        .fetch_all(conn)
        .await
        .map_err(db)?;
    Ok(())
}

#[async_trait]
impl Ledger for PostgresLedger {
    async fn seed_stock(&self, levels: &[(Sku, u32)]) -> Result<u64, LedgerError> {
        // In SKU order, so two seeds at once cannot deadlock.
        let mut sorted: Vec<&(Sku, u32)> = levels.iter().collect();
        sorted.sort_by(|a, b| a.0.as_str().cmp(b.0.as_str()));
        retrying(|| async {
            let mut tx = self.begin().await?;
            let mut inserted = 0;
            for (sku, on_hand) in &sorted {
                inserted += sqlx::query(
                    "INSERT INTO stock (sku, on_hand) VALUES ($1, $2) ON CONFLICT (sku) DO NOTHING",
                )
                .bind(sku.as_str())
                .bind(i64::from(*on_hand))
                .execute(&mut *tx)
                .await
                .map_err(db)?
                .rows_affected();
            }
            tx.commit().await.map_err(db)?;
            Ok(inserted)
        })
        .await
    }

    async fn seed_costs(&self, costs: &[SkuCost]) -> Result<(), LedgerError> {
        // In SKU order (stable: of two costs of one SKU, the later still wins).
        let mut sorted: Vec<&SkuCost> = costs.iter().collect();
        sorted.sort_by(|a, b| a.sku.as_str().cmp(b.sku.as_str()));
        retrying(|| async {
            let mut tx = self.begin().await?;
            for c in &sorted {
                sqlx::query(
                    "INSERT INTO sku_costs (sku, cost_minor, floor_minor, currency)
                     VALUES ($1, $2, $3, $4)
                     ON CONFLICT (sku) DO UPDATE SET cost_minor = excluded.cost_minor,
                         floor_minor = excluded.floor_minor, currency = excluded.currency",
                )
                .bind(c.sku.as_str())
                .bind(c.cost.amount())
                .bind(c.floor.amount())
                .bind(c.cost.currency().code())
                .execute(&mut *tx)
                .await
                .map_err(db)?;
            }
            tx.commit().await.map_err(db)
        })
        .await
    }

    async fn stock(&self, sku: &Sku) -> Result<Option<u32>, LedgerError> {
        let on_hand: Option<i64> = sqlx::query_scalar("SELECT on_hand FROM stock WHERE sku = $1")
            .bind(sku.as_str())
            .fetch_optional(&self.pool)
            .await
            .map_err(storage)?;
        on_hand.map(u32::try_from).transpose().map_err(corrupt)
    }

    async fn create_quote(&self, new: NewQuote<'_>) -> Result<(), LedgerError> {
        retrying(|| self.create_quote_once(new)).await
    }

    async fn quote(&self, id: &QuoteId, agent: &AgentId) -> Result<Option<Quote>, LedgerError> {
        self.owned_body(
            "SELECT body FROM quotes WHERE id = $1 AND agent = $2",
            id.as_str(),
            agent,
        )
        .await
    }

    async fn quote_record(
        &self,
        id: &QuoteId,
        agent: &AgentId,
    ) -> Result<Option<QuoteRecord>, LedgerError> {
        let mut conn = self.pool.acquire().await.map_err(storage)?;
        let Some((current, order)) = offers::current(&mut conn, id, agent).await? else {
            return Ok(None);
        };
        let (history, bounds) = offers::history_and_bounds(&mut conn, id).await?;
        Ok(Some(QuoteRecord {
            current,
            history,
            bounds,
            order,
        }))
    }

    async fn revise_quote(&self, rev: &Revision) -> Result<Quote, LedgerError> {
        retrying(|| self.revise_quote_once(rev)).await
    }

    async fn accept_quote(&self, acc: &Acceptance) -> Result<Quote, LedgerError> {
        retrying(|| self.accept_quote_once(acc)).await
    }

    async fn pricing_signals(
        &self,
        skus: &[Sku],
        demand_since: OffsetDateTime,
        prices_since: OffsetDateTime,
    ) -> Result<Vec<PricingSignals>, LedgerError> {
        let mut conn = self.pool.acquire().await.map_err(storage)?;
        Ok(offers::signals(&mut conn, skus, demand_since, prices_since).await?)
    }

    async fn orders_of_principal(
        &self,
        principal: &Principal,
        limit: u32,
    ) -> Result<Vec<Order>, LedgerError> {
        let bodies: Vec<String> = sqlx::query_scalar(
            "SELECT body FROM orders WHERE principal = $1 ORDER BY created_at, id LIMIT $2",
        )
        .bind(principal.as_str())
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(storage)?;
        bodies.iter().map(|b| decode(b)).collect()
    }

    async fn principal_orders(
        &self,
        principal: &Principal,
        since: OffsetDateTime,
    ) -> Result<u32, LedgerError> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM orders WHERE principal = $1 AND created_at >= $2",
        )
        .bind(principal.as_str())
        .bind(since.unix_timestamp())
        .fetch_one(&self.pool)
        .await
        .map_err(storage)?;
        Ok(u32::try_from(n).unwrap_or(u32::MAX))
    }

    async fn store_policy(
        &self,
        body: &serde_json::Value,
        by: &Actor,
        now: OffsetDateTime,
    ) -> Result<StoredPolicy, LedgerError> {
        retrying(|| self.store_policy_once(body, by, now)).await
    }

    async fn policy(&self) -> Result<Option<StoredPolicy>, LedgerError> {
        let mut conn = self.pool.acquire().await.map_err(storage)?;
        Ok(offers::latest_policy(&mut conn).await?)
    }

    async fn place_order(&self, cmd: &PlaceOrder) -> Result<Placed, LedgerError> {
        self.orders.place(cmd).await
    }

    async fn order(&self, id: &OrderId, agent: &AgentId) -> Result<Option<Order>, LedgerError> {
        self.owned_body(
            "SELECT body FROM orders WHERE id = $1 AND agent = $2",
            id.as_str(),
            agent,
        )
        .await
    }

    async fn orders(
        &self,
        agent: &AgentId,
        before: Option<&OrderId>,
        limit: u32,
    ) -> Result<Vec<Order>, LedgerError> {
        let bodies: Vec<String> = match before {
            Some(b) => sqlx::query_scalar(
                "SELECT body FROM orders WHERE agent = $1 AND id < $2 ORDER BY id DESC LIMIT $3",
            )
            .bind(agent.as_str())
            .bind(b.as_str())
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await,
            None => {
                sqlx::query_scalar(
                    "SELECT body FROM orders WHERE agent = $1 ORDER BY id DESC LIMIT $2",
                )
                .bind(agent.as_str())
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await
            }
        }
        .map_err(storage)?;
        bodies.iter().map(|b| decode(b)).collect()
    }

    async fn order_any(&self, id: &OrderId) -> Result<Option<Order>, LedgerError> {
        let body: Option<String> = sqlx::query_scalar("SELECT body FROM orders WHERE id = $1")
            .bind(id.as_str())
            .fetch_optional(&self.pool)
            .await
            .map_err(storage)?;
        body.map(|b| decode(&b)).transpose()
    }

    async fn pending_approvals(
        &self,
        after: Option<&OrderId>,
        limit: u32,
    ) -> Result<Vec<Order>, LedgerError> {
        let bodies: Vec<String> = sqlx::query_scalar(
            "SELECT body FROM orders WHERE status = 'pending_approval' AND id > $1
             ORDER BY id LIMIT $2",
        )
        .bind(after.map_or("", OrderId::as_str))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(storage)?;
        bodies.iter().map(|b| decode(b)).collect()
    }

    async fn transition_order(&self, change: &OrderChange) -> Result<Order, LedgerError> {
        retrying(|| self.transition_order_once(change)).await
    }

    async fn order_events(
        &self,
        id: &OrderId,
        agent: Option<&AgentId>,
    ) -> Result<Option<Vec<OrderEvent>>, LedgerError> {
        let mut conn = self.pool.acquire().await.map_err(storage)?;
        let exists: Option<i32> = sqlx::query_scalar(
            "SELECT 1 FROM orders WHERE id = $1 AND ($2::TEXT IS NULL OR agent = $2)",
        )
        .bind(id.as_str())
        .bind(agent.map(AgentId::as_str))
        .fetch_optional(&mut *conn)
        .await
        .map_err(storage)?;
        match exists {
            Some(_) => Ok(Some(orders::events(&mut conn, id).await?)),
            None => Ok(None),
        }
    }

    async fn vault_key(&self, owner: &str, candidate: &[u8]) -> Result<Vec<u8>, LedgerError> {
        if let Some(key) = self.stored_vault_key(owner).await? {
            return Ok(key);
        }
        // A concurrent insert of the same owner waits for the other's commit, then reads its key.
        sqlx::query(
            "INSERT INTO vault_keys (owner, key, created_at)
             VALUES ($1, $2, EXTRACT(EPOCH FROM now())::BIGINT) ON CONFLICT (owner) DO NOTHING",
        )
        .bind(owner)
        .bind(candidate)
        .execute(&self.pool)
        .await
        .map_err(storage)?;
        self.stored_vault_key(owner).await?.ok_or_else(|| {
            LedgerError::Storage(format!("the vault key of {owner} was erased meanwhile"))
        })
    }

    async fn stored_vault_key(&self, owner: &str) -> Result<Option<Vec<u8>>, LedgerError> {
        sqlx::query_scalar("SELECT key FROM vault_keys WHERE owner = $1")
            .bind(owner)
            .fetch_optional(&self.pool)
            .await
            .map_err(storage)
    }

    async fn purge_personal_data(
        &self,
        closed_before: OffsetDateTime,
        by: &Actor,
        now: OffsetDateTime,
    ) -> Result<Vec<OrderId>, LedgerError> {
        let closed = crate::orders::closed_statuses();
        retrying(|| async {
            let mut tx = self.begin().await?;
            // The vault rows due, locked; an order moving meanwhile is purged next time.
            let due: Vec<(String, String)> = sqlx::query_as(
                "SELECT o.id, v.ref FROM orders o JOIN vault v ON v.ref = o.fulfilment_ref
                 WHERE o.status = ANY($1)
                   AND (SELECT MAX(e.at) FROM order_events e WHERE e.order_id = o.id) < $2
                 ORDER BY o.id FOR UPDATE OF v",
            )
            .bind(&closed)
            .bind(closed_before.unix_timestamp())
            .fetch_all(&mut *tx)
            .await
            .map_err(db)?;
            if due.is_empty() {
                return Ok(Vec::new());
            }
            let refs: Vec<&str> = due.iter().map(|(_, r)| r.as_str()).collect();
            sqlx::query("DELETE FROM vault WHERE ref = ANY($1)")
                .bind(&refs)
                .execute(&mut *tx)
                .await
                .map_err(db)?;
            let records = due
                .iter()
                .map(|(id, _)| privacy_purged(id, closed_before, by, now))
                .collect();
            audit_log::append_all(&mut tx, records).await?;
            tx.commit().await.map_err(db)?;
            Ok(due
                .into_iter()
                .map(|(id, _)| OrderId::parse(id).map_err(corrupt))
                .collect::<Result<Vec<_>, _>>()?)
        })
        .await
    }

    async fn erase_principal(
        &self,
        principal: &Principal,
        by: &Actor,
        now: OffsetDateTime,
    ) -> Result<Erasure, LedgerError> {
        retrying(|| async {
            let mut tx = self.begin().await?;
            let keys = sqlx::query("DELETE FROM vault_keys WHERE owner = $1")
                .bind(principal.as_str())
                .execute(&mut *tx)
                .await
                .map_err(db)?
                .rows_affected();
            let rows = sqlx::query("DELETE FROM vault WHERE principal = $1")
                .bind(principal.as_str())
                .execute(&mut *tx)
                .await
                .map_err(db)?
                .rows_affected();
            let erased = Erasure {
                vault_records: rows,
                key_destroyed: keys > 0,
            };
            append(&mut tx, privacy_erased(principal, &erased, by, now)).await?;
            tx.commit().await.map_err(db)?;
            Ok(erased)
        })
        .await
    }

    async fn fulfilment(&self, id: &OrderId) -> Result<Option<serde_json::Value>, LedgerError> {
        let body: Option<String> = sqlx::query_scalar(
            "SELECT v.body FROM vault v JOIN orders o ON o.fulfilment_ref = v.ref WHERE o.id = $1",
        )
        .bind(id.as_str())
        .fetch_optional(&self.pool)
        .await
        .map_err(storage)?;
        body.map(|b| decode(&b)).transpose()
    }

    async fn set_stock(
        &self,
        levels: &[(Sku, u32)],
        by: &Actor,
        now: OffsetDateTime,
    ) -> Result<u64, LedgerError> {
        retrying(|| self.set_stock_once(levels, by, now)).await
    }

    async fn append_audit(&self, record: Record) -> Result<Entry, LedgerError> {
        retrying(|| async {
            let mut tx = self.begin().await?;
            let entry = append(&mut tx, record.clone()).await?;
            tx.commit().await.map_err(db)?;
            Ok(entry)
        })
        .await
    }

    async fn append_audit_all(&self, records: Vec<Record>) -> Result<Vec<Entry>, LedgerError> {
        retrying(|| async {
            let mut tx = self.begin().await?;
            let entries = audit_log::append_all(&mut tx, records.clone()).await?;
            tx.commit().await.map_err(db)?;
            Ok(entries)
        })
        .await
    }

    async fn audit_entries(&self, query: &AuditQuery) -> Result<Vec<StoredEntry>, LedgerError> {
        if query.is_filtered() {
            self.index_audit().await?;
        }
        audit_log::entries(&self.pool, query).await
    }

    async fn index_audit(&self) -> Result<u64, LedgerError> {
        let pending = audit_log::any_pending(&self.pool).await?;
        crate::audit::index_pending(pending, || async {
            let mut tx = self.pool.begin().await.map_err(storage)?;
            let n = audit_log::index_batch(&mut tx).await?;
            tx.commit().await.map_err(storage)?;
            Ok(n)
        })
        .await
    }

    async fn audit_head(&self) -> Result<AuditHead, LedgerError> {
        self.index_audit().await?;
        audit_log::indexed_head(&self.pool).await
    }

    async fn audit_size(&self) -> Result<u64, LedgerError> {
        audit_log::size(&self.pool).await
    }

    async fn audit_nodes(
        &self,
        ids: &[NodeId],
    ) -> Result<std::collections::HashMap<NodeId, Hash>, LedgerError> {
        let found = audit_log::nodes(&self.pool, ids).await?;
        // Nodes the newest entries complete are stored when those are indexed.
        if found.len() >= ids.len() || self.index_audit().await? == 0 {
            return Ok(found);
        }
        audit_log::nodes(&self.pool, ids).await
    }

    async fn store_checkpoint(
        &self,
        checkpoint: &SignedCheckpoint,
        at: OffsetDateTime,
    ) -> Result<(), LedgerError> {
        audit_log::store_checkpoint(&self.pool, checkpoint, at).await
    }

    async fn checkpoints(&self) -> Result<Vec<SignedCheckpoint>, LedgerError> {
        audit_log::kept_checkpoints(&self.pool, false).await
    }

    async fn latest_checkpoint(&self) -> Result<Option<SignedCheckpoint>, LedgerError> {
        Ok(audit_log::kept_checkpoints(&self.pool, true).await?.pop())
    }

    async fn order_count(&self) -> Result<u64, LedgerError> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM orders")
            .fetch_one(&self.pool)
            .await
            .map_err(storage)?;
        u64::try_from(n).map_err(corrupt)
    }

    async fn register_agent(&self, agent: &AgentRecord, by: &Actor) -> Result<(), LedgerError> {
        retrying(|| async {
            let mut tx = self.begin().await?;
            if !registry::insert(&mut tx, agent).await? {
                return Err(LedgerError::AgentExists(agent.id.clone()).into());
            }
            append(&mut tx, agent_registered(agent, by)).await?;
            tx.commit().await.map_err(db)
        })
        .await
    }

    async fn agents(&self) -> Result<Vec<AgentRecord>, LedgerError> {
        let mut conn = self.pool.acquire().await.map_err(storage)?;
        Ok(registry::all(&mut conn).await?)
    }

    async fn agent(&self, id: &AgentId) -> Result<Option<AgentRecord>, LedgerError> {
        let mut conn = self.pool.acquire().await.map_err(storage)?;
        Ok(registry::load(&mut conn, id).await?)
    }

    async fn set_agent_status(
        &self,
        id: &AgentId,
        status: AgentStatus,
        by: &Actor,
    ) -> Result<AgentRecord, LedgerError> {
        retrying(|| self.set_agent_status_once(id, status, by)).await
    }

    async fn record_grant(&self, grant: &GrantRecord, by: &Actor) -> Result<(), LedgerError> {
        retrying(|| async {
            let mut tx = self.begin().await?;
            if !grant_rows::insert(&mut tx, grant).await? {
                return Err(LedgerError::Storage(format!(
                    "token {} is already recorded",
                    grant.jti
                ))
                .into());
            }
            append(&mut tx, grant_recorded(grant, by)).await?;
            tx.commit().await.map_err(db)
        })
        .await
    }

    async fn ensure_grant(&self, grant: &GrantRecord) -> Result<(), LedgerError> {
        retrying(|| async {
            let mut tx = self.begin().await?;
            grant_rows::insert(&mut tx, grant).await?;
            tx.commit().await.map_err(db)
        })
        .await
    }

    async fn revoke_grant(
        &self,
        jti: &str,
        reason: &str,
        by: &Actor,
        now: OffsetDateTime,
    ) -> Result<GrantRecord, LedgerError> {
        retrying(|| self.revoke_grant_once(jti, reason, by, now)).await
    }

    async fn grant_state(
        &self,
        jti: &str,
        now: OffsetDateTime,
    ) -> Result<Option<GrantState>, LedgerError> {
        let mut conn = self.pool.acquire().await.map_err(storage)?;
        Ok(grant_rows::state(&mut conn, jti, now).await?)
    }

    async fn trust_snapshot(&self, now: OffsetDateTime) -> Result<TrustSnapshot, LedgerError> {
        let mut conn = self.pool.acquire().await.map_err(storage)?;
        Ok(TrustSnapshot {
            revoked: grant_rows::revoked(&mut conn, now).await?,
            suspended: registry::suspended(&mut conn).await?,
        })
    }

    fn trust_stamp(&self) -> u64 {
        self.trust.stamp()
    }
}
