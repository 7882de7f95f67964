//! Negotiation: deterministic, bounded, concessions that shrink each round, never below the
//! walk-away price of any line.

use b2a_model::{
    Adjustment, AdjustmentKind, Answer, Currency, ModelError, Money, QuoteLine, QuoteStatus, Sku,
};
use serde::{Deserialize, Serialize};

use crate::engine::{LineInput, PricedLine};
use crate::percent::Rounding;
use crate::policy::PricingPolicy;
use crate::{Percent, PricingError};

/// The rule id of negotiation adjustments.
pub const RULE_NEGOTIATION: &str = "negotiation";

/// How far the brand negotiates one quote. Private: stored with the quote, never served.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NegotiationBounds {
    /// Counter-offers answered with a new version, at most: the fewest of the lines' rules.
    pub max_rounds: u32,
    /// Share of the remaining room each round keeps: the largest (slowest) of the lines' rules.
    pub concession_ratio: Percent,
    /// One per quote line, in order.
    pub lines: Vec<LineBounds>,
}

/// How far the brand negotiates one line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineBounds {
    /// The line's SKU.
    pub sku: Sku,
    /// Its quantity.
    pub quantity: u32,
    /// The round-0 unit price.
    pub open_unit: Money,
    /// The lowest unit price the brand accepts: the larger of its floor and the opening price
    /// less the rule's maximum discount (rounded so the discount is never exceeded).
    pub walk_away_unit: Money,
}

/// The bounds of a freshly priced quote. See [`NegotiationBounds`].
pub(crate) fn bounds_for(
    policy: &PricingPolicy,
    inputs: &[LineInput],
    priced: &[PricedLine],
    floors: &[i64],
) -> Result<NegotiationBounds, PricingError> {
    let mut max_rounds = u32::MAX;
    let mut ratio = Percent::ZERO;
    let mut lines = Vec::with_capacity(priced.len());
    for ((input, line), floor) in inputs.iter().zip(priced).zip(floors) {
        let rule = policy.negotiation.rule_for(&input.categories);
        max_rounds = max_rounds.min(rule.max_rounds);
        ratio = ratio.max(rule.concession_ratio_percent);
        let open = line.line.unit_price;
        let discounted = rule
            .max_discount_percent
            .below(open.amount(), Rounding::Up)
            .ok_or(PricingError::Overflow)?;
        let walk_away = discounted.max(*floor).min(open.amount());
        lines.push(LineBounds {
            sku: line.line.sku.clone(),
            quantity: line.line.quantity.get(),
            open_unit: open,
            walk_away_unit: Money::new(walk_away, open.currency()),
        });
    }
    if lines.is_empty() {
        max_rounds = 0;
    }
    Ok(NegotiationBounds {
        max_rounds,
        concession_ratio: ratio,
        lines,
    })
}

/// A counter-offer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Counter {
    /// The total the agent hopes for, delivery included.
    Total(Money),
    /// Unit prices the agent hopes for; lines not named keep their current unit price. Summed
    /// with the quantities and the delivery into a target total.
    LinePrices(Vec<(Sku, Money)>),
}

/// The version of the quote a counter-offer answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CurrentOffer<'a> {
    /// Its lines.
    pub lines: &'a [QuoteLine],
    /// Its delivery's price: not negotiable.
    pub delivery_price: Money,
    /// Its total.
    pub total: Money,
    /// Its round (0 for the first offer).
    pub round: u32,
    /// Where it stands.
    pub status: QuoteStatus,
}

/// The brand's answer to a counter-offer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// The answer.
    pub answer: Answer,
    /// Why, for a person.
    pub reason: String,
    /// The new version's prices, when the answer makes one.
    pub revision: Option<Revision>,
}

/// The prices of a new version of the quote (round = the current round + 1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revision {
    /// The lines, each with one more `negotiation` adjustment where its price moved.
    pub lines: Vec<QuoteLine>,
    /// Σ line totals.
    pub subtotal: Money,
    /// `subtotal` + the unchanged delivery price.
    pub total: Money,
    /// [`QuoteStatus::Open`] after a counter-offer, [`QuoteStatus::Final`] otherwise.
    pub status: QuoteStatus,
}

/// One line of the current version with its bounds, in minor units.
struct Line<'a> {
    quote: &'a QuoteLine,
    quantity: i64,
    unit: i64,
    open: i64,
    walk_away: i64,
}

/// Answers a counter-offer. Pure and deterministic: the same bounds, current version and
/// counter always give the same decision (no clock, no randomness).
///
/// Amounts on goods; delivery is not negotiable. With the target total `T` (a
/// [`Counter::LinePrices`] is first summed with the quantities and the delivery),
/// `T_goods = T − delivery`, `limit = Σ walk_away_unit × quantity` and `r = current.round + 1`:
///
/// - a. an accepted version → [`PricingError::QuoteAlreadyAccepted`];
/// - b. `T ≥ current.total` → [`Answer::Accepted`], no revision (accept the version to bind it);
/// - c. a [`QuoteStatus::Final`] version, or `current.round ≥ max_rounds` (so always when
///   `max_rounds` is 0) → [`Answer::Rejected`], no revision: the current version stands;
/// - d. `T_goods < limit` → [`Answer::FinalOffer`] at `offer(r)`, status Final;
/// - e. `T_goods ≥ offer(r)` → [`Answer::Accepted`] with a revision priced at the target,
///   status **Final** (the brand agreed to the agent's own figure; the agent accepts it to bind
///   it, it cannot counter it again);
/// - f. `r = max_rounds` → [`Answer::FinalOffer`] at `offer(r)`, status Final;
/// - g. otherwise → [`Answer::Countered`] at `offer(r)`, status Open.
///
/// `offer(r)` prices each line at [`scheduled_unit`]`(open, walk_away, ratio, r)` (never
/// above its current price): each line's room above its walk-away price shrinks to
/// `⌈room × ratio⌉` per round, so each round concedes less than the one before, in exact
/// integers, and no line ever goes below its walk-away price (hence its floor).
///
/// Never a price rise: when `offer(r)` would not lower the goods total, the answer is
/// [`Answer::Rejected`] without revision (the current version is already the lowest). A revision
/// at a target shares the concession between lines in proportion to each line's room above its
/// walk-away price, in whole minor units per unit (largest remainder, ties by line order); its
/// goods total is the nearest the quantities allow **at or above** the target: above it by less
/// than one minor unit per unit quoted, never below it. When that nearest total is the current
/// one, the answer is [`Answer::Accepted`] without revision.
///
/// Each revised line keeps its adjustments and gets one more, `negotiation`, of minus the
/// per-unit concession of this round, so the adjustments still sum to `unit − list`.
///
/// Errors: a counter naming a SKU not on the quote ([`PricingError::CounterLineUnknown`]) or
/// twice ([`PricingError::CounterLineDuplicated`]), an amount in another currency
/// ([`PricingError::MixedCurrencies`]), target prices whose total is beyond any amount
/// ([`PricingError::CounterOutOfRange`]), bounds not made for these lines
/// ([`PricingError::BoundsMismatch`]). A target at or below zero is allowed: it is far below.
pub fn answer_counter(
    bounds: &NegotiationBounds,
    current: &CurrentOffer<'_>,
    counter: &Counter,
) -> Result<Decision, PricingError> {
    if current.status == QuoteStatus::Accepted {
        return Err(PricingError::QuoteAlreadyAccepted);
    }
    let currency = current.total.currency();
    let lines = lines_within_bounds(bounds, current, currency)?;
    let target = i128::from(counter.target_total(current)?.amount());
    let show = |amount: i128| money_text(amount, currency);
    let delivery = i128::from(current.delivery_price.amount());
    let target_goods = target - delivery;

    // (b) Nothing to concede.
    if target >= i128::from(current.total.amount()) {
        return Ok(no_revision(
            Answer::Accepted,
            "Your target is at or above the current offer; accept this version to bind it."
                .to_owned(),
        ));
    }
    // (c) The negotiation is closed.
    if current.status == QuoteStatus::Final {
        return Ok(no_revision(
            Answer::Rejected,
            "This version is the brand's final offer; it stands until it expires.".to_owned(),
        ));
    }
    if current.round >= bounds.max_rounds {
        let reason = if bounds.max_rounds == 0 {
            "The prices of this quote are not negotiable; this version stands until it expires."
                .to_owned()
        } else {
            format!(
                "No more counter-offers are answered on this quote (at most {}); this version \
                 stands until it expires.",
                rounds(bounds.max_rounds)
            )
        };
        return Ok(no_revision(Answer::Rejected, reason));
    }

    let round = current.round + 1; // ≤ max_rounds: no overflow
    let current_goods: i128 = lines
        .iter()
        .map(|l| i128::from(l.unit) * i128::from(l.quantity))
        .sum();
    let limit: i128 = lines
        .iter()
        .map(|l| i128::from(l.walk_away) * i128::from(l.quantity))
        .sum();
    let offer_units: Vec<i64> = lines
        .iter()
        .map(|l| {
            l.unit.min(scheduled_unit(
                l.open,
                l.walk_away,
                bounds.concession_ratio,
                round,
            ))
        })
        .collect();
    let offer: i128 = lines
        .iter()
        .zip(&offer_units)
        .map(|(l, u)| i128::from(*u) * i128::from(l.quantity))
        .sum();
    let cannot_go_lower = || {
        no_revision(
            Answer::Rejected,
            "The current offer is already the lowest the brand can make; this version stands \
             until it expires."
                .to_owned(),
        )
    };

    // (e) The target is within this round's offer: priced at the target.
    if target_goods >= offer && target_goods >= limit {
        let units = units_at(&lines, target_goods, current_goods)?;
        let revision = revise(&lines, &units, current, round, QuoteStatus::Final)?;
        if i128::from(revision.subtotal.amount()) >= current_goods {
            return Ok(no_revision(
                Answer::Accepted,
                "The nearest price the quantities allow at or above your target is the current \
                 offer; accept this version to bind it."
                    .to_owned(),
            ));
        }
        let reason = format!(
            "Your target of {} is accepted: {}. Accept this version to bind it.",
            show(target),
            show(i128::from(revision.total.amount()))
        );
        return Ok(with_revision(Answer::Accepted, reason, revision));
    }
    if offer >= current_goods {
        return Ok(cannot_go_lower());
    }
    // (d) below what the brand can accept, or (f) the last round: a final offer; else (g).
    let (answer, status) = if target_goods < limit || round >= bounds.max_rounds {
        (Answer::FinalOffer, QuoteStatus::Final)
    } else {
        (Answer::Countered, QuoteStatus::Open)
    };
    let revision = revise(&lines, &offer_units, current, round, status)?;
    let new_total = show(i128::from(revision.total.amount()));
    let reason = if target_goods < limit {
        format!(
            "Your target of {} is below what the brand can accept; its final offer is {new_total}.",
            show(target)
        )
    } else if answer == Answer::FinalOffer {
        format!(
            "Round {round} of {}: the brand's final offer is {new_total}.",
            bounds.max_rounds
        )
    } else {
        format!(
            "Round {round} of {}: the brand comes down from {} to {new_total} towards your \
             target of {}; each later round concedes less.",
            bounds.max_rounds,
            show(i128::from(current.total.amount())),
            show(target)
        )
    };
    Ok(with_revision(answer, reason, revision))
}

fn rounds(n: u32) -> String {
    format!("{n} round{}", if n == 1 { "" } else { "s" })
}

fn money_text(amount: i128, currency: Currency) -> String {
    match i64::try_from(amount) {
        Ok(a) => Money::new(a, currency).to_string(),
        Err(_) => format!("{amount} minor units of {currency}"),
    }
}

fn no_revision(answer: Answer, reason: String) -> Decision {
    Decision {
        answer,
        reason,
        revision: None,
    }
}

fn with_revision(answer: Answer, reason: String, revision: Revision) -> Decision {
    Decision {
        answer,
        reason,
        revision: Some(revision),
    }
}

/// The current lines paired with their bounds, checked to be the same lines in one currency.
fn lines_within_bounds<'a>(
    bounds: &NegotiationBounds,
    current: &CurrentOffer<'a>,
    currency: Currency,
) -> Result<Vec<Line<'a>>, PricingError> {
    if bounds.lines.len() != current.lines.len() {
        return Err(PricingError::BoundsMismatch);
    }
    let amounts = current
        .lines
        .iter()
        .flat_map(|l| [l.unit_price, l.line_total])
        .chain(
            bounds
                .lines
                .iter()
                .flat_map(|b| [b.open_unit, b.walk_away_unit]),
        )
        .chain([current.delivery_price]);
    for m in amounts {
        if m.currency() != currency {
            return Err(PricingError::MixedCurrencies(
                currency.code(),
                m.currency().code(),
            ));
        }
    }
    current
        .lines
        .iter()
        .zip(&bounds.lines)
        .map(|(quote, b)| {
            if quote.sku != b.sku || quote.quantity.get() != b.quantity {
                return Err(PricingError::BoundsMismatch);
            }
            Ok(Line {
                quote,
                quantity: i64::from(b.quantity),
                unit: quote.unit_price.amount(),
                open: b.open_unit.amount(),
                walk_away: b.walk_away_unit.amount().min(b.open_unit.amount()),
            })
        })
        .collect()
}

impl Counter {
    /// The total this counter-offer aims at on `current`, delivery included: its target total,
    /// or its line prices times the quantities (lines not named at their current price) plus
    /// the delivery. Refuses amounts in another currency than the quote's, SKUs not on the
    /// quote or named twice, and line prices whose total is beyond any amount.
    pub fn target_total(&self, current: &CurrentOffer<'_>) -> Result<Money, PricingError> {
        let currency = current.total.currency();
        let same_currency = |m: &Money| {
            if m.currency() == currency {
                Ok(())
            } else {
                Err(PricingError::MixedCurrencies(
                    currency.code(),
                    m.currency().code(),
                ))
            }
        };
        match self {
            Counter::Total(total) => {
                same_currency(total)?;
                Ok(*total)
            }
            Counter::LinePrices(prices) => {
                for (i, (sku, price)) in prices.iter().enumerate() {
                    same_currency(price)?;
                    if !current.lines.iter().any(|l| &l.sku == sku) {
                        return Err(PricingError::CounterLineUnknown {
                            index: i,
                            sku: sku.clone(),
                        });
                    }
                    if prices[..i].iter().any(|(s, _)| s == sku) {
                        return Err(PricingError::CounterLineDuplicated {
                            index: i,
                            sku: sku.clone(),
                        });
                    }
                }
                let out_of_range = |e: ModelError| match e {
                    ModelError::Overflow => PricingError::CounterOutOfRange,
                    e @ (ModelError::CurrencyMismatch { .. } | ModelError::Invalid { .. }) => {
                        e.into()
                    }
                };
                let mut total = current.delivery_price;
                for line in current.lines {
                    let unit = prices
                        .iter()
                        .find(|(s, _)| s == &line.sku)
                        .map_or(line.unit_price, |(_, p)| *p);
                    total = unit
                        .checked_mul(line.quantity.get())
                        .and_then(|goods| total.checked_add(goods))
                        .map_err(out_of_range)?;
                }
                Ok(total)
            }
        }
    }
}

/// The unit price of a line after `round` rounds of the concession schedule.
///
/// The room `open − walk_away` shrinks each round to `⌈room × ratio⌉`: exact integers, rounded
/// up so the price is never below the schedule, and each round concedes
/// `⌊room × (100 % − ratio)⌋`, never more than the round before.
pub fn scheduled_unit(open: i64, walk_away: i64, ratio: Percent, round: u32) -> i64 {
    let walk_away = walk_away.min(open);
    let mut room = i128::from(open) - i128::from(walk_away);
    for _ in 0..round {
        let kept = (room * i128::from(ratio.bp()) + 9_999).div_euclid(10_000);
        let kept = kept.clamp(0, room);
        if kept == room {
            break; // nothing more to concede, in this round or any later one
        }
        room = kept;
    }
    // walk_away ≤ walk_away + room ≤ open.
    i64::try_from(i128::from(walk_away) + room).unwrap_or(open)
}

/// Unit prices whose goods total is the nearest the quantities allow at or above `goods`
/// (`limit ≤ goods < current_goods`): the concession is shared in proportion to each line's
/// room above its walk-away price, in whole minor units per unit, the remainder by largest
/// remainder (ties by line order).
fn units_at(
    lines: &[Line<'_>],
    goods: i128,
    current_goods: i128,
) -> Result<Vec<i64>, PricingError> {
    let room_units: Vec<i128> = lines
        .iter()
        .map(|l| (i128::from(l.unit) - i128::from(l.walk_away)).max(0))
        .collect();
    let rooms: Vec<i128> = lines
        .iter()
        .zip(&room_units)
        .map(|(l, r)| r * i128::from(l.quantity))
        .collect();
    let total_room: i128 = rooms.iter().sum();
    let concession = (current_goods - goods).clamp(0, total_room);
    if total_room == 0 {
        return Ok(lines.iter().map(|l| l.unit).collect());
    }
    let mut per_unit: Vec<i128> = Vec::with_capacity(lines.len());
    let mut remainders: Vec<(usize, i128)> = Vec::with_capacity(lines.len());
    let mut left = concession;
    for (i, (l, room)) in lines.iter().zip(&rooms).enumerate() {
        let qty = i128::from(l.quantity);
        // The exact share is `share / total_room`; products of amounts this large only
        // overflow far beyond any real price.
        let share = concession
            .checked_mul(*room)
            .ok_or(PricingError::Overflow)?;
        let units = share / (total_room * qty);
        per_unit.push(units);
        left -= units * qty;
        let taken = (units * qty)
            .checked_mul(total_room)
            .ok_or(PricingError::Overflow)?;
        remainders.push((i, share - taken));
    }
    remainders.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    for (i, _) in remainders {
        let qty = i128::from(lines[i].quantity);
        let more = (left / qty).min(room_units[i] - per_unit[i]);
        per_unit[i] += more;
        left -= more * qty;
    }
    Ok(lines
        .iter()
        .zip(per_unit)
        .map(|(l, d)| {
            // 0 ≤ d ≤ unit − walk_away, so the result is between walk_away and unit.
            i64::try_from(i128::from(l.unit) - d).unwrap_or(l.unit)
        })
        .collect())
}

/// The new version with these unit prices (each at most the current one).
fn revise(
    lines: &[Line<'_>],
    units: &[i64],
    current: &CurrentOffer<'_>,
    round: u32,
    status: QuoteStatus,
) -> Result<Revision, PricingError> {
    let currency = current.total.currency();
    let mut subtotal = Money::zero(currency);
    let mut revised = Vec::with_capacity(lines.len());
    for (l, unit) in lines.iter().zip(units) {
        let mut line = l.quote.clone();
        let concession = l.unit.checked_sub(*unit).ok_or(PricingError::Overflow)?;
        if concession > 0 {
            let per_unit = Money::new(concession, currency);
            line.unit_price = Money::new(*unit, currency);
            line.line_total = line.unit_price.checked_mul(line.quantity.get())?;
            line.adjustments.push(Adjustment {
                rule: RULE_NEGOTIATION.to_owned(),
                kind: AdjustmentKind::Negotiation,
                amount: Money::new(-concession, currency),
                reason: format!("Round {round} concession: \u{2212}{per_unit} per unit"),
            });
        }
        subtotal = subtotal.checked_add(line.line_total)?;
        revised.push(line);
    }
    let total = subtotal.checked_add(current.delivery_price)?;
    Ok(Revision {
        lines: revised,
        subtotal,
        total,
        status,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schedule_halves_the_room_each_round() {
        let half = Percent::from_percent(50);
        let units: Vec<i64> = (0..5)
            .map(|r| scheduled_unit(10_000, 9_200, half, r))
            .collect();
        assert_eq!(units, [10_000, 9_600, 9_400, 9_300, 9_250]);
        // Rounded up: 3 → 2 → 1 → 1.
        let units: Vec<i64> = (0..4).map(|r| scheduled_unit(103, 100, half, r)).collect();
        assert_eq!(units, [103, 102, 101, 101]);
        // A ratio at or above 100 % concedes nothing; 0 % concedes everything at once.
        assert_eq!(scheduled_unit(103, 100, Percent::HUNDRED, 3), 103);
        assert_eq!(scheduled_unit(103, 100, Percent::ZERO, 1), 100);
        // A walk-away above the opening price is the opening price.
        assert_eq!(scheduled_unit(100, 120, half, 2), 100);
        // Long schedules stop as soon as nothing more can be conceded.
        assert_eq!(
            scheduled_unit(i64::MAX, 0, Percent::from_bp(9_999), u32::MAX),
            9_999
        );
    }

    #[test]
    fn concessions_shrink_even_after_rounding() {
        // A single rounding of gap × ratio^r would concede 0 then 1 here (⌈2⌉, ⌈1.2⌉, ⌈0.72⌉).
        let ratio = Percent::from_percent(60);
        let units: Vec<i64> = (0..5).map(|r| scheduled_unit(2, 0, ratio, r)).collect();
        let concessions: Vec<i64> = units.windows(2).map(|w| w[0] - w[1]).collect();
        assert!(
            concessions.windows(2).all(|w| w[1] <= w[0]),
            "{concessions:?}"
        );
    }
}
