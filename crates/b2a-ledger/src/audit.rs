//! What the ledger keeps of the audit log besides each entry: the Merkle tree's nodes and
//! frontier (RFC 9162), the signed checkpoints, and the queries auditors filter entries with.

use b2a_audit::merkle::Frontier;
use time::OffsetDateTime;

use crate::LedgerError;

/// One stored entry: its place and its canonical JSON, exactly the bytes of its leaf.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEntry {
    /// Its leaf index, from 0.
    pub seq: u64,
    /// Its RFC 8785 JSON, as appended.
    pub body: String,
}

/// The log's state: its size and root.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuditHead {
    /// Number of entries.
    pub size: u64,
    /// RFC 9162 root hash of the tree of every entry.
    pub root: b2a_audit::merkle::Hash,
}

impl AuditHead {
    pub(crate) fn of(frontier: &Frontier) -> Self {
        Self {
            size: frontier.size(),
            root: frontier.root(),
        }
    }
}

/// Which entries an auditor asks for: every filter given must hold. Entries come oldest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditQuery {
    /// Entries from this sequence number on (a page's cursor).
    pub from_seq: u64,
    /// At most this many.
    pub limit: u32,
    /// Acted by this agent, or about it (one of its subjects).
    pub agent: Option<String>,
    /// Naming this principal pseudonym.
    pub principal: Option<String>,
    /// With this subject among theirs: an order, a quote, a token's `jti`, a SKU, …
    pub subject: Option<String>,
    /// With this action (`order.placed`).
    pub action: Option<String>,
    /// At or after this time.
    pub since: Option<OffsetDateTime>,
    /// Before this time.
    pub until: Option<OffsetDateTime>,
}

/// The stored frontier of the log's tree (empty bytes: the empty tree).
pub(crate) fn frontier(bytes: &[u8]) -> Result<Frontier, LedgerError> {
    if bytes.is_empty() {
        return Ok(Frontier::new());
    }
    Frontier::from_bytes(bytes)
        .ok_or_else(|| LedgerError::Corrupt("the audit tree's frontier does not decode".into()))
}

/// A time as entries store it: RFC 3339 in UTC.
pub(crate) fn rfc3339(t: OffsetDateTime) -> String {
    use time::format_description::well_known::Rfc3339;
    t.to_offset(time::UtcOffset::UTC)
        .format(&Rfc3339)
        .unwrap_or_else(|_| t.unix_timestamp().to_string())
}

/// A bound of a time filter, compared with stored times as text: the second of `t` in UTC,
/// without fraction or offset — at or after it is every stored time of that second or later
/// (`2026-11-21T08:00:00` ≤ `2026-11-21T08:00:00.5Z`), before it every earlier one.
pub(crate) fn time_bound(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// The query of `q` (`SELECT seq, body FROM audit_entries …`), for either backend: only the
/// filters given, so that each uses its index.
pub(crate) fn entries_query<DB: sqlx::Database>(q: &AuditQuery) -> sqlx::QueryBuilder<DB>
where
    for<'t> String: sqlx::Encode<'t, DB> + sqlx::Type<DB>,
    for<'t> i64: sqlx::Encode<'t, DB> + sqlx::Type<DB>,
    DB::Arguments: Default,
{
    let mut b = sqlx::QueryBuilder::new("SELECT seq, body FROM audit_entries WHERE seq >= ");
    b.push_bind(i64::try_from(q.from_seq).unwrap_or(i64::MAX));
    if let Some(agent) = &q.agent {
        b.push(" AND (actor = ")
            .push_bind(format!("agent:{agent}"))
            .push(" OR seq IN (SELECT seq FROM audit_subjects WHERE subject = ")
            .push_bind(agent.clone())
            .push("))");
    }
    if let Some(principal) = &q.principal {
        b.push(" AND principal = ").push_bind(principal.clone());
    }
    if let Some(subject) = &q.subject {
        b.push(" AND seq IN (SELECT seq FROM audit_subjects WHERE subject = ")
            .push_bind(subject.clone())
            .push(")");
    }
    if let Some(action) = &q.action {
        b.push(" AND action = ").push_bind(action.clone());
    }
    if let Some(since) = q.since {
        b.push(" AND at >= ").push_bind(time_bound(since));
    }
    if let Some(until) = q.until {
        b.push(" AND at < ").push_bind(time_bound(until));
    }
    b.push(" ORDER BY seq LIMIT ").push_bind(i64::from(q.limit));
    b
}

/// An entry of the hash chain the Merkle log replaced (a row of `audit_log`: time, actor,
/// credential, action, subject, details) as a record of the new log: its subject the only one,
/// its details the payload. The ledger carries every such entry over, in order, once.
pub(crate) fn carried_over(
    (at, actor, credential, action, subject, details): (
        String,
        String,
        String,
        String,
        String,
        String,
    ),
) -> Result<b2a_audit::entry::Record, LedgerError> {
    Ok(b2a_audit::entry::Record {
        at,
        actor,
        credential,
        principal: None,
        action,
        subjects: vec![subject],
        payload: crate::codec::decode(&details)?,
        commitments: Default::default(),
    })
}

/// Kept checkpoints, smallest first (the same text in both SQL dialects).
pub(crate) const ALL_CHECKPOINTS: &str = "SELECT body FROM audit_checkpoints ORDER BY size";
/// The kept checkpoint of the largest size.
pub(crate) const LATEST_CHECKPOINT: &str =
    "SELECT body FROM audit_checkpoints ORDER BY size DESC LIMIT 1";

/// Checkpoints as stored (their JSON).
pub(crate) fn checkpoints(
    bodies: &[String],
) -> Result<Vec<b2a_audit::checkpoint::SignedCheckpoint>, LedgerError> {
    bodies.iter().map(|b| crate::codec::decode(b)).collect()
}

/// An entry's row: its sequence number and body.
pub(crate) fn stored_entry(seq: i64, body: String) -> Result<StoredEntry, LedgerError> {
    Ok(StoredEntry {
        seq: u64::try_from(seq).map_err(crate::codec::corrupt)?,
        body,
    })
}

/// A node's row: its level, index and hash.
pub(crate) fn node_row(
    level: i64,
    index: i64,
    hash: &[u8],
) -> Result<(b2a_audit::merkle::NodeId, b2a_audit::merkle::Hash), LedgerError> {
    use crate::codec::corrupt;
    let id = b2a_audit::merkle::NodeId {
        level: u8::try_from(level).map_err(corrupt)?,
        index: u64::try_from(index).map_err(corrupt)?,
    };
    Ok((id, <[u8; 32]>::try_from(hash).map_err(corrupt)?))
}
