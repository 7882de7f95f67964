//! The tamper-evident audit log: entries, their Merkle tree (RFC 9162), signed checkpoints
//! (C2SP `tlog-checkpoint`), and the checks an auditor runs offline.
//!
//! Every state change and automated decision appends one [`entry::Entry`]; its leaf is the
//! SHA-256 of its RFC 8785 canonical JSON. [`entry::append`] gives a record its place at the end
//! of a log and returns what a store writes: the entry, its bytes, and the perfect nodes of the
//! tree it completed. Checkpoints sign the tree's root at a size; inclusion and consistency
//! proofs tie entries and checkpoints together ([`merkle`], [`verify`]).
//!
//! Pure: hashing and verification take values; the ledger stores entries in the same
//! transaction as the business write they record.
//!
//! ```
//! use b2a_audit::entry::{Record, append};
//! use b2a_audit::merkle::{Frontier, verify_inclusion};
//! use serde_json::json;
//!
//! let mut log = Frontier::new();
//! let record = Record {
//!     at: "2026-11-21T08:00:00Z".into(),
//!     actor: "agent:shopper-1".into(),
//!     credential: "jti-1".into(),
//!     principal: None,
//!     action: "quote.created".into(),
//!     subjects: vec!["q_1".into()],
//!     payload: json!({"total": {"amount": 100, "currency": "EUR"}}),
//!     commitments: Default::default(),
//! };
//! let first = append(&mut log, record);
//! assert_eq!(first.entry.seq, 0);
//! assert_eq!(log.size(), 1);
//! assert!(verify_inclusion(&first.entry.leaf(), 0, 1, &[], &log.root()));
//! ```

pub mod checkpoint;
pub mod entry;
pub mod jwk;
pub mod merkle;
pub mod verify;
