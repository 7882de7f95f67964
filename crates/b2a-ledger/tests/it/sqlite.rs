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
    agents_register_once_and_list_by_id,
    suspension_is_audited_once_per_change,
    record_grant_audits_issue_and_exchange,
    revocation_is_idempotent_and_audited_once,
    a_revoked_grant_places_no_order,
    a_suspended_agent_places_no_order,
    a_replay_survives_revocation,
    an_unknown_ancestor_is_not_found,
    per_order_limit_is_enforced,
    limit_currency_must_match_the_order,
    daily_order_limit_resets_after_24_hours,
    a_child_spends_from_its_parents_budget,
    an_external_grant_is_enforced_once_ensured,
    only_an_accepted_quote_is_ordered,
    revisions_keep_history_and_refuse_stale_rounds,
    expired_quotes_are_not_negotiated,
    pricing_signals_count_demand_and_recent_prices,
    principal_orders_are_counted_per_principal,
    policy_versions_are_numbered_and_audited,
    approval_holds_then_approve_or_reject,
    the_lifecycle_releases_what_it_should,
    risk_rules_hold_orders,
    fulfilment_details_live_in_the_vault,
    orders_list_newest_first_per_agent,
    stock_levels_are_set_and_audited,
);

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn cancel_and_ship_race_one_wins() {
    let store = Store::new();
    conformance::cancel_and_ship_race_one_wins(store.open().await).await;
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
