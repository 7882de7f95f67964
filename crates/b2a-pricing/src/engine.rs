//! The engine: from a policy, the lines asked for and what may be known at quote time, to
//! explained unit prices, a delivery, totals and the private negotiation bounds.

use std::cmp::Reverse;

use b2a_model::{
    Adjustment, AdjustmentKind, Consent, CountryCode, Currency, Delivery, Money, Quantity,
    QuoteLine, Sku, Speed,
};
use time::OffsetDateTime;

use crate::delivery::choose_delivery;
use crate::negotiate::{NegotiationBounds, bounds_for};
use crate::percent::Rounding;
use crate::policy::{Bundle, PricingPolicy};
use crate::{Percent, PricingError};

/// The consent attribute that lets the engine read a person's loyalty tier.
pub const LOYALTY_ATTRIBUTE: &str = "loyalty_tier";

/// Rule id of the adjustment that holds a base price within the daily change.
pub const RULE_DAILY_CHANGE: &str = "max-daily-change";
/// Rule id of the adjustment that raises a unit price to the brand's private minimum.
pub const RULE_MIN_PRICE: &str = "min-price";
/// Rule id of the adjustment that lowers a unit price to the published ceiling.
pub const RULE_MAX_MARKUP: &str = "max-markup";

/// The only facts about the person the engine may read: those the person consented to.
///
/// Built only through [`ConsentedAttributes::none`] or [`ConsentedAttributes::from_consent`],
/// which drops every attribute the consent does not name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConsentedAttributes {
    loyalty_tier: Option<String>,
}

impl ConsentedAttributes {
    /// Nothing about the person.
    pub fn none() -> Self {
        Self::default()
    }

    /// Keeps `loyalty_tier` only if `consent.attributes` contains [`LOYALTY_ATTRIBUTE`];
    /// otherwise drops it.
    pub fn from_consent(consent: Option<&Consent>, loyalty_tier: Option<String>) -> Self {
        let consented = consent.is_some_and(|c| c.attributes.contains(LOYALTY_ATTRIBUTE));
        ConsentedAttributes {
            loyalty_tier: loyalty_tier.filter(|_| consented),
        }
    }

    /// The consented loyalty tier, if any.
    pub fn loyalty_tier(&self) -> Option<&str> {
        self.loyalty_tier.as_deref()
    }
}

/// Where and when the goods are to arrive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Destination {
    /// Destination country.
    pub country: CountryCode,
    /// The service asked for; when absent, the cheapest that meets `deliver_by`.
    pub speed: Option<Speed>,
    /// The latest acceptable delivery date.
    pub deliver_by: Option<time::Date>,
}

/// Everything about the request, besides its lines, that a rule may read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PricingContext {
    /// The instant of pricing: promotions running, days to `deliver_by`.
    pub now: OffsetDateTime,
    /// Where and when.
    pub destination: Destination,
    /// What the person consented to share.
    pub attributes: ConsentedAttributes,
}

/// One line to price, with the facts of its SKU.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineInput {
    /// What.
    pub sku: Sku,
    /// Catalog name.
    pub name: String,
    /// Category slugs of the SKU, ancestors included.
    pub categories: Vec<String>,
    /// How many.
    pub quantity: Quantity,
    /// Catalog list price of one unit.
    pub list_price: Money,
    /// Brand-private unit cost; `None` = unknown, and then no unit price goes below list.
    pub cost: Option<Money>,
    /// Units on hand; `None` = not stocked (the stock/demand rule does not apply).
    pub stock: Option<u32>,
    /// Units quoted and ordered for this SKU in the stock/demand window.
    pub demand: u32,
    /// The lowest and highest base unit prices ([`PricedLine::base_unit_price`]) quoted for
    /// this SKU in the last 24 hours, if any.
    pub recent_unit_prices: Option<(Money, Money)>,
}

/// A priced quote: what the agent is offered, and the bounds its negotiation keeps to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PricedQuote {
    /// One per input line, in order.
    pub lines: Vec<PricedLine>,
    /// Σ line totals.
    pub subtotal: Money,
    /// The delivery included.
    pub delivery: Delivery,
    /// `subtotal + delivery.price`.
    pub total: Money,
    /// Whether the prices include VAT.
    pub vat_included: bool,
    /// Private: how far the brand negotiates this quote. Stored with it, never served.
    pub bounds: NegotiationBounds,
}

/// A priced line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PricedLine {
    /// The line as quoted.
    pub line: QuoteLine,
    /// The base unit price (list price with stock/demand and promotion, held within the daily
    /// change): record it, it is what [`LineInput::recent_unit_prices`] compares with.
    pub base_unit_price: Money,
}

/// Prices a quote. See the crate documentation for the rules, their order and the rounding.
pub fn price_quote(
    policy: &PricingPolicy,
    lines: &[LineInput],
    ctx: &PricingContext,
) -> Result<PricedQuote, PricingError> {
    check_lines(policy, lines)?;
    let currency = policy.currency;
    let mut priced = Vec::with_capacity(lines.len());
    let mut floors = Vec::with_capacity(lines.len());
    let mut subtotal = Money::zero(currency);
    for input in lines {
        let (line, floor) = price_line(policy, input, lines, ctx)?;
        subtotal = subtotal.checked_add(line.line.line_total)?;
        priced.push(line);
        floors.push(floor);
    }
    let delivery = choose_delivery(policy, &ctx.destination, ctx.now, subtotal)?;
    let total = subtotal.checked_add(delivery.price)?;
    let bounds = bounds_for(policy, lines, &priced, &floors)?;
    Ok(PricedQuote {
        lines: priced,
        subtotal,
        delivery,
        total,
        vat_included: policy.prices_include_vat,
        bounds,
    })
}

/// At least one line, each SKU once, every amount in the policy's currency.
fn check_lines(policy: &PricingPolicy, lines: &[LineInput]) -> Result<(), PricingError> {
    let first = lines.first().ok_or(PricingError::NoLines)?;
    let line_currency = first.list_price.currency();
    for (i, line) in lines.iter().enumerate() {
        let c = line.list_price.currency();
        if c != line_currency {
            return Err(PricingError::MixedCurrencies(
                line_currency.code(),
                c.code(),
            ));
        }
        if lines[..i].iter().any(|l| l.sku == line.sku) {
            return Err(PricingError::DuplicateLine {
                sku: line.sku.clone(),
            });
        }
    }
    let others = lines.iter().flat_map(|l| {
        let recent = l.recent_unit_prices.iter().flat_map(|(a, b)| [a, b]);
        l.cost.iter().chain(recent).map(|m| m.currency())
    });
    in_policy_currency(
        policy.currency,
        std::iter::once(line_currency).chain(others),
    )
}

fn in_policy_currency(
    policy: Currency,
    mut currencies: impl Iterator<Item = Currency>,
) -> Result<(), PricingError> {
    match currencies.find(|c| *c != policy) {
        Some(found) => Err(PricingError::CurrencyNotInPolicy {
            policy: policy.code(),
            found: found.code(),
        }),
        None => Ok(()),
    }
}

/// A unit price being built from the list price, one recorded adjustment at a time, so that
/// the adjustments always sum to `amount − list`.
struct UnitPrice {
    currency: Currency,
    amount: i64,
    adjustments: Vec<Adjustment>,
}

impl UnitPrice {
    /// Moves the price by `delta` minor units; a zero move is not recorded.
    fn adjust(
        &mut self,
        rule: &str,
        kind: AdjustmentKind,
        delta: i64,
        reason: impl FnOnce() -> String,
    ) -> Result<(), PricingError> {
        if delta == 0 {
            return Ok(());
        }
        self.amount = self
            .amount
            .checked_add(delta)
            .ok_or(PricingError::Overflow)?;
        self.adjustments.push(Adjustment {
            rule: rule.to_owned(),
            kind,
            amount: Money::new(delta, self.currency),
            reason: reason(),
        });
        Ok(())
    }

    /// Holds the price within `[low, high]` (`low ≤ high`); `explain(raised)` names the rule
    /// and says why.
    fn hold(
        &mut self,
        low: i64,
        high: i64,
        explain: impl FnOnce(bool) -> (&'static str, String),
    ) -> Result<(), PricingError> {
        let held = self.amount.clamp(low, high);
        if held == self.amount {
            return Ok(());
        }
        let delta = held
            .checked_sub(self.amount)
            .ok_or(PricingError::Overflow)?;
        let (rule, reason) = explain(held > self.amount);
        self.adjust(rule, AdjustmentKind::Guardrail, delta, || reason)
    }
}

/// `percent` of the list price as a per-unit change: positive for an increase.
fn share(list: i64, percent: Percent, increase: bool) -> Result<i64, PricingError> {
    let amount = percent.checked_of(list).ok_or(PricingError::Overflow)?;
    if increase {
        Ok(amount)
    } else {
        amount.checked_neg().ok_or(PricingError::Overflow)
    }
}

/// `+6.4 %` or `−5 %`.
pub(crate) fn signed(percent: Percent, increase: bool) -> String {
    format!("{}{percent}", if increase { "+" } else { "\u{2212}" })
}

/// `1 unit`, `3 units`.
fn units(n: u32) -> String {
    format!("{n} unit{}", if n == 1 { "" } else { "s" })
}

/// Prices one line; also returns its private floor (minor units).
fn price_line(
    policy: &PricingPolicy,
    input: &LineInput,
    all: &[LineInput],
    ctx: &PricingContext,
) -> Result<(PricedLine, i64), PricingError> {
    let currency = policy.currency;
    let list = input.list_price.amount();
    let quantity = input.quantity.get();
    let mut price = UnitPrice {
        currency,
        amount: list,
        adjustments: Vec::new(),
    };

    // 1. Stock and demand.
    if let (Some(sd), Some(stock)) = (&policy.stock_demand, input.stock) {
        let window = sd.window_hours;
        let demand = input.demand;
        if stock <= sd.scarce_stock_at_most && demand >= sd.high_demand_at_least {
            let scarce = u64::from(sd.scarce_stock_at_most);
            let bp = u64::from(sd.max_increase_percent.bp()) * (scarce - u64::from(stock) + 1)
                / (scarce + 1);
            let pct = Percent::from_bp(u32::try_from(bp).map_err(|_| PricingError::Overflow)?);
            let left = match stock {
                0 => "None left".to_owned(),
                n => format!("Only {n} left"),
            };
            price.adjust(
                &sd.id,
                AdjustmentKind::StockDemand,
                share(list, pct, true)?,
                || {
                    format!(
                        "{left} and {} asked for in the last {window} hours: {}",
                        units(demand),
                        signed(pct, true)
                    )
                },
            )?;
        } else if stock >= sd.overstock_at_least && demand < sd.high_demand_at_least {
            let pct = sd.max_decrease_percent;
            price.adjust(
                &sd.id,
                AdjustmentKind::StockDemand,
                share(list, pct, false)?,
                || {
                    format!(
                        "{} in stock and {} asked for in the last {window} hours: {}",
                        units(stock),
                        units(demand),
                        signed(pct, false)
                    )
                },
            )?;
        }
    }

    // 2. The largest running promotion that applies (they do not stack).
    let promotion = policy
        .promotions
        .iter()
        .filter(|p| p.is_running(ctx.now) && p.applies_to(&input.sku, &input.categories))
        .min_by_key(|p| Reverse(p.discount_percent)); // the first of the largest
    if let Some(promo) = promotion {
        price.adjust(
            &promo.id,
            AdjustmentKind::Promotion,
            share(list, promo.discount_percent, false)?,
            || {
                format!(
                    "{} until {}: {}",
                    promo.label,
                    long_date(promo.ends_at),
                    signed(promo.discount_percent, false)
                )
            },
        )?;
    }

    // 3. The base price, held within the daily change from recent base prices.
    let daily = policy.guardrails.max_daily_change_percent;
    if let Some((a, b)) = input.recent_unit_prices
        && daily > Percent::ZERO
    {
        let (low, high) = (a.amount().min(b.amount()), a.amount().max(b.amount()));
        let overflow = PricingError::Overflow;
        let lower = daily.below(high, Rounding::Up).ok_or(overflow.clone())?;
        let upper = daily.above(low, Rounding::Down).ok_or(overflow)?;
        let (lower, upper) = if lower <= upper {
            (lower, upper)
        } else {
            let mid = midpoint(low, high);
            (mid, mid)
        };
        price.hold(lower, upper, |_| {
            let reason =
                format!("Held within the published daily change of {daily} from recent prices");
            (RULE_DAILY_CHANGE, reason)
        })?;
    }
    let base_unit_price = Money::new(price.amount, currency);

    // 4. Volume: the highest tier reached.
    let tier = policy
        .volume_tiers
        .iter()
        .filter(|t| t.min_quantity <= quantity)
        .min_by_key(|t| Reverse(t.min_quantity));
    if let Some(tier) = tier {
        price.adjust(
            &tier.id,
            AdjustmentKind::VolumeTier,
            share(list, tier.discount_percent, false)?,
            || {
                format!(
                    "{} or more units: {}",
                    tier.min_quantity,
                    signed(tier.discount_percent, false)
                )
            },
        )?;
    }

    // 5. Bundle: the largest complete bundle this SKU is in.
    let on_quote = |sku: &Sku| all.iter().any(|l| &l.sku == sku);
    let bundle = policy
        .bundles
        .iter()
        .filter(|b| b.skus.contains(&input.sku) && b.skus.iter().all(on_quote))
        .min_by_key(|b| Reverse(b.discount_percent));
    if let Some(bundle) = bundle {
        price.adjust(
            &bundle.id,
            AdjustmentKind::Bundle,
            share(list, bundle.discount_percent, false)?,
            || {
                format!(
                    "Bought together with {} (bundle {}): {}",
                    companions(bundle, input, all),
                    bundle.id,
                    signed(bundle.discount_percent, false)
                )
            },
        )?;
    }

    // 6. Loyalty, only with consent and only for a tier of the policy.
    let loyalty = ctx
        .attributes
        .loyalty_tier()
        .and_then(|name| policy.loyalty.as_ref().and_then(|l| l.tier(name)));
    if let Some(tier) = loyalty {
        price.adjust(
            &format!("loyalty-{}", tier.tier),
            AdjustmentKind::Loyalty,
            share(list, tier.discount_percent, false)?,
            || {
                format!(
                    "{} (consented loyalty tier): {}",
                    member_title(&tier.tier),
                    signed(tier.discount_percent, false)
                )
            },
        )?;
    }

    // 7. The brand's private floor and published ceiling.
    let guard = policy.guardrails;
    let floor = match input.cost {
        Some(cost) => guard
            .min_margin_percent
            .above(cost.amount(), Rounding::Up)
            .ok_or(PricingError::Overflow)?,
        None => list,
    }
    .max(0);
    let ceiling = guard
        .max_markup_percent
        .above(list, Rounding::Down)
        .ok_or(PricingError::Overflow)?;
    if floor > ceiling {
        return Err(PricingError::NotPriceable {
            sku: input.sku.clone(),
        });
    }
    let markup = guard.max_markup_percent;
    price.hold(floor, ceiling, |raised| {
        if raised {
            (
                RULE_MIN_PRICE,
                "Held at the brand's minimum price".to_owned(),
            )
        } else {
            let reason = format!(
                "Held at the published ceiling of list price {}",
                signed(markup, true)
            );
            (RULE_MAX_MARKUP, reason)
        }
    })?;

    let unit_price = Money::new(price.amount, currency);
    let line_total = unit_price.checked_mul(quantity)?;
    let line = QuoteLine {
        sku: input.sku.clone(),
        name: input.name.clone(),
        quantity: input.quantity,
        list_price: input.list_price,
        unit_price,
        adjustments: price.adjustments,
        line_total,
    };
    Ok((
        PricedLine {
            line,
            base_unit_price,
        },
        floor,
    ))
}

/// Half-way between two amounts, rounded half away from zero.
fn midpoint(a: i64, b: i64) -> i64 {
    let sum = i128::from(a) + i128::from(b);
    let mid = if sum >= 0 {
        (sum + 1) / 2
    } else {
        (sum - 1) / 2
    };
    // Between a and b, so it fits.
    i64::try_from(mid).unwrap_or(a)
}

/// The names of the other lines of a bundle: `A`, `A and B`, `A, B and C`.
fn companions(bundle: &Bundle, input: &LineInput, all: &[LineInput]) -> String {
    let names: Vec<&str> = all
        .iter()
        .filter(|l| l.sku != input.sku && bundle.skus.contains(&l.sku))
        .map(|l| l.name.as_str())
        .collect();
    match names.split_last() {
        None => String::new(),
        Some((last, [])) => (*last).to_owned(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
    }
}

/// `Gold member`, and `Member` for a tier already called so.
fn member_title(tier: &str) -> String {
    let mut chars = tier.chars();
    let capitalized = match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    };
    if tier.to_lowercase().ends_with("member") {
        capitalized
    } else {
        format!("{capitalized} member")
    }
}

/// `31 January 2027` (in UTC).
pub(crate) fn long_date(at: OffsetDateTime) -> String {
    let date = at.to_offset(time::UtcOffset::UTC).date();
    format!("{} {} {}", date.day(), date.month(), date.year())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn consent_gates_the_loyalty_tier() {
        let tier = Some("gold".to_owned());
        assert_eq!(
            ConsentedAttributes::from_consent(None, tier.clone()).loyalty_tier(),
            None
        );
        let without = Consent {
            purposes: ["loyalty_pricing".to_owned()].into(),
            ..Consent::default()
        };
        assert_eq!(
            ConsentedAttributes::from_consent(Some(&without), tier.clone()).loyalty_tier(),
            None
        );
        let with = Consent {
            attributes: [LOYALTY_ATTRIBUTE.to_owned()].into(),
            ..Consent::default()
        };
        assert_eq!(
            ConsentedAttributes::from_consent(Some(&with), tier).loyalty_tier(),
            Some("gold")
        );
        assert_eq!(ConsentedAttributes::none(), ConsentedAttributes::default());
    }

    #[test]
    fn helpers_format_for_people() {
        assert_eq!(midpoint(10, 13), 12);
        assert_eq!(midpoint(-10, -13), -12);
        assert_eq!(midpoint(i64::MAX, i64::MAX), i64::MAX);
        assert_eq!(member_title("gold"), "Gold member");
        assert_eq!(member_title("member"), "Member");
        assert_eq!(signed(Percent::from_bp(640), true), "+6.4 %");
        assert_eq!(signed(Percent::from_bp(500), false), "\u{2212}5 %");
        let end = OffsetDateTime::parse(
            "2027-01-31T23:59:59Z",
            &time::format_description::well_known::Rfc3339,
        )
        .expect("date");
        assert_eq!(long_date(end), "31 January 2027");
    }
}
