//! What a publication changes: products (by SKU) added, removed and changed between versions.

use std::collections::HashMap;
use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};

use oxigraph::model::{GraphNameRef, NamedNode, NamedNodeRef, NamedOrBlankNode, Term};
use serde::Serialize;

use crate::store::version_graph;
use crate::{CatalogStore, GraphError};

const SKU: NamedNodeRef<'static> = NamedNodeRef::new_unchecked("https://schema.org/sku");
const OFFERS: NamedNodeRef<'static> = NamedNodeRef::new_unchecked("https://schema.org/offers");

/// Products added, removed and changed between two versions, by SKU. A product changed when
/// any of its own statements or its offers' statements differ.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct CatalogDiff {
    /// SKUs only in the new version.
    pub added: usize,
    /// SKUs only in the old version.
    pub removed: usize,
    /// SKUs in both, described differently.
    pub changed: usize,
    /// SKUs in both, described identically.
    pub unchanged: usize,
}

impl CatalogStore {
    pub(crate) fn diff(&self, from: Option<u32>, to: u32) -> Result<CatalogDiff, GraphError> {
        let new = self.fingerprints(to)?;
        let old = match from {
            Some(v) if v != to => self.fingerprints(v)?,
            Some(_) => new.clone(),
            None => HashMap::new(),
        };
        let mut d = CatalogDiff::default();
        for (sku, print) in &new {
            match old.get(sku) {
                None => d.added += 1,
                Some(p) if p == print => d.unchanged += 1,
                Some(_) => d.changed += 1,
            }
        }
        d.removed = old.keys().filter(|k| !new.contains_key(*k)).count();
        Ok(d)
    }

    /// SKU → digest of the product's statements (offers and blank nodes expanded).
    fn fingerprints(&self, version: u32) -> Result<HashMap<String, u64>, GraphError> {
        let graph = version_graph(version);
        let mut out = HashMap::new();
        for q in self
            .store
            .quads_for_pattern(None, Some(SKU), None, Some(graph.as_ref().into()))
        {
            let q = q?;
            let Term::Literal(sku) = &q.object else {
                continue;
            };
            let mut h = DefaultHasher::new();
            self.describe(&graph, &q.subject, 0)?.hash(&mut h);
            out.insert(sku.value().to_owned(), h.finish());
        }
        Ok(out)
    }

    /// The sorted statements of `node`, with offers and blank nodes described inline.
    fn describe(
        &self,
        graph: &NamedNode,
        node: &NamedOrBlankNode,
        depth: usize,
    ) -> Result<Vec<String>, GraphError> {
        let g: GraphNameRef<'_> = graph.as_ref().into();
        let mut lines = Vec::new();
        for q in self
            .store
            .quads_for_pattern(Some(node.as_ref()), None, None, Some(g))
        {
            let q = q?;
            let nested = match &q.object {
                Term::BlankNode(b) if depth < 3 => Some(NamedOrBlankNode::from(b.clone())),
                Term::NamedNode(n) if q.predicate == OFFERS && depth < 3 => {
                    Some(NamedOrBlankNode::from(n.clone()))
                }
                _ => None,
            };
            let object = match nested {
                Some(n) => format!("[{}]", self.describe(graph, &n, depth + 1)?.join(";")),
                None => q.object.to_string(),
            };
            lines.push(format!("{} {object}", q.predicate));
        }
        lines.sort_unstable();
        Ok(lines)
    }
}
