//! Placing orders on PostgreSQL: alone (one transaction, retried on a serialization failure or
//! a deadlock) or in a batch of the handle's group commit (`group_commit.rs`): one transaction,
//! a savepoint per order, one commit.
//!
//! A batch never waits for another request's idempotency key, nor longer than
//! [`BATCH_LOCK_WAIT`] for any other lock: such an order (or one that meets a deadlock) rolls
//! back to its savepoint and, once the batch has committed, is placed alone by a task of its
//! own, which waits as a lone order does. Should the batch fail to commit, each of its orders
//! is placed alone: its idempotency key tells whether the commit happened after all (the order
//! is replayed) or not (it is placed now).

use std::sync::Arc;

use async_trait::async_trait;
use sqlx::{Connection, PgConnection, PgPool, Postgres, Transaction};

use super::{
    Fail, IDEMPOTENCY_WAIT, ORDERS_ENDPOINT, append, authorized_chain, db, grant_rows,
    insert_order, offers, orderable_quote, orders, remember_key, replayed_order, retrying,
    sqlstate, take_stock,
};
use crate::group_commit::{Answer, Job, PlaceBatch};

/// How long an order of a batch waits for a lock another transaction holds (another replica's
/// batch, a counter-offer on its quote, a revocation of its token) before it leaves the batch
/// and is placed alone: a batch never stalls the orders behind it for longer.
const BATCH_LOCK_WAIT: std::time::Duration = std::time::Duration::from_millis(500);
use crate::orders::new_order;
use crate::{LedgerError, PlaceOrder, Placed, order_placed};

/// Whether an order waits for a concurrent request with its idempotency key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum KeyWait {
    /// Up to [`IDEMPOTENCY_WAIT`], then [`LedgerError::IdempotencyInFlight`].
    Wait,
    /// Not at all: [`Fail::Busy`] (the order of a batch).
    Never,
}

/// What places orders: the ledger's pool and schema (owned by the group-commit task).
#[derive(Debug, Clone)]
pub(super) struct Placer {
    pub(super) pool: PgPool,
    pub(super) schema: Arc<str>,
}

#[async_trait]
impl PlaceBatch for Placer {
    async fn place_batch(&self, batch: Vec<Job>) {
        let answers = match self.batch_once(&batch).await {
            Ok(answers) => answers,
            Err(e) => {
                tracing::debug!(error = ?e, orders = batch.len(), "order batch placed alone");
                batch.iter().map(|_| None).collect()
            }
        };
        for (job, answer) in batch.into_iter().zip(answers) {
            match answer {
                Some(answer) => job.answer(answer),
                // Off the batch task, which goes on with the next batch meanwhile.
                None => {
                    let placer = self.clone();
                    tokio::spawn(async move {
                        let answer = placer.place_alone(&job.cmd).await;
                        job.answer(answer);
                    });
                }
            }
        }
    }
}

impl Placer {
    async fn begin(&self) -> Result<Transaction<'static, Postgres>, Fail> {
        self.pool
            .begin_with("BEGIN ISOLATION LEVEL READ COMMITTED")
            .await
            .map_err(db)
    }

    /// Places `cmd` in a transaction of its own.
    async fn place_alone(&self, cmd: &PlaceOrder) -> Answer {
        retrying(|| async {
            let mut tx = self.begin().await?;
            let placed = self.place_in(&mut tx, cmd, KeyWait::Wait).await?;
            tx.commit().await.map_err(db)?;
            Ok(placed)
        })
        .await
    }

    /// Places every order of `batch` in one transaction; `None` for the orders to place alone.
    async fn batch_once(&self, batch: &[Job]) -> Result<Vec<Option<Answer>>, Fail> {
        let mut tx = self.begin().await?;
        sqlx::query("SELECT set_config('lock_timeout', $1, true)")
            .bind(format!("{}ms", BATCH_LOCK_WAIT.as_millis()))
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        let mut answers = Vec::with_capacity(batch.len());
        for job in batch {
            let mut savepoint = tx.begin().await.map_err(db)?;
            let answer = match self
                .place_in(&mut savepoint, &job.cmd, KeyWait::Never)
                .await
            {
                Ok(placed) => {
                    savepoint.commit().await.map_err(db)?;
                    Some(Ok(placed))
                }
                Err(fail) => {
                    savepoint.rollback().await.map_err(db)?;
                    match fail {
                        Fail::Ledger(refused) => Some(Err(refused)),
                        Fail::Retry(_) | Fail::Busy => None,
                    }
                }
            };
            answers.push(answer);
        }
        tx.commit().await.map_err(db)?;
        Ok(answers)
    }

    /// Places `cmd` inside `conn`'s transaction.
    async fn place_in(
        &self,
        conn: &mut PgConnection,
        cmd: &PlaceOrder,
        wait: KeyWait,
    ) -> Result<Placed, Fail> {
        self.hold_idempotency_key(&mut *conn, cmd, wait).await?;
        if let Some(order) = replayed_order(&mut *conn, cmd).await? {
            return Ok(Placed {
                order,
                replayed: true,
            });
        }
        let last_hour = match cmd.risk.max_orders_per_agent_per_hour {
            Some(_) => {
                // The velocity rule counts the agent's orders of the last hour: its orders take
                // turns, so that each counts those before it.
                let name = self.lock_name("velocity", &[cmd.agent.as_str()]);
                sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
                    .bind(&name)
                    .execute(&mut *conn)
                    .await
                    .map_err(db)?;
                let since = cmd.now - time::Duration::HOUR;
                orders::placed_since(&mut *conn, &cmd.agent, since).await?
            }
            None => 0,
        };
        let quote = orderable_quote(&mut *conn, cmd).await?;
        let chain = authorized_chain(&mut *conn, cmd, &quote).await?;
        take_stock(&mut *conn, &quote).await?;

        // The order (held for approval when a grant's threshold or a risk rule says so), its
        // fulfilment details in the vault, the quote's link, the spend under every grant of the
        // chain, the key, its first event and the audit entry, committed together.
        let mut order = new_order(quote, &chain, cmd, last_hour);
        if let Some(details) = &cmd.fulfilment {
            order.fulfilment_ref =
                Some(orders::store_fulfilment(&mut *conn, &order, details).await?);
        }
        insert_order(&mut *conn, &order).await?;
        orders::append_event(
            &mut *conn,
            &order.id,
            order.status,
            None,
            &format!("agent:{}", order.agent),
            order.status_reason.as_deref(),
            cmd.now,
        )
        .await?;
        for line in &order.lines {
            offers::record_activity(&mut *conn, &line.sku, line.quantity.get(), None, cmd.now)
                .await?;
        }
        grant_rows::record_spend(&mut *conn, &chain, &order).await?;
        remember_key(&mut *conn, cmd, &order).await?;
        append(&mut *conn, order_placed(&order, &cmd.credential)).await?;
        Ok(Placed {
            order,
            replayed: false,
        })
    }

    /// The name of an advisory lock of this ledger's schema, hashed into its 64-bit key by
    /// `hashtextextended`. Length-prefixed parts: no two locks share a name (their keys may
    /// collide, which only makes two transactions wait for each other).
    fn lock_name(&self, kind: &str, parts: &[&str]) -> String {
        std::iter::once(self.schema.as_ref())
            .chain(parts.iter().copied())
            .fold(format!("b2a-{kind}"), |mut name, part| {
                name.push_str(&format!(":{}:{part}", part.len()));
                name
            })
    }

    /// Takes the transaction-scoped advisory lock of `cmd`'s idempotency key; when a concurrent
    /// request holds it, waits for it as `wait` says.
    async fn hold_idempotency_key(
        &self,
        conn: &mut PgConnection,
        cmd: &PlaceOrder,
        wait: KeyWait,
    ) -> Result<(), Fail> {
        let name = self.lock_name(
            "idempotency",
            &[
                cmd.agent.as_str(),
                ORDERS_ENDPOINT,
                cmd.idempotency_key.as_str(),
            ],
        );
        let held: bool =
            sqlx::query_scalar("SELECT pg_try_advisory_xact_lock(hashtextextended($1, 0))")
                .bind(&name)
                .fetch_one(&mut *conn)
                .await
                .map_err(db)?;
        if held {
            return Ok(());
        }
        if wait == KeyWait::Never {
            return Err(Fail::Busy);
        }
        // Another request with this key is in flight: wait for it, then replay its order.
        sqlx::query("SELECT set_config('lock_timeout', $1, true)")
            .bind(format!("{}ms", IDEMPOTENCY_WAIT.as_millis()))
            .execute(&mut *conn)
            .await
            .map_err(db)?;
        let waited = sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
            .bind(&name)
            .execute(&mut *conn)
            .await;
        match waited {
            Ok(_) => {}
            Err(e) if sqlstate(&e).as_deref() == Some("55P03") => {
                return Err(LedgerError::IdempotencyInFlight.into());
            }
            Err(e) => return Err(db(e)),
        }
        sqlx::query("SET LOCAL lock_timeout TO DEFAULT")
            .execute(conn)
            .await
            .map_err(db)?;
        Ok(())
    }
}
