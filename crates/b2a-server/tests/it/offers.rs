//! Offers over HTTP: explained and signed quotes, full negotiations, acceptance, and the pricing
//! policy — published without secrets, loaded by operators.

use axum::http::StatusCode;
use b2a_model::{Capability, Role};
use serde_json::{Value, json};

use crate::support::TestApp;

const COAT: &str = "VC-CHMCOAT-BLK-M";
const GLOVES: &str = "VC-GANIMP-BLK-M";

fn amount(v: &Value) -> i64 {
    v["amount"]
        .as_i64()
        .unwrap_or_else(|| panic!("no amount in {v}"))
}

async fn counter(app: &TestApp, token: &str, id: &str, target: i64) -> Value {
    let body = json!({"target_total": {"amount": target, "currency": "EUR"}}).to_string();
    app.post(&format!("/v1/quotes/{id}/counter"), Some(token), &[], &body)
        .await
        .expect(StatusCode::OK, "counter-result", app.contract())
}

/// Every adjustment of every line adds up to its unit price, and totals add up.
fn assert_explained(q: &Value) {
    let mut subtotal = 0;
    for line in q["lines"].as_array().expect("lines") {
        let adjusted: i64 = line["adjustments"]
            .as_array()
            .expect("adjustments")
            .iter()
            .map(|a| {
                assert!(!a["reason"].as_str().expect("reason").is_empty());
                amount(&a["amount"])
            })
            .sum();
        assert_eq!(
            amount(&line["list_price"]) + adjusted,
            amount(&line["unit_price"]),
            "{line}"
        );
        let qty = line["quantity"].as_i64().expect("quantity");
        assert_eq!(
            amount(&line["unit_price"]) * qty,
            amount(&line["line_total"])
        );
        subtotal += amount(&line["line_total"]);
    }
    assert_eq!(amount(&q["subtotal"]), subtotal);
    assert_eq!(
        amount(&q["total"]),
        subtotal + amount(&q["delivery"]["price"])
    );
}

/// Checks the quote's detached signature against the JWKS the gateway publishes.
async fn assert_signed(app: &TestApp, q: &Value) {
    let jwks = app.get("/.well-known/jwks.json", None).await.expect(
        StatusCode::OK,
        "jwks",
        app.contract(),
    );
    let ring = app.state.governance.tokens().keys();
    assert!(
        jwks["keys"]
            .as_array()
            .expect("keys")
            .iter()
            .any(|k| k["kid"] == q["signature"]["kid"]),
        "the signing key is published"
    );
    let mut payload = q.clone();
    let map = payload.as_object_mut().expect("object");
    map.remove("signature");
    map.remove("history");
    let jws = q["signature"]["jws"].as_str().expect("jws");
    b2a_trust::verify_detached(&ring, b2a_app::QUOTE_SIGNATURE_TYPE, jws, &payload)
        .expect("the signature verifies");
    // One changed cent breaks it.
    payload["total"]["amount"] = json!(amount(&q["total"]) - 1);
    assert!(
        b2a_trust::verify_detached(&ring, b2a_app::QUOTE_SIGNATURE_TYPE, jws, &payload).is_err()
    );
}

#[tokio::test]
async fn a_quote_is_explained_signed_and_ordered_once_accepted() {
    let app = TestApp::demo().await;
    let agent = app.agent("shopper-1");
    let body = json!({
        "lines": [{"sku": COAT, "quantity": 1}, {"sku": GLOVES, "quantity": 1}],
        "ship_to": {"country": "DE"},
        "delivery": {"speed": "express"},
    });
    let q = app
        .post("/v1/quotes", Some(&agent), &[], &body.to_string())
        .await
        .expect(StatusCode::CREATED, "quote", app.contract());
    assert_eq!(q["status"], "open");
    assert_eq!(q["round"], 0);
    assert_eq!(q["vat_included"], true);
    assert_eq!(q["delivery"]["speed"], "express");
    assert_eq!(q["delivery"]["zone"], "eu");
    assert!(q["policy_version"].as_u64().expect("version") >= 1);
    assert_explained(&q);
    // The coat and the gloves make the demo's bundle: both lines carry its discount.
    for line in q["lines"].as_array().expect("lines") {
        assert!(
            line["adjustments"]
                .as_array()
                .expect("adj")
                .iter()
                .any(|a| a["kind"] == "bundle"),
            "{line}"
        );
    }
    assert_signed(&app, &q).await;

    let id = q["id"].as_str().expect("id");
    app.order(&agent, id, "too-early")
        .await
        .problem(StatusCode::CONFLICT, "quote_not_accepted");

    let accepted = app
        .post_empty(&format!("/v1/quotes/{id}/accept"), Some(&agent))
        .await
        .expect(StatusCode::OK, "quote", app.contract());
    assert_eq!(accepted["status"], "accepted");
    assert_eq!(accepted["total"], q["total"], "accepting changes no price");
    assert_signed(&app, &accepted).await;
    // Accepting again is harmless.
    let again = app
        .post_empty(&format!("/v1/quotes/{id}/accept"), Some(&agent))
        .await
        .expect(StatusCode::OK, "quote", app.contract());
    assert_eq!(again, accepted);

    let order =
        app.order(&agent, id, "order-1")
            .await
            .expect(StatusCode::CREATED, "order", app.contract());
    assert_eq!(
        order["total"], q["total"],
        "ordered at exactly the accepted price"
    );
    assert_eq!(order["delivery"], q["delivery"]);
    assert_eq!(order["quote_round"], 0);

    // An accepted quote is no longer negotiable.
    let body = json!({"target_total": {"amount": 100, "currency": "EUR"}}).to_string();
    app.post(
        &format!("/v1/quotes/{id}/counter"),
        Some(&agent),
        &[],
        &body,
    )
    .await
    .problem(StatusCode::CONFLICT, "quote_already_ordered");
}

#[tokio::test]
async fn several_rounds_then_accept() {
    let app = TestApp::demo().await;
    let agent = app.agent("shopper-1");
    let q = app.open_quote(&agent, COAT, 1).await;
    let id = q["id"].as_str().expect("id").to_owned();
    let open = amount(&q["total"]);
    let target = open * 95 / 100;

    // Round 1: countered part of the way, never below the target.
    let r1 = counter(&app, &agent, &id, target).await;
    assert_eq!(r1["answer"], "countered", "{r1}");
    let t1 = amount(&r1["quote"]["total"]);
    assert!(t1 < open && t1 > target, "{t1} between {target} and {open}");
    assert_eq!(r1["quote"]["round"], 1);
    assert_eq!(r1["quote"]["negotiation"]["answer"], "countered");
    assert_explained(&r1["quote"]);
    assert_signed(&app, &r1["quote"]).await;
    assert!(
        r1["quote"]["lines"][0]["adjustments"]
            .as_array()
            .expect("adj")
            .iter()
            .any(|a| a["kind"] == "negotiation")
    );

    // The same target again: the brand concedes less this round, or meets it.
    let r2 = counter(&app, &agent, &id, target).await;
    let t2 = amount(&r2["quote"]["total"]);
    assert!(t2 <= t1, "concessions never raise the price");
    assert!(
        t1 - t2 <= open - t1 || r2["answer"] == "accepted",
        "the second concession ({}) is not larger than the first ({})",
        t1 - t2,
        open - t1
    );

    // Keep countering at the target until the brand accepts it or makes its final offer.
    let mut last = r2;
    for _ in 0..5 {
        if last["answer"] != "countered" {
            break;
        }
        last = counter(&app, &agent, &id, target).await;
    }
    assert!(
        ["accepted", "final_offer"].contains(&last["answer"].as_str().expect("answer")),
        "{last}"
    );
    if last["answer"] == "accepted" {
        assert_eq!(
            amount(&last["quote"]["total"]),
            target,
            "accepted at exactly the target"
        );
    }

    // History holds every earlier version, each signed.
    let read = app
        .get(&format!("/v1/quotes/{id}"), Some(&agent))
        .await
        .expect(StatusCode::OK, "quote", app.contract());
    let history = read["history"].as_array().expect("history");
    assert_eq!(history.len() as u64, read["round"].as_u64().expect("round"));
    assert_eq!(history[0]["round"], 0);
    for v in history {
        assert_signed(&app, v).await;
    }

    let accepted = app
        .post_empty(&format!("/v1/quotes/{id}/accept"), Some(&agent))
        .await
        .expect(StatusCode::OK, "quote", app.contract());
    let order = app.order(&agent, &id, "negotiated").await.expect(
        StatusCode::CREATED,
        "order",
        app.contract(),
    );
    assert_eq!(order["total"], accepted["total"]);
    assert_eq!(order["quote_round"], accepted["round"]);

    // The audit log tells the negotiation: every counter with its answer and reason.
    let audit = app
        .get("/v1/audit/entries?limit=500", Some(&app.auditor()))
        .await
        .expect(StatusCode::OK, "audit-page", app.contract());
    let counters: Vec<&Value> = audit["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|e| e["action"] == "quote.countered" && e["subjects"][0] == id.as_str())
        .collect();
    assert!(counters.len() >= 2);
    assert!(counters.iter().all(|e| e["payload"]["reason"].is_string()));
}

#[tokio::test]
async fn far_below_the_floor_gets_a_final_offer_then_a_rejection() {
    let app = TestApp::demo().await;
    let agent = app.agent("shopper-1");
    let q = app.open_quote(&agent, COAT, 1).await;
    let id = q["id"].as_str().expect("id");

    let first = counter(&app, &agent, id, 1_000).await;
    assert_eq!(first["answer"], "final_offer", "{first}");
    assert_eq!(first["quote"]["status"], "final");
    let final_total = amount(&first["quote"]["total"]);
    assert!(final_total < amount(&q["total"]) && final_total > 1_000);
    // The floor is never shown: no reason names the cost or the floor's amount.
    let text = first.to_string();
    assert!(!text.contains("8261") && !text.contains("cost"), "{text}");

    let second = counter(&app, &agent, id, final_total - 100).await;
    assert_eq!(second["answer"], "rejected", "{second}");
    assert_eq!(
        second["quote"], first["quote"],
        "a rejection changes nothing"
    );

    // The final offer can still be accepted and ordered.
    app.post_empty(&format!("/v1/quotes/{id}/accept"), Some(&agent))
        .await
        .expect(StatusCode::OK, "quote", app.contract());
    let order =
        app.order(&agent, id, "final")
            .await
            .expect(StatusCode::CREATED, "order", app.contract());
    assert_eq!(amount(&order["total"]), final_total);
}

#[tokio::test]
async fn a_target_at_or_above_the_price_is_accepted_as_is() {
    let app = TestApp::demo().await;
    let agent = app.agent("shopper-1");
    let body = json!({
        "lines": [{"sku": COAT, "quantity": 1}],
        "ship_to": {"country": "FR"},
        "target": {"amount": 99_999, "currency": "EUR"},
    });
    let q = app
        .post("/v1/quotes", Some(&agent), &[], &body.to_string())
        .await
        .expect(StatusCode::CREATED, "quote", app.contract());
    assert_eq!(q["round"], 0, "nothing to concede");
    assert!(amount(&q["total"]) < 99_999);
}

#[tokio::test]
async fn counters_on_expired_or_foreign_quotes_are_refused() {
    let app = TestApp::demo_with_quote_ttl(std::time::Duration::from_millis(1)).await;
    let alice = app.agent("alice");
    let bob = app.agent("bob");
    let q = app.open_quote(&alice, COAT, 1).await;
    let id = q["id"].as_str().expect("id");
    let body = json!({"target_total": {"amount": 15_000, "currency": "EUR"}}).to_string();
    app.post(&format!("/v1/quotes/{id}/counter"), Some(&bob), &[], &body)
        .await
        .problem(StatusCode::NOT_FOUND, "quote_not_found");
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    app.post(
        &format!("/v1/quotes/{id}/counter"),
        Some(&alice),
        &[],
        &body,
    )
    .await
    .problem(StatusCode::CONFLICT, "quote_expired");
    app.post_empty(&format!("/v1/quotes/{id}/accept"), Some(&alice))
        .await
        .problem(StatusCode::CONFLICT, "quote_expired");
}

#[tokio::test]
async fn counter_and_quote_mistakes_are_named() {
    let app = TestApp::demo().await;
    let agent = app.agent("shopper-1");
    let q = app.open_quote(&agent, COAT, 1).await;
    let id = q["id"].as_str().expect("id");
    let path = format!("/v1/quotes/{id}/counter");
    let both = json!({"target_total": {"amount": 1, "currency": "EUR"}, "lines": [{"sku": COAT, "unit_price": {"amount": 1, "currency": "EUR"}}]});
    app.post(&path, Some(&agent), &[], &both.to_string())
        .await
        .problem(StatusCode::BAD_REQUEST, "validation_failed");
    let stranger =
        json!({"lines": [{"sku": GLOVES, "unit_price": {"amount": 1, "currency": "EUR"}}]});
    let p = app
        .post(&path, Some(&agent), &[], &stranger.to_string())
        .await
        .problem(StatusCode::UNPROCESSABLE_ENTITY, "counter_line_unknown");
    assert_eq!(p["pointer"], "/lines/0/sku");
    let usd = json!({"target_total": {"amount": 100, "currency": "USD"}});
    app.post(&path, Some(&agent), &[], &usd.to_string())
        .await
        .problem(StatusCode::UNPROCESSABLE_ENTITY, "mixed_currencies");

    let far = json!({"lines": [{"sku": COAT, "quantity": 1}], "ship_to": {"country": "FR"}, "delivery": {"deliver_by": "2020-01-01"}});
    let p = app
        .post("/v1/quotes", Some(&agent), &[], &far.to_string())
        .await
        .problem(StatusCode::UNPROCESSABLE_ENTITY, "delivery_unavailable");
    assert_eq!(p["pointer"], "/delivery/deliver_by");
    let not_a_date = json!({"lines": [{"sku": COAT, "quantity": 1}], "ship_to": {"country": "FR"}, "delivery": {"deliver_by": "tomorrow"}});
    app.post("/v1/quotes", Some(&agent), &[], &not_a_date.to_string())
        .await
        .problem(StatusCode::BAD_REQUEST, "validation_failed");
    let world_express = json!({"lines": [{"sku": COAT, "quantity": 1}], "ship_to": {"country": "JP"}, "delivery": {"speed": "express"}});
    let p = app
        .post("/v1/quotes", Some(&agent), &[], &world_express.to_string())
        .await
        .problem(StatusCode::UNPROCESSABLE_ENTITY, "delivery_unavailable");
    assert_eq!(p["pointer"], "/delivery/speed");
}

#[tokio::test]
async fn the_published_policy_shows_bounds_and_never_a_cost_or_floor() {
    let app = TestApp::demo().await;
    let policy = app.get("/v1/pricing-policy", None).await.expect(
        StatusCode::OK,
        "pricing-policy",
        app.contract(),
    );
    assert!(policy["version"].as_u64().expect("version") >= 1);
    let text = policy.to_string();
    for secret in [
        "min_margin",
        "margin",
        "floor",
        "cost",
        "max_discount",
        "concession_ratio",
        "walk",
    ] {
        assert!(!text.contains(secret), "`{secret}` leaks in {text}");
    }
    assert!(text.contains("loyalty_tier"));
    assert!(
        policy["attributes_never_used"]
            .as_array()
            .is_some_and(|a| !a.is_empty())
    );
}

#[tokio::test]
async fn operators_load_policy_versions_and_mistakes_are_named() {
    let app = TestApp::demo().await;
    let operator = app.token(Role::Operator, "ops", &[Capability::Admin]);
    let before = app
        .get("/v1/admin/pricing-policy", Some(&operator))
        .await
        .expect(StatusCode::OK, "pricing-policy-loaded", app.contract());
    let v = before["version"].as_u64().expect("version");

    let mut policy = before["policy"].clone();
    policy["guardrails"]["max_markup_percent"] = json!(5);
    let loaded = app
        .request(
            axum::http::Method::PUT,
            "/v1/admin/pricing-policy",
            Some(&operator),
            &[("content-type", "application/json")],
            Some(&policy.to_string()),
        )
        .await
        .expect(StatusCode::OK, "pricing-policy-loaded", app.contract());
    assert_eq!(loaded["version"].as_u64(), Some(v + 1));
    let public = app.get("/v1/pricing-policy", None).await.expect(
        StatusCode::OK,
        "pricing-policy",
        app.contract(),
    );
    assert_eq!(public["version"].as_u64(), Some(v + 1));

    let mut bad = policy.clone();
    bad["volume_tiers"][1]["discount_percent"] = json!(150);
    let p = app
        .request(
            axum::http::Method::PUT,
            "/v1/admin/pricing-policy",
            Some(&operator),
            &[("content-type", "application/json")],
            Some(&bad.to_string()),
        )
        .await
        .problem(StatusCode::UNPROCESSABLE_ENTITY, "pricing_policy_invalid");
    assert_eq!(p["pointer"], "/volume_tiers/1/discount_percent");
    let after = app
        .get("/v1/admin/pricing-policy", Some(&operator))
        .await
        .expect(StatusCode::OK, "pricing-policy-loaded", app.contract());
    assert_eq!(after["version"].as_u64(), Some(v + 1), "nothing stored");

    let agent = app.agent("shopper-1");
    app.get("/v1/admin/pricing-policy", Some(&agent))
        .await
        .problem(StatusCode::FORBIDDEN, "insufficient_capability");
}

/// The signature verifies with PyJWT and an independent RFC 8785 canonicalizer, as an agent
/// would check it (scripts/python/verify_quote.py). `scripts/test` sets B2A_PYTHON to a
/// virtual environment holding them; without it the check is skipped, saying so.
#[tokio::test]
async fn quote_signatures_verify_with_an_independent_jose_library() {
    let Ok(python) = std::env::var("B2A_PYTHON") else {
        eprintln!("skipped: B2A_PYTHON is not set (scripts/test sets it)");
        return;
    };
    let app = TestApp::demo().await;
    let agent = app.agent("shopper-1");
    let q = app.open_quote(&agent, COAT, 2).await;
    let countered = counter(&app, &agent, q["id"].as_str().expect("id"), 30_000).await;
    let jwks = app.get("/.well-known/jwks.json", None).await.expect(
        StatusCode::OK,
        "jwks",
        app.contract(),
    );
    let dir = tempfile::tempdir().expect("dir");
    let jwks_path = dir.path().join("jwks.json");
    std::fs::write(&jwks_path, jwks.to_string()).expect("write");
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../scripts/python/verify_quote.py"
    );
    let check = |quote: &Value| {
        let path = dir.path().join("quote.json");
        std::fs::write(&path, quote.to_string()).expect("write");
        std::process::Command::new(&python)
            .arg(script)
            .arg(&path)
            .arg(&jwks_path)
            .output()
            .expect("python runs")
    };
    for quote in [&q, &countered["quote"]] {
        let out = check(quote);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let mut tampered = q.clone();
    tampered["lines"][0]["unit_price"]["amount"] = json!(1);
    let out = check(&tampered);
    assert_eq!(out.status.code(), Some(1), "a tampered quote fails");
}
