//! `/v1/sparql`: read-only, the published catalog only, bounded in time, rows and concurrency.

use std::sync::Arc;

use axum::http::{Method, StatusCode};
use b2a_model::{Capability, Role};
use serde_json::Value;

use crate::support::TestApp;

fn encode(q: &str) -> String {
    q.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

async fn select(app: &TestApp, token: &str, query: &str) -> crate::support::TestResponse {
    app.get(&format!("/v1/sparql?query={}", encode(query)), Some(token))
        .await
}

fn first_value(results: &Value, var: &str) -> String {
    results["results"]["bindings"][0][var]["value"]
        .as_str()
        .expect("a binding")
        .to_owned()
}

/// A query that keeps the evaluator reading the store for far longer than the test timeout.
const RUNAWAY: &str =
    "SELECT (COUNT(*) AS ?n) WHERE { ?a (<urn:x>|!<urn:x>)* ?b . ?b (<urn:x>|!<urn:x>)* ?c }";

#[tokio::test]
async fn agents_query_the_published_catalog_in_the_syntax_they_accept() {
    let app = TestApp::demo().await;
    let c = app.contract();
    let agent = app.agent("sparql-1");
    let count = select(&app, &agent, "PREFIX schema: <https://schema.org/> SELECT (COUNT(?p) AS ?n) WHERE { ?p a schema:Product }").await;
    assert_eq!(
        count.header("content-type"),
        Some("application/sparql-results+json")
    );
    let count = count.expect(StatusCode::OK, "sparql-results", c);
    assert_eq!(first_value(&count, "n"), "373");

    let csv = app
        .request(
            Method::GET,
            &format!(
                "/v1/sparql?query={}",
                encode("SELECT ?s WHERE { ?s a <https://schema.org/Brand> }")
            ),
            Some(&agent),
            &[("accept", "text/csv")],
            None,
        )
        .await;
    assert_eq!(csv.status, StatusCode::OK);
    assert_eq!(csv.header("content-type"), Some("text/csv; charset=utf-8"));

    // POST with a query body and with a form.
    let body = app
        .request(
            Method::POST,
            "/v1/sparql",
            Some(&agent),
            &[("content-type", "application/sparql-query")],
            Some("ASK { ?s a <https://schema.org/Offer> }"),
        )
        .await
        .expect(StatusCode::OK, "sparql-results", c);
    assert_eq!(body["boolean"], true);
    let form = format!(
        "query={}",
        encode("SELECT ?n WHERE { <https://vercors.example/brand> <https://schema.org/name> ?n }")
    );
    let form = app
        .request(
            Method::POST,
            "/v1/sparql",
            Some(&agent),
            &[("content-type", "application/x-www-form-urlencoded")],
            Some(&form),
        )
        .await
        .expect(StatusCode::OK, "sparql-results", c);
    assert_eq!(first_value(&form, "n"), "Maison Vercors");

    // Results stop at the row cap, and say so.
    let all = select(&app, &agent, "SELECT * WHERE { ?s ?p ?o }").await;
    assert_eq!(all.header("b2a-truncated"), Some("true"));
    assert_eq!(all.header("b2a-rows"), Some("1000"));
    let all = all.expect(StatusCode::OK, "sparql-results", c);
    assert_eq!(
        all["results"]["bindings"].as_array().map(Vec::len),
        Some(1000)
    );

    app.request(
        Method::GET,
        &format!("/v1/sparql?query={}", encode("ASK {}")),
        Some(&agent),
        &[("accept", "image/png")],
        None,
    )
    .await
    .problem(StatusCode::NOT_ACCEPTABLE, "not_acceptable");
}

#[tokio::test]
async fn queries_see_the_public_version_and_nothing_else() {
    let app = TestApp::demo().await;
    let agent = app.agent("sparql-1");
    let c = app.contract();
    let published = app
        .state
        .shop
        .catalog()
        .published_version()
        .expect("published");
    let triples = app
        .state
        .shop
        .catalog()
        .triple_count(published)
        .expect("count");
    let visible = select(&app, &agent, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
        .await
        .expect(StatusCode::OK, "sparql-results", c);
    assert_eq!(
        first_value(&visible, "n"),
        triples.to_string(),
        "exactly the published version"
    );
    for q in [
        "SELECT ?g WHERE { GRAPH ?g { ?s ?p ?o } }",
        "SELECT * FROM <urn:b2a:system> WHERE { ?s <urn:b2a:published> ?o }",
        "SELECT * FROM NAMED <urn:b2a:catalog:v1> WHERE { GRAPH ?g { ?s ?p ?o } }",
        "SELECT ?s WHERE { ?s ?p ?o FILTER(CONTAINS(LCASE(STR(?p)), \"cost\") || CONTAINS(LCASE(STR(?p)), \"floor\")) }",
    ] {
        let r = select(&app, &agent, q)
            .await
            .expect(StatusCode::OK, "sparql-results", c);
        assert_eq!(r["results"]["bindings"], serde_json::json!([]), "{q}");
    }
}

#[tokio::test]
async fn updates_services_and_bad_queries_are_refused() {
    let app = TestApp::demo().await;
    let agent = app.agent("sparql-1");
    let before = app.state.shop.catalog().triple_count(1).expect("count");
    select(&app, &agent, "INSERT DATA { <urn:x> <urn:y> <urn:z> }")
        .await
        .problem(StatusCode::BAD_REQUEST, "sparql_update_not_allowed");
    app.get(
        &format!("/v1/sparql?update={}", encode("CLEAR ALL")),
        Some(&agent),
    )
    .await
    .problem(StatusCode::BAD_REQUEST, "sparql_update_not_allowed");
    app.request(
        Method::POST,
        "/v1/sparql",
        Some(&agent),
        &[("content-type", "application/sparql-update")],
        Some("CLEAR ALL"),
    )
    .await
    .problem(StatusCode::BAD_REQUEST, "sparql_update_not_allowed");
    assert_eq!(
        app.state.shop.catalog().triple_count(1).expect("count"),
        before
    );
    select(
        &app,
        &agent,
        "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }",
    )
    .await
    .problem(StatusCode::BAD_REQUEST, "sparql_service_not_allowed");
    let p = select(&app, &agent, "SELEKT * WHERE { ?s ?p ?o }")
        .await
        .problem(StatusCode::BAD_REQUEST, "sparql_malformed");
    assert_eq!(p["pointer"], "query");
    app.get("/v1/sparql", Some(&agent))
        .await
        .problem(StatusCode::BAD_REQUEST, "sparql_malformed");
    app.get(
        &format!(
            "/v1/sparql?query=ASK%7B%7D&default-graph-uri={}",
            encode("urn:b2a:system")
        ),
        Some(&agent),
    )
    .await
    .problem(StatusCode::BAD_REQUEST, "sparql_dataset_not_allowed");
    app.request(
        Method::POST,
        "/v1/sparql",
        Some(&agent),
        &[("content-type", "text/plain")],
        Some("ASK {}"),
    )
    .await
    .problem(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type");
    let no_sparql = app.token(Role::Agent, "reader", &[Capability::CatalogRead]);
    select(&app, &no_sparql, "ASK {}")
        .await
        .problem(StatusCode::FORBIDDEN, "insufficient_capability");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_runaway_query_is_stopped_and_the_gateway_keeps_serving() {
    let app = Arc::new(TestApp::demo().await);
    let agent = app.agent("sparql-1");
    let runaway = {
        let (app, agent) = (Arc::clone(&app), agent.clone());
        tokio::spawn(async move { select(&app, &agent, RUNAWAY).await })
    };
    // While it runs, agents keep shopping.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let other = app.agent("shopper");
    app.get("/v1/products?q=coat&limit=5", Some(&other))
        .await
        .expect(StatusCode::OK, "product-page", app.contract());
    let p = runaway
        .await
        .expect("task")
        .problem(StatusCode::UNPROCESSABLE_ENTITY, "sparql_timeout");
    assert!(
        p["detail"].as_str().is_some_and(|d| d.contains("2s")),
        "{p}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn each_agent_runs_a_bounded_number_of_queries_at_once() {
    let app = Arc::new(TestApp::demo().await);
    let agent = app.agent("greedy");
    let running: Vec<_> = (0..2)
        .map(|_| {
            let (app, agent) = (Arc::clone(&app), agent.clone());
            tokio::spawn(async move { select(&app, &agent, RUNAWAY).await })
        })
        .collect();
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let third = select(&app, &agent, "ASK {}").await;
    assert_eq!(third.header("retry-after"), Some("1"));
    third.problem(StatusCode::TOO_MANY_REQUESTS, "rate_limited");
    let polite = app.agent("polite");
    select(&app, &polite, "ASK {}")
        .await
        .expect(StatusCode::OK, "sparql-results", app.contract());
    for r in running {
        r.await
            .expect("task")
            .problem(StatusCode::UNPROCESSABLE_ENTITY, "sparql_timeout");
    }
    // A stopped query frees its agent's permit once its thread has noticed the cancellation
    // (seconds on a loaded machine).
    let mut answer = select(&app, &agent, "ASK {}").await;
    for _ in 0..300 {
        if answer.status != StatusCode::TOO_MANY_REQUESTS {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        answer = select(&app, &agent, "ASK {}").await;
    }
    answer.expect(StatusCode::OK, "sparql-results", app.contract());
}

/// A cross product computed in memory: the evaluator reads no store while it counts, so it
/// notices cancellation late or never.
fn in_memory_runaway() -> String {
    let values: String = (0..60).map(|i| format!("{i} ")).collect();
    let blocks: String = ["a", "b", "c", "d", "e", "f"]
        .iter()
        .map(|v| format!("VALUES ?{v} {{ {values} }} "))
        .collect();
    format!("SELECT (COUNT(*) AS ?n) WHERE {{ {blocks} }}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_query_busy_in_memory_is_answered_at_its_deadline() {
    let app = Arc::new(TestApp::demo().await);
    let agent = app.agent("sparql-2");
    let started = std::time::Instant::now();
    let runaway = {
        let (app, agent) = (Arc::clone(&app), agent.clone());
        tokio::spawn(async move { select(&app, &agent, &in_memory_runaway()).await })
    };
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    app.get("/v1/products?q=coat&limit=5", Some(&app.agent("shopper")))
        .await
        .expect(StatusCode::OK, "product-page", app.contract());
    runaway
        .await
        .expect("task")
        .problem(StatusCode::UNPROCESSABLE_ENTITY, "sparql_timeout");
    // 60^6 rows would take hours; the answer comes at the 2 s deadline, not when they are done.
    assert!(
        started.elapsed() < std::time::Duration::from_secs(30),
        "answered after {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_function_the_endpoint_does_not_provide_is_the_agents_mistake() {
    let app = TestApp::demo().await;
    let agent = app.agent("sparql-fn");
    for query in [
        "SELECT ?x WHERE { BIND(<http://example.org/fn#discount>(1) AS ?x) }",
        "SELECT ?o WHERE { ?s ?p ?o FILTER(<http://example.org/fn#cheap>(?o)) } LIMIT 1",
        "SELECT ?x WHERE { BIND(<http://www.w3.org/2001/XMLSchema#integer>(1, 2) AS ?x) }",
    ] {
        let p = select(&app, &agent, query)
            .await
            .problem(StatusCode::BAD_REQUEST, "sparql_function_unsupported");
        assert_eq!(p["pointer"], "query");
    }
    // The same query by POST.
    app.request(
        Method::POST,
        "/v1/sparql",
        Some(&agent),
        &[("content-type", "application/sparql-query")],
        Some("ASK { BIND(<http://example.org/fn#f>() AS ?x) }"),
    )
    .await
    .problem(StatusCode::BAD_REQUEST, "sparql_function_unsupported");
}
