//! Races: many agents on the last units of one SKU; many retries of one idempotency key.

use std::sync::Arc;

use axum::http::StatusCode;
use serde_json::Value;

use crate::support::TestApp;

/// A demo SKU with only a few units on hand.
const SCARCE: &str = "VC-SASSS3-BLK-42";

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_orders_never_oversell() {
    let app = Arc::new(TestApp::demo().await);
    let on_hand = app.stock(SCARCE).await.expect("stocked");
    assert!(
        on_hand > 0 && on_hand < 10,
        "the demo keeps only a few of {SCARCE}"
    );
    let buyers = 3 * on_hand as usize + 4;

    let mut quotes = Vec::new();
    for i in 0..buyers {
        let token = app.agent(&format!("racer-{i}"));
        let q = app.quote(&token, SCARCE, 1).await;
        quotes.push((token, q["id"].as_str().expect("id").to_owned()));
    }
    let tasks: Vec<_> = quotes
        .into_iter()
        .enumerate()
        .map(|(i, (token, qid))| {
            let app = Arc::clone(&app);
            tokio::spawn(async move { app.order(&token, &qid, &format!("race-{i}")).await })
        })
        .collect();
    let mut confirmed = 0;
    let mut refused = 0;
    for t in tasks {
        let resp = t.await.expect("task");
        match resp.status {
            StatusCode::CREATED => confirmed += 1,
            _ => {
                resp.problem(StatusCode::CONFLICT, "insufficient_stock");
                refused += 1;
            }
        }
    }
    assert_eq!(
        confirmed, on_hand as usize,
        "exactly the units on hand were sold"
    );
    assert_eq!(refused, buyers - on_hand as usize);
    assert_eq!(app.stock(SCARCE).await, Some(0));
    assert_eq!(
        app.state
            .shop
            .order_book()
            .order_count()
            .await
            .expect("count"),
        u64::from(on_hand)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_retries_of_one_key_make_one_order() {
    let app = Arc::new(TestApp::demo().await);
    let token = app.agent("retrier");
    let quote = app.quote(&token, "VC-FONDRB-BLK-42", 2).await;
    let qid = quote["id"].as_str().expect("id").to_owned();
    let stock = app.stock("VC-FONDRB-BLK-42").await.expect("stock");

    let tasks: Vec<_> = (0..16)
        .map(|_| {
            let app = Arc::clone(&app);
            let (token, qid) = (token.clone(), qid.clone());
            tokio::spawn(async move { app.order(&token, &qid, "same-key").await })
        })
        .collect();
    let mut ids = std::collections::BTreeSet::new();
    let mut replays = 0;
    for t in tasks {
        let resp = t.await.expect("task");
        if resp.header("idempotent-replayed") == Some("true") {
            replays += 1;
        }
        let order: Value = resp.expect(StatusCode::CREATED, "order", app.contract());
        ids.insert(order["id"].as_str().expect("id").to_owned());
    }
    assert_eq!(ids.len(), 1, "one order for one key");
    assert_eq!(replays, 15);
    assert_eq!(app.stock("VC-FONDRB-BLK-42").await, Some(stock - 2));
    assert_eq!(
        app.state
            .shop
            .order_book()
            .order_count()
            .await
            .expect("count"),
        1
    );
}
