//! The gateway on a real socket, spoken to by a real HTTP client.

use serde_json::{Value, json};

use crate::support::TestApp;

#[tokio::test]
async fn the_flow_works_over_tcp() {
    let app = TestApp::demo().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(b2a_server::serve(
        listener,
        b2a_server::router(app.state.clone()),
        async {
            let _ = stopped.await;
        },
    ));
    let base = format!("http://{addr}");
    let http = reqwest::Client::new();
    let token = app.agent("tcp-shopper");
    let c = app.contract();

    let manifest: Value = http
        .get(format!("{base}/.well-known/b2a"))
        .send()
        .await
        .expect("manifest")
        .json()
        .await
        .expect("json");
    c.validate("manifest", &manifest)
        .expect("manifest validates");

    let page: Value = http
        .get(format!("{base}/v1/products"))
        .query(&[
            ("q", "work shoes"),
            ("max_price", "15000"),
            ("currency", "EUR"),
        ])
        .bearer_auth(&token)
        .send()
        .await
        .expect("search")
        .json()
        .await
        .expect("json");
    c.validate("product-page", &page).expect("page validates");
    let sku = page["items"]
        .as_array()
        .and_then(|i| i.iter().find(|i| i["availability"] == "InStock"))
        .expect("a shoe")["sku"]
        .clone();

    let quote = http
        .post(format!("{base}/v1/quotes"))
        .bearer_auth(&token)
        .json(&json!({"lines": [{"sku": sku, "quantity": 1}], "ship_to": {"country": "BE"}}))
        .send()
        .await
        .expect("quote");
    assert_eq!(quote.status(), 201);
    let quote: Value = quote.json().await.expect("json");
    c.validate("quote", &quote).expect("quote validates");
    let accepted = http
        .post(format!(
            "{base}/v1/quotes/{}/accept",
            quote["id"].as_str().expect("id")
        ))
        .bearer_auth(&token)
        .send()
        .await
        .expect("accept");
    assert_eq!(accepted.status(), 200);

    let order = http
        .post(format!("{base}/v1/orders"))
        .bearer_auth(&token)
        .header("Idempotency-Key", "tcp-1")
        .json(&json!({"quote_id": quote["id"]}))
        .send()
        .await
        .expect("order");
    assert_eq!(order.status(), 201);
    let order: Value = order.json().await.expect("json");
    c.validate("order", &order).expect("order validates");
    assert_eq!(order["ship_to"], "BE");

    let missing = http
        .get(format!(
            "{base}/v1/orders/{}",
            order["id"].as_str().expect("id")
        ))
        .send()
        .await
        .expect("get");
    assert_eq!(missing.status(), 401);
    assert_eq!(
        missing
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/problem+json")
    );
    assert!(missing.headers().get("www-authenticate").is_some());

    let _ = stop.send(());
    server.await.expect("server task").expect("served");
}
