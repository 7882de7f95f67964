//! What a batch of orders does, decided in memory from the rows its transaction has locked
//! (each backend reads them in one statement and writes the outcome in one more: SQLite's
//! `sqlite/placing.rs`, PostgreSQL's `postgres/placing.rs`): each order in turn, exactly as if each were placed alone in that order — the stock, the spend and daily
//! count of every grant, the agent's recent orders, the keys and quotes used, and the audit log's
//! size all move with each order placed before it.

use std::collections::HashMap;

use b2a_audit::entry::{Appended, numbered};
use b2a_model::{Order, OrderId, Quote, Sku};

use crate::codec::{corrupt, decode, encode};
use crate::enforce::{MAX_CHAIN, admit};
use crate::grants::GrantRow;
use crate::orders::{check_stock, new_order, new_vault_ref, units_by_sku};
use crate::{AgentStatus, GrantRecord, GrantState, LedgerError, PlaceOrder, Placed, order_placed};

/// The rows a batch depends on, as its transaction locked and read them.
#[derive(Default)]
pub(crate) struct Rows {
    /// Idempotency keys already used, by (agent, key): fingerprint and the order's body.
    pub(crate) keys: HashMap<(String, String), (String, String)>,
    /// Quotes by id: agent, body, the order it became.
    pub(crate) quotes: HashMap<String, (String, String, Option<String>)>,
    /// Agents by id: whether suspended.
    pub(crate) suspended: HashMap<String, bool>,
    /// Grants by `jti` and whether each has a daily limit.
    pub(crate) grants: HashMap<String, (GrantState, bool)>,
    /// Stock on hand by SKU.
    pub(crate) stock: HashMap<String, i64>,
    /// How many entries the audit log holds: the next one's sequence number.
    pub(crate) audit_size: u64,
    /// Orders per agent since the velocity rule's window began.
    pub(crate) recent: HashMap<String, u32>,
}

/// The columns of a batch's context row as both backends' context queries answer them: JSON
/// arrays (absent when empty) of the keys used (agent, key, fingerprint, order body), the quotes
/// (id, agent, body, order), the agents (id, status), the grants of every chain ([`GrantRow`]),
/// the stock (SKU, on hand) and the recent orders per agent (agent, count); and the audit log's
/// size.
pub(crate) struct ContextColumns<'r> {
    pub(crate) keys: Option<&'r str>,
    pub(crate) quotes: Option<&'r str>,
    pub(crate) agents: Option<&'r str>,
    pub(crate) grants: Option<&'r str>,
    pub(crate) stock: Option<&'r str>,
    pub(crate) audit_size: i64,
    pub(crate) recent: Option<&'r str>,
}

/// What a batch's context query is asked, from its commands.
pub(crate) struct ContextParams<'c> {
    /// Each order's agent, and its idempotency key (in the commands' order).
    pub(crate) agents_of: Vec<&'c str>,
    pub(crate) keys: Vec<&'c str>,
    /// Each order's quote, and its token's `jti`.
    pub(crate) quotes: Vec<&'c str>,
    pub(crate) jtis: Vec<&'c str>,
    /// The agents, each once, sorted (the order their rows are locked in).
    pub(crate) agents: Vec<&'c str>,
    /// The agents whose orders of the last hour count (the velocity rule).
    pub(crate) counted: Vec<&'c str>,
    /// The latest of the commands' times, Unix seconds.
    pub(crate) now: i64,
}

impl<'c> ContextParams<'c> {
    pub(crate) fn of(cmds: &[&'c PlaceOrder]) -> Self {
        let agents_of: Vec<&str> = cmds.iter().map(|c| c.agent.as_str()).collect();
        let mut agents = agents_of.clone();
        agents.sort_unstable();
        agents.dedup();
        Self {
            keys: cmds.iter().map(|c| c.idempotency_key.as_str()).collect(),
            quotes: cmds.iter().map(|c| c.quote_id.as_str()).collect(),
            jtis: cmds.iter().map(|c| c.grant.jti.as_str()).collect(),
            counted: cmds
                .iter()
                .filter(|c| c.risk.max_orders_per_agent_per_hour.is_some())
                .map(|c| c.agent.as_str())
                .collect(),
            now: cmds
                .iter()
                .map(|c| c.now.unix_timestamp())
                .max()
                .unwrap_or_default(),
            agents_of,
            agents,
        }
    }
}

/// The rows of a JSON array (absent: none).
fn rows_of<T: serde::de::DeserializeOwned>(json: Option<&str>) -> Result<Vec<T>, LedgerError> {
    json.map_or(Ok(Vec::new()), decode)
}

impl Rows {
    /// The rows a context query answered.
    pub(crate) fn decode(c: ContextColumns<'_>) -> Result<Self, LedgerError> {
        let mut rows = Rows::default();
        for (agent, key, fingerprint, body) in rows_of::<(String, String, String, String)>(c.keys)?
        {
            rows.keys.insert((agent, key), (fingerprint, body));
        }
        for (id, agent, body, order) in
            rows_of::<(String, String, String, Option<String>)>(c.quotes)?
        {
            rows.quotes.insert(id, (agent, body, order));
        }
        for (id, status) in rows_of::<(String, String)>(c.agents)? {
            rows.suspended.insert(id, is_suspended(&status));
        }
        rows.set_grants(rows_of::<GrantRow>(c.grants)?)?;
        rows.stock = rows_of::<(String, i64)>(c.stock)?.into_iter().collect();
        rows.audit_size = u64::try_from(c.audit_size).map_err(corrupt)?;
        for (agent, n) in rows_of::<(String, i64)>(c.recent)? {
            rows.recent
                .insert(agent, u32::try_from(n).unwrap_or(u32::MAX));
        }
        Ok(rows)
    }

    /// Reads the JSON rows of grants ([`GrantRow`]).
    pub(crate) fn set_grants(&mut self, rows: Vec<GrantRow>) -> Result<(), LedgerError> {
        for row in rows {
            let (state, limited) = row.state()?;
            self.grants
                .insert(state.grant.jti.clone(), (state, limited));
        }
        Ok(())
    }

    /// The commands' grants the ledger does not hold yet (each once).
    pub(crate) fn missing_grants<'c>(&self, cmds: &[&'c PlaceOrder]) -> Vec<&'c GrantRecord> {
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

    /// The grants with a daily limit, whose orders of the last 24 hours are to be counted.
    pub(crate) fn limited_grants(&self) -> Vec<&str> {
        self.grants
            .iter()
            .filter(|(_, (_, limited))| *limited)
            .map(|(jti, _)| jti.as_str())
            .collect()
    }

    /// Sets the orders of the last 24 hours of grants.
    pub(crate) fn set_day_counts(&mut self, counts: Vec<(String, i64)>) {
        for (jti, n) in counts {
            if let Some((state, _)) = self.grants.get_mut(&jti) {
                state.orders_last_24h = u32::try_from(n).unwrap_or(u32::MAX);
            }
        }
    }
}

/// A placed order's rows.
pub(crate) struct Placement {
    pub(crate) order: Order,
    /// The order's serialized body.
    pub(crate) body: String,
    pub(crate) key: String,
    pub(crate) fingerprint: String,
    /// The fulfilment details for the vault.
    pub(crate) details: Option<String>,
    /// The grants charged.
    pub(crate) jtis: Vec<String>,
}

/// The outcome of a batch: each order's answer and what to write.
pub(crate) struct Outcome {
    pub(crate) answers: Vec<Result<Placed, LedgerError>>,
    pub(crate) placed: Vec<Placement>,
    /// The audit entries of the orders placed, in order.
    pub(crate) entries: Vec<Appended>,
}

/// What a batch's placed orders change, added up: the rows its write statement takes.
pub(crate) struct Totals<'o> {
    /// Units taken per SKU.
    pub(crate) taken: Vec<(&'o str, i64)>,
    /// Units ordered per (SKU, hour): the demand dynamic pricing reads.
    pub(crate) demand: Vec<((&'o str, i64), i64)>,
    /// Each grant charged, with the order charged to it.
    pub(crate) spend: Vec<(&'o str, &'o Order)>,
}

impl Outcome {
    /// Of the grants `recorded` for this batch, those no placed order was charged to: a
    /// refusal records nothing, so they are removed again.
    pub(crate) fn unused<'g>(&self, mut recorded: Vec<&'g str>) -> Vec<&'g str> {
        recorded.retain(|jti| !self.placed.iter().any(|p| p.jtis.iter().any(|j| j == jti)));
        recorded
    }

    /// The placed orders' changes, added up in one pass.
    pub(crate) fn totals(&self) -> Totals<'_> {
        let mut taken: HashMap<&str, i64> = HashMap::new();
        let mut demand: HashMap<(&str, i64), i64> = HashMap::new();
        let mut spend = Vec::new();
        for p in &self.placed {
            let hour = crate::offers::hour_of(p.order.created_at);
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
pub(crate) fn decide(cmds: &[&PlaceOrder], mut rows: Rows) -> Result<Outcome, LedgerError> {
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
    Ok(out)
}

fn decide_one(
    cmd: &PlaceOrder,
    rows: &mut Rows,
    ordered: &mut HashMap<String, OrderId>,
    keyed: &mut HashMap<(String, String), usize>,
    out: &mut Outcome,
) -> Result<Placed, LedgerError> {
    let key = (cmd.agent.as_str().to_owned(), cmd.idempotency_key.clone());
    // The key's earlier use: committed before, or by an order of this batch.
    if let Some((fingerprint, body)) = rows.keys.get(&key) {
        if *fingerprint != cmd.fingerprint {
            return Err(LedgerError::IdempotencyMismatch);
        }
        return Ok(Placed {
            order: decode(body)?,
            replayed: true,
        });
    }
    if let Some(&i) = keyed.get(&key) {
        let earlier = &out.placed[i];
        if earlier.fingerprint != cmd.fingerprint {
            return Err(LedgerError::IdempotencyMismatch);
        }
        return Ok(Placed {
            order: earlier.order.clone(),
            replayed: true,
        });
    }

    let quote = orderable_quote(cmd, rows, ordered)?;
    let links = grant_chain(cmd, rows)?;
    if rows
        .suspended
        .get(cmd.agent.as_str())
        .copied()
        .unwrap_or(false)
    {
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
        if let Some((state, _)) = rows.grants.get_mut(&link.grant.jti) {
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
        body: encode(&order)?,
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

/// The quote of `cmd`: made to its agent, accepted, not expired, not ordered yet (before, or
/// by an order of this batch).
fn orderable_quote(
    cmd: &PlaceOrder,
    rows: &Rows,
    ordered: &HashMap<String, OrderId>,
) -> Result<Quote, LedgerError> {
    let found = rows
        .quotes
        .get(cmd.quote_id.as_str())
        .filter(|(agent, _, _)| agent == cmd.agent.as_str());
    let Some((_, body, order)) = found else {
        return Err(LedgerError::QuoteNotFound(cmd.quote_id.clone()));
    };
    let ordered = match order {
        Some(order) => Some(OrderId::parse(order.clone()).map_err(corrupt)?),
        None => ordered.get(cmd.quote_id.as_str()).cloned(),
    };
    crate::orders::orderable_quote(cmd, body, ordered)
}

/// The states of the command's grant and of every grant it was exchanged from, nearest first.
fn grant_chain(cmd: &PlaceOrder, rows: &Rows) -> Result<Vec<GrantState>, LedgerError> {
    let mut links = Vec::new();
    let mut next = Some(cmd.grant.jti.as_str());
    while let Some(jti) = next {
        if links.len() == MAX_CHAIN {
            return Err(LedgerError::Corrupt(format!(
                "token {} has more than {MAX_CHAIN} ancestors",
                cmd.grant.jti
            )));
        }
        let (state, _) = rows
            .grants
            .get(jti)
            .ok_or_else(|| LedgerError::GrantNotFound(jti.to_owned()))?;
        next = state.grant.parent.as_deref();
        links.push(state.clone());
    }
    Ok(links)
}

/// An agent's status as stored.
fn is_suspended(status: &str) -> bool {
    status == AgentStatus::Suspended.as_str()
}
