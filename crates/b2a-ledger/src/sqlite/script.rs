//! Several statements sent to SQLite in one trip.
//!
//! `sqlx` runs SQLite on a worker thread of its own: every query is a round trip between the
//! async task and that thread (two thread wake-ups). A write of several statements (a batch of
//! orders, a transition with its releases) is sent as one script — the statements one after the
//! other in one query string, each binding its own arguments in order (`sqlx` runs every
//! statement of a query string) — and pays one trip. The first statement that fails stops the
//! script, and the transaction it runs in is not committed.

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
        if let Some(e) = self.bad {
            return Err(LedgerError::Storage(format!("binding an argument: {e}")));
        }
        if self.sql.is_empty() {
            return Ok(());
        }
        sqlx::query_with(sqlx::AssertSqlSafe(self.sql), self.args)
            .execute(conn)
            .await
            .map_err(storage)?;
        Ok(())
    }
}
