use std::sync::Arc;

use std::collections::BTreeMap;

use b2a_app::{AuditLog, Governance, Shop};
use b2a_contract::Contract;
use b2a_trust::DpopVerifier;

use crate::{Rate, RateClass, RateLimits};

/// Settings of a running gateway.
#[derive(Debug, Clone)]
pub struct GatewayConfig {
    /// The URL agents reach this gateway at (no trailing slash).
    pub public_url: String,
    /// The brand's display name.
    pub brand_name: String,
    /// The brand's web site.
    pub brand_url: String,
    /// Largest accepted request body.
    pub max_body_bytes: usize,
    /// Largest catalog an operator may upload (larger ones: `b2a catalog load`).
    pub max_catalog_bytes: usize,
    /// A SPARQL query is stopped after this long.
    pub sparql_timeout: std::time::Duration,
    /// A SPARQL answer holds at most this many solutions or triples.
    pub sparql_max_rows: usize,
    /// SPARQL queries one agent may run at once.
    pub sparql_max_concurrent: usize,
    /// Per-agent rates of each class of requests (classes left out keep their default).
    pub rate_limits: BTreeMap<RateClass, Rate>,
    /// How old a DPoP proof's `iat` may be.
    pub dpop_window: std::time::Duration,
    /// Whether the catalog (search, products, categories, related) may be read without a
    /// token; anonymous readers are rate-limited by client address.
    pub public_catalog: bool,
}

impl GatewayConfig {
    /// Largest page of `/v1/products`.
    pub const MAX_PAGE_SIZE: u32 = 100;
    /// Default page of `/v1/products`.
    pub const DEFAULT_PAGE_SIZE: u32 = 20;
    /// Largest page of `/v1/audit/entries`.
    pub const MAX_AUDIT_PAGE: u32 = 500;
    /// Most lines of one quote (kept in step with `schemas/quote-request.json`).
    pub const MAX_QUOTE_LINES: u32 = 50;
}

/// What every handler can reach.
#[derive(Debug, Clone)]
pub struct AppState {
    /// The operations.
    pub shop: Shop,
    /// The audit log for auditors: checkpoints, proofs, trails.
    pub audit: Arc<AuditLog>,
    /// Tokens, the agent registry, revocations.
    pub governance: Arc<Governance>,
    /// DPoP proofs of key-bound tokens, with their replay cache.
    pub dpop: Arc<DpopVerifier>,
    /// Per-agent rate limits.
    pub rate_limits: Arc<RateLimits>,
    /// The wire contract.
    pub contract: Arc<Contract>,
    /// Settings.
    pub config: Arc<GatewayConfig>,
    /// Per-agent budget of concurrent SPARQL queries.
    pub sparql_gate: Arc<crate::AgentGate>,
}
