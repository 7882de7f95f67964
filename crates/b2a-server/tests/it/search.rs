//! `/v1/products` filters, facets, sorts and pages, and `/v1/products/{id}` in three syntaxes,
//! over HTTP.

use axum::http::{Method, StatusCode};

use crate::support::{TestApp, skus};

#[tokio::test]
async fn facets_name_the_filters_and_their_counts_hold() {
    let app = TestApp::demo().await;
    let (c, agent) = (app.contract(), app.agent("shopper-1"));
    let page = app
        .get("/v1/products?category=footwear&limit=5", Some(&agent))
        .await
        .expect(StatusCode::OK, "product-page", c);
    let total = page["total"].as_u64().expect("total");
    assert!(total > 5 && page["next_cursor"].is_string());
    let color = page["facets"]
        .as_array()
        .expect("facets")
        .iter()
        .find(|f| f["field"] == "color")
        .expect("a color facet");
    let first = &color["values"][0];
    let (value, count) = (
        first["value"].as_str().expect("value"),
        first["count"].as_u64().expect("count"),
    );
    let filtered = app
        .get(
            &format!(
                "/v1/products?category=footwear&color={}&limit=100",
                value.replace(' ', "%20")
            ),
            Some(&agent),
        )
        .await
        .expect(StatusCode::OK, "product-page", c);
    assert_eq!(filtered["total"].as_u64(), Some(count));
    assert_eq!(skus(&filtered).len() as u64, count);
}

#[tokio::test]
async fn sorted_pages_follow_each_other_and_cursors_keep_their_sort() {
    let app = TestApp::demo().await;
    let (c, agent) = (app.contract(), app.agent("shopper-1"));
    let mut prices = Vec::new();
    let mut path = "/v1/products?category=coats-jackets&sort=-price&limit=6".to_owned();
    let mut cursor = None;
    loop {
        let page = app
            .get(&path, Some(&agent))
            .await
            .expect(StatusCode::OK, "product-page", c);
        prices.extend(
            page["items"]
                .as_array()
                .expect("items")
                .iter()
                .map(|i| i["price"]["amount"].as_i64().expect("amount")),
        );
        match page["next_cursor"].as_str() {
            Some(next) => {
                cursor = Some(next.to_owned());
                path = format!(
                    "/v1/products?category=coats-jackets&sort=-price&limit=6&cursor={next}"
                );
            }
            None => break,
        }
    }
    assert!(prices.len() > 6);
    assert!(prices.windows(2).all(|w| w[0] >= w[1]), "{prices:?}");
    let cursor = cursor.expect("more than one page");
    let p = app
        .get(
            &format!("/v1/products?category=coats-jackets&sort=name&cursor={cursor}"),
            Some(&agent),
        )
        .await
        .problem(StatusCode::BAD_REQUEST, "invalid_query");
    assert_eq!(p["pointer"], "cursor");
}

#[tokio::test]
async fn products_are_served_as_json_ld_plain_json_or_turtle() {
    let app = TestApp::demo().await;
    let agent = app.agent("shopper-1");
    let path = "/v1/products/VC-CHMCOAT-BLK-M";
    let get = |accept: &'static str| {
        let (app, agent) = (&app, agent.clone());
        async move {
            app.request(Method::GET, path, Some(&agent), &[("accept", accept)], None)
                .await
        }
    };
    let ld = get("application/ld+json").await;
    assert_eq!(ld.header("content-type"), Some("application/ld+json"));
    let ld = ld.expect(StatusCode::OK, "product", app.contract());
    assert_eq!(ld["@type"], "Product");

    let plain = get("application/json").await;
    assert_eq!(plain.header("content-type"), Some("application/json"));
    assert_eq!(plain.header("vary"), Some("Accept"));
    let plain = plain.body;
    assert_eq!(plain["type"], "Product");
    assert_eq!(plain["sku"], "VC-CHMCOAT-BLK-M");
    assert_eq!(plain["offers"]["price"], ld["offers"]["price"]);

    let turtle = get("text/turtle;q=0.9, */*;q=0.1").await;
    assert_eq!(turtle.status, StatusCode::OK);
    assert_eq!(turtle.header("content-type"), Some("text/turtle"));
    let text = turtle.body.as_str().expect("text").to_owned();
    assert!(text.contains("\"VC-CHMCOAT-BLK-M\""), "{text}");

    // The default is JSON-LD; something the route cannot serve is refused by name.
    let default = app.get(path, Some(&agent)).await;
    assert_eq!(default.header("content-type"), Some("application/ld+json"));
    get("image/png")
        .await
        .problem(StatusCode::NOT_ACCEPTABLE, "not_acceptable");
}
