//! The conformance suite against the PostgreSQL backend, when `B2A_TEST_POSTGRES_URL` names a
//! database (e.g. `postgres://postgres@127.0.0.1:5432/test`): each test gets a fresh schema of
//! its own, which every ledger of the test selects through its `search_path`, dropped at the end
//! (best effort). Without the variable, each test says it was skipped and passes.

use std::future::Future;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use b2a_ledger::{Ledger, PostgresLedger};
use sqlx::postgres::PgConnectOptions;
use sqlx::{Connection, PgConnection};

use crate::conformance::{self, Opening};

/// The variable naming the test database.
const URL_VAR: &str = "B2A_TEST_POSTGRES_URL";

/// How long a trust change committed through one handle may take to reach another.
const PROPAGATION: Duration = Duration::from_secs(2);

/// A fresh, empty schema in the test database.
struct Store {
    base: PgConnectOptions,
    schema: String,
}

impl Store {
    /// A new schema, or `None` (having said so) when no test database is configured.
    async fn new(test: &str) -> Option<Self> {
        let Ok(url) = std::env::var(URL_VAR) else {
            eprintln!("skipped {test}: {URL_VAR} is not set");
            return None;
        };
        let base = PgConnectOptions::from_str(&url).expect("B2A_TEST_POSTGRES_URL is a URL");
        let schema = format!("b2a_test_{}", uuid::Uuid::new_v4().simple());
        let mut conn = PgConnection::connect_with(&base)
            .await
            .expect("the test database accepts connections");
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
            .execute(&mut conn)
            .await
            .expect("the test schema is created");
        conn.close().await.expect("connection closes");
        Some(Self { base, schema })
    }

    fn options(&self) -> PgConnectOptions {
        self.base
            .clone()
            .options([("search_path", self.schema.as_str())])
    }

    async fn open(&self) -> Arc<dyn Ledger> {
        open(self.options()).await
    }

    /// An opener of further ledgers on this store's schema.
    fn opener(&self) -> impl Fn() -> Opening + Sync + use<> {
        let options = self.options();
        move || -> Opening {
            let options = options.clone();
            Box::pin(async move { open(options).await })
        }
    }

    /// Runs `test` (spawned, so that a failure still drops the schema), drops the schema, then
    /// fails as the test did.
    async fn run<F>(self, test: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        let outcome = tokio::spawn(test).await;
        self.drop_schema().await;
        if let Err(e) = outcome {
            match e.try_into_panic() {
                Ok(panic) => std::panic::resume_unwind(panic),
                Err(e) => panic!("the test task did not finish: {e}"),
            }
        }
    }

    /// Drops the schema and everything in it, best effort.
    async fn drop_schema(&self) {
        let dropped = async {
            let mut conn = PgConnection::connect_with(&self.base).await?;
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                "DROP SCHEMA IF EXISTS {} CASCADE",
                self.schema
            )))
            .execute(&mut conn)
            .await?;
            conn.close().await
        };
        if let Err(e) = dropped.await {
            eprintln!("the test schema {} was not dropped: {e}", self.schema);
        }
    }
}

async fn open(options: PgConnectOptions) -> Arc<dyn Ledger> {
    Arc::new(
        PostgresLedger::connect_with(options)
            .await
            .expect("ledger connects"),
    )
}

/// One `#[tokio::test]` per conformance function over `&dyn Ledger`.
macro_rules! on_a_fresh_ledger {
    ($($name:ident),* $(,)?) => {$(
        #[tokio::test]
        async fn $name() {
            let Some(store) = Store::new(stringify!($name)).await else {
                return;
            };
            let ledger = store.open().await;
            store
                .run(async move { conformance::$name(ledger.as_ref()).await })
                .await;
        }
    )*};
}

crate::conformance::every_fresh_ledger_test!(on_a_fresh_ledger);

/// One multi-thread `#[tokio::test]` per conformance race over an `Arc<dyn Ledger>`.
macro_rules! racing_on_a_fresh_ledger {
    ($($name:ident),* $(,)?) => {$(
        #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
        async fn $name() {
            let Some(store) = Store::new(stringify!($name)).await else {
                return;
            };
            let ledger = store.open().await;
            store.run(conformance::$name(ledger)).await;
        }
    )*};
}

racing_on_a_fresh_ledger!(
    cancel_and_ship_race_one_wins,
    racing_quote_writes_commit_each_once,
    concurrent_orders_never_oversell,
    concurrent_retries_place_one_order,
    concurrent_orders_never_overspend,
);

/// One `#[tokio::test]` per conformance function over an opener of ledgers on one schema
/// ("two handles on one store": two `PostgresLedger`s, as two replicas or the CLI beside a
/// gateway).
macro_rules! on_one_store {
    ($flavor:meta => $($name:ident),* $(,)?) => {$(
        #[$flavor]
        async fn $name() {
            let Some(store) = Store::new(stringify!($name)).await else {
                return;
            };
            let opener = store.opener();
            store
                .run(async move { conformance::$name(&opener).await })
                .await;
        }
    )*};
}

on_one_store!(tokio::test => committed_state_survives_reopen);

on_one_store!(
    tokio::test(flavor = "multi_thread", worker_threads = 4) =>
    two_handles_append_to_one_chain,
    two_handles_index_each_entry_once,
    two_handles_never_oversell,
    two_handles_never_overspend,
);

#[tokio::test]
async fn trust_changes_reach_every_handle() {
    let Some(store) = Store::new("trust_changes_reach_every_handle").await else {
        return;
    };
    let opener = store.opener();
    store
        .run(async move { conformance::trust_changes_reach_every_handle(&opener, PROPAGATION).await })
        .await;
}

/// Two ledgers connecting at once to a fresh schema apply its migrations once, and both work.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_starts_migrate_once() {
    let Some(store) = Store::new("concurrent_starts_migrate_once").await else {
        return;
    };
    let opener = store.opener();
    let options = store.options();
    store
        .run(async move {
            let (a, b) = tokio::join!(opener(), opener());
            let mut conn = PgConnection::connect_with(&options)
                .await
                .expect("connects");
            let applied: Vec<i64> =
                sqlx::query_scalar("SELECT version FROM _sqlx_migrations ORDER BY version")
                    .fetch_all(&mut conn)
                    .await
                    .expect("migrations are recorded");
            assert!(!applied.is_empty());
            let distinct: std::collections::HashSet<_> = applied.iter().collect();
            assert_eq!(distinct.len(), applied.len(), "each applied once");
            for ledger in [&a, &b] {
                assert_eq!(ledger.order_count().await.expect("count"), 0);
            }
            a.append_audit(crate::fixtures::record("operator:a", "a"))
                .await
                .expect("appended through a");
            let entry = b
                .append_audit(crate::fixtures::record("operator:b", "b"))
                .await
                .expect("appended through b");
            assert_eq!(entry.seq, 1);
        })
        .await;
}

/// A ledger whose audit log is still the hash chain (`audit_log`, before migration 5) carries its
/// entries over into the Merkle log at open, in order, then drops the old table; the log goes on
/// from there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hash_chain_log_is_carried_over_into_the_merkle_log() {
    let Some(store) = Store::new("a_hash_chain_log_is_carried_over").await else {
        return;
    };
    let opener = store.opener();
    let options = store.options();
    store
        .run(async move {
            drop(opener().await);
            let mut conn = PgConnection::connect_with(&options)
                .await
                .expect("connects");
            sqlx::raw_sql(crate::fixtures::OLD_CHAIN_SQL)
                .execute(&mut conn)
                .await
                .expect("an old chain is in place");
            conn.close().await.expect("closed");
            crate::fixtures::the_old_chain_was_carried_over(opener().await.as_ref()).await;
            let mut conn = PgConnection::connect_with(&options)
                .await
                .expect("connects");
            let gone: bool = sqlx::query_scalar("SELECT to_regclass('audit_log') IS NULL")
                .fetch_one(&mut conn)
                .await
                .expect("asks");
            assert!(gone, "the old table is dropped");
        })
        .await;
}

/// When the trust listener's connection is lost (here, terminated by an operator), the stamp
/// moves once it has reconnected — notifications sent meanwhile were lost — and later changes
/// through another handle still reach it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_trust_listener_reconnects_and_moves_the_stamp() {
    let Some(store) = Store::new("a_lost_trust_listener_reconnects_and_moves_the_stamp").await
    else {
        return;
    };
    let opener = store.opener();
    let base = store.base.clone();
    let schema = store.schema.clone();
    store
        .run(async move {
            let gateway = opener().await;
            let initial = gateway.trust_stamp();
            let mut conn = PgConnection::connect_with(&base).await.expect("connects");
            let terminated: Vec<bool> = sqlx::query_scalar(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1",
            )
            .bind(format!("b2a-trust {schema}"))
            .fetch_all(&mut conn)
            .await
            .expect("the listener is terminated");
            assert_eq!(terminated, [true], "one listener");
            let after_loss = wait_for_move(gateway.as_ref(), initial, Duration::from_secs(10)).await;
            assert_ne!(after_loss, initial, "the loss moves the stamp");

            let host = opener().await;
            crate::fixtures::register(host.as_ref(), "alice").await;
            crate::fixtures::set_status(host.as_ref(), "alice", b2a_ledger::AgentStatus::Suspended)
                .await;
            let after_change = wait_for_move(gateway.as_ref(), after_loss, PROPAGATION).await;
            assert_ne!(after_change, after_loss, "the reconnected listener hears changes");
        })
        .await;
}

async fn wait_for_move(ledger: &dyn Ledger, old: u64, within: Duration) -> u64 {
    let deadline = tokio::time::Instant::now() + within;
    while ledger.trust_stamp() == old && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    ledger.trust_stamp()
}

/// A retry arriving while the first request with its idempotency key is stuck (here, behind a
/// lock an operator's session holds on the quote) waits a few seconds, then is told to retry
/// (`IdempotencyInFlight`) and writes nothing; once the first request finishes, a retry replays
/// its order. (SQLite's single writer never lets two such requests overlap.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retry_behind_a_stuck_request_is_told_to_retry() {
    use crate::fixtures::{create, order_cmd, quote, seed};
    let Some(store) = Store::new("a_retry_behind_a_stuck_request_is_told_to_retry").await else {
        return;
    };
    let options = store.options();
    let ledger = store.open().await;
    store
        .run(async move {
            seed(ledger.as_ref(), &[("VC-A", 10)]).await;
            let q = quote("alice", &[("VC-A", 1)]);
            create(ledger.as_ref(), &q).await;
            let cmd = order_cmd(&q, "key-1");

            let mut operator = PgConnection::connect_with(&options)
                .await
                .expect("connects");
            let mut blocking = operator.begin().await.expect("begins");
            sqlx::query("SELECT 1 FROM quotes WHERE id = $1 FOR UPDATE")
                .bind(q.id.as_str())
                .execute(&mut *blocking)
                .await
                .expect("the quote is locked");

            let first = tokio::spawn({
                let (ledger, cmd) = (Arc::clone(&ledger), cmd.clone());
                async move { ledger.place_order(&cmd).await }
            });
            tokio::time::sleep(Duration::from_millis(300)).await;
            let started = tokio::time::Instant::now();
            let err = ledger
                .place_order(&cmd)
                .await
                .expect_err("the first request is still in flight");
            assert!(
                matches!(err, b2a_ledger::LedgerError::IdempotencyInFlight),
                "got {err:?}"
            );
            assert!(started.elapsed() >= Duration::from_secs(4), "it waited");
            assert!(!first.is_finished(), "the first request is still waiting");

            blocking.rollback().await.expect("the lock is released");
            let first = first
                .await
                .expect("task")
                .expect("the first request orders");
            assert!(!first.replayed);
            let retry = ledger.place_order(&cmd).await.expect("the retry replays");
            assert!(retry.replayed);
            assert_eq!(retry.order, first.order);
            assert_eq!(ledger.order_count().await.expect("count"), 1);
        })
        .await;
}

/// With the velocity rule on, an agent's concurrent orders each count the ones before it: of 10 racing orders with a limit of 2 an hour, exactly 2 are
/// confirmed and 8 held — as SQLite's single writer gives.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_orders_hold_for_velocity_exactly() {
    use crate::fixtures::{create, grant, order_under, quote, seed};
    use b2a_ledger::RiskRules;
    use b2a_model::Limits;
    use b2a_model::OrderStatus;
    const ORDERS: usize = 10;
    let Some(store) = Store::new("concurrent_orders_hold_for_velocity_exactly").await else {
        return;
    };
    let ledger = store.open().await;
    store
        .run(async move {
            // A SKU and a token of its own for each order: neither the stock's locks nor the
            // grants' serialize them.
            let skus: Vec<String> = (0..ORDERS).map(|i| format!("VC-{i}")).collect();
            let levels: Vec<(&str, u32)> = skus.iter().map(|s| (s.as_str(), 1)).collect();
            seed(ledger.as_ref(), &levels).await;
            let mut cmds = Vec::new();
            for (i, sku) in skus.iter().enumerate() {
                let q = quote("alice", &[(sku.as_str(), 1)]);
                create(ledger.as_ref(), &q).await;
                let token = grant(&format!("jti-{i}"), "alice", Limits::default());
                let mut cmd = order_under(&q, &format!("key-{i}"), &token);
                cmd.risk = RiskRules {
                    max_orders_per_agent_per_hour: Some(2),
                    max_line_quantity: None,
                };
                cmds.push(cmd);
            }
            let start = Arc::new(tokio::sync::Barrier::new(ORDERS));
            let handles: Vec<_> = cmds
                .into_iter()
                .map(|cmd| {
                    let (ledger, start) = (Arc::clone(&ledger), Arc::clone(&start));
                    tokio::spawn(async move {
                        start.wait().await;
                        ledger.place_order(&cmd).await
                    })
                })
                .collect();
            let mut confirmed = 0;
            for h in handles {
                let placed = h.await.expect("task").expect("placed");
                match placed.order.status {
                    OrderStatus::Confirmed => confirmed += 1,
                    OrderStatus::PendingApproval => {}
                    other => panic!("unexpected status {other:?}"),
                }
            }
            assert_eq!(confirmed, 2);
        })
        .await;
}
