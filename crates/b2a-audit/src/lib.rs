//! The audit log's entries and their hash chain.
//!
//! Every state change and automated decision appends one entry. Each entry's hash covers the
//! previous entry's hash, so changing, removing or reordering any entry breaks every hash after
//! it. (A Merkle tree with signed checkpoints replaces the plain chain in a later issue.)
//!
//! Pure: hashing and verification take values; the ledger stores entries in the same
//! transaction as the business write they record.
//!
//! ```
//! use b2a_audit::{AuditRecord, Chain, verify_chain};
//! use serde_json::json;
//!
//! let mut chain = Chain::genesis();
//! let rec = AuditRecord {
//!     at: "2026-11-21T08:00:00Z".into(),
//!     actor: "agent:shopper-1".into(),
//!     credential: "jti-1".into(),
//!     action: "quote.created".into(),
//!     subject: "q_1".into(),
//!     details: json!({"total": {"amount": 100, "currency": "EUR"}}),
//! };
//! let entry = chain.append(rec);
//! assert_eq!(entry.seq, 1);
//! assert!(verify_chain(&[entry]).is_ok());
//! ```

pub mod checkpoint;
pub mod entry;
pub mod jwk;
pub mod merkle;
pub mod verify;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// Domain separation prefix of every entry hash.
const DOMAIN: &[u8] = b"b2a-audit-chain-v1\0";

/// What happened, before it is chained.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditRecord {
    /// When, RFC 3339 in UTC.
    pub at: String,
    /// Who acted: `agent:<id>`, `operator:<id>`, `auditor:<id>` or `system`.
    pub actor: String,
    /// The credential they acted with (a token's `jti`), or empty.
    pub credential: String,
    /// What they did, e.g. `order.placed`.
    pub action: String,
    /// The object acted on, e.g. an order id.
    pub subject: String,
    /// Facts of the decision (amounts, lines, reasons). Never personal data.
    pub details: Value,
}

/// A chained entry of the audit log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// Position in the log, from 1.
    pub seq: u64,
    /// The record.
    #[serde(flatten)]
    pub record: AuditRecord,
    /// Hex SHA-256 of the previous entry (64 zeros for the first).
    pub prev_hash: String,
    /// Hex SHA-256 of this entry (see [`entry_hash`]).
    pub hash: String,
}

/// The tip of a chain: the next sequence number and the hash to chain onto.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chain {
    /// Sequence number of the last entry (0 when empty).
    pub last_seq: u64,
    /// Hash of the last entry (zeros when empty).
    pub last_hash: [u8; 32],
}

impl Chain {
    /// An empty chain.
    pub fn genesis() -> Self {
        Self {
            last_seq: 0,
            last_hash: [0; 32],
        }
    }

    /// Resumes after a stored entry.
    pub fn after(seq: u64, hash_hex: &str) -> Result<Self, ChainError> {
        Ok(Self {
            last_seq: seq,
            last_hash: decode_hash(seq, hash_hex)?,
        })
    }

    /// Chains a record and moves the tip.
    pub fn append(&mut self, record: AuditRecord) -> AuditEntry {
        let seq = self.last_seq + 1;
        let hash = entry_hash(&self.last_hash, seq, &record);
        let entry = AuditEntry {
            seq,
            record,
            prev_hash: hex::encode(self.last_hash),
            hash: hex::encode(hash),
        };
        self.last_seq = seq;
        self.last_hash = hash;
        entry
    }
}

/// `SHA-256(DOMAIN ‖ prev ‖ seq as u64 BE ‖ each field length-prefixed)`, where the fields are
/// `at`, `actor`, `credential`, `action`, `subject` and the canonical JSON of `details`
/// (object keys sorted, no whitespace).
pub fn entry_hash(prev: &[u8; 32], seq: u64, r: &AuditRecord) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(DOMAIN);
    h.update(prev);
    h.update(seq.to_be_bytes());
    let details = canonical_json(&r.details);
    for field in [
        &r.at,
        &r.actor,
        &r.credential,
        &r.action,
        &r.subject,
        &details,
    ] {
        h.update((field.len() as u64).to_be_bytes());
        h.update(field.as_bytes());
    }
    h.finalize().into()
}

/// JSON text with object keys sorted at every level and no insignificant whitespace.
pub fn canonical_json(value: &Value) -> String {
    fn write(v: &Value, out: &mut String) {
        match v {
            Value::Object(map) => {
                let mut keys: Vec<&String> = map.keys().collect();
                keys.sort();
                out.push('{');
                for (i, k) in keys.into_iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str(&Value::String(k.clone()).to_string());
                    out.push(':');
                    write(&map[k], out);
                }
                out.push('}');
            }
            Value::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write(item, out);
                }
                out.push(']');
            }
            scalar => out.push_str(&scalar.to_string()),
        }
    }
    let mut out = String::new();
    write(value, &mut out);
    out
}

/// Where and why a chain fails to verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("audit entry {seq}: {reason}")]
pub struct ChainError {
    /// The first entry that does not verify.
    pub seq: u64,
    /// What is wrong with it.
    pub reason: String,
}

fn decode_hash(seq: u64, text: &str) -> Result<[u8; 32], ChainError> {
    let mut out = [0; 32];
    hex::decode_to_slice(text, &mut out).map_err(|e| ChainError {
        seq,
        reason: format!("malformed hash: {e}"),
    })?;
    Ok(out)
}

/// Checks that `entries` are consecutive, each links to its predecessor, and each hash is the
/// hash of its content. A slice may start anywhere in the log: its first `prev_hash` is trusted.
pub fn verify_chain(entries: &[AuditEntry]) -> Result<(), ChainError> {
    let Some(first) = entries.first() else {
        return Ok(());
    };
    let mut prev = decode_hash(first.seq, &first.prev_hash)?;
    for (expected_seq, e) in (first.seq..).zip(entries) {
        let fail = |reason: String| ChainError { seq: e.seq, reason };
        if e.seq != expected_seq {
            return Err(fail(format!("expected sequence number {expected_seq}")));
        }
        if decode_hash(e.seq, &e.prev_hash)? != prev {
            return Err(fail("prev_hash does not match the previous entry".into()));
        }
        let hash = entry_hash(&prev, e.seq, &e.record);
        if hex::encode(hash) != e.hash {
            return Err(fail("hash does not match the entry's content".into()));
        }
        prev = hash;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn record(i: u64) -> AuditRecord {
        AuditRecord {
            at: format!("2026-11-21T08:00:{i:02}Z"),
            actor: "agent:a".into(),
            credential: "jti".into(),
            action: "order.placed".into(),
            subject: format!("o_{i}"),
            details: json!({"b": 2, "a": [1, {"z": 1, "y": 2}]}),
        }
    }

    fn log(n: u64) -> Vec<AuditEntry> {
        let mut chain = Chain::genesis();
        (1..=n).map(|i| chain.append(record(i))).collect()
    }

    #[test]
    fn an_untouched_log_verifies() {
        assert_eq!(verify_chain(&log(5)), Ok(()));
        assert_eq!(verify_chain(&log(5)[2..]), Ok(()));
    }

    #[test]
    fn any_change_is_detected_at_the_changed_entry() {
        let mut l = log(5);
        l[2].record.details = json!({"b": 3});
        assert_eq!(verify_chain(&l).map_err(|e| e.seq), Err(3));

        let mut l = log(5);
        l.remove(1);
        assert_eq!(verify_chain(&l).map_err(|e| e.seq), Err(3));

        let mut l = log(5);
        l.swap(1, 2);
        assert!(verify_chain(&l).is_err());
    }

    #[test]
    fn canonical_json_sorts_keys_at_every_level() {
        assert_eq!(
            canonical_json(&record(1).details),
            r#"{"a":[1,{"y":2,"z":1}],"b":2}"#
        );
    }

    #[test]
    fn resuming_a_chain_continues_it() {
        let l = log(2);
        let mut chain = Chain::after(2, &l[1].hash).expect("valid hash");
        let third = chain.append(record(3));
        let all = [l, vec![third]].concat();
        assert_eq!(verify_chain(&all), Ok(()));
    }
}
