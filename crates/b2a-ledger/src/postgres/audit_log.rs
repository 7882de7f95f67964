//! The audit log's tables (`audit_entries`, `audit_nodes`, `audit_checkpoints`, migration 5;
//! `audit_index`, `audit_subjects`, migration 7; the log's size on `audit_head`, migration 9):
//! appends, inside the transaction of the write they record; the tree's nodes and the index of
//! what auditors filter by, after the fact; the auditor's reads.
//!
//! Appends are serialized by the one row of `audit_head`, locked by the statement that reads the
//! log's size on it (a row locked after waiting is read in its newest version), as late in its
//! transaction as the writer can.

use b2a_audit::entry::Appended;
use sqlx::postgres::PgArguments;
use sqlx::{PgConnection, Postgres};

use super::{column, storage};
use crate::LedgerError;
use crate::audit::{Indexed, PENDING, PendingRow, edge_before, index};
use crate::codec::corrupt;
use crate::sql::{Fail, failure as db};
use crate::store::nodes;

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

/// Indexes the next entries not indexed yet (at most [`crate::audit::INDEX_BATCH`]) inside
/// `conn`'s transaction: the tree's nodes their leaves complete (each leaf hashed from its
/// entry's bytes); their time, actor, principal
/// and action, and their subjects. Indexers racing (replicas, a read catching up) take turns on
/// the index's lock, which readers and appends never wait for, so each entry is indexed (and
/// counted) once. Returns how many.
pub(crate) async fn index_batch(conn: &mut PgConnection) -> Result<usize, LedgerError> {
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
pub(crate) async fn lock_size(conn: &mut PgConnection) -> Result<u64, Fail> {
    let size: i64 = sqlx::query_scalar("SELECT size FROM audit_head FOR UPDATE")
        .fetch_one(conn)
        .await
        .map_err(db)?;
    Ok(u64::try_from(size).map_err(corrupt)?)
}

/// Stores `appended` and grows the log's size by their number, in one statement.
pub(crate) async fn store(conn: &mut PgConnection, appended: &[Appended]) -> Result<(), Fail> {
    bind_appended(
        sqlx::query(concat!("WITH ", store_entries_ctes!(), " SELECT 1")),
        appended,
    )?
    .execute(conn)
    .await
    .map_err(db)?;
    Ok(())
}

/// How many entries are committed.
pub(crate) async fn size(conn: &mut PgConnection) -> Result<u64, LedgerError> {
    let size: i64 = sqlx::query_scalar("SELECT size FROM audit_head")
        .fetch_one(conn)
        .await
        .map_err(storage)?;
    u64::try_from(size).map_err(corrupt)
}
