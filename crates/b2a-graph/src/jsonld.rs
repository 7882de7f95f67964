//! Renders one product of the published catalog: schema.org JSON-LD, plain JSON, or the same
//! triples as Turtle.

use std::collections::{BTreeMap, HashSet};

use b2a_model::ProductId;
use oxigraph::io::{RdfFormat, RdfSerializer};
use oxigraph::model::vocab::{rdf, xsd};
use oxigraph::model::{
    GraphNameRef, Literal, NamedNodeRef, NamedOrBlankNode, Term, TermRef, Triple,
};
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
    /// Every triple rendered, for the Turtle view.
    triples: Vec<Triple>,
}

/// One product as rendered from the published catalog: the JSON-LD document and the triples it
/// was made of.
#[derive(Debug, Clone)]
pub struct ProductDocument {
    version: u32,
    jsonld: Value,
    /// `jsonld` serialized, made on first use.
    jsonld_bytes: std::sync::OnceLock<Vec<u8>>,
    triples: Vec<Triple>,
}

impl ProductDocument {
    /// The catalog version it was rendered from.
    pub fn version(&self) -> u32 {
        self.version
    }

    /// schema.org JSON-LD (`application/ld+json`).
    pub fn jsonld(&self) -> &Value {
        &self.jsonld
    }

    /// The JSON-LD serialized, once per document (a document stays cached while its version is
    /// published, so most requests reuse the bytes).
    pub fn jsonld_bytes(&self) -> &[u8] {
        self.jsonld_bytes
            .get_or_init(|| serde_json::to_vec(&self.jsonld).unwrap_or_default())
    }

    /// Plain JSON (`application/json`): the same tree without JSON-LD keywords: `@id` and
    /// `@type` become `id` and `type`, and language-tagged text becomes an object by language
    /// (`{"en": "...", "fr": "..."}`).
    pub fn plain_json(&self) -> Value {
        plain(&self.jsonld)
    }

    /// The same triples as Turtle (`text/turtle`).
    pub fn turtle(&self) -> Result<Vec<u8>, GraphError> {
        let mut serializer = RdfSerializer::from_format(RdfFormat::Turtle);
        for (prefix, iri) in [("schema", SCHEMA), ("skos", SKOS), ("xsd", XSD)] {
            serializer = serializer
                .with_prefix(prefix, iri)
                .map_err(|e| GraphError::Query(e.to_string()))?;
        }
        let mut writer = serializer.for_writer(Vec::new());
        for t in &self.triples {
            writer
                .serialize_triple(t)
                .map_err(|e| GraphError::Query(e.to_string()))?;
        }
        writer
            .finish()
            .map_err(|e| GraphError::Query(e.to_string()))
    }
}

const XSD: &str = "http://www.w3.org/2001/XMLSchema#";

/// JSON-LD without its keywords, see [`ProductDocument::plain_json`].
fn plain(v: &Value) -> Value {
    match v {
        Value::Array(items) => {
            // A property in several languages becomes one object by language.
            let by_lang: Option<Map<String, Value>> = items
                .iter()
                .map(|i| {
                    let lang = i.get("@language")?.as_str()?;
                    Some((lang.to_owned(), i.get("@value")?.clone()))
                })
                .collect();
            match by_lang {
                Some(m) if !m.is_empty() => Value::Object(m),
                _ => Value::Array(items.iter().map(plain).collect()),
            }
        }
        Value::Object(o) => {
            if let (Some(value), Some(Value::String(lang))) = (o.get("@value"), o.get("@language"))
            {
                let mut m = Map::new();
                m.insert(lang.clone(), value.clone());
                return Value::Object(m);
            }
            o.iter()
                .filter(|(k, _)| k.as_str() != "@context")
                .map(|(k, v)| (k.strip_prefix('@').unwrap_or(k).to_owned(), plain(v)))
                .collect::<Map<_, _>>()
                .into()
        }
        other => other.clone(),
    }
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
            self.triples.push(Triple::new(
                q.subject.clone(),
                q.predicate.clone(),
                q.object.clone(),
            ));
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
    /// A product (by SKU) or product group (by `productGroupID`) of the published catalog, with
    /// its offers, variants, shipping and return policy embedded.
    pub fn product(&self, id: &ProductId) -> Result<Option<ProductDocument>, GraphError> {
        let version = self
            .published_version()
            .ok_or(GraphError::NothingPublished)?;
        let graph = crate::store::version_graph(version);
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
            triples: Vec::new(),
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
        Ok(Some(ProductDocument {
            version,
            jsonld: doc,
            jsonld_bytes: std::sync::OnceLock::new(),
            triples: r.triples,
        }))
    }
}
