//! Fixtures of the unit tests: agents, quotes and orders.

use b2a_model::{
    AgentId, CountryCode, Currency, Delivery, Money, NegotiationState, Quantity, Quote, QuoteId,
    QuoteLine, QuoteStatus, Sku, Speed,
};
use time::OffsetDateTime;
use time::macros::datetime;

pub(crate) const SKUS: [&str; 3] = ["SKU-A", "SKU-B", "SKU-C"];
pub(crate) const NOW: OffsetDateTime = datetime!(2026-11-21 08:05 UTC);

pub(crate) fn agent(n: usize) -> AgentId {
    AgentId::parse(format!("agent-{n}")).expect("agent id")
}

/// An accepted quote of `agent` for `lines` of (SKU index, quantity, unit price).
pub(crate) fn quote(agent_no: usize, lines: &[(usize, u32, i64)], expired: bool) -> Quote {
    let lines: Vec<QuoteLine> = lines
        .iter()
        .map(|&(s, n, price)| {
            let unit = Money::new(price, Currency::EUR);
            QuoteLine {
                sku: Sku::parse(SKUS[s]).expect("sku"),
                name: SKUS[s].into(),
                quantity: Quantity::new(i64::from(n)).expect("quantity"),
                list_price: unit,
                unit_price: unit,
                adjustments: Vec::new(),
                line_total: unit.checked_mul(n).expect("line total"),
            }
        })
        .collect();
    let total = lines
        .iter()
        .try_fold(Money::zero(Currency::EUR), |t, l| {
            t.checked_add(l.line_total)
        })
        .expect("total");
    Quote {
        id: QuoteId::generate(),
        round: 0,
        status: QuoteStatus::Accepted,
        agent: agent(agent_no),
        principal: None,
        lines,
        ship_to: CountryCode::parse("FR").expect("country"),
        delivery: Delivery {
            zone: "fr".into(),
            speed: Speed::Standard,
            days: 3,
            price: Money::zero(Currency::EUR),
            reason: "free".into(),
        },
        subtotal: total,
        total,
        vat_included: true,
        policy_version: 0,
        negotiation: NegotiationState {
            max_rounds: 0,
            target: None,
            answer: None,
            reason: None,
        },
        created_at: datetime!(2026-11-21 08:00 UTC),
        expires_at: if expired {
            datetime!(2026-11-21 08:01 UTC)
        } else {
            datetime!(2026-11-21 08:15 UTC)
        },
        signature: None,
    }
}
