//! Product search over a publish-time index.
//!
//! When a version is published (or the store is opened on a published version) its sellable
//! items are read once from the graph into a [`SearchIndex`]: an inverted index of folded words
//! (lowercase, accents removed) and, per item, the fields agents filter, sort and facet on. The
//! index is immutable and swapped together with the published pointer, so a search sees exactly
//! one version. A search never touches the store: its cost is bounded by the size of the
//! catalog, not by the shape of a query.

use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap, HashSet};

use b2a_model::{Availability, Currency, Money, ProductId, Sku};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use oxigraph::model::{NamedNodeRef, NamedOrBlankNode, NamedOrBlankNodeRef, Term};
use oxigraph::store::Store;
use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;

use crate::GraphError;
use crate::query::money;

/// The most words of free text a search matches on.
pub const MAX_TERMS: usize = 8;
/// The most values a facet lists (the most frequent first).
pub const MAX_FACET_VALUES: usize = 30;
/// The most `attr.*` facets a search returns (the properties most items have first).
pub const MAX_ATTRIBUTE_FACETS: usize = 20;

/// How results are ordered. Ties are broken by SKU, so the order is total and pages are stable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Sort {
    /// Best match first (free text); SKU order without free text.
    #[default]
    #[serde(rename = "relevance")]
    Relevance,
    /// Cheapest first (grouped by currency).
    #[serde(rename = "price")]
    PriceAsc,
    /// Most expensive first (grouped by currency).
    #[serde(rename = "-price")]
    PriceDesc,
    /// By display name, A to Z, accents and case ignored.
    #[serde(rename = "name")]
    NameAsc,
    /// By display name, Z to A (the exact reverse of `name`).
    #[serde(rename = "-name")]
    NameDesc,
    /// By SKU.
    #[serde(rename = "sku")]
    Sku,
}

impl Sort {
    /// Every accepted spelling, for error messages.
    pub const NAMES: &'static str = "relevance, price, -price, name, -name, sku";

    /// Parses `relevance`, `price`, `-price`, `name`, `-name` or `sku`.
    pub fn parse(text: &str) -> Option<Self> {
        serde_json::from_value(serde_json::Value::String(text.to_owned())).ok()
    }
}

/// Where a page ends: the sort key of its last item, to resume after (keyset pagination).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cursor {
    #[serde(rename = "o")]
    sort: Sort,
    #[serde(rename = "k")]
    key: Key,
    #[serde(rename = "s")]
    sku: String,
}

/// The sort key of one item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
enum Key {
    Score(f32),
    Price(String, i64),
    Name(String),
    None,
}

impl Cursor {
    /// The opaque text form given to clients.
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(self).unwrap_or_default())
    }

    /// Reads a cursor this module encoded; `None` for anything else.
    pub fn decode(text: &str) -> Option<Self> {
        let bytes = URL_SAFE_NO_PAD.decode(text.as_bytes()).ok()?;
        serde_json::from_slice(&bytes).ok()
    }

    /// The order the cursor was made for.
    pub fn sort(&self) -> Sort {
        self.sort
    }
}

/// A catalog search.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProductQuery {
    /// Free text: every word must begin a word of the item's name, description, keywords, brand,
    /// colour, material, size, category labels, SKU, GTIN or MPN, in any language; case and
    /// accents are ignored and a final plural `s`/`x` is dropped.
    pub text: Option<String>,
    /// A category slug (`skos:notation`); products in it or any of its subcategories match.
    pub category: Option<String>,
    /// Only offers in this currency.
    pub currency: Option<Currency>,
    /// Only offers at or above this price (implies its currency).
    pub min_price: Option<Money>,
    /// Only offers at or below this price (implies its currency).
    pub max_price: Option<Money>,
    /// Only items whose offer is in stock or in limited availability.
    pub in_stock: bool,
    /// Attribute filters: `(attribute, value)`, every one must hold. Attributes are `brand`,
    /// `color`, `size`, `material` and `attr.<property name>`; values compare case- and
    /// accent-insensitively against any language of the item's value.
    pub attributes: Vec<(String, String)>,
    /// Result order.
    pub sort: Sort,
    /// Resume after this cursor (it must have been made for the same `sort`).
    pub after: Option<Cursor>,
    /// Page size.
    pub limit: usize,
}

/// One sellable item in search results.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProductSummary {
    /// Public identifier (`GET /v1/products/{id}`); the SKU for sellable items.
    pub id: ProductId,
    /// What to quote and order.
    pub sku: Sku,
    /// English name, or the French one when there is none.
    pub name: String,
    /// Name per language tag.
    pub names: BTreeMap<String, String>,
    /// List price.
    pub price: Money,
    /// Offer availability.
    pub availability: Availability,
    /// Category slug.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// The product group it is a variant of.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product_group: Option<String>,
    /// Brand name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub brand: Option<String>,
}

/// How many matching items have one value of a field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FacetValue {
    /// The value, as the filter takes it.
    pub value: String,
    /// Matching items with it.
    pub count: usize,
}

/// The values of one filterable field among the matching items.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Facet {
    /// The query parameter that filters on it (`category`, `brand`, `attr.weight`, ...).
    pub field: String,
    /// Its values, most frequent first (then alphabetically), at most [`MAX_FACET_VALUES`].
    pub values: Vec<FacetValue>,
    /// True when some values were left out.
    pub truncated: bool,
}

/// A page of results.
#[derive(Debug, Clone, PartialEq)]
pub struct ProductPage {
    /// The items, in the requested order.
    pub items: Vec<ProductSummary>,
    /// Where to resume, when there are more.
    pub next: Option<Cursor>,
    /// How many items match in all (every page).
    pub total: usize,
    /// Counts per category and attribute value over every matching item (shared by every
    /// search with the same filters).
    pub facets: std::sync::Arc<Vec<Facet>>,
}

/// A filterable value of an item: shown as `shown`, matched by any of `folded`.
#[derive(Debug)]
struct Attr {
    field: u32,
    /// The value shown (in facets), an index into `SearchIndex::values`.
    value: u32,
    /// Every folded spelling that selects it, indexes into `SearchIndex::folded`.
    folded: Box<[u32]>,
}

#[derive(Debug)]
struct Item {
    summary: ProductSummary,
    name_key: String,
    /// Position in (name, SKU) order, so that sorting by name compares numbers.
    name_rank: u32,
    /// The item's category and its ancestors (indexes into `categories`).
    categories: Vec<u32>,
    attrs: Vec<Attr>,
}

/// The search index of one published version.
#[derive(Debug, Default)]
pub(crate) struct SearchIndex {
    items: Vec<Item>,
    /// Folded word → (item, field weight), items ascending, one entry per item.
    words: BTreeMap<String, Vec<(u32, u8)>>,
    /// Category slugs.
    categories: Vec<String>,
    /// Attribute field names (`brand`, `color`, ..., `attr.<name>`).
    fields: Vec<String>,
    /// Shown attribute values and the field of each.
    values: Vec<(u32, String)>,
    /// Alphabetical rank of each value, to order facet values of equal count without
    /// comparing text.
    rank: Vec<u32>,
    /// Alphabetical rank of each category slug.
    category_rank: Vec<u32>,
    /// The items of each category and its subcategories, ascending.
    category_items: Vec<Vec<u32>>,
    /// Facets by the filters that produced them: they depend on nothing else, and browsing
    /// repeats the same filters (a category, a colour) with other pages and sorts.
    facet_cache: FacetCache,
    /// Folded attribute spellings → their index.
    folded: HashMap<String, u32>,
}

/// Lowercase, accents and other marks removed (`Imperméable` → `impermeable`).
pub fn fold(text: &str) -> String {
    text.nfkd()
        .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .collect()
}

/// The folded words of a text.
fn words(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(fold)
}

/// The words a query matches on: folded, at most [`MAX_TERMS`], a final plural `s`/`x` dropped
/// from longer words so that `jackets` finds `jacket` and `manteaux` finds `manteau`.
pub(crate) fn terms(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for mut w in words(text) {
        if w.chars().count() > 3 && (w.ends_with('s') || w.ends_with('x')) {
            w.pop();
        }
        if !out.contains(&w) {
            out.push(w);
        }
        if out.len() == MAX_TERMS {
            break;
        }
    }
    out
}

const SCHEMA: &str = "https://schema.org/";
const SKOS: &str = "http://www.w3.org/2004/02/skos/core#";

/// Word weights per field: a match in the name counts most.
const W_SKU: u8 = 8;
const W_NAME: u8 = 5;
const W_KEYWORDS: u8 = 3;
const W_ATTRIBUTE: u8 = 2;
const W_DESCRIPTION: u8 = 1;

/// The literal values of one subject's properties, by schema.org local name.
#[derive(Default)]
struct Node {
    literals: HashMap<String, Vec<(String, Option<String>)>>,
    links: HashMap<String, Vec<Term>>,
}

impl Node {
    fn read(
        store: &Store,
        graph: NamedNodeRef<'_>,
        s: NamedOrBlankNodeRef<'_>,
    ) -> Result<Self, GraphError> {
        let mut node = Node::default();
        for q in store.quads_for_pattern(Some(s), None, None, Some(graph.into())) {
            let q = q?;
            let p = q.predicate.as_str();
            let name = p
                .strip_prefix(SCHEMA)
                .or_else(|| p.strip_prefix(SKOS).map(|_| p))
                .unwrap_or(p)
                .to_owned();
            match q.object {
                Term::Literal(l) => {
                    let lang = l.language().map(str::to_owned);
                    node.literals
                        .entry(name)
                        .or_default()
                        .push((l.value().to_owned(), lang));
                }
                other => node.links.entry(name).or_default().push(other),
            }
        }
        Ok(node)
    }

    fn all(&self, name: &str) -> &[(String, Option<String>)] {
        self.literals.get(name).map_or(&[], Vec::as_slice)
    }

    fn first(&self, name: &str) -> Option<&str> {
        self.all(name).first().map(|(v, _)| v.as_str())
    }

    /// The value to show: English, else untagged, else French, else any.
    fn shown(&self, name: &str) -> Option<String> {
        let all = self.all(name);
        let pick = |lang: Option<&str>| {
            all.iter()
                .find(|(_, l)| l.as_deref().map(|l| l.split('-').next().unwrap_or(l)) == lang)
        };
        pick(Some("en"))
            .or_else(|| pick(None))
            .or_else(|| pick(Some("fr")))
            .or_else(|| all.first())
            .map(|(v, _)| v.clone())
    }

    fn link(&self, name: &str) -> Option<&Term> {
        self.links.get(name).and_then(|l| l.first())
    }

    fn links(&self, name: &str) -> &[Term] {
        self.links.get(name).map_or(&[], Vec::as_slice)
    }
}

fn subject(t: &Term) -> Option<NamedOrBlankNodeRef<'_>> {
    match t {
        Term::NamedNode(n) => Some(n.as_ref().into()),
        Term::BlankNode(b) => Some(b.as_ref().into()),
        _ => None,
    }
}

/// The taxonomy: slug, parent and label words per concept.
struct Taxonomy {
    slugs: Vec<String>,
    by_node: HashMap<Term, u32>,
    parent: Vec<Option<u32>>,
    labels: Vec<Vec<String>>,
}

impl Taxonomy {
    fn read(store: &Store, graph: NamedNodeRef<'_>) -> Result<Self, GraphError> {
        let notation = NamedNodeRef::new_unchecked("http://www.w3.org/2004/02/skos/core#notation");
        let mut tax = Taxonomy {
            slugs: Vec::new(),
            by_node: HashMap::new(),
            parent: Vec::new(),
            labels: Vec::new(),
        };
        let mut broader = Vec::new();
        for q in store.quads_for_pattern(None, Some(notation), None, Some(graph.into())) {
            let q = q?;
            let Term::Literal(slug) = &q.object else {
                continue;
            };
            let node = Term::from(q.subject.clone());
            if tax.by_node.contains_key(&node) {
                continue;
            }
            let n = Node::read(store, graph, q.subject.as_ref())?;
            tax.by_node
                .insert(node, u32::try_from(tax.slugs.len()).unwrap_or(u32::MAX));
            tax.slugs.push(slug.value().to_owned());
            tax.labels.push(
                n.all(&format!("{SKOS}prefLabel"))
                    .iter()
                    .map(|(v, _)| v.clone())
                    .collect(),
            );
            broader.push(n.link(&format!("{SKOS}broader")).cloned());
        }
        tax.parent = broader
            .iter()
            .map(|b| b.as_ref().and_then(|b| tax.by_node.get(b).copied()))
            .collect();
        Ok(tax)
    }

    /// A concept and its ancestors, nearest first; stops on a cycle.
    fn lineage(&self, start: u32) -> Vec<u32> {
        let mut out = vec![start];
        let mut at = start;
        while let Some(p) = self.parent.get(at as usize).copied().flatten() {
            if out.contains(&p) {
                break;
            }
            out.push(p);
            at = p;
        }
        out
    }
}

/// Interns attribute field names.
#[derive(Default)]
struct Fields {
    names: Vec<String>,
    ids: HashMap<String, u32>,
}

impl Fields {
    fn id(&mut self, name: &str) -> u32 {
        if let Some(id) = self.ids.get(name) {
            return *id;
        }
        let id = u32::try_from(self.names.len()).unwrap_or(u32::MAX);
        self.names.push(name.to_owned());
        self.ids.insert(name.to_owned(), id);
        id
    }
}

struct Builder<'a> {
    store: &'a Store,
    graph: NamedNodeRef<'a>,
    fields: Fields,
    brands: HashMap<Term, Option<String>>,
    groups: HashMap<Term, Option<String>>,
    words: BTreeMap<String, Vec<(u32, u8)>>,
    values: Vec<(u32, String)>,
    value_ids: HashMap<(u32, String), u32>,
    folded: HashMap<String, u32>,
}

/// The most filter combinations whose facets an index remembers.
const FACET_CACHE_CAPACITY: usize = 4096;

struct FacetCache(quick_cache::sync::Cache<String, std::sync::Arc<Vec<Facet>>>);

impl std::fmt::Debug for FacetCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FacetCache")
            .field("len", &self.0.len())
            .finish()
    }
}

impl Default for FacetCache {
    fn default() -> Self {
        Self(quick_cache::sync::Cache::new(FACET_CACHE_CAPACITY))
    }
}

/// The alphabetical rank of each text.
fn rank<'a>(texts: impl IntoIterator<Item = &'a str>) -> Vec<u32> {
    let texts: Vec<&str> = texts.into_iter().collect();
    let mut order: Vec<usize> = (0..texts.len()).collect();
    order.sort_unstable_by(|a, b| texts[*a].cmp(texts[*b]));
    let mut rank = vec![0; texts.len()];
    for (r, v) in order.into_iter().enumerate() {
        rank[v] = index_of(r);
    }
    rank
}

fn index_of(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

impl Builder<'_> {
    fn add_words(&mut self, doc: u32, text: &str, weight: u8) {
        for w in words(text) {
            let postings = self.words.entry(w).or_default();
            match postings.last_mut() {
                Some((d, best)) if *d == doc => *best = (*best).max(weight),
                _ => postings.push((doc, weight)),
            }
        }
    }

    fn name_of(
        &mut self,
        t: &Term,
        cache: fn(&mut Self) -> &mut HashMap<Term, Option<String>>,
        prop: &str,
    ) -> Result<Option<String>, GraphError> {
        if let Term::Literal(l) = t {
            return Ok(Some(l.value().to_owned()));
        }
        if let Some(known) = cache(self).get(t) {
            return Ok(known.clone());
        }
        let value = match subject(t) {
            Some(s) => Node::read(self.store, self.graph, s)?.shown(prop),
            None => None,
        };
        cache(self).insert(t.clone(), value.clone());
        Ok(value)
    }

    fn attr(
        &mut self,
        doc: u32,
        field: &str,
        values: &[(String, Option<String>)],
        shown: Option<String>,
    ) -> Option<Attr> {
        let shown = shown?;
        for (v, _) in values {
            self.add_words(doc, v, W_ATTRIBUTE);
        }
        let field = self.fields.id(field);
        let next = index_of(self.values.len());
        let value = *self.value_ids.entry((field, shown.clone())).or_insert(next);
        if value == next {
            self.values.push((field, shown.clone()));
        }
        let mut folded: Vec<u32> = values
            .iter()
            .map(|(v, _)| v.as_str())
            .chain([shown.as_str()])
            .map(|v| {
                let next = index_of(self.folded.len());
                *self.folded.entry(fold(v)).or_insert(next)
            })
            .collect();
        folded.sort_unstable();
        folded.dedup();
        Some(Attr {
            field,
            value,
            folded: folded.into(),
        })
    }
}

impl SearchIndex {
    /// Reads the sellable items (a `schema:sku` and an offer with price, currency and
    /// availability) of one version graph.
    pub(crate) fn build(store: &Store, graph: NamedNodeRef<'_>) -> Result<Self, GraphError> {
        let taxonomy = Taxonomy::read(store, graph)?;
        let sku_p = NamedNodeRef::new_unchecked("https://schema.org/sku");
        let mut subjects: Vec<(String, NamedOrBlankNode)> = Vec::new();
        let mut seen = HashSet::new();
        for q in store.quads_for_pattern(None, Some(sku_p), None, Some(graph.into())) {
            let q = q?;
            if let Term::Literal(l) = &q.object
                && seen.insert(q.subject.clone())
            {
                subjects.push((l.value().to_owned(), q.subject));
            }
        }
        subjects.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        // One item per SKU, should two products claim the same one.
        subjects.dedup_by(|a, b| a.0 == b.0);
        let mut b = Builder {
            store,
            graph,
            fields: Fields::default(),
            brands: HashMap::new(),
            groups: HashMap::new(),
            words: BTreeMap::new(),
            values: Vec::new(),
            value_ids: HashMap::new(),
            folded: HashMap::new(),
        };
        for f in ["brand", "color", "size", "material"] {
            b.fields.id(f);
        }
        let mut items: Vec<Item> = Vec::with_capacity(subjects.len());
        for (sku_text, s) in subjects {
            let (Ok(sku), Ok(id)) = (
                Sku::parse(sku_text.clone()),
                ProductId::parse(sku_text.clone()),
            ) else {
                continue;
            };
            let node = Node::read(store, graph, s.as_ref())?;
            let Some(offer) = node.links("offers").iter().find_map(|o| {
                let o = Node::read(store, graph, subject(o)?).ok()?;
                let price = money(o.first("price")?, o.first("priceCurrency")?).ok()?;
                let availability = match o.link("availability")? {
                    Term::NamedNode(n) => Availability::from_schema_org(n.as_str())?,
                    _ => return None,
                };
                Some((price, availability))
            }) else {
                continue;
            };
            let doc = u32::try_from(items.len()).unwrap_or(u32::MAX);
            let mut names = BTreeMap::new();
            for (v, lang) in node.all("name") {
                let lang = lang.clone().unwrap_or_else(|| "und".to_owned());
                names.entry(lang).or_insert_with(|| v.clone());
                b.add_words(doc, v, W_NAME);
            }
            let name = names
                .get("en")
                .or_else(|| names.get("fr"))
                .or_else(|| names.values().next())
                .cloned()
                .unwrap_or_else(|| sku_text.clone());
            b.add_words(doc, &sku_text, W_SKU);
            for p in ["gtin", "gtin8", "gtin12", "gtin13", "gtin14", "mpn"] {
                for (v, _) in node.all(p) {
                    b.add_words(doc, v, W_SKU);
                }
            }
            for (v, _) in node.all("keywords") {
                b.add_words(doc, v, W_KEYWORDS);
            }
            for (v, _) in node.all("description") {
                b.add_words(doc, v, W_DESCRIPTION);
            }
            let category = node
                .link("category")
                .and_then(|c| taxonomy.by_node.get(c).copied());
            let categories = category.map(|c| taxonomy.lineage(c)).unwrap_or_default();
            for c in &categories {
                for label in &taxonomy.labels[*c as usize] {
                    b.add_words(doc, label, W_KEYWORDS);
                }
            }
            let group = match node.link("isVariantOf") {
                Some(g) => b.name_of(g, |b| &mut b.groups, "productGroupID")?,
                None => None,
            };
            let mut attrs = Vec::new();
            let brand = match node.link("brand").or_else(|| node.link("manufacturer")) {
                Some(t) => b.name_of(t, |b| &mut b.brands, "name")?,
                None => node.first("brand").map(str::to_owned),
            };
            if let Some(brand) = &brand {
                attrs.extend(b.attr(doc, "brand", &[(brand.clone(), None)], Some(brand.clone())));
            }
            for f in ["color", "size", "material"] {
                let shown = node.shown(f);
                attrs.extend(b.attr(doc, f, node.all(f), shown));
            }
            for pv in node.links("additionalProperty") {
                let Some(pv) = subject(pv) else { continue };
                let pv = Node::read(store, graph, pv)?;
                let (Some(prop), Some(value)) = (pv.shown("name"), pv.shown("value")) else {
                    continue;
                };
                let field = format!(
                    "attr.{}",
                    fold(&prop).split_whitespace().collect::<Vec<_>>().join("-")
                );
                attrs.extend(b.attr(doc, &field, pv.all("value"), Some(value)));
            }
            items.push(Item {
                name_key: fold(&name),
                name_rank: 0,
                summary: ProductSummary {
                    id,
                    sku,
                    name,
                    names,
                    price: offer.0,
                    availability: offer.1,
                    category: category.map(|c| taxonomy.slugs[c as usize].clone()),
                    product_group: group,
                    brand,
                },
                categories,
                attrs,
            });
        }
        let category_rank = rank(taxonomy.slugs.iter().map(String::as_str));
        // Items are in SKU order, so (name, item) order is (name, SKU) order.
        let mut by_name: Vec<usize> = (0..items.len()).collect();
        by_name.sort_unstable_by(|a, b| items[*a].name_key.cmp(&items[*b].name_key).then(a.cmp(b)));
        for (r, d) in by_name.into_iter().enumerate() {
            items[d].name_rank = index_of(r);
        }
        let mut category_items = vec![Vec::new(); taxonomy.slugs.len()];
        for (d, item) in items.iter().enumerate() {
            for c in &item.categories {
                category_items[*c as usize].push(index_of(d));
            }
        }
        Ok(SearchIndex {
            items,
            words: b.words,
            categories: taxonomy.slugs,
            fields: b.fields.names,
            rank: rank(b.values.iter().map(|(_, v)| v.as_str())),
            category_rank,
            category_items,
            values: b.values,
            folded: b.folded,
            facet_cache: FacetCache(quick_cache::sync::Cache::new(FACET_CACHE_CAPACITY)),
        })
    }

    /// Relevance of every item to the free text, `None` for an item that misses a word.
    fn scores(&self, terms: &[String]) -> Option<Vec<f32>> {
        if terms.is_empty() {
            return None;
        }
        let n = self.items.len();
        let mut score = vec![0f32; n];
        let mut hits = vec![0u8; n];
        let mut best = vec![0u8; n];
        for term in terms {
            let mut touched = Vec::new();
            let prefix = term.chars().count() >= 3;
            let matching: Vec<&Vec<(u32, u8)>> = if prefix {
                self.words
                    .range(term.clone()..)
                    .take_while(|(w, _)| w.starts_with(term.as_str()))
                    .map(|(_, p)| p)
                    .collect()
            } else {
                self.words.get(term).into_iter().collect()
            };
            for postings in matching {
                for &(d, w) in postings {
                    let slot = &mut best[d as usize];
                    if *slot == 0 {
                        touched.push(d);
                    }
                    *slot = (*slot).max(w);
                }
            }
            #[allow(clippy::cast_precision_loss)]
            let idf = (1.0 + n as f32 / (1.0 + touched.len() as f32)).ln();
            for d in touched {
                let d = d as usize;
                score[d] += f32::from(best[d]) * idf;
                hits[d] += 1;
                best[d] = 0;
            }
        }
        let all = u8::try_from(terms.len()).unwrap_or(u8::MAX);
        for (s, h) in score.iter_mut().zip(hits) {
            if h != all {
                *s = f32::NAN;
            }
        }
        Some(score)
    }

    /// Runs a search.
    pub(crate) fn search(&self, q: &ProductQuery) -> ProductPage {
        // The query's words, split and folded once for scoring, matching and the facet key.
        let words = q.text.as_deref().map(terms).unwrap_or_default();
        let scores = self.scores(&words);
        let terms_given = !words.is_empty();
        let category = match &q.category {
            Some(slug) => match self.categories.iter().position(|c| c == slug) {
                Some(c) => Some(u32::try_from(c).unwrap_or(u32::MAX)),
                None => return ProductPage::empty(),
            },
            None => None,
        };
        let mut wanted: Vec<(u32, u32)> = Vec::new();
        for (field, value) in &q.attributes {
            let f = self.fields.iter().position(|f| f == field);
            match (f, self.folded.get(&fold(value))) {
                (Some(f), Some(v)) => wanted.push((index_of(f), *v)),
                _ => return ProductPage::empty(),
            }
        }
        let currency = q
            .currency
            .or(q.min_price.map(Money::currency))
            .or(q.max_price.map(Money::currency));
        // A category narrows the candidates to its own items before any other test.
        let candidates: Box<dyn Iterator<Item = u32>> = match category {
            Some(c) => Box::new(self.category_items[c as usize].iter().copied()),
            None => Box::new(0..index_of(self.items.len())),
        };
        let matches: Vec<u32> = candidates
            .filter(|&d| {
                let d = d as usize;
                let item = &self.items[d];
                let p = item.summary.price;
                (!terms_given || scores.as_ref().is_some_and(|s| !s[d].is_nan()))
                    && currency.is_none_or(|c| p.currency() == c)
                    && q.min_price.is_none_or(|m| p.amount() >= m.amount())
                    && q.max_price.is_none_or(|m| p.amount() <= m.amount())
                    && (!q.in_stock
                        || matches!(
                            item.summary.availability,
                            Availability::InStock | Availability::LimitedAvailability
                        ))
                    && wanted.iter().all(|(f, v)| {
                        item.attrs
                            .iter()
                            .any(|a| a.field == *f && a.folded.contains(v))
                    })
            })
            .collect();
        let filters = format!(
            "{:?}",
            (
                &words,
                category,
                &wanted,
                currency,
                q.min_price,
                q.max_price,
                q.in_stock
            )
        );
        let facets = match self.facet_cache.0.get(&filters) {
            Some(f) => f,
            None => {
                let f = std::sync::Arc::new(self.facets(&matches));
                self.facet_cache
                    .0
                    .insert(filters, std::sync::Arc::clone(&f));
                f
            }
        };
        let total = matches.len();
        let sort = if q.sort == Sort::Relevance && scores.is_none() {
            Sort::Sku
        } else {
            q.sort
        };
        let scores = scores.as_deref();
        let cmp = |a: &u32, b: &u32| self.compare(sort, scores, *a, *b);
        let mut page: Vec<u32> = match &q.after {
            Some(c) => matches
                .into_iter()
                .filter(|&d| self.compare_to_cursor(sort, scores, d, c) == Ordering::Greater)
                .collect(),
            None => matches,
        };
        let limit = q.limit.max(1);
        if page.len() > limit + 1 {
            page.select_nth_unstable_by(limit, cmp);
            page.truncate(limit + 1);
        }
        page.sort_unstable_by(cmp);
        let more = page.len() > limit;
        page.truncate(limit);
        let next = match page.last() {
            Some(&d) if more => Some(Cursor {
                sort: q.sort,
                key: self.key(d, sort, scores),
                sku: self.items[d as usize].summary.sku.as_str().to_owned(),
            }),
            _ => None,
        };
        ProductPage {
            items: page
                .into_iter()
                .map(|d| self.items[d as usize].summary.clone())
                .collect(),
            next,
            total,
            facets,
        }
    }

    /// The order of two items under `sort`: their keys, then their SKUs.
    fn compare(&self, sort: Sort, scores: Option<&[f32]>, a: u32, b: u32) -> Ordering {
        let (x, y) = (&self.items[a as usize], &self.items[b as usize]);
        let by_key = match sort {
            Sort::Relevance => {
                let s = |d: u32| scores.map_or(0.0, |s| s[d as usize]);
                s(b).total_cmp(&s(a))
            }
            Sort::PriceAsc | Sort::PriceDesc => {
                let (p, q) = (x.summary.price, y.summary.price);
                let by_amount = if sort == Sort::PriceDesc {
                    q.amount().cmp(&p.amount())
                } else {
                    p.amount().cmp(&q.amount())
                };
                let by_currency = if p.currency() == q.currency() {
                    Ordering::Equal
                } else {
                    p.currency().code().cmp(q.currency().code())
                };
                by_currency.then(by_amount)
            }
            Sort::NameAsc => x.name_rank.cmp(&y.name_rank),
            Sort::NameDesc => y.name_rank.cmp(&x.name_rank),
            Sort::Sku => Ordering::Equal,
        };
        // Items are numbered in SKU order.
        by_key.then(a.cmp(&b))
    }

    /// The order of an item and the item a cursor ended on.
    fn compare_to_cursor(
        &self,
        sort: Sort,
        scores: Option<&[f32]>,
        d: u32,
        c: &Cursor,
    ) -> Ordering {
        let item = &self.items[d as usize];
        let by_key = match (&c.key, sort) {
            (Key::Score(s), Sort::Relevance) => s.total_cmp(&scores.map_or(0.0, |x| x[d as usize])),
            (Key::Price(code, amount), Sort::PriceAsc | Sort::PriceDesc) => {
                let p = item.summary.price;
                let by_amount = if sort == Sort::PriceDesc {
                    amount.cmp(&p.amount())
                } else {
                    p.amount().cmp(amount)
                };
                p.currency().code().cmp(code.as_str()).then(by_amount)
            }
            (Key::Name(n), Sort::NameAsc) => item.name_key.as_str().cmp(n.as_str()),
            // `-name` is the exact reverse of `name`: equal names in descending SKU order.
            (Key::Name(n), Sort::NameDesc) => {
                return n
                    .as_str()
                    .cmp(item.name_key.as_str())
                    .then_with(|| c.sku.as_str().cmp(item.summary.sku.as_str()));
            }
            _ => Ordering::Equal,
        };
        by_key.then_with(|| item.summary.sku.as_str().cmp(c.sku.as_str()))
    }

    /// The sort key of an item, for its cursor.
    fn key(&self, d: u32, sort: Sort, scores: Option<&[f32]>) -> Key {
        let item = &self.items[d as usize];
        match sort {
            Sort::Relevance => Key::Score(scores.map_or(0.0, |s| s[d as usize])),
            Sort::PriceAsc | Sort::PriceDesc => Key::Price(
                item.summary.price.currency().code().to_owned(),
                item.summary.price.amount(),
            ),
            Sort::NameAsc | Sort::NameDesc => Key::Name(item.name_key.clone()),
            Sort::Sku => Key::None,
        }
    }

    /// Counts per category (with ancestors), availability and attribute value, in arrays
    /// indexed like the index's tables.
    fn facets(&self, matches: &[u32]) -> Vec<Facet> {
        let mut categories = vec![0usize; self.categories.len()];
        let mut availability = [0usize; Availability::ALL.len()];
        let mut values = vec![0usize; self.values.len()];
        let mut seen_values = Vec::new();
        for &d in matches {
            let item = &self.items[d as usize];
            for c in &item.categories {
                categories[*c as usize] += 1;
            }
            if let Some(a) = Availability::ALL
                .iter()
                .position(|a| *a == item.summary.availability)
            {
                availability[a] += 1;
            }
            for a in &item.attrs {
                let n = &mut values[a.value as usize];
                if *n == 0 {
                    seen_values.push(a.value);
                }
                *n += 1;
            }
        }
        let mut out = vec![
            facet(
                "category",
                self.categories
                    .iter()
                    .zip(categories)
                    .zip(&self.category_rank)
                    .map(|((c, n), r)| (c.as_str(), n, *r)),
            ),
            facet(
                "availability",
                Availability::ALL
                    .iter()
                    .zip(availability)
                    .zip(0..)
                    .map(|((a, n), r)| (a.as_str(), n, r)),
            ),
        ];
        let mut by_field: Vec<Vec<(&str, usize, u32)>> = vec![Vec::new(); self.fields.len()];
        for v in seen_values {
            let (field, shown) = &self.values[v as usize];
            by_field[*field as usize].push((
                shown.as_str(),
                values[v as usize],
                self.rank[v as usize],
            ));
        }
        // The four named attributes first, then the properties most matching items have.
        let mut fields: Vec<(usize, usize)> = by_field
            .iter()
            .enumerate()
            .filter(|(_, v)| !v.is_empty())
            .map(|(f, v)| (f, v.iter().map(|(_, n, _)| n).sum()))
            .collect();
        fields.sort_by_key(|&(f, n)| (f >= 4, std::cmp::Reverse(n), f));
        for (f, _) in fields.into_iter().take(4 + MAX_ATTRIBUTE_FACETS) {
            out.push(facet(&self.fields[f], std::mem::take(&mut by_field[f])));
        }
        out.retain(|f| !f.values.is_empty());
        out
    }
}

/// A facet from `(value, count, rank)`: the most frequent values first, equal counts in rank
/// order.
fn facet<'a>(field: &str, counts: impl IntoIterator<Item = (&'a str, usize, u32)>) -> Facet {
    let mut values: Vec<(&str, usize, u32)> =
        counts.into_iter().filter(|(_, n, _)| *n > 0).collect();
    let order = |a: &(&str, usize, u32), b: &(&str, usize, u32)| b.1.cmp(&a.1).then(a.2.cmp(&b.2));
    let truncated = values.len() > MAX_FACET_VALUES;
    if truncated {
        values.select_nth_unstable_by(MAX_FACET_VALUES, order);
        values.truncate(MAX_FACET_VALUES);
    }
    values.sort_unstable_by(order);
    Facet {
        field: field.to_owned(),
        values: values
            .into_iter()
            .map(|(v, count, _)| FacetValue {
                value: v.to_owned(),
                count,
            })
            .collect(),
        truncated,
    }
}

impl ProductPage {
    fn empty() -> Self {
        ProductPage {
            items: Vec::new(),
            next: None,
            total: 0,
            facets: std::sync::Arc::default(),
        }
    }
}

impl SearchIndex {
    /// The category slugs of a sellable item and of every ancestor of its category; `None`
    /// when the SKU is not sold.
    /// The item of `sku`, if sold. Items are numbered in SKU order.
    fn item(&self, sku: &Sku) -> Option<&Item> {
        let i = self
            .items
            .binary_search_by(|item| item.summary.sku.as_str().cmp(sku.as_str()))
            .ok()?;
        self.items.get(i)
    }

    fn categories_of(&self, sku: &Sku) -> Option<Vec<String>> {
        Some(
            self.item(sku)?
                .categories
                .iter()
                .map(|&c| self.categories[c as usize].clone())
                .collect(),
        )
    }
}

impl crate::CatalogStore {
    /// Searches the sellable items of the published catalog.
    pub fn search(&self, q: &ProductQuery) -> Result<ProductPage, GraphError> {
        let published = self.published().ok_or(GraphError::NothingPublished)?;
        Ok(published.index.search(q))
    }

    /// The category slugs (with ancestors) of a SKU of the published catalog; `None` when the
    /// SKU is not sold. Reads the search index, never the store.
    pub fn sku_categories(&self, sku: &Sku) -> Result<Option<Vec<String>>, GraphError> {
        let published = self.published().ok_or(GraphError::NothingPublished)?;
        Ok(published.index.categories_of(sku))
    }

    /// The published offer of a SKU and its category slugs (with ancestors); `None` when the SKU
    /// is not sold. Reads the search index, never the store: what quotes price lines from.
    pub fn listing(&self, sku: &Sku) -> Result<Option<(crate::SkuOffer, Vec<String>)>, GraphError> {
        let published = self.published().ok_or(GraphError::NothingPublished)?;
        let index = &published.index;
        Ok(index.item(sku).map(|item| {
            let s = &item.summary;
            let offer = crate::SkuOffer {
                sku: s.sku.clone(),
                name: s.name.clone(),
                price: s.price,
                availability: s.availability,
            };
            (offer, index.categories_of(sku).unwrap_or_default())
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_removes_case_and_accents() {
        assert_eq!(fold("Imperméable ÉTÉ Œuvre"), "impermeable ete œuvre");
        assert_eq!(fold("Ça"), "ca");
    }

    #[test]
    fn query_terms_are_folded_deduplicated_singular_and_bounded() {
        assert_eq!(
            terms("Waterproof, WINTER jackets!"),
            ["waterproof", "winter", "jacket"]
        );
        assert_eq!(
            terms("manteaux d'hiver imperméables"),
            ["manteau", "d", "hiver", "impermeable"]
        );
        assert_eq!(terms("bas bas"), ["bas"]);
        let many: String = (0..20).map(|i| format!("w{i} ")).collect();
        assert_eq!(terms(&many).len(), MAX_TERMS);
    }

    #[test]
    fn sorts_parse_from_their_names() {
        for (text, sort) in [
            ("relevance", Sort::Relevance),
            ("price", Sort::PriceAsc),
            ("-price", Sort::PriceDesc),
            ("name", Sort::NameAsc),
            ("-name", Sort::NameDesc),
            ("sku", Sort::Sku),
        ] {
            assert_eq!(Sort::parse(text), Some(sort));
        }
        assert_eq!(Sort::parse("cheapest"), None);
    }

    #[test]
    fn cursors_round_trip_and_reject_foreign_text() {
        let c = Cursor {
            sort: Sort::PriceDesc,
            key: Key::Price("EUR".into(), 24_900),
            sku: "VC-1".into(),
        };
        assert_eq!(Cursor::decode(&c.encode()), Some(c));
        assert_eq!(Cursor::decode("not a cursor"), None);
        assert_eq!(Cursor::decode(&URL_SAFE_NO_PAD.encode("{}")), None);
    }
}
