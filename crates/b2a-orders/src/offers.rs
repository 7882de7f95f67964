//! Offers: a new quote, the brand's answer to a counter-offer, an acceptance — and what each
//! does to the quote's current version, decided from that version alone.

use std::collections::HashMap;

use b2a_audit::entry::Record;
use b2a_model::{AgentId, Answer, Money, OrderId, Quote, QuoteId, QuoteStatus, Sku};
use serde_json::Value;
use time::OffsetDateTime;

use crate::LedgerError;
use crate::records::{quote_accepted, quote_countered, quote_created};

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

/// Whether `quote` (ordered as `order`, if it was) can still be countered or accepted at `now`
/// by a write computed from its `round`.
pub fn still_open(
    quote: &Quote,
    order: Option<&OrderId>,
    now: OffsetDateTime,
    round: u32,
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
    if quote.round != round {
        return Err(LedgerError::QuoteChanged {
            quote: quote.id.clone(),
            round: quote.round,
        });
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
        still_open(&current, order, self.now, self.from_round)?;
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
        still_open(&current, order, self.now, new.round)?;
        let record = quote_accepted(new, &self.credential, self.now);
        Ok(replaced(current, new.clone(), record))
    }
}

/// A new quote as a ledger's group commit takes it: [`NewQuote`], owned.
#[derive(Debug, Clone, PartialEq)]
pub struct CreateQuote {
    /// The signed quote.
    pub quote: Quote,
    /// Its brand-private negotiation bounds.
    pub bounds: Value,
    /// Each line's SKU, quantity and one-unit base price.
    pub base_prices: Vec<(Sku, u32, Money)>,
    /// The token it was asked with (`jti`).
    pub credential: String,
}

impl From<NewQuote<'_>> for CreateQuote {
    fn from(new: NewQuote<'_>) -> Self {
        Self {
            quote: new.quote.clone(),
            bounds: new.bounds.clone(),
            base_prices: new.base_prices.to_vec(),
            credential: new.credential.to_owned(),
        }
    }
}

/// A write on quotes: what a ledger commits together with the others waiting.
#[derive(Debug, Clone, PartialEq)]
pub enum QuoteCmd {
    /// A new quote.
    Create(Box<CreateQuote>),
    /// The answer to a counter-offer.
    Revise(Revision),
    /// An acceptance.
    Accept(Acceptance),
}

impl QuoteCmd {
    /// The stored quote it depends on (a new quote depends on none).
    pub fn reads(&self) -> Option<&QuoteId> {
        match self {
            QuoteCmd::Create(_) => None,
            QuoteCmd::Revise(r) => Some(&r.quote_id),
            QuoteCmd::Accept(a) => Some(&a.accepted.id),
        }
    }
}

/// What a batch of quote writes comes to: each one's answer (the quote as it then stands), and
/// what the store writes.
#[derive(Debug)]
pub struct QuoteBatch<'c> {
    /// One answer per command, in order.
    pub answers: Vec<Result<Quote, LedgerError>>,
    /// The new quotes.
    pub created: Vec<&'c CreateQuote>,
    /// The versions replaced, kept in their quotes' histories, in order.
    pub history: Vec<Quote>,
    /// The versions now in force of the quotes replaced (the last of each).
    pub replaced: Vec<Quote>,
    /// The audit records, in order.
    pub records: Vec<Record>,
}

/// The stored quote `id` and the order it became, if it was made to `agent`.
fn stored(
    current: &HashMap<String, (Quote, Option<OrderId>)>,
    id: &QuoteId,
    agent: &AgentId,
) -> Result<(Quote, Option<OrderId>), LedgerError> {
    current
        .get(id.as_str())
        .filter(|(q, _)| q.agent == *agent)
        .cloned()
        .ok_or_else(|| LedgerError::QuoteNotFound(id.clone()))
}

/// Decides every write of `cmds`, in turn, from the stored quotes they read (`current`: by id,
/// with the order each became), exactly as if each were committed alone in that order.
pub fn decide_quotes<'c>(
    cmds: &[&'c QuoteCmd],
    mut current: HashMap<String, (Quote, Option<OrderId>)>,
) -> QuoteBatch<'c> {
    let mut out = QuoteBatch {
        answers: Vec::with_capacity(cmds.len()),
        created: Vec::new(),
        history: Vec::new(),
        replaced: Vec::new(),
        records: Vec::new(),
    };
    for cmd in cmds {
        let decided = match cmd {
            QuoteCmd::Create(new) => {
                out.records.push(quote_created(&new.quote, &new.credential));
                out.created.push(new);
                current.insert(new.quote.id.to_string(), (new.quote.clone(), None));
                out.answers.push(Ok(new.quote.clone()));
                continue;
            }
            QuoteCmd::Revise(r) => stored(&current, &r.quote_id, &r.agent)
                .and_then(|(quote, order)| Ok((r.apply(quote, order.as_ref())?, order))),
            QuoteCmd::Accept(a) => stored(&current, &a.accepted.id, &a.accepted.agent)
                .and_then(|(quote, order)| Ok((a.apply(quote, order.as_ref())?, order))),
        };
        match decided {
            Ok((write, order)) => {
                out.history.extend(write.history);
                if let Some(new) = write.replacement {
                    match out.replaced.iter_mut().find(|q| q.id == new.id) {
                        Some(kept) => *kept = new.clone(),
                        None => out.replaced.push(new.clone()),
                    }
                    current.insert(new.id.to_string(), (new, order));
                }
                out.records.extend(write.record);
                out.answers.push(Ok(write.current));
            }
            Err(e) => out.answers.push(Err(e)),
        }
    }
    out
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

    mod batches {
        use proptest::prelude::*;

        use super::*;

        /// What an answer says.
        fn shape(answer: &Result<Quote, LedgerError>) -> String {
            match answer {
                Ok(q) => format!("{} r{} {}", q.id, q.round, q.status.as_str()),
                Err(e) => e.to_string(),
            }
        }

        /// The quotes a later batch reads once `batch` committed.
        fn committed(
            mut current: HashMap<String, (Quote, Option<OrderId>)>,
            batch: &QuoteBatch<'_>,
        ) -> HashMap<String, (Quote, Option<OrderId>)> {
            for new in &batch.created {
                current.insert(new.quote.id.to_string(), (new.quote.clone(), None));
            }
            for q in &batch.replaced {
                if let Some((stored, _)) = current.get_mut(q.id.as_str()) {
                    *stored = q.clone();
                }
            }
            current
        }

        prop_compose! {
            fn case()(
                stored in proptest::collection::vec((0_u32..3, 0_u8..4), 1..4),
                cmds in proptest::collection::vec((0_u8..3, 0_usize..4, 0_u32..3, any::<bool>(), 0_usize..2), 1..10),
            ) -> (HashMap<String, (Quote, Option<OrderId>)>, Vec<QuoteCmd>) {
                let mut current = HashMap::new();
                let mut quotes = Vec::new();
                for (round, state) in stored {
                    let q = Quote {
                        round,
                        status: match state { 0 | 3 => QuoteStatus::Open, 1 => QuoteStatus::Final, _ => QuoteStatus::Accepted },
                        ..open()
                    };
                    let order = (state == 3).then(OrderId::generate);
                    current.insert(q.id.to_string(), (q.clone(), order));
                    quotes.push(q);
                }
                let cmds = cmds
                    .into_iter()
                    .map(|(kind, which, round, makes_version, who)| {
                        let q = quotes.get(which).cloned().unwrap_or_else(open);
                        let by = agent(who);
                        match kind {
                            0 => QuoteCmd::Create(Box::new(CreateQuote {
                                quote: open(),
                                bounds: Value::Null,
                                base_prices: Vec::new(),
                                credential: "jti-0".into(),
                            })),
                            1 => QuoteCmd::Revise(Revision { agent: by, ..revision(&Quote { round, ..q }, round, makes_version) }),
                            _ => QuoteCmd::Accept(Acceptance {
                                accepted: Quote { round, status: QuoteStatus::Accepted, agent: by, ..q },
                                credential: "jti-0".into(),
                                now: NOW,
                            }),
                        }
                    })
                    .collect();
                (current, cmds)
            }
        }

        proptest! {
            /// A batch of quote writes decides each exactly as if each had been committed alone,
            /// in turn, and records one audit entry per write that changed anything.
            #[test]
            fn a_batch_is_its_writes_committed_one_by_one((current, cmds) in case()) {
                let all: Vec<&QuoteCmd> = cmds.iter().collect();
                let batch = decide_quotes(&all, current.clone());
                let mut rows = current.clone();
                let mut alone = Vec::new();
                let mut records = 0;
                for cmd in &all {
                    let one = decide_quotes(&[cmd], rows.clone());
                    records += one.records.len();
                    rows = committed(rows, &one);
                    alone.extend(one.answers.iter().map(shape));
                }
                let together: Vec<String> = batch.answers.iter().map(shape).collect();
                prop_assert_eq!(together, alone);
                prop_assert_eq!(batch.records.len(), records);
                let mut ids: Vec<&QuoteId> = batch.replaced.iter().map(|q| &q.id).collect();
                ids.sort();
                ids.dedup();
                prop_assert_eq!(ids.len(), batch.replaced.len(), "one final version per quote");
            }
        }
    }
}
