//! The SQLite engine: one file in WAL mode with `synchronous=FULL`, one writer connection.

pub(crate) mod audit_log;
mod marker;
mod placing;
mod script;

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::SqliteConnection;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use self::marker::TrustMarker;
use crate::engine::{Engine, Tx};
use crate::group_commit::OrderWriter;
use crate::sql::Fail;
use crate::store::SqlLedger;
use crate::{LedgerError, PlaceOrder, Placed};

/// The endpoint idempotency keys of order creation are scoped to.
const ORDERS_ENDPOINT: &str = "POST /v1/orders";

/// The embedded ledger: one SQLite file in WAL mode with `synchronous=FULL`.
///
/// Writes go through a pool of one connection and open with `BEGIN IMMEDIATE`, so writers in
/// this process and in other processes on the same file (the CLI beside a running gateway)
/// serialize on SQLite's write lock instead of failing on a stale snapshot; that lock is the
/// only lock SQLite needs (`sql::Conn::lock` takes none). Reads use a separate pool and never
/// block writers. Orders are placed by one task that commits together the orders waiting for it
/// (group commit, `group_commit.rs`): one fsync for many orders. Opening the ledger therefore
/// needs a Tokio runtime, which runs that task.
///
/// Grants and their spend live in the same file, so the limits of a grant are checked and its
/// spend recorded in the order's own transaction: concurrent orders, from this process or
/// another, can never overspend a budget.
///
/// Trust changes (a revocation, a suspension or a reactivation) are also announced in a marker
/// file beside the ledger, `<ledger path>-trust` (owner-only): one byte is appended to it after
/// each such commit, by whichever process committed it. [`crate::Registry::trust_stamp`] is the
/// marker's length — one `stat`, cheap enough for every request — so a gateway notices at its
/// next request a revocation the CLI committed beside it, and reloads
/// [`crate::Registry::trust_snapshot`]. Read the stamp before the snapshot, never after.
///
/// Times of agents and grants are kept to the second (a token's `iat` and `exp` are).
pub type SqliteLedger = SqlLedger<SqliteEngine>;

/// What the embedded ledger runs on: its writer and reader pools, the trust marker, the order
/// task.
#[derive(Debug, Clone)]
pub struct SqliteEngine {
    writer: SqlitePool,
    reader: SqlitePool,
    marker: TrustMarker,
    orders: OrderWriter,
}

pub(crate) fn storage(e: sqlx::Error) -> LedgerError {
    LedgerError::Storage(e.to_string())
}

impl SqlLedger<SqliteEngine> {
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
        let reader = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options.read_only(true))
            .await
            .map_err(storage)?;
        let marker = TrustMarker::beside(path)?;
        let engine = SqliteEngine {
            orders: OrderWriter::start(placing::Batches(writer.clone())),
            writer,
            reader,
            marker,
        };
        crate::store::carry_over_chain(&engine).await?;
        Ok(crate::store::on(engine))
    }
}

#[async_trait]
impl Engine for SqliteEngine {
    type Db = sqlx::Sqlite;
    type Conn = SqliteConnection;

    const BEGIN: &'static str = "BEGIN IMMEDIATE";
    const LEGACY_CHAIN: &'static str =
        "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'audit_log')";
    const ATTEMPTS: u32 = 1;

    fn pools(&self) -> (&SqlitePool, &SqlitePool) {
        (&self.writer, &self.reader)
    }

    async fn announce_trust_change(&self, _conn: &mut SqliteConnection) -> Result<(), Fail> {
        // Announced after the commit, by the marker.
        Ok(())
    }

    async fn commit_trust_change(&self, tx: Tx<Self>) -> Result<(), Fail> {
        tx.commit().await?;
        Ok(self.marker.bump()?)
    }

    fn trust_stamp(&self) -> u64 {
        self.marker.stamp()
    }

    async fn place_order(&self, cmd: &PlaceOrder) -> Result<Placed, LedgerError> {
        self.orders.submit(cmd.clone()).await
    }
}
