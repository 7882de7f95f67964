//! Loading, validating, publishing and rolling back catalog versions.

use b2a_graph::{
    CancellationToken, CatalogSource, CatalogStore, GraphError, JsonLdProfileSet, ProductQuery,
    RdfFormat, SparqlError, SparqlLimits,
};

use crate::DEMO;

const PREFIXES: &str = "@prefix schema: <https://schema.org/> .\n@prefix skos: <http://www.w3.org/2004/02/skos/core#> .\n@prefix ex: <https://shop.example/> .\n";

/// A valid one-product catalog; `extra` is appended.
fn catalog(extra: &str) -> String {
    format!(
        "{PREFIXES}
        ex:cat a skos:Concept ; skos:notation \"cat\" .
        ex:p1 a schema:Product ; schema:name \"One\"@en ; schema:sku \"P-1\" ; schema:gtin13 \"4006381333931\" ;
              schema:category ex:cat ; schema:offers ex:o1 .
        ex:o1 a schema:Offer ; schema:price \"10.00\" ; schema:priceCurrency \"EUR\" ; schema:availability schema:InStock .
        {extra}"
    )
}

fn store_with(text: &str) -> (CatalogStore, u32) {
    let store = CatalogStore::in_memory().expect("store");
    let v = store
        .load_version(RdfFormat::Turtle, text.as_bytes())
        .expect("loads");
    (store, v)
}

fn issues(text: &str) -> Vec<(String, String)> {
    let (store, v) = store_with(text);
    let report = store.validate(v).expect("validates");
    assert_eq!(report.total, report.issues.len());
    report
        .issues
        .into_iter()
        .map(|i| (i.subject, i.field))
        .collect()
}

#[test]
fn the_demo_catalog_is_valid() {
    let (store, v) = store_with(DEMO);
    let report = store.validate(v).expect("validates");
    assert!(
        report.is_valid(),
        "{:?}",
        &report.issues[..report.issues.len().min(5)]
    );
}

#[test]
fn each_rule_names_the_subject_and_the_field() {
    assert_eq!(issues(&catalog("")), vec![]);
    let p = "https://shop.example/p2".to_owned();
    let o = "https://shop.example/o2".to_owned();
    let offer = |props: &str| {
        format!(
            "ex:p2 a schema:Product ; schema:name \"Two\" ; schema:sku \"P-2\" ; schema:offers ex:o2 . ex:o2 {props} ."
        )
    };
    let cases: Vec<(String, Vec<(String, &str)>)> = vec![
        ("ex:p2 a schema:Product ; schema:sku \"P-2\" ; schema:offers ex:o1 .".into(), vec![(p.clone(), "name")]),
        ("ex:p2 a schema:Product ; schema:name \"Two\" ; schema:offers ex:o1 .".into(), vec![(p.clone(), "sku")]),
        ("ex:p2 a schema:Product ; schema:name \"Two\" ; schema:sku \"P-2\" .".into(), vec![(p.clone(), "offers")]),
        (offer("schema:priceCurrency \"EUR\" ; schema:availability schema:InStock"), vec![(o.clone(), "price")]),
        (offer("schema:price \"-1.00\" ; schema:priceCurrency \"EUR\" ; schema:availability schema:InStock"), vec![(o.clone(), "price")]),
        (offer("schema:price \"1.001\" ; schema:priceCurrency \"EUR\" ; schema:availability schema:InStock"), vec![(o.clone(), "price")]),
        (offer("schema:price \"1.00\" ; schema:priceCurrency \"EURO\" ; schema:availability schema:InStock"), vec![(o.clone(), "priceCurrency")]),
        (offer("schema:price \"1.00\" ; schema:priceCurrency \"EUR\""), vec![(o.clone(), "availability")]),
        (offer("schema:price \"1.00\" ; schema:priceCurrency \"EUR\" ; schema:availability schema:Sold"), vec![(o.clone(), "availability")]),
        ("ex:p1 schema:gtin8 \"12345678\" .".into(), vec![("https://shop.example/p1".into(), "gtin8")]),
        ("ex:p1 schema:isSimilarTo ex:ghost .".into(), vec![("https://shop.example/p1".into(), "isSimilarTo")]),
        ("ex:a a skos:Concept ; skos:broader ex:b . ex:b a skos:Concept ; skos:broader ex:a .".into(),
            vec![("https://shop.example/a".into(), "skos:broader"), ("https://shop.example/b".into(), "skos:broader")]),
        ("ex:p3 a schema:Product ; schema:name \"Three\" ; schema:sku \"P-1\" ; schema:offers ex:o1 .".into(),
            vec![("https://shop.example/p1".into(), "sku")]),
    ];
    for (extra, expected) in cases {
        let found = issues(&catalog(&extra));
        let expected: Vec<(String, String)> = expected
            .into_iter()
            .map(|(s, f)| (s, f.to_owned()))
            .collect();
        assert_eq!(found, expected, "for {extra}");
    }
}

#[test]
fn every_error_is_counted_and_the_list_is_capped() {
    let many: String = (0..1200)
        .map(|i| format!("ex:bad{i} a schema:Product .\n"))
        .collect();
    let (store, v) = store_with(&catalog(&many));
    let report = store.validate(v).expect("validates");
    assert_eq!(report.total, 3600, "name, sku and offers missing on each");
    assert_eq!(report.issues.len(), b2a_graph::MAX_ISSUES);
}

#[test]
fn an_invalid_catalog_is_never_published_and_the_previous_keeps_serving() {
    let (store, v1) = store_with(&catalog(""));
    store.publish(v1).expect("valid catalog publishes");
    let v2 = store
        .load_version(
            RdfFormat::Turtle,
            catalog("ex:p1 schema:isSimilarTo ex:ghost .").as_bytes(),
        )
        .expect("loads");
    match store.publish(v2) {
        Err(GraphError::Invalid(report)) => assert_eq!(report.total, 1),
        other => panic!("expected Invalid, got {other:?}"),
    }
    assert_eq!(store.published_version(), Some(v1));
    let page = store
        .search(&ProductQuery {
            limit: 10,
            ..ProductQuery::default()
        })
        .expect("search");
    assert_eq!(page.items.len(), 1);
}

#[test]
fn publishing_reports_the_difference_and_rollback_undoes_it() {
    let store = CatalogStore::in_memory().expect("store");
    let v1 = store
        .load_version(RdfFormat::Turtle, catalog("").as_bytes())
        .expect("v1");
    let first = store.publish(v1).expect("publish v1");
    assert_eq!(
        (first.previous, first.diff.added, first.diff.removed),
        (None, 1, 0)
    );

    // v2: P-1 repriced, P-2 added.
    let v2_text = catalog(
        "ex:p2 a schema:Product ; schema:name \"Two\" ; schema:sku \"P-2\" ; schema:offers ex:o2 .
         ex:o2 schema:price \"5.00\" ; schema:priceCurrency \"EUR\" ; schema:availability schema:InStock .",
    )
    .replace("\"10.00\"", "\"12.00\"");
    let v2 = store
        .load_version(RdfFormat::Turtle, v2_text.as_bytes())
        .expect("v2");
    let second = store.publish(v2).expect("publish v2");
    assert_eq!(second.previous, Some(v1));
    assert_eq!(
        (
            second.diff.added,
            second.diff.removed,
            second.diff.changed,
            second.diff.unchanged
        ),
        (1, 0, 1, 0)
    );

    let back = store.rollback().expect("rollback");
    assert!(back.rollback);
    assert_eq!((back.version, back.previous), (v1, Some(v2)));
    assert_eq!(
        (back.diff.added, back.diff.removed, back.diff.changed),
        (0, 1, 1)
    );
    assert_eq!(store.published_version(), Some(v1));
    assert!(
        matches!(store.rollback(), Err(GraphError::NothingToRollBack)),
        "v1 was the first publication"
    );

    // Publishing v2 again, then rolling back, returns to v1.
    store.publish(v2).expect("publish v2 again");
    assert_eq!(store.rollback().expect("rollback").version, v1);
}

#[test]
fn a_load_that_fails_midway_stores_nothing() {
    let store = CatalogStore::in_memory().expect("store");
    let mut text = catalog("");
    text.push_str(
        &(0..5000)
            .map(|i| format!("ex:x{i} schema:name \"x\" .\n"))
            .collect::<String>(),
    );
    text.push_str("ex:broken schema:name \"unterminated .\n");
    match store.load_version(RdfFormat::Turtle, text.as_bytes()) {
        Err(GraphError::Parse(msg)) => {
            assert!(msg.contains("catalog"), "the error names the source: {msg}");
        }
        other => panic!("expected a parse error, got {other:?}"),
    }
    assert_eq!(store.versions().expect("versions"), Vec::<u32>::new());
}

#[test]
fn json_ld_with_the_schema_org_context_and_n_quads_load_offline() {
    let store = CatalogStore::in_memory().expect("store");
    let jsonld = r#"{
      "@context": "https://schema.org",
      "@graph": [
        {"@id": "https://shop.example/p1", "@type": "Product", "name": "One", "sku": "P-1",
         "offers": {"@id": "https://shop.example/o1", "@type": "Offer", "price": "10.00", "priceCurrency": "EUR",
                    "availability": {"@id": "https://schema.org/InStock"}}}
      ]
    }"#;
    let source = CatalogSource {
        name: "p.jsonld".into(),
        format: RdfFormat::JsonLd {
            profile: JsonLdProfileSet::empty(),
        }
        .into(),
        reader: jsonld.as_bytes(),
    };
    let loaded = store
        .load_sources(vec![source], |_| ())
        .expect("JSON-LD loads without the network");
    assert!(
        store
            .validate(loaded.version)
            .expect("validates")
            .is_valid()
    );

    let nq = "<https://shop.example/p9> <https://schema.org/name> \"Nine\" <https://elsewhere.example/g> .\n";
    let v = store
        .load_version(RdfFormat::NQuads, nq.as_bytes())
        .expect("N-Quads load");
    assert_eq!(
        store.triple_count(v).expect("count"),
        1,
        "named graphs are merged into the version"
    );
    assert_eq!(store.versions().expect("versions"), vec![loaded.version, v]);
}

#[test]
fn concurrent_loads_get_distinct_versions_and_concurrent_publications_keep_one_history() {
    let store = std::sync::Arc::new(CatalogStore::in_memory().expect("store"));
    let text = catalog("");
    let loads: Vec<_> = (0..6)
        .map(|_| {
            let (store, text) = (std::sync::Arc::clone(&store), text.clone());
            std::thread::spawn(move || {
                store
                    .load_version(RdfFormat::Turtle, text.as_bytes())
                    .expect("loads")
            })
        })
        .collect();
    let mut versions: Vec<u32> = loads
        .into_iter()
        .map(|t| t.join().expect("thread"))
        .collect();
    versions.sort_unstable();
    assert_eq!(versions, vec![1, 2, 3, 4, 5, 6]);
    let single = store.triple_count(1).expect("count");
    for v in &versions {
        assert_eq!(
            store.triple_count(*v).expect("count"),
            single,
            "version {v} holds one copy"
        );
    }
    let publications: Vec<_> = versions
        .iter()
        .map(|&v| {
            let store = std::sync::Arc::clone(&store);
            std::thread::spawn(move || store.publish(v).expect("publishes"))
        })
        .collect();
    for p in publications {
        p.join().expect("thread");
    }
    // Six publications stack up: five rollbacks succeed, the sixth has nothing to return to.
    for _ in 0..5 {
        store.rollback().expect("rollback");
    }
    assert!(matches!(
        store.rollback(),
        Err(GraphError::NothingToRollBack)
    ));
}

#[test]
fn a_query_calling_a_function_the_endpoint_lacks_is_refused_not_failed() {
    let (store, v) = store_with(&catalog(""));
    store.publish(v).expect("publishes");
    let limits = SparqlLimits {
        timeout: std::time::Duration::from_secs(5),
        max_rows: 10,
    };
    let ask = |q: &str| store.sparql(q, "*/*", limits, CancellationToken::new());
    for q in [
        "SELECT ?x WHERE { BIND(<https://shop.example/fn#discount>(1) AS ?x) }",
        "SELECT ?x WHERE { BIND(<http://www.w3.org/2001/XMLSchema#integer>(1, 2) AS ?x) }",
    ] {
        match ask(q) {
            Err(SparqlError::UnsupportedFunction(detail)) => {
                assert!(detail.contains("function"), "{detail}");
            }
            other => panic!("{q}: {other:?}"),
        }
    }
    assert!(ask("SELECT ?x WHERE { BIND(STRLEN(\"abc\") AS ?x) }").is_ok());
}
