//! The audit log's tables (`audit_entries`, `audit_nodes`, `audit_checkpoints`, migration 3;
//! `audit_index`, `audit_subjects`, migration 5; the entries' bytes alone, migration 7):
//! appends, inside the transaction of the write they record; the tree's nodes and the index of
//! what auditors filter by, after the fact; the auditor's reads.

use b2a_audit::entry::Appended;
use sqlx::SqliteConnection;

use super::script::Script;
use super::storage;
use crate::LedgerError;
use crate::audit::{PENDING, PendingRow, edge_before, index};
use crate::codec::{corrupt, encode};
use crate::store::nodes;

/// How many entries the log holds (the next one's sequence number), as the transaction that
/// runs it sees it: one past the largest stored, as SQLite's one writer appends.
macro_rules! log_size {
    () => {
        "SELECT coalesce(max(seq) + 1, 0) FROM audit_entries"
    };
}
pub(super) use log_size;

/// The log's size ([`log_size`]).
pub(crate) async fn size(conn: &mut SqliteConnection) -> Result<u64, LedgerError> {
    let size: i64 = sqlx::query_scalar(log_size!())
        .fetch_one(conn)
        .await
        .map_err(storage)?;
    u64::try_from(size).map_err(corrupt)
}

/// Stores `appended` ([`add_appended`]).
pub(crate) async fn store(
    conn: &mut SqliteConnection,
    appended: &[Appended],
) -> Result<(), LedgerError> {
    let mut script = Script::default();
    add_appended(&mut script, appended)?;
    script.run(conn).await
}

/// Adds to `script` the statement storing `appended` (in order): each entry's number and
/// bytes, nothing else. The tree's hashes and what auditors filter by are derived from those
/// bytes later ([`index_batch`]).
///
/// The entries' bytes are bound as they are, one after the other in one blob, each cut out by
/// its place in it (inside a JSON array, as the other rows are bound, every quote of an entry
/// would be escaped, then parsed and unescaped again by SQLite).
pub(super) fn add_appended(script: &mut Script, appended: &[Appended]) -> Result<(), LedgerError> {
    let mut bodies = Vec::with_capacity(appended.iter().map(|a| a.canonical.len()).sum());
    let mut rows = Vec::with_capacity(appended.len());
    for a in appended {
        let seq = i64::try_from(a.entry.seq).map_err(corrupt)?;
        // SQLite's `substr` counts a blob's bytes from 1.
        rows.push((seq, bodies.len() + 1, a.canonical.len()));
        bodies.extend_from_slice(a.canonical.as_bytes());
    }
    script
        .statement(
            "INSERT INTO audit_entries (seq, body)
             SELECT value ->> 0, CAST(substr(?, value ->> 1, value ->> 2) AS TEXT)
             FROM jsonb_each(?)",
        )
        .bind(bodies)
        .bind(encode(&rows)?);
    Ok(())
}

/// Indexes the next entries not indexed yet (at most [`crate::audit::INDEX_BATCH`]) inside
/// `conn`'s write transaction: the tree's nodes their leaves complete (each leaf hashed from its
/// entry's bytes); their time, actor, principal and action, and their subjects. Returns how
/// many.
pub(crate) async fn index_batch(conn: &mut SqliteConnection) -> Result<usize, LedgerError> {
    let rows: Vec<PendingRow> = sqlx::query_as(PENDING)
        .fetch_all(&mut *conn)
        .await
        .map_err(storage)?;
    let edge = nodes(&mut *conn, &edge_before(&rows)).await?;
    let indexed = index(rows, &edge)?;
    let mut facets = Vec::with_capacity(indexed.facets.len());
    let mut subjects = Vec::new();
    for f in &indexed.facets {
        facets.push((f.seq, &f.at, &f.actor, &f.principal, &f.action));
        subjects.extend(f.subjects.iter().map(|s| (s, f.seq)));
    }
    let mut ids = Vec::with_capacity(indexed.nodes.len());
    let mut hashes = Vec::with_capacity(32 * indexed.nodes.len());
    for (id, hash) in &indexed.nodes {
        ids.push((id.level, i64::try_from(id.index).map_err(corrupt)?));
        hashes.extend_from_slice(hash);
    }
    let mut script = Script::default();
    script
        .statement(
            "INSERT INTO audit_nodes (level, idx, hash)
             SELECT value ->> 0, value ->> 1, substr(?, 32 * key + 1, 32) FROM jsonb_each(?)
             WHERE true ON CONFLICT DO NOTHING",
        )
        .bind(hashes)
        .bind(encode(&ids)?)
        .statement(
            "INSERT INTO audit_index (seq, at, actor, principal, action)
             SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4
             FROM jsonb_each(?) WHERE true ON CONFLICT DO NOTHING",
        )
        .bind(encode(&facets)?)
        .statement(
            "INSERT INTO audit_subjects (subject, seq)
             SELECT value ->> 0, value ->> 1 FROM jsonb_each(?) WHERE true
             ON CONFLICT DO NOTHING",
        )
        .bind(encode(&subjects)?);
    script.run(conn).await?;
    Ok(indexed.facets.len())
}
