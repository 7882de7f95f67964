//! Group commit of orders on the embedded ledger.
//!
//! SQLite has one writer, and a durable commit (`synchronous=FULL`) costs an fsync of the WAL:
//! committing orders one by one would bound the order rate by the disk's flush rate. Orders are
//! therefore placed by one task that takes every order waiting (up to [`MAX_BATCH`]) and places
//! them one after the other in one transaction, each in its own savepoint, then commits once.
//!
//! - Each order sees the ones before it in its batch (stock, budgets, idempotency keys, the
//!   audit chain), exactly as if each had committed alone, in the order they arrived.
//! - An order refused (no stock, over budget, …) rolls back to its savepoint: the batch goes on
//!   without it, and its caller gets its error.
//! - No caller hears of its order before the batch's commit returned: an acknowledged order is
//!   on disk. Should the commit fail, every caller of the batch gets the storage error, and none
//!   of its orders exists (refusals included: they were decided against orders that did not
//!   happen, so the agent's retry decides again).
//!
//! No order waits for a batch to fill: a batch is whatever arrived while the previous one was
//! being written, so a lone order is placed at once.

use sqlx::{Connection, SqliteConnection, SqlitePool};
use tokio::sync::{mpsc, oneshot};

use super::storage;
use crate::{LedgerError, PlaceOrder, Placed};

/// The most orders one commit takes.
const MAX_BATCH: usize = 256;

type Answer = Result<Placed, LedgerError>;

struct Job {
    cmd: PlaceOrder,
    reply: oneshot::Sender<Answer>,
}

/// The handle of the task that places orders; cloned with the ledger. The task ends when the
/// last handle is dropped.
#[derive(Debug, Clone)]
pub(super) struct OrderWriter {
    jobs: mpsc::UnboundedSender<Job>,
}

impl OrderWriter {
    /// Starts the task on the current Tokio runtime; it writes through `writer`.
    pub(super) fn start(writer: SqlitePool) -> Self {
        let (jobs, queue) = mpsc::unbounded_channel();
        tokio::spawn(run(writer, queue));
        Self { jobs }
    }

    /// Places `cmd` in the next batch and waits for that batch's commit.
    pub(super) async fn place(&self, cmd: &PlaceOrder) -> Answer {
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

async fn run(writer: SqlitePool, mut queue: mpsc::UnboundedReceiver<Job>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while queue.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let answers = commit(&writer, &batch).await;
        for (job, answer) in batch.drain(..).zip(answers) {
            // A caller that stopped waiting (its request was dropped) still has its order.
            let _ = job.reply.send(answer);
        }
    }
}

/// Places every order of `batch` in one transaction; one answer per order, in order.
async fn commit(writer: &SqlitePool, batch: &[Job]) -> Vec<Answer> {
    let failed = |e: &LedgerError| {
        batch
            .iter()
            .map(|_| Err(LedgerError::Storage(e.to_string())))
            .collect()
    };
    let mut tx = match writer.begin_with("BEGIN IMMEDIATE").await {
        Ok(tx) => tx,
        Err(e) => return failed(&storage(e)),
    };
    let mut answers = Vec::with_capacity(batch.len());
    for job in batch {
        match placed_in_savepoint(&mut tx, &job.cmd).await {
            Ok(answer) => answers.push(answer),
            Err(broken) => return failed(&broken),
        }
    }
    match tx.commit().await {
        Ok(()) => answers,
        Err(e) => failed(&storage(e)),
    }
}

/// Places `cmd` in a savepoint of `conn`'s transaction: the order's answer, or the error that
/// leaves the transaction unusable.
async fn placed_in_savepoint(
    conn: &mut SqliteConnection,
    cmd: &PlaceOrder,
) -> Result<Answer, LedgerError> {
    let mut savepoint = conn.begin().await.map_err(storage)?;
    match super::place_in(&mut savepoint, cmd).await {
        Ok(placed) => {
            savepoint.commit().await.map_err(storage)?;
            Ok(Ok(placed))
        }
        Err(refused) => {
            savepoint.rollback().await.map_err(storage)?;
            Ok(Err(refused))
        }
    }
}
