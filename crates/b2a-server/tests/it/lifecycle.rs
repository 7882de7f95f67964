//! Orders over HTTP after placement: lists, approvals, cancel, returns, refunds, events (JSON and
//! a live stream), the vault, stock levels — each scoped to its caller.

use std::time::Duration;

use axum::http::{Method, StatusCode};
use b2a_model::{AgentId, Currency, Limits, Role};
use b2a_trust::IssueRequest;
use serde_json::{Value, json};

use crate::support::TestApp;

const COAT: &str = "VC-CHMCOAT-BLK-L";

fn operator(app: &TestApp) -> String {
    app.token(Role::Operator, "ops", &[])
}

async fn order(app: &TestApp, token: &str, key: &str, body: Value) -> Value {
    app.post(
        "/v1/orders",
        Some(token),
        &[("idempotency-key", key)],
        &body.to_string(),
    )
    .await
    .expect(StatusCode::CREATED, "order", app.contract())
}

async fn ordered(app: &TestApp, token: &str, key: &str) -> Value {
    let q = app.quote(token, COAT, 1).await;
    order(app, token, key, json!({"quote_id": q["id"]})).await
}

async fn spent(app: &TestApp, token: String) -> i64 {
    app.get("/v1/tokens/self", Some(&token)).await.expect(
        StatusCode::OK,
        "token-status",
        app.contract(),
    )["spent"]["amount"]
        .as_i64()
        .expect("spent")
}

async fn act(app: &TestApp, token: &str, path: &str, reason: &str) -> crate::support::TestResponse {
    app.post(
        path,
        Some(token),
        &[],
        &json!({"reason": reason}).to_string(),
    )
    .await
}

#[tokio::test]
async fn an_order_above_the_threshold_waits_for_a_person() {
    let app = TestApp::demo().await;
    let issued = app
        .issue_recorded(&IssueRequest {
            limits: Limits {
                currency: Some(Currency::EUR),
                approval_above: Some(10_000),
                ..Limits::default()
            },
            ..IssueRequest::new(
                Role::Agent,
                AgentId::parse("dora").expect("id"),
                vec![],
                Duration::from_secs(600),
            )
        })
        .await;
    let agent = issued.token;
    let held = ordered(&app, &agent, "held").await;
    assert_eq!(held["status"], "pending_approval");
    assert!(
        held["status_reason"]
            .as_str()
            .is_some_and(|r| r.contains("approval")),
        "{held}"
    );
    let id = held["id"].as_str().expect("id");

    let ops = operator(&app);
    let pending = app.get("/v1/admin/approvals", Some(&ops)).await.expect(
        StatusCode::OK,
        "order-page",
        app.contract(),
    );
    assert_eq!(pending["items"][0]["id"], id);
    app.get("/v1/admin/approvals", Some(&agent))
        .await
        .problem(StatusCode::FORBIDDEN, "insufficient_capability");

    let approved = act(
        &app,
        &ops,
        &format!("/v1/admin/orders/{id}/approve"),
        "known customer",
    )
    .await
    .expect(StatusCode::OK, "order", app.contract());
    assert_eq!(approved["status"], "confirmed");
    act(
        &app,
        &ops,
        &format!("/v1/admin/orders/{id}/approve"),
        "again",
    )
    .await
    .problem(StatusCode::CONFLICT, "order_transition_invalid");

    let events = app
        .get(&format!("/v1/orders/{id}/events"), Some(&agent))
        .await
        .expect(StatusCode::OK, "order-events", app.contract());
    let items = events["items"].as_array().expect("items");
    assert_eq!(items.len(), 2);
    assert_eq!(items[1]["status"], "confirmed");
    assert_eq!(items[1]["actor"], "operator:ops");
    assert_eq!(items[1]["reason"], "known customer");
}

#[tokio::test]
async fn cancel_before_shipment_releases_stock_and_budget_and_returns_refund() {
    let app = TestApp::demo().await;
    let issued = app
        .issue_recorded(&IssueRequest {
            limits: Limits {
                currency: Some(Currency::EUR),
                total: Some(100_000),
                ..Limits::default()
            },
            ..IssueRequest::new(
                Role::Agent,
                AgentId::parse("eve").expect("id"),
                vec![],
                Duration::from_secs(600),
            )
        })
        .await;
    let agent = issued.token;
    let before = app.stock(COAT).await.expect("stocked");
    let first = ordered(&app, &agent, "one").await;
    let second = ordered(&app, &agent, "two").await;
    assert_eq!(app.stock(COAT).await, Some(before - 2));
    let cost = first["total"]["amount"].as_i64().expect("total");

    let id = first["id"].as_str().expect("id");
    let bob = app.agent("bob");
    app.post_empty(&format!("/v1/orders/{id}/cancel"), Some(&bob))
        .await
        .problem(StatusCode::NOT_FOUND, "order_not_found");
    let cancelled = app
        .post_empty(&format!("/v1/orders/{id}/cancel"), Some(&agent))
        .await
        .expect(StatusCode::OK, "order", app.contract());
    assert_eq!(cancelled["status"], "cancelled");
    assert_eq!(app.stock(COAT).await, Some(before - 1));
    assert_eq!(
        spent(&app, agent.clone()).await,
        cost,
        "the cancelled order's spend is released"
    );

    let ops = operator(&app);
    let id2 = second["id"].as_str().expect("id");
    for step in ["ship", "deliver"] {
        act(&app, &ops, &format!("/v1/admin/orders/{id2}/{step}"), step)
            .await
            .expect(StatusCode::OK, "order", app.contract());
    }
    app.post_empty(&format!("/v1/orders/{id2}/cancel"), Some(&agent))
        .await
        .problem(StatusCode::CONFLICT, "order_transition_invalid");
    let returned = act(
        &app,
        &agent,
        &format!("/v1/orders/{id2}/returns"),
        "too small",
    )
    .await
    .expect(StatusCode::OK, "order", app.contract());
    assert_eq!(returned["status"], "return_requested");
    let refunded = act(
        &app,
        &ops,
        &format!("/v1/admin/orders/{id2}/refund"),
        "received",
    )
    .await
    .expect(StatusCode::OK, "order", app.contract());
    assert_eq!(refunded["status"], "refunded");
    assert_eq!(app.stock(COAT).await, Some(before));
    assert_eq!(
        spent(&app, agent.clone()).await,
        0,
        "the refund credits the budget"
    );
    act(&app, &ops, &format!("/v1/admin/orders/{id2}/teleport"), "x")
        .await
        .problem(StatusCode::NOT_FOUND, "not_found");

    // The audit log tells every step with who made it.
    let audit = app
        .get("/v1/audit/entries?limit=500", Some(&app.auditor()))
        .await
        .expect(StatusCode::OK, "audit-page", app.contract());
    let steps: Vec<(String, String)> = audit["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|e| e["subjects"][0] == id2)
        .map(|e| {
            (
                e["action"].as_str().unwrap_or("").to_owned(),
                e["actor"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    assert_eq!(
        steps,
        vec![
            ("order.placed".to_owned(), "agent:eve".to_owned()),
            ("order.ship".to_owned(), "operator:ops".to_owned()),
            ("order.deliver".to_owned(), "operator:ops".to_owned()),
            ("order.request_return".to_owned(), "agent:eve".to_owned()),
            ("order.refund".to_owned(), "operator:ops".to_owned()),
        ]
    );
}

#[tokio::test]
async fn agents_list_their_own_orders_a_page_at_a_time() {
    let app = TestApp::demo().await;
    let alice = app.agent("alice");
    let bob = app.agent("bob");
    let mut mine = Vec::new();
    for i in 0..3 {
        mine.push(ordered(&app, &alice, &format!("a{i}")).await["id"].clone());
    }
    ordered(&app, &bob, "b").await;
    mine.reverse();
    let first = app.get("/v1/orders?limit=2", Some(&alice)).await.expect(
        StatusCode::OK,
        "order-page",
        app.contract(),
    );
    let cursor = first["next_cursor"].as_str().expect("more");
    let second = app
        .get(&format!("/v1/orders?limit=2&cursor={cursor}"), Some(&alice))
        .await
        .expect(StatusCode::OK, "order-page", app.contract());
    let ids: Vec<Value> = first["items"]
        .as_array()
        .expect("items")
        .iter()
        .chain(second["items"].as_array().expect("items"))
        .map(|o| o["id"].clone())
        .collect();
    assert_eq!(ids, mine);
    app.get("/v1/orders?limit=0", Some(&alice))
        .await
        .problem(StatusCode::BAD_REQUEST, "invalid_query");
    app.get("/v1/orders?cursor=nope", Some(&alice))
        .await
        .problem(StatusCode::BAD_REQUEST, "invalid_query");
}

#[tokio::test]
async fn fulfilment_details_go_to_the_vault_not_the_order_or_the_log() {
    let app = TestApp::demo().await;
    let agent = app.agent("alice");
    let q = app.quote(&agent, COAT, 1).await;
    let q_id = q["id"].clone();
    let details = json!({"name": "Camille Martin", "address": ["12 rue des Alpes"], "postal_code": "38000", "city": "Grenoble", "country": "FR", "email": "camille@example.org"});
    let placed = order(
        &app,
        &agent,
        "f",
        json!({"quote_id": q["id"], "fulfilment": details}),
    )
    .await;
    assert!(
        placed["fulfilment_ref"]
            .as_str()
            .is_some_and(|r| r.starts_with("v_"))
    );
    assert!(!placed.to_string().contains("Camille"));

    let bad = json!({"quote_id": q["id"], "fulfilment": {"name": "x"}});
    app.post(
        "/v1/orders",
        Some(&agent),
        &[("idempotency-key", "bad")],
        &bad.to_string(),
    )
    .await
    .problem(StatusCode::BAD_REQUEST, "validation_failed");

    let ops = operator(&app);
    let id = placed["id"].as_str().expect("id");
    let full = app
        .get(&format!("/v1/admin/orders/{id}"), Some(&ops))
        .await
        .expect(StatusCode::OK, "admin-order", app.contract());
    assert_eq!(full["fulfilment"], details);
    let audit = app
        .get("/v1/audit/entries?limit=500", Some(&app.auditor()))
        .await
        .expect(StatusCode::OK, "audit-page", app.contract());
    assert!(
        !audit.to_string().contains("Camille"),
        "no personal data in the audit log"
    );

    // At rest the vault holds the details sealed with the principal's key.
    let order_id = b2a_model::OrderId::parse(id).expect("order id");
    let at_rest = app
        .state
        .shop
        .vault()
        .fulfilment(&order_id)
        .await
        .expect("read")
        .expect("a vault row");
    assert!(
        at_rest.as_str().is_some_and(|s| s.starts_with("v1."))
            && !at_rest.to_string().contains("Camille"),
        "{at_rest}"
    );

    // The order's audit entry commits to each field with the principal's salt: it proves the
    // name while the salt exists, and holds nothing personal.
    let placed_entry = audit["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|e| e["action"] == "order.placed" && e["subjects"][0] == id)
        .expect("the order's entry")
        .clone();
    let key = app
        .state
        .shop
        .vault()
        .stored_vault_key("p-1")
        .await
        .expect("read")
        .expect("the principal's key");
    let salt = b2a_trust::VaultKey::from_bytes(&key).expect("a key").salt();
    assert_eq!(
        placed_entry["commitments"]["name"],
        b2a_audit::entry::commit(&salt, "name", "Camille Martin")
    );
    assert_eq!(
        placed_entry["commitments"]["city"],
        b2a_audit::entry::commit(&salt, "city", "Grenoble")
    );

    // Access: the operator, and the agent whose token carries privacy:self for the principal,
    // get everything held about it; an agent token without it does not.
    let export = app
        .get("/v1/admin/principals/p-1", Some(&ops))
        .await
        .expect(StatusCode::OK, "principal-export", app.contract());
    let held = export["orders"]
        .as_array()
        .expect("orders")
        .iter()
        .find(|o| o["order"]["id"] == id)
        .expect("the order is in the export");
    assert_eq!(held["fulfilment"], details);
    assert!(
        export["quotes"]
            .as_array()
            .is_some_and(|q| q.iter().any(|q| q["id"] == q_id))
    );
    assert!(
        export["audit_entries"]
            .as_array()
            .is_some_and(|e| e.iter().all(|e| e["principal"] == "p-1") && !e.is_empty())
    );
    let own = app.token(Role::Agent, "alice", &[b2a_model::Capability::PrivacySelf]);
    let mine = app.get("/v1/privacy/self", Some(&own)).await.expect(
        StatusCode::OK,
        "principal-export",
        app.contract(),
    );
    assert_eq!(mine["orders"], export["orders"]);
    app.get("/v1/privacy/self", Some(&agent))
        .await
        .problem(StatusCode::FORBIDDEN, "insufficient_capability");

    // Erasure: the principal's key and rows go; the order stays, its details read as erased;
    // the erasure is logged and the log still verifies against a new signed checkpoint.
    app.request(
        Method::DELETE,
        "/v1/admin/principals/p-1",
        Some(&agent),
        &[],
        None,
    )
    .await
    .problem(StatusCode::FORBIDDEN, "insufficient_capability");
    app.request(
        Method::DELETE,
        "/v1/admin/principals/not%20one",
        Some(&ops),
        &[],
        None,
    )
    .await
    .problem(StatusCode::BAD_REQUEST, "invalid_path");
    let erased = app
        .request(
            Method::DELETE,
            "/v1/admin/principals/p-1",
            Some(&ops),
            &[],
            None,
        )
        .await
        .expect(StatusCode::OK, "erasure", app.contract());
    assert_eq!(erased["vault_records_erased"], 1);
    assert_eq!(erased["key_destroyed"], true);
    let full = app
        .get(&format!("/v1/admin/orders/{id}"), Some(&ops))
        .await
        .expect(StatusCode::OK, "admin-order", app.contract());
    assert_eq!(full["fulfilment"], json!({"erased": true}));
    assert_eq!(full["order"]["id"], id, "the order stays");
    let auditor = app.auditor();
    let checkpoint = app
        .post_empty("/v1/audit/checkpoint", Some(&auditor))
        .await
        .expect(StatusCode::OK, "audit-checkpoint", app.contract());
    let entries = app
        .get("/v1/audit/entries?limit=500", Some(&auditor))
        .await
        .expect(StatusCode::OK, "audit-page", app.contract());
    let items = entries["items"].as_array().expect("items");
    let mut tree = b2a_audit::merkle::MemoryTree::new();
    for entry in items {
        tree.push(b2a_audit::merkle::leaf_hash(&b2a_audit::entry::canonical(
            entry,
        )));
    }
    assert_eq!(checkpoint["size"], tree.size());
    assert_eq!(
        checkpoint["root_hash"],
        b2a_audit::verify::encode_hash(&tree.root()),
        "the log verifies after the erasure"
    );
    let after = app
        .get("/v1/admin/principals/p-1", Some(&ops))
        .await
        .expect(StatusCode::OK, "principal-export", app.contract());
    assert!(
        !after.to_string().contains("Camille"),
        "nothing personal is left"
    );
    let last = items.last().expect("an entry");
    assert_eq!(last["action"], "privacy.erased");
    assert_eq!(last["principal"], "p-1");
    assert!(!entries.to_string().contains("Camille"));
}

#[tokio::test]
async fn events_stream_as_server_sent_events() {
    let app = TestApp::demo().await;
    let agent = app.agent("alice");
    let placed = ordered(&app, &agent, "s").await;
    let id = placed["id"].as_str().expect("id");
    app.post_empty(&format!("/v1/orders/{id}/cancel"), Some(&agent))
        .await
        .expect(StatusCode::OK, "order", app.contract());
    // The order is final: the stream sends its history and ends.
    let resp = app
        .request(
            Method::GET,
            &format!("/v1/orders/{id}/events"),
            Some(&agent),
            &[("accept", "text/event-stream")],
            None,
        )
        .await;
    assert_eq!(resp.status, StatusCode::OK);
    assert_eq!(resp.header("content-type"), Some("text/event-stream"));
    let text = resp.body.as_str().expect("text");
    let data: Vec<Value> = text
        .lines()
        .filter_map(|l| l.strip_prefix("data: "))
        .map(|d| serde_json::from_str(d).expect("json event"))
        .collect();
    assert_eq!(data.len(), 2, "{text}");
    assert_eq!(data[0]["status"], "confirmed");
    assert_eq!(data[1]["status"], "cancelled");
    assert_eq!(text.matches("event: status").count(), 2);
    app.request(
        Method::GET,
        &format!("/v1/orders/{id}/events"),
        Some(&agent),
        &[("accept", "image/png")],
        None,
    )
    .await
    .problem(StatusCode::NOT_ACCEPTABLE, "not_acceptable");
}

#[tokio::test]
async fn operators_set_stock_levels() {
    let app = TestApp::demo().await;
    let ops = operator(&app);
    let set = app
        .request(
            Method::PUT,
            &format!("/v1/admin/stock/{COAT}"),
            Some(&ops),
            &[],
            Some(r#"{"quantity": 3}"#),
        )
        .await
        .expect(StatusCode::OK, "stock-level", app.contract());
    assert_eq!(set, json!({"sku": COAT, "quantity": 3}));
    assert_eq!(app.stock(COAT).await, Some(3));
    app.request(
        Method::PUT,
        &format!("/v1/admin/stock/{COAT}"),
        Some(&ops),
        &[],
        Some(r#"{"quantity": -1}"#),
    )
    .await
    .problem(StatusCode::BAD_REQUEST, "validation_failed");
    app.request(
        Method::PUT,
        "/v1/admin/stock/not%20a%20sku",
        Some(&ops),
        &[],
        Some(r#"{"quantity": 1}"#),
    )
    .await
    .problem(StatusCode::BAD_REQUEST, "invalid_path");
}
