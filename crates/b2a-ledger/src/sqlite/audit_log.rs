//! The audit log's tables (`audit_entries`, `audit_nodes`, `audit_checkpoints`, migration 3;
//! `audit_index`, `audit_subjects`, migration 5; the entries' bytes alone, migration 7):
//! appends, inside the transaction of the write they record; the tree's nodes and the index of
//! what auditors filter by, after the fact; the auditor's reads.

use std::collections::HashMap;

use b2a_audit::checkpoint::SignedCheckpoint;
use b2a_audit::entry::{Appended, Entry, Record};
use b2a_audit::merkle::{Hash, NodeId, range_nodes};
use sqlx::{Row, Sqlite, SqliteConnection, SqlitePool};
use time::OffsetDateTime;

use super::script::Script;
use super::storage;
use crate::LedgerError;
use crate::audit::{
    ALL_CHECKPOINTS, ANY_PENDING, AuditHead, AuditQuery, INDEXED_SIZE, LATEST_CHECKPOINT, PENDING,
    PendingRow, StoredEntry, carried_over, checkpoints, edge_before, entries_query, frontier_of,
    index, node_row, number, stored_entry,
};
use crate::codec::{corrupt, encode};

/// How many entries the log holds (the next one's sequence number), as the transaction that
/// runs it sees it: one past the largest stored, as SQLite's one writer appends.
macro_rules! log_size {
    () => {
        "SELECT coalesce(max(seq) + 1, 0) FROM audit_entries"
    };
}
pub(super) use log_size;

/// The log's size ([`log_size`]).
pub(super) async fn size(conn: &mut SqliteConnection) -> Result<u64, LedgerError> {
    let size: i64 = sqlx::query_scalar(log_size!())
        .fetch_one(conn)
        .await
        .map_err(storage)?;
    u64::try_from(size).map_err(corrupt)
}

/// Appends `record` inside `conn`'s transaction.
pub(super) async fn append(
    conn: &mut SqliteConnection,
    record: Record,
) -> Result<Entry, LedgerError> {
    let mut entries = append_all(conn, vec![record]).await?;
    entries
        .pop()
        .ok_or_else(|| LedgerError::Corrupt("an append returned no entry".into()))
}

/// Appends `records`, in order, inside `conn`'s transaction.
pub(super) async fn append_all(
    conn: &mut SqliteConnection,
    records: Vec<Record>,
) -> Result<Vec<Entry>, LedgerError> {
    let appended = number(size(&mut *conn).await?, records);
    let mut script = Script::default();
    add_appended(&mut script, &appended)?;
    script.run(conn).await?;
    Ok(appended.into_iter().map(|a| a.entry).collect())
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

/// The log's head as far as it is indexed: its size and the root of the stored nodes'
/// tree (read-only, on any connection).
pub(super) async fn indexed_head(conn: &mut SqliteConnection) -> Result<AuditHead, LedgerError> {
    let size: i64 = sqlx::query_scalar(INDEXED_SIZE)
        .fetch_one(&mut *conn)
        .await
        .map_err(storage)?;
    let size = u64::try_from(size).map_err(corrupt)?;
    let stored = nodes(conn, &range_nodes(0, size)).await?;
    Ok(AuditHead::of(&frontier_of(size, &stored)?))
}

/// Whether some entry is not indexed yet (read-only, on any connection).
pub(super) async fn any_pending(conn: &mut SqliteConnection) -> Result<bool, LedgerError> {
    sqlx::query_scalar(ANY_PENDING)
        .fetch_one(conn)
        .await
        .map_err(storage)
}

/// Indexes the next entries not indexed yet (at most [`crate::audit::INDEX_BATCH`]) inside
/// `conn`'s write transaction: the tree's nodes their leaves complete (each leaf hashed from its
/// entry's bytes); their time, actor, principal and action, and their subjects. Returns how
/// many.
pub(super) async fn index_batch(conn: &mut SqliteConnection) -> Result<usize, LedgerError> {
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

/// Carries the entries of the hash chain the Merkle log replaced (`audit_log`) over into it, in
/// order, then drops that table; nothing when it is gone. One transaction.
pub(super) async fn carry_over_chain(pool: &SqlitePool) -> Result<(), LedgerError> {
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await.map_err(storage)?;
    let exists: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'audit_log')",
    )
    .fetch_one(&mut *tx)
    .await
    .map_err(storage)?;
    if !exists {
        return Ok(());
    }
    let rows: Vec<(String, String, String, String, String, String)> = sqlx::query_as(
        "SELECT at, actor, credential, action, subject, details FROM audit_log ORDER BY seq",
    )
    .fetch_all(&mut *tx)
    .await
    .map_err(storage)?;
    let records = rows
        .into_iter()
        .map(carried_over)
        .collect::<Result<Vec<_>, _>>()?;
    let appended = number(size(&mut tx).await?, records);
    let mut script = Script::default();
    add_appended(&mut script, &appended)?;
    script.statement("DROP TABLE audit_log");
    script.run(&mut tx).await?;
    tx.commit().await.map_err(storage)
}

/// The entries `q` asks for.
pub(super) async fn entries(
    conn: &mut SqliteConnection,
    q: &AuditQuery,
) -> Result<Vec<StoredEntry>, LedgerError> {
    let rows = entries_query::<Sqlite>(q)
        .build()
        .fetch_all(conn)
        .await
        .map_err(storage)?;
    rows.iter()
        .map(|r| stored_entry(r.get(0), r.get(1)))
        .collect()
}

/// The stored nodes among `ids`.
pub(super) async fn nodes(
    conn: &mut SqliteConnection,
    ids: &[NodeId],
) -> Result<HashMap<NodeId, Hash>, LedgerError> {
    let wanted = ids
        .iter()
        .map(|id| Ok((id.level, i64::try_from(id.index).map_err(corrupt)?)))
        .collect::<Result<Vec<_>, LedgerError>>()?;
    let rows: Vec<(i64, i64, Vec<u8>)> = sqlx::query_as(
        "SELECT level, idx, hash FROM audit_nodes
         WHERE (level, idx) IN (SELECT value ->> 0, value ->> 1 FROM jsonb_each(?))",
    )
    .bind(encode(&wanted)?)
    .fetch_all(conn)
    .await
    .map_err(storage)?;
    rows.into_iter()
        .map(|(level, index, hash)| node_row(level, index, &hash))
        .collect()
}

/// Keeps `checkpoint` unless one of its size is kept.
pub(super) async fn store_checkpoint(
    conn: &mut SqliteConnection,
    checkpoint: &SignedCheckpoint,
    at: OffsetDateTime,
) -> Result<(), LedgerError> {
    sqlx::query(
        "INSERT INTO audit_checkpoints (size, body, made_at) VALUES (?, ?, ?)
         ON CONFLICT (size) DO NOTHING",
    )
    .bind(i64::try_from(checkpoint.size).map_err(corrupt)?)
    .bind(encode(checkpoint)?)
    .bind(at.unix_timestamp())
    .execute(conn)
    .await
    .map_err(storage)?;
    Ok(())
}

/// Kept checkpoints, smallest first: all, or the largest only.
pub(super) async fn kept_checkpoints(
    conn: &mut SqliteConnection,
    latest_only: bool,
) -> Result<Vec<SignedCheckpoint>, LedgerError> {
    let sql = if latest_only {
        LATEST_CHECKPOINT
    } else {
        ALL_CHECKPOINTS
    };
    let bodies: Vec<String> = sqlx::query_scalar(sql)
        .fetch_all(conn)
        .await
        .map_err(storage)?;
    checkpoints(&bodies)
}
