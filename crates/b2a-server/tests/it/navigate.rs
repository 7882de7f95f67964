//! Navigating the graph: the taxonomy and a product's relations.

use axum::http::StatusCode;
use serde_json::Value;

use crate::support::TestApp;

fn ids(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["id"].as_str().expect("id").to_owned())
        .collect()
}

#[tokio::test]
async fn the_taxonomy_lists_every_category_with_its_parent_and_counts() {
    let app = TestApp::demo().await;
    let agent = app.agent("nav");
    let cats = app.get("/v1/categories", Some(&agent)).await.expect(
        StatusCode::OK,
        "categories",
        app.contract(),
    );
    let items = cats["items"].as_array().expect("items");
    assert_eq!(items.len(), 17);
    let find = |id: &str| {
        items
            .iter()
            .find(|c| c["id"] == id)
            .cloned()
            .expect("category")
    };
    let root = find("catalog");
    assert_eq!(root["parent"], Value::Null);
    assert_eq!(
        root["products"], 373,
        "the root counts every sellable product"
    );
    assert_eq!(find("winter-boots")["parent"], "footwear");
    assert_eq!(find("footwear")["names"]["fr"], "Chaussures");
    // A parent counts exactly its children's products.
    let children: i64 = items
        .iter()
        .filter(|c| c["parent"] == "footwear")
        .map(|c| c["products"].as_i64().expect("count"))
        .sum();
    assert_eq!(find("footwear")["products"].as_i64(), Some(children));
    // Each leaf's count is what the search filter finds.
    let search = app
        .get("/v1/products?category=winter-boots&limit=100", Some(&agent))
        .await
        .expect(StatusCode::OK, "product-page", app.contract());
    assert_eq!(
        Some(ids(&search).len() as i64),
        find("winter-boots")["products"].as_i64()
    );
}

#[tokio::test]
async fn relations_lead_to_variants_accessories_and_similar_items() {
    let app = TestApp::demo().await;
    let c = app.contract();
    let agent = app.agent("nav");

    let siblings = app
        .get("/v1/products/VC-CHMCOAT-BLK-M/related", Some(&agent))
        .await
        .expect(StatusCode::OK, "related", c);
    assert_eq!(siblings["rel"], "variant");
    let sibling_ids = ids(&siblings);
    assert!(
        !sibling_ids.is_empty()
            && sibling_ids
                .iter()
                .all(|i| i.starts_with("VC-CHMCOAT-") && i != "VC-CHMCOAT-BLK-M"),
        "{sibling_ids:?}"
    );
    let group = app
        .get("/v1/products/VC-CHMCOAT/related?rel=variant", Some(&agent))
        .await
        .expect(StatusCode::OK, "related", c);
    assert_eq!(
        ids(&group).len(),
        sibling_ids.len() + 1,
        "the group lists every variant"
    );
    assert!(
        group["items"]
            .as_array()
            .expect("items")
            .iter()
            .all(|i| i["kind"] == "product" && i["price"]["currency"] == "EUR")
    );

    // Similar items are declared between groups; a variant reaches them through its group.
    let similar = app
        .get(
            "/v1/products/VC-CHMCOAT-BLK-M/related?rel=similar",
            Some(&agent),
        )
        .await
        .expect(StatusCode::OK, "related", c);
    let similar_ids = ids(&similar);
    assert!(!similar_ids.is_empty(), "the coat has similar coats");
    assert!(
        !similar_ids.contains(&"VC-CHMCOAT".to_owned()),
        "an item is not similar to itself"
    );

    // Accessories declared for the group reach its variants; other products' accessories don't.
    let coat = app
        .get(
            "/v1/products/VC-CHMCOAT-BLK-M/related?rel=accessory",
            Some(&agent),
        )
        .await
        .expect(StatusCode::OK, "related", c);
    let shoe = app
        .get(
            "/v1/products/VC-FONDRB-BLK-42/related?rel=accessory",
            Some(&agent),
        )
        .await
        .expect(StatusCode::OK, "related", c);
    assert!(
        !ids(&coat).is_empty() && !ids(&shoe).is_empty(),
        "the demo gives both accessories"
    );
    assert!(
        ids(&coat).iter().all(|i| !ids(&shoe).contains(i)),
        "a coat's accessories are not a shoe's: {:?} {:?}",
        ids(&coat),
        ids(&shoe)
    );

    app.get("/v1/products/VC-CHMCOAT/related?rel=cousin", Some(&agent))
        .await
        .problem(StatusCode::BAD_REQUEST, "invalid_query");
    app.get("/v1/products/VC-NOPE/related", Some(&agent))
        .await
        .problem(StatusCode::NOT_FOUND, "product_not_found");
}
