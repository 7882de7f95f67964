use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError, RwLock};

use oxigraph::io::RdfFormat;
use oxigraph::model::{GraphNameRef, Literal, NamedNode, NamedNodeRef, QuadRef, Term};
use oxigraph::store::Store;

use crate::GraphError;
use crate::diff::CatalogDiff;
use crate::search::SearchIndex;

const SYSTEM_GRAPH: NamedNodeRef<'static> = NamedNodeRef::new_unchecked("urn:b2a:system");
const CATALOG: NamedNodeRef<'static> = NamedNodeRef::new_unchecked("urn:b2a:catalog");
const PUBLISHED: NamedNodeRef<'static> = NamedNodeRef::new_unchecked("urn:b2a:published");
const VERSION_PREFIX: &str = "urn:b2a:catalog:v";
const PUBLICATION_PREFIX: &str = "urn:b2a:publication:";
const VERSION: NamedNodeRef<'static> = NamedNodeRef::new_unchecked("urn:b2a:version");
const KIND: NamedNodeRef<'static> = NamedNodeRef::new_unchecked("urn:b2a:kind");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Publish,
    Rollback,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Publish => "publish",
            Kind::Rollback => "rollback",
        }
    }
}

/// What a publication changed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PublishReport {
    /// The version now published.
    pub version: u32,
    /// The version published before, if any.
    pub previous: Option<u32>,
    /// Products (by SKU) added, removed and changed against `previous`.
    pub diff: CatalogDiff,
    /// True when this publication undid the previous one.
    pub rollback: bool,
}

/// The published version and its search index, switched together.
#[derive(Debug, Clone)]
pub(crate) struct Published {
    pub(crate) version: u32,
    pub(crate) index: Arc<SearchIndex>,
}

/// The catalog store: Oxigraph on disk, with versioned named graphs.
pub struct CatalogStore {
    pub(crate) store: Store,
    published: RwLock<Option<Published>>,
    /// Serializes the writers (loads allocate version numbers, publications the history):
    /// Oxigraph transactions do not detect write-write conflicts.
    pub(crate) writer: Mutex<()>,
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
            .and_then(|q| version_of(&q.object))
            .map(|version| {
                let index = SearchIndex::build(&store, version_graph(version).as_ref())?;
                Ok::<_, GraphError>(Published {
                    version,
                    index: Arc::new(index),
                })
            })
            .transpose()?;
        Ok(Self {
            store,
            published: RwLock::new(published),
            writer: Mutex::new(()),
        })
    }

    /// The published version, if any.
    pub fn published_version(&self) -> Option<u32> {
        self.published().map(|p| p.version)
    }

    /// The published version with its search index.
    pub(crate) fn published(&self) -> Option<Published> {
        self.published
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
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

    /// Validates `version` and, if it is valid, makes it the published one in one transaction.
    /// Readers see the previous version or this one, never a mix. Refuses an invalid catalog
    /// with [`GraphError::Invalid`]; the previous version keeps serving.
    pub fn publish(&self, version: u32) -> Result<PublishReport, GraphError> {
        let _writer = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        self.switch_to(version, Kind::Publish)
    }

    /// Undoes the last publication: the version published before it is published again.
    pub fn rollback(&self) -> Result<PublishReport, GraphError> {
        let _writer = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        let stack = self.publication_stack()?;
        let target = match stack.as_slice() {
            [.., target, _current] => *target,
            _ => return Err(GraphError::NothingToRollBack),
        };
        self.switch_to(target, Kind::Rollback)
    }

    /// Validates and publishes `version`. The caller holds the writer lock.
    fn switch_to(&self, version: u32, kind: Kind) -> Result<PublishReport, GraphError> {
        let graph = version_graph(version);
        if !self.store.contains_named_graph(graph.as_ref())? {
            return Err(GraphError::UnknownVersion(version));
        }
        let report = self.validate(version)?;
        if !report.is_valid() {
            return Err(GraphError::Invalid(report));
        }
        let previous = self.published_version();
        let diff = self.diff(previous, version)?;
        let index = Arc::new(SearchIndex::build(&self.store, graph.as_ref())?);
        let seq = self.history()?.last().map_or(1, |h| h.0 + 1);
        let entry = NamedNode::new_unchecked(format!("{PUBLICATION_PREFIX}{seq:010}"));
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
        tx.insert(QuadRef::new(
            entry.as_ref(),
            VERSION,
            graph.as_ref(),
            SYSTEM_GRAPH,
        ));
        let kind_literal = Literal::new_simple_literal(kind.as_str());
        tx.insert(QuadRef::new(
            entry.as_ref(),
            KIND,
            kind_literal.as_ref(),
            SYSTEM_GRAPH,
        ));
        tx.commit()?;
        self.store.flush()?;
        *self
            .published
            .write()
            .unwrap_or_else(PoisonError::into_inner) = Some(Published { version, index });
        Ok(PublishReport {
            version,
            previous,
            diff,
            rollback: kind == Kind::Rollback,
        })
    }

    /// Every publication, oldest first: `(sequence, version, kind)`.
    fn history(&self) -> Result<Vec<(u64, u32, Kind)>, GraphError> {
        let mut out = Vec::new();
        for q in self
            .store
            .quads_for_pattern(None, Some(VERSION), None, Some(SYSTEM_GRAPH.into()))
        {
            let q = q?;
            let seq = match &q.subject {
                oxigraph::model::NamedOrBlankNode::NamedNode(n) => n
                    .as_str()
                    .strip_prefix(PUBLICATION_PREFIX)
                    .and_then(|s| s.parse().ok()),
                _ => None,
            };
            let (Some(seq), Some(version)) = (seq, version_of(&q.object)) else {
                continue;
            };
            let kind = self
                .store
                .quads_for_pattern(
                    Some(q.subject.as_ref()),
                    Some(KIND),
                    None,
                    Some(SYSTEM_GRAPH.into()),
                )
                .next()
                .transpose()?
                .map_or(Kind::Publish, |k| match &k.object {
                    Term::Literal(l) if l.value() == Kind::Rollback.as_str() => Kind::Rollback,
                    _ => Kind::Publish,
                });
            out.push((seq, version, kind));
        }
        out.sort_unstable_by_key(|h| h.0);
        Ok(out)
    }

    /// The versions a rollback walks back through: each publication pushes, each rollback pops.
    fn publication_stack(&self) -> Result<Vec<u32>, GraphError> {
        let mut stack = Vec::new();
        for (_, version, kind) in self.history()? {
            match kind {
                Kind::Publish => stack.push(version),
                Kind::Rollback => {
                    stack.pop();
                    if stack.last() != Some(&version) {
                        stack.push(version);
                    }
                }
            }
        }
        Ok(stack)
    }

    /// The named graph of the published version.
    pub(crate) fn published_graph(&self) -> Result<NamedNode, GraphError> {
        self.published_version()
            .map(version_graph)
            .ok_or(GraphError::NothingPublished)
    }

    /// The published version serialized whole: `(version, bytes)`. Only the public catalog graph
    /// is written; nothing else the store holds.
    pub fn export(&self, format: RdfFormat) -> Result<(u32, Vec<u8>), GraphError> {
        let version = self
            .published_version()
            .ok_or(GraphError::NothingPublished)?;
        let graph = version_graph(version);
        let mut serializer = oxigraph::io::RdfSerializer::from_format(format);
        if format == RdfFormat::Turtle {
            for (prefix, iri) in [
                ("schema", "https://schema.org/"),
                ("skos", "http://www.w3.org/2004/02/skos/core#"),
                ("xsd", "http://www.w3.org/2001/XMLSchema#"),
            ] {
                serializer = serializer
                    .with_prefix(prefix, iri)
                    .map_err(|e| GraphError::Query(e.to_string()))?;
            }
        }
        let body = self
            .store
            .dump_graph_to_writer(graph.as_ref(), serializer, Vec::new())
            .map_err(|e| GraphError::Storage(e.to_string()))?;
        Ok((version, body))
    }

    /// Number of `schema:Product`s in a version.
    pub fn product_count(&self, version: u32) -> Result<usize, GraphError> {
        let graph = version_graph(version);
        let product = NamedNodeRef::new_unchecked("https://schema.org/Product");
        let rdf_type = oxigraph::model::vocab::rdf::TYPE;
        Ok(self
            .store
            .quads_for_pattern(
                None,
                Some(rdf_type),
                Some(product.into()),
                Some(graph.as_ref().into()),
            )
            .count())
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
