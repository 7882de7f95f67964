//! What each database engine provides the ledger, beyond the SQL both run ([`crate::sql`]):
//! transactions as the engine wants them, announcing trust changes, placing a batch of orders,
//! and appending to and indexing the audit log. Everything else is written once, in `store/`.

use std::future::Future;
use std::ops::DerefMut;
use std::time::Duration;

use async_trait::async_trait;
use b2a_audit::entry::{Entry, Record};

use crate::sql::{Conn, Fail};
use crate::{LedgerError, PlaceOrder, Placed};

/// One database engine: SQLite (`crate::sqlite`) or PostgreSQL (`crate::postgres`).
#[async_trait]
pub(crate) trait Engine: Send + Sync + std::fmt::Debug + 'static {
    /// Its connection.
    type Conn: Conn + 'static;
    /// A write transaction (rolled back when dropped uncommitted).
    type Tx: DerefMut<Target = Self::Conn> + Send;
    /// A connection for reads.
    type Read: DerefMut<Target = Self::Conn> + Send;

    /// How many times a write transaction is tried: PostgreSQL retries one that failed on a
    /// serialization failure or a deadlock; SQLite's one writer has neither.
    const ATTEMPTS: u32;

    /// Opens a write transaction.
    async fn begin(&self) -> Result<Self::Tx, Fail>;

    /// Commits it.
    async fn commit(&self, tx: Self::Tx) -> Result<(), Fail>;

    /// A connection to read from, outside any write.
    async fn read(&self) -> Result<Self::Read, Fail>;

    /// Announces, inside `conn`'s transaction, a revocation, suspension or reactivation
    /// (PostgreSQL: `NOTIFY`, delivered at commit).
    async fn announce_trust_change(&self, conn: &mut Self::Conn) -> Result<(), Fail>;

    /// Commits a transaction that changed trust, and moves the trust stamp (every process on
    /// the store notices).
    async fn commit_trust_change(&self, tx: Self::Tx) -> Result<(), Fail>;

    /// A number that changes whenever a trust change is committed, by any process on the store.
    fn trust_stamp(&self) -> u64;

    /// Places an order through the engine's group commit.
    async fn place_order(&self, cmd: &PlaceOrder) -> Result<Placed, LedgerError>;

    /// Appends `records`, in order, inside `conn`'s transaction: numbered from the log's size
    /// as the engine serializes appends.
    async fn append(&self, conn: &mut Self::Conn, records: Vec<Record>)
    -> Result<Vec<Entry>, Fail>;

    /// Indexes the next entries not indexed yet (at most `audit::INDEX_BATCH`) inside
    /// `conn`'s transaction; how many.
    async fn index_batch(&self, conn: &mut Self::Conn) -> Result<usize, Fail>;

    /// How many audit entries are committed (their tree need not be indexed yet).
    async fn audit_size(&self, conn: &mut Self::Conn) -> Result<u64, Fail>;
}

/// Runs `attempt` until it succeeds, fails for good, or has failed `attempts` times on a
/// serialization failure or a deadlock.
pub(crate) async fn retrying<T, F, Fut>(attempts: u32, mut attempt: F) -> Result<T, LedgerError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, Fail>>,
{
    let mut tries = 1;
    loop {
        match attempt().await {
            Ok(value) => return Ok(value),
            Err(Fail::Retry(e)) if tries < attempts => {
                tracing::debug!(error = %e, tries, "ledger transaction retried");
                tokio::time::sleep(Duration::from_millis(u64::from(tries) * 10)).await;
                tries += 1;
            }
            Err(fail) => return Err(fail.into()),
        }
    }
}
