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

on_a_fresh_ledger!(
    seed_stock_inserts_only_new_skus,
    zero_stock_is_not_unknown_stock,
    quotes_and_orders_are_scoped_to_their_agent,
    place_order_confirms_and_moves_stock,
    audit_entries_append_and_page,
    same_key_same_body_replays_the_order,
    same_key_other_body_is_refused,
    a_quote_is_ordered_once,
    idempotency_keys_are_scoped_per_agent,
    expired_quote_is_refused,
    unknown_quote_is_not_found,
    shortfall_on_a_later_line_rolls_back_everything,
    unstocked_sku_is_refused,
);

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
async fn two_handles_never_oversell() {
    let store = Store::new();
    conformance::two_handles_never_oversell(&store.opener()).await;
}
