//! Catalog validation: every rule checked over a whole version, every failure reported at once
//! (up to [`MAX_ISSUES`] listed, all counted), each naming the subject, the field and the fault.

use b2a_model::{Availability, Currency, Gtin, Money};
use oxigraph::model::{NamedNode, Term};
use oxigraph::sparql::QuerySolution;
use serde::Serialize;

use crate::query::PREFIXES;
use crate::store::version_graph;
use crate::{CatalogStore, GraphError};

/// The most issues a report lists; the rest are counted.
pub const MAX_ISSUES: usize = 1000;

/// One fault of a catalog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CatalogIssue {
    /// The product, offer or category at fault (its IRI, or `_:…` for a blank node).
    pub subject: String,
    /// The schema.org (or SKOS) property concerned, e.g. `offers/price`.
    pub field: String,
    /// What is wrong.
    pub message: String,
}

/// The result of validating a catalog version.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ValidationReport {
    /// Issues, at most [`MAX_ISSUES`], in rule order then subject order.
    pub issues: Vec<CatalogIssue>,
    /// How many issues there are in all.
    pub total: usize,
}

impl ValidationReport {
    /// True when the catalog may be published.
    pub fn is_valid(&self) -> bool {
        self.total == 0
    }

    fn push(&mut self, subject: &Term, field: &str, message: impl Into<String>) {
        self.total += 1;
        if self.issues.len() < MAX_ISSUES {
            self.issues.push(CatalogIssue {
                subject: node(subject),
                field: field.to_owned(),
                message: message.into(),
            });
        }
    }
}

fn node(t: &Term) -> String {
    match t {
        Term::NamedNode(n) => n.as_str().to_owned(),
        Term::BlankNode(b) => format!("_:{}", b.as_str()),
        Term::Literal(l) => l.value().to_owned(),
        #[allow(unreachable_patterns)]
        other => other.to_string(),
    }
}

fn get<'a>(s: &'a QuerySolution, name: &str) -> Result<&'a Term, GraphError> {
    s.get(name)
        .ok_or_else(|| GraphError::Query(format!("validation query lacks ?{name}")))
}

fn value(s: &QuerySolution, name: &str) -> Option<String> {
    match s.get(name)? {
        Term::Literal(l) => Some(l.value().to_owned()),
        Term::NamedNode(n) => Some(n.as_str().to_owned()),
        _ => None,
    }
}

/// Relations whose IRI targets must be described in the same version.
const RELATIONS: &str = "schema:isVariantOf schema:hasVariant schema:isAccessoryOrSparePartFor \
                         schema:isSimilarTo schema:isRelatedTo schema:isConsumableFor \
                         schema:category schema:offers schema:brand skos:broader";

impl CatalogStore {
    /// Validates a loaded version.
    pub fn validate(&self, version: u32) -> Result<ValidationReport, GraphError> {
        let graph = version_graph(version);
        if !self.store.contains_named_graph(graph.as_ref())? {
            return Err(GraphError::UnknownVersion(version));
        }
        let mut report = ValidationReport::default();
        self.check_products(&graph, &mut report)?;
        self.check_offers(&graph, &mut report)?;
        self.check_gtins(&graph, &mut report)?;
        self.check_duplicate_skus(&graph, &mut report)?;
        self.check_relations(&graph, &mut report)?;
        self.check_taxonomy(&graph, &mut report)?;
        Ok(report)
    }

    fn run(&self, graph: &NamedNode, body: &str) -> Result<Vec<QuerySolution>, GraphError> {
        self.select_in(graph.clone(), &format!("{PREFIXES}{body}"), Vec::new())
    }

    fn check_products(&self, g: &NamedNode, r: &mut ValidationReport) -> Result<(), GraphError> {
        let rows = self.run(
            g,
            "SELECT ?p ?has_name ?has_id ?has_offer WHERE {
               { ?p a schema:Product } UNION { ?p a schema:ProductGroup }
               BIND(EXISTS { ?p schema:name ?n } AS ?has_name)
               BIND(EXISTS { ?p schema:sku|schema:gtin|schema:gtin8|schema:gtin12|schema:gtin13|schema:gtin14|schema:productGroupID ?id } AS ?has_id)
               BIND(EXISTS { ?p a schema:ProductGroup } || EXISTS { ?p schema:offers ?o } AS ?has_offer)
             } ORDER BY ?p",
        )?;
        for s in &rows {
            let p = get(s, "p")?;
            if value(s, "has_name").as_deref() != Some("true") {
                r.push(p, "name", "a product needs a name");
            }
            if value(s, "has_id").as_deref() != Some("true") {
                r.push(p, "sku", "a product needs a sku or a gtin");
            }
            if value(s, "has_offer").as_deref() != Some("true") {
                r.push(
                    p,
                    "offers",
                    "a product needs at least one offer with price, currency and availability",
                );
            }
        }
        Ok(())
    }

    fn check_offers(&self, g: &NamedNode, r: &mut ValidationReport) -> Result<(), GraphError> {
        let rows = self.run(
            g,
            "SELECT ?o ?price ?currency ?availability WHERE {
               ?p a schema:Product ; schema:offers ?o .
               OPTIONAL { ?o schema:price ?price }
               OPTIONAL { ?o schema:priceCurrency ?currency }
               OPTIONAL { ?o schema:availability ?availability }
             } ORDER BY ?o",
        )?;
        for s in &rows {
            let o = get(s, "o")?;
            let currency = match value(s, "currency") {
                None => {
                    r.push(o, "priceCurrency", "an offer needs a priceCurrency");
                    None
                }
                Some(c) => match Currency::parse(&c) {
                    Ok(c) => Some(c),
                    Err(e) => {
                        r.push(o, "priceCurrency", e.to_string());
                        None
                    }
                },
            };
            match (value(s, "price"), currency) {
                (None, _) => r.push(o, "price", "an offer needs a price"),
                (Some(p), Some(c)) => match Money::parse_decimal(&p, c) {
                    Ok(m) if m.amount() < 0 => r.push(o, "price", format!("negative price {p}")),
                    Ok(_) => {}
                    Err(e) => r.push(o, "price", e.to_string()),
                },
                (Some(_), None) => {}
            }
            match value(s, "availability") {
                None => r.push(o, "availability", "an offer needs an availability"),
                Some(a) if Availability::from_schema_org(&a).is_none() => {
                    r.push(
                        o,
                        "availability",
                        format!("{a} is not a schema.org ItemAvailability"),
                    );
                }
                Some(_) => {}
            }
        }
        Ok(())
    }

    fn check_gtins(&self, g: &NamedNode, r: &mut ValidationReport) -> Result<(), GraphError> {
        let rows = self.run(
            g,
            "SELECT ?p ?prop ?gtin WHERE {
               VALUES ?prop { schema:gtin schema:gtin8 schema:gtin12 schema:gtin13 schema:gtin14 }
               ?p ?prop ?gtin
             } ORDER BY ?p",
        )?;
        for s in &rows {
            let (Some(prop), Some(gtin)) = (value(s, "prop"), value(s, "gtin")) else {
                continue;
            };
            let field = prop.trim_start_matches("https://schema.org/");
            match Gtin::parse(&gtin) {
                Err(e) => r.push(get(s, "p")?, field, e.to_string()),
                Ok(_) if field != "gtin" && !field.ends_with(&gtin.len().to_string()) => {
                    r.push(
                        get(s, "p")?,
                        field,
                        format!("`{gtin}` has {} digits", gtin.len()),
                    );
                }
                Ok(_) => {}
            }
        }
        Ok(())
    }

    fn check_duplicate_skus(
        &self,
        g: &NamedNode,
        r: &mut ValidationReport,
    ) -> Result<(), GraphError> {
        let rows = self.run(
            g,
            "SELECT ?sku (COUNT(DISTINCT ?p) AS ?n) (MIN(STR(?p)) AS ?first) WHERE {
               ?p a schema:Product ; schema:sku ?sku
             } GROUP BY ?sku HAVING (COUNT(DISTINCT ?p) > 1) ORDER BY ?sku",
        )?;
        for s in &rows {
            let n = value(s, "n").unwrap_or_default();
            let sku = value(s, "sku").unwrap_or_default();
            r.push(
                get(s, "first")?,
                "sku",
                format!("sku `{sku}` is used by {n} products"),
            );
        }
        Ok(())
    }

    fn check_relations(&self, g: &NamedNode, r: &mut ValidationReport) -> Result<(), GraphError> {
        let rows = self.run(
            g,
            &format!(
                "SELECT ?s ?prop ?t WHERE {{
                   VALUES ?prop {{ {RELATIONS} }}
                   ?s ?prop ?t .
                   FILTER(isIRI(?t))
                   FILTER NOT EXISTS {{ ?t ?anything ?value }}
                 }} ORDER BY ?s ?prop ?t"
            ),
        )?;
        for s in &rows {
            let field = value(s, "prop").unwrap_or_default();
            let field = field
                .trim_start_matches("https://schema.org/")
                .replace("http://www.w3.org/2004/02/skos/core#", "skos:");
            let target = value(s, "t").unwrap_or_default();
            r.push(
                get(s, "s")?,
                &field,
                format!("target {target} is not described in this catalog"),
            );
        }
        Ok(())
    }

    fn check_taxonomy(&self, g: &NamedNode, r: &mut ValidationReport) -> Result<(), GraphError> {
        let rows = self.run(
            g,
            "SELECT DISTINCT ?c WHERE { ?c skos:broader+ ?c } ORDER BY ?c",
        )?;
        for s in &rows {
            r.push(
                get(s, "c")?,
                "skos:broader",
                "the category is its own ancestor (taxonomy cycle)",
            );
        }
        Ok(())
    }
}
