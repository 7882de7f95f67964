//! Per-agent rate limits: one token bucket (GCRA, `governor`) per agent and capability class.

use std::collections::BTreeMap;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::middleware::StateInformationMiddleware;
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};
use serde::Serialize;

/// The classes of requests, each with its own bucket per agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RateClass {
    /// Search, products, categories, export.
    Catalog,
    /// SPARQL queries.
    Sparql,
    /// Quotes.
    Quotes,
    /// Orders.
    Orders,
    /// Token exchange and introspection.
    Tokens,
    /// The audit log.
    Audit,
    /// Operator routes.
    Admin,
    /// Messages to the MCP endpoint (a tool call also counts in its route's class).
    Mcp,
}

impl RateClass {
    /// Every class.
    pub const ALL: [RateClass; 8] = [
        RateClass::Catalog,
        RateClass::Sparql,
        RateClass::Quotes,
        RateClass::Orders,
        RateClass::Tokens,
        RateClass::Audit,
        RateClass::Admin,
        RateClass::Mcp,
    ];

    /// The configuration name.
    pub fn as_str(self) -> &'static str {
        match self {
            RateClass::Catalog => "catalog",
            RateClass::Sparql => "sparql",
            RateClass::Quotes => "quotes",
            RateClass::Orders => "orders",
            RateClass::Tokens => "tokens",
            RateClass::Audit => "audit",
            RateClass::Admin => "admin",
            RateClass::Mcp => "mcp",
        }
    }

    /// The default rate: generous for reads, tight for writes.
    pub fn default_rate(self) -> Rate {
        let (per_second, burst) = match self {
            RateClass::Catalog | RateClass::Audit | RateClass::Admin | RateClass::Mcp => (100, 200),
            RateClass::Sparql => (5, 10),
            RateClass::Quotes | RateClass::Tokens => (10, 20),
            RateClass::Orders => (5, 10),
        };
        Rate { per_second, burst }
    }
}

/// A sustained rate and the burst above it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rate {
    /// Requests per second, sustained.
    pub per_second: u32,
    /// Requests allowed at once.
    pub burst: u32,
}

type Bucket =
    RateLimiter<String, DefaultKeyedStateStore<String>, DefaultClock, StateInformationMiddleware>;

/// The buckets of every agent.
pub struct RateLimits {
    rates: BTreeMap<RateClass, Rate>,
    buckets: BTreeMap<RateClass, Bucket>,
    clock: DefaultClock,
    checks: AtomicU64,
}

impl std::fmt::Debug for RateLimits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimits")
            .field("rates", &self.rates)
            .finish_non_exhaustive()
    }
}

/// The state of a bucket after a request, for the `RateLimit-*` headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateState {
    /// The burst.
    pub limit: u32,
    /// Requests left now.
    pub remaining: u32,
    /// Seconds until one more request is allowed (refused) or the bucket is full (allowed).
    pub reset_seconds: u64,
}

/// How often idle agents' buckets are dropped, in checks.
const RETAIN_EVERY: u64 = 1 << 16;

impl RateLimits {
    /// Buckets with these rates (classes left out get their default).
    pub fn new(overrides: &BTreeMap<RateClass, Rate>) -> Self {
        let mut rates = BTreeMap::new();
        let mut buckets = BTreeMap::new();
        for class in RateClass::ALL {
            let rate = overrides
                .get(&class)
                .copied()
                .unwrap_or_else(|| class.default_rate());
            let per_second = NonZeroU32::new(rate.per_second).unwrap_or(NonZeroU32::MIN);
            let burst = NonZeroU32::new(rate.burst).unwrap_or(per_second);
            let quota = Quota::per_second(per_second).allow_burst(burst);
            buckets.insert(
                class,
                RateLimiter::keyed(quota).with_middleware::<StateInformationMiddleware>(),
            );
            rates.insert(class, rate);
        }
        Self {
            rates,
            buckets,
            clock: DefaultClock::default(),
            checks: AtomicU64::new(0),
        }
    }

    /// The rates in force.
    pub fn rates(&self) -> &BTreeMap<RateClass, Rate> {
        &self.rates
    }

    /// Takes one request of `class` from `agent`'s bucket: `Ok` with the bucket's state, or
    /// `Err` with it when the bucket is empty.
    pub fn check(&self, class: RateClass, agent: &str) -> Result<RateState, RateState> {
        let n = self.checks.fetch_add(1, Ordering::Relaxed);
        let Some(bucket) = self.buckets.get(&class) else {
            return Ok(RateState {
                limit: 0,
                remaining: 0,
                reset_seconds: 0,
            });
        };
        if n % RETAIN_EVERY == RETAIN_EVERY - 1 {
            bucket.retain_recent();
        }
        let limit = self.rates.get(&class).map_or(0, |r| r.burst);
        match bucket.check_key(&agent.to_owned()) {
            Ok(snapshot) => {
                let remaining = snapshot.remaining_burst_capacity();
                let per_second = self.rates.get(&class).map_or(1, |r| r.per_second.max(1));
                Ok(RateState {
                    limit,
                    remaining,
                    reset_seconds: u64::from((limit - remaining.min(limit)).div_ceil(per_second)),
                })
            }
            Err(not_until) => {
                let wait = not_until.wait_time_from(self.clock.now());
                Err(RateState {
                    limit,
                    remaining: 0,
                    reset_seconds: wait.as_secs()
                        + u64::from(wait > Duration::from_secs(wait.as_secs())),
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_agent_has_its_own_bucket_per_class() {
        let rates = BTreeMap::from([(
            RateClass::Orders,
            Rate {
                per_second: 1,
                burst: 2,
            },
        )]);
        let limits = RateLimits::new(&rates);
        assert!(limits.check(RateClass::Orders, "a").is_ok());
        let second = limits.check(RateClass::Orders, "a").expect("burst of 2");
        assert_eq!(second.remaining, 0);
        let refused = limits
            .check(RateClass::Orders, "a")
            .expect_err("bucket empty");
        assert!(refused.reset_seconds >= 1, "told when to retry");
        assert!(
            limits.check(RateClass::Orders, "b").is_ok(),
            "agent b has its own bucket"
        );
        assert!(
            limits.check(RateClass::Catalog, "a").is_ok(),
            "another class has its own bucket"
        );
    }
}
