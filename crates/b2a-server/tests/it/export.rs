//! `/v1/catalog`: the whole public catalog, nothing else, cacheable by version.

use axum::http::{Method, StatusCode};
use b2a_graph::{CatalogStore, JsonLdProfileSet, RdfFormat};
use b2a_model::Role;

use crate::support::TestApp;

/// Parses an export back and counts its triples.
fn triples(format: RdfFormat, body: &str) -> usize {
    let store = CatalogStore::in_memory().expect("store");
    let v = store
        .load_version(format, body.as_bytes())
        .expect("the export parses");
    store.triple_count(v).expect("count")
}

#[tokio::test]
async fn the_export_is_exactly_the_published_public_graph_in_three_syntaxes() {
    let app = TestApp::demo().await;
    let agent = app.agent("exporter");
    let published = app.state.shop.catalog().triple_count(1).expect("count");
    for (accept, format, ext) in [
        ("text/turtle", RdfFormat::Turtle, "ttl"),
        ("application/n-triples", RdfFormat::NTriples, "nt"),
        (
            "application/ld+json",
            RdfFormat::JsonLd {
                profile: JsonLdProfileSet::empty(),
            },
            "jsonld",
        ),
    ] {
        let resp = app
            .request(
                Method::GET,
                "/v1/catalog",
                Some(&agent),
                &[("accept", accept)],
                None,
            )
            .await;
        assert_eq!(resp.status, StatusCode::OK);
        assert_eq!(
            resp.header("etag"),
            Some(format!("\"catalog-v1-{ext}\"").as_str())
        );
        assert!(
            resp.header("content-type")
                .is_some_and(|t| t.starts_with(accept)),
            "{:?}",
            resp.header("content-type")
        );
        let body = match &resp.body {
            serde_json::Value::String(text) => text.clone(),
            json => json.to_string(),
        };
        assert_eq!(
            triples(format, &body),
            published,
            "{accept}: the published graph, whole, and nothing else"
        );
    }
    app.request(
        Method::GET,
        "/v1/catalog",
        Some(&agent),
        &[("accept", "image/png")],
        None,
    )
    .await
    .problem(StatusCode::NOT_ACCEPTABLE, "not_acceptable");
    app.get("/v1/catalog", None)
        .await
        .problem(StatusCode::UNAUTHORIZED, "missing_token");
}

#[tokio::test]
async fn a_cached_copy_stays_valid_until_another_version_is_published() {
    let app = TestApp::demo().await;
    let agent = app.agent("exporter");
    let first = app.get("/v1/catalog", Some(&agent)).await;
    let etag = first.header("etag").expect("etag").to_owned();
    let again = app
        .request(
            Method::GET,
            "/v1/catalog",
            Some(&agent),
            &[("if-none-match", &etag)],
            None,
        )
        .await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);
    assert_eq!(again.body, serde_json::Value::Null);

    let op = app.token(Role::Operator, "op", &[]);
    let demo = include_str!("../../../../graph-data/demo/catalog.ttl");
    app.upload_catalog(&op, "text/turtle", demo).await.expect(
        StatusCode::CREATED,
        "catalog-version",
        app.contract(),
    );
    app.post_empty("/v1/admin/catalog/versions/2/publish", Some(&op))
        .await
        .expect(StatusCode::OK, "publish-report", app.contract());
    let fresh = app
        .request(
            Method::GET,
            "/v1/catalog",
            Some(&agent),
            &[("if-none-match", &etag)],
            None,
        )
        .await;
    assert_eq!(fresh.status, StatusCode::OK);
    assert_eq!(fresh.header("etag"), Some("\"catalog-v2-ttl\""));
}
