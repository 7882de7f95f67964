//! The MCP endpoint's door and tool list, in-process (the whole session with the official SDK
//! as the client is b2a-cli's `mcp` test): the token is required and a refusal points at the
//! resource metadata; a foreign `Origin` is refused; `tools/list` follows the token.

use axum::http::StatusCode;
use b2a_model::{Capability, Role};
use serde_json::{Value, json};

use crate::support::{PUBLIC_URL, TestApp, TestResponse};

/// Headers of a stateless (2026-07-28) request for `method`.
fn stateless(method: &'static str) -> Vec<(&'static str, &'static str)> {
    vec![
        ("host", "b2a.test"),
        ("accept", "application/json, text/event-stream"),
        ("mcp-protocol-version", "2026-07-28"),
        ("mcp-method", method),
    ]
}

/// The `WWW-Authenticate` challenge of a response.
fn challenge_of(resp: &TestResponse) -> String {
    resp.headers["www-authenticate"]
        .to_str()
        .expect("ASCII")
        .to_owned()
}

/// A stateless JSON-RPC request's body.
fn message(method: &str) -> String {
    json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": {"_meta": {
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientCapabilities": {}}}})
    .to_string()
}

/// The names `tools/list` gives the holder of `token`.
async fn listed(app: &TestApp, token: &str) -> Vec<String> {
    let headers = stateless("tools/list");
    let resp = app
        .post("/mcp", Some(token), &headers, &message("tools/list"))
        .await;
    assert_eq!(resp.status, StatusCode::OK, "{}", resp.body);
    let text = resp.body.as_str().expect("an event stream").to_owned();
    let data = text
        .lines()
        .filter_map(|l| l.strip_prefix("data:"))
        .map(str::trim)
        .find(|d| !d.is_empty())
        .expect("a message");
    let answer: Value = serde_json::from_str(data).expect("JSON-RPC");
    let mut names: Vec<String> = answer["result"]["tools"]
        .as_array()
        .expect("tools")
        .iter()
        .map(|t| t["name"].as_str().expect("name").to_owned())
        .collect();
    names.sort_unstable();
    names
}

#[tokio::test]
async fn a_request_without_a_valid_token_is_pointed_at_the_resource_metadata() {
    let app = TestApp::demo().await;
    let metadata = format!("{PUBLIC_URL}/.well-known/oauth-protected-resource");
    let missing = app.post("/mcp", None, &[], &message("tools/list")).await;
    let challenge = challenge_of(&missing);
    missing.problem(StatusCode::UNAUTHORIZED, "missing_token");
    assert!(
        challenge.starts_with("Bearer ")
            && challenge.contains(&format!("resource_metadata=\"{metadata}\"")),
        "{challenge}"
    );
    assert!(
        !challenge.contains("error="),
        "no token, no error: {challenge}"
    );

    let bad = app
        .post("/mcp", Some("not.a.token"), &[], &message("tools/list"))
        .await;
    let challenge = challenge_of(&bad);
    bad.problem(StatusCode::UNAUTHORIZED, "token_malformed");
    assert!(
        challenge.contains(r#"error="invalid_token""#),
        "{challenge}"
    );

    let doc = app
        .get("/.well-known/oauth-protected-resource", None)
        .await
        .expect(StatusCode::OK, "protected-resource", app.contract());
    assert_eq!(doc["resource"], format!("{PUBLIC_URL}/mcp"));
    assert_eq!(doc["authorization_servers"][0], PUBLIC_URL);
}

#[tokio::test]
async fn a_page_of_another_origin_is_refused() {
    let app = TestApp::demo().await;
    let token = app.agent("mcp-agent");
    let p = app
        .post(
            "/mcp",
            Some(&token),
            &[("origin", "https://elsewhere.example")],
            &message("tools/list"),
        )
        .await
        .problem(StatusCode::FORBIDDEN, "origin_not_allowed");
    assert_eq!(p["pointer"], "Origin");
    let mut own = stateless("tools/list");
    own.push(("origin", PUBLIC_URL));
    let resp = app
        .post("/mcp", Some(&token), &own, &message("tools/list"))
        .await;
    assert_eq!(
        resp.status,
        StatusCode::OK,
        "the gateway's own origin is served"
    );
}

#[tokio::test]
async fn tools_list_shows_what_the_token_allows() {
    let app = TestApp::demo().await;
    let all = listed(&app, &app.agent("mcp-agent")).await;
    assert_eq!(all.len(), b2a_contract::TOOLS.len(), "{all:?}");
    let reader = app.token(Role::Agent, "mcp-reader", &[Capability::CatalogRead]);
    assert_eq!(
        listed(&app, &reader).await,
        [
            "get_pricing_policy",
            "get_product",
            "get_related_products",
            "get_token_status",
            "list_categories",
            "search_products"
        ]
    );
}
