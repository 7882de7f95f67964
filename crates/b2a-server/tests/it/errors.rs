//! Bad inputs: each answers its documented code, names the offending field, and changes nothing.

use axum::http::{Method, StatusCode};
use axum::response::IntoResponse;
use b2a_model::{Capability, Role};
use b2a_pricing::PricingError;
use b2a_server::ApiError;
use serde_json::json;

use crate::support::TestApp;

const SKU: &str = "VC-FONDRB-BLK-42";

#[tokio::test]
async fn refused_quote_requests_change_nothing() {
    let app = TestApp::demo().await;
    let agent = app.agent("shopper-1");
    let before = app.snapshot(SKU).await;

    let cases: &[(&str, StatusCode, &str, Option<&str>)] = &[
        (
            r#"{"lines": [{"sku": "VC-FONDRB-BLK-42", "quantity": 1}], "ship_to": {"country": "FR"}"#,
            StatusCode::BAD_REQUEST,
            "malformed_json",
            None,
        ),
        (
            r#"{"lines": [{"sku": "VC-FONDRB-BLK-42", "quantity": 1}], "ship_to": {"country": "FR"}, "discount": 50}"#,
            StatusCode::BAD_REQUEST,
            "validation_failed",
            Some("/discount"),
        ),
        (
            r#"{"lines": [{"sku": "VC-FONDRB-BLK-42", "quantity": -1}], "ship_to": {"country": "FR"}}"#,
            StatusCode::BAD_REQUEST,
            "validation_failed",
            Some("/lines/0/quantity"),
        ),
        (
            r#"{"lines": [{"sku": "VC-FONDRB-BLK-42", "quantity": 1.5}], "ship_to": {"country": "FR"}}"#,
            StatusCode::BAD_REQUEST,
            "validation_failed",
            Some("/lines/0/quantity"),
        ),
        (
            r#"{"lines": [], "ship_to": {"country": "FR"}}"#,
            StatusCode::BAD_REQUEST,
            "validation_failed",
            Some("/lines"),
        ),
        (
            r#"{"lines": [{"sku": "VC-FONDRB-BLK-42", "quantity": 1}]}"#,
            StatusCode::BAD_REQUEST,
            "validation_failed",
            Some("/ship_to"),
        ),
        (
            r#"{"lines": [{"sku": "VC-FONDRB-BLK-42", "quantity": 1}], "ship_to": {"country": "france"}}"#,
            StatusCode::BAD_REQUEST,
            "validation_failed",
            Some("/ship_to/country"),
        ),
        (
            r#"{"lines": [{"sku": "VC-NOPE-1", "quantity": 1}], "ship_to": {"country": "FR"}}"#,
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_sku",
            Some("/lines/0/sku"),
        ),
        (
            r#"{"lines": [{"sku": "VC-FONDRB-BLK-42", "quantity": 1}, {"sku": "VC-EXPPRK-BLK-M", "quantity": 1}], "ship_to": {"country": "FR"}}"#,
            StatusCode::UNPROCESSABLE_ENTITY,
            "sku_unavailable",
            Some("/lines/1/sku"),
        ),
        (
            r#"{"lines": [{"sku": "VC-FONDRB-BLK-42", "quantity": 1}, {"sku": "VC-FONDRB-BLK-42", "quantity": 2}], "ship_to": {"country": "FR"}}"#,
            StatusCode::UNPROCESSABLE_ENTITY,
            "duplicate_sku",
            Some("/lines/1/sku"),
        ),
    ];
    for (body, status, code, pointer) in cases {
        let problem = app
            .post("/v1/quotes", Some(&agent), &[], body)
            .await
            .problem(*status, code);
        if let Some(p) = pointer {
            assert_eq!(
                problem["pointer"], *p,
                "pointer of {code} for {body}: {problem}"
            );
        }
    }
    assert_eq!(app.snapshot(SKU).await, before);
}

#[tokio::test]
async fn refused_orders_change_nothing() {
    let app = TestApp::demo().await;
    let agent = app.agent("shopper-1");
    let quote = app.quote(&agent, SKU, 1).await;
    let qid = quote["id"].as_str().expect("id");
    let body = json!({"quote_id": qid}).to_string();
    let before = app.snapshot(SKU).await;

    // No Idempotency-Key.
    let p = app
        .post("/v1/orders", Some(&agent), &[], &body)
        .await
        .problem(StatusCode::BAD_REQUEST, "missing_idempotency_key");
    assert_eq!(p["pointer"], "Idempotency-Key");
    // No token, a forged token, a token without the capability.
    app.post("/v1/orders", None, &[("idempotency-key", "k1")], &body)
        .await
        .problem(StatusCode::UNAUTHORIZED, "missing_token");
    // One character of the signature changed.
    let at = agent.len() - 10;
    let swapped = if &agent[at..=at] == "A" { "B" } else { "A" };
    let forged = format!("{}{swapped}{}", &agent[..at], &agent[at + 1..]);
    app.post(
        "/v1/orders",
        Some(&forged),
        &[("idempotency-key", "k1")],
        &body,
    )
    .await
    .problem(StatusCode::UNAUTHORIZED, "token_signature_invalid");
    app.post(
        "/v1/orders",
        Some("not.a.jwt"),
        &[("idempotency-key", "k1")],
        &body,
    )
    .await
    .problem(StatusCode::UNAUTHORIZED, "token_malformed");
    let read_only = app.token(
        Role::Agent,
        "shopper-1",
        &[Capability::CatalogRead, Capability::QuotesWrite],
    );
    let p = app
        .post(
            "/v1/orders",
            Some(&read_only),
            &[("idempotency-key", "k1")],
            &body,
        )
        .await
        .problem(StatusCode::FORBIDDEN, "insufficient_capability");
    assert!(
        p["detail"]
            .as_str()
            .is_some_and(|d| d.contains("orders:write"))
    );
    // Malformed and unknown fields.
    app.post(
        "/v1/orders",
        Some(&agent),
        &[("idempotency-key", "k1")],
        "{",
    )
    .await
    .problem(StatusCode::BAD_REQUEST, "malformed_json");
    let extra = json!({"quote_id": qid, "price": 1}).to_string();
    let p = app
        .post(
            "/v1/orders",
            Some(&agent),
            &[("idempotency-key", "k1")],
            &extra,
        )
        .await
        .problem(StatusCode::BAD_REQUEST, "validation_failed");
    assert_eq!(p["pointer"], "/price");
    // Not JSON at all.
    app.post(
        "/v1/orders",
        Some(&agent),
        &[("idempotency-key", "k1"), ("content-type", "text/plain")],
        &body,
    )
    .await
    .problem(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type");
    // A quote that does not exist.
    let ghost = json!({"quote_id": "q_00000000000000000000000000000000"}).to_string();
    app.post(
        "/v1/orders",
        Some(&agent),
        &[("idempotency-key", "k1")],
        &ghost,
    )
    .await
    .problem(StatusCode::NOT_FOUND, "quote_not_found");

    assert_eq!(app.snapshot(SKU).await, before);

    // And the quote can still be ordered afterwards with the key those refusals used.
    app.order(&agent, qid, "k1")
        .await
        .expect(StatusCode::CREATED, "order", app.contract());
}

#[tokio::test]
async fn idempotency_keys_replay_and_refuse_reuse() {
    let app = TestApp::demo().await;
    let c = app.contract();
    let agent = app.agent("shopper-1");
    let q1 = app.quote(&agent, SKU, 1).await;
    let q2 = app.quote(&agent, SKU, 1).await;
    let stock = app.stock(SKU).await.expect("stock");

    let first = app
        .order(&agent, q1["id"].as_str().expect("id"), "key-1")
        .await
        .expect(StatusCode::CREATED, "order", c);
    let replay = app
        .order(&agent, q1["id"].as_str().expect("id"), "key-1")
        .await;
    assert_eq!(replay.header("idempotent-replayed"), Some("true"));
    let replayed = replay.expect(StatusCode::CREATED, "order", c);
    assert_eq!(replayed, first, "a replay answers the original order");
    assert_eq!(app.stock(SKU).await, Some(stock - 1), "stock moved once");

    let before = app.snapshot(SKU).await;
    // Same key, another body.
    let p = app
        .order(&agent, q2["id"].as_str().expect("id"), "key-1")
        .await
        .problem(StatusCode::UNPROCESSABLE_ENTITY, "idempotency_key_reused");
    assert_eq!(p["pointer"], "Idempotency-Key");
    // The same quote under a new key.
    app.order(&agent, q1["id"].as_str().expect("id"), "key-2")
        .await
        .problem(StatusCode::CONFLICT, "quote_already_ordered");
    assert_eq!(app.snapshot(SKU).await, before);

    // Keys are scoped to the agent: another agent's key-1 is its own.
    let other = app.agent("shopper-2");
    let q3 = app.quote(&other, SKU, 1).await;
    app.order(&other, q3["id"].as_str().expect("id"), "key-1")
        .await
        .expect(StatusCode::CREATED, "order", c);
}

#[tokio::test]
async fn agents_never_see_each_others_quotes_or_orders() {
    let app = TestApp::demo().await;
    let alice = app.agent("alice");
    let bob = app.agent("bob");
    let quote = app.quote(&alice, SKU, 1).await;
    let qid = quote["id"].as_str().expect("id");
    let order =
        app.order(&alice, qid, "a-1")
            .await
            .expect(StatusCode::CREATED, "order", app.contract());
    let oid = order["id"].as_str().expect("id");

    app.get(&format!("/v1/quotes/{qid}"), Some(&bob))
        .await
        .problem(StatusCode::NOT_FOUND, "quote_not_found");
    app.get(&format!("/v1/orders/{oid}"), Some(&bob))
        .await
        .problem(StatusCode::NOT_FOUND, "order_not_found");
    let q2 = app.quote(&alice, SKU, 1).await;
    let before = app.snapshot(SKU).await;
    app.order(&bob, q2["id"].as_str().expect("id"), "b-1")
        .await
        .problem(StatusCode::NOT_FOUND, "quote_not_found");
    assert_eq!(app.snapshot(SKU).await, before);
    // The audit log is for auditors only.
    app.get("/v1/audit/entries", Some(&alice))
        .await
        .problem(StatusCode::FORBIDDEN, "insufficient_capability");
}

#[tokio::test]
async fn expired_quotes_cannot_be_ordered() {
    let app = TestApp::demo_with_quote_ttl(std::time::Duration::from_millis(1)).await;
    let agent = app.agent("shopper-1");
    let quote = app.open_quote(&agent, SKU, 1).await;
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let before = app.snapshot(SKU).await;
    app.order(&agent, quote["id"].as_str().expect("id"), "late")
        .await
        .problem(StatusCode::CONFLICT, "quote_expired");
    assert_eq!(app.snapshot(SKU).await, before);
}

#[tokio::test]
async fn query_and_path_mistakes_are_named() {
    let app = TestApp::demo().await;
    let agent = app.agent("shopper-1");
    for (query, param) in [
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("max_price=20000", "currency"),
        ("max_price=-1&currency=EUR", "max_price"),
        ("currency=EURO", "currency"),
        ("cursor=%%%", "cursor"),
        ("category=Coats%20Jackets", "category"),
        ("sort=cheapest", "sort"),
        ("in_stock=yes", "in_stock"),
        ("min_price=500&max_price=100&currency=EUR", "min_price"),
        ("min_price=5", "currency"),
        ("colour=black", "colour"),
        ("q=coat&q=jacket", "q"),
        ("attr.=x", "attr."),
        ("color=", "color"),
    ] {
        let p = app
            .get(&format!("/v1/products?{query}"), Some(&agent))
            .await
            .problem(StatusCode::BAD_REQUEST, "invalid_query");
        assert_eq!(p["pointer"], param, "{query}: {p}");
    }
    let p = app
        .get("/v1/products?maxprice=1", Some(&agent))
        .await
        .problem(StatusCode::BAD_REQUEST, "invalid_query");
    assert!(
        p["detail"].as_str().is_some_and(|d| d.contains("maxprice")),
        "{p}"
    );
    app.get("/v1/products?limit=abc", Some(&agent))
        .await
        .problem(StatusCode::BAD_REQUEST, "invalid_query");
    app.get("/v1/products/has%20space", Some(&agent))
        .await
        .problem(StatusCode::BAD_REQUEST, "invalid_path");
    app.get("/v1/products/VC-NOPE", Some(&agent))
        .await
        .problem(StatusCode::NOT_FOUND, "product_not_found");
    app.get("/v1/products", None)
        .await
        .problem(StatusCode::UNAUTHORIZED, "missing_token");
    app.get("/v1/nope", Some(&agent))
        .await
        .problem(StatusCode::NOT_FOUND, "not_found");
    app.request(Method::DELETE, "/v1/products", Some(&agent), &[], None)
        .await
        .problem(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed");
    let huge = format!(
        r#"{{"lines": [{{"sku": "{}", "quantity": 1}}], "ship_to": {{"country": "FR"}}}}"#,
        "A".repeat(70_000)
    );
    app.post("/v1/quotes", Some(&agent), &[], &huge)
        .await
        .problem(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large");
}

#[tokio::test]
async fn problems_carry_the_request_id() {
    let app = TestApp::demo().await;
    let resp = app
        .request(
            Method::GET,
            "/v1/products",
            None,
            &[("x-request-id", "trace-42")],
            None,
        )
        .await;
    assert_eq!(resp.header("x-request-id"), Some("trace-42"));
    let p = resp.problem(StatusCode::UNAUTHORIZED, "missing_token");
    assert_eq!(p["request_id"], "trace-42");
    assert_eq!(p["type"], "urn:b2a:problem:missing_token");
}

#[tokio::test]
async fn counter_prices_beyond_any_amount_are_a_validation_failure() {
    let app = TestApp::demo().await;
    let agent = app.agent("shopper-1");
    let quote = app.open_quote(&agent, SKU, 3).await;
    let id = quote["id"].as_str().expect("quote id");
    let path = format!("/v1/quotes/{id}/counter");
    for amount in [i64::MAX, i64::MIN] {
        let body =
            json!({"lines": [{"sku": SKU, "unit_price": {"amount": amount, "currency": "EUR"}}]});
        let p = app
            .post(&path, Some(&agent), &[], &body.to_string())
            .await
            .problem(StatusCode::BAD_REQUEST, "validation_failed");
        assert_eq!(p["pointer"], "/lines", "{p}");
    }
    // The quote is still open to a sensible counter-offer.
    let body = json!({"target_total": {"amount": 1, "currency": "EUR"}});
    let answer = app.post(&path, Some(&agent), &[], &body.to_string()).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
}

#[tokio::test]
async fn pricing_lines_that_are_not_there_is_a_validation_failure() {
    // The schema refuses an empty `lines` first (above); should pricing ever see one, the
    // answer is the same.
    let resp = ApiError::from(PricingError::NoLines).into_response();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    let body = axum::body::to_bytes(resp.into_body(), 64 * 1024)
        .await
        .expect("body");
    let problem: serde_json::Value = serde_json::from_slice(&body).expect("a problem");
    assert_eq!(problem["code"], "validation_failed");
    assert_eq!(problem["pointer"], "/lines");
}
