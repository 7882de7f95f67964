//! The ledger conformance suite: what every backend must do, written once.
//!
//! Every function takes a fresh, empty ledger (or an opener of ledgers on one fresh, empty
//! store) and panics when the backend breaks a promise. Backend modules (`sqlite.rs` now; the
//! PostgreSQL backend will run these same functions) wrap each in a `#[tokio::test]`.

use std::collections::HashSet;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use b2a_audit::entry::Entry;
use b2a_audit::merkle::{MemoryTree, leaf_hash};
use b2a_ledger::{AgentStatus, AuditQuery, GrantRecord, Ledger, LedgerError, PlaceOrder, Placed};
use b2a_model::{Currency, Limits, Money, OrderId, OrderStatus, Principal, QuoteId};
use time::{Duration, OffsetDateTime};
use tokio::sync::Barrier;
use tokio::task::JoinHandle;

use crate::fixtures::{
    ORDER_JTI, QUOTE_JTI, Snapshot, actions, agent, assert_proofs, audit_log, child, cli, create,
    eur, eur_limits, expires, grant, issue, now, on_hand, operator, order_cmd, order_under, page,
    parsed, quote, quote_at, record, refused, register, registration, revoke, seed, set_status,
    sku, stored_audit_log, usage, valid_at, verified_audit_log,
};

mod offers;
mod orders;

/// Calls `$run!(...)` with every conformance function over `&dyn Ledger`, so that each backend
/// module runs the same list (the races and the two-handle tests have their own wrappers).
macro_rules! every_fresh_ledger_test {
    ($run:ident) => {
        $run!(
            seed_stock_inserts_only_new_skus,
            zero_stock_is_not_unknown_stock,
            quotes_and_orders_are_scoped_to_their_agent,
            place_order_confirms_and_moves_stock,
            audit_entries_append_and_page,
            audit_entries_are_filtered,
            the_audit_index_catches_up_in_batches,
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
            erasing_a_principal_shreds_its_vault_rows,
            retention_purges_closed_orders_personal_data,
            orders_list_newest_first_per_agent,
            stock_levels_are_set_and_audited,
        );
    };
}
pub(crate) use every_fresh_ledger_test;

pub(crate) use offers::*;
pub(crate) use orders::*;

/// A ledger being opened on the store under test.
pub(crate) type Opening = Pin<Box<dyn Future<Output = Arc<dyn Ledger>> + Send>>;

/// Opens another ledger on the same store, as a restarted gateway or the CLI beside it would.
pub(crate) type Opener<'a> = &'a (dyn Fn() -> Opening + Sync);

// ---------------------------------------------------------------------------------------------
// 1. Stock seeding

/// `seed_stock` inserts SKUs that have no stock yet, never overwrites, and counts inserts.
pub(crate) async fn seed_stock_inserts_only_new_skus(ledger: &dyn Ledger) {
    let first = ledger
        .seed_stock(&[(sku("VC-A"), 10), (sku("VC-B"), 3)])
        .await
        .expect("first seed");
    assert_eq!(first, 2);

    let second = ledger
        .seed_stock(&[(sku("VC-A"), 99), (sku("VC-C"), 7), (sku("VC-B"), 0)])
        .await
        .expect("second seed");
    assert_eq!(second, 1, "only VC-C was new");
    assert_eq!(on_hand(ledger, "VC-A").await, 10, "VC-A kept its level");
    assert_eq!(on_hand(ledger, "VC-B").await, 3, "VC-B kept its level");
    assert_eq!(on_hand(ledger, "VC-C").await, 7);

    let again = ledger
        .seed_stock(&[(sku("VC-A"), 1), (sku("VC-C"), 1)])
        .await
        .expect("third seed");
    assert_eq!(again, 0, "nothing was new");
    assert_eq!(on_hand(ledger, "VC-C").await, 7);

    assert_eq!(
        ledger.stock(&sku("VC-UNKNOWN")).await.expect("stock read"),
        None
    );
}

/// A stocked SKU at zero is stocked (`Some(0)`), not unknown.
pub(crate) async fn zero_stock_is_not_unknown_stock(ledger: &dyn Ledger) {
    seed(ledger, &[("VC-ZERO", 0)]).await;
    assert_eq!(
        ledger.stock(&sku("VC-ZERO")).await.expect("stock read"),
        Some(0)
    );
}

// ---------------------------------------------------------------------------------------------
// 2. Scoping to the agent

/// A quote reads back exactly as created, for its agent only; its order likewise.
pub(crate) async fn quotes_and_orders_are_scoped_to_their_agent(ledger: &dyn Ledger) {
    seed(ledger, &[("VC-A", 5)]).await;
    let q = quote("alice", &[("VC-A", 1)]);
    create(ledger, &q).await;

    let read = ledger.quote(&q.id, &agent("alice")).await.expect("read");
    assert_eq!(read.as_ref(), Some(&q), "the quote reads back unchanged");
    assert_eq!(
        ledger.quote(&q.id, &agent("bob")).await.expect("read"),
        None,
        "another agent cannot read the quote"
    );
    assert_eq!(
        ledger
            .quote(&QuoteId::generate(), &agent("alice"))
            .await
            .expect("read"),
        None
    );

    // Another agent cannot order it either: to bob, it does not exist.
    let mut stolen = order_cmd(&q, "bob-key");
    stolen.agent = agent("bob");
    let err = refused(ledger, &stolen, &["VC-A"]).await;
    assert!(
        matches!(&err, LedgerError::QuoteNotFound(id) if *id == q.id),
        "got {err:?}"
    );

    let placed = ledger
        .place_order(&order_cmd(&q, "alice-key"))
        .await
        .expect("alice orders her quote");
    let id = &placed.order.id;
    assert_eq!(
        ledger.order(id, &agent("alice")).await.expect("read"),
        Some(placed.order.clone()),
        "the order reads back unchanged"
    );
    assert_eq!(
        ledger.order(id, &agent("bob")).await.expect("read"),
        None,
        "another agent cannot read the order"
    );
    assert_eq!(
        ledger
            .order(&OrderId::generate(), &agent("alice"))
            .await
            .expect("read"),
        None
    );
}

// ---------------------------------------------------------------------------------------------
// 3. The happy path

/// An order is confirmed, agent-initiated, exactly as quoted; stock moves by each line; the
/// audit log records `quote.created` then `order.placed` on a chain that verifies.
pub(crate) async fn place_order_confirms_and_moves_stock(ledger: &dyn Ledger) {
    seed(ledger, &[("VC-A", 10), ("VC-B", 5), ("VC-C", 4)]).await;
    let q = quote("alice", &[("VC-A", 3), ("VC-B", 2)]);
    create(ledger, &q).await;
    let cmd = order_cmd(&q, "key-1");

    let Placed { order, replayed } = ledger.place_order(&cmd).await.expect("order placed");
    assert!(!replayed, "a first request is not a replay");
    assert_eq!(order.status, OrderStatus::Confirmed);
    assert!(order.agent_initiated);
    assert_eq!(order.quote_id, q.id);
    assert_eq!(order.agent, q.agent);
    assert_eq!(order.principal, q.principal);
    assert_eq!(order.lines, q.lines);
    assert_eq!(order.total, q.total);
    assert_eq!(order.ship_to, q.ship_to);
    assert_eq!(order.created_at, cmd.now);

    assert_eq!(on_hand(ledger, "VC-A").await, 7);
    assert_eq!(on_hand(ledger, "VC-B").await, 3);
    assert_eq!(
        on_hand(ledger, "VC-C").await,
        4,
        "unordered SKUs do not move"
    );
    assert_eq!(ledger.order_count().await.expect("count"), 1);
    assert_eq!(
        ledger.order(&order.id, &q.agent).await.expect("read"),
        Some(order.clone())
    );

    let log = verified_audit_log(ledger).await;
    let actions: Vec<&str> = log.iter().map(|e| e.record.action.as_str()).collect();
    assert_eq!(actions, ["quote.created", "order.placed"]);
    let (created, placed) = (&log[0].record, &log[1].record);
    assert_eq!(created.subjects[0], q.id.as_str());
    assert_eq!(created.actor, "agent:alice");
    assert_eq!(created.credential, QUOTE_JTI);
    assert_eq!(
        placed.subjects,
        [order.id.as_str(), q.id.as_str(), ORDER_JTI],
        "the order, its quote and the token it was charged to"
    );
    assert_eq!(placed.actor, "agent:alice");
    assert_eq!(placed.credential, ORDER_JTI);
    assert_eq!(placed.payload["quote_id"], q.id.as_str());
    assert_eq!(placed.payload["status"], "confirmed");
    assert_eq!(placed.payload["agent_initiated"], true);
}

/// The index of what auditors filter by and the tree's nodes catch up with the head in
/// batches, however far behind they are: a filtered read sees every committed entry, proofs
/// across a batch's boundary are the tree's, and indexing again finds nothing.
pub(crate) async fn the_audit_index_catches_up_in_batches(ledger: &dyn Ledger) {
    const ENTRIES: usize = 5000;
    let records = (0..ENTRIES)
        .map(|i| {
            let mut r = record("operator:bulk", &format!("s-{i}"));
            r.action = if i % 2 == 0 { "test.even" } else { "test.odd" }.into();
            r
        })
        .collect();
    ledger.append_audit_all(records).await.expect("appended");
    let even = ledger
        .audit_entries(&AuditQuery {
            action: Some("test.even".into()),
            ..page(0, 10_000)
        })
        .await
        .expect("entries");
    assert_eq!(
        even.iter().map(|e| e.seq).collect::<Vec<_>>(),
        (0..ENTRIES as u64).step_by(2).collect::<Vec<_>>(),
        "every even entry, past the first batch"
    );
    let last = ledger
        .audit_entries(&AuditQuery {
            subject: Some(format!("s-{}", ENTRIES - 1)),
            ..page(0, 10)
        })
        .await
        .expect("entries");
    assert_eq!(last.len(), 1, "the last entry's subject is indexed");
    assert_eq!(
        ledger.index_audit().await.expect("indexed"),
        0,
        "nothing left"
    );
    let mut tree = MemoryTree::new();
    for entry in stored_audit_log(ledger).await {
        tree.push(leaf_hash(entry.body.as_bytes()));
    }
    assert_eq!(ledger.audit_head().await.expect("head").root, tree.root());
    // The ledger indexes 4096 entries per transaction.
    let boundary = 4096;
    let around = [0, boundary - 2, boundary - 1, boundary, boundary + 1];
    assert_proofs(ledger, &tree, around.into_iter().chain([tree.size() - 1])).await;

    ledger
        .append_audit(record("operator:late", "late"))
        .await
        .expect("appended");
    assert_eq!(ledger.index_audit().await.expect("indexed"), 1);
    assert_eq!(ledger.index_audit().await.expect("indexed"), 0);
}

/// Auditors' filters select exactly the entries they name, each alone and together, in order and
/// from a page's cursor on.
pub(crate) async fn audit_entries_are_filtered(ledger: &dyn Ledger) {
    let entry =
        |actor: &str, principal: Option<&str>, action: &str, subjects: &[&str], at: &str| {
            let mut r = record(actor, subjects[0]);
            r.principal = principal.map(str::to_owned);
            r.action = action.into();
            r.subjects = subjects.iter().map(|s| (*s).to_owned()).collect();
            r.at = at.into();
            r
        };
    for r in [
        entry(
            "agent:alice",
            Some("pp-1"),
            "quote.created",
            &["q_1"],
            "2026-11-21T08:00:00Z",
        ),
        entry(
            "agent:alice",
            Some("pp-1"),
            "order.placed",
            &["o_1", "q_1", "jti-a"],
            "2026-11-21T08:00:01.5Z",
        ),
        entry(
            "agent:bob",
            Some("pp-2"),
            "order.placed",
            &["o_2", "q_2", "jti-b"],
            "2026-11-21T09:00:00Z",
        ),
        entry(
            "operator:ops",
            None,
            "agent.suspended",
            &["alice"],
            "2026-11-21T10:00:00Z",
        ),
        entry(
            "operator:ops",
            Some("pp-1"),
            "order.ship",
            &["o_1", "q_1"],
            "2026-11-22T08:00:00Z",
        ),
    ] {
        ledger.append_audit(r).await.expect("appended");
    }
    let seqs = |q: AuditQuery| async move {
        let found = ledger.audit_entries(&q).await.expect("entries");
        found.iter().map(|e| e.seq).collect::<Vec<u64>>()
    };
    let all = || page(0, 100);
    let at = |t: &str| {
        Some(
            OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339).expect("time"),
        )
    };
    assert_eq!(seqs(all()).await, [0, 1, 2, 3, 4]);
    assert_eq!(
        seqs(AuditQuery {
            agent: Some("alice".into()),
            ..all()
        })
        .await,
        [0, 1, 3],
        "what alice did, and what was done to her"
    );
    assert_eq!(
        seqs(AuditQuery {
            principal: Some("pp-1".into()),
            ..all()
        })
        .await,
        [0, 1, 4]
    );
    assert_eq!(
        seqs(AuditQuery {
            subject: Some("o_1".into()),
            ..all()
        })
        .await,
        [1, 4]
    );
    assert_eq!(
        seqs(AuditQuery {
            subject: Some("jti-b".into()),
            ..all()
        })
        .await,
        [2]
    );
    assert_eq!(
        seqs(AuditQuery {
            action: Some("order.placed".into()),
            ..all()
        })
        .await,
        [1, 2]
    );
    assert_eq!(
        seqs(AuditQuery {
            since: at("2026-11-21T08:00:01Z"),
            until: at("2026-11-21T10:00:00Z"),
            ..all()
        })
        .await,
        [1, 2],
        "from a second on (its fractions included), before another"
    );
    assert_eq!(
        seqs(AuditQuery {
            principal: Some("pp-1".into()),
            action: Some("order.placed".into()),
            ..all()
        })
        .await,
        [1]
    );
    assert_eq!(
        seqs(AuditQuery {
            principal: Some("pp-1".into()),
            ..page(1, 1)
        })
        .await,
        [1],
        "a page from a cursor"
    );
    assert!(
        seqs(AuditQuery {
            subject: Some("nothing".into()),
            ..all()
        })
        .await
        .is_empty()
    );
}

/// Entries appended on their own are stored as returned and read back in pages.
pub(crate) async fn audit_entries_append_and_page(ledger: &dyn Ledger) {
    let mut appended: Vec<Entry> = Vec::new();
    for i in 0..5 {
        let entry = ledger
            .append_audit(record("operator:ops", &format!("subject-{i}")))
            .await
            .expect("appended");
        appended.push(entry);
    }
    let seqs: Vec<u64> = appended.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, [0, 1, 2, 3, 4]);
    assert_eq!(verified_audit_log(ledger).await, appended);

    let two = ledger.audit_entries(&page(1, 2)).await.expect("page");
    let two: Vec<Entry> = two.iter().map(parsed).collect();
    assert_eq!(two, appended[1..3], "entries from seq 1, at most 2");
    assert!(
        ledger
            .audit_entries(&page(5, 10))
            .await
            .expect("page")
            .is_empty(),
        "nothing after the tip"
    );

    // Several at once: in order, after the others, all in the log.
    let batch = (0..3)
        .map(|i| record("operator:ops", &format!("batch-{i}")))
        .collect();
    let together = ledger.append_audit_all(batch).await.expect("appended");
    let seqs: Vec<u64> = together.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, [5, 6, 7]);
    let log = verified_audit_log(ledger).await;
    assert_eq!(log[5..], together[..]);
}

// ---------------------------------------------------------------------------------------------
// 4. Idempotency

/// The same key with the same body replays the original order; stock and the log move once.
pub(crate) async fn same_key_same_body_replays_the_order(ledger: &dyn Ledger) {
    seed(ledger, &[("VC-A", 10)]).await;
    let q = quote("alice", &[("VC-A", 2)]);
    create(ledger, &q).await;
    let cmd = order_cmd(&q, "key-1");

    let first = ledger.place_order(&cmd).await.expect("first request");
    let after_first = Snapshot::take(ledger, &["VC-A"]).await;
    let second = ledger.place_order(&cmd).await.expect("retried request");
    assert!(second.replayed);
    assert_eq!(second.order, first.order, "the retry gets the same order");
    assert_eq!(on_hand(ledger, "VC-A").await, 8, "stock moved once");
    assert_eq!(
        Snapshot::take(ledger, &["VC-A"]).await,
        after_first,
        "a replay writes nothing"
    );

    // A retry that arrives after the quote expired still gets its order, not an error.
    let mut late = cmd.clone();
    late.now = expires() + Duration::hours(1);
    let third = ledger.place_order(&late).await.expect("late retry");
    assert!(third.replayed);
    assert_eq!(third.order, first.order);
    assert_eq!(Snapshot::take(ledger, &["VC-A"]).await, after_first);
}

/// The same key with another body is refused, and nothing changes.
pub(crate) async fn same_key_other_body_is_refused(ledger: &dyn Ledger) {
    seed(ledger, &[("VC-A", 10)]).await;
    let q = quote("alice", &[("VC-A", 2)]);
    create(ledger, &q).await;
    let first = ledger
        .place_order(&order_cmd(&q, "key-1"))
        .await
        .expect("first request");

    // Same quote, altered body.
    let mut altered = order_cmd(&q, "key-1");
    altered.fingerprint = "sha256:something-else".into();
    let err = refused(ledger, &altered, &["VC-A"]).await;
    assert!(
        matches!(err, LedgerError::IdempotencyMismatch),
        "got {err:?}"
    );

    // The key reused for another quote: refused, and that quote stays orderable.
    let other = quote("alice", &[("VC-A", 1)]);
    create(ledger, &other).await;
    let err = refused(ledger, &order_cmd(&other, "key-1"), &["VC-A"]).await;
    assert!(
        matches!(err, LedgerError::IdempotencyMismatch),
        "got {err:?}"
    );
    let placed = ledger
        .place_order(&order_cmd(&other, "key-2"))
        .await
        .expect("the other quote is still orderable");
    assert!(!placed.replayed);
    assert_ne!(placed.order.id, first.order.id);
    assert_eq!(on_hand(ledger, "VC-A").await, 7);
}

/// A quote becomes at most one order, whatever key the second attempt uses.
pub(crate) async fn a_quote_is_ordered_once(ledger: &dyn Ledger) {
    seed(ledger, &[("VC-A", 10)]).await;
    let q = quote("alice", &[("VC-A", 2)]);
    create(ledger, &q).await;
    let first = ledger
        .place_order(&order_cmd(&q, "key-1"))
        .await
        .expect("first order");

    let err = refused(ledger, &order_cmd(&q, "key-2"), &["VC-A"]).await;
    assert!(
        matches!(&err, LedgerError::QuoteAlreadyOrdered { quote, order }
            if *quote == q.id && *order == first.order.id),
        "got {err:?}"
    );
}

/// Idempotency keys are per agent: another agent's identical key string is a new request.
pub(crate) async fn idempotency_keys_are_scoped_per_agent(ledger: &dyn Ledger) {
    seed(ledger, &[("VC-A", 10)]).await;
    let qa = quote("alice", &[("VC-A", 2)]);
    let qb = quote("bob", &[("VC-A", 3)]);
    create(ledger, &qa).await;
    create(ledger, &qb).await;

    let cmd_a = order_cmd(&qa, "shared-key");
    let a = ledger.place_order(&cmd_a).await.expect("alice orders");
    // Bob's request carries the same key and even the same fingerprint: still not a replay.
    let cmd_b = PlaceOrder {
        fingerprint: cmd_a.fingerprint.clone(),
        ..order_cmd(&qb, "shared-key")
    };
    let b = ledger.place_order(&cmd_b).await.expect("bob orders");

    assert!(!b.replayed, "bob's request is not alice's replay");
    assert_ne!(a.order.id, b.order.id);
    assert_eq!(b.order.quote_id, qb.id);
    assert_eq!(b.order.agent, agent("bob"));
    assert_eq!(on_hand(ledger, "VC-A").await, 5, "both orders moved stock");
    assert_eq!(ledger.order_count().await.expect("count"), 2);
    assert!(
        ledger
            .order(&b.order.id, &agent("bob"))
            .await
            .expect("read")
            .is_some()
    );
}

// ---------------------------------------------------------------------------------------------
// 5. Expired and unknown quotes

/// An expired quote is refused, nothing changes, and the key is not used up.
pub(crate) async fn expired_quote_is_refused(ledger: &dyn Ledger) {
    seed(ledger, &[("VC-A", 10)]).await;
    let q = quote("alice", &[("VC-A", 2)]);
    create(ledger, &q).await;
    let mut late = order_cmd(&q, "key-1");
    late.now = expires() + Duration::seconds(1);
    let err = refused(ledger, &late, &["VC-A"]).await;
    assert!(
        matches!(&err, LedgerError::QuoteExpired(id) if *id == q.id),
        "got {err:?}"
    );

    // The refusal stored nothing under the key: in time, the same key places a new order.
    let placed = ledger
        .place_order(&order_cmd(&q, "key-1"))
        .await
        .expect("in time");
    assert!(!placed.replayed);
}

/// A quote that was never created is not found, and nothing changes.
pub(crate) async fn unknown_quote_is_not_found(ledger: &dyn Ledger) {
    seed(ledger, &[("VC-A", 10)]).await;
    let never_created = quote("alice", &[("VC-A", 1)]);
    let err = refused(ledger, &order_cmd(&never_created, "key-1"), &["VC-A"]).await;
    assert!(
        matches!(&err, LedgerError::QuoteNotFound(id) if *id == never_created.id),
        "got {err:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// 6. Shortfalls roll back the whole order

/// When the second line is short, the first line's decrement is rolled back too.
pub(crate) async fn shortfall_on_a_later_line_rolls_back_everything(ledger: &dyn Ledger) {
    seed(ledger, &[("VC-A", 10), ("VC-B", 1)]).await;
    let q = quote("alice", &[("VC-A", 2), ("VC-B", 3)]);
    create(ledger, &q).await;
    let before = Snapshot::take(ledger, &["VC-A", "VC-B"]).await;
    assert_eq!(before.audit.len(), 1, "only quote.created so far");

    for attempt in 0..2 {
        let err = ledger
            .place_order(&order_cmd(&q, "key-1"))
            .await
            .expect_err("short");
        assert!(
            matches!(&err, LedgerError::InsufficientStock { sku: s, available: 1, requested: 3 }
                if *s == sku("VC-B")),
            "attempt {attempt}: got {err:?}"
        );
        let after = Snapshot::take(ledger, &["VC-A", "VC-B"]).await;
        assert_eq!(
            after, before,
            "attempt {attempt}: VC-A not decremented, no order, no audit entry"
        );
    }
    assert_eq!(on_hand(ledger, "VC-A").await, 10);
}

/// A quoted SKU the ledger keeps no stock for is refused as unknown, and rolls back.
pub(crate) async fn unstocked_sku_is_refused(ledger: &dyn Ledger) {
    seed(ledger, &[("VC-A", 10)]).await;
    let q = quote("alice", &[("VC-A", 1), ("VC-GHOST", 1)]);
    create(ledger, &q).await;
    let err = refused(ledger, &order_cmd(&q, "key-1"), &["VC-A", "VC-GHOST"]).await;
    assert!(
        matches!(&err, LedgerError::UnknownSku(s) if *s == sku("VC-GHOST")),
        "got {err:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// 7. Races (run these on a multi-thread runtime)

async fn join_all<T: Send + 'static>(handles: Vec<JoinHandle<T>>) -> Vec<T> {
    let mut out = Vec::with_capacity(handles.len());
    for h in handles {
        out.push(h.await.expect("task did not panic"));
    }
    out
}

/// 50 agents race for 10 units: exactly 10 orders, 40 shortfalls, stock 0, never below.
pub(crate) async fn concurrent_orders_never_oversell(ledger: Arc<dyn Ledger>) {
    const UNITS: u32 = 10;
    const AGENTS: usize = 50;
    seed(ledger.as_ref(), &[("VC-HOT", UNITS)]).await;
    let mut cmds = Vec::new();
    for i in 0..AGENTS {
        let q = quote(&format!("agent-{i:02}"), &[("VC-HOT", 1)]);
        create(ledger.as_ref(), &q).await;
        cmds.push(order_cmd(&q, "key-1"));
    }

    let start = Arc::new(Barrier::new(AGENTS));
    let handles = cmds
        .into_iter()
        .map(|cmd| {
            let (ledger, start) = (Arc::clone(&ledger), Arc::clone(&start));
            tokio::spawn(async move {
                start.wait().await;
                ledger.place_order(&cmd).await
            })
        })
        .collect();
    let results = join_all(handles).await;

    let mut orders = HashSet::new();
    let mut short = 0;
    for result in results {
        match result {
            Ok(placed) => {
                assert!(!placed.replayed);
                assert!(orders.insert(placed.order.id), "order ids are distinct");
            }
            Err(LedgerError::InsufficientStock {
                available: 0,
                requested: 1,
                ..
            }) => short += 1,
            Err(other) => panic!("unexpected error in the race: {other}"),
        }
    }
    assert_eq!(
        orders.len(),
        UNITS as usize,
        "exactly the units on hand sold"
    );
    assert_eq!(short, AGENTS - UNITS as usize);
    assert_eq!(on_hand(ledger.as_ref(), "VC-HOT").await, 0);
    assert_eq!(ledger.order_count().await.expect("count"), u64::from(UNITS));

    let log = verified_audit_log(ledger.as_ref()).await;
    let placed: HashSet<OrderId> = log
        .iter()
        .filter(|e| e.record.action == "order.placed")
        .map(|e| OrderId::parse(e.record.subjects[0].clone()).expect("order id subject"))
        .collect();
    assert_eq!(placed, orders, "one order.placed entry per order");
    assert_eq!(log.len(), AGENTS + UNITS as usize);
}

/// 50 concurrent retries of one request make one order; the 49 others are replays of it (or,
/// on a backend that cannot wait, `IdempotencyInFlight` refusals that changed nothing).
pub(crate) async fn concurrent_retries_place_one_order(ledger: Arc<dyn Ledger>) {
    const RETRIES: usize = 50;
    seed(ledger.as_ref(), &[("VC-A", 10)]).await;
    let q = quote("alice", &[("VC-A", 3)]);
    create(ledger.as_ref(), &q).await;
    let cmd = order_cmd(&q, "key-1");

    let start = Arc::new(Barrier::new(RETRIES));
    let handles = (0..RETRIES)
        .map(|_| {
            let (ledger, start, cmd) = (Arc::clone(&ledger), Arc::clone(&start), cmd.clone());
            tokio::spawn(async move {
                start.wait().await;
                ledger.place_order(&cmd).await
            })
        })
        .collect();
    let mut results: Vec<Placed> = Vec::new();
    let mut in_flight = 0;
    for r in join_all(handles).await {
        match r {
            Ok(p) => results.push(p),
            Err(LedgerError::IdempotencyInFlight) => in_flight += 1,
            Err(e) => panic!("a retry failed: {e:?}"),
        }
    }

    let ids: HashSet<&OrderId> = results.iter().map(|p| &p.order.id).collect();
    assert_eq!(ids.len(), 1, "one order among all results: {ids:?}");
    let replays = results.iter().filter(|p| p.replayed).count();
    assert_eq!(
        replays + in_flight,
        RETRIES - 1,
        "every other retry replays or is refused"
    );
    assert!(results.iter().all(|p| p.order == results[0].order));
    assert_eq!(
        on_hand(ledger.as_ref(), "VC-A").await,
        7,
        "stock moved once"
    );
    assert_eq!(ledger.order_count().await.expect("count"), 1);
    let log = verified_audit_log(ledger.as_ref()).await;
    assert_eq!(log.len(), 2, "quote.created and one order.placed");
}

// ---------------------------------------------------------------------------------------------
// 8. Durability across reopen

/// What was committed is there after the ledger is dropped and reopened, and the audit chain
/// continues from where it stopped.
pub(crate) async fn committed_state_survives_reopen(open: Opener<'_>) {
    let ledger = open().await;
    seed(ledger.as_ref(), &[("VC-A", 10)]).await;
    let q = quote("alice", &[("VC-A", 4)]);
    create(ledger.as_ref(), &q).await;
    let cmd = order_cmd(&q, "key-1");
    let placed = ledger.place_order(&cmd).await.expect("order placed");
    let log = verified_audit_log(ledger.as_ref()).await;
    assert_eq!(log.len(), 2);
    drop(ledger);

    let ledger = open().await;
    let alice = agent("alice");
    assert_eq!(
        ledger.quote(&q.id, &alice).await.expect("read"),
        Some(q.clone())
    );
    assert_eq!(
        ledger.order(&placed.order.id, &alice).await.expect("read"),
        Some(placed.order.clone())
    );
    assert_eq!(on_hand(ledger.as_ref(), "VC-A").await, 6);
    assert_eq!(ledger.order_count().await.expect("count"), 1);
    assert_eq!(verified_audit_log(ledger.as_ref()).await, log);

    // Idempotency keys and the quote's order link survived too.
    let replay = ledger.place_order(&cmd).await.expect("replay");
    assert!(replay.replayed);
    assert_eq!(replay.order, placed.order);
    let err = ledger
        .place_order(&order_cmd(&q, "key-2"))
        .await
        .expect_err("already ordered");
    assert!(
        matches!(err, LedgerError::QuoteAlreadyOrdered { .. }),
        "got {err:?}"
    );

    // New entries continue the chain.
    let next = ledger
        .append_audit(record("system", "after-reopen"))
        .await
        .expect("appended");
    assert_eq!(next.seq, 2);
    let full = verified_audit_log(ledger.as_ref()).await;
    assert_eq!(full.len(), 3);
    assert_eq!(full[2], next);
    drop(ledger);

    // And a second reopen sees the continued chain.
    let ledger = open().await;
    assert_eq!(verified_audit_log(ledger.as_ref()).await, full);
}

// ---------------------------------------------------------------------------------------------
// 9. Two handles on one store (the CLI beside a running gateway)

/// Two handles append while both index, as replicas do: each entry is indexed once (the counts
/// add up to the log's size) and a filtered read through either sees exactly its entries.
pub(crate) async fn two_handles_index_each_entry_once(open: Opener<'_>) {
    const EACH: usize = 20;
    let a = open().await;
    let b = open().await;
    let start = Arc::new(Barrier::new(4 * EACH));
    let mut appends = Vec::new();
    let mut indexers = Vec::new();
    for i in 0..EACH {
        for (name, ledger) in [("a", &a), ("b", &b)] {
            let (appender, start_appending) = (Arc::clone(ledger), Arc::clone(&start));
            appends.push(tokio::spawn(async move {
                start_appending.wait().await;
                let entry = appender
                    .append_audit(record(&format!("agent:{name}"), &format!("{name}-{i}")))
                    .await
                    .expect("appended");
                (name, entry.seq)
            }));
            let (ledger, start) = (Arc::clone(ledger), Arc::clone(&start));
            indexers.push(tokio::spawn(async move {
                start.wait().await;
                ledger.index_audit().await.expect("indexed")
            }));
        }
    }
    let appended = join_all(appends).await;
    let mut indexed: u64 = join_all(indexers).await.into_iter().sum();
    indexed += a.index_audit().await.expect("indexed") + b.index_audit().await.expect("indexed");
    assert_eq!(indexed, 2 * EACH as u64, "each entry indexed once");

    for name in ["a", "b"] {
        let mut expected: Vec<u64> = appended
            .iter()
            .filter(|(by, _)| *by == name)
            .map(|(_, seq)| *seq)
            .collect();
        expected.sort_unstable();
        for reader in [&a, &b] {
            let found = reader
                .audit_entries(&AuditQuery {
                    agent: Some(name.into()),
                    ..page(0, 100)
                })
                .await
                .expect("entries");
            let seqs: Vec<u64> = found.iter().map(|e| e.seq).collect();
            assert_eq!(
                seqs, expected,
                "{name}'s entries, read through either handle"
            );
        }
    }
}

/// Interleaved appends through two handles make one consecutive, verifying chain.
pub(crate) async fn two_handles_append_to_one_chain(open: Opener<'_>) {
    const EACH: usize = 20;
    let a = open().await;
    let b = open().await;
    let start = Arc::new(Barrier::new(2 * EACH));
    let mut handles = Vec::new();
    for i in 0..EACH {
        for (name, ledger) in [("a", &a), ("b", &b)] {
            let (ledger, start) = (Arc::clone(ledger), Arc::clone(&start));
            let subject = format!("{name}-{i}");
            handles.push(tokio::spawn(async move {
                start.wait().await;
                ledger
                    .append_audit(record(&format!("operator:{name}"), &subject))
                    .await
                    .expect("appended")
            }));
        }
    }
    let returned = join_all(handles).await;

    let mut seqs: Vec<u64> = returned.iter().map(|e| e.seq).collect();
    seqs.sort_unstable();
    assert_eq!(seqs, (0..2 * EACH as u64).collect::<Vec<_>>());

    let log = verified_audit_log(a.as_ref()).await;
    assert_eq!(log.len(), 2 * EACH);
    assert_eq!(
        log.iter().map(|e| e.seq).collect::<Vec<_>>(),
        (0..2 * EACH as u64).collect::<Vec<_>>()
    );
    for entry in &returned {
        assert_eq!(
            &log[usize::try_from(entry.seq).expect("small seq")],
            entry,
            "the stored entry is the one returned"
        );
    }
    assert_eq!(audit_log(b.as_ref()).await, log, "both handles see one log");
}

/// Orders racing through two handles still never oversell.
pub(crate) async fn two_handles_never_oversell(open: Opener<'_>) {
    const UNITS: u32 = 3;
    const AGENTS: usize = 12;
    let a = open().await;
    let b = open().await;
    seed(a.as_ref(), &[("VC-HOT", UNITS)]).await;
    let mut cmds = Vec::new();
    for i in 0..AGENTS {
        let q = quote(&format!("agent-{i:02}"), &[("VC-HOT", 1)]);
        create(a.as_ref(), &q).await;
        cmds.push(order_cmd(&q, "key-1"));
    }
    let start = Arc::new(Barrier::new(AGENTS));
    let handles = cmds
        .into_iter()
        .enumerate()
        .map(|(i, cmd)| {
            let ledger = Arc::clone(if i % 2 == 0 { &a } else { &b });
            let start = Arc::clone(&start);
            tokio::spawn(async move {
                start.wait().await;
                ledger.place_order(&cmd).await
            })
        })
        .collect();
    let mut sold = 0;
    for result in join_all(handles).await {
        match result {
            Ok(_) => sold += 1,
            Err(LedgerError::InsufficientStock { .. }) => {}
            Err(other) => panic!("unexpected error in the race: {other}"),
        }
    }
    assert_eq!(sold, UNITS);
    assert_eq!(on_hand(b.as_ref(), "VC-HOT").await, 0);
    assert_eq!(a.order_count().await.expect("count"), u64::from(UNITS));
    let log = verified_audit_log(b.as_ref()).await;
    assert_eq!(log.len(), AGENTS + UNITS as usize);
}

// ---------------------------------------------------------------------------------------------
// 10. The agent registry

/// Agents register once, list by id and read back as registered; the audit entry names the
/// agent and counts its keys but never holds its contact.
pub(crate) async fn agents_register_once_and_list_by_id(ledger: &dyn Ledger) {
    for id in ["carol", "alice", "bob"] {
        register(ledger, id).await;
    }
    let err = ledger
        .register_agent(&registration("alice"), &operator())
        .await
        .expect_err("a second registration is refused");
    assert!(
        matches!(&err, LedgerError::AgentExists(id) if *id == agent("alice")),
        "got {err:?}"
    );

    let listed = ledger.agents().await.expect("agents are listed");
    let ids: Vec<&str> = listed.iter().map(|a| a.id.as_str()).collect();
    assert_eq!(ids, ["alice", "bob", "carol"]);
    assert_eq!(listed[0], registration("alice"), "reads back as registered");
    assert_eq!(
        ledger.agent(&agent("bob")).await.expect("read"),
        Some(registration("bob"))
    );
    assert_eq!(ledger.agent(&agent("dave")).await.expect("read"), None);

    let log = verified_audit_log(ledger).await;
    assert_eq!(
        log.len(),
        3,
        "one entry per registration, none for the refusal"
    );
    let carol = &log[0].record;
    assert_eq!(carol.action, "agent.registered");
    assert_eq!(carol.subjects[0], "carol");
    assert_eq!(carol.actor, operator().name);
    assert_eq!(carol.credential, operator().credential);
    assert_eq!(carol.payload["name"], "Agent carol");
    assert_eq!(carol.payload["keys"], 1);
    for entry in &log {
        assert!(
            !entry.record.payload.to_string().contains("dev@"),
            "the contact is personal data: {entry:?}"
        );
    }
}

/// Suspension and reactivation are audited and move the trust stamp once per change; setting
/// the status an agent already has records nothing; the snapshot lists suspended agents.
pub(crate) async fn suspension_is_audited_once_per_change(ledger: &dyn Ledger) {
    register(ledger, "alice").await;
    register(ledger, "bob").await;
    let alice = agent("alice");
    let initial = ledger.trust_stamp();

    let suspended = set_status(ledger, "alice", AgentStatus::Suspended).await;
    assert_eq!(suspended.status, AgentStatus::Suspended);
    assert_eq!(suspended.contact, registration("alice").contact);
    let after_suspension = ledger.trust_stamp();
    assert_ne!(after_suspension, initial, "a suspension moves the stamp");
    let snapshot = ledger.trust_snapshot(now()).await.expect("snapshot");
    assert_eq!(snapshot.suspended, [alice.clone()].into());
    assert!(snapshot.revoked.is_empty());
    assert_eq!(
        ledger.agent(&alice).await.expect("read").map(|a| a.status),
        Some(AgentStatus::Suspended)
    );

    let again = set_status(ledger, "alice", AgentStatus::Suspended).await;
    assert_eq!(again.status, AgentStatus::Suspended);
    let unchanged = set_status(ledger, "bob", AgentStatus::Active).await;
    assert_eq!(unchanged, registration("bob"));
    assert_eq!(
        ledger.trust_stamp(),
        after_suspension,
        "no change, no stamp"
    );

    let reactivated = set_status(ledger, "alice", AgentStatus::Active).await;
    assert_eq!(reactivated, registration("alice"));
    assert_ne!(
        ledger.trust_stamp(),
        after_suspension,
        "a reactivation moves it"
    );
    let snapshot = ledger.trust_snapshot(now()).await.expect("snapshot");
    assert!(snapshot.suspended.is_empty());

    let err = ledger
        .set_agent_status(&agent("dave"), AgentStatus::Suspended, &operator())
        .await
        .expect_err("unknown agent");
    assert!(
        matches!(&err, LedgerError::AgentNotFound(id) if *id == agent("dave")),
        "got {err:?}"
    );

    let log = verified_audit_log(ledger).await;
    let changes: Vec<(&str, &str)> = log[2..]
        .iter()
        .map(|e| (e.record.action.as_str(), e.record.subjects[0].as_str()))
        .collect();
    assert_eq!(
        changes,
        [("agent.suspended", "alice"), ("agent.reactivated", "alice")],
        "one entry per change, none for the no-ops"
    );
    assert_eq!(log[2].record.actor, operator().name);
    assert_eq!(log[2].record.credential, operator().credential);
    assert_eq!(log[2].record.payload["status"], "suspended");
}

/// The trust stamp of `ledger` once it differs from `old`: read at once, then, while it has not
/// moved, again every few milliseconds until `within` has passed (a backend whose other handles
/// learn of a change asynchronously, as PostgreSQL's notifications arrive, gets that long; one
/// with `within` zero must have moved already).
async fn moved_stamp(ledger: &dyn Ledger, old: u64, within: std::time::Duration) -> u64 {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let stamp = ledger.trust_stamp();
        if stamp != old || tokio::time::Instant::now() >= deadline {
            return stamp;
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
}

/// A suspension or revocation committed through another handle on the same store (the CLI
/// beside a running gateway) moves this handle's trust stamp — at once, or within `propagation`
/// for a backend that notifies other handles asynchronously — and shows in its snapshot.
pub(crate) async fn trust_changes_reach_every_handle(
    open: Opener<'_>,
    propagation: std::time::Duration,
) {
    let gateway = open().await;
    let host = open().await;
    register(gateway.as_ref(), "alice").await;
    issue(
        gateway.as_ref(),
        &grant("jti-alice", "alice", Limits::default()),
    )
    .await;
    let initial = gateway.trust_stamp();

    host.set_agent_status(&agent("alice"), AgentStatus::Suspended, &cli())
        .await
        .expect("the CLI suspends");
    let after_suspension = moved_stamp(gateway.as_ref(), initial, propagation).await;
    assert_ne!(
        after_suspension, initial,
        "the gateway sees the CLI's suspension"
    );
    let snapshot = gateway.trust_snapshot(now()).await.expect("snapshot");
    assert!(snapshot.suspended.contains(&agent("alice")));

    host.revoke_grant("jti-alice", "compromised", &cli(), now())
        .await
        .expect("the CLI revokes");
    let after_revocation = moved_stamp(gateway.as_ref(), after_suspension, propagation).await;
    assert_ne!(after_revocation, after_suspension, "and its revocation");
    let snapshot = gateway.trust_snapshot(now()).await.expect("snapshot");
    assert_eq!(snapshot.revoked, ["jti-alice".to_owned()].into());
    assert_eq!(host.trust_stamp(), after_revocation, "both handles agree");

    // No-ops through the gateway move nothing.
    gateway
        .revoke_grant("jti-alice", "again", &operator(), now())
        .await
        .expect("revoking again is fine");
    gateway
        .set_agent_status(&agent("alice"), AgentStatus::Suspended, &operator())
        .await
        .expect("suspending again is fine");
    assert_eq!(
        moved_stamp(host.as_ref(), after_revocation, propagation).await,
        after_revocation,
        "no change reaches the other handle"
    );
    assert_eq!(gateway.trust_stamp(), after_revocation);

    let log = verified_audit_log(host.as_ref()).await;
    let by_cli: Vec<&str> = log
        .iter()
        .filter(|e| e.record.actor == cli().name)
        .map(|e| e.record.action.as_str())
        .collect();
    assert_eq!(by_cli, ["agent.suspended", "token.revoked"]);
    assert_eq!(log.len(), 4);
}

// ---------------------------------------------------------------------------------------------
// 11. Grants

/// Issued tokens are audited as `token.issued`, exchanged ones as `token.exchanged`; a grant
/// reads back as recorded; `ensure_grant` never overwrites nor audits.
pub(crate) async fn record_grant_audits_issue_and_exchange(ledger: &dyn Ledger) {
    let mut parent = grant("jti-parent", "alice", eur_limits(10_000, Some(5_000)));
    parent.principal = Some(Principal::parse("pp-7f3a").expect("principal"));
    let kid = child("jti-child", &parent, eur_limits(4_000, Some(2_000)));
    issue(ledger, &parent).await;
    issue(ledger, &kid).await;
    ledger
        .record_grant(&parent, &operator())
        .await
        .expect_err("a jti is recorded once");
    ledger
        .ensure_grant(&grant("jti-parent", "bob", Limits::default()))
        .await
        .expect("ensuring a known grant is fine");

    for g in [&parent, &kid] {
        let state = ledger
            .grant_state(&g.jti, now())
            .await
            .expect("read")
            .expect("recorded");
        assert_eq!(&state.grant, g, "reads back as recorded, never overwritten");
        assert_eq!(state.revoked_at, None);
        assert_eq!((state.spent, state.orders_last_24h), (0, 0));
    }
    assert!(
        ledger
            .grant_state("jti-none", now())
            .await
            .expect("read")
            .is_none()
    );

    let log = verified_audit_log(ledger).await;
    assert_eq!(log.len(), 2, "one entry per recorded token");
    let (issued, exchanged) = (&log[0].record, &log[1].record);
    assert_eq!(issued.action, "token.issued");
    assert_eq!(issued.subjects[0], "jti-parent");
    assert_eq!(issued.actor, operator().name);
    assert_eq!(issued.credential, operator().credential);
    assert_eq!(issued.payload["role"], "agent");
    assert_eq!(issued.payload["agent"], "alice");
    assert_eq!(issued.payload["principal_bound"], true);
    assert_eq!(
        issued.principal.as_deref(),
        Some("pp-7f3a"),
        "the entry names the principal by its pseudonym, for auditors to filter on"
    );
    assert!(
        !issued.payload.to_string().contains("pp-7f3a"),
        "the pseudonym is not repeated in the payload"
    );
    assert_eq!(issued.payload["limits"]["total"], 10_000);
    assert_eq!(issued.payload["parent"], serde_json::Value::Null);
    assert_eq!(issued.payload["expires_at"], "2026-11-23T08:00:00Z");
    assert_eq!(exchanged.action, "token.exchanged");
    assert_eq!(exchanged.subjects[0], "jti-child");
    assert_eq!(exchanged.payload["parent"], "jti-parent");
    assert_eq!(exchanged.payload["limits"]["per_order"], 2_000);
}

/// Revocation is audited once and moves the trust stamp once; the revoked token stays in the
/// snapshot until a minute after it expires.
pub(crate) async fn revocation_is_idempotent_and_audited_once(ledger: &dyn Ledger) {
    let g = grant("jti-g", "alice", Limits::default());
    issue(ledger, &g).await;
    let initial = ledger.trust_stamp();

    assert_eq!(revoke(ledger, "jti-g").await, g, "returns the grant");
    let after = ledger.trust_stamp();
    assert_ne!(after, initial);
    let again = ledger
        .revoke_grant(
            "jti-g",
            "another reason",
            &operator(),
            now() + Duration::hours(1),
        )
        .await
        .expect("revoking again is fine");
    assert_eq!(again, g);
    assert_eq!(ledger.trust_stamp(), after, "nothing changed");
    let state = ledger
        .grant_state("jti-g", now())
        .await
        .expect("read")
        .expect("recorded");
    assert_eq!(state.revoked_at, Some(now()), "the first revocation's time");

    let err = ledger
        .revoke_grant("jti-none", "why not", &operator(), now())
        .await
        .expect_err("unknown");
    assert!(
        matches!(&err, LedgerError::GrantNotFound(jti) if jti == "jti-none"),
        "got {err:?}"
    );

    let log = verified_audit_log(ledger).await;
    let revoked: Vec<_> = log
        .iter()
        .filter(|e| e.record.action == "token.revoked")
        .collect();
    assert_eq!(revoked.len(), 1, "one entry");
    assert_eq!(revoked[0].record.subjects[0], "jti-g");
    assert_eq!(revoked[0].record.payload["reason"], "key leaked");
    assert_eq!(revoked[0].record.actor, operator().name);

    for (at, listed) in [
        (now(), true),
        (g.expires_at + Duration::seconds(59), true),
        (g.expires_at + Duration::seconds(60), false),
    ] {
        let snapshot = ledger.trust_snapshot(at).await.expect("snapshot");
        assert_eq!(snapshot.revoked.contains("jti-g"), listed, "at {at}");
    }
}

/// A revoked token places nothing, nor does any token exchanged from it.
pub(crate) async fn a_revoked_grant_places_no_order(ledger: &dyn Ledger) {
    seed(ledger, &[("VC-A", 10)]).await;
    let parent = grant("jti-parent", "alice", Limits::default());
    let kid = child("jti-child", &parent, Limits::default());
    issue(ledger, &parent).await;
    issue(ledger, &kid).await;
    revoke(ledger, "jti-parent").await;
    let q = quote("alice", &[("VC-A", 1)]);
    create(ledger, &q).await;

    for (g, key) in [(&parent, "key-1"), (&kid, "key-2")] {
        let err = refused(ledger, &order_under(&q, key, g), &["VC-A"]).await;
        assert!(
            matches!(&err, LedgerError::GrantRevoked(jti) if jti == "jti-parent"),
            "{}: got {err:?}",
            g.jti
        );
    }
    // Another token still orders the quote.
    ledger
        .place_order(&order_cmd(&q, "key-3"))
        .await
        .expect("an unrevoked token orders");
}

/// A suspended agent places nothing; reactivated, it orders again. An agent that was never
/// registered is not suspended.
pub(crate) async fn a_suspended_agent_places_no_order(ledger: &dyn Ledger) {
    seed(ledger, &[("VC-A", 10)]).await;
    register(ledger, "alice").await;
    set_status(ledger, "alice", AgentStatus::Suspended).await;
    let q = quote("alice", &[("VC-A", 1)]);
    create(ledger, &q).await;

    let err = refused(ledger, &order_cmd(&q, "key-1"), &["VC-A"]).await;
    assert!(
        matches!(&err, LedgerError::AgentSuspended(id) if *id == agent("alice")),
        "got {err:?}"
    );
    set_status(ledger, "alice", AgentStatus::Active).await;
    ledger
        .place_order(&order_cmd(&q, "key-1"))
        .await
        .expect("reactivated, alice orders");
}

/// A retry of an order placed before the revocation (and the suspension) still gets it.
pub(crate) async fn a_replay_survives_revocation(ledger: &dyn Ledger) {
    seed(ledger, &[("VC-A", 10)]).await;
    register(ledger, "alice").await;
    let g = grant("jti-g", "alice", eur_limits(1_000, None));
    let q = quote("alice", &[("VC-A", 1)]);
    create(ledger, &q).await;
    let cmd = order_under(&q, "key-1", &g);
    let first = ledger.place_order(&cmd).await.expect("placed");

    revoke(ledger, "jti-g").await;
    set_status(ledger, "alice", AgentStatus::Suspended).await;
    let replay = ledger.place_order(&cmd).await.expect("replayed");
    assert!(replay.replayed);
    assert_eq!(replay.order, first.order);

    let other = quote("alice", &[("VC-A", 1)]);
    create(ledger, &other).await;
    let err = refused(ledger, &order_under(&other, "key-2", &g), &["VC-A"]).await;
    assert!(
        matches!(
            err,
            LedgerError::GrantRevoked(_) | LedgerError::AgentSuspended(_)
        ),
        "got {err:?}"
    );
}

/// A token whose ancestor the ledger does not know places nothing, and is not recorded.
pub(crate) async fn an_unknown_ancestor_is_not_found(ledger: &dyn Ledger) {
    seed(ledger, &[("VC-A", 10)]).await;
    let orphan = child(
        "jti-orphan",
        &grant("jti-missing", "alice", Limits::default()),
        Limits::default(),
    );
    let q = quote("alice", &[("VC-A", 1)]);
    create(ledger, &q).await;
    let err = refused(ledger, &order_under(&q, "key-1", &orphan), &["VC-A"]).await;
    assert!(
        matches!(&err, LedgerError::GrantNotFound(jti) if jti == "jti-missing"),
        "got {err:?}"
    );
    assert!(
        ledger
            .grant_state("jti-orphan", now())
            .await
            .expect("read")
            .is_none(),
        "the refusal recorded nothing"
    );
}

// ---------------------------------------------------------------------------------------------
// 12. Limits

/// An order above the per-order limit is refused; one at the limit goes through.
pub(crate) async fn per_order_limit_is_enforced(ledger: &dyn Ledger) {
    seed(ledger, &[("VC-A", 10)]).await;
    let g = grant("jti-g", "alice", eur_limits(100_000, Some(2_000)));
    let over = quote_at("alice", "VC-A", eur(2_001));
    let at = quote_at("alice", "VC-A", eur(2_000));
    create(ledger, &over).await;
    create(ledger, &at).await;

    let err = refused(ledger, &order_under(&over, "key-1", &g), &["VC-A"]).await;
    assert!(
        matches!(err, LedgerError::PerOrderLimitExceeded { limit, total }
            if limit == eur(2_000) && total == eur(2_001)),
        "got {err:?}"
    );
    ledger
        .place_order(&order_under(&at, "key-2", &g))
        .await
        .expect("at the limit");
    assert_eq!(usage(ledger, "jti-g", now()).await, (2_000, 1));
}

/// An order priced in another currency than the limits is refused; a grant whose only limit is
/// a count accepts any currency.
pub(crate) async fn limit_currency_must_match_the_order(ledger: &dyn Ledger) {
    seed(ledger, &[("VC-A", 10)]).await;
    let usd = Currency::parse("USD").expect("USD");
    let q = quote_at("alice", "VC-A", Money::new(1_000, usd));
    create(ledger, &q).await;

    let in_euros = grant("jti-eur", "alice", eur_limits(100_000, None));
    let err = refused(ledger, &order_under(&q, "key-1", &in_euros), &["VC-A"]).await;
    assert!(
        matches!(&err, LedgerError::LimitCurrencyMismatch { limit, order }
            if limit == "EUR" && order == "USD"),
        "got {err:?}"
    );

    let counted = grant(
        "jti-count",
        "alice",
        Limits {
            max_orders_per_day: Some(1),
            ..Limits::default()
        },
    );
    ledger
        .place_order(&order_under(&q, "key-2", &counted))
        .await
        .expect("no amount to compare");
}

/// `max_orders_per_day` refuses the (n+1)th order within 24 hours, until the first ones are
/// 24 hours old.
pub(crate) async fn daily_order_limit_resets_after_24_hours(ledger: &dyn Ledger) {
    seed(ledger, &[("VC-A", 10)]).await;
    let g = grant(
        "jti-g",
        "alice",
        Limits {
            max_orders_per_day: Some(2),
            ..Limits::default()
        },
    );
    for key in ["key-1", "key-2"] {
        let q = quote("alice", &[("VC-A", 1)]);
        create(ledger, &q).await;
        ledger
            .place_order(&order_under(&q, key, &g))
            .await
            .expect("within the daily limit");
    }
    assert_eq!(usage(ledger, "jti-g", now()).await, (2_000, 2));

    let almost = now() + Duration::hours(24) - Duration::seconds(1);
    let next_day = now() + Duration::hours(24);
    let mut results = Vec::new();
    for (key, at) in [("key-3", now()), ("key-4", almost), ("key-5", next_day)] {
        let q = valid_at(quote("alice", &[("VC-A", 1)]), at);
        create(ledger, &q).await;
        let mut cmd = order_under(&q, key, &g);
        cmd.now = at;
        results.push(ledger.place_order(&cmd).await);
    }
    for (i, result) in results.iter().take(2).enumerate() {
        assert!(
            matches!(
                result,
                Err(LedgerError::DailyOrderLimitReached { limit: 2 })
            ),
            "order {} within 24 hours: got {result:?}",
            i + 3
        );
    }
    assert!(results[2].is_ok(), "24 hours later: {:?}", results[2]);
    assert_eq!(usage(ledger, "jti-g", next_day).await, (3_000, 1));
    assert_eq!(ledger.order_count().await.expect("count"), 3);
}

/// What a token spends counts against every token it was exchanged from: a sibling cannot
/// spend what its parent has left to nobody.
pub(crate) async fn a_child_spends_from_its_parents_budget(ledger: &dyn Ledger) {
    seed(ledger, &[("VC-A", 10)]).await;
    let parent = grant("jti-parent", "alice", eur_limits(6_000, None));
    let first = child("jti-child-1", &parent, eur_limits(5_000, None));
    let second = child("jti-child-2", &parent, eur_limits(5_000, None));
    for g in [&parent, &first, &second] {
        issue(ledger, g).await;
    }
    let order = |price: i64, key: &'static str, g: &GrantRecord| {
        let q = quote_at("alice", "VC-A", eur(price));
        let cmd = order_under(&q, key, g);
        async move {
            create(ledger, &q).await;
            cmd
        }
    };

    for key in ["key-1", "key-2"] {
        let cmd = order(2_500, key, &first).await;
        ledger.place_order(&cmd).await.expect("within both budgets");
    }
    let cmd = order(2_000, "key-3", &second).await;
    let err = refused(ledger, &cmd, &["VC-A"]).await;
    assert!(
        matches!(&err, LedgerError::BudgetExceeded { jti, limit, remaining, requested }
            if jti == "jti-parent" && *limit == eur(6_000) && *remaining == eur(1_000)
                && *requested == eur(2_000)),
        "got {err:?}"
    );
    let cmd = order(500, "key-4", &first).await;
    let err = refused(ledger, &cmd, &["VC-A"]).await;
    assert!(
        matches!(&err, LedgerError::BudgetExceeded { jti, remaining, .. }
            if jti == "jti-child-1" && *remaining == eur(0)),
        "the child's own budget is checked first: got {err:?}"
    );

    assert_eq!(usage(ledger, "jti-child-1", now()).await, (5_000, 2));
    assert_eq!(usage(ledger, "jti-parent", now()).await, (5_000, 2));
    assert_eq!(usage(ledger, "jti-child-2", now()).await, (0, 0));

    let cmd = order(1_000, "key-5", &second).await;
    ledger.place_order(&cmd).await.expect("what remains");
    assert_eq!(usage(ledger, "jti-parent", now()).await, (6_000, 3));
    assert_eq!(usage(ledger, "jti-child-2", now()).await, (1_000, 1));
}

/// A grant the ledger learns of through `ensure_grant` (a trusted issuer's token), or through
/// the order itself, is enforced like one it issued; ensuring writes no audit entry.
pub(crate) async fn an_external_grant_is_enforced_once_ensured(ledger: &dyn Ledger) {
    seed(ledger, &[("VC-A", 10)]).await;
    let external = grant("issuer.example:abc", "alice", eur_limits(5_000, None));
    ledger.ensure_grant(&external).await.expect("ensured");
    ledger.ensure_grant(&external).await.expect("ensured again");
    assert!(
        audit_log(ledger).await.is_empty(),
        "ensuring audits nothing"
    );
    assert_eq!(usage(ledger, "issuer.example:abc", now()).await, (0, 0));

    let mut results = Vec::new();
    for key in ["key-1", "key-2"] {
        let q = quote_at("alice", "VC-A", eur(3_000));
        create(ledger, &q).await;
        results.push(ledger.place_order(&order_under(&q, key, &external)).await);
    }
    assert!(results[0].is_ok(), "{:?}", results[0]);
    assert!(
        matches!(&results[1], Err(LedgerError::BudgetExceeded { remaining, .. })
            if *remaining == eur(2_000)),
        "got {:?}",
        results[1]
    );

    // Never ensured: the order records it, and its budget holds from then on.
    let carried = grant("issuer.example:def", "alice", eur_limits(3_000, None));
    let q = quote_at("alice", "VC-A", eur(3_000));
    create(ledger, &q).await;
    ledger
        .place_order(&order_under(&q, "key-3", &carried))
        .await
        .expect("recorded with the order");
    assert_eq!(usage(ledger, "issuer.example:def", now()).await, (3_000, 1));
    let q = quote_at("alice", "VC-A", eur(1));
    create(ledger, &q).await;
    let err = refused(ledger, &order_under(&q, "key-4", &carried), &["VC-A"]).await;
    assert!(
        matches!(err, LedgerError::BudgetExceeded { .. }),
        "got {err:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// 13. Budget races (run these on a multi-thread runtime)

/// The budget of the race: 100.00 EUR.
const BUDGET: u64 = 10_000;
/// The price of every quote of the race: 30.00 EUR.
const PRICE: i64 = 3_000;

/// `n` quotes of 30.00 EUR for alice, each with its order command under `g`.
async fn budget_race_orders(ledger: &dyn Ledger, n: usize, g: &GrantRecord) -> Vec<PlaceOrder> {
    let mut cmds = Vec::with_capacity(n);
    for i in 0..n {
        let q = quote_at("alice", "VC-HOT", eur(PRICE));
        create(ledger, &q).await;
        cmds.push(order_under(&q, &format!("key-{i}"), g));
    }
    cmds
}

/// Counts the orders of a budget race, checking that every refusal is the budget's with
/// exactly 10.00 EUR left.
fn budget_race_outcome(results: Vec<Result<Placed, LedgerError>>) -> usize {
    let mut placed = 0;
    for result in results {
        match result {
            Ok(p) => {
                assert!(!p.replayed);
                placed += 1;
            }
            Err(LedgerError::BudgetExceeded {
                jti,
                limit,
                remaining,
                requested,
            }) => {
                assert_eq!(jti, "jti-budget");
                assert_eq!(limit, eur(10_000));
                assert_eq!(remaining, eur(1_000));
                assert_eq!(requested, eur(PRICE));
            }
            Err(other) => panic!("unexpected error in the race: {other}"),
        }
    }
    placed
}

/// 50 orders of 30.00 EUR race on a 100.00 EUR budget: exactly 3 go through, 47 are refused
/// for the budget, 90.00 EUR is spent and exactly 10.00 EUR remains.
pub(crate) async fn concurrent_orders_never_overspend(ledger: Arc<dyn Ledger>) {
    const ORDERS: usize = 50;
    seed(ledger.as_ref(), &[("VC-HOT", 50)]).await;
    let g = grant("jti-budget", "alice", eur_limits(BUDGET, None));
    issue(ledger.as_ref(), &g).await;
    let cmds = budget_race_orders(ledger.as_ref(), ORDERS, &g).await;

    let start = Arc::new(Barrier::new(ORDERS));
    let handles = cmds
        .into_iter()
        .map(|cmd| {
            let (ledger, start) = (Arc::clone(&ledger), Arc::clone(&start));
            tokio::spawn(async move {
                start.wait().await;
                ledger.place_order(&cmd).await
            })
        })
        .collect();
    let placed = budget_race_outcome(join_all(handles).await);

    assert_eq!(placed, 3, "exactly what the budget allows");
    let (spent, orders) = usage(ledger.as_ref(), "jti-budget", now()).await;
    assert_eq!((spent, orders), (9_000, 3));
    assert_eq!(BUDGET - spent, 1_000, "exactly 10.00 EUR remains");
    assert_eq!(on_hand(ledger.as_ref(), "VC-HOT").await, 47);
    assert_eq!(ledger.order_count().await.expect("count"), 3);
    let log = verified_audit_log(ledger.as_ref()).await;
    assert_eq!(
        log.iter()
            .filter(|e| e.record.action == "order.placed")
            .count(),
        3
    );
    assert_eq!(log.len(), 1 + ORDERS + 3, "token, quotes, orders");
}

/// The same race through two handles on one store.
pub(crate) async fn two_handles_never_overspend(open: Opener<'_>) {
    const ORDERS: usize = 12;
    let a = open().await;
    let b = open().await;
    seed(a.as_ref(), &[("VC-HOT", 50)]).await;
    let g = grant("jti-budget", "alice", eur_limits(BUDGET, None));
    issue(b.as_ref(), &g).await;
    let cmds = budget_race_orders(a.as_ref(), ORDERS, &g).await;

    let start = Arc::new(Barrier::new(ORDERS));
    let handles = cmds
        .into_iter()
        .enumerate()
        .map(|(i, cmd)| {
            let ledger = Arc::clone(if i % 2 == 0 { &a } else { &b });
            let start = Arc::clone(&start);
            tokio::spawn(async move {
                start.wait().await;
                ledger.place_order(&cmd).await
            })
        })
        .collect();
    assert_eq!(budget_race_outcome(join_all(handles).await), 3);
    assert_eq!(usage(b.as_ref(), "jti-budget", now()).await, (9_000, 3));
    assert_eq!(actions(a.as_ref()).await.len(), 1 + ORDERS + 3);
}
