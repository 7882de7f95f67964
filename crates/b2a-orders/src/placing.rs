//! Placing orders: what a batch of orders does, decided in memory from the rows its transaction
//! has read (and, on PostgreSQL, locked) — each order in turn, exactly as if each were placed
//! alone in that order. The stock, the spend and daily count of every grant, the agent's recent
//! orders, the keys and quotes used, and the audit log's size all move with each order placed
//! before it. A refused order changes nothing, so a store needs no savepoint for it.

use std::collections::{BTreeMap, HashMap, HashSet};

use b2a_audit::entry::{Appended, numbered};
use b2a_model::{Order, OrderId, OrderStatus, Quote, QuoteStatus, Sku};
use time::OffsetDateTime;

use crate::admission::{admit, chain};
use crate::holds::{RiskRules, hold_reason};
use crate::offers::hour_of;
use crate::records::order_placed;
use crate::{GrantRecord, GrantState, LedgerError, corrupt};

/// Everything the ledger needs to turn a quote into an order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlaceOrder {
    /// The quote to order.
    pub quote_id: b2a_model::QuoteId,
    /// The agent placing it; must be the agent the quote was made to.
    pub agent: b2a_model::AgentId,
    /// The token it acts with (`jti`), for the audit entry.
    pub credential: String,
    /// The grant of that token: its limits (and those of the grants it was exchanged from,
    /// found through `parent`) are enforced in the order's transaction. Recorded if the ledger
    /// does not know it yet (a token of a trusted external issuer).
    pub grant: GrantRecord,
    /// The client's `Idempotency-Key`.
    pub idempotency_key: String,
    /// A digest of the request body; the same key with another body is refused.
    pub fingerprint: String,
    /// Now, as the caller sees it (tests pass a fixed instant).
    pub now: OffsetDateTime,
    /// The rules that hold an order for a person's approval (with the grants' `approval_above`).
    pub risk: RiskRules,
    /// Fulfilment details (shipping address, contact): personal data, kept in the vault apart
    /// from the order, which only references them.
    pub fulfilment: Option<serde_json::Value>,
    /// Salted commitments of those details, by field, for the order's audit entry (never the
    /// values; `b2a_audit::entry::commit`).
    pub commitments: BTreeMap<String, String>,
}

/// An order, and whether it was created now or replayed from an earlier request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placed {
    /// The order.
    pub order: Order,
    /// True when the idempotency key had already produced this order.
    pub replayed: bool,
}

/// The rows a batch of orders depends on, as its transaction read them.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    /// Idempotency keys already used, by (agent, key): the request's fingerprint and its order.
    pub keys: HashMap<(String, String), (String, Order)>,
    /// The quotes ordered, by id, with the order each already became.
    pub quotes: HashMap<String, (Quote, Option<OrderId>)>,
    /// The suspended agents among those placing.
    pub suspended: HashSet<String>,
    /// Every grant of every chain, by `jti`.
    pub grants: HashMap<String, GrantState>,
    /// Units on hand by SKU (a SKU absent is not stocked).
    pub stock: HashMap<String, i64>,
    /// How many entries the audit log holds: the next one's sequence number.
    pub audit_size: u64,
    /// Orders per agent since the velocity rule's window began.
    pub recent: HashMap<String, u32>,
}

impl Snapshot {
    /// The commands' grants the ledger does not hold yet (each once): a store records them
    /// before the batch is decided, and removes again those no order was charged to
    /// ([`Outcome::unused`]).
    pub fn missing_grants<'c>(&self, cmds: &[&'c PlaceOrder]) -> Vec<&'c GrantRecord> {
        let mut missing: Vec<&GrantRecord> = Vec::new();
        for cmd in cmds {
            if !self.grants.contains_key(&cmd.grant.jti)
                && !missing.iter().any(|g| g.jti == cmd.grant.jti)
            {
                missing.push(&cmd.grant);
            }
        }
        missing
    }

    /// The grants with a daily limit, whose orders of the last 24 hours a store counts.
    pub fn limited_grants(&self) -> Vec<&str> {
        self.grants
            .iter()
            .filter(|(_, state)| state.grant.limits.max_orders_per_day.is_some())
            .map(|(jti, _)| jti.as_str())
            .collect()
    }

    /// Sets the orders of the last 24 hours of grants, as a store counted them.
    pub fn set_day_counts(&mut self, counts: impl IntoIterator<Item = (String, u32)>) {
        for (jti, n) in counts {
            if let Some(state) = self.grants.get_mut(&jti) {
                state.orders_last_24h = n;
            }
        }
    }
}

/// A placed order's rows.
#[derive(Debug, Clone)]
pub struct Placement {
    /// The order.
    pub order: Order,
    /// The order's serialized body.
    pub body: String,
    /// The idempotency key it was placed with.
    pub key: String,
    /// The request's fingerprint.
    pub fingerprint: String,
    /// The fulfilment details for the vault (JSON).
    pub details: Option<String>,
    /// The grants charged: the token's own, then each ancestor.
    pub jtis: Vec<String>,
}

/// The outcome of a batch: each order's answer, what to write, and the audit entries.
#[derive(Debug)]
pub struct Outcome {
    /// One answer per command, in order.
    pub answers: Vec<Result<Placed, LedgerError>>,
    /// The orders placed, in order.
    pub placed: Vec<Placement>,
    /// The audit entries of the orders placed, numbered from the snapshot's audit size.
    pub entries: Vec<Appended>,
}

/// What a batch's placed orders change, added up: the rows a store's write statement takes.
#[derive(Debug)]
pub struct Totals<'o> {
    /// Units taken per SKU.
    pub taken: Vec<(&'o str, i64)>,
    /// Units ordered per (SKU, hour): the demand dynamic pricing reads.
    pub demand: Vec<((&'o str, i64), i64)>,
    /// Each grant charged, with the order charged to it.
    pub spend: Vec<(&'o str, &'o Order)>,
}

impl Outcome {
    /// Of the grants `recorded` for this batch, those no placed order was charged to: a
    /// refusal records nothing, so they are removed again.
    pub fn unused<'g>(&self, mut recorded: Vec<&'g str>) -> Vec<&'g str> {
        recorded.retain(|jti| !self.placed.iter().any(|p| p.jtis.iter().any(|j| j == jti)));
        recorded
    }

    /// The placed orders' changes, added up in one pass.
    pub fn totals(&self) -> Totals<'_> {
        let mut taken: HashMap<&str, i64> = HashMap::new();
        let mut demand: HashMap<(&str, i64), i64> = HashMap::new();
        let mut spend = Vec::new();
        for p in &self.placed {
            let hour = hour_of(p.order.created_at);
            for line in &p.order.lines {
                let units = i64::from(line.quantity.get());
                *taken.entry(line.sku.as_str()).or_default() += units;
                *demand.entry((line.sku.as_str(), hour)).or_default() += units;
            }
            spend.extend(p.jtis.iter().map(|jti| (jti.as_str(), &p.order)));
        }
        Totals {
            taken: taken.into_iter().collect(),
            demand: demand.into_iter().collect(),
            spend,
        }
    }
}

/// Decides every order of `cmds`, in turn, from `rows` (moved as each order is placed).
pub fn decide(cmds: &[&PlaceOrder], mut rows: Snapshot) -> Outcome {
    let mut out = Outcome {
        answers: Vec::with_capacity(cmds.len()),
        placed: Vec::new(),
        entries: Vec::new(),
    };
    // Orders of this batch by quote, and by (agent, key).
    let mut ordered: HashMap<String, OrderId> = HashMap::new();
    let mut keyed: HashMap<(String, String), usize> = HashMap::new();
    for cmd in cmds {
        let answer = decide_one(cmd, &mut rows, &mut ordered, &mut keyed, &mut out);
        out.answers.push(answer);
    }
    out
}

fn decide_one(
    cmd: &PlaceOrder,
    rows: &mut Snapshot,
    ordered: &mut HashMap<String, OrderId>,
    keyed: &mut HashMap<(String, String), usize>,
    out: &mut Outcome,
) -> Result<Placed, LedgerError> {
    let key = (cmd.agent.as_str().to_owned(), cmd.idempotency_key.clone());
    // The key's earlier use: committed before, or by an order of this batch.
    let earlier = match (rows.keys.get(&key), keyed.get(&key)) {
        (Some((fingerprint, order)), _) => Some((fingerprint, order)),
        (None, Some(&i)) => Some((&out.placed[i].fingerprint, &out.placed[i].order)),
        (None, None) => None,
    };
    if let Some((fingerprint, order)) = earlier {
        if *fingerprint != cmd.fingerprint {
            return Err(LedgerError::IdempotencyMismatch);
        }
        return Ok(Placed {
            order: order.clone(),
            replayed: true,
        });
    }

    let quote = orderable_quote(cmd, rows, ordered)?;
    let links = chain(&cmd.grant.jti, |jti| rows.grants.get(jti))?;
    if rows.suspended.contains(cmd.agent.as_str()) {
        return Err(LedgerError::AgentSuspended(cmd.agent.clone()));
    }
    for link in &links {
        admit(link, quote.total)?;
    }
    let wanted = units_by_sku(&quote);
    check_stock(&wanted, |sku: &Sku| rows.stock.get(sku.as_str()).copied())?;
    let recent = match cmd.risk.max_orders_per_agent_per_hour {
        Some(_) => rows.recent.get(cmd.agent.as_str()).copied().unwrap_or(0),
        None => 0,
    };

    // Placed: the order, and everything it moves for the orders after it.
    for (sku, n) in &wanted {
        if let Some(level) = rows.stock.get_mut(sku.as_str()) {
            *level -= i64::from(*n);
        }
    }
    let mut order = new_order(quote, &links, cmd, recent);
    if cmd.fulfilment.is_some() {
        order.fulfilment_ref = Some(new_vault_ref());
    }
    let amount = u64::try_from(order.total.amount()).map_err(corrupt)?;
    for link in &links {
        if let Some(state) = rows.grants.get_mut(&link.grant.jti) {
            state.spent = state.spent.saturating_add(amount);
            state.orders_last_24h = state.orders_last_24h.saturating_add(1);
        }
    }
    *rows
        .recent
        .entry(cmd.agent.as_str().to_owned())
        .or_default() += 1;
    ordered.insert(order.quote_id.as_str().to_owned(), order.id.clone());
    keyed.insert(key, out.placed.len());
    let record = order_placed(
        &order,
        &cmd.credential,
        links.iter().map(|l| l.grant.jti.as_str()),
        cmd.commitments.clone(),
    );
    out.entries.push(numbered(rows.audit_size, record));
    rows.audit_size += 1;
    out.placed.push(Placement {
        body: serde_json::to_string(&order).map_err(corrupt)?,
        key: cmd.idempotency_key.clone(),
        fingerprint: cmd.fingerprint.clone(),
        details: cmd.fulfilment.as_ref().map(|f| f.to_string()),
        jtis: links.iter().map(|l| l.grant.jti.clone()).collect(),
        order: order.clone(),
    });
    Ok(Placed {
        order,
        replayed: false,
    })
}

/// The quote of `cmd`, if it can become its order: made to its agent, not ordered yet (before,
/// or by an order of this batch), accepted, not expired.
fn orderable_quote(
    cmd: &PlaceOrder,
    rows: &Snapshot,
    ordered: &HashMap<String, OrderId>,
) -> Result<Quote, LedgerError> {
    let Some((quote, order)) = rows
        .quotes
        .get(cmd.quote_id.as_str())
        .filter(|(q, _)| q.agent == cmd.agent)
    else {
        return Err(LedgerError::QuoteNotFound(cmd.quote_id.clone()));
    };
    if let Some(order) = order
        .as_ref()
        .or_else(|| ordered.get(cmd.quote_id.as_str()))
    {
        return Err(LedgerError::QuoteAlreadyOrdered {
            quote: cmd.quote_id.clone(),
            order: order.clone(),
        });
    }
    if quote.expires_at <= cmd.now {
        return Err(LedgerError::QuoteExpired(quote.id.clone()));
    }
    if quote.status != QuoteStatus::Accepted {
        return Err(LedgerError::QuoteNotAccepted(quote.id.clone()));
    }
    Ok(quote.clone())
}

/// The order `cmd` makes of `quote`: confirmed, or held for approval with its reason when a
/// grant of `chain` or a risk rule says so ([`hold_reason`]).
fn new_order(
    quote: Quote,
    chain: &[GrantState],
    cmd: &PlaceOrder,
    agent_orders_last_hour: u32,
) -> Order {
    let mut order = Order::from_quote(quote, OrderId::generate(), cmd.now);
    if let Some(reason) = hold_reason(chain, &order, &cmd.risk, agent_orders_last_hour) {
        order.status = OrderStatus::PendingApproval;
        order.status_reason = Some(reason);
    }
    order
}

/// The units each SKU of `quote` takes (a SKU on several lines counted once, in the order it
/// first appears).
pub fn units_by_sku(quote: &Quote) -> Vec<(&Sku, u32)> {
    let mut wanted: Vec<(&Sku, u32)> = Vec::new();
    for line in &quote.lines {
        match wanted.iter_mut().find(|(sku, _)| *sku == &line.sku) {
            Some((_, n)) => *n = n.saturating_add(line.quantity.get()),
            None => wanted.push((&line.sku, line.quantity.get())),
        }
    }
    wanted
}

/// Whether the stock covers `wanted` ([`units_by_sku`]), `on_hand` telling each SKU's level
/// (`None`: not stocked): the first SKU unknown or short is the error.
pub fn check_stock(
    wanted: &[(&Sku, u32)],
    on_hand: impl Fn(&Sku) -> Option<i64>,
) -> Result<(), LedgerError> {
    for &(sku, requested) in wanted {
        match on_hand(sku) {
            None => return Err(LedgerError::UnknownSku(sku.clone())),
            Some(n) if n < i64::from(requested) => {
                return Err(LedgerError::InsufficientStock {
                    sku: sku.clone(),
                    available: u32::try_from(n).map_err(corrupt)?,
                    requested,
                });
            }
            Some(_) => {}
        }
    }
    Ok(())
}

/// A new reference of fulfilment details in the vault.
fn new_vault_ref() -> String {
    format!("v_{}", uuid::Uuid::now_v7().simple())
}

#[cfg(test)]
mod tests {
    use b2a_model::{Currency, Limits, QuoteId, Role};
    use proptest::prelude::*;
    use time::macros::datetime;

    use super::*;
    use crate::fixtures::{NOW, SKUS, agent, quote};

    /// The grant of agent `n`: exchanged from one root grant every agent shares, whose
    /// `total` is the budget of all of them together.
    fn grant(n: usize, limits: Limits) -> GrantRecord {
        GrantRecord {
            jti: format!("jti-{n}"),
            parent: Some("root".into()),
            agent: agent(n),
            role: Role::Agent,
            principal: None,
            limits,
            issued_at: datetime!(2026-11-21 07:00 UTC),
            expires_at: datetime!(2026-11-22 07:00 UTC),
        }
    }

    fn state(grant: GrantRecord) -> GrantState {
        GrantState {
            grant,
            revoked_at: None,
            spent: 0,
            orders_last_24h: 0,
        }
    }

    /// A random batch: the snapshot it reads and its commands.
    #[derive(Debug, Clone)]
    struct Case {
        rows: Snapshot,
        cmds: Vec<PlaceOrder>,
    }

    fn eur_limits(total: Option<u64>, per_day: Option<u32>) -> Limits {
        Limits {
            currency: Some(Currency::EUR),
            total,
            max_orders_per_day: per_day,
            ..Limits::default()
        }
    }

    prop_compose! {
        fn case()(
            stock in proptest::collection::vec(proptest::option::weighted(0.9, 0_i64..6), 3),
            budget in proptest::option::of(0_u64..40_000),
            per_day in proptest::option::of(0_u32..4),
            suspended in proptest::bool::weighted(0.3),
            quotes in proptest::collection::vec(
                (0_usize..3, proptest::collection::vec((0_usize..3, 1_u32..4, 500_i64..5_000), 1..3), proptest::bool::weighted(0.1)),
                1..6,
            ),
            orders in proptest::collection::vec((0_usize..8, 0_usize..4, 0_u8..2), 1..12),
            audit_size in 0_u64..1_000,
        ) -> Case {
            let mut rows = Snapshot { audit_size, ..Snapshot::default() };
            for (sku, level) in SKUS.iter().zip(&stock) {
                if let Some(level) = level {
                    rows.stock.insert((*sku).to_owned(), *level);
                }
            }
            let root = GrantRecord { jti: "root".into(), parent: None, ..grant(0, eur_limits(budget, None)) };
            rows.grants.insert("root".into(), state(root));
            for n in 0..3 {
                rows.grants.insert(format!("jti-{n}"), state(grant(n, eur_limits(None, per_day))));
            }
            if suspended {
                rows.suspended.insert(agent(2).as_str().to_owned());
            }
            let quotes: Vec<Quote> = quotes
                .iter()
                .map(|(a, lines, expired)| quote(*a, lines, *expired))
                .collect();
            for q in &quotes {
                rows.quotes.insert(q.id.to_string(), (q.clone(), None));
            }
            // Each command orders one of the quotes (or one that does not exist), as the quote's
            // agent (or another), with one of four keys and one of two bodies.
            let cmds = orders
                .iter()
                .map(|&(q, key, body)| {
                    let quote = quotes.get(q);
                    let by = quote.map_or(0, |q| {
                        q.agent.as_str().trim_start_matches("agent-").parse().unwrap_or(0)
                    });
                    PlaceOrder {
                        quote_id: quote.map_or_else(QuoteId::generate, |q| q.id.clone()),
                        agent: agent(by),
                        credential: format!("jti-{by}"),
                        grant: grant(by, eur_limits(None, per_day)),
                        idempotency_key: format!("key-{key}"),
                        fingerprint: format!("body-{body}"),
                        now: NOW,
                        risk: RiskRules::default(),
                        fulfilment: None,
                        commitments: BTreeMap::new(),
                    }
                })
                .collect();
            Case { rows, cmds }
        }
    }

    /// What an answer says, without the ids drawn at random.
    fn shape(answer: &Result<Placed, LedgerError>) -> String {
        match answer {
            Ok(p) => format!(
                "{} {} {} {}",
                if p.replayed { "replayed" } else { "placed" },
                p.order.quote_id,
                p.order.total,
                p.order.status.as_str()
            ),
            Err(LedgerError::QuoteAlreadyOrdered { quote, .. }) => {
                format!("already ordered {quote}")
            }
            Err(e) => e.to_string(),
        }
    }

    /// The rows a later batch reads once `placed` committed: what a store writes, applied to
    /// the snapshot (stock taken, spend and daily count moved on every grant of the chain,
    /// the quote ordered, the key used, the agent's recent count and the log's size moved).
    fn committed(mut rows: Snapshot, placed: &[Placement]) -> Snapshot {
        for p in placed {
            for line in &p.order.lines {
                if let Some(level) = rows.stock.get_mut(line.sku.as_str()) {
                    *level -= i64::from(line.quantity.get());
                }
            }
            for jti in &p.jtis {
                let state = rows.grants.get_mut(jti).expect("charged grant is known");
                state.spent += u64::try_from(p.order.total.amount()).expect("positive total");
                state.orders_last_24h += 1;
            }
            if let Some((_, order)) = rows.quotes.get_mut(p.order.quote_id.as_str()) {
                *order = Some(p.order.id.clone());
            }
            rows.keys.insert(
                (p.order.agent.as_str().to_owned(), p.key.clone()),
                (p.fingerprint.clone(), p.order.clone()),
            );
            *rows
                .recent
                .entry(p.order.agent.as_str().to_owned())
                .or_default() += 1;
            rows.audit_size += 1;
        }
        rows
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        /// A batch decides each order exactly as if each had been placed alone, in turn, on
        /// the rows the ones before it committed.
        #[test]
        fn a_batch_is_its_orders_placed_one_by_one(case in case()) {
            let cmds: Vec<&PlaceOrder> = case.cmds.iter().collect();
            let batch = decide(&cmds, case.rows.clone());
            let mut rows = case.rows.clone();
            let mut alone = Vec::new();
            for cmd in &cmds {
                let outcome = decide(&[cmd], rows.clone());
                rows = committed(rows, &outcome.placed);
                alone.extend(outcome.answers.iter().map(shape));
            }
            let together: Vec<String> = batch.answers.iter().map(shape).collect();
            prop_assert_eq!(together, alone);
        }

        /// Whatever the batch: stock never goes below zero, the shared budget and the daily
        /// counts hold, a quote becomes one order, a key one order, and every placed order has
        /// its audit entry, numbered in turn.
        #[test]
        fn a_batch_keeps_the_ledgers_invariants(case in case()) {
            let cmds: Vec<&PlaceOrder> = case.cmds.iter().collect();
            let out = decide(&cmds, case.rows.clone());
            for (sku, taken) in out.totals().taken {
                prop_assert!(taken <= case.rows.stock[sku], "{sku} oversold");
            }
            let spent: i64 = out.placed.iter().map(|p| p.order.total.amount()).sum();
            if let Some(budget) = case.rows.grants["root"].grant.limits.total {
                prop_assert!(u64::try_from(spent).is_ok_and(|s| s <= budget));
            }
            let mut quotes = HashSet::new();
            let mut keys = HashSet::new();
            for p in &out.placed {
                prop_assert!(quotes.insert(p.order.quote_id.clone()), "a quote ordered twice");
                prop_assert!(keys.insert((p.order.agent.clone(), p.key.clone())), "a key used twice");
                prop_assert_eq!(&p.jtis[1], "root");
                if let Some(limit) = case.rows.grants[&p.jtis[0]].grant.limits.max_orders_per_day {
                    let under = out.placed.iter().filter(|o| o.jtis[0] == p.jtis[0]).count();
                    prop_assert!(under <= limit as usize);
                }
                prop_assert!(!case.rows.suspended.contains(p.order.agent.as_str()));
            }
            prop_assert_eq!(out.entries.len(), out.placed.len());
            for (i, (entry, p)) in out.entries.iter().zip(&out.placed).enumerate() {
                prop_assert_eq!(entry.entry.seq, case.rows.audit_size + i as u64);
                prop_assert_eq!(&entry.entry.record.subjects[0], p.order.id.as_str());
            }
            for (answer, cmd) in out.answers.iter().zip(&cmds) {
                if let Some(placed) = answer.as_ref().ok().filter(|p| !p.replayed) {
                    prop_assert_eq!(&placed.order.agent, &cmd.agent);
                    prop_assert_eq!(&placed.order.quote_id, &cmd.quote_id);
                }
            }
        }
    }

    #[test]
    fn a_new_grant_is_missing_once_and_unused_when_refused() {
        let mut rows = Snapshot::default();
        rows.stock.insert("SKU-A".into(), 0);
        let q = quote(0, &[(0, 1, 1_000)], false);
        rows.quotes.insert(q.id.to_string(), (q.clone(), None));
        let external = GrantRecord {
            parent: None,
            ..grant(0, Limits::default())
        };
        let cmd = |key: &str| PlaceOrder {
            quote_id: q.id.clone(),
            agent: agent(0),
            credential: "jti-0".into(),
            grant: external.clone(),
            idempotency_key: key.into(),
            fingerprint: "body".into(),
            now: NOW,
            risk: RiskRules::default(),
            fulfilment: None,
            commitments: BTreeMap::new(),
        };
        let (a, b) = (cmd("k1"), cmd("k2"));
        let missing = rows.missing_grants(&[&a, &b]);
        assert_eq!(missing.len(), 1, "the grant both orders name, once");
        rows.grants
            .insert(external.jti.clone(), state(external.clone()));
        let out = decide(&[&a, &b], rows);
        assert!(matches!(
            out.answers[0],
            Err(LedgerError::InsufficientStock { .. })
        ));
        assert_eq!(
            out.unused(vec!["jti-0"]),
            vec!["jti-0"],
            "no order was charged to it"
        );
    }

    #[test]
    fn an_order_above_the_approval_threshold_waits() {
        let mut rows = Snapshot::default();
        rows.stock.insert("SKU-A".into(), 10);
        let q = quote(0, &[(0, 3, 1_000)], false);
        rows.quotes.insert(q.id.to_string(), (q.clone(), None));
        let limits = Limits {
            currency: Some(Currency::EUR),
            approval_above: Some(2_999),
            ..Limits::default()
        };
        let g = GrantRecord {
            parent: None,
            ..grant(0, limits)
        };
        rows.grants.insert(g.jti.clone(), state(g.clone()));
        let cmd = PlaceOrder {
            quote_id: q.id.clone(),
            agent: agent(0),
            credential: "jti-0".into(),
            grant: g,
            idempotency_key: "k".into(),
            fingerprint: "body".into(),
            now: NOW,
            risk: RiskRules::default(),
            fulfilment: Some(serde_json::json!({"name": "A. Person"})),
            commitments: BTreeMap::new(),
        };
        let out = decide(&[&cmd], rows);
        let placed = out.answers[0].as_ref().expect("placed");
        assert_eq!(placed.order.status, OrderStatus::PendingApproval);
        assert!(
            placed
                .order
                .status_reason
                .as_deref()
                .is_some_and(|r| r.contains("approval threshold"))
        );
        assert!(
            placed
                .order
                .fulfilment_ref
                .as_deref()
                .is_some_and(|r| r.starts_with("v_"))
        );
        assert_eq!(
            out.placed[0].details.as_deref(),
            Some(r#"{"name":"A. Person"}"#)
        );
    }
}
