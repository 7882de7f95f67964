//! What the brand publishes of its policy: every rule and its bounds, and what it never reads.
//! Never a cost, a minimum price, a margin, a walk-away price or a negotiation discount.

use std::collections::BTreeMap;

use b2a_model::{Currency, Money, Sku};
use serde::Serialize;
use time::OffsetDateTime;

use crate::Percent;
use crate::engine::LOYALTY_ATTRIBUTE;
use crate::policy::{PricingPolicy, ShippingOption};

/// The published summary of a pricing policy (`GET /v1/pricing-policy`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PublicPolicy {
    /// The currency of every price.
    pub currency: Currency,
    /// Whether prices include VAT.
    pub prices_include_vat: bool,
    /// How percentages become prices.
    pub rounding: &'static str,
    /// The order rules apply in.
    pub rule_order: Vec<&'static str>,
    /// Volume discounts.
    pub volume_tiers: Vec<PublicVolumeTier>,
    /// The stock/demand rule, if in force.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stock_demand: Option<PublicStockDemand>,
    /// Promotions, each with its window.
    pub promotions: Vec<PublicPromotion>,
    /// Loyalty tiers, if in force.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub loyalty: Option<PublicLoyalty>,
    /// Bundles.
    pub bundles: Vec<PublicBundle>,
    /// Delivery zones.
    pub shipping: Vec<PublicZone>,
    /// The published bounds of every price.
    pub guardrails: PublicGuardrails,
    /// How the brand negotiates.
    pub negotiation: PublicNegotiation,
    /// What the prices may depend on.
    pub attributes_used: Vec<&'static str>,
    /// What the prices never depend on.
    pub attributes_never_used: Vec<&'static str>,
}

/// A published volume tier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PublicVolumeTier {
    /// Rule id.
    pub id: String,
    /// Units of one SKU from which it applies.
    pub min_quantity: u32,
    /// Discount on the list price.
    pub discount_percent: Percent,
}

/// The published stock/demand rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PublicStockDemand {
    /// Rule id.
    pub id: String,
    /// The window demand is counted over.
    pub window_hours: u32,
    /// The largest rise, for scarce stock in high demand.
    pub max_increase_percent: Percent,
    /// The largest cut, for overstock.
    pub max_decrease_percent: Percent,
    /// In words.
    pub explanation: String,
}

/// A published promotion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PublicPromotion {
    /// Rule id.
    pub id: String,
    /// What a person reads.
    pub label: String,
    /// Discount on the list price.
    pub discount_percent: Percent,
    /// Category slugs it applies to.
    pub categories: Vec<String>,
    /// SKUs it applies to.
    pub skus: Vec<Sku>,
    /// Whether it applies to every SKU (no category and no SKU named).
    pub applies_to_everything: bool,
    /// Start (included).
    #[serde(with = "time::serde::rfc3339")]
    pub starts_at: OffsetDateTime,
    /// End (excluded).
    #[serde(with = "time::serde::rfc3339")]
    pub ends_at: OffsetDateTime,
}

/// The published loyalty tiers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PublicLoyalty {
    /// The consent attribute without which no loyalty discount is given.
    pub used_only_with_consent_of: &'static str,
    /// The tiers.
    pub tiers: Vec<PublicLoyaltyTier>,
}

/// A published loyalty tier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PublicLoyaltyTier {
    /// Its name.
    pub tier: String,
    /// Orders in the last year from which a person is in it.
    pub min_orders_last_year: u32,
    /// Discount on the list price.
    pub discount_percent: Percent,
}

/// A published bundle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PublicBundle {
    /// Rule id.
    pub id: String,
    /// What a person reads.
    pub label: String,
    /// Its SKUs: each gets the discount when all are on one quote.
    pub skus: Vec<Sku>,
    /// Discount on the list price of each.
    pub discount_percent: Percent,
}

/// A published delivery zone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PublicZone {
    /// Zone id.
    pub id: String,
    /// Countries, or `"*"` for every country no other zone names.
    pub countries: Vec<String>,
    /// The standard service.
    pub standard: PublicShippingOption,
    /// The express service, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub express: Option<PublicShippingOption>,
    /// The subtotal from which standard delivery is free.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub free_standard_above: Option<Money>,
}

/// A published delivery service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PublicShippingOption {
    /// For the whole quote.
    pub price: Money,
    /// Days to delivery, at most.
    pub days: u32,
}

/// The published bounds of every price.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PublicGuardrails {
    /// No unit price is above its list price plus this.
    pub max_markup_percent: Percent,
    /// A SKU's base price moves at most this much within 24 hours (0 = not limited).
    pub max_daily_change_percent: Percent,
}

/// How the brand negotiates, without its limits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PublicNegotiation {
    /// Counter-offers answered per quote, for SKUs no category names (0 = not negotiable).
    pub max_rounds: u32,
    /// Counter-offers answered per quote by category slug; a quote takes the fewest of its lines.
    pub max_rounds_by_category: BTreeMap<String, u32>,
    /// How concessions evolve.
    pub concessions: &'static str,
    /// Whether delivery is negotiated (never).
    pub delivery_negotiable: bool,
}

const ATTRIBUTES_USED: [&str; 6] = [
    "quantity",
    "stock",
    "demand",
    "date",
    "destination",
    "loyalty_tier (only with consent)",
];

const ATTRIBUTES_NEVER_USED: [&str; 10] = [
    "identity of the person",
    "age",
    "gender",
    "location beyond the destination country",
    "device or browser",
    "browsing history",
    "past prices paid",
    "willingness to pay inferred from a profile",
    "the agent's identity or its software",
    "any attribute the person did not consent to share",
];

/// The order in which rules move a unit price.
const RULE_ORDER: [&str; 7] = [
    "stock_demand",
    "promotion",
    "max_daily_change",
    "volume_tier",
    "bundle",
    "loyalty",
    "price bounds (published ceiling, brand's minimum price)",
];

impl PricingPolicy {
    /// What the brand publishes of this policy.
    pub fn public_summary(&self) -> PublicPolicy {
        let money = |amount: i64| Money::new(amount, self.currency);
        let option = |o: &ShippingOption| PublicShippingOption {
            price: money(o.price),
            days: o.days,
        };
        PublicPolicy {
            currency: self.currency,
            prices_include_vat: self.prices_include_vat,
            rounding: "Each percentage is of the list price of one unit, applied to it in minor \
                       units and rounded half away from zero; percentages add up, they do not \
                       compound. A line's total is its unit price times its quantity; the total \
                       is the sum of the lines plus delivery.",
            rule_order: RULE_ORDER.to_vec(),
            volume_tiers: self
                .volume_tiers
                .iter()
                .map(|t| PublicVolumeTier {
                    id: t.id.clone(),
                    min_quantity: t.min_quantity,
                    discount_percent: t.discount_percent,
                })
                .collect(),
            stock_demand: self.stock_demand.as_ref().map(|sd| PublicStockDemand {
                id: sd.id.clone(),
                window_hours: sd.window_hours,
                max_increase_percent: sd.max_increase_percent,
                max_decrease_percent: sd.max_decrease_percent,
                explanation: format!(
                    "When few units are left and many were asked for in the last {} hours, the \
                     price rises, the fewer left the more, by at most {}; when stock is high and \
                     demand is not, it falls by {}.",
                    sd.window_hours, sd.max_increase_percent, sd.max_decrease_percent
                ),
            }),
            promotions: self
                .promotions
                .iter()
                .map(|p| PublicPromotion {
                    id: p.id.clone(),
                    label: p.label.clone(),
                    discount_percent: p.discount_percent,
                    categories: p.categories.clone(),
                    skus: p.skus.clone(),
                    applies_to_everything: p.categories.is_empty() && p.skus.is_empty(),
                    starts_at: p.starts_at,
                    ends_at: p.ends_at,
                })
                .collect(),
            loyalty: self.loyalty.as_ref().map(|l| PublicLoyalty {
                used_only_with_consent_of: LOYALTY_ATTRIBUTE,
                tiers: l
                    .tiers
                    .iter()
                    .map(|t| PublicLoyaltyTier {
                        tier: t.tier.clone(),
                        min_orders_last_year: t.min_orders_last_year,
                        discount_percent: t.discount_percent,
                    })
                    .collect(),
            }),
            bundles: self
                .bundles
                .iter()
                .map(|b| PublicBundle {
                    id: b.id.clone(),
                    label: b.label.clone(),
                    skus: b.skus.clone(),
                    discount_percent: b.discount_percent,
                })
                .collect(),
            shipping: self
                .shipping
                .zones
                .iter()
                .map(|z| PublicZone {
                    id: z.id.clone(),
                    countries: z.countries.clone(),
                    standard: option(&z.standard),
                    express: z.express.as_ref().map(option),
                    free_standard_above: z.free_standard_above.map(money),
                })
                .collect(),
            guardrails: PublicGuardrails {
                max_markup_percent: self.guardrails.max_markup_percent,
                max_daily_change_percent: self.guardrails.max_daily_change_percent,
            },
            negotiation: PublicNegotiation {
                max_rounds: self.negotiation.default.max_rounds,
                max_rounds_by_category: self
                    .negotiation
                    .categories
                    .iter()
                    .map(|(slug, rule)| (slug.clone(), rule.max_rounds))
                    .collect(),
                concessions: "Deterministic: the same counter-offer on the same version always \
                              gets the same answer. Concessions decrease each round, and the \
                              last round's answer is a final offer.",
                delivery_negotiable: false,
            },
            attributes_used: ATTRIBUTES_USED.to_vec(),
            attributes_never_used: ATTRIBUTES_NEVER_USED.to_vec(),
        }
    }
}
