//! The catalog store over the demo brand: versions, typed queries, JSON-LD.

use b2a_graph::{CatalogStore, GraphError, ProductQuery, RdfFormat, Sort};
use b2a_model::{Availability, Currency, Money, ProductId, Sku};

mod catalog;
mod feed;
mod search;

pub(crate) const DEMO: &str = include_str!("../../../../graph-data/demo/catalog.ttl");

pub(crate) fn demo() -> (tempfile::TempDir, CatalogStore) {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = CatalogStore::open(dir.path()).expect("store");
    let v = store
        .load_version(RdfFormat::Turtle, DEMO.as_bytes())
        .expect("loads");
    store.publish(v).expect("publishes");
    (dir, store)
}

fn sku(s: &str) -> Sku {
    Sku::parse(s).expect("sku")
}

#[test]
fn offers_carry_exact_prices_and_availability() {
    let (_d, store) = demo();
    let coat = store
        .offer(&sku("VC-CHMCOAT-BLK-M"))
        .expect("query")
        .expect("sold");
    assert_eq!(coat.price, Money::new(17_900, Currency::EUR));
    assert_eq!(coat.availability, Availability::InStock);
    assert!(coat.name.contains("Chamrousse"), "{}", coat.name);
    assert_eq!(store.offer(&sku("VC-NOPE")).expect("query"), None);
    let preorder = store
        .offer(&sku("VC-EXPPRK-BLK-M"))
        .expect("query")
        .expect("sold");
    assert_eq!(preorder.availability, Availability::PreOrder);
}

#[test]
fn search_binds_every_filter() {
    let (_d, store) = demo();
    let q = ProductQuery {
        text: Some("waterproof winter coat".into()),
        max_price: Some(Money::new(20_000, Currency::EUR)),
        sort: Sort::Sku,
        limit: 100,
        ..ProductQuery::default()
    };
    let page = store.search(&q).expect("search");
    assert!(!page.items.is_empty());
    assert!(page.items.iter().all(|i| i.price.amount() <= 20_000));
    assert!(
        page.items.windows(2).all(|w| w[0].sku < w[1].sku),
        "SKU order"
    );

    // A value that would break string-built SPARQL is just text that matches nothing.
    let injection = ProductQuery {
        text: Some("\") } UNION { ?s ?p ?o } #".into()),
        limit: 10,
        ..ProductQuery::default()
    };
    assert_eq!(store.search(&injection).expect("search").items, vec![]);
    let injection = ProductQuery {
        category: Some("x\" || true || \"".into()),
        limit: 10,
        ..ProductQuery::default()
    };
    assert_eq!(store.search(&injection).expect("search").items, vec![]);
}

#[test]
fn products_render_as_schema_org_json_ld_plain_json_and_turtle() {
    let (_d, store) = demo();
    let rendered = store
        .product(&ProductId::parse("VC-CHMCOAT-BLK-M").expect("id"))
        .expect("query")
        .expect("found");
    let doc = rendered.jsonld();
    assert_eq!(doc["@context"][0], "https://schema.org");
    assert_eq!(doc["@type"], "Product");
    assert_eq!(doc["offers"]["priceCurrency"], "EUR");

    let plain = rendered.plain_json();
    assert_eq!(plain.get("@context"), None);
    assert_eq!(plain["type"], "Product");
    assert_eq!(plain["id"], doc["@id"]);
    assert_eq!(plain["offers"]["price"], doc["offers"]["price"]);
    assert!(
        plain["name"]["en"]
            .as_str()
            .expect("en")
            .contains("Chamrousse")
    );
    assert!(plain["name"]["fr"].is_string(), "{}", plain["name"]);

    // The Turtle view parses back into the same product, offer and price.
    let turtle = rendered.turtle().expect("turtle");
    let check = CatalogStore::in_memory().expect("store");
    let v = check
        .load_version(RdfFormat::Turtle, &turtle)
        .expect("the Turtle parses");
    let offer_iri = doc["offers"]["@id"].as_str().expect("offer iri");
    let text = String::from_utf8(turtle).expect("utf-8");
    assert!(
        text.contains("@prefix schema: <https://schema.org/>"),
        "{text}"
    );
    assert!(
        text.contains(offer_iri) || text.contains("offer/VC-CHMCOAT-BLK-M"),
        "{text}"
    );
    assert!(check.triple_count(v).expect("count") > 10);
    assert!(
        store
            .product(&ProductId::parse("VC-NOPE").expect("id"))
            .expect("query")
            .is_none()
    );
}

#[test]
fn versions_publish_atomically_and_survive_a_restart() {
    let dir = tempfile::tempdir().expect("tempdir");
    {
        let store = CatalogStore::open(dir.path()).expect("store");
        assert!(matches!(
            store.search(&ProductQuery {
                limit: 1,
                ..ProductQuery::default()
            }),
            Err(GraphError::NothingPublished)
        ));
        let v1 = store
            .load_version(RdfFormat::Turtle, DEMO.as_bytes())
            .expect("v1");
        store.publish(v1).expect("publish v1");
        let v2 = store
            .load_version(
                RdfFormat::Turtle,
                br#"@prefix schema: <https://schema.org/> .
                <urn:p> a schema:Product ; schema:sku "ONLY-1" ; schema:name "Only"@en ; schema:offers <urn:o> .
                <urn:o> schema:price "1.00" ; schema:priceCurrency "EUR" ; schema:availability schema:InStock ."#,
            )
            .expect("v2");
        assert_eq!(
            store.published_version(),
            Some(v1),
            "loading does not publish"
        );
        store.publish(v2).expect("publish v2");
        assert!(store.publish(99).is_err());
        assert!(matches!(
            store.load_version(RdfFormat::Turtle, b"not turtle <<<"),
            Err(GraphError::Parse(_))
        ));
    }
    let store = CatalogStore::open(dir.path()).expect("reopen");
    assert_eq!(store.versions().expect("versions"), vec![1, 2]);
    assert_eq!(store.published_version(), Some(2));
    let page = store
        .search(&ProductQuery {
            limit: 100,
            ..ProductQuery::default()
        })
        .expect("search");
    assert_eq!(page.items.len(), 1, "only the published version is visible");
    assert_eq!(page.items[0].sku.as_str(), "ONLY-1");
}
