//! Product feeds (CSV, JSON Lines) loaded as catalog versions: the example feeds validate,
//! publish, are found by search and render as JSON-LD; both syntaxes give the same graph; the
//! documentation shows what the conversion really produces.

use std::collections::{BTreeSet, HashSet};
use std::path::Path;

use b2a_graph::{
    CatalogFormat, CatalogSource, CatalogStore, FeedBase, FeedFormat, GraphError, ProductQuery,
    format_for_path, read_feed,
};
use b2a_model::{Currency, Money, ProductId, Sku};
use oxigraph::io::{RdfFormat, RdfParser};
use oxigraph::model::dataset::CanonicalizationAlgorithm;
use oxigraph::model::{Graph, Triple};

const FEED_CSV: &str = include_str!("../../../../graph-data/examples/feed.csv");
const FEED_JSONL: &str = include_str!("../../../../graph-data/examples/feed.jsonl");
const DOCS: &str = include_str!("../../../../docs/catalog-format.md");

fn load(store: &CatalogStore, name: &str, text: &str) -> Result<b2a_graph::LoadReport, GraphError> {
    let format = format_for_path(Path::new(name)).expect("a feed extension");
    store.load_sources(
        vec![CatalogSource {
            name: name.into(),
            format,
            reader: text.as_bytes(),
        }],
        |_| (),
    )
}

fn sku(s: &str) -> Sku {
    Sku::parse(s).expect("sku")
}

fn skus(store: &CatalogStore, q: ProductQuery) -> Vec<String> {
    store
        .search(&ProductQuery { limit: 100, ..q })
        .expect("search")
        .items
        .into_iter()
        .map(|i| i.sku.to_string())
        .collect()
}

#[test]
fn the_example_feed_loads_validates_publishes_and_is_found() {
    let store = CatalogStore::in_memory().expect("store");
    let loaded = load(&store, "feed.csv", FEED_CSV).expect("the feed loads");
    assert_eq!(
        loaded.stock,
        vec![
            (sku("VC-ALPJKT-BLK-M"), 14),
            (sku("VC-ALPJKT-BLK-L"), 9),
            (sku("VC-ALPJKT-RED-M"), 6),
            (sku("VC-ALPJKT-RED-L"), 0),
            (sku("VC-MOUCH35"), 12),
            (sku("VC-VERC20"), 0),
            (sku("VC-RAINCOV-M"), 3),
        ],
        "the stock column is returned, in feed order, for the rows that have one"
    );
    let report = store.validate(loaded.version).expect("validates");
    assert!(report.is_valid(), "{:#?}", report.issues);
    assert_eq!(store.product_count(loaded.version).expect("count"), 8);
    store.publish(loaded.version).expect("publishes");

    let mut alpine = skus(
        &store,
        ProductQuery {
            text: Some("alpine".into()),
            ..ProductQuery::default()
        },
    );
    alpine.sort();
    assert_eq!(
        alpine,
        [
            "VC-ALPJKT-BLK-L",
            "VC-ALPJKT-BLK-M",
            "VC-ALPJKT-RED-L",
            "VC-ALPJKT-RED-M"
        ]
    );
    let mut backpacks = skus(
        &store,
        ProductQuery {
            category: Some("equipement".into()),
            ..ProductQuery::default()
        },
    );
    backpacks.sort();
    assert_eq!(
        backpacks,
        ["VC-MOUCH35", "VC-RAINCOV-M", "VC-VERC20"],
        "a category filter includes its subcategories"
    );

    let categories = store.categories().expect("categories");
    let sacs = categories
        .iter()
        .find(|c| c.id == "sacs-a-dos")
        .expect("a slug with the accent folded");
    assert_eq!(sacs.parent.as_deref(), Some("equipement"));
    assert_eq!(sacs.names.get("fr").map(String::as_str), Some("Sacs à dos"));
    assert_eq!(sacs.products, 3);

    let bag = store
        .product(&ProductId::parse("VC-MOUCH35").expect("id"))
        .expect("query")
        .expect("found");
    let bag = bag.jsonld();
    assert_eq!(bag["@type"], "Product");
    assert_eq!(bag["@id"], "https://brand.example/product/VC-MOUCH35");
    assert_eq!(bag["gtin13"], "3799120002052");
    let euros = |v: &serde_json::Value| {
        v.as_str()
            .and_then(|p| Money::parse_decimal(p, Currency::EUR).ok())
    };
    assert_eq!(
        euros(&bag["offers"]["price"]),
        Some(Money::new(9_900, Currency::EUR))
    );
    assert_eq!(
        bag["offers"]["availability"]["@id"],
        "https://schema.org/InStock"
    );
    let list = &bag["offers"]["priceSpecification"];
    assert_eq!(list["@type"], "UnitPriceSpecification");
    assert_eq!(list["priceType"]["@id"], "https://schema.org/ListPrice");
    assert_eq!(
        euros(&list["price"]),
        Some(Money::new(12_900, Currency::EUR))
    );
    assert_eq!(bag["brand"]["name"], "Maison Vercors");
    assert_eq!(bag["name"]["@language"], "fr");
    assert!(bag.get("stock").is_none(), "stock is not published: {bag}");

    let group = store
        .product(&ProductId::parse("VC-ALPJKT").expect("id"))
        .expect("query")
        .expect("the group is found by its id");
    let group = group.jsonld();
    assert_eq!(group["@type"], "ProductGroup");
    assert_eq!(group["hasVariant"].as_array().map(Vec::len), Some(4));
    let varies: BTreeSet<String> = group["variesBy"]
        .as_array()
        .expect("several")
        .iter()
        .map(|v| v["@id"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(
        varies,
        BTreeSet::from([
            "https://schema.org/color".to_owned(),
            "https://schema.org/size".to_owned()
        ]),
        "colour and size differ among the variants, material does not"
    );
}

fn triples(format: FeedFormat, text: &str) -> (HashSet<Triple>, Vec<(Sku, u32)>) {
    let feed = read_feed("feed", format, &FeedBase::default(), text.as_bytes()).expect("reads");
    (feed.triples.into_iter().collect(), feed.stock)
}

#[test]
fn the_csv_and_json_lines_examples_give_the_same_graph() {
    let (csv, csv_stock) = triples(FeedFormat::Csv, FEED_CSV);
    let (jsonl, jsonl_stock) = triples(FeedFormat::JsonLines, FEED_JSONL);
    assert!(!csv.is_empty());
    assert_eq!(
        csv.difference(&jsonl).collect::<Vec<_>>(),
        Vec::<&Triple>::new(),
        "only in the CSV"
    );
    assert_eq!(
        jsonl.difference(&csv).collect::<Vec<_>>(),
        Vec::<&Triple>::new(),
        "only in the JSON Lines"
    );
    assert_eq!(csv_stock, jsonl_stock);

    // Loaded through the store, both give versions of the same size and products.
    let store = CatalogStore::in_memory().expect("store");
    let a = load(&store, "feed.csv", FEED_CSV).expect("csv");
    let b = load(&store, "feed.ndjson", FEED_JSONL).expect("json lines");
    assert_eq!(a.triples, b.triples);
    assert_eq!(a.triples, csv.len());
    assert_eq!(a.stock, b.stock);
}

/// The fenced block that follows the first line containing `marker`.
fn fenced_after<'a>(doc: &'a str, marker: &str) -> &'a str {
    let start = doc
        .find(marker)
        .unwrap_or_else(|| panic!("{marker} is in the docs"));
    let rest = &doc[start..];
    let open = rest.find("```").expect("a fenced block");
    let body = &rest[open..];
    let body = &body[body.find('\n').expect("fence line") + 1..];
    &body[..body.find("\n```").expect("closing fence") + 1]
}

#[test]
fn the_documentation_shows_the_example_feed_and_the_turtle_it_becomes() {
    assert_eq!(
        fenced_after(DOCS, "<!-- example feed.csv -->"),
        FEED_CSV,
        "docs/catalog-format.md shows graph-data/examples/feed.csv as it is"
    );
    let feed = read_feed(
        "feed.csv",
        FeedFormat::Csv,
        &FeedBase::default(),
        FEED_CSV.as_bytes(),
    )
    .expect("reads");
    let mut documented: Graph = RdfParser::from_format(RdfFormat::Turtle)
        .for_slice(fenced_after(DOCS, "<!-- example feed.ttl -->").as_bytes())
        .map(|q| {
            let q = q.expect("the documented Turtle parses");
            Triple::new(q.subject, q.predicate, q.object)
        })
        .collect();
    let mut produced: Graph = feed.triples.iter().collect();
    documented.canonicalize(CanonicalizationAlgorithm::default());
    produced.canonicalize(CanonicalizationAlgorithm::default());
    assert!(
        documented == produced,
        "the Turtle in docs/catalog-format.md is not what the example feed becomes; it is now:\n{}",
        feed.to_turtle().expect("turtle")
    );
}

#[test]
fn a_faulty_feed_stores_nothing_and_names_every_line() {
    let store = CatalogStore::in_memory().expect("store");
    let bad = "id,title,price,currency,availability,stock\n\
               A-1,One,1.00,EUR,in_stock,2\n\
               A-2,Two,\"12,50\",EUR,in_stock,\n\
               A-1,Again,1.00,EURO,sold,-1\n";
    match load(&store, "shop/feed.csv", bad) {
        Err(GraphError::Parse(msg)) => {
            for line in [
                "shop/feed.csv: 5 errors in the feed",
                "shop/feed.csv: line 3: price: \"12,50\" is not a decimal number such as 12.50",
                "shop/feed.csv: line 4: id: \"A-1\" is already the id of line 2",
                "shop/feed.csv: line 4: currency: \"EURO\" is not an ISO 4217 currency code",
                "shop/feed.csv: line 4: availability: \"sold\" is not an availability",
                "shop/feed.csv: line 4: stock: \"-1\" is not a whole number",
            ] {
                assert!(msg.contains(line), "`{line}` in\n{msg}");
            }
        }
        other => panic!("expected a parse error, got {other:?}"),
    }
    assert_eq!(store.versions().expect("versions"), Vec::<u32>::new());
}

#[test]
fn one_id_is_one_product_across_the_feeds_of_a_load() {
    let store = CatalogStore::in_memory().expect("store");
    let feed = |name: &str, text: &'static str| CatalogSource {
        name: name.into(),
        format: FeedFormat::Csv.into(),
        reader: text.as_bytes(),
    };
    let result = store.load_sources(
        vec![
            feed("a.csv", "id,title,price,currency,availability\nA-1,One,1.00,EUR,in_stock\n"),
            feed("b.csv", "id,title,price,currency,availability\nB-1,Two,1.00,EUR,in_stock\nA-1,One,1.00,EUR,in_stock\n"),
        ],
        |_| (),
    );
    match result {
        Err(GraphError::Parse(msg)) => assert!(
            msg.contains("b.csv: line 3: id: \"A-1\" is already the id of a.csv line 2"),
            "{msg}"
        ),
        other => panic!("expected a parse error, got {other:?}"),
    }
    assert_eq!(store.versions().expect("versions"), Vec::<u32>::new());
}

#[test]
fn a_base_names_the_nodes_and_feeds_mix_with_rdf() {
    let store = CatalogStore::in_memory().expect("store");
    let base = FeedBase::parse("https://vercors.example").expect("base");
    let turtle = "@prefix schema: <https://schema.org/> .\n\
                  <https://vercors.example/product/VC-MOUCH35> schema:isAccessoryOrSparePartFor <https://vercors.example/product/VC-RAINCOV-M> .\n";
    let loaded = store
        .load_sources(
            vec![
                CatalogSource {
                    name: "feed.jsonl".into(),
                    format: CatalogFormat::from_media_type("application/x-ndjson")
                        .expect("a feed type")
                        .with_base(base),
                    reader: FEED_JSONL.as_bytes(),
                },
                CatalogSource {
                    name: "extra.ttl".into(),
                    format: CatalogFormat::from_media_type("text/turtle").expect("turtle"),
                    reader: turtle.as_bytes(),
                },
            ],
            |_| (),
        )
        .expect("loads");
    let report = store.validate(loaded.version).expect("validates");
    assert!(
        report.is_valid(),
        "the relation targets a product of the feed: {:#?}",
        report.issues
    );
    store.publish(loaded.version).expect("publishes");
    let doc = store
        .product(&ProductId::parse("VC-VERC20").expect("id"))
        .expect("query")
        .expect("found");
    assert_eq!(
        doc.jsonld()["@id"],
        "https://vercors.example/product/VC-VERC20"
    );
    assert_eq!(
        doc.jsonld()["category"]["@id"],
        "https://vercors.example/taxonomy/sacs-a-dos"
    );

    // load_version takes a feed syntax too (default base).
    let v = store
        .load_version(FeedFormat::Csv, FEED_CSV.as_bytes())
        .expect("loads");
    assert!(store.validate(v).expect("validates").is_valid());
}
