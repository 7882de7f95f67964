//! Renders one product of the published catalog as schema.org JSON-LD.

use std::collections::{BTreeMap, HashSet};

use b2a_model::ProductId;
use oxigraph::model::vocab::{rdf, xsd};
use oxigraph::model::{GraphNameRef, Literal, NamedNodeRef, NamedOrBlankNode, Term, TermRef};
use serde_json::{Map, Value, json};

use crate::{CatalogStore, GraphError};

const SCHEMA: &str = "https://schema.org/";
const SKOS: &str = "http://www.w3.org/2004/02/skos/core#";

/// Properties whose objects are embedded (once) rather than referenced by `@id`.
const EMBEDDED: &[&str] = &[
    "offers",
    "hasVariant",
    "shippingDetails",
    "hasMerchantReturnPolicy",
    "brand",
    "category",
    "shippingDestination",
    "shippingRate",
    "deliveryTime",
    "handlingTime",
    "transitTime",
];

/// How deep embedding goes (product → variant → offer → shipping → rate).
const MAX_DEPTH: usize = 6;

fn compact(iri: &str) -> String {
    if let Some(local) = iri.strip_prefix(SCHEMA) {
        local.to_owned()
    } else if let Some(local) = iri.strip_prefix(SKOS) {
        format!("skos:{local}")
    } else {
        iri.to_owned()
    }
}

fn literal(l: &Literal) -> Value {
    if let Some(lang) = l.language() {
        return json!({"@value": l.value(), "@language": lang});
    }
    let dt = l.datatype();
    if dt == xsd::STRING {
        Value::String(l.value().to_owned())
    } else if dt == xsd::INTEGER {
        l.value()
            .parse::<i64>()
            .map_or_else(|_| json!(l.value()), Value::from)
    } else if dt == xsd::BOOLEAN {
        json!(l.value() == "true")
    } else {
        // Decimals stay text ("189.00"): exact, and schema.org accepts Text for prices.
        Value::String(l.value().to_owned())
    }
}

struct Renderer<'a> {
    catalog: &'a CatalogStore,
    graph: GraphNameRef<'a>,
    embedded: HashSet<NamedOrBlankNode>,
}

impl Renderer<'_> {
    fn node(&mut self, node: &NamedOrBlankNode, depth: usize) -> Result<Value, GraphError> {
        self.embedded.insert(node.clone());
        let mut obj = Map::new();
        if let NamedOrBlankNode::NamedNode(n) = node {
            obj.insert("@id".into(), json!(n.as_str()));
        }
        let mut props: BTreeMap<String, Vec<Value>> = BTreeMap::new();
        let mut types = Vec::new();
        let quads: Vec<_> = self
            .catalog
            .store
            .quads_for_pattern(Some(node.as_ref()), None, None, Some(self.graph))
            .collect::<Result<_, _>>()?;
        for q in quads {
            if q.predicate == rdf::TYPE {
                if let Term::NamedNode(t) = &q.object {
                    types.push(json!(compact(t.as_str())));
                }
                continue;
            }
            let key = compact(q.predicate.as_str());
            let value = match &q.object {
                Term::Literal(l) => literal(l),
                Term::NamedNode(n) => {
                    let target = NamedOrBlankNode::NamedNode(n.clone());
                    if EMBEDDED.contains(&key.as_str())
                        && depth < MAX_DEPTH
                        && !self.embedded.contains(&target)
                    {
                        self.node(&target, depth + 1)?
                    } else {
                        json!({"@id": n.as_str()})
                    }
                }
                Term::BlankNode(b) => {
                    let target = NamedOrBlankNode::BlankNode(b.clone());
                    if depth < MAX_DEPTH && !self.embedded.contains(&target) {
                        self.node(&target, depth + 1)?
                    } else {
                        Value::Null
                    }
                }
                #[allow(unreachable_patterns)]
                _ => Value::Null,
            };
            props.entry(key).or_default().push(value);
        }
        match types.len() {
            0 => {}
            1 => {
                obj.insert("@type".into(), types.swap_remove(0));
            }
            _ => {
                obj.insert("@type".into(), Value::Array(types));
            }
        }
        for (k, mut v) in props {
            let v = if v.len() == 1 {
                v.swap_remove(0)
            } else {
                Value::Array(v)
            };
            obj.insert(k, v);
        }
        Ok(Value::Object(obj))
    }
}

impl CatalogStore {
    /// A product (by SKU) or product group (by `productGroupID`) of the published catalog as
    /// schema.org JSON-LD, with its offers, variants, shipping and return policy embedded.
    pub fn product(&self, id: &ProductId) -> Result<Option<Value>, GraphError> {
        let graph = self.published_graph()?;
        let graph_ref: GraphNameRef<'_> = graph.as_ref().into();
        let key = Literal::new_simple_literal(id.as_str());
        let mut subject = None;
        for property in ["sku", "productGroupID"] {
            let p = format!("{SCHEMA}{property}");
            let p = NamedNodeRef::new_unchecked(&p);
            if let Some(q) = self
                .store
                .quads_for_pattern(None, Some(p), Some(TermRef::from(&key)), Some(graph_ref))
                .next()
                .transpose()?
            {
                subject = Some(q.subject);
                break;
            }
        }
        let Some(subject) = subject else {
            return Ok(None);
        };
        let mut r = Renderer {
            catalog: self,
            graph: graph_ref,
            embedded: HashSet::new(),
        };
        let mut doc = r.node(&subject, 0)?;
        if let Value::Object(obj) = &mut doc {
            let mut with_context = Map::new();
            with_context.insert(
                "@context".into(),
                json!(["https://schema.org", {"skos": SKOS}]),
            );
            with_context.append(obj);
            doc = Value::Object(with_context);
        }
        Ok(Some(doc))
    }
}
