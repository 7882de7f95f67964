use std::sync::Arc;
use std::time::Duration;

use b2a_graph::{CatalogStore, GraphError, ProductDocument, ProductPage, ProductQuery};
use b2a_ledger::{
    AuditStore, GrantRecord, Inventory, Ledger, LedgerError, Offers, OrderBook, Policies, Vault,
};
use b2a_model::{
    AgentId, Availability, Consent, OrderId, Principal, ProductId, Quote, QuoteId, Sku,
};
use b2a_pricing::PricingError;
use b2a_trust::TokenService;

/// Who is acting: the verified subject of a token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The agent.
    pub agent: AgentId,
    /// The person it acts for.
    pub principal: Option<Principal>,
    /// The token it acts with (`jti`).
    pub credential: String,
    /// The grant of that token: its limits bind every order.
    pub grant: GrantRecord,
    /// What the person agreed to share (attributes pricing may read).
    pub consent: Consent,
}

impl Caller {
    /// The caller a verified token stands for.
    pub fn from_claims(claims: &b2a_trust::Claims) -> Self {
        Self {
            agent: claims.sub.clone(),
            principal: claims.principal.clone(),
            credential: claims.jti.clone(),
            grant: crate::governance::grant_of(claims),
            consent: claims.consent.clone(),
        }
    }
}

/// Why an operation failed.
#[derive(Debug, thiserror::Error)]
pub enum ShopError {
    /// The catalog failed.
    #[error(transparent)]
    Graph(#[from] GraphError),
    /// The ledger failed or refused.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    /// Pricing refused.
    #[error(transparent)]
    Pricing(#[from] PricingError),
    /// A pricing policy was refused.
    #[error("pricing policy: {0}")]
    Policy(b2a_pricing::PolicyError),
    /// Line `index` names a SKU the published catalog does not sell.
    #[error("line {index}: {sku} is not sold in the published catalog")]
    UnknownSku {
        /// Line index.
        index: usize,
        /// The SKU.
        sku: Sku,
    },
    /// Line `index` names a SKU that cannot be ordered now.
    #[error("line {index}: {sku} is {} and cannot be quoted", availability.as_str())]
    SkuUnavailable {
        /// Line index.
        index: usize,
        /// The SKU.
        sku: Sku,
        /// Its availability.
        availability: Availability,
    },
    /// Line `index` repeats the SKU of an earlier line.
    #[error("line {index}: {sku} already appears on an earlier line; add the quantities instead")]
    DuplicateSku {
        /// Line index.
        index: usize,
        /// The SKU.
        sku: Sku,
    },
    /// No such product.
    #[error("no product {0} in the published catalog")]
    ProductNotFound(ProductId),
    /// No such quote for this caller.
    #[error("no quote {0} for this agent")]
    QuoteNotFound(QuoteId),
    /// No such order for this caller.
    #[error("no order {0} for this agent")]
    OrderNotFound(OrderId),
    /// Line `index` is outside the categories the token may buy in.
    #[error("line {index}: {sku} is not in a category this token may buy in ({allowed})")]
    CategoryNotAllowed {
        /// Line index.
        index: usize,
        /// The SKU.
        sku: Sku,
        /// The token's categories.
        allowed: String,
    },
    /// No audit entry `seq` in the tree of `size` entries.
    #[error("no audit entry {seq} in the tree of {size} entries")]
    AuditEntryNotFound {
        /// The entry asked for.
        seq: u64,
        /// The tree's size.
        size: u64,
    },
    /// A size of the audit log's tree larger than it is (or a range upside down).
    #[error("{field} = {size} is beyond the {head} entries it may reach")]
    AuditSizeBeyondLog {
        /// The query parameter.
        field: &'static str,
        /// The size asked for.
        size: u64,
        /// The largest it may be.
        head: u64,
    },
    /// A blocking task panicked or was cancelled.
    #[error("background task failed: {0}")]
    Task(String),
}

/// The most rendered products kept; beyond it the least recently used are dropped.
const PRODUCT_CACHE_CAPACITY: usize = 10_000;

struct ProductCache(quick_cache::sync::Cache<(u32, ProductId), Arc<ProductDocument>>);

impl std::fmt::Debug for ProductCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProductCache")
            .field("len", &self.0.len())
            .finish()
    }
}

/// The brand's shop: catalog, pricing and ledger behind the operations of the protocol.
#[derive(Debug, Clone)]
pub struct Shop {
    catalog: Arc<CatalogStore>,
    ledger: Arc<dyn Ledger>,
    /// Signs every quote version with the brand's key.
    tokens: Arc<TokenService>,
    quote_ttl: Duration,
    pub(crate) order_rules: crate::orders::OrderRules,
    pub(crate) policy_cache: Arc<crate::offers::PolicyCache>,
    /// Rendered products by (catalog version, id): a published version never changes, so a
    /// rendering stays true for as long as its version is the published one.
    products: Arc<ProductCache>,
    /// Threads that may evaluate SPARQL at once, across all agents; a query that outlives its
    /// deadline keeps its slot until its thread really ends.
    pub(crate) sparql_workers: Arc<tokio::sync::Semaphore>,
}

impl Shop {
    /// A shop over these stores, signing quotes with the keys of `tokens`; quotes stay valid
    /// for `quote_ttl`.
    pub fn new(
        catalog: Arc<CatalogStore>,
        ledger: Arc<dyn Ledger>,
        tokens: Arc<TokenService>,
        quote_ttl: Duration,
    ) -> Self {
        let cores = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
        Self {
            catalog,
            ledger,
            tokens,
            quote_ttl,
            order_rules: crate::orders::OrderRules::default(),
            policy_cache: Arc::default(),
            products: Arc::new(ProductCache(quick_cache::sync::Cache::new(
                PRODUCT_CACHE_CAPACITY,
            ))),
            sparql_workers: Arc::new(tokio::sync::Semaphore::new(2 * cores.max(2))),
        }
    }

    /// The same shop with these rules for orders (risk rules, return window).
    pub fn with_order_rules(mut self, rules: crate::orders::OrderRules) -> Self {
        self.order_rules = rules;
        self
    }

    /// The catalog store.
    pub fn catalog(&self) -> &Arc<CatalogStore> {
        &self.catalog
    }

    /// Stock levels and costs.
    pub fn inventory(&self) -> &dyn Inventory {
        &*self.ledger
    }

    /// Quotes and what pricing reads.
    pub fn offers(&self) -> &dyn Offers {
        &*self.ledger
    }

    /// The pricing policy's versions.
    pub fn policies(&self) -> &dyn Policies {
        &*self.ledger
    }

    /// Orders.
    pub fn order_book(&self) -> &dyn OrderBook {
        &*self.ledger
    }

    /// Personal data.
    pub fn vault(&self) -> &dyn Vault {
        &*self.ledger
    }

    /// The audit log's entries (what a principal's access request gathers).
    pub fn audit_store(&self) -> &dyn AuditStore {
        &*self.ledger
    }

    /// The brand's token service (its keys sign quotes).
    pub fn tokens(&self) -> &Arc<TokenService> {
        &self.tokens
    }

    /// How long quotes stay valid.
    pub fn quote_ttl(&self) -> Duration {
        self.quote_ttl
    }

    /// How long after delivery a return may be asked for.
    pub fn return_window(&self) -> time::Duration {
        self.order_rules.return_window
    }

    pub(crate) async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(&CatalogStore) -> Result<T, GraphError> + Send + 'static,
    ) -> Result<T, ShopError> {
        let catalog = Arc::clone(&self.catalog);
        tokio::task::spawn_blocking(move || f(&catalog))
            .await
            .map_err(|e| ShopError::Task(e.to_string()))?
            .map_err(ShopError::from)
    }

    /// Searches the published catalog.
    pub async fn search(&self, query: ProductQuery) -> Result<ProductPage, ShopError> {
        self.blocking(move |c| c.search(&query)).await
    }

    /// One product or product group as schema.org JSON-LD.
    pub async fn product(&self, id: ProductId) -> Result<Arc<ProductDocument>, ShopError> {
        if let Some(version) = self.catalog.published_version()
            && let Some(doc) = self.products.0.get(&(version, id.clone()))
        {
            return Ok(doc);
        }
        let key = id.clone();
        let doc = self
            .blocking(move |c| c.product(&key))
            .await?
            .map(Arc::new)
            .ok_or(ShopError::ProductNotFound(id.clone()))?;
        self.products
            .0
            .insert((doc.version(), id), Arc::clone(&doc));
        Ok(doc)
    }

    /// The taxonomy of the published catalog with product counts.
    pub async fn categories(&self) -> Result<Vec<b2a_graph::Category>, ShopError> {
        self.blocking(CatalogStore::categories).await
    }

    /// Items related to a product or group.
    pub async fn related(
        &self,
        id: ProductId,
        relation: b2a_graph::Relation,
    ) -> Result<Vec<b2a_graph::RelatedItem>, ShopError> {
        let key = id.clone();
        self.blocking(move |c| c.related(&key, relation))
            .await?
            .ok_or(ShopError::ProductNotFound(id))
    }

    /// Refuses lines outside the categories the caller's token may buy in. `lines` gives each
    /// line's SKU and its category slugs (`None`: the catalog does not sell it; that is left for
    /// pricing to name).
    pub(crate) fn check_categories<'a>(
        caller: &Caller,
        lines: impl IntoIterator<Item = (&'a Sku, Option<&'a [String]>)>,
    ) -> Result<(), ShopError> {
        let Some(allowed) = &caller.grant.limits.categories else {
            return Ok(());
        };
        for (index, (sku, cats)) in lines.into_iter().enumerate() {
            if let Some(cats) = cats
                && !cats.iter().any(|c| allowed.contains(c))
            {
                return Err(ShopError::CategoryNotAllowed {
                    index,
                    sku: sku.clone(),
                    allowed: allowed.iter().cloned().collect::<Vec<_>>().join(", "),
                });
            }
        }
        Ok(())
    }

    /// One of the caller's quotes.
    pub async fn quote(&self, caller: &Caller, id: QuoteId) -> Result<Quote, ShopError> {
        self.offers()
            .quote(&id, &caller.agent)
            .await?
            .ok_or(ShopError::QuoteNotFound(id))
    }
}
