//! What an agent reads before it has a token.

use axum::http::StatusCode;
use b2a_model::{Capability, Role};

use crate::support::{PUBLIC_URL, TestApp};

#[tokio::test]
async fn the_manifest_tells_an_agent_how_to_start() {
    let app = TestApp::demo().await;
    let c = app.contract();
    let m = app
        .get("/.well-known/b2a", None)
        .await
        .expect(StatusCode::OK, "manifest", c);
    assert_eq!(m["brand"]["name"], "Maison Vercors");
    assert_eq!(m["issuer"], PUBLIC_URL);
    assert_eq!(m["audience"], PUBLIC_URL);
    assert_eq!(m["jwks_uri"], format!("{PUBLIC_URL}/.well-known/jwks.json"));
    assert_eq!(
        m["token"]["algorithms"],
        serde_json::json!(["EdDSA", "ES256"])
    );
    assert_eq!(m["catalog_access"], "token");
    assert_eq!(
        m["limits"]["rate"]["orders"],
        serde_json::json!({"per_second": 100_000, "burst": 100_000})
    );
    assert_eq!(
        m["token"]["introspection"],
        format!("{PUBLIC_URL}/v1/tokens/self")
    );

    let jwks = app
        .get("/.well-known/jwks.json", None)
        .await
        .expect(StatusCode::OK, "jwks", c);
    assert_eq!(
        jwks["keys"][0]["kid"],
        app.state.governance.tokens().keys().active().kid
    );

    let health = app
        .get("/healthz", None)
        .await
        .expect(StatusCode::OK, "health", c);
    assert_eq!(health["catalog_version"], 1);
}

#[tokio::test]
async fn the_wire_contract_is_published() {
    let app = TestApp::demo().await;
    let openapi = app.get("/openapi.json", None).await;
    assert_eq!(openapi.status, StatusCode::OK);
    let doc = openapi.body;
    assert_eq!(doc["openapi"], "3.1.0");
    for route in b2a_contract::ROUTES {
        assert!(
            doc["paths"][route.path][route.method].is_object(),
            "{} {} is documented",
            route.method,
            route.path
        );
    }
    for name in app.contract().names() {
        let served = app.get(&format!("/schemas/{name}.json"), None).await;
        assert_eq!(served.status, StatusCode::OK);
        assert_eq!(Some(&served.body), app.contract().schema(name));
    }
    app.get("/schemas/nope.json", None)
        .await
        .problem(StatusCode::NOT_FOUND, "not_found");
}

#[tokio::test]
async fn an_auditor_token_reads_the_log_and_nothing_else() {
    let app = TestApp::demo().await;
    let auditor = app.auditor();
    app.get("/v1/audit/entries?limit=2", Some(&auditor))
        .await
        .expect(StatusCode::OK, "audit-page", app.contract());
    app.get("/v1/products", Some(&auditor))
        .await
        .problem(StatusCode::FORBIDDEN, "insufficient_capability");
    let p = app
        .get("/v1/audit/entries?limit=0", Some(&auditor))
        .await
        .problem(StatusCode::BAD_REQUEST, "invalid_query");
    assert_eq!(p["pointer"], "limit");
    // Paging through the log returns every entry once, in order.
    let everything = app
        .get("/v1/audit/entries?limit=500", Some(&auditor))
        .await
        .expect(StatusCode::OK, "audit-page", app.contract());
    let first = app
        .get("/v1/audit/entries?limit=1", Some(&auditor))
        .await
        .expect(StatusCode::OK, "audit-page", app.contract());
    let cursor = first["next_cursor"]
        .as_str()
        .expect("more entries")
        .to_owned();
    let rest = app
        .get(
            &format!("/v1/audit/entries?limit=500&cursor={cursor}"),
            Some(&auditor),
        )
        .await
        .expect(StatusCode::OK, "audit-page", app.contract());
    let mut paged = first["items"].as_array().expect("items").clone();
    paged.extend(rest["items"].as_array().expect("items").iter().cloned());
    assert_eq!(&paged, everything["items"].as_array().expect("items"));
    // An operator token may read the log too; an agent token may not.
    let operator = app.token(Role::Operator, "op-1", &[Capability::AuditRead]);
    app.get("/v1/audit/entries?limit=1", Some(&operator))
        .await
        .expect(StatusCode::OK, "audit-page", app.contract());
}
