//! Group commit of orders.
//!
//! A durable commit costs a flush of the database's log to disk: committing orders one by one
//! would bound the order rate by the disk's flush rate, and every order would hold the locks
//! that serialize orders (SQLite's one writer; on PostgreSQL the audit log's head, a grant's
//! row, a SKU's stock) for the length of its own flush. Orders are therefore placed by one task
//! per ledger handle, which takes every order waiting (up to [`MAX_BATCH`]) and places them one
//! after the other in one transaction (decided in memory, `batch.rs`), then commits once.
//!
//! - Each order sees the ones before it in its batch (stock, budgets, idempotency keys, the
//!   audit log), exactly as if each had committed alone, in the order they arrived.
//! - An order refused (no stock, over budget, …) writes nothing: the batch goes on without it,
//!   and its caller gets its error.
//! - No caller hears of its order before the batch's commit returned: an acknowledged order is
//!   on disk. Should the commit fail, every caller of the batch gets the storage error, and none
//!   of its orders exists (refusals included: they were decided against orders that did not
//!   happen, so the agent's retry decides again).
//!
//! No order waits for a batch to fill: a batch is whatever arrived while the previous one was
//! being written, so a lone order is placed at once.

use async_trait::async_trait;
use tokio::sync::{mpsc, oneshot};

use crate::{LedgerError, PlaceOrder, Placed};

/// The most orders one commit takes.
const MAX_BATCH: usize = 256;

/// What one order of a batch came to.
pub(crate) type Answer = Result<Placed, LedgerError>;

/// An order waiting for its batch, and where its answer goes.
pub(crate) struct Job {
    pub(crate) cmd: PlaceOrder,
    reply: oneshot::Sender<Answer>,
}

impl Job {
    /// Answers the order's caller. A caller that stopped waiting (its request was dropped) is
    /// not told; its order stands.
    pub(crate) fn answer(self, answer: Answer) {
        let _ = self.reply.send(answer);
    }
}

/// A backend's way of placing a batch of orders in one transaction.
#[async_trait]
pub(crate) trait PlaceBatch: Send + Sync + 'static {
    /// Places every order of `batch`, commits once, then answers each (the backend may answer
    /// some later, from a task of their own).
    async fn place_batch(&self, batch: Vec<Job>);
}

/// Answers every order of `batch` with the storage error `e` (a batch that could not be
/// committed: none of its orders exists).
pub(crate) fn fail_all(batch: Vec<Job>, e: &LedgerError) {
    for job in batch {
        job.answer(Err(LedgerError::Storage(e.to_string())));
    }
}

/// The handle of the task that places orders; cloned with the ledger. The task ends when the
/// last handle is dropped.
#[derive(Debug, Clone)]
pub(crate) struct OrderWriter {
    jobs: mpsc::UnboundedSender<Job>,
}

impl OrderWriter {
    /// Starts the task on the current Tokio runtime; it places batches with `placer`.
    pub(crate) fn start(placer: impl PlaceBatch) -> Self {
        let (jobs, queue) = mpsc::unbounded_channel();
        tokio::spawn(run(placer, queue));
        Self { jobs }
    }

    /// Places `cmd` in the next batch and waits for its answer.
    pub(crate) async fn place(&self, cmd: &PlaceOrder) -> Answer {
        let (reply, answer) = oneshot::channel();
        let job = Job {
            cmd: cmd.clone(),
            reply,
        };
        self.jobs.send(job).map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

fn stopped() -> LedgerError {
    LedgerError::Storage("the order writer has stopped".to_owned())
}

async fn run(placer: impl PlaceBatch, mut queue: mpsc::UnboundedReceiver<Job>) {
    let mut jobs = Vec::with_capacity(MAX_BATCH);
    while queue.recv_many(&mut jobs, MAX_BATCH).await > 0 {
        placer.place_batch(std::mem::take(&mut jobs)).await;
    }
}
