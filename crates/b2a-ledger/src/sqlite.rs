mod audit_log;
mod grant_rows;
mod marker;
mod offers;
mod orders;
mod placing;
mod registry;
mod script;

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use self::audit_log::append;
use async_trait::async_trait;
use b2a_audit::checkpoint::SignedCheckpoint;
use b2a_audit::entry::{Entry, Record};
use b2a_audit::merkle::{Hash, NodeId};
use b2a_model::{AgentId, Order, OrderId, Principal, Quote, QuoteId, Sku};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{Row, Sqlite, Transaction};
use time::OffsetDateTime;

use self::marker::TrustMarker;
use crate::codec::{corrupt, decode, encode, instant};
use crate::group_commit::OrderWriter;
use crate::records::{
    agent_registered, agent_status_changed, grant_recorded, grant_revoked, policy_changed,
    privacy_erased, privacy_purged, stock_set,
};
use crate::{
    Acceptance, Actor, AgentRecord, AgentStatus, AuditHead, AuditQuery, Erasure, GrantRecord,
    GrantState, Ledger, LedgerError, NewQuote, OrderChange, OrderEvent, PlaceOrder, Placed,
    PricingSignals, QuoteRecord, Revision, SkuCost, StoredEntry, StoredPolicy, TrustSnapshot,
};
use b2a_orders::lifecycle::delivered_at;
use b2a_orders::records::quote_created;

/// The endpoint idempotency keys of order creation are scoped to.
const ORDERS_ENDPOINT: &str = "POST /v1/orders";

/// The embedded ledger: one SQLite file in WAL mode with `synchronous=FULL`.
///
/// Writes go through a pool of one connection and open with `BEGIN IMMEDIATE`, so writers in
/// this process and in other processes on the same file (the CLI beside a running gateway)
/// serialize on SQLite's write lock instead of failing on a stale snapshot. Reads use a
/// separate pool and never block writers. Orders are placed by one task that commits together
/// the orders waiting for it (group commit, `group_commit.rs`): one fsync for many
/// orders. Opening the ledger therefore needs a Tokio runtime, which runs that task.
///
/// Grants and their spend live in the same file, so the limits of a grant are checked and its
/// spend recorded in the order's own transaction: concurrent orders, from this process or
/// another, can never overspend a budget.
///
/// Trust changes (a revocation, a suspension or a reactivation) are also announced in a marker
/// file beside the ledger, `<ledger path>-trust` (owner-only): one byte is appended to it after
/// each such commit, by whichever process committed it. [`Ledger::trust_stamp`] is the marker's
/// length — one `stat`, cheap enough for every request — so a gateway notices at its next request
/// a revocation the CLI committed beside it, and reloads [`Ledger::trust_snapshot`]. Read the
/// stamp before the snapshot, never after.
///
/// Times of agents and grants are kept to the second (a token's `iat` and `exp` are).
#[derive(Debug, Clone)]
pub struct SqliteLedger {
    writer: SqlitePool,
    reader: SqlitePool,
    marker: TrustMarker,
    orders: OrderWriter,
}

fn storage(e: sqlx::Error) -> LedgerError {
    LedgerError::Storage(e.to_string())
}

impl SqliteLedger {
    /// Opens (creating if needed) the ledger file at `path` and applies the migrations it lacks.
    pub async fn open(path: &Path) -> Result<Self, LedgerError> {
        let options = SqliteConnectOptions::from_str("sqlite://")
            .map_err(storage)?
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10))
            // 64 MiB of page cache per connection (SQLite's default is 2 MiB): the indexes of a
            // large audit log and order table are written at scattered pages, which then need
            // no read from the file.
            .pragma("cache_size", "-65536");
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options.clone())
            .await
            .map_err(storage)?;
        crate::migrations::sqlite()
            .run(&writer)
            .await
            .map_err(|e| LedgerError::Storage(format!("migrating the ledger schema: {e}")))?;
        audit_log::carry_over_chain(&writer).await?;
        let reader = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options.read_only(true))
            .await
            .map_err(storage)?;
        let marker = TrustMarker::beside(path)?;
        Ok(Self {
            orders: OrderWriter::start(placing::Batches(writer.clone())),
            writer,
            reader,
            marker,
        })
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

    /// A connection of the read pool.
    async fn read(&self) -> Result<sqlx::pool::PoolConnection<Sqlite>, LedgerError> {
        self.reader.acquire().await.map_err(storage)
    }

    /// Commits a revocation, suspension or reactivation, then announces it to every process.
    async fn commit_trust_change(
        &self,
        tx: Transaction<'static, Sqlite>,
    ) -> Result<(), LedgerError> {
        tx.commit().await.map_err(storage)?;
        self.marker.bump()
    }
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

    async fn create_quote(&self, new: NewQuote<'_>) -> Result<(), LedgerError> {
        let quote = new.quote;
        let mut tx = self.begin().await?;
        sqlx::query("INSERT INTO quotes (id, agent, body, expires_at) VALUES (?, ?, ?, ?)")
            .bind(quote.id.as_str())
            .bind(quote.agent.as_str())
            .bind(encode(quote)?)
            .bind(quote.expires_at.unix_timestamp())
            .execute(&mut *tx)
            .await
            .map_err(storage)?;
        offers::insert_bounds(&mut tx, &quote.id, new.bounds).await?;
        for (sku, quantity, base) in new.base_prices {
            offers::record_activity(&mut tx, sku, *quantity, Some(*base), quote.created_at).await?;
        }
        append(&mut tx, quote_created(quote, new.credential)).await?;
        tx.commit().await.map_err(storage)
    }

    async fn quote_record(
        &self,
        id: &QuoteId,
        agent: &AgentId,
    ) -> Result<Option<QuoteRecord>, LedgerError> {
        let mut conn = self.read().await?;
        let (current, order) = match offers::current(&mut conn, id, agent).await {
            Ok(found) => found,
            Err(LedgerError::QuoteNotFound(_)) => return Ok(None),
            Err(e) => return Err(e),
        };
        let (history, bounds) = offers::history_and_bounds(&mut conn, id).await?;
        Ok(Some(QuoteRecord {
            current,
            history,
            bounds,
            order,
        }))
    }

    async fn revise_quote(&self, rev: &Revision) -> Result<Quote, LedgerError> {
        let mut tx = self.begin().await?;
        let (current, order) = offers::current(&mut tx, &rev.quote_id, &rev.agent).await?;
        let write = rev.apply(current, order.as_ref())?;
        offers::store(&mut tx, &write).await?;
        tx.commit().await.map_err(storage)?;
        Ok(write.current)
    }

    async fn accept_quote(&self, acc: &Acceptance) -> Result<Quote, LedgerError> {
        let new = &acc.accepted;
        let mut tx = self.begin().await?;
        let (current, order) = offers::current(&mut tx, &new.id, &new.agent).await?;
        let write = acc.apply(current, order.as_ref())?;
        offers::store(&mut tx, &write).await?;
        tx.commit().await.map_err(storage)?;
        Ok(write.current)
    }

    async fn pricing_signals(
        &self,
        skus: &[Sku],
        demand_since: OffsetDateTime,
        prices_since: OffsetDateTime,
    ) -> Result<Vec<PricingSignals>, LedgerError> {
        offers::signals(&mut *self.read().await?, skus, demand_since, prices_since).await
    }

    async fn orders_of_principal(
        &self,
        principal: &Principal,
        limit: u32,
    ) -> Result<Vec<Order>, LedgerError> {
        let bodies: Vec<String> = sqlx::query_scalar(
            "SELECT body FROM orders WHERE json_extract(body, '$.principal') = ?
             ORDER BY created_at, id LIMIT ?",
        )
        .bind(principal.as_str())
        .bind(i64::from(limit))
        .fetch_all(&mut *self.read().await?)
        .await
        .map_err(storage)?;
        bodies.iter().map(|b| decode(b)).collect()
    }

    async fn principal_orders(
        &self,
        principal: &Principal,
        since: OffsetDateTime,
    ) -> Result<u32, LedgerError> {
        offers::principal_orders(&mut *self.read().await?, principal, since).await
    }

    async fn store_policy(
        &self,
        body: &serde_json::Value,
        by: &Actor,
        now: OffsetDateTime,
    ) -> Result<StoredPolicy, LedgerError> {
        let mut tx = self.begin().await?;
        let stored = offers::insert_policy(&mut tx, body, &by.name, now).await?;
        append(&mut tx, policy_changed(&stored, by)).await?;
        tx.commit().await.map_err(storage)?;
        Ok(stored)
    }

    async fn policy(&self) -> Result<Option<StoredPolicy>, LedgerError> {
        offers::latest_policy(&mut *self.read().await?).await
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
        self.orders.place(cmd).await
    }

    async fn order(&self, id: &OrderId, agent: &AgentId) -> Result<Option<Order>, LedgerError> {
        self.owned_body(
            "SELECT body FROM orders WHERE id = ? AND agent = ?",
            id.as_str(),
            agent,
        )
        .await
    }

    async fn orders(
        &self,
        agent: &AgentId,
        before: Option<&OrderId>,
        limit: u32,
    ) -> Result<Vec<Order>, LedgerError> {
        let mut conn = self.read().await?;
        match before {
            Some(b) => {
                orders::list(
                    &mut conn,
                    "SELECT body FROM orders WHERE agent = ? AND id < ? ORDER BY id DESC LIMIT ?",
                    &[agent.as_str(), b.as_str()],
                    limit,
                )
                .await
            }
            None => {
                orders::list(
                    &mut conn,
                    "SELECT body FROM orders WHERE agent = ? ORDER BY id DESC LIMIT ?",
                    &[agent.as_str()],
                    limit,
                )
                .await
            }
        }
    }

    async fn order_any(&self, id: &OrderId) -> Result<Option<Order>, LedgerError> {
        let body: Option<String> = sqlx::query_scalar("SELECT body FROM orders WHERE id = ?")
            .bind(id.as_str())
            .fetch_optional(&self.reader)
            .await
            .map_err(storage)?;
        body.map(|b| decode(&b)).transpose()
    }

    async fn pending_approvals(
        &self,
        after: Option<&OrderId>,
        limit: u32,
    ) -> Result<Vec<Order>, LedgerError> {
        let after = after.map_or("", OrderId::as_str);
        orders::list(
            &mut *self.read().await?,
            "SELECT body FROM orders WHERE status = 'pending_approval' AND id > ? ORDER BY id LIMIT ?",
            &[after],
            limit,
        )
        .await
    }

    async fn transition_order(&self, change: &OrderChange) -> Result<Order, LedgerError> {
        let mut tx = self.begin().await?;
        let body: Option<String> = match &change.agent {
            Some(agent) => {
                sqlx::query_scalar("SELECT body FROM orders WHERE id = ? AND agent = ?")
                    .bind(change.order_id.as_str())
                    .bind(agent.as_str())
                    .fetch_optional(&mut *tx)
                    .await
            }
            None => {
                sqlx::query_scalar("SELECT body FROM orders WHERE id = ?")
                    .bind(change.order_id.as_str())
                    .fetch_optional(&mut *tx)
                    .await
            }
        }
        .map_err(storage)?;
        let order: Order =
            decode(&body.ok_or_else(|| LedgerError::OrderNotFound(change.order_id.clone()))?)?;
        let delivered = match change.needs_delivery_time() {
            true => delivered_at(&orders::events(&mut tx, &order.id).await?),
            false => None,
        };
        let moved = change.apply(order, delivered)?;
        if moved.releases {
            orders::release(&mut tx, &moved.order).await?;
        }
        let order = moved.order;
        orders::update(&mut tx, &order).await?;
        orders::append_event(
            &mut tx,
            &order.id,
            order.status,
            Some(change.transition),
            &change.by.name,
            change.reason.as_deref(),
            change.now,
        )
        .await?;
        append(&mut tx, moved.record).await?;
        tx.commit().await.map_err(storage)?;
        Ok(order)
    }

    async fn order_events(
        &self,
        id: &OrderId,
        agent: Option<&AgentId>,
    ) -> Result<Option<Vec<OrderEvent>>, LedgerError> {
        let mut conn = self.read().await?;
        let exists: Option<i64> = match agent {
            Some(a) => {
                sqlx::query_scalar("SELECT 1 FROM orders WHERE id = ? AND agent = ?")
                    .bind(id.as_str())
                    .bind(a.as_str())
                    .fetch_optional(&mut *conn)
                    .await
            }
            None => {
                sqlx::query_scalar("SELECT 1 FROM orders WHERE id = ?")
                    .bind(id.as_str())
                    .fetch_optional(&mut *conn)
                    .await
            }
        }
        .map_err(storage)?;
        match exists {
            Some(_) => Ok(Some(orders::events(&mut conn, id).await?)),
            None => Ok(None),
        }
    }

    async fn fulfilment(&self, id: &OrderId) -> Result<Option<serde_json::Value>, LedgerError> {
        orders::fulfilment(&mut *self.read().await?, id).await
    }

    async fn vault_key(&self, owner: &str, candidate: &[u8]) -> Result<Vec<u8>, LedgerError> {
        if let Some(key) = self.stored_vault_key(owner).await? {
            return Ok(key);
        }
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO vault_keys (owner, key, created_at) VALUES (?, ?, unixepoch())
             ON CONFLICT (owner) DO NOTHING",
        )
        .bind(owner)
        .bind(candidate)
        .execute(&mut *tx)
        .await
        .map_err(storage)?;
        let key: Vec<u8> = sqlx::query_scalar("SELECT key FROM vault_keys WHERE owner = ?")
            .bind(owner)
            .fetch_one(&mut *tx)
            .await
            .map_err(storage)?;
        tx.commit().await.map_err(storage)?;
        Ok(key)
    }

    async fn stored_vault_key(&self, owner: &str) -> Result<Option<Vec<u8>>, LedgerError> {
        sqlx::query_scalar("SELECT key FROM vault_keys WHERE owner = ?")
            .bind(owner)
            .fetch_optional(&mut *self.read().await?)
            .await
            .map_err(storage)
    }

    async fn purge_personal_data(
        &self,
        closed_before: OffsetDateTime,
        by: &Actor,
        now: OffsetDateTime,
    ) -> Result<Vec<OrderId>, LedgerError> {
        let mut tx = self.begin().await?;
        let due: Vec<(String, String)> = sqlx::query_as(
            "SELECT o.id, v.ref FROM orders o
             JOIN vault v ON v.ref = json_extract(o.body, '$.fulfilment_ref')
             WHERE o.status IN (SELECT value FROM json_each(?1))
               AND (SELECT MAX(e.at) FROM order_events e WHERE e.order_id = o.id) < ?2
             ORDER BY o.id",
        )
        .bind(encode(&crate::orders::closed_statuses())?)
        .bind(closed_before.unix_timestamp())
        .fetch_all(&mut *tx)
        .await
        .map_err(storage)?;
        if due.is_empty() {
            return Ok(Vec::new());
        }
        let refs: Vec<&str> = due.iter().map(|(_, r)| r.as_str()).collect();
        sqlx::query("DELETE FROM vault WHERE ref IN (SELECT value FROM json_each(?))")
            .bind(encode(&refs)?)
            .execute(&mut *tx)
            .await
            .map_err(storage)?;
        let records = due
            .iter()
            .map(|(id, _)| privacy_purged(id, closed_before, by, now))
            .collect();
        audit_log::append_all(&mut tx, records).await?;
        tx.commit().await.map_err(storage)?;
        due.into_iter()
            .map(|(id, _)| OrderId::parse(id).map_err(corrupt))
            .collect()
    }

    async fn erase_principal(
        &self,
        principal: &Principal,
        by: &Actor,
        now: OffsetDateTime,
    ) -> Result<Erasure, LedgerError> {
        let mut tx = self.begin().await?;
        let keys = sqlx::query("DELETE FROM vault_keys WHERE owner = ?")
            .bind(principal.as_str())
            .execute(&mut *tx)
            .await
            .map_err(storage)?
            .rows_affected();
        let rows = sqlx::query("DELETE FROM vault WHERE principal = ?")
            .bind(principal.as_str())
            .execute(&mut *tx)
            .await
            .map_err(storage)?
            .rows_affected();
        let erased = Erasure {
            vault_records: rows,
            key_destroyed: keys > 0,
        };
        append(&mut tx, privacy_erased(principal, &erased, by, now)).await?;
        tx.commit().await.map_err(storage)?;
        Ok(erased)
    }

    async fn set_stock(
        &self,
        levels: &[(Sku, u32)],
        by: &Actor,
        now: OffsetDateTime,
    ) -> Result<u64, LedgerError> {
        let mut tx = self.begin().await?;
        let mut changed = 0;
        for (sku, level) in levels {
            let before = orders::set_level(&mut tx, sku, *level).await?;
            if before != Some(*level) {
                append(&mut tx, stock_set(sku, before, *level, by, now)).await?;
                changed += 1;
            }
        }
        tx.commit().await.map_err(storage)?;
        Ok(changed)
    }

    async fn append_audit(&self, record: Record) -> Result<Entry, LedgerError> {
        let mut tx = self.begin().await?;
        let entry = append(&mut tx, record).await?;
        tx.commit().await.map_err(storage)?;
        Ok(entry)
    }

    async fn append_audit_all(&self, records: Vec<Record>) -> Result<Vec<Entry>, LedgerError> {
        let mut tx = self.begin().await?;
        let entries = audit_log::append_all(&mut tx, records).await?;
        tx.commit().await.map_err(storage)?;
        Ok(entries)
    }

    async fn audit_entries(&self, query: &AuditQuery) -> Result<Vec<StoredEntry>, LedgerError> {
        if query.is_filtered() {
            self.index_audit().await?;
        }
        audit_log::entries(&mut *self.read().await?, query).await
    }

    async fn index_audit(&self) -> Result<u64, LedgerError> {
        let pending = audit_log::any_pending(&mut *self.read().await?).await?;
        crate::audit::index_pending(pending, || async {
            let mut tx = self.begin().await?;
            let n = audit_log::index_batch(&mut tx).await?;
            tx.commit().await.map_err(storage)?;
            Ok(n)
        })
        .await
    }

    async fn audit_head(&self) -> Result<AuditHead, LedgerError> {
        self.index_audit().await?;
        audit_log::indexed_head(&mut *self.read().await?).await
    }

    async fn audit_size(&self) -> Result<u64, LedgerError> {
        audit_log::size(&mut *self.read().await?).await
    }

    async fn audit_nodes(
        &self,
        ids: &[NodeId],
    ) -> Result<std::collections::HashMap<NodeId, Hash>, LedgerError> {
        let found = audit_log::nodes(&mut *self.read().await?, ids).await?;
        // Nodes the newest entries complete are stored when those are indexed.
        if found.len() >= ids.len() || self.index_audit().await? == 0 {
            return Ok(found);
        }
        audit_log::nodes(&mut *self.read().await?, ids).await
    }

    async fn store_checkpoint(
        &self,
        checkpoint: &SignedCheckpoint,
        at: OffsetDateTime,
    ) -> Result<(), LedgerError> {
        let mut tx = self.begin().await?;
        audit_log::store_checkpoint(&mut tx, checkpoint, at).await?;
        tx.commit().await.map_err(storage)
    }

    async fn checkpoints(&self) -> Result<Vec<SignedCheckpoint>, LedgerError> {
        audit_log::kept_checkpoints(&mut *self.read().await?, false).await
    }

    async fn latest_checkpoint(&self) -> Result<Option<SignedCheckpoint>, LedgerError> {
        Ok(audit_log::kept_checkpoints(&mut *self.read().await?, true)
            .await?
            .pop())
    }

    async fn order_count(&self) -> Result<u64, LedgerError> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM orders")
            .fetch_one(&self.reader)
            .await
            .map_err(storage)?;
        u64::try_from(n).map_err(corrupt)
    }

    async fn register_agent(&self, agent: &AgentRecord, by: &Actor) -> Result<(), LedgerError> {
        let mut tx = self.begin().await?;
        if !registry::insert(&mut tx, agent).await? {
            return Err(LedgerError::AgentExists(agent.id.clone()));
        }
        append(&mut tx, agent_registered(agent, by)).await?;
        tx.commit().await.map_err(storage)
    }

    async fn agents(&self) -> Result<Vec<AgentRecord>, LedgerError> {
        registry::all(&mut *self.read().await?).await
    }

    async fn agent(&self, id: &AgentId) -> Result<Option<AgentRecord>, LedgerError> {
        registry::load(&mut *self.read().await?, id).await
    }

    async fn set_agent_status(
        &self,
        id: &AgentId,
        status: AgentStatus,
        by: &Actor,
    ) -> Result<AgentRecord, LedgerError> {
        let mut tx = self.begin().await?;
        let mut agent = registry::load(&mut tx, id)
            .await?
            .ok_or_else(|| LedgerError::AgentNotFound(id.clone()))?;
        if agent.status == status {
            return Ok(agent);
        }
        registry::set_status(&mut tx, id, status).await?;
        let record = agent_status_changed(id, status, by, OffsetDateTime::now_utc());
        append(&mut tx, record).await?;
        self.commit_trust_change(tx).await?;
        agent.status = status;
        Ok(agent)
    }

    async fn record_grant(&self, grant: &GrantRecord, by: &Actor) -> Result<(), LedgerError> {
        let mut tx = self.begin().await?;
        if !grant_rows::insert(&mut tx, grant).await? {
            return Err(LedgerError::Storage(format!(
                "token {} is already recorded",
                grant.jti
            )));
        }
        append(&mut tx, grant_recorded(grant, by)).await?;
        tx.commit().await.map_err(storage)
    }

    async fn ensure_grant(&self, grant: &GrantRecord) -> Result<(), LedgerError> {
        let mut tx = self.begin().await?;
        grant_rows::insert(&mut tx, grant).await?;
        tx.commit().await.map_err(storage)
    }

    async fn revoke_grant(
        &self,
        jti: &str,
        reason: &str,
        by: &Actor,
        now: OffsetDateTime,
    ) -> Result<GrantRecord, LedgerError> {
        let mut tx = self.begin().await?;
        let state = grant_rows::state(&mut tx, jti, now)
            .await?
            .ok_or_else(|| LedgerError::GrantNotFound(jti.to_owned()))?;
        if state.revoked_at.is_some() {
            return Ok(state.grant);
        }
        grant_rows::revoke(&mut tx, jti, reason, by, now).await?;
        append(&mut tx, grant_revoked(&state.grant, reason, by, now)).await?;
        self.commit_trust_change(tx).await?;
        Ok(state.grant)
    }

    async fn grant_state(
        &self,
        jti: &str,
        now: OffsetDateTime,
    ) -> Result<Option<GrantState>, LedgerError> {
        grant_rows::state(&mut *self.read().await?, jti, now).await
    }

    async fn trust_snapshot(&self, now: OffsetDateTime) -> Result<TrustSnapshot, LedgerError> {
        let mut conn = self.read().await?;
        Ok(TrustSnapshot {
            revoked: grant_rows::revoked(&mut conn, now).await?,
            suspended: registry::suspended(&mut conn).await?,
        })
    }

    fn trust_stamp(&self) -> u64 {
        self.marker.stamp()
    }
}
