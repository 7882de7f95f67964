//! The conformance suite against the embedded SQLite backend: each test gets a fresh ledger
//! file in its own temporary directory.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use b2a_ledger::{Ledger, SqliteLedger};
use tempfile::TempDir;

use crate::conformance::{self, Opening};

/// A fresh, empty ledger file and the directory that holds it.
struct Store {
    dir: TempDir,
}

impl Store {
    fn new() -> Self {
        Self {
            dir: tempfile::tempdir().expect("temporary directory"),
        }
    }

    fn path(&self) -> PathBuf {
        self.dir.path().join("ledger.sqlite")
    }

    async fn open(&self) -> Arc<dyn Ledger> {
        open(&self.path()).await
    }

    /// An opener of further ledgers on this store's file.
    fn opener(&self) -> impl Fn() -> Opening + Sync + use<> {
        let path = self.path();
        move || -> Opening {
            let path = path.clone();
            Box::pin(async move { open(&path).await })
        }
    }
}

async fn open(path: &Path) -> Arc<dyn Ledger> {
    Arc::new(SqliteLedger::open(path).await.expect("ledger opens"))
}

/// One `#[tokio::test]` per conformance function over `&dyn Ledger`.
macro_rules! on_a_fresh_ledger {
    ($($name:ident),* $(,)?) => {$(
        #[tokio::test]
        async fn $name() {
            let store = Store::new();
            let ledger = store.open().await;
            conformance::$name(ledger.as_ref()).await;
        }
    )*};
}

crate::conformance::every_fresh_ledger_test!(on_a_fresh_ledger);

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn cancel_and_ship_race_one_wins() {
    let store = Store::new();
    conformance::cancel_and_ship_race_one_wins(store.open().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_quote_writes_commit_each_once() {
    let store = Store::new();
    conformance::racing_quote_writes_commit_each_once(store.open().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_orders_never_oversell() {
    let store = Store::new();
    conformance::concurrent_orders_never_oversell(store.open().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_retries_place_one_order() {
    let store = Store::new();
    conformance::concurrent_retries_place_one_order(store.open().await).await;
}

#[tokio::test]
async fn committed_state_survives_reopen() {
    let store = Store::new();
    conformance::committed_state_survives_reopen(&store.opener()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_handles_append_to_one_chain() {
    let store = Store::new();
    conformance::two_handles_append_to_one_chain(&store.opener()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_handles_index_each_entry_once() {
    let store = Store::new();
    conformance::two_handles_index_each_entry_once(&store.opener()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_handles_never_oversell() {
    let store = Store::new();
    conformance::two_handles_never_oversell(&store.opener()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_orders_never_overspend() {
    let store = Store::new();
    conformance::concurrent_orders_never_overspend(store.open().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_handles_never_overspend() {
    let store = Store::new();
    conformance::two_handles_never_overspend(&store.opener()).await;
}

#[tokio::test]
async fn trust_changes_reach_every_handle() {
    let store = Store::new();
    // The marker file is shared: the other handle's stamp has moved when the call returns.
    conformance::trust_changes_reach_every_handle(&store.opener(), std::time::Duration::ZERO).await;
}

/// The trust marker sits beside the ledger file and only its owner may read or write it.
#[cfg(unix)]
#[tokio::test]
async fn the_trust_marker_is_owner_only() {
    use std::os::unix::fs::PermissionsExt;

    let store = Store::new();
    let ledger = store.open().await;
    assert_eq!(ledger.trust_stamp(), 0, "a fresh marker is empty");
    let marker = store.dir.path().join("ledger.sqlite-trust");
    let mode = std::fs::metadata(&marker)
        .expect("the marker exists")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
}

/// A file an earlier version made, before the ledger recorded its migrations (no
/// `_sqlx_migrations`, no running spend total), opens: the later migrations are applied once,
/// each grant's spend is carried over from its rows, and it moves with orders again.
#[tokio::test]
async fn a_file_from_before_migrations_is_upgraded() {
    use crate::fixtures::{create, eur_limits, grant, issue, now, order_under, quote, seed, usage};
    use sqlx::Connection;

    let store = Store::new();
    let g = grant("jti-old", "alice", eur_limits(100_000, None));
    let mut totals = 0;
    {
        let ledger = store.open().await;
        seed(ledger.as_ref(), &[("VC-A", 10)]).await;
        issue(ledger.as_ref(), &g).await;
        for (key, units) in [("k1", 1), ("k2", 3)] {
            let q = quote("alice", &[("VC-A", units)]);
            create(ledger.as_ref(), &q).await;
            let placed = ledger.place_order(&order_under(&q, key, &g)).await;
            totals += placed.expect("placed").order.total.amount().unsigned_abs();
        }
    }
    let options = sqlx::sqlite::SqliteConnectOptions::new().filename(store.path());
    let mut conn = sqlx::SqliteConnection::connect_with(&options)
        .await
        .expect("the file opens");
    sqlx::raw_sql(
        "DROP TRIGGER grant_spend_added; DROP TRIGGER grant_spend_removed;
         ALTER TABLE grants DROP COLUMN spent;
         DROP INDEX orders_by_principal; ALTER TABLE orders DROP COLUMN principal;
         ALTER TABLE orders DROP COLUMN fulfilment_ref;
         CREATE INDEX orders_by_principal ON orders (json_extract(body, '$.principal'), created_at);
         DROP TABLE _sqlx_migrations;",
    )
    .execute(&mut conn)
    .await
    .expect("the file is as an earlier version left it");
    conn.close().await.expect("closed");

    let ledger = store.open().await;
    assert_eq!(usage(ledger.as_ref(), "jti-old", now()).await, (totals, 2));
    let q = quote("alice", &[("VC-A", 2)]);
    create(ledger.as_ref(), &q).await;
    let third = ledger
        .place_order(&order_under(&q, "k3", &g))
        .await
        .expect("placed after the upgrade")
        .order;
    let spent = usage(ledger.as_ref(), "jti-old", now()).await.0;
    assert_eq!(spent, totals + third.total.amount().unsigned_abs());
    let placed = ledger
        .audit_entries(&b2a_ledger::AuditQuery {
            action: Some("order.placed".into()),
            ..crate::fixtures::page(0, 10)
        })
        .await
        .expect("entries");
    assert_eq!(
        placed.len(),
        3,
        "the audit index holds the entries from before the upgrade"
    );
    drop(ledger);
    let again = store.open().await;
    assert_eq!(
        usage(again.as_ref(), "jti-old", now()).await.0,
        spent,
        "migrated once"
    );
}

/// A file whose audit log is still the hash chain (`audit_log`, before migration 3) carries its
/// entries over into the Merkle log at open, in order, then drops the old table.
#[tokio::test]
async fn a_hash_chain_log_is_carried_over_into_the_merkle_log() {
    use sqlx::Connection;

    let store = Store::new();
    drop(store.open().await);
    let options = sqlx::sqlite::SqliteConnectOptions::new().filename(store.path());
    let mut conn = sqlx::SqliteConnection::connect_with(&options)
        .await
        .expect("the file opens");
    sqlx::raw_sql(crate::fixtures::OLD_CHAIN_SQL)
        .execute(&mut conn)
        .await
        .expect("an old chain is in place");
    conn.close().await.expect("closed");
    crate::fixtures::the_old_chain_was_carried_over(store.open().await.as_ref()).await;
    let mut conn = sqlx::SqliteConnection::connect_with(&options)
        .await
        .expect("the file opens");
    let left: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM sqlite_master WHERE name = 'audit_log'")
            .fetch_one(&mut conn)
            .await
            .expect("asks");
    assert_eq!(left, 0, "the old table is dropped");
}
