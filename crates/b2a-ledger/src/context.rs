//! The rows a batch of orders depends on, as both backends' context queries answer them, read
//! into the snapshot `b2a_orders::placing::decide` decides the batch from.

use b2a_model::{Order, OrderId, Quote};
use b2a_orders::PlaceOrder;
use b2a_orders::placing::Snapshot;

use crate::LedgerError;
use crate::codec::{corrupt, decode};
use crate::grants::{AgentStatus, GrantRow};
use crate::sql::{Conn, Fail, Row};
use crate::store::insert_grant;

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

/// The snapshot a batch's context query answered: one row whose columns are JSON arrays (NULL
/// when empty) of the keys used (agent, key, fingerprint, order body), the quotes (id, agent,
/// body, order), the agents (id, status), the grants of every chain ([`GrantRow`]), the stock
/// (SKU, on hand); then the audit log's size; then the recent orders per agent (agent, count).
pub(crate) fn snapshot(row: &Row) -> Result<Snapshot, LedgerError> {
    let mut rows = Snapshot::default();
    for (agent, key, fingerprint, body) in
        rows_of::<(String, String, String, String)>(row.opt_text(0)?)?
    {
        rows.keys
            .insert((agent, key), (fingerprint, decode::<Order>(&body)?));
    }
    for (id, _agent, body, order) in
        rows_of::<(String, String, String, Option<String>)>(row.opt_text(1)?)?
    {
        let order = order.map(OrderId::parse).transpose().map_err(corrupt)?;
        rows.quotes.insert(id, (decode::<Quote>(&body)?, order));
    }
    for (id, status) in rows_of::<(String, String)>(row.opt_text(2)?)? {
        if status == AgentStatus::Suspended.as_str() {
            rows.suspended.insert(id);
        }
    }
    for grant in rows_of::<GrantRow>(row.opt_text(3)?)? {
        let state = grant.state()?;
        rows.grants.insert(state.grant.jti.clone(), state);
    }
    rows.stock = rows_of::<(String, i64)>(row.opt_text(4)?)?
        .into_iter()
        .collect();
    rows.audit_size = row.count(5)?;
    for (agent, n) in rows_of::<(String, i64)>(row.opt_text(6)?)? {
        rows.recent
            .insert(agent, u32::try_from(n).unwrap_or(u32::MAX));
    }
    Ok(rows)
}

/// Grants' orders of the last 24 hours, as counted (`jti`, count).
pub(crate) fn day_counts(counts: Vec<(String, i64)>) -> impl Iterator<Item = (String, u32)> {
    counts
        .into_iter()
        .map(|(jti, n)| (jti, u32::try_from(n).unwrap_or(u32::MAX)))
}

/// Records the grants of `cmds` that `rows` lacks (new tokens of trusted issuers, recorded when
/// first used): `None` when none was missing, else the ones this call inserted (another
/// transaction may have inserted the others meanwhile) — and the caller reads the rows again.
pub(crate) async fn record_missing<'c>(
    conn: &mut dyn Conn,
    rows: &Snapshot,
    cmds: &[&'c PlaceOrder],
) -> Result<Option<Vec<&'c str>>, Fail> {
    let missing = rows.missing_grants(cmds);
    if missing.is_empty() {
        return Ok(None);
    }
    let mut recorded = Vec::new();
    for grant in missing {
        if insert_grant(conn, grant).await? {
            recorded.push(grant.jti.as_str());
        }
    }
    Ok(Some(recorded))
}
