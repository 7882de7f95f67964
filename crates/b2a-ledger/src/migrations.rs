//! The schema migrations of both backends, embedded in the binary and applied at open:
//! `migrations/<backend>/<version>_<name>.sql`. Each applied migration is recorded in the
//! database (`_sqlx_migrations`), so each runs once.

use sqlx::SqlSafeStr;
use sqlx::migrate::{Migration, MigrationType, Migrator};

/// One migration: version, description, SQL.
type Step = (i64, &'static str, &'static str);

const SQLITE: &[Step] = &[
    (
        1,
        "ledger",
        include_str!("../migrations/sqlite/0001_ledger.sql"),
    ),
    (
        2,
        "grant spent",
        include_str!("../migrations/sqlite/0002_grant_spent.sql"),
    ),
    (
        3,
        "merkle log",
        include_str!("../migrations/sqlite/0003_merkle_log.sql"),
    ),
    (
        4,
        "vault keys",
        include_str!("../migrations/sqlite/0004_vault_keys.sql"),
    ),
    (
        5,
        "audit index",
        include_str!("../migrations/sqlite/0005_audit_index.sql"),
    ),
    (
        6,
        "audit leaves",
        include_str!("../migrations/sqlite/0006_audit_leaves.sql"),
    ),
    (
        7,
        "audit bytes",
        include_str!("../migrations/sqlite/0007_audit_bytes.sql"),
    ),
    (
        8,
        "order columns",
        include_str!("../migrations/sqlite/0008_order_columns.sql"),
    ),
];

const POSTGRES: &[Step] = &[
    (
        1,
        "ledger",
        include_str!("../migrations/postgres/0001_ledger.sql"),
    ),
    (
        2,
        "order lifecycle",
        include_str!("../migrations/postgres/0002_order_lifecycle.sql"),
    ),
    (
        3,
        "grant spent",
        include_str!("../migrations/postgres/0003_grant_spent.sql"),
    ),
    (
        4,
        "audit tip",
        include_str!("../migrations/postgres/0004_audit_tip.sql"),
    ),
    (
        5,
        "merkle log",
        include_str!("../migrations/postgres/0005_merkle_log.sql"),
    ),
    (
        6,
        "vault keys",
        include_str!("../migrations/postgres/0006_vault_keys.sql"),
    ),
    (
        7,
        "audit index",
        include_str!("../migrations/postgres/0007_audit_index.sql"),
    ),
    (
        8,
        "audit leaves",
        include_str!("../migrations/postgres/0008_audit_leaves.sql"),
    ),
    (
        9,
        "audit bytes",
        include_str!("../migrations/postgres/0009_audit_bytes.sql"),
    ),
];

fn migrator(steps: &[Step]) -> Migrator {
    Migrator::with_migrations(
        steps
            .iter()
            .map(|&(version, description, sql)| {
                Migration::new(
                    version,
                    description.into(),
                    MigrationType::Simple,
                    sql.into_sql_str(),
                    false,
                )
            })
            .collect(),
    )
}

/// The embedded ledger's migrations.
pub(crate) fn sqlite() -> Migrator {
    migrator(SQLITE)
}

/// The PostgreSQL ledger's migrations.
pub(crate) fn postgres() -> Migrator {
    migrator(POSTGRES)
}
