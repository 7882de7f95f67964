//! The ledger conformance suite: what every backend must do, written once.
//!
//! Every function takes a fresh, empty ledger (or an opener of ledgers on one fresh, empty
//! store) and panics when the backend breaks a promise. Backend modules (`sqlite.rs` now; the
//! PostgreSQL backend will run these same functions) wrap each in a `#[tokio::test]`.

use std::collections::HashSet;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use b2a_audit::AuditEntry;
use b2a_ledger::{Ledger, LedgerError, PlaceOrder, Placed};
use b2a_model::{OrderId, OrderStatus, QuoteId};
use time::Duration;
use tokio::sync::Barrier;
use tokio::task::JoinHandle;

use crate::fixtures::{
    ORDER_JTI, QUOTE_JTI, Snapshot, agent, audit_log, create, expires, on_hand, order_cmd, quote,
    record, refused, seed, sku, verified_audit_log,
};

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
    assert_eq!(created.subject, q.id.as_str());
    assert_eq!(created.actor, "agent:alice");
    assert_eq!(created.credential, QUOTE_JTI);
    assert_eq!(placed.subject, order.id.as_str());
    assert_eq!(placed.actor, "agent:alice");
    assert_eq!(placed.credential, ORDER_JTI);
    assert_eq!(placed.details["quote_id"], q.id.as_str());
    assert_eq!(placed.details["status"], "confirmed");
    assert_eq!(placed.details["agent_initiated"], true);
}

/// Entries appended on their own are stored as returned and read back in pages.
pub(crate) async fn audit_entries_append_and_page(ledger: &dyn Ledger) {
    let mut appended: Vec<AuditEntry> = Vec::new();
    for i in 0..5 {
        let entry = ledger
            .append_audit(record("operator:ops", &format!("subject-{i}")))
            .await
            .expect("appended");
        appended.push(entry);
    }
    let seqs: Vec<u64> = appended.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, [1, 2, 3, 4, 5]);
    assert_eq!(verified_audit_log(ledger).await, appended);

    let page = ledger.audit_entries(1, 2).await.expect("page");
    assert_eq!(page, appended[1..3], "entries after seq 1, at most 2");
    assert!(
        ledger.audit_entries(5, 10).await.expect("page").is_empty(),
        "nothing after the tip"
    );
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

/// 40 agents race for 5 units: exactly 5 orders, 35 shortfalls, stock 0, never below.
pub(crate) async fn concurrent_orders_never_oversell(ledger: Arc<dyn Ledger>) {
    const UNITS: u32 = 5;
    const AGENTS: usize = 40;
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
        .map(|e| OrderId::parse(e.record.subject.clone()).expect("order id subject"))
        .collect();
    assert_eq!(placed, orders, "one order.placed entry per order");
    assert_eq!(log.len(), AGENTS + UNITS as usize);
}

/// 20 concurrent retries of one request make one order; 19 of them are replays.
pub(crate) async fn concurrent_retries_place_one_order(ledger: Arc<dyn Ledger>) {
    const RETRIES: usize = 20;
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
    let results: Vec<Placed> = join_all(handles)
        .await
        .into_iter()
        .map(|r| r.expect("every retry succeeds"))
        .collect();

    let ids: HashSet<&OrderId> = results.iter().map(|p| &p.order.id).collect();
    assert_eq!(ids.len(), 1, "one order among all results: {ids:?}");
    let replays = results.iter().filter(|p| p.replayed).count();
    assert_eq!(replays, RETRIES - 1);
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
    assert_eq!(next.seq, 3);
    assert_eq!(next.prev_hash, log[1].hash);
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
    assert_eq!(seqs, (1..=2 * EACH as u64).collect::<Vec<_>>());

    let log = verified_audit_log(a.as_ref()).await;
    assert_eq!(log.len(), 2 * EACH);
    assert_eq!(
        log.iter().map(|e| e.seq).collect::<Vec<_>>(),
        (1..=2 * EACH as u64).collect::<Vec<_>>()
    );
    for entry in &returned {
        assert_eq!(
            &log[usize::try_from(entry.seq - 1).expect("small seq")],
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
