//! Loading catalog files into a new version: every RDF format Oxigraph parses, each file's
//! quads (named graphs included) put into the version's graph, through the bulk loader.

use std::io::Read;
use std::path::Path;

use oxigraph::io::{JsonLdProfileSet, LoadedDocument, RdfFormat, RdfParser};
use oxigraph::model::Quad;

use crate::store::version_graph;
use crate::{CatalogStore, GraphError};

/// One catalog file or stream.
#[derive(Debug)]
pub struct CatalogSource<R> {
    /// How errors name it (a file path, `upload`, ...).
    pub name: String,
    /// Its syntax.
    pub format: RdfFormat,
    /// Its bytes.
    pub reader: R,
}

/// What a load did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoadReport {
    /// The new version.
    pub version: u32,
    /// Triples stored in it.
    pub triples: usize,
}

/// The RDF syntax of a file, from its extension.
pub fn format_for_path(path: &Path) -> Option<RdfFormat> {
    let ext = path.extension()?.to_str()?.to_ascii_lowercase();
    match ext.as_str() {
        "ttl" | "turtle" => Some(RdfFormat::Turtle),
        "nt" => Some(RdfFormat::NTriples),
        "nq" => Some(RdfFormat::NQuads),
        "trig" => Some(RdfFormat::TriG),
        "jsonld" | "json-ld" => Some(RdfFormat::JsonLd {
            profile: JsonLdProfileSet::empty(),
        }),
        "rdf" | "owl" | "xml" => Some(RdfFormat::RdfXml),
        _ => None,
    }
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
        for source in sources {
            let name = source.name;
            let quads = RdfParser::from_format(source.format)
                .rename_blank_nodes()
                .for_reader(source.reader)
                .with_document_loader(offline_contexts)
                .map(|q| {
                    q.map(|q| Quad::new(q.subject, q.predicate, q.object, graph.clone()))
                        .map_err(|e| GraphError::Parse(format!("{name}: {e}")))
                });
            loader.load_ok_quads::<GraphError, GraphError>(quads)?;
        }
        loader.commit()?;
        self.store.insert_named_graph(graph.as_ref())?;
        let triples = self.triple_count(version)?;
        if triples == 0 {
            self.store.remove_named_graph(graph.as_ref())?;
            return Err(GraphError::Parse("the catalog holds no triples".into()));
        }
        Ok(LoadReport { version, triples })
    }

    /// Loads one in-memory document as a new, unpublished version.
    pub fn load_version(&self, format: RdfFormat, data: &[u8]) -> Result<u32, GraphError> {
        let source = CatalogSource {
            name: "catalog".into(),
            format,
            reader: data,
        };
        Ok(self.load_sources(vec![source], |_| ())?.version)
    }
}
