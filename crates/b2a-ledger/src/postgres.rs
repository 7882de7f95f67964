//! The PostgreSQL engine: one database shared by any number of gateway replicas and the CLI.

pub(crate) mod audit_log;
mod placing;
mod trust;

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::{PgConnection, Postgres};

use self::placing::Placer;
use self::trust::TrustWatch;
use crate::engine::{Engine, Tx};
use crate::group_commit::OrderWriter;
use crate::sql::Fail;
use crate::store::SqlLedger;
use crate::{LedgerError, PlaceOrder, Placed};

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
/// decided in memory, in turn (`b2a_orders::placing`).
///
/// A serialization failure or a deadlock, should one still happen, is retried (five attempts).
///
/// [`crate::Registry::trust_stamp`] counts `NOTIFY b2a_trust` notifications (sent inside the transaction
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
pub type PostgresLedger = SqlLedger<PostgresEngine>;

/// What the PostgreSQL ledger runs on: its pool, the trust listener, the order task.
#[derive(Debug, Clone)]
pub struct PostgresEngine {
    pool: PgPool,
    trust: Arc<TrustWatch>,
    orders: OrderWriter,
}

fn storage(e: impl std::fmt::Display) -> LedgerError {
    LedgerError::Storage(e.to_string())
}

impl SqlLedger<PostgresEngine> {
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
        let engine = PostgresEngine {
            orders: OrderWriter::start(Placer {
                pool: pool.clone(),
                schema: schema.into(),
            }),
            pool,
            trust: Arc::new(trust),
        };
        crate::store::carry_over_chain(&engine).await?;
        Ok(crate::store::on(engine))
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

/// One column of `rows`, as an array parameter.
fn column<'r, R, T>(rows: &'r [R], value: impl Fn(&'r R) -> T) -> Vec<T> {
    rows.iter().map(value).collect()
}

#[async_trait]
impl Engine for PostgresEngine {
    type Db = Postgres;
    type Conn = PgConnection;

    const BEGIN: &'static str = "BEGIN ISOLATION LEVEL READ COMMITTED";
    const LEGACY_CHAIN: &'static str = "SELECT to_regclass('audit_log') IS NOT NULL";
    const ATTEMPTS: u32 = ATTEMPTS;

    fn pools(&self) -> (&PgPool, &PgPool) {
        (&self.pool, &self.pool)
    }

    async fn announce_trust_change(&self, conn: &mut PgConnection) -> Result<(), Fail> {
        sqlx::query("SELECT pg_notify($1, $2)")
            .bind(trust::CHANNEL)
            .bind(self.trust.payload())
            .execute(conn)
            .await?;
        Ok(())
    }

    async fn commit_trust_change(&self, tx: Tx<Self>) -> Result<(), Fail> {
        let committed = tx.commit().await;
        // Moved even when the commit's answer was lost: a spare reload costs little.
        self.trust.bump();
        Ok(committed?)
    }

    fn trust_stamp(&self) -> u64 {
        self.trust.stamp()
    }

    async fn place_order(&self, cmd: &PlaceOrder) -> Result<Placed, LedgerError> {
        self.orders.submit(cmd.clone()).await
    }
}
