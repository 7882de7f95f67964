//! SQL both engines run: a statement with its values ([`Stmt`]), a row read back ([`Row`]), and
//! what a connection of either engine does with them ([`Conn`]).
//!
//! Shared statements are written once, in the dialect SQLite and PostgreSQL have in common:
//! `$1`, `$2`, … placeholders (SQLite reads `$N` as the N-th value), `ON CONFLICT`, `UPDATE …
//! FROM`, row values, `VALUES` lists (whose columns both name `column1`, `column2`, …). What the
//! engines really do differently stays with each: locking rows ([`Conn::lock`] and
//! [`Stmt::for_update`], nothing on SQLite, whose one writer holds the whole database), placing a
//! batch of orders, appending to the audit log, announcing trust changes, migrations.
//!
//! A statement's text is fixed by the code, never made of a request's values: dynamic text only
//! repeats placeholders ([`values`], [`list`]), which is why it may be asserted SQL-safe.

use std::borrow::Cow;

use async_trait::async_trait;
use b2a_audit::entry::{Appended, Entry, Record};
use sqlx::postgres::{PgArguments, PgRow};
use sqlx::sqlite::{SqliteArguments, SqliteRow};
use sqlx::{Arguments, Column, PgConnection, Row as _, SqliteConnection, TypeInfo};

use crate::LedgerError;
use crate::audit::number;
use crate::codec::corrupt;

/// Why one attempt at a transaction failed: for good, or in a way worth another attempt.
#[derive(Debug)]
pub(crate) enum Fail {
    /// The answer.
    Ledger(LedgerError),
    /// A serialization failure or a deadlock (PostgreSQL): the transaction was rolled back, try
    /// again.
    Retry(sqlx::Error),
    /// A lock was held by another transaction for longer than a batch of orders waits
    /// (PostgreSQL batches set a lock timeout): the batch's orders are placed alone.
    Busy,
    /// Another transaction holds an order's idempotency key, which an order of a batch does
    /// not wait for (PostgreSQL): the order is placed alone.
    KeyInFlight,
}

impl From<LedgerError> for Fail {
    fn from(e: LedgerError) -> Self {
        Fail::Ledger(e)
    }
}

impl From<Fail> for LedgerError {
    fn from(f: Fail) -> Self {
        match f {
            Fail::Ledger(e) => e,
            Fail::Retry(e) => LedgerError::Storage(e.to_string()),
            Fail::Busy => LedgerError::Storage("a lock was held too long".to_owned()),
            Fail::KeyInFlight => LedgerError::IdempotencyInFlight,
        }
    }
}

/// A value bound to a placeholder.
#[derive(Debug, Clone)]
pub(crate) enum Arg<'a> {
    Text(Option<Cow<'a, str>>),
    Int(Option<i64>),
    Bytes(Cow<'a, [u8]>),
}

impl<'a> From<&'a str> for Arg<'a> {
    fn from(v: &'a str) -> Self {
        Arg::Text(Some(Cow::Borrowed(v)))
    }
}

impl From<String> for Arg<'_> {
    fn from(v: String) -> Self {
        Arg::Text(Some(Cow::Owned(v)))
    }
}

impl<'a> From<Option<&'a str>> for Arg<'a> {
    fn from(v: Option<&'a str>) -> Self {
        Arg::Text(v.map(Cow::Borrowed))
    }
}

impl From<Option<String>> for Arg<'_> {
    fn from(v: Option<String>) -> Self {
        Arg::Text(v.map(Cow::Owned))
    }
}

impl From<i64> for Arg<'_> {
    fn from(v: i64) -> Self {
        Arg::Int(Some(v))
    }
}

impl From<Option<i64>> for Arg<'_> {
    fn from(v: Option<i64>) -> Self {
        Arg::Int(v)
    }
}

impl<'a> From<&'a [u8]> for Arg<'a> {
    fn from(v: &'a [u8]) -> Self {
        Arg::Bytes(Cow::Borrowed(v))
    }
}

/// One statement and the values of its `$1`, `$2`, …
#[derive(Debug, Clone)]
pub(crate) struct Stmt<'a> {
    sql: Cow<'static, str>,
    args: Vec<Arg<'a>>,
    /// What an engine that locks rows appends (PostgreSQL: ` FOR UPDATE`).
    lock: Option<&'static str>,
}

impl<'a> Stmt<'a> {
    /// A statement of this text.
    pub(crate) fn new(sql: impl Into<Cow<'static, str>>) -> Self {
        Self {
            sql: sql.into(),
            args: Vec::new(),
            lock: None,
        }
    }

    /// Binds the next placeholder.
    pub(crate) fn bind(mut self, value: impl Into<Arg<'a>>) -> Self {
        self.args.push(value.into());
        self
    }

    /// Binds the next placeholders, one per value.
    pub(crate) fn bind_all<V: Into<Arg<'a>>>(
        mut self,
        values: impl IntoIterator<Item = V>,
    ) -> Self {
        self.args.extend(values.into_iter().map(Into::into));
        self
    }

    /// Locks the rows it reads for the rest of the transaction, where the engine locks rows
    /// (PostgreSQL: `FOR UPDATE`, or `FOR UPDATE OF` a table of `lock`). On SQLite the writer's
    /// transaction holds the whole database already.
    pub(crate) fn for_update(mut self, lock: &'static str) -> Self {
        self.lock = Some(lock);
        self
    }
}

/// Placeholders of `rows` rows of `columns` values each, numbered from `$first`:
/// `($1, $2), ($3, $4)` — the rows of a `VALUES` list.
pub(crate) fn values(first: usize, rows: usize, columns: usize) -> String {
    let mut out = String::with_capacity(rows * columns * 6);
    for r in 0..rows {
        if r > 0 {
            out.push_str(", ");
        }
        out.push('(');
        for c in 0..columns {
            if c > 0 {
                out.push_str(", ");
            }
            out.push('$');
            out.push_str(&(first + r * columns + c).to_string());
        }
        out.push(')');
    }
    out
}

/// Placeholders of `n` values numbered from `$first`, for `IN (…)`: `$3, $4, $5`. At least one
/// is needed; a caller with none asks nothing.
pub(crate) fn list(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The most values one statement binds: SQLite takes at most 32 766, PostgreSQL 65 535.
pub(crate) const MAX_VALUES: usize = 30_000;

/// Row sets of at most [`MAX_VALUES`] values for a statement of `columns` values a row.
pub(crate) fn chunks<T>(rows: &[T], columns: usize) -> std::slice::Chunks<'_, T> {
    rows.chunks((MAX_VALUES / columns.max(1)).max(1))
}

/// Row locks a transaction takes where the engine locks rows (PostgreSQL), in the order every
/// transaction takes them, so that two never wait for each other; nothing on SQLite.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Lock<'a> {
    /// The stock rows of these SKUs (sorted, distinct).
    Stock(&'a [&'a str]),
    /// The grant rows an order was charged to.
    ChargedGrants(&'a str),
    /// One grant's row.
    Grant(&'a str),
    /// The audit log (the one row of `audit_head`): appends and what is numbered with them.
    AuditLog,
}

/// A row read back, from either engine.
#[derive(Debug)]
pub(crate) enum Row {
    Sqlite(SqliteRow),
    Postgres(PgRow),
}

fn column(e: sqlx::Error) -> LedgerError {
    LedgerError::Corrupt(e.to_string())
}

impl Row {
    /// Column `i` as text.
    pub(crate) fn text(&self, i: usize) -> Result<&str, LedgerError> {
        match self {
            Row::Sqlite(r) => r.try_get(i),
            Row::Postgres(r) => r.try_get(i),
        }
        .map_err(column)
    }

    /// Column `i` as text, or NULL.
    pub(crate) fn opt_text(&self, i: usize) -> Result<Option<&str>, LedgerError> {
        match self {
            Row::Sqlite(r) => r.try_get(i),
            Row::Postgres(r) => r.try_get(i),
        }
        .map_err(column)
    }

    /// Column `i` as an integer, or NULL (PostgreSQL's `SMALLINT`, `INTEGER` and `BIGINT` alike).
    pub(crate) fn opt_int(&self, i: usize) -> Result<Option<i64>, LedgerError> {
        match self {
            Row::Sqlite(r) => r.try_get(i).map_err(column),
            Row::Postgres(r) => {
                let ty = r.try_column(i).map_err(column)?.type_info().name();
                match ty {
                    "INT2" => Ok(r
                        .try_get::<Option<i16>, _>(i)
                        .map_err(column)?
                        .map(i64::from)),
                    "INT4" => Ok(r
                        .try_get::<Option<i32>, _>(i)
                        .map_err(column)?
                        .map(i64::from)),
                    _ => r.try_get(i).map_err(column),
                }
            }
        }
    }

    /// Column `i` as an integer.
    pub(crate) fn int(&self, i: usize) -> Result<i64, LedgerError> {
        self.opt_int(i)?
            .ok_or_else(|| corrupt(format!("column {i} is NULL")))
    }

    /// Column `i` as a count or size (never negative).
    pub(crate) fn count(&self, i: usize) -> Result<u64, LedgerError> {
        u64::try_from(self.int(i)?).map_err(corrupt)
    }

    /// Column `i` as bytes.
    pub(crate) fn bytes(&self, i: usize) -> Result<&[u8], LedgerError> {
        match self {
            Row::Sqlite(r) => r.try_get(i),
            Row::Postgres(r) => r.try_get(i),
        }
        .map_err(column)
    }

    /// Column `i` as a truth value.
    pub(crate) fn boolean(&self, i: usize) -> Result<bool, LedgerError> {
        match self {
            Row::Sqlite(r) => r.try_get(i),
            Row::Postgres(r) => r.try_get(i),
        }
        .map_err(column)
    }
}

/// What a connection of either engine runs. A write transaction derefs to its connection.
#[async_trait]
pub(crate) trait Conn: Send {
    /// Runs a statement; the rows it changed.
    async fn execute(&mut self, s: Stmt<'_>) -> Result<u64, Fail>;

    /// Every row a statement answers.
    async fn fetch_all(&mut self, s: Stmt<'_>) -> Result<Vec<Row>, Fail>;

    /// The first row a statement answers, if any.
    async fn fetch_optional(&mut self, s: Stmt<'_>) -> Result<Option<Row>, Fail>;

    /// The one row a statement answers.
    async fn fetch_one(&mut self, s: Stmt<'_>) -> Result<Row, Fail> {
        self.fetch_optional(s)
            .await?
            .ok_or_else(|| corrupt("a statement answered no row").into())
    }

    /// Takes row locks for the rest of the transaction (PostgreSQL), or nothing (SQLite).
    async fn lock(&mut self, lock: Lock<'_>) -> Result<(), Fail>;

    /// Appends `records`, in order, inside this connection's transaction, numbered from the
    /// log's size. Nothing for no records.
    async fn append(&mut self, records: Vec<Record>) -> Result<Vec<Entry>, Fail> {
        if records.is_empty() {
            return Ok(Vec::new());
        }
        let appended = number(self.lock_log().await?, records);
        self.store_entries(&appended).await?;
        Ok(appended.into_iter().map(|a| a.entry).collect())
    }

    /// Serializes this transaction's appends with every other's (PostgreSQL locks the one row
    /// of `audit_head`; SQLite's writer holds the database), as late in the transaction as it
    /// can, and reads the log's size: the next entry's number.
    async fn lock_log(&mut self) -> Result<u64, Fail>;

    /// Stores `appended` (each entry's number and bytes, nothing else: the tree's hashes and
    /// what auditors filter by are derived from the bytes later, [`Conn::index_audit`]).
    async fn store_entries(&mut self, appended: &[Appended]) -> Result<(), Fail>;

    /// Indexes the next entries not indexed yet (at most `audit::INDEX_BATCH`) inside this
    /// connection's transaction; how many.
    async fn index_audit(&mut self) -> Result<usize, Fail>;

    /// How many audit entries are committed (their tree need not be indexed yet).
    async fn audit_size(&mut self) -> Result<u64, Fail>;
}

fn sqlite_args(args: Vec<Arg<'_>>) -> Result<SqliteArguments, Fail> {
    let mut out = SqliteArguments::default();
    out.reserve(args.len(), 0);
    for a in args {
        let added = match a {
            Arg::Text(v) => out.add(v.map(Cow::into_owned)),
            Arg::Int(v) => out.add(v),
            Arg::Bytes(v) => out.add(v.into_owned()),
        };
        added.map_err(|e| LedgerError::Storage(format!("binding a value: {e}")))?;
    }
    Ok(out)
}

fn pg_args(args: Vec<Arg<'_>>) -> Result<PgArguments, Fail> {
    let mut out = PgArguments::default();
    out.reserve(args.len(), 0);
    for a in args {
        let added = match a {
            Arg::Text(v) => out.add(v.as_deref()),
            Arg::Int(v) => out.add(v),
            Arg::Bytes(v) => out.add(v.as_ref()),
        };
        added.map_err(|e| LedgerError::Storage(format!("binding a value: {e}")))?;
    }
    Ok(out)
}

/// The SQLSTATE of a database error.
pub(crate) fn sqlstate(e: &sqlx::Error) -> Option<String> {
    e.as_database_error()
        .and_then(|d| d.code())
        .map(|c| c.into_owned())
}

/// A database error: retryable when it is a serialization failure or a deadlock, busy when a
/// lock wait ran out of time (PostgreSQL's SQLSTATEs; SQLite's one writer has neither), else the
/// storage failing.
pub(crate) fn failure(e: sqlx::Error) -> Fail {
    match sqlstate(&e).as_deref() {
        Some("40001" | "40P01") => Fail::Retry(e),
        Some("55P03") => Fail::Busy,
        _ => Fail::Ledger(LedgerError::Storage(e.to_string())),
    }
}

impl From<sqlx::Error> for Fail {
    fn from(e: sqlx::Error) -> Self {
        failure(e)
    }
}

#[async_trait]
impl Conn for SqliteConnection {
    async fn execute(&mut self, s: Stmt<'_>) -> Result<u64, Fail> {
        let args = sqlite_args(s.args)?;
        Ok(sqlx::query_with(sqlx::AssertSqlSafe(s.sql), args)
            .execute(self)
            .await
            .map_err(failure)?
            .rows_affected())
    }

    async fn fetch_all(&mut self, s: Stmt<'_>) -> Result<Vec<Row>, Fail> {
        let args = sqlite_args(s.args)?;
        let rows = sqlx::query_with(sqlx::AssertSqlSafe(s.sql), args)
            .fetch_all(self)
            .await
            .map_err(failure)?;
        Ok(rows.into_iter().map(Row::Sqlite).collect())
    }

    async fn fetch_optional(&mut self, s: Stmt<'_>) -> Result<Option<Row>, Fail> {
        let args = sqlite_args(s.args)?;
        let row = sqlx::query_with(sqlx::AssertSqlSafe(s.sql), args)
            .fetch_optional(self)
            .await
            .map_err(failure)?;
        Ok(row.map(Row::Sqlite))
    }

    async fn lock(&mut self, _lock: Lock<'_>) -> Result<(), Fail> {
        // `BEGIN IMMEDIATE` took the database's write lock for the whole transaction.
        Ok(())
    }

    async fn lock_log(&mut self) -> Result<u64, Fail> {
        Ok(crate::sqlite::audit_log::size(self).await?)
    }

    async fn store_entries(&mut self, appended: &[Appended]) -> Result<(), Fail> {
        Ok(crate::sqlite::audit_log::store(self, appended).await?)
    }

    async fn index_audit(&mut self) -> Result<usize, Fail> {
        Ok(crate::sqlite::audit_log::index_batch(self).await?)
    }

    async fn audit_size(&mut self) -> Result<u64, Fail> {
        Ok(crate::sqlite::audit_log::size(self).await?)
    }
}

/// A PostgreSQL statement's text with its row lock.
fn pg_sql(s: &Stmt<'_>) -> Cow<'static, str> {
    match s.lock {
        Some(lock) => Cow::Owned(format!("{} {lock}", s.sql)),
        None => s.sql.clone(),
    }
}

#[async_trait]
impl Conn for PgConnection {
    async fn execute(&mut self, s: Stmt<'_>) -> Result<u64, Fail> {
        let sql = pg_sql(&s);
        let args = pg_args(s.args)?;
        Ok(sqlx::query_with(sqlx::AssertSqlSafe(sql), args)
            .execute(self)
            .await
            .map_err(failure)?
            .rows_affected())
    }

    async fn fetch_all(&mut self, s: Stmt<'_>) -> Result<Vec<Row>, Fail> {
        let sql = pg_sql(&s);
        let args = pg_args(s.args)?;
        let rows = sqlx::query_with(sqlx::AssertSqlSafe(sql), args)
            .fetch_all(self)
            .await
            .map_err(failure)?;
        Ok(rows.into_iter().map(Row::Postgres).collect())
    }

    async fn fetch_optional(&mut self, s: Stmt<'_>) -> Result<Option<Row>, Fail> {
        let sql = pg_sql(&s);
        let args = pg_args(s.args)?;
        let row = sqlx::query_with(sqlx::AssertSqlSafe(sql), args)
            .fetch_optional(self)
            .await
            .map_err(failure)?;
        Ok(row.map(Row::Postgres))
    }

    async fn lock(&mut self, lock: Lock<'_>) -> Result<(), Fail> {
        let q = match lock {
            Lock::Stock(skus) => {
                sqlx::query("SELECT sku FROM stock WHERE sku = ANY($1) ORDER BY sku FOR UPDATE")
                    .bind(skus)
            }
            Lock::ChargedGrants(order) => sqlx::query(
                "SELECT jti FROM grants WHERE jti IN (SELECT jti FROM grant_spend WHERE order_id = $1)
                 ORDER BY jti FOR UPDATE",
            )
            .bind(order),
            Lock::Grant(jti) => {
                sqlx::query("SELECT jti FROM grants WHERE jti = $1 FOR UPDATE").bind(jti)
            }
            Lock::AuditLog => sqlx::query("SELECT singleton FROM audit_head FOR UPDATE"),
        };
        q.fetch_all(self).await?;
        Ok(())
    }

    async fn lock_log(&mut self) -> Result<u64, Fail> {
        crate::postgres::audit_log::lock_size(self).await
    }

    async fn store_entries(&mut self, appended: &[Appended]) -> Result<(), Fail> {
        crate::postgres::audit_log::store(self, appended).await
    }

    async fn index_audit(&mut self) -> Result<usize, Fail> {
        Ok(crate::postgres::audit_log::index_batch(self).await?)
    }

    async fn audit_size(&mut self) -> Result<u64, Fail> {
        Ok(crate::postgres::audit_log::size(self).await?)
    }
}
