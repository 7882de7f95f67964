//! Loading catalog files into a new version: every RDF format Oxigraph parses, each file's
//! quads (named graphs included) put into the version's graph, and product feeds (CSV, JSON
//! Lines) mapped to schema.org by `feed.rs`, all through the bulk loader.

use std::collections::HashMap;
use std::io::Read;
use std::path::Path;

use b2a_model::Sku;
use oxigraph::io::{JsonLdProfileSet, LoadedDocument, RdfFormat, RdfParser};
use oxigraph::model::Quad;

use crate::feed::{FeedBase, FeedFormat, read_feed};
use crate::store::version_graph;
use crate::{CatalogStore, GraphError};

/// The syntax of a catalog source: an RDF syntax, or a product feed mapped to schema.org.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CatalogFormat {
    /// Any RDF syntax Oxigraph parses; named graphs are merged into the version.
    Rdf(RdfFormat),
    /// A product feed (`docs/catalog-format.md`), its nodes named under `base`.
    Feed {
        /// CSV or JSON Lines.
        format: FeedFormat,
        /// The IRI its products, offers, brands and categories are named under.
        base: FeedBase,
    },
}

impl CatalogFormat {
    /// The format of a media type (parameters such as `charset` ignored): `text/csv` and
    /// `application/jsonl` (or `application/x-ndjson`) are feeds under the default base, the
    /// rest are RDF syntaxes.
    pub fn from_media_type(media_type: &str) -> Option<Self> {
        match FeedFormat::from_media_type(media_type) {
            Some(format) => Some(format.into()),
            None => RdfFormat::from_media_type(media_type).map(Self::Rdf),
        }
    }

    /// The same format with feeds named under `base` (RDF syntaxes are unchanged).
    #[must_use]
    pub fn with_base(self, base: FeedBase) -> Self {
        match self {
            Self::Feed { format, .. } => Self::Feed { format, base },
            rdf @ Self::Rdf(_) => rdf,
        }
    }
}

impl From<RdfFormat> for CatalogFormat {
    fn from(format: RdfFormat) -> Self {
        Self::Rdf(format)
    }
}

impl From<FeedFormat> for CatalogFormat {
    /// A feed under [`FeedBase::DEFAULT`].
    fn from(format: FeedFormat) -> Self {
        Self::Feed {
            format,
            base: FeedBase::default(),
        }
    }
}

/// One catalog file or stream.
#[derive(Debug)]
pub struct CatalogSource<R> {
    /// How errors name it (a file path, `upload`, ...).
    pub name: String,
    /// Its syntax.
    pub format: CatalogFormat,
    /// Its bytes.
    pub reader: R,
}

/// What a load did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadReport {
    /// The new version.
    pub version: u32,
    /// Statements read into it (a statement repeated in the sources is stored once).
    pub triples: usize,
    /// The `stock` column of the feeds loaded, in feed order: brand-private, never stored in
    /// the graph; the caller gives it to the ledger.
    pub stock: Vec<(Sku, u32)>,
}

/// The syntax of a file, from its extension; feeds get the default base.
pub fn format_for_path(path: &Path) -> Option<CatalogFormat> {
    let ext = path.extension()?.to_str()?.to_ascii_lowercase();
    let rdf = match ext.as_str() {
        "ttl" | "turtle" => RdfFormat::Turtle,
        "nt" => RdfFormat::NTriples,
        "nq" => RdfFormat::NQuads,
        "trig" => RdfFormat::TriG,
        "jsonld" | "json-ld" => RdfFormat::JsonLd {
            profile: JsonLdProfileSet::empty(),
        },
        "rdf" | "owl" | "xml" => RdfFormat::RdfXml,
        "csv" => return Some(FeedFormat::Csv.into()),
        "jsonl" | "ndjson" => return Some(FeedFormat::JsonLines.into()),
        _ => return None,
    };
    Some(rdf.into())
}

/// The schema.org JSON-LD context, offline: `"@context": "https://schema.org"` maps terms to
/// `https://schema.org/` without fetching anything (the gateway never reaches the network while
/// loading a catalog).
fn offline_contexts(url: &str) -> Result<LoadedDocument, Box<dyn std::error::Error + Send + Sync>> {
    let schema_org = [
        "https://schema.org",
        "https://schema.org/",
        "http://schema.org",
        "http://schema.org/",
    ];
    if schema_org.contains(&url) || url.starts_with("https://schema.org/docs/jsonldcontext") {
        return Ok(LoadedDocument {
            url: url.to_owned(),
            content: br#"{"@context": {"@vocab": "https://schema.org/"}}"#.to_vec(),
            format: RdfFormat::JsonLd {
                profile: JsonLdProfileSet::empty(),
            },
        });
    }
    Err(
        format!("remote JSON-LD context {url} is not fetched; inline it or use https://schema.org")
            .into(),
    )
}

impl CatalogStore {
    /// Loads sources as one new, unpublished version. Atomic: if any source fails to parse,
    /// nothing is stored. `on_progress` is called with the number of triples loaded so far.
    /// The feeds' stock levels are returned in the report, not stored.
    pub fn load_sources<R: Read>(
        &self,
        sources: Vec<CatalogSource<R>>,
        on_progress: impl Fn(u64) + Send + Sync + 'static,
    ) -> Result<LoadReport, GraphError> {
        let _writer = self
            .writer
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let version = self.versions()?.last().map_or(1, |v| v + 1);
        let graph = version_graph(version);
        let mut loader = self.store.bulk_loader().on_progress(on_progress);
        let in_version = oxigraph::model::GraphName::NamedNode(graph.clone());
        let mut read = 0usize;
        let mut stock = Vec::new();
        // Product ids of the feeds so far: one id is one product across the whole load.
        let mut feed_ids: HashMap<Sku, (String, u64)> = HashMap::new();
        for source in sources {
            let name = source.name;
            match source.format {
                CatalogFormat::Rdf(format) => {
                    // Triples land in the version graph as they are parsed; the rare quads of
                    // a named graph are moved into it.
                    let quads = RdfParser::from_format(format)
                        .rename_blank_nodes()
                        .with_default_graph(graph.clone())
                        .for_reader(source.reader)
                        .with_document_loader(offline_contexts)
                        .map(|q| {
                            read += 1;
                            q.map(|q| {
                                if q.graph_name == in_version {
                                    q
                                } else {
                                    Quad::new(q.subject, q.predicate, q.object, graph.clone())
                                }
                            })
                            .map_err(|e| GraphError::Parse(format!("{name}: {e}")))
                        });
                    loader.load_ok_quads::<GraphError, GraphError>(quads)?;
                }
                CatalogFormat::Feed { format, base } => {
                    let feed = read_feed(&name, format, &base, source.reader)?;
                    for (id, line) in &feed.ids {
                        if let Some((other, first)) = feed_ids.get(id) {
                            return Err(GraphError::Parse(format!(
                                "{name}: line {line}: id: {:?} is already the id of {other} line {first}",
                                id.as_str()
                            )));
                        }
                        feed_ids.insert(id.clone(), (name.clone(), *line));
                    }
                    stock.extend(feed.stock);
                    read += feed.triples.len();
                    loader
                        .load_quads(feed.triples.into_iter().map(|t| t.in_graph(graph.clone())))?;
                }
            }
        }
        if read == 0 {
            return Err(GraphError::Parse("the catalog holds no triples".into()));
        }
        loader.commit()?;
        self.store.insert_named_graph(graph.as_ref())?;
        Ok(LoadReport {
            version,
            triples: read,
            stock,
        })
    }

    /// Loads one in-memory document (RDF, or a feed under the default base) as a new,
    /// unpublished version.
    pub fn load_version(
        &self,
        format: impl Into<CatalogFormat>,
        data: &[u8],
    ) -> Result<u32, GraphError> {
        let source = CatalogSource {
            name: "catalog".into(),
            format: format.into(),
            reader: data,
        };
        Ok(self.load_sources(vec![source], |_| ())?.version)
    }
}
