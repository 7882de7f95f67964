//! Group commit: writes of one kind — orders, quote writes — committed together.
//!
//! A durable commit costs a flush of the database's log to disk: committing writes one by one
//! would bound their rate by the disk's flush rate, and every write would hold the locks that
//! serialize them (SQLite's one writer; on PostgreSQL the audit log's head, a grant's row, a
//! SKU's stock, a quote's row) for the length of its own flush. Writes are therefore made by one
//! task per kind and ledger handle, which takes every write waiting (up to [`MAX_BATCH`]) and
//! makes them one after the other in one transaction (decided in memory: `b2a_orders::placing`,
//! `b2a_orders::offers::decide_quotes`), then commits once.
//!
//! - Each write sees the ones before it in its batch (stock, budgets, idempotency keys, a
//!   quote's round, the audit log), exactly as if each had committed alone, in the order they
//!   arrived.
//! - A write refused (no stock, over budget, a stale round, …) writes nothing: the batch goes on
//!   without it, and its caller gets its error.
//! - No caller hears of its write before the batch's commit returned: an acknowledged write is
//!   on disk. Should the commit fail, every caller of the batch gets the storage error, and none
//!   of its writes exists (refusals included: they were decided against writes that did not
//!   happen, so the caller's retry decides again).
//!
//! No write waits for a batch to fill: a batch is whatever arrived while the previous one was
//! being written, so a lone write is made at once.

use async_trait::async_trait;
use tokio::sync::{mpsc, oneshot};

use crate::{LedgerError, PlaceOrder, Placed};

/// The most writes one commit takes.
const MAX_BATCH: usize = 256;

/// A write waiting for its batch, and where its answer goes.
#[derive(Debug)]
pub(crate) struct Job<C, A> {
    pub(crate) cmd: C,
    reply: oneshot::Sender<Result<A, LedgerError>>,
}

impl<C, A> Job<C, A> {
    /// Answers the write's caller. A caller that stopped waiting (its request was dropped) is
    /// not told; its write stands.
    pub(crate) fn answer(self, answer: Result<A, LedgerError>) {
        let _ = self.reply.send(answer);
    }
}

/// A way of making a batch of writes in one transaction.
#[async_trait]
pub(crate) trait Batch: Send + Sync + 'static {
    /// One write.
    type Cmd: Send + 'static;
    /// What a write answers.
    type Answer: Send + 'static;

    /// Makes every write of `batch`, commits once, then answers each (the backend may answer
    /// some later, from a task of their own).
    async fn run(&self, batch: Vec<Job<Self::Cmd, Self::Answer>>);
}

/// Answers every write of `batch` with the storage error `e` (a batch that could not be
/// committed: none of its writes exists).
pub(crate) fn fail_all<C, A>(batch: Vec<Job<C, A>>, e: &LedgerError) {
    for job in batch {
        job.answer(Err(LedgerError::Storage(e.to_string())));
    }
}

/// The task that places orders.
pub(crate) type OrderWriter = Writer<PlaceOrder, Placed>;

/// An order's answer.
pub(crate) type Answer = Result<Placed, LedgerError>;

/// An order waiting for its batch.
pub(crate) type OrderJob = Job<PlaceOrder, Placed>;

/// The handle of the task that makes writes of one kind; cloned with the ledger. The task ends
/// when the last handle is dropped.
#[derive(Debug)]
pub(crate) struct Writer<C, A> {
    jobs: mpsc::UnboundedSender<Job<C, A>>,
}

impl<C, A> Clone for Writer<C, A> {
    fn clone(&self) -> Self {
        Self {
            jobs: self.jobs.clone(),
        }
    }
}

impl<C: Send + 'static, A: Send + 'static> Writer<C, A> {
    /// Starts the task on the current Tokio runtime; it makes batches with `batch`.
    pub(crate) fn start(batch: impl Batch<Cmd = C, Answer = A>) -> Self {
        let (jobs, queue) = mpsc::unbounded_channel();
        tokio::spawn(run(batch, queue));
        Self { jobs }
    }

    /// Makes `cmd` in the next batch and waits for its answer.
    pub(crate) async fn submit(&self, cmd: C) -> Result<A, LedgerError> {
        let (reply, answer) = oneshot::channel();
        self.jobs.send(Job { cmd, reply }).map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

fn stopped() -> LedgerError {
    LedgerError::Storage("the ledger's writer has stopped".to_owned())
}

async fn run<B: Batch>(batch: B, mut queue: mpsc::UnboundedReceiver<Job<B::Cmd, B::Answer>>) {
    let mut jobs = Vec::with_capacity(MAX_BATCH);
    while queue.recv_many(&mut jobs, MAX_BATCH).await > 0 {
        batch.run(std::mem::take(&mut jobs)).await;
    }
}
