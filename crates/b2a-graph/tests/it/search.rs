//! Search over the publish-time index: free text, filters, facets, sorts and pages, checked
//! against the demo catalog's own data.

use std::collections::HashSet;

use b2a_graph::{CatalogStore, ProductQuery, ProductSummary, Sort};
use b2a_model::{Availability, Currency, Money};

use crate::demo;

fn query(f: impl FnOnce(&mut ProductQuery)) -> ProductQuery {
    let mut q = ProductQuery {
        limit: 1000,
        ..ProductQuery::default()
    };
    f(&mut q);
    q
}

fn skus(store: &CatalogStore, q: &ProductQuery) -> Vec<String> {
    store
        .search(q)
        .expect("search")
        .items
        .into_iter()
        .map(|i| i.sku.to_string())
        .collect()
}

/// Every item of a search, following cursors page by page.
fn walk(store: &CatalogStore, mut q: ProductQuery) -> Vec<ProductSummary> {
    let mut out = Vec::new();
    loop {
        let page = store.search(&q).expect("search");
        out.extend(page.items);
        match page.next {
            Some(c) => q.after = Some(c),
            None => return out,
        }
    }
}

#[test]
fn free_text_ignores_case_and_accents_in_french_and_english() {
    let (_d, store) = demo();
    let plain = skus(&store, &query(|q| q.text = Some("impermeable".into())));
    assert!(!plain.is_empty());
    for spelling in ["imperméable", "IMPERMÉABLE", "Imperméables"] {
        assert_eq!(
            skus(&store, &query(|q| q.text = Some(spelling.into()))),
            plain,
            "{spelling}"
        );
    }
    let english = skus(&store, &query(|q| q.text = Some("waterproof".into())));
    assert!(!english.is_empty());
    // Every word must match: adding a word narrows.
    let narrower = skus(
        &store,
        &query(|q| q.text = Some("waterproof jacket".into())),
    );
    assert!(!narrower.is_empty() && narrower.len() < english.len());
    assert!(narrower.iter().all(|s| english.contains(s)));
    assert!(skus(&store, &query(|q| q.text = Some("zzzqqq".into()))).is_empty());
}

#[test]
fn relevance_puts_name_matches_first() {
    let (_d, store) = demo();
    let page = store
        .search(&query(|q| q.text = Some("jacket".into())))
        .expect("search");
    let first = &page.items[0];
    assert!(
        first.name.to_lowercase().contains("jacket"),
        "{}",
        first.name
    );
    // Items whose name lacks the word come after every item whose name has it.
    let has = |i: &ProductSummary| {
        i.names
            .values()
            .any(|n| n.to_lowercase().contains("jacket") || n.to_lowercase().contains("veste"))
    };
    let first_without = page.items.iter().position(|i| !has(i));
    if let Some(p) = first_without {
        assert!(
            page.items[p..].iter().all(|i| !has(i)),
            "name matches rank first"
        );
    }
}

#[test]
fn facet_counts_are_what_each_filter_finds() {
    let (_d, store) = demo();
    let base = query(|q| q.category = Some("clothing".into()));
    let page = store.search(&base).expect("search");
    assert!(page.total > 0);
    let fields: Vec<&str> = page.facets.iter().map(|f| f.field.as_str()).collect();
    for expected in [
        "category",
        "availability",
        "brand",
        "color",
        "size",
        "material",
    ] {
        assert!(fields.contains(&expected), "{fields:?}");
    }
    for facet in page.facets.iter() {
        for value in facet.values.iter().take(5) {
            let mut q = base.clone();
            match facet.field.as_str() {
                // The searched category and its ancestors count every match; a subcategory
                // narrows.
                "category" if value.count == page.total => continue,
                "category" => q.category = Some(value.value.clone()),
                "availability" => continue,
                field => q.attributes.push((field.to_owned(), value.value.clone())),
            }
            let filtered = store.search(&q).expect("search");
            assert_eq!(
                filtered.total, value.count,
                "{}={} counted {} but filters to {}",
                facet.field, value.value, value.count, filtered.total
            );
        }
    }
}

#[test]
fn attribute_filters_match_any_language_without_case_or_accents() {
    let (_d, store) = demo();
    let black = skus(
        &store,
        &query(|q| q.attributes = vec![("color".into(), "Black".into())]),
    );
    assert!(!black.is_empty());
    assert_eq!(
        skus(
            &store,
            &query(|q| q.attributes = vec![("color".into(), "noir".into())])
        ),
        black
    );
    let black_m = skus(
        &store,
        &query(|q| {
            q.attributes = vec![
                ("color".into(), "black".into()),
                ("size".into(), "M".into()),
            ];
        }),
    );
    assert!(!black_m.is_empty() && black_m.len() < black.len());
    assert!(
        black_m.iter().all(|s| s.contains("-M") || s.ends_with('M')),
        "{black_m:?}"
    );
    // An unknown property or value matches nothing rather than everything.
    assert!(
        skus(
            &store,
            &query(|q| q.attributes = vec![("attr.nope".into(), "x".into())])
        )
        .is_empty()
    );
    assert!(
        skus(
            &store,
            &query(|q| q.attributes = vec![("color".into(), "plaid".into())])
        )
        .is_empty()
    );
}

#[test]
fn price_range_currency_and_stock_filters_hold_for_every_item() {
    let (_d, store) = demo();
    let items = walk(
        &store,
        query(|q| {
            q.min_price = Some(Money::new(5_000, Currency::EUR));
            q.max_price = Some(Money::new(15_000, Currency::EUR));
            q.in_stock = true;
            q.limit = 7;
        }),
    );
    assert!(!items.is_empty());
    assert!(
        items
            .iter()
            .all(|i| (5_000..=15_000).contains(&i.price.amount()))
    );
    assert!(items.iter().all(|i| matches!(
        i.availability,
        Availability::InStock | Availability::LimitedAvailability
    )));
    let all = walk(&store, query(|q| q.limit = 50));
    let expected = all
        .iter()
        .filter(|i| (5_000..=15_000).contains(&i.price.amount()))
        .filter(|i| {
            matches!(
                i.availability,
                Availability::InStock | Availability::LimitedAvailability
            )
        })
        .count();
    assert_eq!(items.len(), expected);
    assert!(
        skus(
            &store,
            &query(|q| q.currency = Some(Currency::parse("USD").expect("USD")))
        )
        .is_empty()
    );
}

#[test]
fn every_sort_pages_through_every_item_once_in_order() {
    let (_d, store) = demo();
    let total = store.search(&query(|_| ())).expect("search").total;
    assert!(total > 300);
    for sort in [
        Sort::Relevance,
        Sort::PriceAsc,
        Sort::PriceDesc,
        Sort::NameAsc,
        Sort::NameDesc,
        Sort::Sku,
    ] {
        let items = walk(
            &store,
            query(|q| {
                q.sort = sort;
                q.limit = 37;
            }),
        );
        assert_eq!(items.len(), total, "{sort:?}");
        let distinct: HashSet<_> = items.iter().map(|i| i.sku.clone()).collect();
        assert_eq!(distinct.len(), total, "{sort:?}: no item twice");
        let ordered = items.windows(2).all(|w| {
            let (a, b) = (&w[0], &w[1]);
            match sort {
                Sort::PriceAsc => a.price.amount() <= b.price.amount(),
                Sort::PriceDesc => a.price.amount() >= b.price.amount(),
                Sort::NameAsc => b2a_graph::fold(&a.name) <= b2a_graph::fold(&b.name),
                Sort::NameDesc => b2a_graph::fold(&a.name) >= b2a_graph::fold(&b.name),
                Sort::Relevance | Sort::Sku => a.sku < b.sku,
            }
        });
        assert!(ordered, "{sort:?}");
    }
    // With free text, relevance pages are stable too.
    let jackets = walk(
        &store,
        query(|q| {
            q.text = Some("jacket".into());
            q.limit = 5;
        }),
    );
    let once = store
        .search(&query(|q| q.text = Some("jacket".into())))
        .expect("search");
    assert_eq!(
        jackets.iter().map(|i| &i.sku).collect::<Vec<_>>(),
        once.items.iter().map(|i| &i.sku).collect::<Vec<_>>()
    );
}

#[test]
fn categories_include_their_descendants() {
    let (_d, store) = demo();
    let clothing = store
        .search(&query(|q| q.category = Some("clothing".into())))
        .expect("search");
    let coats = store
        .search(&query(|q| q.category = Some("coats-jackets".into())))
        .expect("search");
    assert!(coats.total > 0 && coats.total < clothing.total);
    assert!(
        coats
            .items
            .iter()
            .all(|i| i.category.as_deref() == Some("coats-jackets"))
    );
    assert_eq!(
        store
            .search(&query(|q| q.category = Some("no-such".into())))
            .expect("search")
            .total,
        0
    );
}

#[test]
fn facets_and_total_belong_to_the_filters_not_to_the_page_or_sort() {
    let (_d, store) = demo();
    let first = store
        .search(&query(|q| {
            q.category = Some("footwear".into());
            q.limit = 5;
        }))
        .expect("search");
    let second = store
        .search(&query(|q| {
            q.category = Some("footwear".into());
            q.limit = 5;
            q.after = first.next.clone();
        }))
        .expect("search");
    assert_eq!((first.total, &first.facets), (second.total, &second.facets));
    let by_price = store
        .search(&query(|q| {
            q.category = Some("footwear".into());
            q.sort = Sort::PriceDesc;
        }))
        .expect("search");
    assert_eq!(by_price.facets, first.facets);
    // Other filters, other facets (remembered facets are never served for another search).
    let black = store
        .search(&query(|q| {
            q.category = Some("footwear".into());
            q.attributes = vec![("color".into(), "black".into())];
        }))
        .expect("search");
    assert!(black.total < first.total);
    assert_ne!(black.facets, first.facets);
}
