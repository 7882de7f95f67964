//! The pricing engine's integration tests, one binary: examples of every rule and answer, and
//! properties over random catalogs, policies and contexts.

mod common;
mod examples;
mod properties;
