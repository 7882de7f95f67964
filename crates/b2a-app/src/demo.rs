//! The demo brand, Maison Vercors (`graph-data/demo/`), embedded in the binary so that
//! `b2a demo` runs from anywhere.

use b2a_graph::GraphError;
use b2a_graph::{CatalogSource, RdfFormat};
use b2a_ledger::SkuCost;
use b2a_model::{Currency, Money, Sku};

use crate::{Shop, ShopError};

/// The public catalog, schema.org Turtle.
pub const CATALOG_TTL: &str = include_str!("../../../graph-data/demo/catalog.ttl");
/// `sku,stock`.
pub const STOCK_CSV: &str = include_str!("../../../graph-data/demo/stock.csv");
/// `sku,cost_minor,floor_minor,currency`: brand-private.
pub const COSTS_CSV: &str = include_str!("../../../graph-data/demo/private/costs.csv");
/// The pricing policy, TOML.
pub const PRICING_POLICY_TOML: &str = include_str!("../../../graph-data/demo/pricing-policy.toml");

/// What seeding did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seeded {
    /// The published catalog version.
    pub version: u32,
    /// True when this call loaded and published the catalog (false: it was already there).
    pub published_now: bool,
    /// Stock rows inserted by this call.
    pub stock_rows: u64,
}

fn bad(what: &str, line: usize, why: impl std::fmt::Display) -> ShopError {
    ShopError::Graph(GraphError::Inconsistent(format!(
        "demo {what} line {line}: {why}"
    )))
}

/// Parses `stock.csv`.
pub fn stock_levels() -> Result<Vec<(Sku, u32)>, ShopError> {
    STOCK_CSV
        .lines()
        .enumerate()
        .skip(1)
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            let (sku, n) = l
                .split_once(',')
                .ok_or_else(|| bad("stock", i + 1, "expected sku,stock"))?;
            let sku = Sku::parse(sku).map_err(|e| bad("stock", i + 1, e))?;
            let n = n.trim().parse().map_err(|e| bad("stock", i + 1, e))?;
            Ok((sku, n))
        })
        .collect()
}

/// Parses `private/costs.csv`.
pub fn costs() -> Result<Vec<SkuCost>, ShopError> {
    COSTS_CSV
        .lines()
        .enumerate()
        .skip(1)
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            let f: Vec<&str> = l.split(',').map(str::trim).collect();
            let [sku, cost, floor, currency] = f[..] else {
                return Err(bad("costs", i + 1, "expected 4 columns"));
            };
            let currency = Currency::parse(currency).map_err(|e| bad("costs", i + 1, e))?;
            let minor = |s: &str| s.parse::<i64>().map_err(|e| bad("costs", i + 1, e));
            Ok(SkuCost {
                sku: Sku::parse(sku).map_err(|e| bad("costs", i + 1, e))?,
                cost: Money::new(minor(cost)?, currency),
                floor: Money::new(minor(floor)?, currency),
            })
        })
        .collect()
}

/// Loads and publishes the demo catalog if nothing is published yet, seeds stock and private
/// costs for SKUs that have none, and loads the demo pricing policy if no policy is in force.
/// Running it again changes nothing.
pub async fn seed(shop: &Shop) -> Result<Seeded, ShopError> {
    let (version, published_now) = match shop.catalog().published_version() {
        Some(v) => (v, false),
        None => {
            let source = CatalogSource {
                name: "graph-data/demo/catalog.ttl".into(),
                format: RdfFormat::Turtle.into(),
                reader: CATALOG_TTL.as_bytes(),
            };
            let loaded = shop.load_catalog(vec![source], |_| ()).await?;
            shop.publish_catalog(loaded.version, "system").await?;
            (loaded.version, true)
        }
    };
    let stock_rows = shop.inventory().seed_stock(&stock_levels()?).await?;
    shop.inventory().seed_costs(&costs()?).await?;
    if shop.policies().policy().await?.is_none() {
        let system = b2a_ledger::Actor {
            name: "system".into(),
            credential: String::new(),
        };
        crate::load_policy(
            shop.policies(),
            PRICING_POLICY_TOML,
            true,
            &system,
            time::OffsetDateTime::now_utc(),
        )
        .await?;
    }
    Ok(Seeded {
        version,
        published_now,
        stock_rows,
    })
}
