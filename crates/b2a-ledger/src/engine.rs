//! What each database engine provides the ledger beyond the SQL both run ([`crate::sql`]): its
//! pools and how it opens a write transaction, how it announces trust changes, and its group
//! commit of orders. (Appending to and indexing the audit log are its connections',
//! [`crate::sql::Conn`].) Everything else is written once, in `store/`.

use std::future::Future;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::pool::PoolConnection;
use sqlx::{Pool, Transaction};

use crate::sql::{Conn, Fail};
use crate::{LedgerError, PlaceOrder, Placed};

/// A write transaction of engine `E` (rolled back when dropped uncommitted).
pub(crate) type Tx<E> = Transaction<'static, <E as Engine>::Db>;

/// One database engine: SQLite (`crate::sqlite`) or PostgreSQL (`crate::postgres`).
#[async_trait]
pub(crate) trait Engine: Clone + Send + Sync + std::fmt::Debug + 'static {
    /// Its `sqlx` database.
    type Db: sqlx::Database<Connection = Self::Conn>;
    /// Its connection.
    type Conn: Conn + sqlx::Connection<Database = Self::Db> + 'static;

    /// The statement that opens a write transaction.
    const BEGIN: &'static str;

    /// Whether the hash chain the Merkle log replaced (table `audit_log`) is still there.
    const LEGACY_CHAIN: &'static str;

    /// How many times a write transaction is tried: PostgreSQL retries one that failed on a
    /// serialization failure or a deadlock; SQLite's one writer has neither.
    const ATTEMPTS: u32;

    /// The pool of write transactions, and the pool of reads.
    fn pools(&self) -> (&Pool<Self::Db>, &Pool<Self::Db>);

    /// Opens a write transaction.
    async fn begin(&self) -> Result<Tx<Self>, Fail> {
        Ok(self.pools().0.begin_with(Self::BEGIN).await?)
    }

    /// Commits it.
    async fn commit(&self, tx: Tx<Self>) -> Result<(), Fail> {
        Ok(tx.commit().await?)
    }

    /// A connection to read from, outside any write.
    async fn read(&self) -> Result<PoolConnection<Self::Db>, Fail> {
        Ok(self.pools().1.acquire().await?)
    }

    /// Announces, inside `conn`'s transaction, a revocation, suspension or reactivation
    /// (PostgreSQL: `NOTIFY`, delivered at commit).
    async fn announce_trust_change(&self, conn: &mut Self::Conn) -> Result<(), Fail>;

    /// Commits a transaction that changed trust, and moves the trust stamp (every process on
    /// the store notices).
    async fn commit_trust_change(&self, tx: Tx<Self>) -> Result<(), Fail>;

    /// A number that changes whenever a trust change is committed, by any process on the store.
    fn trust_stamp(&self) -> u64;

    /// Places an order through the engine's group commit.
    async fn place_order(&self, cmd: &PlaceOrder) -> Result<Placed, LedgerError>;
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
