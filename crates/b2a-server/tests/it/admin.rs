//! Operators manage catalog versions on a running gateway.

use axum::http::StatusCode;
use b2a_model::Role;

use crate::support::TestApp;

const DEMO: &str = include_str!("../../../../graph-data/demo/catalog.ttl");
const COAT: &str = "VC-CHMCOAT-BLK-M";

async fn coat_price(app: &TestApp, agent: &str) -> i64 {
    let page = app
        .get("/v1/products?q=chamrousse&limit=100", Some(agent))
        .await
        .expect(StatusCode::OK, "product-page", app.contract());
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|i| i["sku"] == COAT)
        .expect("coat")["price"]["amount"]
        .as_i64()
        .expect("amount")
}

#[tokio::test]
async fn an_operator_uploads_publishes_and_rolls_back_while_agents_shop() {
    let app = TestApp::demo().await;
    let c = app.contract();
    let op = app.token(Role::Operator, "op-1", &[]);
    let agent = app.agent("shopper-1");
    assert_eq!(coat_price(&app, &agent).await, 17_900);

    // A new version with the coat at 169.00: uploaded, valid, not yet published.
    let repriced = DEMO.replace(
        "vco:VC-CHMCOAT-BLK-M\n    a schema:Offer ;\n    schema:price \"179.00\"",
        "vco:VC-CHMCOAT-BLK-M\n    a schema:Offer ;\n    schema:price \"169.00\"",
    );
    assert_ne!(repriced, DEMO, "the fixture edits the coat's offer");
    let resp = app.upload_catalog(&op, "text/turtle", &repriced).await;
    assert_eq!(
        resp.header("location"),
        Some("/v1/admin/catalog/versions/2")
    );
    let v2 = resp.expect(StatusCode::CREATED, "catalog-version", c);
    assert_eq!(v2["version"], 2);
    assert_eq!(v2["published"], false);
    assert_eq!(v2["validation"]["valid"], true);
    assert_eq!(
        coat_price(&app, &agent).await,
        17_900,
        "uploading does not publish"
    );

    let list = app
        .get("/v1/admin/catalog/versions", Some(&op))
        .await
        .expect(StatusCode::OK, "catalog-versions", c);
    assert_eq!(list["published"], 1);
    assert_eq!(list["items"].as_array().map(Vec::len), Some(2));

    let published = app
        .post_empty("/v1/admin/catalog/versions/2/publish", Some(&op))
        .await
        .expect(StatusCode::OK, "publish-report", c);
    assert_eq!(published["previous"], 1);
    assert_eq!(published["diff"]["changed"], 1);
    assert_eq!(published["diff"]["added"], 0);
    assert_eq!(
        coat_price(&app, &agent).await,
        16_900,
        "agents see the new version at once"
    );

    let back = app
        .post_empty("/v1/admin/catalog/rollback", Some(&op))
        .await
        .expect(StatusCode::OK, "publish-report", c);
    assert_eq!(
        (back["version"].as_u64(), back["rollback"].as_bool()),
        (Some(1), Some(true))
    );
    assert_eq!(coat_price(&app, &agent).await, 17_900);
    app.post_empty("/v1/admin/catalog/rollback", Some(&op))
        .await
        .problem(StatusCode::CONFLICT, "nothing_to_roll_back");

    let audit = app
        .get("/v1/audit/entries?limit=500", Some(&app.auditor()))
        .await
        .expect(StatusCode::OK, "audit-page", c);
    let actions: Vec<(String, String)> = audit["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|e| {
            e["action"]
                .as_str()
                .is_some_and(|a| a.starts_with("catalog."))
        })
        .map(|e| {
            (
                e["action"].as_str().unwrap_or_default().to_owned(),
                e["actor"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        actions,
        [
            ("catalog.published", "system"),
            ("catalog.published", "operator:op-1"),
            ("catalog.rolled_back", "operator:op-1")
        ]
        .map(|(a, b)| (a.to_owned(), b.to_owned()))
    );
}

#[tokio::test]
async fn bad_catalogs_are_refused_and_the_published_one_keeps_serving() {
    let app = TestApp::demo().await;
    let c = app.contract();
    let op = app.token(Role::Operator, "op-1", &[]);
    let agent = app.agent("shopper-1");

    // Invalid: stored for inspection, refused at publication with every fault listed.
    let broken = format!(
        "{DEMO}\n<https://vercors.example/product/VC-GHOST> a schema:Product ; schema:sku \"VC-GHOST\" .\n"
    );
    let v = app
        .upload_catalog(&op, "text/turtle; charset=utf-8", &broken)
        .await
        .expect(StatusCode::CREATED, "catalog-version", c);
    assert_eq!(v["validation"]["valid"], false);
    assert_eq!(v["validation"]["total"], 2, "{}", v["validation"]);
    let p = app
        .post_empty("/v1/admin/catalog/versions/2/publish", Some(&op))
        .await
        .problem(StatusCode::UNPROCESSABLE_ENTITY, "catalog_invalid");
    let fields: Vec<&str> = p["validation"]["issues"]
        .as_array()
        .expect("issues")
        .iter()
        .filter_map(|i| i["field"].as_str())
        .collect();
    assert_eq!(fields, ["name", "offers"]);
    assert_eq!(
        app.get("/healthz", None)
            .await
            .expect(StatusCode::OK, "health", c)["catalog_version"],
        1
    );
    assert_eq!(coat_price(&app, &agent).await, 17_900);

    // Unparsable, unsupported, unknown, unauthorised.
    let p = app
        .upload_catalog(&op, "text/turtle", "<a> <b> \"unterminated .")
        .await
        .problem(StatusCode::UNPROCESSABLE_ENTITY, "catalog_unparsable");
    assert!(
        p["detail"].as_str().is_some_and(|d| d.contains("upload")),
        "{p}"
    );
    app.upload_catalog(&op, "application/pdf", "x")
        .await
        .problem(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type");
    app.upload_catalog(&op, "application/ld+json", "{}")
        .await
        .problem(StatusCode::UNPROCESSABLE_ENTITY, "catalog_unparsable");
    app.get("/v1/admin/catalog/versions/99", Some(&op))
        .await
        .problem(StatusCode::NOT_FOUND, "catalog_version_not_found");
    app.get("/v1/admin/catalog/versions/latest", Some(&op))
        .await
        .problem(StatusCode::BAD_REQUEST, "invalid_path");
    app.post_empty("/v1/admin/catalog/versions/99/publish", Some(&op))
        .await
        .problem(StatusCode::NOT_FOUND, "catalog_version_not_found");
    app.upload_catalog(&agent, "text/turtle", DEMO)
        .await
        .problem(StatusCode::FORBIDDEN, "insufficient_capability");
    app.get("/v1/admin/catalog/versions", Some(&agent))
        .await
        .problem(StatusCode::FORBIDDEN, "insufficient_capability");
    let too_big = "#".repeat(5 * 1024 * 1024);
    app.upload_catalog(&op, "text/turtle", &too_big)
        .await
        .problem(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large");

    let list = app
        .get("/v1/admin/catalog/versions", Some(&op))
        .await
        .expect(StatusCode::OK, "catalog-versions", c);
    assert_eq!(
        list["items"].as_array().map(Vec::len),
        Some(2),
        "refused uploads stored nothing"
    );
}
