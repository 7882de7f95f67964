//! The audit log's tables (`audit_entries`, `audit_nodes`, `audit_checkpoints`, migration 5;
//! `audit_index`, `audit_subjects`, migration 7; the log's size on `audit_head`, migration 9):
//! appends, inside the transaction of the write they record; the tree's nodes and the index of
//! what auditors filter by, after the fact; the auditor's reads.
//!
//! Appends are serialized by the one row of `audit_head`, locked by the statement that reads the
//! log's size on it (a row locked after waiting is read in its newest version), as late in its
//! transaction as the writer can.

use std::collections::HashMap;

use b2a_audit::checkpoint::SignedCheckpoint;
use b2a_audit::entry::{Appended, Entry, Record};
use b2a_audit::merkle::{Hash, NodeId, range_nodes};
use sqlx::postgres::PgArguments;
use sqlx::{PgConnection, PgPool, Postgres, Row};
use time::OffsetDateTime;

use super::{Fail, column, db, storage};
use crate::LedgerError;
use crate::audit::{
    ALL_CHECKPOINTS, ANY_PENDING, AuditHead, AuditQuery, INDEXED_SIZE, Indexed, LATEST_CHECKPOINT,
    PENDING, PendingRow, StoredEntry, carried_over, checkpoints, edge_before, entries_query,
    frontier_of, index, node_row, number, stored_entry,
};
use crate::codec::{corrupt, encode};

/// The statements that store appended entries, as common table expressions of a `WITH`, bound
/// by [`bind_appended`] to `$1` and `$2`: the entries' sequence numbers and bytes; the log's size
/// grows by their number. The tree's hashes and what auditors filter by are derived from the
/// bytes later ([`index_batch`]).
macro_rules! store_entries_ctes {
    () => {
        "stored_entries AS (
             INSERT INTO audit_entries (seq, body)
             SELECT * FROM unnest($1::BIGINT[], $2::TEXT[])),
         grown_log AS (
             UPDATE audit_head SET size = size + cardinality($1) WHERE cardinality($1) > 0)"
    };
}
pub(super) use store_entries_ctes;

type PgQuery<'q> = sqlx::query::Query<'q, Postgres, PgArguments>;

/// Binds `appended` (in order) to `$1` and `$2` of `query` ([`store_entries_ctes`]), first of
/// its parameters.
pub(super) fn bind_appended<'q>(
    query: PgQuery<'q>,
    appended: &'q [Appended],
) -> Result<PgQuery<'q>, LedgerError> {
    let seqs = appended
        .iter()
        .map(|a| i64::try_from(a.entry.seq).map_err(corrupt))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(query
        .bind(seqs)
        .bind(column(appended, |a| a.canonical.as_str())))
}

/// Whether some entry is not indexed yet.
pub(super) async fn any_pending(pool: &PgPool) -> Result<bool, LedgerError> {
    sqlx::query_scalar(ANY_PENDING)
        .fetch_one(pool)
        .await
        .map_err(storage)
}

/// Indexes the next entries not indexed yet (at most [`crate::audit::INDEX_BATCH`]) inside
/// `conn`'s transaction: the tree's nodes their leaves complete (each leaf hashed from its
/// entry's bytes); their time, actor, principal
/// and action, and their subjects. Indexers racing (replicas, a read catching up) take turns on
/// the index's lock, which readers and appends never wait for, so each entry is indexed (and
/// counted) once. Returns how many.
pub(super) async fn index_batch(conn: &mut PgConnection) -> Result<usize, LedgerError> {
    sqlx::query("LOCK TABLE audit_index IN SHARE ROW EXCLUSIVE MODE")
        .execute(&mut *conn)
        .await
        .map_err(storage)?;
    let rows: Vec<PendingRow> = sqlx::query_as(PENDING)
        .fetch_all(&mut *conn)
        .await
        .map_err(storage)?;
    let edge = nodes(&mut *conn, &edge_before(&rows)).await?;
    let Indexed { facets, nodes } = index(rows, &edge)?;
    let (subjects, subject_seqs): (Vec<&str>, Vec<i64>) = facets
        .iter()
        .flat_map(|f| f.subjects.iter().map(|s| (s.as_str(), f.seq)))
        .unzip();
    let node_indexes = nodes
        .iter()
        .map(|(id, _)| i64::try_from(id.index).map_err(corrupt))
        .collect::<Result<Vec<_>, _>>()?;
    sqlx::query(
        "WITH indexed AS (
             INSERT INTO audit_index (seq, at, actor, principal, action)
             SELECT * FROM unnest($1::BIGINT[], $2::TEXT[], $3::TEXT[], $4::TEXT[], $5::TEXT[])
             ON CONFLICT DO NOTHING),
         tree AS (
             INSERT INTO audit_nodes (level, idx, hash)
             SELECT * FROM unnest($8::SMALLINT[], $9::BIGINT[], $10::BYTEA[])
             ON CONFLICT DO NOTHING)
         INSERT INTO audit_subjects (subject, seq)
         SELECT * FROM unnest($6::TEXT[], $7::BIGINT[]) ON CONFLICT DO NOTHING",
    )
    .bind(column(&facets, |f| f.seq))
    .bind(column(&facets, |f| f.at.as_str()))
    .bind(column(&facets, |f| f.actor.as_str()))
    .bind(column(&facets, |f| f.principal.as_deref()))
    .bind(column(&facets, |f| f.action.as_str()))
    .bind(subjects)
    .bind(subject_seqs)
    .bind(column(&nodes, |(id, _)| i16::from(id.level)))
    .bind(node_indexes)
    .bind(column(&nodes, |(_, hash)| hash.as_slice()))
    .execute(conn)
    .await
    .map_err(storage)?;
    Ok(facets.len())
}

/// Locks the log (the row of `audit_head`) and reads its size.
async fn lock_size(conn: &mut PgConnection) -> Result<u64, Fail> {
    let size: i64 = sqlx::query_scalar("SELECT size FROM audit_head FOR UPDATE")
        .fetch_one(conn)
        .await
        .map_err(db)?;
    Ok(u64::try_from(size).map_err(corrupt)?)
}

/// Stores `appended` and grows the log's size by their number, in one statement.
async fn store(conn: &mut PgConnection, appended: &[Appended]) -> Result<(), Fail> {
    bind_appended(
        sqlx::query(concat!("WITH ", store_entries_ctes!(), " SELECT 1")),
        appended,
    )?
    .execute(conn)
    .await
    .map_err(db)?;
    Ok(())
}

/// Appends `record` inside `conn`'s transaction.
pub(super) async fn append(conn: &mut PgConnection, record: Record) -> Result<Entry, Fail> {
    let mut entries = append_all(conn, vec![record]).await?;
    entries
        .pop()
        .ok_or_else(|| LedgerError::Corrupt("an append returned no entry".into()).into())
}

/// Appends `records`, in order, inside `conn`'s transaction.
pub(super) async fn append_all(
    conn: &mut PgConnection,
    records: Vec<Record>,
) -> Result<Vec<Entry>, Fail> {
    let appended = number(lock_size(&mut *conn).await?, records);
    store(conn, &appended).await?;
    Ok(appended.into_iter().map(|a| a.entry).collect())
}

/// Carries the entries of the hash chain the Merkle log replaced (`audit_log`) over into it, in
/// order, then drops that table; nothing when it is gone. One transaction, under the log's lock
/// (replicas starting together carry it over once).
pub(super) async fn carry_over_chain(pool: &PgPool) -> Result<(), LedgerError> {
    let mut tx = pool.begin().await.map_err(storage)?;
    let size = lock_size(&mut tx).await?;
    let exists: bool = sqlx::query_scalar("SELECT to_regclass('audit_log') IS NOT NULL")
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
    store(&mut tx, &number(size, records)).await?;
    sqlx::query("DROP TABLE audit_log")
        .execute(&mut *tx)
        .await
        .map_err(storage)?;
    tx.commit().await.map_err(storage)
}

/// How many entries are committed.
pub(super) async fn size(pool: &PgPool) -> Result<u64, LedgerError> {
    let size: i64 = sqlx::query_scalar("SELECT size FROM audit_head")
        .fetch_one(pool)
        .await
        .map_err(storage)?;
    u64::try_from(size).map_err(corrupt)
}

/// The log's head as far as it is indexed: its size and the root of the stored nodes' tree.
pub(super) async fn indexed_head(pool: &PgPool) -> Result<AuditHead, LedgerError> {
    let size: i64 = sqlx::query_scalar(INDEXED_SIZE)
        .fetch_one(pool)
        .await
        .map_err(storage)?;
    let size = u64::try_from(size).map_err(corrupt)?;
    let stored = nodes(pool, &range_nodes(0, size)).await?;
    Ok(AuditHead::of(&frontier_of(size, &stored)?))
}

/// The entries `q` asks for.
pub(super) async fn entries(
    pool: &PgPool,
    q: &AuditQuery,
) -> Result<Vec<StoredEntry>, LedgerError> {
    let rows = entries_query::<Postgres>(q)
        .build()
        .fetch_all(pool)
        .await
        .map_err(storage)?;
    rows.iter()
        .map(|r| stored_entry(r.get(0), r.get(1)))
        .collect()
}

/// The stored nodes among `ids`.
pub(super) async fn nodes(
    conn: impl sqlx::PgExecutor<'_>,
    ids: &[NodeId],
) -> Result<HashMap<NodeId, Hash>, LedgerError> {
    let levels: Vec<i16> = ids.iter().map(|id| i16::from(id.level)).collect();
    let indexes = ids
        .iter()
        .map(|id| i64::try_from(id.index).map_err(corrupt))
        .collect::<Result<Vec<_>, _>>()?;
    let rows: Vec<(i16, i64, Vec<u8>)> = sqlx::query_as(
        "SELECT level, idx, hash FROM audit_nodes
         WHERE (level, idx) IN (SELECT * FROM unnest($1::SMALLINT[], $2::BIGINT[]))",
    )
    .bind(levels)
    .bind(indexes)
    .fetch_all(conn)
    .await
    .map_err(storage)?;
    rows.into_iter()
        .map(|(level, index, hash)| node_row(i64::from(level), index, &hash))
        .collect()
}

/// Keeps `checkpoint` unless one of its size is kept.
pub(super) async fn store_checkpoint(
    pool: &PgPool,
    checkpoint: &SignedCheckpoint,
    at: OffsetDateTime,
) -> Result<(), LedgerError> {
    sqlx::query(
        "INSERT INTO audit_checkpoints (size, body, made_at) VALUES ($1, $2, $3)
         ON CONFLICT (size) DO NOTHING",
    )
    .bind(i64::try_from(checkpoint.size).map_err(corrupt)?)
    .bind(encode(checkpoint)?)
    .bind(at.unix_timestamp())
    .execute(pool)
    .await
    .map_err(storage)?;
    Ok(())
}

/// Kept checkpoints, smallest first: all, or the largest only.
pub(super) async fn kept_checkpoints(
    pool: &PgPool,
    latest_only: bool,
) -> Result<Vec<SignedCheckpoint>, LedgerError> {
    let sql = if latest_only {
        LATEST_CHECKPOINT
    } else {
        ALL_CHECKPOINTS
    };
    let bodies: Vec<String> = sqlx::query_scalar(sql)
        .fetch_all(pool)
        .await
        .map_err(storage)?;
    checkpoints(&bodies)
}
