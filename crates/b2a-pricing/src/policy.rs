//! The operator's pricing policy: the rules, their bounds, and the checks that refuse a policy
//! that would mislead.

use b2a_model::{Currency, Sku};
use serde::{Deserialize, Serialize};
use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet};
use time::OffsetDateTime;

use crate::Percent;

/// The brand's pricing policy, as the operator writes it (TOML or JSON).
///
/// Every amount in it is in minor units of [`PricingPolicy::currency`]; every percentage is a
/// [`Percent`] (a number of percent with at most two decimals). Unknown fields are refused at
/// every level, so a typo fails loudly instead of silently disabling a rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PricingPolicy {
    /// The currency of every price quoted and every amount in the policy.
    pub currency: Currency,
    /// Whether prices include VAT (default `true`).
    #[serde(default = "default_true")]
    pub prices_include_vat: bool,
    /// The bounds every unit price is held within.
    pub guardrails: Guardrails,
    /// Discounts for buying many units of one SKU; the largest tier reached applies.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub volume_tiers: Vec<VolumeTier>,
    /// The rise for scarce stock in demand and the cut for overstock.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stock_demand: Option<StockDemand>,
    /// Time-limited discounts; the largest running one applies, they do not stack.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub promotions: Vec<Promotion>,
    /// Discounts by loyalty tier, used only with the person's consent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub loyalty: Option<Loyalty>,
    /// Discounts for buying the items of a bundle together.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub bundles: Vec<Bundle>,
    /// Delivery zones and prices.
    pub shipping: Shipping,
    /// How far and how long the brand negotiates (default: not at all).
    #[serde(default)]
    pub negotiation: Negotiation,
}

fn default_true() -> bool {
    true
}

/// The bounds every unit price is held within.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Guardrails {
    /// Private: no unit price goes below `cost × (100 % + min_margin_percent)`, rounded up.
    /// When a SKU's cost is unknown its list price is the minimum: no discount without a cost.
    pub min_margin_percent: Percent,
    /// Published: no unit price goes above `list × (100 % + max_markup_percent)`, rounded down.
    pub max_markup_percent: Percent,
    /// Published: a SKU's base price (list price with stock/demand and promotion) moves at most
    /// this much from the lowest and highest base prices quoted for it in the last 24 hours.
    /// `0` turns the guardrail off; it applies only when recent prices are known.
    pub max_daily_change_percent: Percent,
}

/// A discount from a number of units of one SKU up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VolumeTier {
    /// Rule id, e.g. `volume-5`.
    pub id: String,
    /// Units of the SKU on one line from which the tier applies.
    pub min_quantity: u32,
    /// Discount on the list price.
    pub discount_percent: Percent,
}

/// The rise for scarce stock in demand and the cut for overstock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StockDemand {
    /// Rule id, e.g. `stock-demand`.
    pub id: String,
    /// The window demand is counted over, in hours.
    pub window_hours: u32,
    /// Stock is scarce at this many units or fewer.
    pub scarce_stock_at_most: u32,
    /// Demand is high at this many units quoted or ordered in the window, or more.
    pub high_demand_at_least: u32,
    /// The rise when stock is scarce and demand high, reached when the last unit is left:
    /// `max × (scarce − stock + 1) / (scarce + 1)`.
    pub max_increase_percent: Percent,
    /// Stock is overstock at this many units or more.
    pub overstock_at_least: u32,
    /// The cut for overstock when demand is not high.
    pub max_decrease_percent: Percent,
}

/// A time-limited discount.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Promotion {
    /// Rule id, e.g. `winter-sale`.
    pub id: String,
    /// What a person reads, e.g. `Winter sale`.
    pub label: String,
    /// Discount on the list price.
    pub discount_percent: Percent,
    /// Category slugs it applies to (a SKU's categories include their ancestors).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub categories: Vec<String>,
    /// SKUs it applies to. With no category and no SKU it applies to every SKU.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub skus: Vec<Sku>,
    /// It runs from this instant (included), RFC 3339.
    #[serde(with = "timestamp")]
    pub starts_at: OffsetDateTime,
    /// to this instant (excluded), RFC 3339.
    #[serde(with = "timestamp")]
    pub ends_at: OffsetDateTime,
}

impl Promotion {
    /// Whether it runs at `now`: `starts_at ≤ now < ends_at`.
    pub fn is_running(&self, now: OffsetDateTime) -> bool {
        self.starts_at <= now && now < self.ends_at
    }

    /// Whether it applies to a SKU with these categories.
    pub fn applies_to(&self, sku: &Sku, categories: &[String]) -> bool {
        (self.categories.is_empty() && self.skus.is_empty())
            || self.skus.contains(sku)
            || self.categories.iter().any(|c| categories.contains(c))
    }
}

/// Discounts by loyalty tier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Loyalty {
    /// The tiers, each with its own name.
    pub tiers: Vec<LoyaltyTier>,
}

impl Loyalty {
    /// The tier a person with `orders_last_year` orders in the last year is in: the one with the
    /// highest `min_orders_last_year` at most that. A tier with minimum 0 takes everyone.
    pub fn tier_for(&self, orders_last_year: u32) -> Option<&LoyaltyTier> {
        self.tiers
            .iter()
            .filter(|t| t.min_orders_last_year <= orders_last_year)
            .min_by_key(|t| Reverse(t.min_orders_last_year))
    }

    /// The tier of this name.
    pub fn tier(&self, name: &str) -> Option<&LoyaltyTier> {
        self.tiers.iter().find(|t| t.tier == name)
    }
}

/// One loyalty tier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoyaltyTier {
    /// Its name, as the consented attribute `loyalty_tier` carries it, e.g. `gold`.
    pub tier: String,
    /// Orders in the last year from which a person is in the tier.
    pub min_orders_last_year: u32,
    /// Discount on the list price.
    pub discount_percent: Percent,
}

/// A discount for buying the items of a bundle together.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bundle {
    /// Rule id, e.g. `coat-and-gloves`.
    pub id: String,
    /// What a person reads.
    pub label: String,
    /// Its SKUs, at least two distinct: each gets the discount when all are on the quote.
    pub skus: Vec<Sku>,
    /// Discount on the list price of each of its SKUs.
    pub discount_percent: Percent,
}

/// Delivery zones.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Shipping {
    /// At least one.
    pub zones: Vec<ShippingZone>,
}

/// Where a zone's country list says "every country no other zone names".
pub const EVERY_OTHER_COUNTRY: &str = "*";

/// A delivery zone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShippingZone {
    /// Zone id, e.g. `eu`.
    pub id: String,
    /// ISO 3166-1 alpha-2 codes, or `"*"` alone: every country no other zone names.
    pub countries: Vec<String>,
    /// The standard service.
    pub standard: ShippingOption,
    /// The express service, if the zone has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub express: Option<ShippingOption>,
    /// Subtotal (minor units) at or above which standard delivery is free.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub free_standard_above: Option<i64>,
}

impl ShippingZone {
    /// Whether it is the zone of every country no other zone names.
    pub fn is_catch_all(&self) -> bool {
        self.countries.iter().any(|c| c == EVERY_OTHER_COUNTRY)
    }
}

/// One delivery service of a zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShippingOption {
    /// Price for the whole quote, in minor units.
    pub price: i64,
    /// Days from order to delivery, at most.
    pub days: u32,
}

/// How far and how long the brand negotiates.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Negotiation {
    /// The rule for SKUs no category rule names (default: no negotiation).
    #[serde(default)]
    pub default: NegotiationRule,
    /// Rules by category slug; a SKU in several takes the most restrictive.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub categories: BTreeMap<String, NegotiationRule>,
}

/// How far and how long the brand negotiates the SKUs it applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NegotiationRule {
    /// Private: the largest concession below the opening (round-0) unit price.
    pub max_discount_percent: Percent,
    /// Counter-offers answered with a new version, at most.
    pub max_rounds: u32,
    /// Each round concedes this share of what the previous round left (default 50 %): the
    /// smaller, the faster the brand concedes. Strictly between 0 and 100 %.
    #[serde(default = "default_concession_ratio")]
    pub concession_ratio_percent: Percent,
}

fn default_concession_ratio() -> Percent {
    Percent::from_percent(50)
}

impl Default for NegotiationRule {
    /// No negotiation: 0 %, 0 rounds, ratio 50 %.
    fn default() -> Self {
        NegotiationRule {
            max_discount_percent: Percent::ZERO,
            max_rounds: 0,
            concession_ratio_percent: default_concession_ratio(),
        }
    }
}

impl Negotiation {
    /// The rule for a SKU with these categories: the most restrictive (smallest maximum
    /// discount, then fewest rounds) of the category rules that name one of them, else the
    /// default.
    pub fn rule_for(&self, categories: &[String]) -> &NegotiationRule {
        self.categories
            .iter()
            .filter(|(slug, _)| categories.contains(slug))
            .map(|(_, rule)| rule)
            .min_by_key(|r| (r.max_discount_percent, r.max_rounds))
            .unwrap_or(&self.default)
    }
}

/// Why a policy was refused: the field, as a dotted path, and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct PolicyError {
    /// E.g. `volume_tiers[1].discount_percent`; `policy` when the file could not be read at all.
    pub field: String,
    /// What is wrong, in words the operator can act on.
    pub reason: String,
}

impl PolicyError {
    fn new(field: impl Into<String>, reason: impl Into<String>) -> Self {
        PolicyError {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

impl PricingPolicy {
    /// Reads and validates a TOML policy. A syntax error, an unknown or missing field or a
    /// value of the wrong type is reported at the best dotted path the TOML position gives.
    pub fn from_toml(text: &str) -> Result<Self, PolicyError> {
        let policy: PricingPolicy = toml::from_str(text).map_err(|e| {
            let field = e
                .span()
                .and_then(|span| toml_path(text, span.start))
                .unwrap_or_else(|| "policy".to_owned());
            PolicyError::new(field, e.message().trim())
        })?;
        policy.validate()?;
        Ok(policy)
    }

    /// Reads and validates a JSON policy.
    pub fn from_json(text: &str) -> Result<Self, PolicyError> {
        let policy: PricingPolicy =
            serde_json::from_str(text).map_err(|e| PolicyError::new("policy", e.to_string()))?;
        policy.validate()?;
        Ok(policy)
    }

    /// The policy a brand has before it loads one: list prices, no rule, no negotiation, no
    /// markup, no daily-change guardrail (0 = off), and free standard delivery everywhere in
    /// 5 days. A SKU whose known cost is above its list price cannot be quoted under it.
    pub fn list_prices_only(currency: Currency) -> Self {
        PricingPolicy {
            currency,
            prices_include_vat: true,
            guardrails: Guardrails {
                min_margin_percent: Percent::ZERO,
                max_markup_percent: Percent::ZERO,
                max_daily_change_percent: Percent::ZERO,
            },
            volume_tiers: Vec::new(),
            stock_demand: None,
            promotions: Vec::new(),
            loyalty: None,
            bundles: Vec::new(),
            shipping: Shipping {
                zones: vec![ShippingZone {
                    id: "world".to_owned(),
                    countries: vec![EVERY_OTHER_COUNTRY.to_owned()],
                    standard: ShippingOption { price: 0, days: 5 },
                    express: None,
                    free_standard_above: None,
                }],
            },
            negotiation: Negotiation::default(),
        }
    }

    /// Checks what types cannot: the first problem found, with its field.
    pub fn validate(&self) -> Result<(), PolicyError> {
        let g = &self.guardrails;
        percent_at_most(
            "guardrails.min_margin_percent",
            g.min_margin_percent,
            Percent::MAX,
        )?;
        percent_at_most(
            "guardrails.max_markup_percent",
            g.max_markup_percent,
            Percent::MAX,
        )?;
        percent_at_most(
            "guardrails.max_daily_change_percent",
            g.max_daily_change_percent,
            Percent::HUNDRED,
        )?;

        let mut ids = UniqueIds::default();
        let mut min_quantities = BTreeSet::new();
        for (i, tier) in self.volume_tiers.iter().enumerate() {
            let at = format!("volume_tiers[{i}]");
            ids.check(&at, &tier.id)?;
            discount(&format!("{at}.discount_percent"), tier.discount_percent)?;
            if !min_quantities.insert(tier.min_quantity) {
                return Err(PolicyError::new(
                    format!("{at}.min_quantity"),
                    format!("another tier already starts at {} units", tier.min_quantity),
                ));
            }
        }

        if let Some(sd) = &self.stock_demand {
            ids.check("stock_demand", &sd.id)?;
            if sd.window_hours == 0 {
                return Err(PolicyError::new(
                    "stock_demand.window_hours",
                    "the demand window must be at least one hour",
                ));
            }
            if sd.overstock_at_least <= sd.scarce_stock_at_most {
                return Err(PolicyError::new(
                    "stock_demand.overstock_at_least",
                    format!(
                        "overstock ({}) must be above scarce stock ({})",
                        sd.overstock_at_least, sd.scarce_stock_at_most
                    ),
                ));
            }
            percent_at_most(
                "stock_demand.max_increase_percent",
                sd.max_increase_percent,
                Percent::MAX,
            )?;
            discount("stock_demand.max_decrease_percent", sd.max_decrease_percent)?;
        }

        for (i, promo) in self.promotions.iter().enumerate() {
            let at = format!("promotions[{i}]");
            ids.check(&at, &promo.id)?;
            not_blank(&format!("{at}.label"), &promo.label)?;
            discount(&format!("{at}.discount_percent"), promo.discount_percent)?;
            if promo.ends_at <= promo.starts_at {
                return Err(PolicyError::new(
                    format!("{at}.ends_at"),
                    "a promotion must end after it starts",
                ));
            }
        }

        if let Some(loyalty) = &self.loyalty {
            let mut names = BTreeSet::new();
            for (i, tier) in loyalty.tiers.iter().enumerate() {
                let at = format!("loyalty.tiers[{i}]");
                not_blank(&format!("{at}.tier"), &tier.tier)?;
                if !names.insert(tier.tier.as_str()) {
                    return Err(PolicyError::new(
                        format!("{at}.tier"),
                        format!("tier `{}` is named twice", tier.tier),
                    ));
                }
                discount(&format!("{at}.discount_percent"), tier.discount_percent)?;
            }
        }

        for (i, bundle) in self.bundles.iter().enumerate() {
            let at = format!("bundles[{i}]");
            ids.check(&at, &bundle.id)?;
            not_blank(&format!("{at}.label"), &bundle.label)?;
            if bundle.skus.iter().collect::<BTreeSet<_>>().len() < 2 {
                return Err(PolicyError::new(
                    format!("{at}.skus"),
                    "a bundle needs at least two distinct SKUs",
                ));
            }
            discount(&format!("{at}.discount_percent"), bundle.discount_percent)?;
        }

        self.validate_shipping()?;

        let n = &self.negotiation;
        negotiation_rule("negotiation.default", &n.default)?;
        for (slug, rule) in &n.categories {
            not_blank("negotiation.categories", slug)?;
            negotiation_rule(&format!("negotiation.categories.{slug}"), rule)?;
        }
        Ok(())
    }

    fn validate_shipping(&self) -> Result<(), PolicyError> {
        if self.shipping.zones.is_empty() {
            return Err(PolicyError::new(
                "shipping.zones",
                "at least one delivery zone is needed",
            ));
        }
        let mut ids = UniqueIds::default();
        let mut countries: BTreeMap<&str, &str> = BTreeMap::new();
        let mut catch_all: Option<&str> = None;
        for (i, zone) in self.shipping.zones.iter().enumerate() {
            let at = format!("shipping.zones[{i}]");
            ids.check(&at, &zone.id)?;
            if zone.countries.is_empty() {
                return Err(PolicyError::new(
                    format!("{at}.countries"),
                    "a zone needs at least one country, or \"*\"",
                ));
            }
            for (j, country) in zone.countries.iter().enumerate() {
                let field = format!("{at}.countries[{j}]");
                if country == EVERY_OTHER_COUNTRY {
                    if zone.countries.len() > 1 {
                        return Err(PolicyError::new(
                            field,
                            "\"*\" stands alone: it is every country no other zone names",
                        ));
                    }
                    if let Some(other) = catch_all.replace(&zone.id) {
                        return Err(PolicyError::new(
                            field,
                            format!("zone `{other}` already covers every other country"),
                        ));
                    }
                    continue;
                }
                let two_letters =
                    country.len() == 2 && country.bytes().all(|b| b.is_ascii_uppercase());
                if !two_letters {
                    return Err(PolicyError::new(
                        field,
                        format!("`{country}` is not an ISO 3166-1 alpha-2 code such as FR"),
                    ));
                }
                if let Some(other) = countries.insert(country, &zone.id) {
                    return Err(PolicyError::new(
                        field,
                        format!("{country} is already in zone `{other}`"),
                    ));
                }
            }
            not_negative(&format!("{at}.standard.price"), zone.standard.price)?;
            if let Some(express) = &zone.express {
                not_negative(&format!("{at}.express.price"), express.price)?;
            }
            if let Some(free) = zone.free_standard_above {
                not_negative(&format!("{at}.free_standard_above"), free)?;
            }
        }
        Ok(())
    }
}

/// Ids of rules must be non-empty and unique within their list.
#[derive(Default)]
struct UniqueIds<'a> {
    by_list: BTreeMap<String, BTreeSet<&'a str>>,
}

impl<'a> UniqueIds<'a> {
    /// `at` is `list[i]` (or a single rule's name); the id field is `at.id`.
    fn check(&mut self, at: &str, id: &'a str) -> Result<(), PolicyError> {
        let field = format!("{at}.id");
        not_blank(&field, id)?;
        let list = at.split('[').next().unwrap_or(at).to_owned();
        if !self.by_list.entry(list).or_default().insert(id) {
            return Err(PolicyError::new(field, format!("id `{id}` is used twice")));
        }
        Ok(())
    }
}

fn not_blank(field: &str, text: &str) -> Result<(), PolicyError> {
    if text.trim().is_empty() {
        return Err(PolicyError::new(field, "must not be empty"));
    }
    Ok(())
}

fn not_negative(field: &str, amount: i64) -> Result<(), PolicyError> {
    if amount < 0 {
        return Err(PolicyError::new(
            field,
            format!("{amount} is negative; amounts are minor units, 0 or more"),
        ));
    }
    Ok(())
}

fn percent_at_most(field: &str, p: Percent, max: Percent) -> Result<(), PolicyError> {
    if p > max {
        return Err(PolicyError::new(
            field,
            format!("{p} is above the maximum of {max}"),
        ));
    }
    Ok(())
}

fn discount(field: &str, p: Percent) -> Result<(), PolicyError> {
    percent_at_most(field, p, Percent::HUNDRED)
}

fn negotiation_rule(at: &str, rule: &NegotiationRule) -> Result<(), PolicyError> {
    discount(
        &format!("{at}.max_discount_percent"),
        rule.max_discount_percent,
    )?;
    let ratio = rule.concession_ratio_percent;
    if ratio == Percent::ZERO || ratio >= Percent::HUNDRED {
        return Err(PolicyError::new(
            format!("{at}.concession_ratio_percent"),
            format!("{ratio} must be above 0 % and below 100 %"),
        ));
    }
    Ok(())
}

/// The dotted path of the TOML key at byte `offset` of `text`, as far as the text around it
/// tells: the enclosing table header (arrays of tables indexed by count) and the keys on the
/// line up to the offset.
fn toml_path(text: &str, offset: usize) -> Option<String> {
    let offset = offset.min(text.len());
    let mut header: Vec<String> = Vec::new();
    let mut array_counts: BTreeMap<String, usize> = BTreeMap::new();
    let mut line_start = 0;
    for line in text.split_inclusive('\n') {
        let line_end = line_start + line.len();
        let trimmed = line.trim();
        let at_error = offset < line_end || line_end == text.len();
        if let Some(name) = trimmed
            .strip_prefix("[[")
            .and_then(|t| t.split("]]").next())
        {
            let name = name.trim().to_owned();
            let n = array_counts.entry(name.clone()).or_insert(0);
            *n += 1;
            header = vec![format!("{name}[{}]", *n - 1)];
        } else if let Some(name) = trimmed.strip_prefix('[').and_then(|t| t.split(']').next()) {
            header = vec![name.trim().to_owned()];
        } else if at_error {
            let column = offset.saturating_sub(line_start).min(line.len());
            let (before, after) = line.split_at_checked(column).unwrap_or((line, ""));
            // Keys whose values enclose the offset: `a = { b = ` → a, b.
            for part in before.split(['{', '[']) {
                if let Some((key, _)) = part.rsplit(',').next().and_then(|p| p.split_once('=')) {
                    header.push(key.trim().to_owned());
                }
            }
            // The key at the offset itself (an unknown field is reported on its key).
            if let Some((key, _)) = after.split_once('=') {
                let key = key.trim();
                if !key.is_empty() && !key.contains([',', '{', '}', '[', ']', '"']) {
                    header.push(key.to_owned());
                }
            }
        }
        if at_error {
            break;
        }
        line_start = line_end;
    }
    let path = header.join(".");
    (!path.is_empty()).then_some(path)
}

/// RFC 3339 timestamps, read from a string or from a TOML offset date-time.
mod timestamp {
    use std::fmt;

    use serde::de::{self, MapAccess, Visitor};
    use serde::{Deserializer, Serializer};
    use time::OffsetDateTime;
    use time::format_description::well_known::Rfc3339;

    pub(super) fn serialize<S: Serializer>(t: &OffsetDateTime, s: S) -> Result<S::Ok, S::Error> {
        time::serde::rfc3339::serialize(t, s)
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<OffsetDateTime, D::Error> {
        d.deserialize_any(TimestampVisitor)
    }

    struct TimestampVisitor;

    fn parse<E: de::Error>(text: &str) -> Result<OffsetDateTime, E> {
        OffsetDateTime::parse(text, &Rfc3339).map_err(|e| {
            E::custom(format!(
                "`{text}` is not an RFC 3339 date-time with an offset, such as 2026-11-15T00:00:00Z ({e})"
            ))
        })
    }

    impl<'de> Visitor<'de> for TimestampVisitor {
        type Value = OffsetDateTime;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an RFC 3339 date-time such as 2026-11-15T00:00:00Z")
        }

        fn visit_str<E: de::Error>(self, v: &str) -> Result<OffsetDateTime, E> {
            parse(v)
        }

        /// A TOML date-time arrives as a one-entry map whose value is its text.
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<OffsetDateTime, A::Error> {
            let Some((_, text)) = map.next_entry::<String, String>()? else {
                return Err(de::Error::custom("expected a date-time"));
            };
            parse(&text)
        }
    }
}
