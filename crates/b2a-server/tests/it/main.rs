//! End-to-end tests of the gateway: the real router over a real data directory (Oxigraph on
//! disk, SQLite ledger, Ed25519 keys) loaded with the demo brand. Every response body is
//! validated against its schema in `schemas/`.

mod support;

mod admin;
mod concurrency;
mod discovery;
mod errors;
mod export;
mod feed;
mod flow;
mod lifecycle;
mod mcp;
mod navigate;
mod offers;
mod routes;
mod search;
mod socket;
mod sparql;
mod tokens;
