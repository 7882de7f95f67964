//! The ledger's integration tests: one binary, one conformance suite.
//!
//! [`conformance`] states what every [`b2a_ledger::Ledger`] backend must do, written once as
//! async functions over `&dyn Ledger` (or an `Arc<dyn Ledger>`, or an opener of ledgers on one
//! shared store). Each backend module runs every one of them against fresh, empty ledgers:
//! [`sqlite`] and [`postgres`] (when `B2A_TEST_POSTGRES_URL` names a test database).

mod conformance;
mod fixtures;
mod postgres;
mod sqlite;
