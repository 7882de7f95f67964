//! Catalog administration — load, validate, publish, roll back, each publication recorded in
//! the audit log; the CLI (gateway stopped) and the operator API (gateway running) share these —
//! and bounded read-only SPARQL for agents.

use std::io::Read;
use std::sync::Arc;

use b2a_audit::entry::Record;
use b2a_graph::{
    CancellationToken, CatalogSource, CatalogStore, GraphError, LoadReport, PublishReport,
    SparqlAnswer, SparqlError, SparqlLimits, ValidationReport,
};
use serde_json::json;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::{Shop, ShopError};

/// One loaded catalog version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VersionInfo {
    /// Its number.
    pub version: u32,
    /// Triples in it.
    pub triples: usize,
    /// `schema:Product`s in it.
    pub products: usize,
    /// Whether it is the published one.
    pub published: bool,
}

fn info(c: &CatalogStore, version: u32) -> Result<VersionInfo, GraphError> {
    Ok(VersionInfo {
        version,
        triples: c.triple_count(version)?,
        products: c.product_count(version)?,
        published: c.published_version() == Some(version),
    })
}

impl Shop {
    /// Every loaded version, oldest first.
    pub async fn catalog_versions(&self) -> Result<Vec<VersionInfo>, ShopError> {
        self.on_catalog(|c| c.versions()?.into_iter().map(|v| info(c, v)).collect())
            .await
    }

    /// One loaded version.
    pub async fn catalog_version(&self, version: u32) -> Result<VersionInfo, ShopError> {
        self.on_catalog(move |c| {
            if !c.versions()?.contains(&version) {
                return Err(GraphError::UnknownVersion(version));
            }
            info(c, version)
        })
        .await
    }

    async fn on_catalog<T: Send + 'static>(
        &self,
        f: impl FnOnce(&CatalogStore) -> Result<T, GraphError> + Send + 'static,
    ) -> Result<T, ShopError> {
        let catalog = Arc::clone(self.catalog());
        tokio::task::spawn_blocking(move || f(&catalog))
            .await
            .map_err(|e| ShopError::Task(e.to_string()))?
            .map_err(ShopError::from)
    }

    /// Loads sources as a new, unpublished version, and gives the stock levels of its product
    /// feeds to the ledger: SKUs without stock get the feed's level, SKUs already stocked keep
    /// theirs. Stock never enters the catalog graph.
    pub async fn load_catalog<R: Read + Send + 'static>(
        &self,
        sources: Vec<CatalogSource<R>>,
        on_progress: impl Fn(u64) + Send + Sync + 'static,
    ) -> Result<LoadReport, ShopError> {
        let report = self
            .on_catalog(move |c| c.load_sources(sources, on_progress))
            .await?;
        if !report.stock.is_empty() {
            self.inventory().seed_stock(&report.stock).await?;
        }
        Ok(report)
    }

    /// Validates a loaded version.
    pub async fn validate_catalog(&self, version: u32) -> Result<ValidationReport, ShopError> {
        self.on_catalog(move |c| c.validate(version)).await
    }

    /// Validates and publishes a version, and records the publication in the audit log.
    pub async fn publish_catalog(
        &self,
        version: u32,
        actor: &str,
    ) -> Result<PublishReport, ShopError> {
        let report = self.on_catalog(move |c| c.publish(version)).await?;
        self.record_publication(&report, actor).await?;
        Ok(report)
    }

    /// Publishes again the version published before the current one, and records it.
    pub async fn rollback_catalog(&self, actor: &str) -> Result<PublishReport, ShopError> {
        let report = self.on_catalog(CatalogStore::rollback).await?;
        self.record_publication(&report, actor).await?;
        Ok(report)
    }

    async fn record_publication(&self, r: &PublishReport, actor: &str) -> Result<(), ShopError> {
        let at = OffsetDateTime::now_utc()
            .format(&Rfc3339)
            .unwrap_or_default();
        let action = if r.rollback {
            "catalog.rolled_back"
        } else {
            "catalog.published"
        };
        self.audit_store()
            .append_audit(Record {
                at,
                actor: actor.to_owned(),
                credential: String::new(),
                principal: None,
                action: action.into(),
                subjects: vec![format!("catalog/v{}", r.version)],
                commitments: Default::default(),
                payload: json!({
                    "previous": r.previous.map(|v| format!("v{v}")),
                    "products": r.diff,
                }),
            })
            .await?;
        Ok(())
    }
}

impl Shop {
    /// Runs a read-only SPARQL query over the published catalog on a thread of its own,
    /// cancelled at `limits.timeout`.
    ///
    /// The caller gets its answer, or [`SparqlError::Timeout`], by the deadline whatever the
    /// query does. Oxigraph notices cancellation when it next reads the store, so a query busy in
    /// memory (a large cross product, a sort) may stop late: it keeps running detached on its
    /// thread, holding one of the shop's SPARQL worker slots and `guard` (e.g. its agent's
    /// concurrency permit) until it ends, so runaway queries cannot pile up: when every slot is
    /// taken, new queries wait for one until their own deadline, then get [`SparqlError::Busy`].
    pub async fn sparql<G: Send + 'static>(
        &self,
        query: String,
        accept: String,
        limits: SparqlLimits,
        guard: G,
    ) -> Result<SparqlAnswer, SparqlError> {
        let deadline = tokio::time::Instant::now() + limits.timeout;
        let slot =
            tokio::time::timeout_at(deadline, Arc::clone(&self.sparql_workers).acquire_owned())
                .await
                .map_err(|_| SparqlError::Busy)?
                .map_err(|_| SparqlError::Busy)?;
        let cancel = CancellationToken::new();
        let catalog = Arc::clone(self.catalog());
        let worker = {
            let cancel = cancel.clone();
            let limits = SparqlLimits {
                timeout: deadline.saturating_duration_since(tokio::time::Instant::now()),
                ..limits
            };
            // A thread of its own rather than the blocking pool: the runtime waits for blocking
            // tasks when it shuts down, and a runaway query must not hold the gateway's exit.
            let (tx, rx) = tokio::sync::oneshot::channel();
            std::thread::Builder::new()
                .name("b2a-sparql".into())
                .spawn(move || {
                    let answer = catalog.sparql(&query, &accept, limits, cancel);
                    drop((slot, guard));
                    let _ = tx.send(answer);
                })
                .map_err(|e| {
                    SparqlError::Graph(GraphError::Query(format!("no query thread: {e}")))
                })?;
            rx
        };
        let answer = tokio::time::timeout_at(deadline, worker).await;
        cancel.cancel();
        match answer {
            Ok(Ok(answer)) => answer,
            Ok(Err(_)) => Err(SparqlError::Graph(GraphError::Query(
                "the query thread ended without an answer".into(),
            ))),
            Err(_) => Err(SparqlError::Timeout(limits.timeout)),
        }
    }
}

impl Shop {
    /// The published catalog serialized whole: `(version, bytes)`.
    pub async fn export_catalog(
        &self,
        format: b2a_graph::RdfFormat,
    ) -> Result<(u32, Vec<u8>), ShopError> {
        self.on_catalog(move |c| c.export(format)).await
    }
}
