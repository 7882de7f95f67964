//! Orders after placement: holds for approval, the lifecycle, releases of stock and budget,
//! the vault, lists, events, stock levels.

use std::sync::Arc;

use b2a_ledger::{Actor, Ledger, LedgerError, OrderChange, RiskRules};
use b2a_model::{Limits, Order, OrderStatus, Principal, Transition};
use serde_json::json;
use time::Duration;

use crate::fixtures::{
    actions, agent, create, eur, eur_limits, grant, issue, now, on_hand, operator, order_cmd,
    order_under, quote, quote_at, seed, sku, usage, verified_audit_log,
};

fn change(order: &Order, transition: Transition) -> OrderChange {
    let by_agent = transition.by_agent();
    OrderChange {
        order_id: order.id.clone(),
        agent: by_agent.then(|| order.agent.clone()),
        transition,
        by: if by_agent {
            Actor {
                name: format!("agent:{}", order.agent),
                credential: "jti-order".into(),
            }
        } else {
            operator()
        },
        reason: Some(format!("{} for the test", transition.as_str())),
        return_window: Duration::days(30),
        now: now() + Duration::minutes(1),
    }
}

async fn placed(ledger: &dyn Ledger, to: &str, code: &str, qty: u32, key: &str) -> Order {
    let q = quote(to, &[(code, qty)]);
    create(ledger, &q).await;
    ledger
        .place_order(&order_cmd(&q, key))
        .await
        .expect("placed")
        .order
}

/// An order above a grant's `approval_above` waits for a person, with the reason; approving it
/// confirms it; rejecting another releases its stock and budget. Each step is an event and an
/// audit entry naming the operator.
pub(crate) async fn approval_holds_then_approve_or_reject(ledger: &dyn Ledger) {
    seed(ledger, &[("VC-A", 10)]).await;
    let g = grant(
        "jti-approval",
        "alice",
        Limits {
            approval_above: Some(1_500),
            ..eur_limits(10_000, None)
        },
    );
    issue(ledger, &g).await;
    let small = quote_at("alice", "VC-A", eur(1_000));
    create(ledger, &small).await;
    let small = ledger
        .place_order(&order_under(&small, "k-small", &g))
        .await
        .expect("small")
        .order;
    assert_eq!(small.status, OrderStatus::Confirmed);

    let mut held = Vec::new();
    for key in ["k-big-1", "k-big-2"] {
        let q = quote_at("alice", "VC-A", eur(2_000));
        create(ledger, &q).await;
        let o = ledger
            .place_order(&order_under(&q, key, &g))
            .await
            .expect("held")
            .order;
        assert_eq!(o.status, OrderStatus::PendingApproval);
        assert!(
            o.status_reason
                .as_deref()
                .is_some_and(|r| r.contains("approval")),
            "{o:?}"
        );
        held.push(o);
    }
    assert_eq!(
        on_hand(ledger, "VC-A").await,
        7,
        "held orders reserve their stock"
    );
    assert_eq!(
        usage(ledger, "jti-approval", now()).await.0,
        5_000,
        "and their budget"
    );
    let pending = ledger.pending_approvals(None, 10).await.expect("pending");
    assert_eq!(
        pending.iter().map(|o| &o.id).collect::<Vec<_>>(),
        vec![&held[0].id, &held[1].id]
    );

    let approved = ledger
        .transition_order(&change(&held[0], Transition::Approve))
        .await
        .expect("approved");
    assert_eq!(approved.status, OrderStatus::Confirmed);
    let rejected = ledger
        .transition_order(&change(&held[1], Transition::Reject))
        .await
        .expect("rejected");
    assert_eq!(rejected.status, OrderStatus::Rejected);
    assert_eq!(
        on_hand(ledger, "VC-A").await,
        8,
        "the rejected order's unit is back"
    );
    assert_eq!(
        usage(ledger, "jti-approval", now()).await.0,
        3_000,
        "and its spend"
    );
    assert!(
        ledger
            .pending_approvals(None, 10)
            .await
            .expect("pending")
            .is_empty()
    );

    let err = ledger
        .transition_order(&change(&held[1], Transition::Approve))
        .await
        .expect_err("a rejected order stays rejected");
    assert!(
        matches!(
            err,
            LedgerError::InvalidTransition {
                from: OrderStatus::Rejected,
                ..
            }
        ),
        "{err:?}"
    );

    let events = ledger
        .order_events(&held[0].id, None)
        .await
        .expect("read")
        .expect("found");
    let steps: Vec<_> = events
        .iter()
        .map(|e| (e.seq, e.status, e.actor.as_str()))
        .collect();
    assert_eq!(
        steps,
        vec![
            (1, OrderStatus::PendingApproval, "agent:alice"),
            (2, OrderStatus::Confirmed, "operator:ops"),
        ]
    );
    assert_eq!(events[1].reason.as_deref(), Some("approve for the test"));
    let log = actions(ledger).await;
    assert!(log.contains(&"order.approve".to_owned()) && log.contains(&"order.reject".to_owned()));
    verified_audit_log(ledger).await;
}

/// The agent cancels its own order before shipment (stock and budget back), never after, never
/// another agent's; delivery opens the return window, a refund restocks and credits the budget.
pub(crate) async fn the_lifecycle_releases_what_it_should(ledger: &dyn Ledger) {
    seed(ledger, &[("VC-A", 10)]).await;
    let g = grant("jti-life", "alice", eur_limits(100_000, None));
    issue(ledger, &g).await;
    let order = |key: &'static str| {
        let q = quote("alice", &[("VC-A", 2)]);
        let cmd = order_under(&q, key, &g);
        async move {
            create(ledger, &q).await;
            ledger.place_order(&cmd).await.expect("placed").order
        }
    };
    let first = order("k1").await;
    let second = order("k2").await;
    assert_eq!(on_hand(ledger, "VC-A").await, 6);

    let mut stolen = change(&first, Transition::Cancel);
    stolen.agent = Some(agent("bob"));
    assert!(matches!(
        ledger.transition_order(&stolen).await,
        Err(LedgerError::OrderNotFound(_))
    ));
    let cancelled = ledger
        .transition_order(&change(&first, Transition::Cancel))
        .await
        .expect("cancelled");
    assert_eq!(cancelled.status, OrderStatus::Cancelled);
    assert_eq!(on_hand(ledger, "VC-A").await, 8);
    assert_eq!(
        usage(ledger, "jti-life", now()).await.0,
        second.total.amount().unsigned_abs()
    );

    ledger
        .transition_order(&change(&second, Transition::Ship))
        .await
        .expect("shipped");
    let err = ledger
        .transition_order(&change(&second, Transition::Cancel))
        .await
        .expect_err("no cancel after shipment");
    assert!(matches!(
        err,
        LedgerError::InvalidTransition {
            from: OrderStatus::Shipped,
            ..
        }
    ));
    let err = ledger
        .transition_order(&change(&second, Transition::RequestReturn))
        .await
        .expect_err("no return before delivery");
    assert!(matches!(err, LedgerError::InvalidTransition { .. }));
    ledger
        .transition_order(&change(&second, Transition::Deliver))
        .await
        .expect("delivered");

    let mut late = change(&second, Transition::RequestReturn);
    late.now = now() + Duration::days(31);
    assert!(matches!(
        ledger.transition_order(&late).await,
        Err(LedgerError::ReturnWindowClosed { days: 30, .. })
    ));
    let returned = ledger
        .transition_order(&change(&second, Transition::RequestReturn))
        .await
        .expect("return");
    assert_eq!(returned.status, OrderStatus::ReturnRequested);
    assert_eq!(
        on_hand(ledger, "VC-A").await,
        8,
        "nothing moves until the refund"
    );
    let refunded = ledger
        .transition_order(&change(&second, Transition::Refund))
        .await
        .expect("refund");
    assert_eq!(refunded.status, OrderStatus::Refunded);
    assert_eq!(
        on_hand(ledger, "VC-A").await,
        10,
        "the returned units are back"
    );
    assert_eq!(
        usage(ledger, "jti-life", now()).await.0,
        0,
        "the budget is credited"
    );

    let read = ledger
        .order(&second.id, &agent("alice"))
        .await
        .expect("read")
        .expect("found");
    assert_eq!(read, refunded, "the stored order is the returned one");
    let events = ledger
        .order_events(&second.id, Some(&agent("alice")))
        .await
        .expect("read")
        .expect("own");
    assert_eq!(
        events.len(),
        5,
        "placed, shipped, delivered, return requested, refunded"
    );
    assert!(
        ledger
            .order_events(&second.id, Some(&agent("bob")))
            .await
            .expect("read")
            .is_none()
    );
    verified_audit_log(ledger).await;
}

/// Velocity and unusual quantities hold orders for review.
pub(crate) async fn risk_rules_hold_orders(ledger: &dyn Ledger) {
    seed(ledger, &[("VC-A", 100)]).await;
    let risky = |q: &b2a_model::Quote, key: &str| {
        let mut cmd = order_cmd(q, key);
        cmd.risk = RiskRules {
            max_orders_per_agent_per_hour: Some(2),
            max_line_quantity: Some(10),
        };
        cmd
    };
    let mut statuses = Vec::new();
    for key in ["a", "b", "c"] {
        let q = quote("alice", &[("VC-A", 1)]);
        create(ledger, &q).await;
        statuses.push(
            ledger
                .place_order(&risky(&q, key))
                .await
                .expect("placed")
                .order,
        );
    }
    assert_eq!(
        statuses.iter().map(|o| o.status).collect::<Vec<_>>(),
        vec![
            OrderStatus::Confirmed,
            OrderStatus::Confirmed,
            OrderStatus::PendingApproval
        ]
    );
    assert!(
        statuses[2]
            .status_reason
            .as_deref()
            .is_some_and(|r| r.starts_with("velocity"))
    );
    let q = quote("bob", &[("VC-A", 11)]);
    create(ledger, &q).await;
    let big = ledger
        .place_order(&risky(&q, "big"))
        .await
        .expect("placed")
        .order;
    assert_eq!(big.status, OrderStatus::PendingApproval);
    assert!(
        big.status_reason
            .as_deref()
            .is_some_and(|r| r.starts_with("unusual quantity"))
    );
}

/// Fulfilment details go to the vault; the order and the audit log only reference them.
pub(crate) async fn fulfilment_details_live_in_the_vault(ledger: &dyn Ledger) {
    seed(ledger, &[("VC-A", 5)]).await;
    let q = quote("alice", &[("VC-A", 1)]);
    create(ledger, &q).await;
    let mut cmd = order_cmd(&q, "k");
    let details = json!({"name": "Camille Martin", "address": "12 rue des Alpes", "city": "Grenoble", "postal_code": "38000", "country": "FR", "email": "camille@example.org"});
    cmd.fulfilment = Some(details.clone());
    let order = ledger.place_order(&cmd).await.expect("placed").order;
    let reference = order.fulfilment_ref.clone().expect("a vault reference");
    assert!(reference.starts_with("v_"));
    assert_eq!(
        ledger.fulfilment(&order.id).await.expect("read"),
        Some(details)
    );
    let log = serde_json::to_string(&verified_audit_log(ledger).await).expect("json");
    assert!(
        !log.contains("Camille") && !log.contains("rue des Alpes"),
        "no personal data in the log"
    );
    assert!(log.contains(&reference));
}

/// A vault key is stored once per owner; erasing a principal destroys its key and its vault rows
/// (and no one else's), is logged, and leaves its orders and a verifying log.
pub(crate) async fn erasing_a_principal_shreds_its_vault_rows(ledger: &dyn Ledger) {
    let first = ledger.vault_key("pp-1", &[1; 64]).await.expect("stored");
    assert_eq!(first, vec![1; 64]);
    let again = ledger.vault_key("pp-1", &[2; 64]).await.expect("read");
    assert_eq!(again, first, "one key per owner, whoever asks first");
    ledger.vault_key("pp-2", &[3; 64]).await.expect("stored");

    seed(ledger, &[("VC-A", 5)]).await;
    let mut orders = Vec::new();
    for (who, key) in [("pp-1", "k1"), ("pp-1", "k2"), ("pp-2", "k3")] {
        let mut q = quote("alice", &[("VC-A", 1)]);
        q.principal = Some(Principal::parse(who).expect("pseudonym"));
        create(ledger, &q).await;
        let mut cmd = order_cmd(&q, key);
        cmd.fulfilment = Some(json!(format!("sealed for {who}")));
        orders.push(ledger.place_order(&cmd).await.expect("placed").order);
    }
    let by = operator();
    let erased = ledger
        .erase_principal(&Principal::parse("pp-1").expect("pseudonym"), &by, now())
        .await
        .expect("erased");
    assert_eq!(erased.vault_records, 2);
    assert!(erased.key_destroyed);
    assert_eq!(ledger.stored_vault_key("pp-1").await.expect("read"), None);
    assert_eq!(
        ledger.stored_vault_key("pp-2").await.expect("read"),
        Some(vec![3; 64])
    );
    for order in &orders[..2] {
        assert_eq!(ledger.fulfilment(&order.id).await.expect("read"), None);
        assert!(
            ledger.order_any(&order.id).await.expect("read").is_some(),
            "the order stays"
        );
    }
    assert_eq!(
        ledger.fulfilment(&orders[2].id).await.expect("read"),
        Some(json!("sealed for pp-2"))
    );
    let log = verified_audit_log(ledger).await;
    let entry = log.last().expect("an entry");
    assert_eq!(entry.record.action, "privacy.erased");
    assert_eq!(entry.record.principal.as_deref(), Some("pp-1"));
    assert_eq!(entry.record.payload["vault_records"], 2);

    // Erasing again finds nothing more, and says so.
    let again = ledger
        .erase_principal(&Principal::parse("pp-1").expect("pseudonym"), &by, now())
        .await
        .expect("erased");
    assert_eq!((again.vault_records, again.key_destroyed), (0, false));
}

/// Retention: the vault rows of orders closed before the cutoff go, each logged; open orders,
/// orders closed since and orders without details keep theirs.
pub(crate) async fn retention_purges_closed_orders_personal_data(ledger: &dyn Ledger) {
    seed(ledger, &[("VC-A", 10)]).await;
    let mut orders = Vec::new();
    for (key, details) in [("k1", true), ("k2", true), ("k3", true), ("k4", false)] {
        let q = quote("alice", &[("VC-A", 1)]);
        create(ledger, &q).await;
        let mut cmd = order_cmd(&q, key);
        cmd.fulfilment = details.then(|| json!(format!("sealed {key}")));
        orders.push(ledger.place_order(&cmd).await.expect("placed").order);
    }
    for (order, steps) in [
        (&orders[0], &[Transition::Cancel][..]),
        (&orders[1], &[Transition::Ship, Transition::Deliver][..]),
        (&orders[3], &[Transition::Cancel][..]),
    ] {
        for step in steps {
            ledger
                .transition_order(&change(order, *step))
                .await
                .expect("moved");
        }
    }
    let by = operator();
    let none = ledger
        .purge_personal_data(now() - Duration::hours(1), &by, now())
        .await
        .expect("purged");
    assert!(none.is_empty(), "nothing closed that long ago");

    let purged = ledger
        .purge_personal_data(now() + Duration::days(1), &by, now() + Duration::days(1))
        .await
        .expect("purged");
    let mut expected = vec![orders[0].id.clone(), orders[1].id.clone()];
    expected.sort_by(|a, b| a.as_str().cmp(b.as_str()));
    assert_eq!(purged, expected, "the cancelled and the delivered order");
    for order in &orders[..2] {
        assert_eq!(ledger.fulfilment(&order.id).await.expect("read"), None);
    }
    assert_eq!(
        ledger.fulfilment(&orders[2].id).await.expect("read"),
        Some(json!("sealed k3")),
        "an open order keeps its details"
    );
    let log = verified_audit_log(ledger).await;
    let purges: Vec<&str> = log
        .iter()
        .filter(|e| e.record.action == "privacy.purged")
        .map(|e| e.record.subjects[0].as_str())
        .collect();
    assert_eq!(
        purges,
        expected.iter().map(|o| o.as_str()).collect::<Vec<_>>()
    );
    assert!(
        ledger
            .purge_personal_data(now() + Duration::days(2), &by, now() + Duration::days(2))
            .await
            .expect("purged")
            .is_empty(),
        "purged once"
    );
}

/// An agent lists its own orders only, newest first, a page at a time.
pub(crate) async fn orders_list_newest_first_per_agent(ledger: &dyn Ledger) {
    seed(ledger, &[("VC-A", 20)]).await;
    let mut mine = Vec::new();
    for i in 0..5 {
        mine.push(
            placed(ledger, "alice", "VC-A", 1, &format!("a{i}"))
                .await
                .id,
        );
    }
    placed(ledger, "bob", "VC-A", 1, "b").await;
    mine.reverse();
    let page1 = ledger
        .orders(&agent("alice"), None, 3)
        .await
        .expect("page 1");
    let page2 = ledger
        .orders(&agent("alice"), Some(&page1[2].id), 3)
        .await
        .expect("page 2");
    let ids: Vec<_> = page1.iter().chain(&page2).map(|o| o.id.clone()).collect();
    assert_eq!(ids, mine);
    assert!(ledger.order_any(&mine[0]).await.expect("read").is_some());
}

/// Operators set stock levels, new SKUs included; each change is audited once.
pub(crate) async fn stock_levels_are_set_and_audited(ledger: &dyn Ledger) {
    seed(ledger, &[("VC-A", 5)]).await;
    let changed = ledger
        .set_stock(
            &[(sku("VC-A"), 9), (sku("VC-NEW"), 3), (sku("VC-A"), 9)],
            &operator(),
            now(),
        )
        .await
        .expect("set");
    assert_eq!(changed, 2, "VC-A once, VC-NEW once");
    assert_eq!(on_hand(ledger, "VC-A").await, 9);
    assert_eq!(on_hand(ledger, "VC-NEW").await, 3);
    let sets: Vec<_> = verified_audit_log(ledger)
        .await
        .into_iter()
        .filter(|e| e.record.action == "stock.set")
        .collect();
    assert_eq!(sets.len(), 2);
    assert_eq!(sets[0].record.payload, json!({"from": 5, "to": 9}));
    assert_eq!(sets[1].record.payload, json!({"from": null, "to": 3}));
}

/// A cancel racing a shipment: exactly one wins, and the stock adds up.
pub(crate) async fn cancel_and_ship_race_one_wins(ledger: Arc<dyn Ledger>) {
    seed(ledger.as_ref(), &[("VC-A", 40)]).await;
    let mut handles = Vec::new();
    for i in 0..10 {
        let order = placed(ledger.as_ref(), "alice", "VC-A", 2, &format!("k{i}")).await;
        for t in [Transition::Cancel, Transition::Ship] {
            let ledger = Arc::clone(&ledger);
            let c = change(&order, t);
            handles.push(tokio::spawn(async move {
                (t, ledger.transition_order(&c).await)
            }));
        }
    }
    let mut cancelled = 0;
    let mut wins = 0;
    for h in handles {
        let (t, result) = h.await.expect("task");
        match result {
            Ok(_) => {
                wins += 1;
                if t == Transition::Cancel {
                    cancelled += 1;
                }
            }
            Err(LedgerError::InvalidTransition { .. }) => {}
            Err(e) => panic!("unexpected {e:?}"),
        }
    }
    assert_eq!(wins, 10, "one transition per order");
    assert_eq!(
        on_hand(ledger.as_ref(), "VC-A").await,
        40 - 20 + 2 * cancelled
    );
}
