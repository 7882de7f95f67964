//! Read-only SPARQL over the published catalog, bounded in time and size.
//!
//! The query sees the published version as its default graph and no named graph (`FROM`, `FROM
//! NAMED` and `GRAPH` cannot reach other versions or the system graph); updates and `SERVICE` are
//! refused (the store is built without an HTTP client, so no SERVICE can be called); evaluation is cancelled at its deadline; results stop at a row cap.

use std::time::{Duration, Instant};

use oxigraph::io::{RdfFormat, RdfSerializer};
use oxigraph::model::GraphName;
use oxigraph::sparql::results::{QueryResultsFormat, QueryResultsSerializer};
use oxigraph::sparql::{CancellationToken, QueryEvaluationError, QueryResults, SparqlEvaluator};

use crate::{CatalogStore, GraphError};

/// Bounds of one query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SparqlLimits {
    /// Evaluation is cancelled after this long.
    pub timeout: Duration,
    /// At most this many solutions (or triples) are returned.
    pub max_rows: usize,
}

/// A serialized answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SparqlAnswer {
    /// The media type of `body`.
    pub media_type: &'static str,
    /// The serialized results.
    pub body: Vec<u8>,
    /// Solutions or triples in `body`.
    pub rows: usize,
    /// True when the row cap cut the results short.
    pub truncated: bool,
}

/// Why a query was refused.
#[derive(Debug, thiserror::Error)]
pub enum SparqlError {
    /// The text is not a SPARQL query.
    #[error("the query does not parse: {0}")]
    Syntax(String),
    /// The text is a SPARQL update.
    #[error("updates are not allowed: this endpoint is read-only")]
    Update,
    /// The query calls a remote SERVICE.
    #[error("SERVICE calls are not allowed")]
    Service,
    /// The query calls a function the evaluator does not provide (or with the wrong number of
    /// arguments): it is not evaluated.
    #[error("the query calls a function this endpoint does not provide: {0}")]
    UnsupportedFunction(String),
    /// No result syntax the client accepts fits this kind of query.
    #[error("cannot answer in any of the accepted media types ({0})")]
    NotAcceptable(String),
    /// Every SPARQL worker was busy until the query's deadline.
    #[error("every SPARQL worker is busy; retry shortly")]
    Busy,
    /// Evaluation went past the deadline.
    #[error("the query ran past its {0:?} time limit and was stopped")]
    Timeout(Duration),
    /// The catalog failed.
    #[error(transparent)]
    Graph(#[from] GraphError),
}

/// What the client accepts, in the order given, each a media type without parameters.
fn accepted(accept: &str) -> Vec<String> {
    accept
        .split(',')
        .map(|m| {
            m.split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase()
        })
        .filter(|m| !m.is_empty())
        .collect()
}

fn results_format(accept: &str) -> Option<QueryResultsFormat> {
    let accepted = accepted(accept);
    if accepted.is_empty() {
        return Some(QueryResultsFormat::Json);
    }
    accepted.iter().find_map(|m| match m.as_str() {
        "*/*" | "application/*" | "application/json" => Some(QueryResultsFormat::Json),
        other => QueryResultsFormat::from_media_type(other),
    })
}

fn graph_format(accept: &str) -> Option<RdfFormat> {
    let accepted = accepted(accept);
    if accepted.is_empty() {
        return Some(RdfFormat::Turtle);
    }
    accepted.iter().find_map(|m| match m.as_str() {
        "*/*" | "text/*" => Some(RdfFormat::Turtle),
        "text/turtle" => Some(RdfFormat::Turtle),
        "application/n-triples" => Some(RdfFormat::NTriples),
        _ => None,
    })
}

fn evaluation(e: QueryEvaluationError, limits: SparqlLimits) -> SparqlError {
    match e {
        QueryEvaluationError::Cancelled => SparqlError::Timeout(limits.timeout),
        QueryEvaluationError::Service(_)
        | QueryEvaluationError::UnboundService
        | QueryEvaluationError::InvalidServiceName(_)
        | QueryEvaluationError::UnsupportedService(_) => SparqlError::Service,
        e @ (QueryEvaluationError::UnsupportedCustomFunction(_)
        | QueryEvaluationError::UnsupportedCustomFunctionArity { .. }) => {
            SparqlError::UnsupportedFunction(e.to_string())
        }
        other => SparqlError::Graph(GraphError::Query(other.to_string())),
    }
}

/// Writes rows until the row cap (then reports truncation), stopping at the deadline.
fn stream<T>(
    rows: impl Iterator<Item = Result<T, QueryEvaluationError>>,
    limits: SparqlLimits,
    started: Instant,
    mut write: impl FnMut(&T) -> std::io::Result<()>,
) -> Result<(usize, bool), SparqlError> {
    let mut written = 0;
    for row in rows {
        let row = row.map_err(|e| evaluation(e, limits))?;
        if started.elapsed() > limits.timeout {
            return Err(SparqlError::Timeout(limits.timeout));
        }
        if written == limits.max_rows {
            return Ok((written, true));
        }
        write(&row).map_err(io)?;
        written += 1;
    }
    Ok((written, false))
}

fn io(e: std::io::Error) -> SparqlError {
    SparqlError::Graph(GraphError::Query(format!("serializing results: {e}")))
}

impl CatalogStore {
    /// Evaluates a read-only query over the published catalog. Blocking: run it on a blocking
    /// thread, and cancel `cancel` from a timer at `limits.timeout` (the loop below also stops
    /// at the deadline between rows).
    pub fn sparql(
        &self,
        query: &str,
        accept: &str,
        limits: SparqlLimits,
        cancel: CancellationToken,
    ) -> Result<SparqlAnswer, SparqlError> {
        let started = Instant::now();
        let graph = self.published_graph()?;
        let evaluator = SparqlEvaluator::new().with_cancellation_token(cancel);
        let mut prepared = match evaluator.parse_query(query) {
            Ok(p) => p,
            Err(e) => {
                return Err(if SparqlEvaluator::new().parse_update(query).is_ok() {
                    SparqlError::Update
                } else {
                    SparqlError::Syntax(e.to_string())
                });
            }
        };
        let dataset = prepared.dataset_mut();
        dataset.set_default_graph(vec![GraphName::NamedNode(graph)]);
        dataset.set_available_named_graphs(Vec::new());
        let results = prepared
            .on_store(&self.store)
            .execute()
            .map_err(|e| evaluation(e, limits))?;
        match results {
            QueryResults::Boolean(value) => {
                let format = results_format(accept)
                    .ok_or_else(|| SparqlError::NotAcceptable(accept.into()))?;
                let body = QueryResultsSerializer::from_format(format)
                    .serialize_boolean_to_writer(Vec::new(), value)
                    .map_err(io)?;
                Ok(SparqlAnswer {
                    media_type: format.media_type(),
                    body,
                    rows: 1,
                    truncated: false,
                })
            }
            QueryResults::Solutions(solutions) => {
                let format = results_format(accept)
                    .ok_or_else(|| SparqlError::NotAcceptable(accept.into()))?;
                let mut writer = QueryResultsSerializer::from_format(format)
                    .serialize_solutions_to_writer(Vec::new(), solutions.variables().to_vec())
                    .map_err(io)?;
                let (rows, truncated) = stream(solutions, limits, started, |s| {
                    writer.serialize(s).map(|_| ())
                })?;
                let body = writer.finish().map_err(io)?;
                Ok(SparqlAnswer {
                    media_type: format.media_type(),
                    body,
                    rows,
                    truncated,
                })
            }
            QueryResults::Graph(triples) => {
                let format = graph_format(accept)
                    .ok_or_else(|| SparqlError::NotAcceptable(accept.into()))?;
                let mut writer = RdfSerializer::from_format(format).for_writer(Vec::new());
                let (rows, truncated) =
                    stream(triples, limits, started, |t| writer.serialize_triple(t))?;
                let body = writer.finish().map_err(io)?;
                Ok(SparqlAnswer {
                    media_type: format.media_type(),
                    body,
                    rows,
                    truncated,
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_negotiation_picks_the_first_supported_type() {
        assert_eq!(results_format(""), Some(QueryResultsFormat::Json));
        assert_eq!(
            results_format("text/csv, application/json"),
            Some(QueryResultsFormat::Csv)
        );
        assert_eq!(
            results_format("text/html, */*;q=0.1"),
            Some(QueryResultsFormat::Json)
        );
        assert_eq!(results_format("image/png"), None);
        assert_eq!(
            graph_format("application/n-triples"),
            Some(RdfFormat::NTriples)
        );
        assert_eq!(graph_format("application/sparql-results+json"), None);
    }
}
