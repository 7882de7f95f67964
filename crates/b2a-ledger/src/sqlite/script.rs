//! Several statements sent to SQLite in one trip.
//!
//! `sqlx` runs SQLite on a worker thread of its own: every query is a round trip between the
//! async task and that thread (two thread wake-ups). An order is a dozen writes, so the order
//! writer sends them as one script — the statements one after the other in one query string,
//! each binding its own arguments in order (`sqlx` runs every statement of a query string) —
//! and pays one trip. The first statement that fails stops the script; the caller's savepoint
//! rolls back what ran before it.

use sqlx::sqlite::SqliteArguments;
use sqlx::{Arguments, Encode, Sqlite, SqliteConnection, Type};

use super::storage;
use crate::LedgerError;

/// Statements and their arguments, run in one trip.
#[derive(Default)]
pub(super) struct Script {
    sql: String,
    args: SqliteArguments,
    bad: Option<String>,
}

impl Script {
    /// Appends a statement whose `?`s the next calls to [`Self::bind`] fill, in order.
    pub(super) fn statement(&mut self, sql: &str) -> &mut Self {
        self.sql.push_str(sql);
        self.sql.push_str(";\n");
        self
    }

    /// Binds the next `?`.
    pub(super) fn bind<'t, T: Encode<'t, Sqlite> + Type<Sqlite> + 't>(
        &mut self,
        value: T,
    ) -> &mut Self {
        if let Err(e) = self.args.add(value) {
            self.bad.get_or_insert(e.to_string());
        }
        self
    }

    /// Runs every statement, in order.
    pub(super) async fn run(self, conn: &mut SqliteConnection) -> Result<(), LedgerError> {
        self.returned(conn).await.map(drop)
    }

    /// Runs every statement, in order; how many rows they returned, together (`RETURNING`).
    /// (Not the rows they changed: SQLite's count of changes is stale after a statement that
    /// changes none, such as `SAVEPOINT`.)
    pub(super) async fn returned(self, conn: &mut SqliteConnection) -> Result<usize, LedgerError> {
        if let Some(e) = self.bad {
            return Err(LedgerError::Storage(format!("binding an argument: {e}")));
        }
        if self.sql.is_empty() {
            return Ok(0);
        }
        let rows = sqlx::query_with(sqlx::AssertSqlSafe(self.sql), self.args)
            .fetch_all(conn)
            .await
            .map_err(storage)?;
        Ok(rows.len())
    }
}
