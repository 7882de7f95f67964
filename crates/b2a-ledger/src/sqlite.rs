use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use b2a_audit::{AuditEntry, AuditRecord, Chain};
use b2a_model::{AgentId, Order, OrderId, Quote, QuoteId, Sku};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{Row, Sqlite, Transaction};

use crate::{Ledger, LedgerError, PlaceOrder, Placed, SkuCost, order_placed, quote_created};

const SCHEMA: &str = include_str!("sqlite_schema.sql");

/// The endpoint idempotency keys of order creation are scoped to.
const ORDERS_ENDPOINT: &str = "POST /v1/orders";

/// The embedded ledger: one SQLite file in WAL mode with `synchronous=FULL`.
///
/// Writes go through a pool of one connection and open with `BEGIN IMMEDIATE`, so writers in
/// this process and in other processes on the same file (the CLI beside a running gateway)
/// serialize on SQLite's write lock instead of failing on a stale snapshot. Reads use a
/// separate pool and never block writers.
#[derive(Debug, Clone)]
pub struct SqliteLedger {
    writer: SqlitePool,
    reader: SqlitePool,
}

fn storage(e: sqlx::Error) -> LedgerError {
    LedgerError::Storage(e.to_string())
}

fn corrupt(e: impl std::fmt::Display) -> LedgerError {
    LedgerError::Corrupt(e.to_string())
}

impl SqliteLedger {
    /// Opens (creating if needed) the ledger file at `path` and applies its schema.
    pub async fn open(path: &Path) -> Result<Self, LedgerError> {
        let options = SqliteConnectOptions::from_str("sqlite://")
            .map_err(storage)?
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options.clone())
            .await
            .map_err(storage)?;
        sqlx::raw_sql(SCHEMA)
            .execute(&writer)
            .await
            .map_err(storage)?;
        let reader = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options.read_only(true))
            .await
            .map_err(storage)?;
        Ok(Self { writer, reader })
    }

    /// The JSON body of the row `id` if it belongs to `agent` (quotes and orders are scoped to
    /// the agent they were made for).
    async fn owned_body<T: serde::de::DeserializeOwned>(
        &self,
        sql: &'static str,
        id: &str,
        agent: &AgentId,
    ) -> Result<Option<T>, LedgerError> {
        let row = sqlx::query(sql)
            .bind(id)
            .bind(agent.as_str())
            .fetch_optional(&self.reader)
            .await
            .map_err(storage)?;
        row.map(|r| decode(r.get::<&str, _>(0))).transpose()
    }

    async fn begin(&self) -> Result<Transaction<'static, Sqlite>, LedgerError> {
        self.writer
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(storage)
    }
}

/// Appends `record` to the audit chain inside `tx`.
async fn append(
    tx: &mut Transaction<'static, Sqlite>,
    record: AuditRecord,
) -> Result<AuditEntry, LedgerError> {
    let tip = sqlx::query("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
        .fetch_optional(&mut **tx)
        .await
        .map_err(storage)?;
    let mut chain = match tip {
        Some(row) => {
            let seq: i64 = row.get(0);
            let hash: String = row.get(1);
            Chain::after(u64::try_from(seq).map_err(corrupt)?, &hash).map_err(corrupt)?
        }
        None => Chain::genesis(),
    };
    let entry = chain.append(record);
    let r = &entry.record;
    sqlx::query(
        "INSERT INTO audit_log (seq, at, actor, credential, action, subject, details, prev_hash, hash)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(i64::try_from(entry.seq).map_err(corrupt)?)
    .bind(&r.at)
    .bind(&r.actor)
    .bind(&r.credential)
    .bind(&r.action)
    .bind(&r.subject)
    .bind(r.details.to_string())
    .bind(&entry.prev_hash)
    .bind(&entry.hash)
    .execute(&mut **tx)
    .await
    .map_err(storage)?;
    Ok(entry)
}

fn decode<T: serde::de::DeserializeOwned>(body: &str) -> Result<T, LedgerError> {
    serde_json::from_str(body).map_err(corrupt)
}

fn encode<T: serde::Serialize>(value: &T) -> Result<String, LedgerError> {
    serde_json::to_string(value).map_err(corrupt)
}

#[async_trait]
impl Ledger for SqliteLedger {
    async fn seed_stock(&self, levels: &[(Sku, u32)]) -> Result<u64, LedgerError> {
        let mut tx = self.begin().await?;
        let mut inserted = 0;
        for (sku, on_hand) in levels {
            inserted += sqlx::query("INSERT OR IGNORE INTO stock (sku, on_hand) VALUES (?, ?)")
                .bind(sku.as_str())
                .bind(i64::from(*on_hand))
                .execute(&mut *tx)
                .await
                .map_err(storage)?
                .rows_affected();
        }
        tx.commit().await.map_err(storage)?;
        Ok(inserted)
    }

    async fn seed_costs(&self, costs: &[SkuCost]) -> Result<(), LedgerError> {
        let mut tx = self.begin().await?;
        for c in costs {
            sqlx::query(
                "INSERT OR REPLACE INTO sku_costs (sku, cost_minor, floor_minor, currency)
                 VALUES (?, ?, ?, ?)",
            )
            .bind(c.sku.as_str())
            .bind(c.cost.amount())
            .bind(c.floor.amount())
            .bind(c.cost.currency().code())
            .execute(&mut *tx)
            .await
            .map_err(storage)?;
        }
        tx.commit().await.map_err(storage)
    }

    async fn stock(&self, sku: &Sku) -> Result<Option<u32>, LedgerError> {
        let row = sqlx::query("SELECT on_hand FROM stock WHERE sku = ?")
            .bind(sku.as_str())
            .fetch_optional(&self.reader)
            .await
            .map_err(storage)?;
        row.map(|r| u32::try_from(r.get::<i64, _>(0)).map_err(corrupt))
            .transpose()
    }

    async fn create_quote(&self, quote: &Quote, credential: &str) -> Result<(), LedgerError> {
        let mut tx = self.begin().await?;
        sqlx::query("INSERT INTO quotes (id, agent, body, expires_at) VALUES (?, ?, ?, ?)")
            .bind(quote.id.as_str())
            .bind(quote.agent.as_str())
            .bind(encode(quote)?)
            .bind(quote.expires_at.unix_timestamp())
            .execute(&mut *tx)
            .await
            .map_err(storage)?;
        append(&mut tx, quote_created(quote, credential)).await?;
        tx.commit().await.map_err(storage)
    }

    async fn quote(&self, id: &QuoteId, agent: &AgentId) -> Result<Option<Quote>, LedgerError> {
        self.owned_body(
            "SELECT body FROM quotes WHERE id = ? AND agent = ?",
            id.as_str(),
            agent,
        )
        .await
    }

    async fn place_order(&self, cmd: &PlaceOrder) -> Result<Placed, LedgerError> {
        let mut tx = self.begin().await?;

        // 1. The idempotency key: a replay returns the original order, unchanged.
        let seen = sqlx::query(
            "SELECT fingerprint, order_id FROM idempotency_keys
             WHERE agent = ? AND endpoint = ? AND key = ?",
        )
        .bind(cmd.agent.as_str())
        .bind(ORDERS_ENDPOINT)
        .bind(&cmd.idempotency_key)
        .fetch_optional(&mut *tx)
        .await
        .map_err(storage)?;
        if let Some(row) = seen {
            if row.get::<&str, _>(0) != cmd.fingerprint {
                return Err(LedgerError::IdempotencyMismatch);
            }
            let order_id: String = row.get(1);
            let body: String = sqlx::query_scalar("SELECT body FROM orders WHERE id = ?")
                .bind(&order_id)
                .fetch_one(&mut *tx)
                .await
                .map_err(storage)?;
            return Ok(Placed {
                order: decode(&body)?,
                replayed: true,
            });
        }

        // 2. The quote: made to this agent, not expired, not ordered yet.
        let row = sqlx::query("SELECT body, order_id FROM quotes WHERE id = ? AND agent = ?")
            .bind(cmd.quote_id.as_str())
            .bind(cmd.agent.as_str())
            .fetch_optional(&mut *tx)
            .await
            .map_err(storage)?
            .ok_or_else(|| LedgerError::QuoteNotFound(cmd.quote_id.clone()))?;
        if let Some(order) = row.get::<Option<String>, _>(1) {
            return Err(LedgerError::QuoteAlreadyOrdered {
                quote: cmd.quote_id.clone(),
                order: OrderId::parse(order).map_err(corrupt)?,
            });
        }
        let quote: Quote = decode(row.get::<&str, _>(0))?;
        if quote.expires_at <= cmd.now {
            return Err(LedgerError::QuoteExpired(quote.id));
        }

        // 3. Stock: a conditional decrement per line; any shortfall rolls everything back.
        for line in &quote.lines {
            let wanted = i64::from(line.quantity.get());
            let done = sqlx::query(
                "UPDATE stock SET on_hand = on_hand - ? WHERE sku = ? AND on_hand >= ?",
            )
            .bind(wanted)
            .bind(line.sku.as_str())
            .bind(wanted)
            .execute(&mut *tx)
            .await
            .map_err(storage)?
            .rows_affected();
            if done == 0 {
                let available: Option<i64> =
                    sqlx::query_scalar("SELECT on_hand FROM stock WHERE sku = ?")
                        .bind(line.sku.as_str())
                        .fetch_optional(&mut *tx)
                        .await
                        .map_err(storage)?;
                return Err(match available {
                    None => LedgerError::UnknownSku(line.sku.clone()),
                    Some(n) => LedgerError::InsufficientStock {
                        sku: line.sku.clone(),
                        available: u32::try_from(n).map_err(corrupt)?,
                        requested: line.quantity.get(),
                    },
                });
            }
        }

        // 4. The order, the key, the quote's link and the audit entry, in one commit.
        let order = Order::from_quote(quote, OrderId::generate(), cmd.now);
        sqlx::query(
            "INSERT INTO orders (id, agent, quote_id, status, body, created_at) VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(order.id.as_str())
        .bind(order.agent.as_str())
        .bind(order.quote_id.as_str())
        .bind(order.status.as_str())
        .bind(encode(&order)?)
        .bind(order.created_at.unix_timestamp())
        .execute(&mut *tx)
        .await
        .map_err(storage)?;
        sqlx::query("UPDATE quotes SET order_id = ? WHERE id = ?")
            .bind(order.id.as_str())
            .bind(order.quote_id.as_str())
            .execute(&mut *tx)
            .await
            .map_err(storage)?;
        sqlx::query(
            "INSERT INTO idempotency_keys (agent, endpoint, key, fingerprint, order_id, created_at)
             VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(cmd.agent.as_str())
        .bind(ORDERS_ENDPOINT)
        .bind(&cmd.idempotency_key)
        .bind(&cmd.fingerprint)
        .bind(order.id.as_str())
        .bind(cmd.now.unix_timestamp())
        .execute(&mut *tx)
        .await
        .map_err(storage)?;
        append(&mut tx, order_placed(&order, &cmd.credential)).await?;
        tx.commit().await.map_err(storage)?;
        Ok(Placed {
            order,
            replayed: false,
        })
    }

    async fn order(&self, id: &OrderId, agent: &AgentId) -> Result<Option<Order>, LedgerError> {
        self.owned_body(
            "SELECT body FROM orders WHERE id = ? AND agent = ?",
            id.as_str(),
            agent,
        )
        .await
    }

    async fn append_audit(&self, record: AuditRecord) -> Result<AuditEntry, LedgerError> {
        let mut tx = self.begin().await?;
        let entry = append(&mut tx, record).await?;
        tx.commit().await.map_err(storage)?;
        Ok(entry)
    }

    async fn audit_entries(&self, after: u64, limit: u32) -> Result<Vec<AuditEntry>, LedgerError> {
        let rows = sqlx::query(
            "SELECT seq, at, actor, credential, action, subject, details, prev_hash, hash
             FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ?",
        )
        .bind(i64::try_from(after).unwrap_or(i64::MAX))
        .bind(i64::from(limit))
        .fetch_all(&self.reader)
        .await
        .map_err(storage)?;
        rows.into_iter()
            .map(|r| {
                Ok(AuditEntry {
                    seq: u64::try_from(r.get::<i64, _>(0)).map_err(corrupt)?,
                    record: AuditRecord {
                        at: r.get(1),
                        actor: r.get(2),
                        credential: r.get(3),
                        action: r.get(4),
                        subject: r.get(5),
                        details: decode(r.get::<&str, _>(6))?,
                    },
                    prev_hash: r.get(7),
                    hash: r.get(8),
                })
            })
            .collect()
    }

    async fn order_count(&self) -> Result<u64, LedgerError> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM orders")
            .fetch_one(&self.reader)
            .await
            .map_err(storage)?;
        u64::try_from(n).map_err(corrupt)
    }
}
