//! Stock levels and costs: tables `stock` and `sku_costs`.

use async_trait::async_trait;
use b2a_model::Sku;
use time::OffsetDateTime;

use super::SqlLedger;
use crate::codec::corrupt;
use crate::engine::{Engine, retrying};
use crate::records::stock_set;
use crate::sql::{Conn, Fail, Lock, Stmt, chunks, values};
use crate::{Actor, Inventory, LedgerError, SkuCost};

#[async_trait]
impl<E: Engine> Inventory for SqlLedger<E> {
    async fn seed_stock(&self, levels: &[(Sku, u32)]) -> Result<u64, LedgerError> {
        // In SKU order, so that two seeds at once cannot deadlock; the first level of a SKU
        // named twice is the one inserted.
        let mut sorted: Vec<&(Sku, u32)> = levels.iter().collect();
        sorted.sort_by(|a, b| a.0.as_str().cmp(b.0.as_str()));
        sorted.dedup_by(|b, a| a.0 == b.0);
        retrying(E::ATTEMPTS, || async {
            let mut tx = self.engine.begin().await?;
            let mut inserted = 0;
            for rows in chunks(&sorted, 2) {
                let sql = format!(
                    "INSERT INTO stock (sku, on_hand) VALUES {} ON CONFLICT (sku) DO NOTHING",
                    values(1, rows.len(), 2)
                );
                let mut s = Stmt::new(sql);
                for (sku, on_hand) in rows {
                    s = s.bind(sku.as_str()).bind(i64::from(*on_hand));
                }
                inserted += tx.execute(s).await?;
            }
            self.engine.commit(tx).await?;
            Ok(inserted)
        })
        .await
    }

    async fn seed_costs(&self, costs: &[SkuCost]) -> Result<(), LedgerError> {
        // In SKU order; of two costs of one SKU, the later wins.
        let mut sorted: Vec<&SkuCost> = costs.iter().rev().collect();
        sorted.sort_by(|a, b| a.sku.as_str().cmp(b.sku.as_str()));
        sorted.dedup_by(|b, a| a.sku == b.sku);
        retrying(E::ATTEMPTS, || async {
            let mut tx = self.engine.begin().await?;
            for rows in chunks(&sorted, 4) {
                let sql = format!(
                    "INSERT INTO sku_costs (sku, cost_minor, floor_minor, currency) VALUES {}
                     ON CONFLICT (sku) DO UPDATE SET cost_minor = excluded.cost_minor,
                         floor_minor = excluded.floor_minor, currency = excluded.currency",
                    values(1, rows.len(), 4)
                );
                let mut s = Stmt::new(sql);
                for c in rows {
                    s = s
                        .bind(c.sku.as_str())
                        .bind(c.cost.amount())
                        .bind(c.floor.amount())
                        .bind(c.cost.currency().code());
                }
                tx.execute(s).await?;
            }
            self.engine.commit(tx).await
        })
        .await
    }

    async fn stock(&self, sku: &Sku) -> Result<Option<u32>, LedgerError> {
        let mut conn = self.engine.read().await?;
        let row = conn
            .fetch_optional(
                Stmt::new("SELECT on_hand FROM stock WHERE sku = $1").bind(sku.as_str()),
            )
            .await?;
        row.map(|r| u32::try_from(r.int(0)?).map_err(corrupt))
            .transpose()
    }

    async fn set_stock(
        &self,
        levels: &[(Sku, u32)],
        by: &Actor,
        now: OffsetDateTime,
    ) -> Result<u64, LedgerError> {
        let mut skus: Vec<&str> = levels.iter().map(|(s, _)| s.as_str()).collect();
        skus.sort_unstable();
        skus.dedup();
        retrying(E::ATTEMPTS, || async {
            let mut tx = self.engine.begin().await?;
            tx.lock(Lock::Stock(&skus)).await?;
            let mut records = Vec::new();
            for (sku, level) in levels {
                let before = set_level(&mut *tx, sku, *level).await?;
                if before != Some(*level) {
                    records.push(stock_set(sku, before, *level, by, now));
                }
            }
            let changed = records.len() as u64;
            tx.append(records).await?;
            self.engine.commit(tx).await?;
            Ok(changed)
        })
        .await
    }
}

/// Sets the level of one SKU; returns the level before (`None`: it was not stocked). Where rows
/// are locked, a SKU another transaction creates meanwhile is waited for, and its level read as
/// the level before.
async fn set_level(conn: &mut dyn Conn, sku: &Sku, level: u32) -> Result<Option<u32>, Fail> {
    let created = conn
        .execute(
            Stmt::new(
                "INSERT INTO stock (sku, on_hand) VALUES ($1, $2) ON CONFLICT (sku) DO NOTHING",
            )
            .bind(sku.as_str())
            .bind(i64::from(level)),
        )
        .await?;
    if created == 1 {
        return Ok(None);
    }
    let before = conn
        .fetch_one(
            Stmt::new("SELECT on_hand FROM stock WHERE sku = $1")
                .bind(sku.as_str())
                .for_update("FOR UPDATE"),
        )
        .await?
        .int(0)?;
    conn.execute(
        Stmt::new("UPDATE stock SET on_hand = $1 WHERE sku = $2")
            .bind(i64::from(level))
            .bind(sku.as_str()),
    )
    .await?;
    Ok(Some(u32::try_from(before).map_err(corrupt)?))
}
