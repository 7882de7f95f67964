//! Offers: a new quote, the brand's answer to a counter-offer, an acceptance — and what each
//! does to the quote's current version, decided from that version alone.

use b2a_audit::entry::Record;
use b2a_model::{AgentId, Answer, Money, OrderId, Quote, QuoteId, QuoteStatus, Sku};
use serde_json::Value;
use time::OffsetDateTime;

use crate::LedgerError;
use crate::records::{quote_accepted, quote_countered};

/// The hour (since the Unix epoch) an instant falls in: demand and recent prices are kept in
/// hourly buckets, and a window starting at `since` counts the whole hour `since` falls in.
pub fn hour_of(at: OffsetDateTime) -> i64 {
    at.unix_timestamp().div_euclid(3600)
}

/// A new quote (round 0) and what the ledger keeps beside it.
#[derive(Debug, Clone, Copy)]
pub struct NewQuote<'a> {
    /// The signed quote.
    pub quote: &'a Quote,
    /// The brand-private negotiation bounds of the quote: stored, never served.
    pub bounds: &'a Value,
    /// The one-unit base price of each line's SKU, recorded for the daily-change guardrail, with
    /// the quantity asked for, recorded as demand.
    pub base_prices: &'a [(Sku, u32, Money)],
    /// The token it was asked with (`jti`), for the audit entry.
    pub credential: &'a str,
}

/// The brand's answer to a counter-offer, to record.
#[derive(Debug, Clone, PartialEq)]
pub struct Revision {
    /// The quote.
    pub quote_id: QuoteId,
    /// The agent countering; must be the agent the quote was made to.
    pub agent: AgentId,
    /// The token it acts with (`jti`).
    pub credential: String,
    /// The round the answer was computed from: if the quote has moved on since, nothing is
    /// written and [`LedgerError::QuoteChanged`] is returned.
    pub from_round: u32,
    /// The counter-offer's target total.
    pub target: Money,
    /// The answer.
    pub answer: Answer,
    /// Why.
    pub reason: String,
    /// The new version (signed), when the answer makes one.
    pub new_version: Option<Quote>,
    /// Now.
    pub now: OffsetDateTime,
}

/// An agent's acceptance of the current version of its quote.
#[derive(Debug, Clone, PartialEq)]
pub struct Acceptance {
    /// The accepted version, status `accepted`, signed again.
    pub accepted: Quote,
    /// The token it acts with (`jti`).
    pub credential: String,
    /// Now.
    pub now: OffsetDateTime,
}

/// What a counter-offer or an acceptance writes, decided from the quote's current version.
#[derive(Debug, Clone)]
pub struct QuoteWrite {
    /// The version in force afterwards: the caller's answer.
    pub current: Quote,
    /// The version that replaces the stored one, if any.
    pub replacement: Option<Quote>,
    /// The replaced version, kept in the quote's history (its round changed).
    pub history: Option<Quote>,
    /// The audit record, when anything was decided.
    pub record: Option<Record>,
}

/// Whether `quote` (ordered as `order`, if it was) can still be countered or accepted at `now`.
pub fn still_open(
    quote: &Quote,
    order: Option<&OrderId>,
    now: OffsetDateTime,
) -> Result<(), LedgerError> {
    if let Some(order) = order {
        return Err(LedgerError::QuoteAlreadyOrdered {
            quote: quote.id.clone(),
            order: order.clone(),
        });
    }
    if quote.expires_at <= now {
        return Err(LedgerError::QuoteExpired(quote.id.clone()));
    }
    if quote.status == QuoteStatus::Accepted {
        return Err(LedgerError::QuoteAccepted(quote.id.clone()));
    }
    Ok(())
}

/// The version `replacement` takes the place of `current`: the current one goes to the history
/// when the round changes.
fn replaced(current: Quote, replacement: Quote, record: Record) -> QuoteWrite {
    let history = (replacement.round != current.round).then_some(current);
    QuoteWrite {
        current: replacement.clone(),
        replacement: Some(replacement),
        history,
        record: Some(record),
    }
}

impl Revision {
    /// What this answer does to `current` (ordered as `order`, if it was): recorded — with its
    /// new version, if any — provided the quote is still at the round the answer was computed
    /// from, open or final, unexpired and unordered.
    pub fn apply(
        &self,
        current: Quote,
        order: Option<&OrderId>,
    ) -> Result<QuoteWrite, LedgerError> {
        still_open(&current, order, self.now)?;
        if current.round != self.from_round {
            return Err(LedgerError::QuoteChanged {
                quote: current.id,
                round: current.round,
            });
        }
        let record = quote_countered(&current, self);
        Ok(match &self.new_version {
            Some(new) => replaced(current, new.clone(), record),
            None => QuoteWrite {
                current,
                replacement: None,
                history: None,
                record: Some(record),
            },
        })
    }
}

impl Acceptance {
    /// What this acceptance does to `current`: binds it (the same round, signed again) provided
    /// it is unexpired and unordered; accepting an accepted quote again changes nothing.
    pub fn apply(
        &self,
        current: Quote,
        order: Option<&OrderId>,
    ) -> Result<QuoteWrite, LedgerError> {
        let new = &self.accepted;
        if current.status == QuoteStatus::Accepted && current.round == new.round {
            return Ok(QuoteWrite {
                current,
                replacement: None,
                history: None,
                record: None,
            });
        }
        still_open(&current, order, self.now)?;
        if current.round != new.round {
            return Err(LedgerError::QuoteChanged {
                quote: current.id,
                round: current.round,
            });
        }
        let record = quote_accepted(new, &self.credential, self.now);
        Ok(replaced(current, new.clone(), record))
    }
}

#[cfg(test)]
mod tests {
    use b2a_model::{Currency, OrderId};

    use super::*;
    use crate::fixtures::{NOW, agent, quote};

    fn open() -> Quote {
        Quote {
            status: QuoteStatus::Open,
            ..quote(0, &[(0, 2, 1_000)], false)
        }
    }

    fn revision(of: &Quote, from_round: u32, new_version: bool) -> Revision {
        Revision {
            quote_id: of.id.clone(),
            agent: agent(0),
            credential: "jti-0".into(),
            from_round,
            target: Money::new(1_800, Currency::EUR),
            answer: Answer::Countered,
            reason: "part of the way".into(),
            new_version: new_version.then(|| Quote {
                round: of.round + 1,
                total: Money::new(1_900, Currency::EUR),
                ..of.clone()
            }),
            now: NOW,
        }
    }

    #[test]
    fn a_counter_answer_replaces_the_round_it_was_computed_from() {
        let q = open();
        let w = revision(&q, 0, true)
            .apply(q.clone(), None)
            .expect("recorded");
        assert_eq!(w.current.round, 1);
        assert_eq!(w.replacement.as_ref().map(|r| r.round), Some(1));
        assert_eq!(w.history.as_ref().map(|h| h.round), Some(0), "round 0 kept");
        assert_eq!(
            w.record.as_ref().map(|r| r.action.as_str()),
            Some("quote.countered")
        );

        // An answer that makes no new version is recorded, and the quote stays as it is.
        let w = revision(&q, 0, false)
            .apply(q.clone(), None)
            .expect("recorded");
        assert_eq!(w.current, q);
        assert!(w.replacement.is_none() && w.history.is_none() && w.record.is_some());

        assert!(matches!(
            revision(&q, 1, true).apply(q.clone(), None),
            Err(LedgerError::QuoteChanged { round: 0, .. })
        ));
    }

    #[test]
    fn only_an_open_unexpired_unordered_quote_is_negotiated() {
        let q = open();
        let accepted = Quote {
            status: QuoteStatus::Accepted,
            ..q.clone()
        };
        assert!(matches!(
            revision(&q, 0, true).apply(accepted, None),
            Err(LedgerError::QuoteAccepted(_))
        ));
        let expired = Quote {
            expires_at: NOW,
            ..q.clone()
        };
        assert!(matches!(
            revision(&q, 0, true).apply(expired, None),
            Err(LedgerError::QuoteExpired(_))
        ));
        let order = OrderId::generate();
        assert!(matches!(
            revision(&q, 0, true).apply(q.clone(), Some(&order)),
            Err(LedgerError::QuoteAlreadyOrdered { order: o, .. }) if o == order
        ));
        let fin = Quote {
            status: QuoteStatus::Final,
            ..q.clone()
        };
        assert!(
            revision(&q, 0, false).apply(fin, None).is_ok(),
            "a final offer may still be answered"
        );
    }

    #[test]
    fn an_acceptance_binds_the_current_round_once() {
        let q = open();
        let acc = Acceptance {
            accepted: Quote {
                status: QuoteStatus::Accepted,
                ..q.clone()
            },
            credential: "jti-0".into(),
            now: NOW,
        };
        let w = acc.apply(q.clone(), None).expect("accepted");
        assert_eq!(w.current.status, QuoteStatus::Accepted);
        assert!(
            w.history.is_none(),
            "the same round: nothing goes to the history"
        );
        assert_eq!(
            w.record.as_ref().map(|r| r.action.as_str()),
            Some("quote.accepted")
        );
        // Again: unchanged, nothing recorded.
        let again = acc.apply(w.current.clone(), None).expect("harmless");
        assert!(again.replacement.is_none() && again.record.is_none());
        // A version another answer replaced meanwhile.
        let moved = Quote { round: 1, ..q };
        assert!(matches!(
            acc.apply(moved, None),
            Err(LedgerError::QuoteChanged { round: 1, .. })
        ));
    }
}
