//! Every role of the ledger, written once: [`SqlLedger`] implements each role trait over an
//! engine (`crate::engine`), with SQL both engines run (`crate::sql`). A file per role, each
//! with its statements and its trait implementation.

mod audit;
mod inventory;
mod offers;
mod orders;
mod registry;
mod vault;

pub(crate) use audit::{carry_over_chain, nodes};
pub(crate) use registry::insert_grant;

/// The ledger on one database engine: [`crate::SqliteLedger`] or [`crate::PostgresLedger`].
#[derive(Debug, Clone)]
pub struct SqlLedger<E> {
    pub(crate) engine: E,
}
