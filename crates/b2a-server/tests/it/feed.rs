//! Operators upload product feeds (CSV, JSON Lines): the feed becomes a catalog version, its
//! stock goes to the ledger, its faults are answered with their lines.

use axum::http::{Method, StatusCode};
use b2a_model::Role;

use crate::support::TestApp;

const FEED_CSV: &str = include_str!("../../../../graph-data/examples/feed.csv");
const FEED_JSONL: &str = include_str!("../../../../graph-data/examples/feed.jsonl");

#[tokio::test]
async fn an_operator_uploads_a_csv_feed_that_agents_then_find_and_order() {
    let app = TestApp::demo().await;
    let c = app.contract();
    let op = app.token(Role::Operator, "op-1", &[]);
    let agent = app.agent("shopper-1");
    let demo_jacket = app.stock("VC-ALPJKT-BLK-M").await;
    assert!(demo_jacket.is_some(), "the demo stocks this SKU");
    assert_eq!(app.stock("VC-MOUCH35").await, None);

    let resp = app
        .upload_catalog(&op, "text/csv; charset=utf-8", FEED_CSV)
        .await;
    assert_eq!(
        resp.header("location"),
        Some("/v1/admin/catalog/versions/2")
    );
    let v2 = resp.expect(StatusCode::CREATED, "catalog-version", c);
    assert_eq!(v2["validation"]["valid"], true, "{}", v2["validation"]);
    assert_eq!(v2["products"], 8);
    assert_eq!(v2["published"], false);

    // The stock column went to the ledger at load time: new SKUs get the feed's level, SKUs
    // already stocked keep theirs.
    assert_eq!(app.stock("VC-MOUCH35").await, Some(12));
    assert_eq!(app.stock("VC-RAINCOV-M").await, Some(3));
    assert_eq!(app.stock("VC-BOURAIN").await, None, "no stock cell");
    assert_eq!(app.stock("VC-ALPJKT-BLK-M").await, demo_jacket);

    app.post_empty("/v1/admin/catalog/versions/2/publish", Some(&op))
        .await
        .expect(StatusCode::OK, "publish-report", c);
    let page = app
        .get("/v1/products?q=moucherolle", Some(&agent))
        .await
        .expect(StatusCode::OK, "product-page", c);
    let items = page["items"].as_array().expect("items");
    assert_eq!(items.len(), 1, "{page}");
    assert_eq!(items[0]["sku"], "VC-MOUCH35");
    assert_eq!(items[0]["price"]["amount"], 9_900);
    let product = app
        .get("/v1/products/VC-MOUCH35", Some(&agent))
        .await
        .expect(StatusCode::OK, "product", c);
    assert!(
        !product.to_string().contains("\"stock\""),
        "stock is never published: {product}"
    );

    let quote = app.quote(&agent, "VC-MOUCH35", 2).await;
    assert_eq!(quote["total"]["amount"], 19_800);
    let quote_id = quote["id"].as_str().expect("id");
    app.order(&agent, quote_id, "feed-order-1")
        .await
        .expect(StatusCode::CREATED, "order", c);
    assert_eq!(app.stock("VC-MOUCH35").await, Some(10));

    // Loading the feed again does not reset the inventory orders have used.
    app.upload_catalog(&op, "application/jsonl", FEED_JSONL)
        .await
        .expect(StatusCode::CREATED, "catalog-version", c);
    assert_eq!(app.stock("VC-MOUCH35").await, Some(10));
}

#[tokio::test]
async fn a_faulty_feed_is_refused_with_its_lines_and_stores_nothing() {
    let app = TestApp::demo().await;
    let c = app.contract();
    let op = app.token(Role::Operator, "op-1", &[]);

    let bad = "id,title,price,currency,availability,stock,colour\n\
               A-1,One,1.00,EUR,in_stock,3,red\n";
    let p = app
        .upload_catalog(&op, "text/csv", bad)
        .await
        .problem(StatusCode::UNPROCESSABLE_ENTITY, "catalog_unparsable");
    let detail = p["detail"].as_str().expect("detail");
    assert!(
        detail.contains("upload: line 1: colour: unknown column"),
        "{detail}"
    );

    let bad = "{\"id\":\"A-1\",\"title\":\"One\",\"price\":\"12,50\",\"currency\":\"EUR\",\"availability\":\"in_stock\",\"stock\":4}\n\
               not json\n";
    let p = app
        .upload_catalog(&op, "application/x-ndjson", bad)
        .await
        .problem(StatusCode::UNPROCESSABLE_ENTITY, "catalog_unparsable");
    let detail = p["detail"].as_str().expect("detail");
    for line in [
        "upload: 2 errors in the feed",
        "upload: line 1: price: \"12,50\" is not a decimal number such as 12.50",
        "upload: line 2: invalid JSON",
    ] {
        assert!(detail.contains(line), "`{line}` in {detail}");
    }
    assert_eq!(
        app.stock("A-1").await,
        None,
        "a refused feed seeds no stock"
    );

    app.request(
        Method::POST,
        "/v1/admin/catalog/versions?base=not%20an%20iri",
        Some(&op),
        &[("content-type", "text/csv")],
        Some(FEED_CSV),
    )
    .await
    .problem(StatusCode::BAD_REQUEST, "invalid_query");
    let p = app
        .upload_catalog(&op, "application/pdf", "x")
        .await
        .problem(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type");
    assert!(
        p["detail"].as_str().is_some_and(|d| d.contains("text/csv")),
        "{p}"
    );

    let list = app
        .get("/v1/admin/catalog/versions", Some(&op))
        .await
        .expect(StatusCode::OK, "catalog-versions", c);
    assert_eq!(
        list["items"].as_array().map(Vec::len),
        Some(1),
        "refused uploads stored nothing"
    );

    // With a base, the feed's nodes are named under it.
    let v = app
        .request(
            Method::POST,
            "/v1/admin/catalog/versions?base=https://vercors.example",
            Some(&op),
            &[("content-type", "application/jsonl")],
            Some(FEED_JSONL),
        )
        .await
        .expect(StatusCode::CREATED, "catalog-version", c);
    assert_eq!(v["validation"]["valid"], true, "{}", v["validation"]);
    app.post_empty("/v1/admin/catalog/versions/2/publish", Some(&op))
        .await
        .expect(StatusCode::OK, "publish-report", c);
    let product = app
        .get("/v1/products/VC-VERC20", Some(&app.agent("shopper-1")))
        .await
        .expect(StatusCode::OK, "product", c);
    assert_eq!(
        product["@id"], "https://vercors.example/product/VC-VERC20",
        "{product}"
    );
}
