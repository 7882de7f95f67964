use std::collections::BTreeMap;

use b2a_model::{Availability, Currency, Money, ProductId, Sku};
use oxigraph::model::{GraphName, Literal, Term, Variable, vocab::xsd};
use oxigraph::sparql::{QueryResults, QuerySolution, SparqlEvaluator};
use serde::Serialize;

use crate::{CatalogStore, GraphError};

pub(crate) const PREFIXES: &str = "PREFIX schema: <https://schema.org/>\n\
                        PREFIX skos: <http://www.w3.org/2004/02/skos/core#>\n";

/// Searchable text of a product: its names, descriptions, keywords, colour and category labels.
const TEXT_PATH: &str = "(schema:name|schema:description|schema:keywords|schema:color|\
                         schema:category/skos:broader*/skos:prefLabel)";

/// The most words of free text a search matches on.
pub(crate) const MAX_TERMS: usize = 8;

/// A catalog search. Every value is bound into the query as a variable, never spliced.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProductQuery {
    /// Free text: every word must appear in a name, description, keyword, colour or category
    /// label, in any language, case-insensitively.
    pub text: Option<String>,
    /// A category slug (`skos:notation`); products in it or any of its subcategories match.
    pub category: Option<String>,
    /// Only offers in this currency at or below this amount.
    pub max_price: Option<Money>,
    /// Only offers in this currency.
    pub currency: Option<Currency>,
    /// Resume after this SKU (keyset pagination in SKU order).
    pub after: Option<Sku>,
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
}

/// A page of results.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductPage {
    /// The items, in SKU order.
    pub items: Vec<ProductSummary>,
    /// The SKU to resume after, when there are more.
    pub next_after: Option<Sku>,
}

/// What the pricing engine needs to know of one SKU.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkuOffer {
    /// What.
    pub sku: Sku,
    /// Display name.
    pub name: String,
    /// List price of one unit.
    pub price: Money,
    /// Offer availability.
    pub availability: Availability,
}

fn var(name: &str) -> Variable {
    Variable::new_unchecked(name)
}

pub(crate) fn text(s: &QuerySolution, name: &str) -> Option<String> {
    match s.get(name)? {
        Term::Literal(l) => Some(l.value().to_owned()),
        Term::NamedNode(n) => Some(n.as_str().to_owned()),
        _ => None,
    }
}

/// The `?name_en` and `?name_fr` of a solution by language tag, and the one to show (English,
/// else French).
pub(crate) fn names(s: &QuerySolution) -> (Option<String>, BTreeMap<String, String>) {
    let mut names = BTreeMap::new();
    for lang in ["en", "fr"] {
        if let Some(n) = text(s, &format!("name_{lang}")) {
            names.insert(lang.to_owned(), n);
        }
    }
    let shown = names.get("en").or_else(|| names.get("fr")).cloned();
    (shown, names)
}

fn required(s: &QuerySolution, name: &str) -> Result<String, GraphError> {
    text(s, name).ok_or_else(|| GraphError::Inconsistent(format!("missing ?{name}")))
}

/// The SELECT list: the variables read back, then every bound variable (Oxigraph substitutes
/// only projected variables).
fn projection(read: &[&str], bindings: &[(Variable, Term)]) -> String {
    read.iter()
        .map(|v| format!("?{v}"))
        .chain(bindings.iter().map(|(v, _)| v.to_string()))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Splits free text into at most [`MAX_TERMS`] lowercase words.
pub(crate) fn terms(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .take(MAX_TERMS)
        .collect()
}

/// Money from a schema.org `price` (decimal text) and `priceCurrency`.
fn money(price: &str, currency: &str) -> Result<Money, GraphError> {
    let currency =
        Currency::parse(currency).map_err(|e| GraphError::Inconsistent(e.to_string()))?;
    Money::parse_decimal(price, currency).map_err(|e| GraphError::Inconsistent(e.to_string()))
}

/// A decimal literal for `amount` minor units.
fn decimal(m: Money) -> Literal {
    let exp = u32::from(m.currency().exponent());
    let scale = 10_i64.pow(exp);
    let sign = if m.amount() < 0 { "-" } else { "" };
    let abs = m.amount().unsigned_abs();
    let scale = scale.unsigned_abs();
    let text = format!(
        "{sign}{}.{:0w$}",
        abs / scale,
        abs % scale,
        w = exp.max(1) as usize
    );
    Literal::new_typed_literal(text, xsd::DECIMAL)
}

impl CatalogStore {
    pub(crate) fn select(
        &self,
        query: &str,
        bindings: Vec<(Variable, Term)>,
    ) -> Result<Vec<QuerySolution>, GraphError> {
        self.select_in(self.published_graph()?, query, bindings)
    }

    /// Runs a SELECT over one version graph (as the default graph), with `bindings` substituted.
    pub(crate) fn select_in(
        &self,
        graph: oxigraph::model::NamedNode,
        query: &str,
        bindings: Vec<(Variable, Term)>,
    ) -> Result<Vec<QuerySolution>, GraphError> {
        let mut prepared = SparqlEvaluator::new()
            .parse_query(query)
            .map_err(|e| GraphError::Query(format!("internal query does not parse: {e}")))?;
        prepared
            .dataset_mut()
            .set_default_graph(vec![GraphName::NamedNode(graph)]);
        let mut bound = prepared.on_store(&self.store);
        for (v, t) in bindings {
            bound = bound.substitute_variable(v, t);
        }
        match bound.execute()? {
            QueryResults::Solutions(solutions) => {
                solutions.map(|s| s.map_err(GraphError::from)).collect()
            }
            _ => Err(GraphError::Query("expected solutions".into())),
        }
    }

    /// Searches sellable items of the published catalog.
    pub fn search(&self, q: &ProductQuery) -> Result<ProductPage, GraphError> {
        let mut where_ = String::from(
            "?product a schema:Product ; schema:sku ?sku ; schema:offers ?offer .\n\
             ?offer schema:price ?price ; schema:priceCurrency ?currency ; schema:availability ?availability .\n\
             OPTIONAL { ?product schema:category/skos:notation ?category_slug }\n\
             OPTIONAL { ?product schema:isVariantOf/schema:productGroupID ?group }\n\
             OPTIONAL { ?product schema:name ?name_en FILTER(LANGMATCHES(LANG(?name_en), \"en\")) }\n\
             OPTIONAL { ?product schema:name ?name_fr FILTER(LANGMATCHES(LANG(?name_fr), \"fr\")) }\n",
        );
        let mut bindings = Vec::new();
        if let Some(category) = &q.category {
            where_.push_str("?product schema:category/skos:broader* ?in_category .\n?in_category skos:notation ?want_category .\n");
            bindings.push((
                var("want_category"),
                Literal::new_simple_literal(category).into(),
            ));
        }
        if let Some(currency) = q.currency.or(q.max_price.map(Money::currency)) {
            where_.push_str("FILTER(STR(?currency) = ?want_currency)\n");
            bindings.push((
                var("want_currency"),
                Literal::new_simple_literal(currency.code()).into(),
            ));
        }
        if let Some(max) = q.max_price {
            where_.push_str("FILTER(?price <= ?max_price)\n");
            bindings.push((var("max_price"), decimal(max).into()));
        }
        if let Some(after) = &q.after {
            where_.push_str("FILTER(STR(?sku) > ?after)\n");
            bindings.push((
                var("after"),
                Literal::new_simple_literal(after.as_str()).into(),
            ));
        }
        for (i, term) in q
            .text
            .as_deref()
            .map(terms)
            .unwrap_or_default()
            .into_iter()
            .enumerate()
        {
            where_.push_str(&format!(
                "FILTER EXISTS {{ ?product {TEXT_PATH} ?text{i} FILTER(CONTAINS(LCASE(STR(?text{i})), ?term{i})) }}\n"
            ));
            bindings.push((
                var(&format!("term{i}")),
                Literal::new_simple_literal(term).into(),
            ));
        }
        let projection = projection(
            &[
                "sku",
                "price",
                "currency",
                "availability",
                "category_slug",
                "group",
                "name_en",
                "name_fr",
            ],
            &bindings,
        );
        let query = format!("{PREFIXES}SELECT {projection} WHERE {{\n{where_}}}\nORDER BY ?sku");
        let solutions = self.select(&query, bindings)?;
        let mut items: Vec<ProductSummary> = Vec::with_capacity(q.limit.min(solutions.len()));
        let mut next_after = None;
        for s in &solutions {
            let item = summary(s)?;
            // A product with two names in one language yields two rows: keep the first.
            if items.last().is_some_and(|last| last.sku == item.sku) {
                continue;
            }
            if items.len() == q.limit {
                next_after = items.last().map(|i| i.sku.clone());
                break;
            }
            items.push(item);
        }
        Ok(ProductPage { items, next_after })
    }

    /// The published offer of one SKU, if the catalog sells it.
    pub fn offer(&self, sku: &Sku) -> Result<Option<SkuOffer>, GraphError> {
        let query = format!(
            "{PREFIXES}SELECT ?sku ?product ?price ?currency ?availability ?name_en ?name_fr WHERE {{\n\
             ?product a schema:Product ; schema:sku ?sku ; schema:offers ?offer .\n\
             ?offer schema:price ?price ; schema:priceCurrency ?currency ; schema:availability ?availability .\n\
             OPTIONAL {{ ?product schema:name ?name_en FILTER(LANGMATCHES(LANG(?name_en), \"en\")) }}\n\
             OPTIONAL {{ ?product schema:name ?name_fr FILTER(LANGMATCHES(LANG(?name_fr), \"fr\")) }}\n\
             }}"
        );
        let bindings = vec![(var("sku"), Literal::new_simple_literal(sku.as_str()).into())];
        let solutions = self.select(&query, bindings)?;
        let Some(s) = solutions.first() else {
            return Ok(None);
        };
        let distinct = |name: &str| {
            solutions
                .iter()
                .filter_map(|s| s.get(name))
                .collect::<std::collections::HashSet<_>>()
                .len()
        };
        if distinct("product") > 1 || distinct("price") > 1 || distinct("currency") > 1 {
            return Err(GraphError::Inconsistent(format!(
                "{sku} has several products or offers"
            )));
        }
        Ok(Some(SkuOffer {
            sku: sku.clone(),
            name: text(s, "name_en")
                .or_else(|| text(s, "name_fr"))
                .unwrap_or_else(|| sku.to_string()),
            price: money(&required(s, "price")?, &required(s, "currency")?)?,
            availability: availability(&required(s, "availability")?)?,
        }))
    }
}

fn availability(iri: &str) -> Result<Availability, GraphError> {
    Availability::from_schema_org(iri)
        .ok_or_else(|| GraphError::Inconsistent(format!("unknown availability {iri}")))
}

fn summary(s: &QuerySolution) -> Result<ProductSummary, GraphError> {
    let sku_text = required(s, "sku")?;
    let sku = Sku::parse(sku_text.clone()).map_err(|e| GraphError::Inconsistent(e.to_string()))?;
    let id = ProductId::parse(sku_text).map_err(|e| GraphError::Inconsistent(e.to_string()))?;
    let (name, names) = names(s);
    let name = name.unwrap_or_else(|| sku.to_string());
    Ok(ProductSummary {
        id,
        sku,
        name,
        names,
        price: money(&required(s, "price")?, &required(s, "currency")?)?,
        availability: availability(&required(s, "availability")?)?,
        category: text(s, "category_slug"),
        product_group: text(s, "group"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_text_becomes_lowercase_words() {
        assert_eq!(
            terms("Waterproof, WINTER coat!"),
            ["waterproof", "winter", "coat"]
        );
        assert_eq!(
            terms("manteau d'hiver imperméable"),
            ["manteau", "d", "hiver", "imperméable"]
        );
        assert_eq!(terms(&"a ".repeat(20)).len(), MAX_TERMS);
    }

    #[test]
    fn prices_become_exact_decimal_literals() {
        assert_eq!(decimal(Money::new(20_000, Currency::EUR)).value(), "200.00");
        assert_eq!(decimal(Money::new(5, Currency::EUR)).value(), "0.05");
    }
}
