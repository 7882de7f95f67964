//! The audit log as auditors read it (tables `audit_entries`, `audit_index`, `audit_subjects`,
//! `audit_nodes`, `audit_checkpoints`): entries by filter, the tree's nodes and head, the signed
//! checkpoints. Appending and indexing are the engine's (`crate::engine`).

use std::collections::HashMap;

use async_trait::async_trait;
use b2a_audit::checkpoint::SignedCheckpoint;
use b2a_audit::entry::{Entry, Record};
use b2a_audit::merkle::{Hash, NodeId, range_nodes};
use time::OffsetDateTime;

use super::SqlLedger;
use super::orders::{bodies, body};
use crate::audit::{
    ANY_PENDING, AuditHead, AuditQuery, INDEXED_SIZE, StoredEntry, carried_over, frontier_of,
    index_pending, node_row, time_bound,
};
use crate::codec::{corrupt, encode};
use crate::engine::{Engine, retrying};
use crate::sql::{Arg, Conn, Lock, Stmt, chunks, values};
use crate::{AuditStore, LedgerError};

#[async_trait]
impl<E: Engine> AuditStore for SqlLedger<E> {
    async fn append_audit(&self, record: Record) -> Result<Entry, LedgerError> {
        let mut entries = self.append_audit_all(vec![record]).await?;
        entries
            .pop()
            .ok_or_else(|| LedgerError::Corrupt("an append returned no entry".into()))
    }

    async fn append_audit_all(&self, records: Vec<Record>) -> Result<Vec<Entry>, LedgerError> {
        retrying(E::ATTEMPTS, || async {
            let mut tx = self.engine.begin().await?;
            let entries = tx.append(records.clone()).await?;
            self.engine.commit(tx).await?;
            Ok(entries)
        })
        .await
    }

    async fn audit_entries(&self, query: &AuditQuery) -> Result<Vec<StoredEntry>, LedgerError> {
        if query.is_filtered() {
            self.index_audit().await?;
        }
        let mut conn = self.engine.read().await?;
        conn.fetch_all(entries(query))
            .await?
            .iter()
            .map(|r| {
                Ok(StoredEntry {
                    seq: r.count(0)?,
                    body: r.text(1)?.to_owned(),
                })
            })
            .collect()
    }

    async fn index_audit(&self) -> Result<u64, LedgerError> {
        let pending = self
            .engine
            .read()
            .await?
            .fetch_one(Stmt::new(ANY_PENDING))
            .await?
            .boolean(0)?;
        index_pending(pending, || async {
            let mut tx = self.engine.begin().await?;
            let n = tx.index_audit().await?;
            self.engine.commit(tx).await?;
            Ok(n)
        })
        .await
    }

    async fn audit_head(&self) -> Result<AuditHead, LedgerError> {
        self.index_audit().await?;
        let mut conn = self.engine.read().await?;
        let size = conn.fetch_one(Stmt::new(INDEXED_SIZE)).await?.count(0)?;
        let stored = nodes(&mut *conn, &range_nodes(0, size)).await?;
        Ok(AuditHead::of(&frontier_of(size, &stored)?))
    }

    async fn audit_size(&self) -> Result<u64, LedgerError> {
        let mut conn = self.engine.read().await?;
        Ok(conn.audit_size().await?)
    }

    async fn audit_nodes(&self, ids: &[NodeId]) -> Result<HashMap<NodeId, Hash>, LedgerError> {
        let found = nodes(&mut *self.engine.read().await?, ids).await?;
        // Nodes the newest entries complete are stored when those are indexed.
        if found.len() >= ids.len() || self.index_audit().await? == 0 {
            return Ok(found);
        }
        nodes(&mut *self.engine.read().await?, ids).await
    }

    async fn store_checkpoint(
        &self,
        checkpoint: &SignedCheckpoint,
        at: OffsetDateTime,
    ) -> Result<(), LedgerError> {
        retrying(E::ATTEMPTS, || async {
            let mut tx = self.engine.begin().await?;
            tx.execute(
                Stmt::new(
                    "INSERT INTO audit_checkpoints (size, body, made_at) VALUES ($1, $2, $3)
                     ON CONFLICT (size) DO NOTHING",
                )
                .bind(i64::try_from(checkpoint.size).map_err(corrupt)?)
                .bind(encode(checkpoint)?)
                .bind(at.unix_timestamp()),
            )
            .await?;
            self.engine.commit(tx).await
        })
        .await
    }

    async fn checkpoints(&self) -> Result<Vec<SignedCheckpoint>, LedgerError> {
        let s = Stmt::new("SELECT body FROM audit_checkpoints ORDER BY size");
        bodies(&mut *self.engine.read().await?, s).await
    }

    async fn latest_checkpoint(&self) -> Result<Option<SignedCheckpoint>, LedgerError> {
        let s = Stmt::new("SELECT body FROM audit_checkpoints ORDER BY size DESC LIMIT 1");
        body(&mut *self.engine.read().await?, s).await
    }
}

/// The stored nodes among `ids`.
pub(crate) async fn nodes(
    conn: &mut dyn Conn,
    ids: &[NodeId],
) -> Result<HashMap<NodeId, Hash>, LedgerError> {
    let mut found = HashMap::with_capacity(ids.len());
    for part in chunks(ids, 2) {
        let sql = format!(
            "SELECT n.level, n.idx, n.hash FROM (VALUES {}) AS w
             JOIN audit_nodes n ON n.level = w.column1 AND n.idx = w.column2",
            values(1, part.len(), 2)
        );
        let mut s = Stmt::new(sql);
        for id in part {
            s = s
                .bind(i64::from(id.level))
                .bind(i64::try_from(id.index).map_err(corrupt)?);
        }
        for r in conn.fetch_all(s).await? {
            let (id, hash) = node_row(r.int(0)?, r.int(1)?, r.bytes(2)?)?;
            found.insert(id, hash);
        }
    }
    Ok(found)
}

/// The statement of `q` (`SELECT seq, body FROM audit_entries …`): only the filters given, so
/// that each uses its index (`audit_index`, `audit_subjects`: complete up to the head once the
/// pending entries are indexed).
fn entries(q: &AuditQuery) -> Stmt<'static> {
    let mut sql = String::from(if q.is_filtered() {
        "SELECT seq, e.body FROM audit_index JOIN audit_entries e USING (seq) WHERE seq >= $1"
    } else {
        "SELECT seq, body FROM audit_entries WHERE seq >= $1"
    });
    let mut args: Vec<Arg<'static>> = vec![i64::try_from(q.from_seq).unwrap_or(i64::MAX).into()];
    let mut bind = |sql: &mut String, text: &str, value: Arg<'static>| {
        args.push(value);
        sql.push_str(&text.replace('?', &format!("${}", args.len())));
    };
    if let Some(agent) = &q.agent {
        bind(&mut sql, " AND (actor = ?", format!("agent:{agent}").into());
        bind(
            &mut sql,
            " OR seq IN (SELECT seq FROM audit_subjects WHERE subject = ?))",
            agent.clone().into(),
        );
    }
    if let Some(principal) = &q.principal {
        bind(&mut sql, " AND principal = ?", principal.clone().into());
    }
    if let Some(subject) = &q.subject {
        bind(
            &mut sql,
            " AND seq IN (SELECT seq FROM audit_subjects WHERE subject = ?)",
            subject.clone().into(),
        );
    }
    if let Some(action) = &q.action {
        bind(&mut sql, " AND action = ?", action.clone().into());
    }
    if let Some(since) = q.since {
        bind(&mut sql, " AND at >= ?", time_bound(since).into());
    }
    if let Some(until) = q.until {
        bind(&mut sql, " AND at < ?", time_bound(until).into());
    }
    bind(&mut sql, " ORDER BY seq LIMIT ?", i64::from(q.limit).into());
    Stmt::new(sql).bind_all(args)
}

/// Carries the entries of the hash chain the Merkle log replaced (table `audit_log`) over into
/// the log, in order, then drops that table; nothing when it is gone (`E::LEGACY_CHAIN` says). One
/// transaction, under the log's lock (replicas starting together carry it over once).
pub(crate) async fn carry_over_chain<E: Engine>(engine: &E) -> Result<(), LedgerError> {
    let mut tx = engine.begin().await?;
    tx.lock(Lock::AuditLog).await?;
    if !tx.fetch_one(Stmt::new(E::LEGACY_CHAIN)).await?.boolean(0)? {
        return Ok(());
    }
    let rows = tx
        .fetch_all(Stmt::new(
            "SELECT at, actor, credential, action, subject, details FROM audit_log ORDER BY seq",
        ))
        .await?;
    let records = rows
        .iter()
        .map(|r| {
            let text = |i| r.text(i).map(str::to_owned);
            carried_over((text(0)?, text(1)?, text(2)?, text(3)?, text(4)?, text(5)?))
        })
        .collect::<Result<Vec<_>, LedgerError>>()?;
    tx.append(records).await?;
    tx.execute(Stmt::new("DROP TABLE audit_log")).await?;
    Ok(engine.commit(tx).await?)
}
