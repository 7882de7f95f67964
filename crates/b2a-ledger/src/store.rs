//! Every role of the ledger, written once: [`SqlLedger`] implements each role trait over an
//! engine (`crate::engine`), with SQL both engines run (`crate::sql`). A file per role, each
//! with its statements and its trait implementation.

use b2a_model::Quote;
use b2a_orders::offers::QuoteCmd;

use crate::engine::Engine;
use crate::group_commit::Writer;

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
    /// The group commit of quote writes.
    quotes: Writer<QuoteCmd, Quote>,
}

/// The ledger on `engine`: starts its group commit of quote writes (on the current Tokio
/// runtime).
pub(crate) fn on<E: Engine>(engine: E) -> SqlLedger<E> {
    SqlLedger {
        quotes: Writer::start(offers::QuoteBatches(engine.clone())),
        engine,
    }
}
