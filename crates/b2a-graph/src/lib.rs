//! The product knowledge graph: catalog versions in Oxigraph named graphs, typed queries with
//! bound variables, and schema.org JSON-LD rendering.
//!
//! Each loaded catalog is an immutable version in the named graph `urn:b2a:catalog:v{n}`; a
//! pointer in the system graph names the published one. Readers resolve the pointer once per
//! request and query that version only, so they see the old catalog or the new one, never a
//! mix. Nothing brand-private (costs, floors, stock) is ever stored here: those live in the
//! ledger, which no query of this crate can reach.
//!
//! The crate knows nothing of HTTP; it is blocking (RocksDB) and meant to be called from
//! `spawn_blocking`.

mod diff;
mod feed;
mod jsonld;
mod load;
mod navigate;
mod prov;
mod query;
mod search;
mod sparql;
mod store;
mod validate;

pub use diff::CatalogDiff;
pub use feed::{Feed, FeedBase, FeedFormat, read_feed};
pub use jsonld::ProductDocument;
pub use load::{CatalogFormat, CatalogSource, LoadReport, format_for_path};
pub use navigate::{Category, RelatedItem, Relation};
pub use oxigraph::io::{JsonLdProfileSet, RdfFormat};
pub use oxigraph::sparql::CancellationToken;
pub use prov::provenance;
pub use query::SkuOffer;
pub use search::{
    Cursor, Facet, FacetValue, MAX_ATTRIBUTE_FACETS, MAX_FACET_VALUES, MAX_TERMS, ProductPage,
    ProductQuery, ProductSummary, Sort, fold,
};
pub use sparql::{SparqlAnswer, SparqlError, SparqlLimits};
pub use store::{CatalogStore, PublishReport};
pub use validate::{CatalogIssue, MAX_ISSUES, ValidationReport};

/// Why a catalog operation failed.
#[derive(Debug, thiserror::Error)]
pub enum GraphError {
    /// The catalog text could not be parsed.
    #[error("catalog does not parse: {0}")]
    Parse(String),
    /// No catalog version has been published yet.
    #[error("no catalog version is published")]
    NothingPublished,
    /// The named version does not exist.
    #[error("catalog version {0} does not exist")]
    UnknownVersion(u32),
    /// The version failed validation and was not published.
    #[error("the catalog has {} validation errors and was not published", .0.total)]
    Invalid(ValidationReport),
    /// There is no earlier publication to return to.
    #[error("there is no earlier publication to roll back to")]
    NothingToRollBack,
    /// A stored value does not have the shape the gateway relies on.
    #[error("catalog data is inconsistent: {0}")]
    Inconsistent(String),
    /// A query could not be evaluated.
    #[error("catalog query failed: {0}")]
    Query(String),
    /// The store failed.
    #[error("catalog storage: {0}")]
    Storage(String),
}

impl From<oxigraph::store::StorageError> for GraphError {
    fn from(e: oxigraph::store::StorageError) -> Self {
        GraphError::Storage(e.to_string())
    }
}

impl From<oxigraph::sparql::QueryEvaluationError> for GraphError {
    fn from(e: oxigraph::sparql::QueryEvaluationError) -> Self {
        GraphError::Query(e.to_string())
    }
}
