//! Helpers shared by the integration tests.

use b2a_model::{Consent, CountryCode, Currency, Money, Quantity, QuoteLine, QuoteStatus, Sku};
use b2a_pricing::{
    ConsentedAttributes, CurrentOffer, Destination, LOYALTY_ATTRIBUTE, LineInput, PricedQuote,
    PricingContext, PricingPolicy,
};
use time::OffsetDateTime;
use time::macros::datetime;

pub(crate) const DEMO_POLICY: &str =
    include_str!("../../../../graph-data/demo/pricing-policy.toml");

pub(crate) fn demo() -> PricingPolicy {
    PricingPolicy::from_toml(DEMO_POLICY).expect("the demo policy is valid")
}

pub(crate) fn eur(amount: i64) -> Money {
    Money::new(amount, Currency::EUR)
}

pub(crate) fn sku(text: &str) -> Sku {
    Sku::parse(text).expect("valid sku")
}

/// A stocked line with normal stock and demand and a known cost.
pub(crate) fn line(
    code: &str,
    categories: &[&str],
    quantity: i64,
    list: i64,
    cost: i64,
) -> LineInput {
    LineInput {
        sku: sku(code),
        name: code.to_owned(),
        categories: categories.iter().map(|c| (*c).to_owned()).collect(),
        quantity: Quantity::new(quantity).expect("valid quantity"),
        list_price: eur(list),
        cost: Some(eur(cost)),
        stock: Some(40),
        demand: 2,
        recent_unit_prices: None,
    }
}

/// 1 December 2026, 10:00 UTC: the winter sale runs.
pub(crate) const NOW: OffsetDateTime = datetime!(2026-12-01 10:00 UTC);

pub(crate) fn to(country: &str) -> PricingContext {
    PricingContext {
        now: NOW,
        destination: Destination {
            country: CountryCode::parse(country).expect("valid country"),
            speed: None,
            deliver_by: None,
        },
        attributes: ConsentedAttributes::none(),
    }
}

pub(crate) fn consenting(tier: &str) -> ConsentedAttributes {
    let consent = Consent {
        attributes: [LOYALTY_ATTRIBUTE.to_owned()].into(),
        ..Consent::default()
    };
    ConsentedAttributes::from_consent(Some(&consent), Some(tier.to_owned()))
}

/// A version of a quote, as the ledger would hold it.
#[derive(Debug, Clone)]
pub(crate) struct Version {
    pub(crate) lines: Vec<QuoteLine>,
    pub(crate) delivery_price: Money,
    pub(crate) total: Money,
    pub(crate) round: u32,
    pub(crate) status: QuoteStatus,
}

impl Version {
    pub(crate) fn first(quote: &PricedQuote) -> Self {
        Version {
            lines: quote.lines.iter().map(|l| l.line.clone()).collect(),
            delivery_price: quote.delivery.price,
            total: quote.total,
            round: 0,
            status: QuoteStatus::Open,
        }
    }

    pub(crate) fn offer(&self) -> CurrentOffer<'_> {
        CurrentOffer {
            lines: &self.lines,
            delivery_price: self.delivery_price,
            total: self.total,
            round: self.round,
            status: self.status,
        }
    }

    pub(crate) fn next(&self, revision: &b2a_pricing::Revision) -> Self {
        Version {
            lines: revision.lines.clone(),
            delivery_price: self.delivery_price,
            total: revision.total,
            round: self.round + 1,
            status: revision.status,
        }
    }

    pub(crate) fn goods(&self) -> i64 {
        self.lines.iter().map(|l| l.line_total.amount()).sum()
    }
}

/// Checks what must hold of any line: adjustments sum to unit − list, total = unit × quantity.
pub(crate) fn assert_line_adds_up(line: &QuoteLine) {
    let sum: i64 = line.adjustments.iter().map(|a| a.amount.amount()).sum();
    assert_eq!(
        sum,
        line.unit_price.amount() - line.list_price.amount(),
        "adjustments of {} do not add up: {:?}",
        line.sku,
        line.adjustments
    );
    assert_eq!(
        line.line_total.amount(),
        line.unit_price.amount() * i64::from(line.quantity.get())
    );
}
