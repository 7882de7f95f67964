//! Entries of the tamper-evident log: what is served, and the bytes that are hashed.
//!
//! An entry's leaf in the Merkle tree is `SHA-256(0x00 ‖ JCS(entry))`, where JCS is the RFC 8785
//! canonical JSON of the entry exactly as the auditor API serves it — so anyone holding the JSON
//! can recompute it with any RFC 8785 library.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::merkle::{Frontier, Hash, leaf_hash};

/// What happened, before it has a place in the log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// When, RFC 3339 in UTC.
    pub at: String,
    /// Who acted: `agent:<id>`, `operator:<id>`, `auditor:<id>` or `system`.
    pub actor: String,
    /// The credential they acted with (a token's `jti`), or empty.
    pub credential: String,
    /// The pseudonym of the person the action was for, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub principal: Option<String>,
    /// What they did, e.g. `order.placed`.
    pub action: String,
    /// The ids of what was acted on (an order, its quote, a token, …), the main one first.
    pub subjects: Vec<String>,
    /// Facts of the decision (amounts, lines, reasons). Never personal data.
    pub payload: Value,
    /// Salted commitments of the personal data the action involved, by name (see [`commit`]);
    /// never the values.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub commitments: BTreeMap<String, String>,
}

/// A record with its position in the log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// Its leaf index in the Merkle tree, from 0.
    pub seq: u64,
    /// The record.
    #[serde(flatten)]
    pub record: Record,
}

impl Entry {
    /// The entry's RFC 8785 canonical JSON: the bytes of its leaf.
    ///
    /// An entry whose payload is plain ([`canonical`]), whose commitments are named in ASCII and
    /// whose number is at most 2^53 — every entry the ledger writes — is written straight from
    /// its fields in RFC 8785's order ([`Sorted`]), without building a JSON value of the whole
    /// entry first; any other goes through [`canonical`].
    pub fn canonical(&self) -> Vec<u8> {
        let r = &self.record;
        if self.seq <= EXACT && is_plain(&r.payload) && r.commitments.keys().all(|k| k.is_ascii()) {
            let sorted = Sorted {
                action: &r.action,
                actor: &r.actor,
                at: &r.at,
                commitments: Some(&r.commitments).filter(|c| !c.is_empty()),
                credential: &r.credential,
                payload: &r.payload,
                principal: r.principal.as_deref(),
                seq: self.seq,
                subjects: &r.subjects,
            };
            if let Ok(bytes) = serde_json::to_vec(&sorted) {
                return bytes;
            }
        }
        canonical(self)
    }

    /// Its leaf hash.
    pub fn leaf(&self) -> Hash {
        leaf_hash(&self.canonical())
    }
}

/// An entry's fields as it serializes, keys in RFC 8785's order (bytewise: every key is ASCII),
/// the absent ones left out as [`Entry`] leaves them out.
#[derive(Serialize)]
struct Sorted<'e> {
    action: &'e str,
    actor: &'e str,
    at: &'e str,
    #[serde(skip_serializing_if = "Option::is_none")]
    commitments: Option<&'e BTreeMap<String, String>>,
    credential: &'e str,
    payload: &'e Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    principal: Option<&'e str>,
    seq: u64,
    subjects: &'e [String],
}

/// A record given its place in a log: what a store writes in the transaction of the business
/// write it records (the tree's hashes are derived from these bytes afterwards).
#[derive(Debug, Clone, PartialEq)]
pub struct Appended {
    /// The entry, numbered.
    pub entry: Entry,
    /// Its canonical JSON (the bytes of its leaf), as stored and exported.
    pub canonical: String,
}

/// `record` as the entry numbered `seq`, with its canonical JSON.
pub fn numbered(seq: u64, record: Record) -> Appended {
    let entry = Entry { seq, record };
    let canonical = String::from_utf8(entry.canonical()).unwrap_or_default();
    Appended { entry, canonical }
}

/// Appends `record` to the log whose tree's right edge is `log`, which moves past it.
pub fn append(log: &mut Frontier, record: Record) -> Appended {
    let appended = numbered(log.size(), record);
    log.push(leaf_hash(appended.canonical.as_bytes()));
    appended
}

/// The RFC 8785 canonical JSON of any serializable value.
///
/// A value whose numbers are all integers a double holds exactly (magnitude at most 2^53) and
/// whose objects' keys are all ASCII — every entry the ledger writes — has the canonical form
/// `serde_json` writes for it: its objects' keys come sorted bytewise, which for ASCII is RFC
/// 8785's order, and its integers and strings are written as RFC 8785 writes them. Such values
/// take that path, an order of magnitude cheaper than the general serializer
/// (`docs/benchmarks.md`); any other goes through `serde_json_canonicalizer`.
pub fn canonical<T: Serialize>(value: &T) -> Vec<u8> {
    // Serializing owned JSON values never fails (keys are strings, numbers finite).
    match serde_json::to_value(value) {
        Ok(v) if is_plain(&v) => serde_json::to_vec(&v).unwrap_or_default(),
        Ok(v) => serde_json_canonicalizer::to_vec(&v).unwrap_or_default(),
        Err(_) => serde_json_canonicalizer::to_vec(value).unwrap_or_default(),
    }
}

/// The largest integer every integer up to which a double holds exactly.
const EXACT: u64 = 1 << 53;

/// Whether `v`'s canonical form is `serde_json`'s ([`canonical`]).
fn is_plain(v: &Value) -> bool {
    match v {
        Value::Number(n) => {
            n.as_u64().is_some_and(|n| n <= EXACT)
                || n.as_i64().is_some_and(|n| n.unsigned_abs() <= EXACT)
        }
        Value::Array(items) => items.iter().all(is_plain),
        Value::Object(map) => map.iter().all(|(k, v)| k.is_ascii() && is_plain(v)),
        Value::Null | Value::Bool(_) | Value::String(_) => true,
    }
}

/// A salted commitment to one piece of personal data: hex `SHA-256(salt ‖ name ‖ 0x00 ‖ value)`.
/// The salt (32 random bytes per principal) is kept in the vault with the data and destroyed with
/// it: while it exists, the commitment proves what the value was; once erased, nobody can test a
/// guess against it.
pub fn commit(salt: &[u8; 32], name: &str, value: &str) -> String {
    let mut h = Sha256::new();
    h.update(salt);
    h.update(name.as_bytes());
    h.update([0]);
    h.update(value.as_bytes());
    hex::encode(h.finalize())
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde_json::json;

    use super::*;

    /// Any JSON value: integers inside and beyond 2^53, doubles, strings with control
    /// characters, quotes, backslashes and characters beyond the BMP, ASCII and other keys.
    fn any_json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            (-(1_i64 << 54)..(1_i64 << 54)).prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            any::<f64>()
                .prop_filter("finite", |f| f.is_finite())
                .prop_map(Value::from),
            "\\PC{0,8}|[\\x00-\\x1f\"\\\\/\\x7f]{0,4}".prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 64, 8, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                prop::collection::vec(("[ -~]{0,5}|\\PC{0,3}", inner), 0..6)
                    .prop_map(|kv| Value::Object(kv.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1000))]

        /// The cheaper path writes exactly what the RFC 8785 library writes, for any value.
        #[test]
        fn canonical_is_the_libraries_rfc_8785(v in any_json()) {
            let library = serde_json_canonicalizer::to_vec(&v).expect("serializes");
            prop_assert_eq!(canonical(&v), library);
        }

        /// So does an entry's own path, for any entry: any strings, payload, commitments and
        /// number.
        #[test]
        fn an_entrys_canonical_json_is_the_libraries_rfc_8785(
            seq in prop_oneof![0..(1_u64 << 54), any::<u64>()],
            text in prop::collection::vec("\\PC{0,6}|[\\x00-\\x1f\"\\\\]{0,3}", 4),
            principal in prop::option::of("\\PC{0,6}"),
            subjects in prop::collection::vec("\\PC{0,6}", 0..4),
            payload in any_json(),
            commitments in prop::collection::btree_map("[ -~]{0,5}|\\PC{0,3}", "\\PC{0,4}", 0..3),
        ) {
            let e = Entry {
                seq,
                record: Record {
                    at: text[0].clone(),
                    actor: text[1].clone(),
                    credential: text[2].clone(),
                    principal,
                    action: text[3].clone(),
                    subjects,
                    payload,
                    commitments,
                },
            };
            let library = serde_json_canonicalizer::to_vec(&e).expect("serializes");
            prop_assert_eq!(e.canonical(), library);
        }
    }

    #[test]
    fn an_entry_takes_the_cheaper_path_and_keeps_its_bytes() {
        let e = entry();
        let value = serde_json::to_value(&e).expect("a value");
        assert!(
            is_plain(&value),
            "entries have integers and ASCII keys only"
        );
        assert_eq!(
            e.canonical(),
            serde_json_canonicalizer::to_vec(&e).expect("serializes")
        );
        assert!(!is_plain(&json!({"é": 1})));
        assert!(!is_plain(&json!([1.5])));
        assert!(!is_plain(&json!(9_007_199_254_740_993_u64)));
    }

    fn entry() -> Entry {
        Entry {
            seq: 3,
            record: Record {
                at: "2026-11-21T08:00:00Z".into(),
                actor: "agent:shopper-1".into(),
                credential: "jti-1".into(),
                principal: Some("p_abc".into()),
                action: "order.placed".into(),
                subjects: vec!["o_1".into(), "q_1".into()],
                payload: json!({"total": {"currency": "EUR", "amount": 17900}, "lines": 1}),
                commitments: BTreeMap::from([("ship_to".into(), "00ff".into())]),
            },
        }
    }

    #[test]
    fn the_leaf_is_the_hash_of_the_canonical_json_as_served() {
        let e = entry();
        let served = serde_json::to_value(&e).expect("serializes");
        assert_eq!(served["seq"], 3);
        assert_eq!(served["subjects"], json!(["o_1", "q_1"]));
        let text = String::from_utf8(e.canonical()).expect("utf-8");
        assert_eq!(
            text,
            r#"{"action":"order.placed","actor":"agent:shopper-1","at":"2026-11-21T08:00:00Z","commitments":{"ship_to":"00ff"},"credential":"jti-1","payload":{"lines":1,"total":{"amount":17900,"currency":"EUR"}},"principal":"p_abc","seq":3,"subjects":["o_1","q_1"]}"#
        );
        assert_eq!(e.leaf(), leaf_hash(&canonical(&served)));
        let back: Entry = serde_json::from_slice(&e.canonical()).expect("reads back");
        assert_eq!(back, e);
    }

    #[test]
    fn appending_numbers_the_entry_and_grows_the_tree() {
        let mut log = Frontier::new();
        let first = append(&mut log, entry().record);
        let second = append(&mut log, entry().record);
        assert_eq!((first.entry.seq, second.entry.seq), (0, 1));
        assert_eq!(first.canonical.as_bytes(), first.entry.canonical());
        assert_eq!(first, numbered(0, entry().record));
        // The second leaf completes the node over both.
        assert_eq!(
            log.root(),
            crate::merkle::node_hash(&first.entry.leaf(), &second.entry.leaf())
        );
    }

    #[test]
    fn commitments_depend_on_salt_name_and_value() {
        let a = commit(&[1; 32], "ship_to", "1 rue X");
        assert_eq!(a.len(), 64);
        assert_ne!(a, commit(&[2; 32], "ship_to", "1 rue X"));
        assert_ne!(a, commit(&[1; 32], "contact", "1 rue X"));
        assert_ne!(a, commit(&[1; 32], "ship_to", "1 rue Y"));
        assert_eq!(a, commit(&[1; 32], "ship_to", "1 rue X"));
    }
}
