use std::path::Path;
use std::sync::RwLock;

use oxigraph::io::{RdfFormat, RdfParser};
use oxigraph::model::{GraphNameRef, NamedNode, NamedNodeRef, QuadRef, Term};
use oxigraph::store::Store;

use crate::GraphError;

const SYSTEM_GRAPH: NamedNodeRef<'static> = NamedNodeRef::new_unchecked("urn:b2a:system");
const CATALOG: NamedNodeRef<'static> = NamedNodeRef::new_unchecked("urn:b2a:catalog");
const PUBLISHED: NamedNodeRef<'static> = NamedNodeRef::new_unchecked("urn:b2a:published");
const VERSION_PREFIX: &str = "urn:b2a:catalog:v";

/// The catalog store: Oxigraph on disk, with versioned named graphs.
pub struct CatalogStore {
    pub(crate) store: Store,
    published: RwLock<Option<u32>>,
}

impl std::fmt::Debug for CatalogStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CatalogStore")
            .field("published", &self.published_version())
            .finish_non_exhaustive()
    }
}

pub(crate) fn version_graph(version: u32) -> NamedNode {
    NamedNode::new_unchecked(format!("{VERSION_PREFIX}{version}"))
}

fn version_of(term: &Term) -> Option<u32> {
    match term {
        Term::NamedNode(n) => n.as_str().strip_prefix(VERSION_PREFIX)?.parse().ok(),
        _ => None,
    }
}

impl CatalogStore {
    /// Opens (creating if needed) the on-disk store at `path`.
    pub fn open(path: &Path) -> Result<Self, GraphError> {
        Self::from_store(Store::open(path)?)
    }

    /// An in-memory store, for tests and tools.
    pub fn in_memory() -> Result<Self, GraphError> {
        Self::from_store(Store::new()?)
    }

    fn from_store(store: Store) -> Result<Self, GraphError> {
        let published = store
            .quads_for_pattern(
                Some(CATALOG.into()),
                Some(PUBLISHED),
                None,
                Some(SYSTEM_GRAPH.into()),
            )
            .next()
            .transpose()?
            .and_then(|q| version_of(&q.object));
        Ok(Self {
            store,
            published: RwLock::new(published),
        })
    }

    /// The published version, if any.
    pub fn published_version(&self) -> Option<u32> {
        *self
            .published
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Every loaded version, ascending.
    pub fn versions(&self) -> Result<Vec<u32>, GraphError> {
        let mut out = Vec::new();
        for g in self.store.named_graphs() {
            if let Some(v) = version_of(&Term::from(g?)) {
                out.push(v);
            }
        }
        out.sort_unstable();
        Ok(out)
    }

    /// Loads catalog text as a new, unpublished version and returns its number. Atomic: on a
    /// parse error nothing is stored.
    pub fn load_version(&self, format: RdfFormat, data: &[u8]) -> Result<u32, GraphError> {
        let version = self.versions()?.last().map_or(1, |v| v + 1);
        let graph = version_graph(version);
        let parser = RdfParser::from_format(format)
            .without_named_graphs()
            .with_default_graph(graph.as_ref());
        self.store
            .load_from_slice(parser, data)
            .map_err(|e| match e {
                oxigraph::store::LoaderError::Parsing(p) => GraphError::Parse(p.to_string()),
                other => GraphError::Storage(other.to_string()),
            })?;
        self.store.insert_named_graph(graph.as_ref())?;
        Ok(version)
    }

    /// Switches the published pointer to `version` in one transaction.
    pub fn publish(&self, version: u32) -> Result<(), GraphError> {
        let graph = version_graph(version);
        if !self.store.contains_named_graph(graph.as_ref())? {
            return Err(GraphError::UnknownVersion(version));
        }
        let mut tx = self.store.start_transaction()?;
        let old: Vec<_> = tx
            .quads_for_pattern(
                Some(CATALOG.into()),
                Some(PUBLISHED),
                None,
                Some(SYSTEM_GRAPH.into()),
            )
            .collect::<Result<_, _>>()?;
        for q in &old {
            tx.remove(q.as_ref());
        }
        tx.insert(QuadRef::new(
            CATALOG,
            PUBLISHED,
            graph.as_ref(),
            SYSTEM_GRAPH,
        ));
        tx.commit()?;
        self.store.flush()?;
        *self
            .published
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(version);
        Ok(())
    }

    /// The named graph of the published version.
    pub(crate) fn published_graph(&self) -> Result<NamedNode, GraphError> {
        self.published_version()
            .map(version_graph)
            .ok_or(GraphError::NothingPublished)
    }

    /// Number of triples in a version.
    pub fn triple_count(&self, version: u32) -> Result<usize, GraphError> {
        let graph = version_graph(version);
        let g: GraphNameRef<'_> = graph.as_ref().into();
        Ok(self
            .store
            .quads_for_pattern(None, None, None, Some(g))
            .count())
    }
}
