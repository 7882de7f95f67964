//! The agent's whole path: search, read, quote, order, follow; the auditor's view of it.

use axum::http::StatusCode;
use b2a_audit::checkpoint::SignedCheckpoint;
use b2a_audit::entry::canonical;
use b2a_audit::jwk::verifying_key;
use b2a_audit::merkle::{MemoryTree, leaf_hash, verify_consistency};
use b2a_audit::verify::{Bundle, decode_hash, verify_bundle};
use b2a_model::{AgentId, Currency, Money, Principal, Role};
use b2a_trust::IssueRequest;
use serde_json::Value;

use crate::support::{TestApp, skus};

const COAT: &str = "VC-CHMCOAT-BLK-M";

#[tokio::test]
async fn an_agent_finds_quotes_and_orders_a_coat_and_the_auditor_sees_it() {
    let app = TestApp::demo().await;
    let c = app.contract();
    // A token the operator issued (recorded and audited, as in production).
    let request = IssueRequest {
        principal: Some(Principal::parse("p-1").expect("principal")),
        ..IssueRequest::new(
            Role::Agent,
            AgentId::parse("shopper-1").expect("agent id"),
            vec![],
            std::time::Duration::from_secs(600),
        )
    };
    let agent = app.issue_recorded(&request).await.token;

    // Search: a waterproof winter coat under 200 EUR.
    let page = app
        .get(
            "/v1/products?q=waterproof%20winter%20coat&max_price=20000&currency=EUR&limit=100",
            Some(&agent),
        )
        .await
        .expect(StatusCode::OK, "product-page", c);
    let items = page["items"].as_array().expect("items");
    assert!(
        !items.is_empty(),
        "the demo brand sells waterproof winter coats under 200 EUR"
    );
    assert!(
        items
            .iter()
            .all(|i| i["price"]["amount"].as_i64().is_some_and(|a| a <= 20_000))
    );
    assert!(items.iter().all(|i| i["price"]["currency"] == "EUR"));
    assert!(skus(&page).contains(&COAT.to_owned()), "{:?}", skus(&page));
    let coat = items.iter().find(|i| i["sku"] == COAT).expect("coat");
    assert_eq!(coat["price"]["amount"], 17_900);

    // Read it: schema.org JSON-LD with its offer.
    let product = app.get(&format!("/v1/products/{COAT}"), Some(&agent)).await;
    assert_eq!(product.header("content-type"), Some("application/ld+json"));
    let product = product.expect(StatusCode::OK, "product", c);
    assert_eq!(product["@type"], "Product");
    assert_eq!(product["sku"], COAT);
    let price = product["offers"]["price"].as_str().expect("decimal text");
    assert_eq!(
        Money::parse_decimal(price, Currency::EUR).map(Money::amount),
        Ok(17_900)
    );
    assert_eq!(
        product["offers"]["availability"]["@id"],
        "https://schema.org/InStock"
    );
    assert!(
        product["offers"]["hasMerchantReturnPolicy"].is_object(),
        "{product}"
    );

    // Quote two of them.
    let stock_before = app.stock(COAT).await.expect("stocked");
    let quote = app.quote(&agent, COAT, 2).await;
    assert_eq!(quote["total"]["amount"], 35_800);
    assert_eq!(quote["lines"][0]["unit_price"]["amount"], 17_900);
    assert_eq!(quote["agent"], "shopper-1");
    let quote_id = quote["id"].as_str().expect("id");
    let mut again = app
        .get(&format!("/v1/quotes/{quote_id}"), Some(&agent))
        .await
        .expect(StatusCode::OK, "quote", c);
    assert_eq!(
        again["history"],
        serde_json::json!([]),
        "no counter-offer, no history"
    );
    again.as_object_mut().expect("object").remove("history");
    assert_eq!(again, quote);

    // Order it.
    let placed = app.order(&agent, quote_id, "order-1").await;
    assert_eq!(placed.header("idempotent-replayed"), None);
    let location = placed.header("location").map(str::to_owned);
    let order = placed.expect(StatusCode::CREATED, "order", c);
    assert_eq!(order["status"], "confirmed");
    assert_eq!(order["agent_initiated"], true);
    assert_eq!(order["total"]["amount"], 35_800);
    let order_id = order["id"].as_str().expect("order id");
    assert_eq!(location, Some(format!("/v1/orders/{order_id}")));
    assert_eq!(
        app.stock(COAT).await,
        Some(stock_before - 2),
        "stock is decremented by the order"
    );

    let followed = app
        .get(&format!("/v1/orders/{order_id}"), Some(&agent))
        .await
        .expect(StatusCode::OK, "order", c);
    assert_eq!(followed, order);

    // The auditor sees the quote and the order, in a log whose signed checkpoint they check with
    // the brand's published audit key and the entries' own bytes.
    let auditor = app.auditor();
    let checkpoint = app.post_empty("/v1/audit/checkpoint", Some(&auditor)).await;
    let checkpoint: SignedCheckpoint =
        serde_json::from_value(checkpoint.expect(StatusCode::OK, "audit-checkpoint", c))
            .expect("a checkpoint");
    let jwks = app
        .get("/.well-known/jwks.json", None)
        .await
        .expect(StatusCode::OK, "jwks", c);
    let key = verifying_key(&jwks, Some(&checkpoint.key_id)).expect("the audit key is published");
    let signed = checkpoint
        .verify(&key, Some(&checkpoint.key_id))
        .expect("the checkpoint's signature verifies");
    let audit = app
        .get("/v1/audit/entries?limit=500", Some(&auditor))
        .await
        .expect(StatusCode::OK, "audit-page", c);
    let entries = audit["items"].as_array().expect("items").clone();
    let mut tree = MemoryTree::new();
    for (i, entry) in entries.iter().enumerate() {
        assert_eq!(entry["seq"], i, "numbered from 0");
        tree.push(leaf_hash(&canonical(entry)));
    }
    assert_eq!(
        signed.size,
        tree.size(),
        "the checkpoint covers every entry"
    );
    assert_eq!(
        signed.root,
        tree.root(),
        "and signs the root of their bytes"
    );
    let find = |action: &str, subject: &str| {
        entries
            .iter()
            .find(|e| e["action"] == action && e["subjects"][0] == subject)
            .cloned()
    };
    let quoted = find("quote.created", quote_id).expect("quote audited");
    assert_eq!(quoted["actor"], "agent:shopper-1");
    let ordered = find("order.placed", order_id).expect("order audited");
    assert_eq!(ordered["payload"]["total"]["amount"], 35_800);
    assert_eq!(ordered["payload"]["quote_id"], quote_id);
    assert_eq!(ordered["subjects"][1], quote_id);
    assert!(find("catalog.published", "catalog/v1").is_some());

    // Filtered: the order's entries only.
    let of_order = app
        .get(
            &format!("/v1/audit/entries?order={order_id}"),
            Some(&auditor),
        )
        .await
        .expect(StatusCode::OK, "audit-page", c);
    let actions: Vec<&str> = of_order["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|e| e["action"].as_str().expect("action"))
        .collect();
    assert_eq!(actions, ["order.placed"]);

    // The order's trail verifies alone, with the published key; it tells the quote's story too.
    let trail = app
        .get(
            &format!("/v1/audit/orders/{order_id}/trail"),
            Some(&auditor),
        )
        .await
        .expect(StatusCode::OK, "audit-bundle", c);
    let bundle: Bundle = serde_json::from_value(trail).expect("a bundle");
    let proven = verify_bundle(&bundle, &key, None).expect("the trail verifies");
    let told: Vec<&str> = bundle
        .entries
        .iter()
        .map(|p| p.entry["action"].as_str().expect("action"))
        .collect();
    assert!(
        told.contains(&"quote.created") && told.contains(&"order.placed"),
        "{told:?}"
    );
    assert!(
        told.contains(&"token.issued"),
        "the token it was charged to: {told:?}"
    );
    assert_eq!(proven, told.len());

    // The same trail as W3C PROV-O, loaded into a SPARQL store: who did what, for whom, with
    // which token, and what came from what.
    let prov = app
        .request(
            axum::http::Method::GET,
            &format!("/v1/audit/orders/{order_id}/trail"),
            Some(&auditor),
            &[("accept", "text/turtle")],
            None,
        )
        .await;
    assert_eq!(prov.status, StatusCode::OK);
    assert_eq!(prov.header("content-type"), Some("text/turtle"));
    let store = oxigraph::store::Store::new().expect("store");
    store
        .load_from_slice(
            oxigraph::io::RdfParser::from_format(oxigraph::io::RdfFormat::Turtle),
            prov.body.as_str().expect("Turtle").as_bytes(),
        )
        .expect("valid Turtle");
    let ask = |pattern: String| {
        let query = format!(
            "PREFIX prov: <http://www.w3.org/ns/prov#> \
             PREFIX b2a: <https://schemas.b2a.example/v1/audit#> ASK {{ {pattern} }}"
        );
        match oxigraph::sparql::SparqlEvaluator::new()
            .parse_query(&query)
            .expect("query")
            .on_store(&store)
            .execute()
            .expect("runs")
        {
            oxigraph::sparql::QueryResults::Boolean(b) => b,
            _ => panic!("not an ASK"),
        }
    };
    let order_iri = format!("<{}/v1/orders/{order_id}>", crate::support::PUBLIC_URL);
    assert!(
        ask(format!(
            "{order_iri} prov:wasGeneratedBy ?placing ; prov:wasDerivedFrom ?quote . \
         ?placing b2a:action \"order.placed\" ; \
                  prov:wasAssociatedWith <urn:b2a:agent:shopper-1> ; prov:used ?token . \
         ?quote prov:wasGeneratedBy [ b2a:action \"quote.created\" ] . \
         ?token prov:wasGeneratedBy [ b2a:action \"token.issued\" ] . \
         <urn:b2a:agent:shopper-1> prov:actedOnBehalfOf <urn:b2a:principal:p-1>"
        )),
        "{}",
        prov.body
    );

    // An inclusion proof of one entry, and the log's growth proven consistent.
    let seq = ordered["seq"].as_u64().expect("seq");
    let proof = app
        .get(&format!("/v1/audit/entries/{seq}/proof"), Some(&auditor))
        .await
        .expect(StatusCode::OK, "audit-proof", c);
    assert_eq!(proof["size"], signed.size);
    assert_eq!(proof["root_hash"], checkpoint.root_hash);
    app.get(
        &format!("/v1/audit/entries/{}/proof", signed.size),
        Some(&auditor),
    )
    .await
    .problem(StatusCode::NOT_FOUND, "audit_entry_not_found");
    app.get("/v1/audit/entries/x/proof", Some(&auditor))
        .await
        .problem(StatusCode::BAD_REQUEST, "invalid_path");
    let consistency = app
        .get(
            &format!("/v1/audit/consistency?from=2&to={}", signed.size),
            Some(&auditor),
        )
        .await
        .expect(StatusCode::OK, "audit-consistency", c);
    let hashes: Vec<_> = consistency["proof"]
        .as_array()
        .expect("proof")
        .iter()
        .map(|h| decode_hash(h.as_str().expect("base64")).expect("a hash"))
        .collect();
    let old_root = tree.root_at(2).expect("root at 2");
    assert!(verify_consistency(
        2,
        signed.size,
        &old_root,
        &signed.root,
        &hashes
    ));
    app.get("/v1/audit/consistency?from=5&to=100000", Some(&auditor))
        .await
        .problem(StatusCode::BAD_REQUEST, "invalid_query");

    // Only auditors read the log.
    app.get("/v1/audit/checkpoint", Some(&agent))
        .await
        .problem(StatusCode::FORBIDDEN, "insufficient_capability");
}

#[tokio::test]
async fn search_matches_french_and_english_and_filters_by_category() {
    let app = TestApp::demo().await;
    let c = app.contract();
    let agent = app.agent("shopper-1");

    let fr = app
        .get(
            "/v1/products?q=manteau%20imperm%C3%A9able&limit=100",
            Some(&agent),
        )
        .await
        .expect(StatusCode::OK, "product-page", c);
    assert!(
        skus(&fr).contains(&COAT.to_owned()),
        "French words find the coat: {:?}",
        skus(&fr)
    );

    let shoes = app
        .get("/v1/products?q=comfortable%20black%20work%20shoes&max_price=15000&currency=EUR&limit=100", Some(&agent))
        .await
        .expect(StatusCode::OK, "product-page", c);
    assert!(
        skus(&shoes).contains(&"VC-FONDRB-BLK-42".to_owned()),
        "{:?}",
        skus(&shoes)
    );
    assert!(
        shoes["items"]
            .as_array()
            .expect("items")
            .iter()
            .all(|i| i["price"]["amount"].as_i64().is_some_and(|a| a <= 15_000))
    );

    // A parent category includes its subcategories; an unknown one matches nothing.
    let footwear = app
        .get("/v1/products?category=footwear&limit=100", Some(&agent))
        .await
        .expect(StatusCode::OK, "product-page", c);
    let cats: std::collections::BTreeSet<String> = footwear["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["category"].as_str().expect("category").to_owned())
        .collect();
    assert!(
        cats.len() >= 2
            && cats
                .iter()
                .all(|c| ["hiking-boots", "winter-boots", "city-work-shoes"].contains(&c.as_str())),
        "{cats:?}"
    );
    let none = app
        .get("/v1/products?category=spaceships", Some(&agent))
        .await
        .expect(StatusCode::OK, "product-page", c);
    assert_eq!(none["items"], serde_json::json!([]));
    assert_eq!(none["next_cursor"], Value::Null);
}

#[tokio::test]
async fn pages_follow_each_other_without_gaps_or_repeats() {
    let app = TestApp::demo().await;
    let c = app.contract();
    let agent = app.agent("shopper-1");
    let all = app
        .get(
            "/v1/products?category=coats-jackets&limit=100",
            Some(&agent),
        )
        .await
        .expect(StatusCode::OK, "product-page", c);
    let all = skus(&all);
    assert!(all.len() > 7, "enough coats to page through");

    let mut paged = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(cur) => format!("/v1/products?category=coats-jackets&limit=7&cursor={cur}"),
            None => "/v1/products?category=coats-jackets&limit=7".to_owned(),
        };
        let page = app
            .get(&path, Some(&agent))
            .await
            .expect(StatusCode::OK, "product-page", c);
        assert!(page["items"].as_array().expect("items").len() <= 7);
        paged.extend(skus(&page));
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(paged, all);
}

#[tokio::test]
async fn product_groups_embed_their_variants() {
    let app = TestApp::demo().await;
    let agent = app.agent("shopper-1");
    let page = app
        .get("/v1/products?q=chamrousse&limit=100", Some(&agent))
        .await
        .expect(StatusCode::OK, "product-page", app.contract());
    let group = page["items"][0]["product_group"]
        .as_str()
        .expect("variants name their group")
        .to_owned();
    let doc = app
        .get(&format!("/v1/products/{group}"), Some(&agent))
        .await
        .expect(StatusCode::OK, "product", app.contract());
    assert_eq!(doc["@type"], "ProductGroup");
    let variants = doc["hasVariant"].as_array().expect("several variants");
    let listed = page["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|i| i["product_group"] == group.as_str())
        .count();
    assert_eq!(variants.len(), listed);
    assert!(
        variants
            .iter()
            .all(|v| v["offers"].is_object() || v["offers"]["@id"].is_string())
    );
}
