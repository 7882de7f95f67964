//! Pricing and negotiation: turns a brand's pricing policy, the lines an agent asks for and the
//! few facts a rule may read into explained unit prices, a delivery, totals and — privately —
//! the bounds of the quote's negotiation; then answers counter-offers within those bounds.
//!
//! Pure: takes values, returns values. No I/O, no clock (the instant is an input), no
//! randomness: the same inputs always give the same result.
//!
//! # What a price may depend on
//!
//! Only the quantity, the stock and recent demand of the SKU, the date, the destination and,
//! with the person's consent, their loyalty tier — plus the product's own facts (list price,
//! private cost, categories). [`price_quote`] takes exactly [`LineInput`]s and a
//! [`PricingContext`], and [`ConsentedAttributes`] can only be built from a consent: there is
//! no way to hand the engine anything else.
//!
//! # The rounding rule
//!
//! Every percentage is a percentage **of the list price of one unit**, applied to it in minor
//! units and **rounded half away from zero** to a whole minor unit ([`Percent::of`]).
//! Percentages add up; they do not compound. `line total = unit price × quantity`,
//! `subtotal = Σ line totals`, `total = subtotal + delivery`. Money is never a float.
//!
//! Bounds are rounded inwards, so that the bound they express is never exceeded: the floor
//! (`cost × (100 % + min margin)`) is rounded up, the ceiling (`list × (100 % + max markup)`)
//! down, the daily-change band inwards, and a walk-away price up (the maximum negotiation
//! discount is never exceeded).
//!
//! # The rules, in order
//!
//! Per line, each adjustment recorded with its rule id, its kind, its signed per-unit amount and
//! a reason a person understands (a zero adjustment is not recorded); the adjustments always
//! sum to `unit price − list price`:
//!
//! 1. **Stock and demand**: with `stock ≤ scarce_stock_at_most` and `demand ≥
//!    high_demand_at_least`, `+max_increase × (scarce − stock + 1) / (scarce + 1)` (whole basis
//!    points, rounded down: the fewer left, the higher, up to the maximum when none is left);
//!    with `stock ≥ overstock_at_least` and lower demand, `−max_decrease`. Only for stocked SKUs.
//! 2. **Promotion**: the largest running one (`starts_at ≤ now < ends_at`) naming the SKU or one
//!    of its categories (or naming nothing: every SKU). Promotions do not stack.
//! 3. **Daily change** (published guardrail): the base price (list + 1 + 2) is held within
//!    `[max × (100 % − d), min × (100 % + d)]` of the lowest and highest base prices quoted for
//!    the SKU in the last 24 hours (the midpoint of those when the band is empty). `d = 0` turns
//!    it off. The held base is [`PricedLine::base_unit_price`]: record it.
//! 4. **Volume**: the tier with the largest `min_quantity ≤ quantity`.
//! 5. **Bundle**: the largest bundle containing the SKU whose every SKU is on the quote.
//! 6. **Loyalty**: the consented tier's discount, if the policy has that tier. Without consent
//!    nothing in the result differs from a quote without a tier.
//! 7. **Price bounds**: held within `[floor, ceiling]`: the floor is `cost × (100 % + min
//!    margin)` (private; **with an unknown cost it is the list price: no discount without a
//!    known cost**; never below 0), the ceiling `list × (100 % + max markup)` (published). A SKU
//!    whose floor is above its ceiling is [`PricingError::NotPriceable`]. A reason never shows
//!    a cost or a floor.
//!
//! The delivery is that of the zone naming the destination country (else the `"*"` zone): the
//! service asked for, else the cheapest that arrives by the date asked for (standard on a tie);
//! standard is free from the zone's threshold.
//!
//! # Negotiation
//!
//! Each line has an opening unit price (round 0) and a private walk-away price: the larger of
//! its floor and the opening price less its negotiation rule's maximum discount. The brand
//! concedes a shrinking share of each line's room each round (see [`answer_counter`] and
//! [`scheduled_unit`]): never below a walk-away price, never raising a price, never more in a
//! round than in the round before, and a final offer at the last round.
//!
//! The demo brand's policy, `graph-data/demo/pricing-policy.toml`, uses every rule.
//!
//! # Example
//!
//! ```
//! use b2a_model::{CountryCode, Currency, Money, Quantity, QuoteStatus, Sku, Answer};
//! use b2a_pricing::{
//!     answer_counter, price_quote, ConsentedAttributes, Counter, CurrentOffer, Destination,
//!     LineInput, PricingContext, PricingPolicy,
//! };
//! use time::macros::datetime;
//!
//! let policy = PricingPolicy::from_toml(r#"
//!     currency = "EUR"
//!     [guardrails]
//!     min_margin_percent = 15
//!     max_markup_percent = 10
//!     max_daily_change_percent = 15
//!     [[volume_tiers]]
//!     id = "volume-3"
//!     min_quantity = 3
//!     discount_percent = 3
//!     [[shipping.zones]]
//!     id = "fr"
//!     countries = ["FR"]
//!     standard = { price = 490, days = 3 }
//!     free_standard_above = 10000
//!     [negotiation.default]
//!     max_discount_percent = 8
//!     max_rounds = 3
//! "#)?;
//! let line = LineInput {
//!     sku: Sku::parse("VC-ALPJKT-BLK-M")?,
//!     name: "Alpine jacket".into(),
//!     categories: vec!["coats-jackets".into()],
//!     quantity: Quantity::new(3)?,
//!     list_price: Money::new(24_900, Currency::EUR),
//!     cost: Some(Money::new(9_130, Currency::EUR)),
//!     stock: Some(80),
//!     demand: 4,
//!     recent_unit_prices: None,
//! };
//! let ctx = PricingContext {
//!     now: datetime!(2026-12-01 10:00 UTC),
//!     destination: Destination {
//!         country: CountryCode::parse("FR")?,
//!         speed: None,
//!         deliver_by: None,
//!     },
//!     attributes: ConsentedAttributes::none(),
//! };
//! let quote = price_quote(&policy, &[line], &ctx)?;
//! let jacket = &quote.lines[0].line;
//! assert_eq!(jacket.unit_price.amount(), 24_153); // 249.00 − 3 % (7.47)
//! assert_eq!(jacket.adjustments[0].reason, "3 or more units: \u{2212}3 %");
//! assert_eq!(quote.subtotal.amount(), 72_459);
//! assert_eq!(quote.delivery.price.amount(), 0); // free from 100.00 EUR
//! assert_eq!(quote.total.amount(), 72_459);
//!
//! // The agent hopes for 600.00 EUR: the brand comes part of the way.
//! let lines: Vec<_> = quote.lines.iter().map(|l| l.line.clone()).collect();
//! let current = CurrentOffer {
//!     lines: &lines,
//!     delivery_price: quote.delivery.price,
//!     total: quote.total,
//!     round: 0,
//!     status: QuoteStatus::Open,
//! };
//! let decision = answer_counter(&quote.bounds, &current, &Counter::Total(Money::new(60_000, Currency::EUR)))?;
//! assert_eq!(decision.answer, Answer::FinalOffer); // below what the brand can accept
//! let revision = decision.revision.expect("a final offer has new prices");
//! assert!(revision.total.amount() < quote.total.amount());
//! # Ok::<_, Box<dyn std::error::Error>>(())
//! ```

mod delivery;
mod engine;
mod negotiate;
mod percent;
mod policy;
mod publish;

use b2a_model::{CountryCode, ModelError, Sku, Speed};

pub use engine::{
    ConsentedAttributes, Destination, LOYALTY_ATTRIBUTE, LineInput, PricedLine, PricedQuote,
    PricingContext, RULE_DAILY_CHANGE, RULE_MAX_MARKUP, RULE_MIN_PRICE, price_quote,
};
pub use negotiate::{
    Counter, CurrentOffer, Decision, LineBounds, NegotiationBounds, RULE_NEGOTIATION, Revision,
    answer_counter, scheduled_unit,
};
pub use percent::Percent;
pub use policy::{
    Bundle, EVERY_OTHER_COUNTRY, Guardrails, Loyalty, LoyaltyTier, Negotiation, NegotiationRule,
    PolicyError, PricingPolicy, Promotion, Shipping, ShippingOption, ShippingZone, StockDemand,
    VolumeTier,
};
pub use publish::{
    PublicBundle, PublicGuardrails, PublicLoyalty, PublicLoyaltyTier, PublicNegotiation,
    PublicPolicy, PublicPromotion, PublicShippingOption, PublicStockDemand, PublicVolumeTier,
    PublicZone,
};

/// Why a quote could not be priced or a counter-offer answered.
///
/// No message names a cost, a floor or a walk-away price.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PricingError {
    /// There was nothing to price.
    #[error("a quote needs at least one line")]
    NoLines,
    /// Two amounts are in different currencies.
    #[error("amounts are in different currencies ({0} and {1})")]
    MixedCurrencies(&'static str, &'static str),
    /// An amount is not in the policy's currency.
    #[error("the pricing policy is in {policy}; {found} cannot be priced with it")]
    CurrencyNotInPolicy {
        /// The policy's currency.
        policy: &'static str,
        /// The currency found.
        found: &'static str,
    },
    /// A SKU is on two lines.
    #[error("{sku} is on more than one line")]
    DuplicateLine {
        /// The SKU.
        sku: Sku,
    },
    /// The brand's bounds leave no price for the SKU (its minimum is above its ceiling).
    #[error("{sku} cannot be priced within the brand's price bounds")]
    NotPriceable {
        /// The SKU.
        sku: Sku,
    },
    /// No zone serves the country.
    #[error("the brand does not deliver to {}", country.as_str())]
    DestinationNotServed {
        /// The destination.
        country: CountryCode,
    },
    /// The zone has no such service.
    #[error("{speed:?} delivery is not offered in zone {zone}")]
    SpeedNotOffered {
        /// The zone.
        zone: String,
        /// The service asked for.
        speed: Speed,
    },
    /// No service (or not the one asked for) arrives by the date.
    #[error("no delivery arrives by {deliver_by}; the fastest takes {fastest_days} days")]
    DeliveryUnavailable {
        /// The date asked for.
        deliver_by: time::Date,
        /// Days the fastest service of the zone takes.
        fastest_days: u32,
    },
    /// Line `index` of a counter-offer names a SKU that is not on the quote.
    #[error("line {index}: {sku} is not on this quote")]
    CounterLineUnknown {
        /// The counter-offer's line.
        index: usize,
        /// The SKU.
        sku: Sku,
    },
    /// Line `index` of a counter-offer names a SKU an earlier line named.
    #[error("line {index}: {sku} is named twice in the counter-offer")]
    CounterLineDuplicated {
        /// The counter-offer's line.
        index: usize,
        /// The SKU.
        sku: Sku,
    },
    /// A counter-offer's target unit prices, times the quoted quantities, add up beyond any
    /// amount of minor units.
    #[error("the counter-offer's target prices times the quoted quantities are beyond any amount")]
    CounterOutOfRange,
    /// The quote version was accepted: it is no longer negotiated.
    #[error("this quote was accepted; it is no longer negotiated")]
    QuoteAlreadyAccepted,
    /// The negotiation bounds were not made for these lines (a storage or wiring error).
    #[error("the negotiation bounds do not match the quote's lines")]
    BoundsMismatch,
    /// An amount left the range of minor units.
    #[error("amount overflow")]
    Overflow,
}

impl From<ModelError> for PricingError {
    fn from(e: ModelError) -> Self {
        match e {
            ModelError::CurrencyMismatch { left, right } => Self::MixedCurrencies(left, right),
            // Pricing's model errors come from arithmetic, which never reports an invalid value.
            ModelError::Overflow | ModelError::Invalid { .. } => Self::Overflow,
        }
    }
}
