//! Offers: quote versions, acceptance, the private bounds, pricing signals and policy versions.

use std::sync::Arc;

use b2a_ledger::{Acceptance, Ledger, LedgerError, Revision};
use b2a_model::{Answer, Principal, Quote, QuoteStatus};
use serde_json::json;
use time::Duration;
use tokio::sync::Barrier;

use crate::fixtures::{
    CREATED, actions, agent, create, eur, expires, now, open_quote, operator, order_cmd, quote,
    refused, seed, sku,
};

/// A revision of `q` answering a target of `target` cents with a new version at `total` cents.
fn countered(q: &Quote, target: i64, total: i64) -> Revision {
    let mut new = q.clone();
    new.round = q.round + 1;
    new.lines[0].unit_price = eur(total);
    new.lines[0].line_total = eur(total);
    new.subtotal = eur(total);
    new.total = eur(total);
    new.negotiation.answer = Some(Answer::Countered);
    Revision {
        quote_id: q.id.clone(),
        agent: q.agent.clone(),
        credential: "jti-counter".into(),
        from_round: q.round,
        target: eur(target),
        answer: Answer::Countered,
        reason: "part of the way".into(),
        new_version: Some(new),
        now: now(),
    }
}

fn accepting(q: &Quote) -> Acceptance {
    Acceptance {
        accepted: Quote {
            status: QuoteStatus::Accepted,
            ..q.clone()
        },
        credential: "jti-accept".into(),
        now: now(),
    }
}

/// An open quote is not ordered; once accepted it is. Acceptance is audited once and accepting
/// again returns the same version.
pub(crate) async fn only_an_accepted_quote_is_ordered(ledger: &dyn Ledger) {
    seed(ledger, &[("VC-A", 5)]).await;
    let q = open_quote("alice", &[("VC-A", 1)]);
    create(ledger, &q).await;
    let err = refused(ledger, &order_cmd(&q, "k1"), &["VC-A"]).await;
    assert!(
        matches!(err, LedgerError::QuoteNotAccepted(ref id) if *id == q.id),
        "{err:?}"
    );

    let accepted = ledger.accept_quote(&accepting(&q)).await.expect("accepted");
    assert_eq!(accepted.status, QuoteStatus::Accepted);
    let again = ledger
        .accept_quote(&accepting(&q))
        .await
        .expect("accepting again");
    assert_eq!(again, accepted);
    assert_eq!(
        actions(ledger)
            .await
            .iter()
            .filter(|a| *a == "quote.accepted")
            .count(),
        1,
        "one acceptance, one entry"
    );
    ledger
        .place_order(&order_cmd(&q, "k1"))
        .await
        .expect("ordered");
    assert_eq!(
        ledger.quote(&q.id, &agent("alice")).await.expect("read"),
        Some(accepted)
    );

    let err = ledger
        .revise_quote(&countered(&q, 500, 900))
        .await
        .expect_err("an ordered quote is not countered");
    assert!(
        matches!(err, LedgerError::QuoteAlreadyOrdered { .. }),
        "{err:?}"
    );
}

/// A counter-offer's new version replaces the current one, the replaced one joins the history,
/// the private bounds stay, and the answer is audited; a revision computed from an older round
/// writes nothing.
pub(crate) async fn revisions_keep_history_and_refuse_stale_rounds(ledger: &dyn Ledger) {
    let q = open_quote("alice", &[("VC-A", 1)]);
    create(ledger, &q).await;
    let first = ledger
        .revise_quote(&countered(&q, 800, 950))
        .await
        .expect("round 1");
    assert_eq!(first.round, 1);
    assert_eq!(first.total, eur(950));

    let before = actions(ledger).await;
    let err = ledger
        .revise_quote(&countered(&q, 700, 900))
        .await
        .expect_err("computed from round 0, but the quote is at round 1");
    assert!(
        matches!(err, LedgerError::QuoteChanged { round: 1, .. }),
        "{err:?}"
    );
    assert_eq!(
        actions(ledger).await,
        before,
        "a stale revision writes nothing"
    );

    // A rejection records the answer and keeps the version.
    let mut rejected = countered(&first, 100, 0);
    rejected.new_version = None;
    rejected.answer = Answer::Rejected;
    let kept = ledger.revise_quote(&rejected).await.expect("rejected");
    assert_eq!(kept, first);

    let record = ledger
        .quote_record(&q.id, &agent("alice"))
        .await
        .expect("read")
        .expect("found");
    assert_eq!(record.current, first);
    assert_eq!(record.history, vec![q.clone()]);
    assert_eq!(record.bounds, json!({"fixture": true}));
    assert_eq!(record.order, None);
    assert!(
        ledger
            .quote_record(&q.id, &agent("bob"))
            .await
            .expect("read")
            .is_none(),
        "another agent sees nothing"
    );
    let log = actions(ledger).await;
    assert_eq!(log.iter().filter(|a| *a == "quote.countered").count(), 2);

    // Accepted: no more counters.
    ledger
        .accept_quote(&accepting(&first))
        .await
        .expect("accepted");
    let err = ledger
        .revise_quote(&countered(&first, 800, 900))
        .await
        .expect_err("accepted quotes are bound");
    assert!(matches!(err, LedgerError::QuoteAccepted(_)), "{err:?}");
}

/// An expired quote is neither countered nor accepted.
pub(crate) async fn expired_quotes_are_not_negotiated(ledger: &dyn Ledger) {
    let q = open_quote("alice", &[("VC-A", 1)]);
    create(ledger, &q).await;
    let mut late = countered(&q, 800, 900);
    late.now = expires();
    assert!(matches!(
        ledger.revise_quote(&late).await,
        Err(LedgerError::QuoteExpired(_))
    ));
    let mut acc = accepting(&q);
    acc.now = expires() + Duration::seconds(1);
    assert!(matches!(
        ledger.accept_quote(&acc).await,
        Err(LedgerError::QuoteExpired(_))
    ));
}

/// Demand counts the units of first quotes and of orders inside the window; recent prices are the
/// range of base prices quoted inside theirs; stock and cost come along.
pub(crate) async fn pricing_signals_count_demand_and_recent_prices(ledger: &dyn Ledger) {
    seed(ledger, &[("VC-A", 40)]).await;
    let q1 = crate::fixtures::quote_at("alice", "VC-A", eur(1_000));
    create(ledger, &q1).await;
    let mut q2 = crate::fixtures::quote_at("bob", "VC-A", eur(1_100));
    q2.lines[0].quantity = b2a_model::Quantity::new(3).expect("3");
    create(ledger, &q2).await;
    ledger
        .place_order(&order_cmd(&q1, "k"))
        .await
        .expect("ordered");

    let since = CREATED - Duration::hours(1);
    let signals = ledger
        .pricing_signals(&[sku("VC-A"), sku("VC-NONE")], since, since)
        .await
        .expect("signals");
    assert_eq!(signals[0].stock, Some(39));
    assert_eq!(signals[0].demand, 1 + 3 + 1, "two quotes and one order");
    assert_eq!(signals[0].recent_prices, Some((eur(1_000), eur(1_100))));
    assert_eq!(signals[1].stock, None);
    assert_eq!(signals[1].demand, 0);
    assert_eq!(signals[1].recent_prices, None);

    let later = now() + Duration::hours(1);
    let old = ledger
        .pricing_signals(&[sku("VC-A")], later, later)
        .await
        .expect("signals");
    assert_eq!(old[0].demand, 0, "nothing inside the window");
    assert_eq!(old[0].recent_prices, None);
}

/// Orders count toward a principal's loyalty only for that principal and inside the window.
pub(crate) async fn principal_orders_are_counted_per_principal(ledger: &dyn Ledger) {
    seed(ledger, &[("VC-A", 10)]).await;
    let p = Principal::parse("p-42").expect("principal");
    for key in ["k1", "k2"] {
        let mut q = quote("alice", &[("VC-A", 1)]);
        q.principal = Some(p.clone());
        create(ledger, &q).await;
        ledger
            .place_order(&order_cmd(&q, key))
            .await
            .expect("ordered");
    }
    let q = quote("alice", &[("VC-A", 1)]);
    create(ledger, &q).await;
    ledger
        .place_order(&order_cmd(&q, "k3"))
        .await
        .expect("ordered");
    let since = CREATED - Duration::days(1);
    assert_eq!(ledger.principal_orders(&p, since).await.expect("count"), 2);
    let other = Principal::parse("p-7").expect("principal");
    assert_eq!(
        ledger.principal_orders(&other, since).await.expect("count"),
        0
    );
    assert_eq!(
        ledger
            .principal_orders(&p, now() + Duration::hours(1))
            .await
            .expect("count"),
        0
    );
}

/// Policy versions count up from 1; the newest is in force; each load is audited whole.
pub(crate) async fn policy_versions_are_numbered_and_audited(ledger: &dyn Ledger) {
    assert_eq!(ledger.policy().await.expect("read"), None);
    let v1 = ledger
        .store_policy(&json!({"currency": "EUR", "n": 1}), &operator(), now())
        .await
        .expect("v1");
    let v2 = ledger
        .store_policy(&json!({"currency": "EUR", "n": 2}), &operator(), now())
        .await
        .expect("v2");
    assert_eq!((v1.version, v2.version), (1, 2));
    let current = ledger.policy().await.expect("read").expect("some");
    assert_eq!(current.version, 2);
    assert_eq!(current.body, json!({"currency": "EUR", "n": 2}));
    assert_eq!(current.loaded_by, "operator:ops");
    let log = crate::fixtures::audit_log(ledger).await;
    let changes: Vec<_> = log
        .iter()
        .filter(|e| e.record.action == "pricing_policy.changed")
        .collect();
    assert_eq!(changes.len(), 2);
    assert_eq!(changes[1].record.subjects[0], "pricing-policy/v2");
    assert_eq!(changes[1].record.payload["policy"]["n"], 2);
    assert_eq!(changes[1].record.credential, "jti-ops");
}

/// Quote writes racing, as agents make them at once (each kind goes through the ledger's group
/// commit): 40 new quotes on shared SKUs are all stored, audited, and counted as demand with
/// their price range; 20 counters computed from one round of one quote make one new version and
/// 19 `quote_conflict`s; an acceptance racing a counter on another quote, exactly one of them.
pub(crate) async fn racing_quote_writes_commit_each_once(ledger: Arc<dyn Ledger>) {
    const QUOTES: usize = 40;
    const COUNTERS: usize = 20;
    let start = Arc::new(Barrier::new(QUOTES));
    let handles: Vec<_> = (0..QUOTES)
        .map(|i| {
            let (ledger, start) = (Arc::clone(&ledger), Arc::clone(&start));
            tokio::spawn(async move {
                let price = eur(1_000 + 10 * i64::try_from(i).expect("small"));
                let mut q = crate::fixtures::quote_at(&format!("agent-{i:02}"), "VC-A", price);
                q.status = QuoteStatus::Open;
                if i % 2 == 1 {
                    q.lines
                        .push(open_quote("x", &[("VC-B", 2)]).lines.remove(0));
                }
                start.wait().await;
                create(ledger.as_ref(), &q).await;
                q
            })
        })
        .collect();
    let mut made = Vec::new();
    for h in handles {
        made.push(h.await.expect("task did not panic"));
    }
    for q in &made {
        assert_eq!(
            ledger.quote(&q.id, &q.agent).await.expect("read").as_ref(),
            Some(q),
            "every new quote is stored as made"
        );
    }
    let since = CREATED - Duration::hours(1);
    let signals = ledger
        .pricing_signals(&[sku("VC-A"), sku("VC-B")], since, since)
        .await
        .expect("signals");
    assert_eq!(
        signals[0].demand as usize, QUOTES,
        "one unit of VC-A per quote"
    );
    assert_eq!(
        signals[1].demand as usize, QUOTES,
        "two units of VC-B every other quote"
    );
    let highest = eur(1_000 + 10 * i64::try_from(QUOTES - 1).expect("small"));
    assert_eq!(signals[0].recent_prices, Some((eur(1_000), highest)));

    let contested = made[0].clone();
    let start = Arc::new(Barrier::new(COUNTERS));
    let handles: Vec<_> = (0..COUNTERS)
        .map(|i| {
            let (ledger, start) = (Arc::clone(&ledger), Arc::clone(&start));
            let rev = countered(&contested, 900, 950 - i64::try_from(i).expect("small"));
            tokio::spawn(async move {
                start.wait().await;
                ledger.revise_quote(&rev).await
            })
        })
        .collect();
    let (mut won, mut conflicts) = (Vec::new(), 0);
    for h in handles {
        match h.await.expect("task did not panic") {
            Ok(q) => won.push(q),
            Err(LedgerError::QuoteChanged { round: 1, .. }) => conflicts += 1,
            Err(other) => panic!("unexpected error in the race: {other}"),
        }
    }
    assert_eq!(won.len(), 1, "one counter per round");
    assert_eq!(conflicts, COUNTERS - 1);
    let record = ledger
        .quote_record(&contested.id, &contested.agent)
        .await
        .expect("read")
        .expect("the quote");
    assert_eq!(record.current, won[0]);
    assert_eq!(record.history, vec![contested.clone()], "round 0 kept once");

    let other = made[1].clone();
    let accept = accepting(&other);
    let counter = countered(&other, 900, 950);
    let (a, c) = tokio::join!(
        {
            let ledger = Arc::clone(&ledger);
            tokio::spawn(async move { ledger.accept_quote(&accept).await })
        },
        {
            let ledger = Arc::clone(&ledger);
            tokio::spawn(async move { ledger.revise_quote(&counter).await })
        }
    );
    match (a.expect("accept task"), c.expect("counter task")) {
        (Ok(accepted), Err(LedgerError::QuoteAccepted(_))) => {
            assert_eq!(accepted.status, QuoteStatus::Accepted);
        }
        (Err(LedgerError::QuoteChanged { round: 1, .. }), Ok(countered)) => {
            assert_eq!(countered.round, 1);
        }
        (a, c) => panic!("exactly one of an acceptance and a counter: {a:?} / {c:?}"),
    }
    let log = crate::fixtures::verified_audit_log(ledger.as_ref()).await;
    let count = |action: &str| log.iter().filter(|e| e.record.action == action).count();
    assert_eq!(count("quote.created"), QUOTES);
    assert_eq!(count("quote.countered") + count("quote.accepted"), 2);
}
