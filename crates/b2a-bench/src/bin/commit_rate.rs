//! `commit-rate sqlite FILE | postgres URL [CONCURRENCY] [SECONDS]`: the raw rate of durable
//! single-row commits on a database, configured as the ledger configures it — the physical limit
//! the order benchmark compares itself with.
//!
//! SQLite: WAL, `synchronous=FULL`, one writer connection (as the ledger), CONCURRENCY tasks each
//! committing one `INSERT` at a time. PostgreSQL: a pool of CONCURRENCY connections, each
//! committing one `INSERT` at a time (`synchronous_commit` as the server has it: on by default),
//! into a table of its own schema, dropped at the end. Prints commits per second.

#![allow(clippy::print_stdout)] // a benchmark prints its figures

use std::process::ExitCode;
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

type Error = Box<dyn std::error::Error + Send + Sync>;

fn main() -> ExitCode {
    let Ok(runtime) = tokio::runtime::Runtime::new() else {
        return ExitCode::FAILURE;
    };
    match runtime.block_on(run()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("commit-rate: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Runs `commit` in a loop on `concurrency` tasks until `deadline`, counting each in `done`.
async fn hammer<F, Fut>(
    concurrency: usize,
    deadline: Instant,
    done: &Arc<AtomicU64>,
    commit: F,
) -> Result<(), Error>
where
    F: Fn() -> Fut + Clone + Send + 'static,
    Fut: Future<Output = Result<(), sqlx::Error>> + Send,
{
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (commit, done) = (commit.clone(), Arc::clone(done));
        tasks.push(tokio::spawn(async move {
            while Instant::now() < deadline {
                commit().await?;
                done.fetch_add(1, Ordering::Relaxed);
            }
            Ok::<_, sqlx::Error>(())
        }));
    }
    for t in tasks {
        t.await??;
    }
    Ok(())
}

async fn run() -> Result<(), Error> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(kind), Some(target)) = (args.first(), args.get(1)) else {
        return Err("usage: commit-rate sqlite FILE | postgres URL [CONCURRENCY] [SECONDS]".into());
    };
    let concurrency: usize = args.get(2).map_or(Ok(32), |t| t.parse())?;
    let seconds: u64 = args.get(3).map_or(Ok(10), |t| t.parse())?;
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let done = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    match kind.as_str() {
        "sqlite" => {
            let options = SqliteConnectOptions::from_str("sqlite://")?
                .filename(target)
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Full)
                .busy_timeout(Duration::from_secs(10));
            let pool = SqlitePoolOptions::new()
                .max_connections(1)
                .connect_with(options)
                .await?;
            sqlx::query(
                "CREATE TABLE IF NOT EXISTS commits (id INTEGER PRIMARY KEY, at INTEGER NOT NULL)",
            )
            .execute(&pool)
            .await?;
            hammer(concurrency, deadline, &done, move || {
                let pool = pool.clone();
                async move {
                    sqlx::query("INSERT INTO commits (at) VALUES (?)")
                        .bind(1_i64)
                        .execute(&pool)
                        .await
                        .map(drop)
                }
            })
            .await?;
        }
        "postgres" => {
            let schema = format!("commit_rate_{}", std::process::id());
            let options =
                PgConnectOptions::from_str(target)?.options([("search_path", schema.as_str())]);
            let pool = PgPoolOptions::new()
                .max_connections(u32::try_from(concurrency)?)
                .connect_with(options)
                .await?;
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
                .execute(&pool)
                .await?;
            sqlx::query("CREATE TABLE commits (id BIGSERIAL PRIMARY KEY, at BIGINT NOT NULL)")
                .execute(&pool)
                .await?;
            let insert = pool.clone();
            hammer(concurrency, deadline, &done, move || {
                let pool = insert.clone();
                async move {
                    sqlx::query("INSERT INTO commits (at) VALUES ($1)")
                        .bind(1_i64)
                        .execute(&pool)
                        .await
                        .map(drop)
                }
            })
            .await?;
            sqlx::query(sqlx::AssertSqlSafe(format!("DROP SCHEMA {schema} CASCADE")))
                .execute(&pool)
                .await?;
        }
        other => return Err(format!("unknown database kind {other}").into()),
    }
    let n = done.load(Ordering::Relaxed);
    let secs = started.elapsed().as_secs_f64();
    println!(
        "{kind}: {n} single-row commits in {secs:.2} s with {concurrency} tasks: {:.0} commits/s",
        n as f64 / secs
    );
    Ok(())
}
