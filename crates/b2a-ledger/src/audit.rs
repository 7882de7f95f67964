//! What the ledger keeps of the audit log besides each entry: the Merkle tree's nodes (RFC
//! 9162), the signed checkpoints, and the queries auditors filter entries with.

use std::collections::HashMap;

use b2a_audit::entry::{Appended, Record, numbered};
use b2a_audit::merkle::{Frontier, Hash, NodeId, leaf_hash, range_nodes};
use time::OffsetDateTime;

use crate::LedgerError;
use crate::codec::corrupt;

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
    pub root: Hash,
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

/// Numbers `records`, in order, from the `size`th entry of the log on: what an append stores.
pub(crate) fn number(size: u64, records: impl IntoIterator<Item = Record>) -> Vec<Appended> {
    (size..)
        .zip(records)
        .map(|(seq, r)| numbered(seq, r))
        .collect()
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

impl AuditQuery {
    /// Whether any filter is given (a plain page of the log reads no index).
    pub(crate) fn is_filtered(&self) -> bool {
        self.agent.is_some()
            || self.principal.is_some()
            || self.subject.is_some()
            || self.action.is_some()
            || self.since.is_some()
            || self.until.is_some()
    }
}

/// At most this many entries are indexed per transaction, so that indexing never holds the
/// write lock long.
pub(crate) const INDEX_BATCH: usize = 4096;

/// How many entries are indexed (the index holds a prefix of the log, as appends commit in
/// sequence order): the size of the tree whose nodes are stored. In both SQL dialects.
macro_rules! indexed_size {
    () => {
        "SELECT coalesce(max(seq) + 1, 0) FROM audit_index"
    };
}

/// The entries not indexed yet (the first [`INDEX_BATCH`] of them), in both SQL dialects.
pub(crate) const PENDING: &str = concat!(
    "SELECT seq, body FROM audit_entries WHERE seq >= (",
    indexed_size!(),
    ") ORDER BY seq LIMIT 4096"
);

/// How many entries are indexed.
pub(crate) const INDEXED_SIZE: &str = indexed_size!();

/// Whether some entry is not indexed yet.
pub(crate) const ANY_PENDING: &str = concat!(
    "SELECT EXISTS (SELECT 1 FROM audit_entries WHERE seq >= (",
    indexed_size!(),
    "))"
);

/// Indexes pending entries a batch at a time (`batch`: one transaction) until a batch short of
/// full has caught up with the head as its transaction saw it; nothing when none is `pending`
/// (the common case costs no write). Returns how many entries it indexed.
pub(crate) async fn index_pending<F, Fut>(pending: bool, mut batch: F) -> Result<u64, LedgerError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<usize, LedgerError>>,
{
    let mut indexed = 0;
    if pending {
        loop {
            let n = batch().await?;
            indexed += n as u64;
            if n < INDEX_BATCH {
                break;
            }
        }
    }
    Ok(indexed)
}

/// What auditors filter an entry by, read back from its stored body.
#[derive(Debug, serde::Deserialize)]
pub(crate) struct Facets {
    #[serde(skip)]
    pub seq: i64,
    pub at: String,
    pub actor: String,
    #[serde(default)]
    pub principal: Option<String>,
    pub action: String,
    pub subjects: Vec<String>,
}

/// A pending entry as [`PENDING`] reads it: its sequence number and its bytes.
pub(crate) type PendingRow = (i64, String);

/// What indexing pending entries writes: what auditors filter each by, and the perfect nodes
/// of the tree their leaves complete (each leaf among them), for proofs.
pub(crate) struct Indexed {
    pub facets: Vec<Facets>,
    pub nodes: Vec<(NodeId, Hash)>,
}

/// The sequence number of the first of `rows` (0 when there is none).
fn first_seq(rows: &[PendingRow]) -> Result<u64, LedgerError> {
    u64::try_from(rows.first().map_or(0, |(seq, ..)| *seq)).map_err(corrupt)
}

/// The nodes to read before indexing the entries from `rows`' first on: the frontier of the
/// tree of the entries before it, all of them indexed, so stored.
pub(crate) fn edge_before(rows: &[PendingRow]) -> Vec<NodeId> {
    range_nodes(0, first_seq(rows).unwrap_or_default())
}

/// The tree's right edge after its first `size` leaves, from the stored nodes (`stored`: those
/// of [`range_nodes`]`(0, size)`, all indexed).
pub(crate) fn frontier_of(
    size: u64,
    stored: &HashMap<NodeId, Hash>,
) -> Result<Frontier, LedgerError> {
    let edge = range_nodes(0, size)
        .into_iter()
        .map(|id| {
            stored.get(&id).copied().ok_or_else(|| {
                LedgerError::Corrupt(format!(
                    "the audit tree's node at level {} index {} is missing",
                    id.level, id.index
                ))
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Frontier::from_nodes(size, edge)
        .ok_or_else(|| LedgerError::Corrupt("the audit tree's edge does not add up".into()))
}

/// Indexes `rows` (consecutive, from the first pending entry on) over the tree's edge before
/// them (`stored`: the nodes of [`edge_before`]).
pub(crate) fn index(
    rows: Vec<PendingRow>,
    stored: &HashMap<NodeId, Hash>,
) -> Result<Indexed, LedgerError> {
    let mut log = frontier_of(first_seq(&rows)?, stored)?;
    let mut indexed = Indexed {
        facets: Vec::with_capacity(rows.len()),
        nodes: Vec::with_capacity(2 * rows.len()),
    };
    for (seq, body) in rows {
        if u64::try_from(seq).ok() != Some(log.size()) {
            return Err(LedgerError::Corrupt(format!(
                "audit entry {} is missing",
                log.size()
            )));
        }
        indexed.nodes.extend(log.push(leaf_hash(body.as_bytes())));
        indexed.facets.push(Facets {
            seq,
            ..crate::codec::decode(&body)?
        });
    }
    Ok(indexed)
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
) -> Result<Record, LedgerError> {
    Ok(Record {
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

/// A node's row: its level, index and hash.
pub(crate) fn node_row(level: i64, index: i64, hash: &[u8]) -> Result<(NodeId, Hash), LedgerError> {
    let id = NodeId {
        level: u8::try_from(level).map_err(corrupt)?,
        index: u64::try_from(index).map_err(corrupt)?,
    };
    Ok((id, <[u8; 32]>::try_from(hash).map_err(corrupt)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pending_reads_one_batch() {
        assert!(PENDING.ends_with(&format!("LIMIT {INDEX_BATCH}")));
    }
}
