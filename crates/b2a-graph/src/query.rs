use std::collections::BTreeMap;

use b2a_model::{Availability, Currency, Money, Sku};
use oxigraph::model::{GraphName, Literal, Term, Variable};
use oxigraph::sparql::{QueryResults, QuerySolution, SparqlEvaluator};

use crate::{CatalogStore, GraphError};

pub(crate) const PREFIXES: &str = "PREFIX schema: <https://schema.org/>\n\
                        PREFIX skos: <http://www.w3.org/2004/02/skos/core#>\n";

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

/// Money from a schema.org `price` (decimal text) and `priceCurrency`.
pub(crate) fn money(price: &str, currency: &str) -> Result<Money, GraphError> {
    let currency =
        Currency::parse(currency).map_err(|e| GraphError::Inconsistent(e.to_string()))?;
    Money::parse_decimal(price, currency).map_err(|e| GraphError::Inconsistent(e.to_string()))
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
