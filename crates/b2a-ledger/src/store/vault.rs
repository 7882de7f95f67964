//! Personal data: the vault's keys and rows (tables `vault_keys`, `vault`), access, erasure and
//! retention.

use async_trait::async_trait;
use b2a_model::{Order, OrderId, OrderStatus, Principal};
use b2a_orders::lifecycle::CLOSED;
use time::OffsetDateTime;

use super::SqlLedger;
use super::orders::{bodies, body};
use crate::codec::corrupt;
use crate::engine::{Engine, retrying};
use crate::records::{privacy_erased, privacy_purged};
use crate::sql::{Conn, Stmt, chunks, list};
use crate::{Actor, Erasure, LedgerError, Vault};

#[async_trait]
impl<E: Engine> Vault for SqlLedger<E> {
    async fn vault_key(&self, owner: &str, candidate: &[u8]) -> Result<Vec<u8>, LedgerError> {
        if let Some(key) = self.stored_vault_key(owner).await? {
            return Ok(key);
        }
        retrying(E::ATTEMPTS, || async {
            let mut tx = self.engine.begin().await?;
            // Of two callers at once, the second waits for the first's row and keeps it.
            tx.execute(
                Stmt::new(
                    "INSERT INTO vault_keys (owner, key, created_at) VALUES ($1, $2, $3)
                     ON CONFLICT (owner) DO NOTHING",
                )
                .bind(owner)
                .bind(candidate)
                .bind(OffsetDateTime::now_utc().unix_timestamp()),
            )
            .await?;
            let key = stored_key(&mut *tx, owner).await?.ok_or_else(|| {
                LedgerError::Storage(format!("the vault key of {owner} was erased meanwhile"))
            })?;
            self.engine.commit(tx).await?;
            Ok(key)
        })
        .await
    }

    async fn stored_vault_key(&self, owner: &str) -> Result<Option<Vec<u8>>, LedgerError> {
        stored_key(&mut *self.engine.read().await?, owner).await
    }

    async fn fulfilment(&self, id: &OrderId) -> Result<Option<serde_json::Value>, LedgerError> {
        let s = Stmt::new(
            "SELECT v.body FROM vault v JOIN orders o ON o.fulfilment_ref = v.ref WHERE o.id = $1",
        )
        .bind(id.as_str());
        body(&mut *self.engine.read().await?, s).await
    }

    async fn orders_of_principal(
        &self,
        principal: &Principal,
        limit: u32,
    ) -> Result<Vec<Order>, LedgerError> {
        let s = Stmt::new(
            "SELECT body FROM orders WHERE principal = $1 ORDER BY created_at, id LIMIT $2",
        )
        .bind(principal.as_str())
        .bind(i64::from(limit));
        bodies(&mut *self.engine.read().await?, s).await
    }

    async fn erase_principal(
        &self,
        principal: &Principal,
        by: &Actor,
        now: OffsetDateTime,
    ) -> Result<Erasure, LedgerError> {
        retrying(E::ATTEMPTS, || async {
            let mut tx = self.engine.begin().await?;
            let keys = tx
                .execute(
                    Stmt::new("DELETE FROM vault_keys WHERE owner = $1").bind(principal.as_str()),
                )
                .await?;
            let rows = tx
                .execute(
                    Stmt::new("DELETE FROM vault WHERE principal = $1").bind(principal.as_str()),
                )
                .await?;
            let erased = Erasure {
                vault_records: rows,
                key_destroyed: keys > 0,
            };
            tx.append(vec![privacy_erased(principal, &erased, by, now)])
                .await?;
            self.engine.commit(tx).await?;
            Ok(erased)
        })
        .await
    }

    async fn purge_personal_data(
        &self,
        closed_before: OffsetDateTime,
        by: &Actor,
        now: OffsetDateTime,
    ) -> Result<Vec<OrderId>, LedgerError> {
        retrying(E::ATTEMPTS, || async {
            let mut tx = self.engine.begin().await?;
            // The vault rows due, locked where rows are; an order moving meanwhile is purged
            // next time.
            let due = tx
                .fetch_all(
                    Stmt::new(format!(
                        "SELECT o.id, v.ref FROM orders o JOIN vault v ON v.ref = o.fulfilment_ref
                         WHERE o.status IN ({})
                           AND (SELECT MAX(e.at) FROM order_events e WHERE e.order_id = o.id) < $1
                         ORDER BY o.id",
                        list(2, CLOSED.len())
                    ))
                    .bind(closed_before.unix_timestamp())
                    .bind_all(CLOSED.map(OrderStatus::as_str))
                    .for_update("FOR UPDATE OF v"),
                )
                .await?;
            let mut purged = Vec::with_capacity(due.len());
            let mut refs = Vec::with_capacity(due.len());
            for row in &due {
                purged.push(OrderId::parse(row.text(0)?).map_err(corrupt)?);
                refs.push(row.text(1)?);
            }
            for part in chunks(&refs, 1) {
                tx.execute(
                    Stmt::new(format!(
                        "DELETE FROM vault WHERE ref IN ({})",
                        list(1, part.len())
                    ))
                    .bind_all(part.iter().copied()),
                )
                .await?;
            }
            let records = purged
                .iter()
                .map(|id| privacy_purged(id.as_str(), closed_before, by, now))
                .collect();
            tx.append(records).await?;
            self.engine.commit(tx).await?;
            Ok(purged)
        })
        .await
    }
}

/// The stored vault key of `owner`.
async fn stored_key(conn: &mut dyn Conn, owner: &str) -> Result<Option<Vec<u8>>, LedgerError> {
    let row = conn
        .fetch_optional(Stmt::new("SELECT key FROM vault_keys WHERE owner = $1").bind(owner))
        .await?;
    row.map(|r| Ok(r.bytes(0)?.to_vec())).transpose()
}
