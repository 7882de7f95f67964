//! Offline verification: of a whole exported log against its signed checkpoints, and of a proof
//! bundle (some entries, their inclusion proofs, one checkpoint) on its own.
//!
//! Neither trusts the brand's database: the log is recomputed from the entries' bytes, and only a
//! checkpoint signed with the audit key vouches for a root.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ed25519_dalek::VerifyingKey;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::checkpoint::{Checkpoint, CheckpointError, SignedCheckpoint};
use crate::entry::canonical;
use crate::merkle::{Frontier, Hash, leaf_hash, verify_inclusion};

/// The first thing wrong with a log or a bundle.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Problem {
    /// A checkpoint does not verify.
    #[error("checkpoint of size {size}: {error}")]
    Checkpoint {
        /// Its size.
        size: u64,
        /// Why.
        error: CheckpointError,
    },
    /// Two checkpoints of one size disagree, or a later one is smaller than the log.
    #[error("checkpoints disagree at size {size}")]
    Checkpoints {
        /// The size.
        size: u64,
    },
    /// A line is not an entry in canonical form.
    #[error("entry {seq}: {reason}")]
    Entry {
        /// Its position (the `seq` it should have).
        seq: u64,
        /// What is wrong.
        reason: String,
    },
    /// An entry's bytes no longer hash to the leaf the ledger stored for it.
    #[error("entry {seq} was altered: its leaf hash differs from the one the ledger stored")]
    Altered {
        /// The entry.
        seq: u64,
    },
    /// The entries do not hash to a signed root.
    #[error(
        "the first {size} entries do not match the signed checkpoint of that size (the first {verified} did): an entry from {verified} to {last} was altered", last = size - 1
    )]
    RootMismatch {
        /// The checkpoint's size.
        size: u64,
        /// Entries proven good by an earlier checkpoint.
        verified: u64,
    },
    /// A checkpoint is larger than the log.
    #[error("the log has {entries} entries but a checkpoint signs {size}: entries were removed")]
    Truncated {
        /// Entries found.
        entries: u64,
        /// The largest checkpoint.
        size: u64,
    },
    /// An entry of a bundle is not in its checkpoint's tree.
    #[error("entry {seq}: its inclusion proof does not lead to the checkpoint's root")]
    NotIncluded {
        /// The entry.
        seq: u64,
    },
}

/// What a verification of a whole log found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// Entries read.
    pub entries: u64,
    /// Checkpoints verified, by size.
    pub checkpoints: Vec<u64>,
    /// Entries after the last checkpoint (not signed yet).
    pub unsigned: u64,
    /// The root of all the entries.
    pub root: Hash,
}

/// Verifies a log one entry at a time (see [`LogVerifier::push`]).
#[derive(Debug)]
pub struct LogVerifier {
    frontier: Frontier,
    /// Verified checkpoints, smallest first.
    checkpoints: Vec<Checkpoint>,
    next: usize,
    verified: u64,
}

impl LogVerifier {
    /// Checks every checkpoint's signature with `key` (and `key_id`, when given) and that
    /// checkpoints of one size agree.
    pub fn new(
        checkpoints: &[SignedCheckpoint],
        key: &VerifyingKey,
        key_id: Option<&str>,
    ) -> Result<Self, Problem> {
        let mut verified = checkpoints
            .iter()
            .map(|c| {
                c.verify(key, key_id).map_err(|error| Problem::Checkpoint {
                    size: c.size,
                    error,
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        verified.sort_by_key(|c| c.size);
        for pair in verified.windows(2) {
            if pair[0].size == pair[1].size && pair[0].root != pair[1].root {
                return Err(Problem::Checkpoints { size: pair[0].size });
            }
        }
        verified.dedup_by_key(|c| c.size);
        let mut this = Self {
            frontier: Frontier::new(),
            checkpoints: verified,
            next: 0,
            verified: 0,
        };
        this.check_checkpoints()?;
        Ok(this)
    }

    /// Reads the next line of the export: the canonical JSON of entry `seq` = entries so far.
    /// `recorded` is the leaf hash the ledger stored for it, when known.
    ///
    /// The line is hashed as it is. Whether it is the entry the ledger logged is settled by the
    /// leaf stored for it, and by every signed root over it: a line changed in any way (even
    /// into another serialization of the same JSON) hashes differently. Only its `seq` is read,
    /// so that removed, inserted and moved entries are named where they break the sequence.
    pub fn push(&mut self, line: &[u8], recorded: Option<&Hash>) -> Result<(), Problem> {
        /// The one member read from a line (the rest is checked to be JSON, and skipped).
        #[derive(Deserialize)]
        struct Seq {
            seq: Option<u64>,
        }
        let seq = self.frontier.size();
        let fail = |reason: String| Problem::Entry { seq, reason };
        let found: Seq =
            serde_json::from_slice(line).map_err(|e| fail(format!("not a JSON object: {e}")))?;
        match found.seq {
            Some(found) if found == seq => {}
            Some(found) => {
                return Err(fail(format!(
                    "found entry {found} where entry {seq} belongs: entries were removed, inserted or reordered"
                )));
            }
            None => return Err(fail("it has no seq".into())),
        }
        let leaf = leaf_hash(line);
        if recorded.is_some_and(|r| *r != leaf) {
            return Err(Problem::Altered { seq });
        }
        self.frontier.push(leaf);
        self.check_checkpoints()
    }

    /// Compares the root with every checkpoint of the current size.
    fn check_checkpoints(&mut self) -> Result<(), Problem> {
        while let Some(c) = self.checkpoints.get(self.next) {
            if c.size != self.frontier.size() {
                break;
            }
            if c.root != self.frontier.root() {
                return Err(Problem::RootMismatch {
                    size: c.size,
                    verified: self.verified,
                });
            }
            self.verified = c.size;
            self.next += 1;
        }
        Ok(())
    }

    /// Ends the log: every checkpoint must have been reached.
    pub fn finish(self) -> Result<Report, Problem> {
        let entries = self.frontier.size();
        if let Some(last) = self.checkpoints.last()
            && last.size > entries
        {
            return Err(Problem::Truncated {
                entries,
                size: last.size,
            });
        }
        Ok(Report {
            entries,
            checkpoints: self.checkpoints.iter().map(|c| c.size).collect(),
            unsigned: entries - self.verified,
            root: self.frontier.root(),
        })
    }
}

/// One entry of a bundle with its inclusion proof in the bundle's checkpoint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProvenEntry {
    /// The entry, as the auditor API serves it.
    pub entry: Value,
    /// Base64 hashes of its inclusion proof, nearest the leaf first.
    pub proof: Vec<String>,
}

/// A self-contained proof: entries, their inclusion proofs, and the signed checkpoint they lead
/// to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bundle {
    /// The checkpoint every proof leads to.
    pub checkpoint: SignedCheckpoint,
    /// The entries.
    pub entries: Vec<ProvenEntry>,
}

/// Base64 of a hash.
pub fn encode_hash(hash: &Hash) -> String {
    STANDARD.encode(hash)
}

/// A hash from its base64 ([`encode_hash`]); `None` when the text is not one.
pub fn decode_hash(text: &str) -> Option<Hash> {
    STANDARD.decode(text).ok()?.try_into().ok()
}

/// Checks a bundle alone: the checkpoint's signature, then each entry's inclusion in it.
/// Returns how many entries it proves.
pub fn verify_bundle(
    bundle: &Bundle,
    key: &VerifyingKey,
    key_id: Option<&str>,
) -> Result<usize, Problem> {
    let checkpoint =
        bundle
            .checkpoint
            .verify(key, key_id)
            .map_err(|error| Problem::Checkpoint {
                size: bundle.checkpoint.size,
                error,
            })?;
    for proven in &bundle.entries {
        let Some(seq) = proven.entry.get("seq").and_then(Value::as_u64) else {
            return Err(Problem::Entry {
                seq: 0,
                reason: "an entry of the bundle has no seq".into(),
            });
        };
        let proof = proven
            .proof
            .iter()
            .map(|p| decode_hash(p))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| Problem::Entry {
                seq,
                reason: "its proof is not base64 hashes".into(),
            })?;
        let leaf = leaf_hash(&canonical(&proven.entry));
        if !verify_inclusion(&leaf, seq, checkpoint.size, &proof, &checkpoint.root) {
            return Err(Problem::NotIncluded { seq });
        }
    }
    Ok(bundle.entries.len())
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, HashMap};

    use ed25519_dalek::SigningKey;
    use serde_json::json;

    use super::*;
    use crate::entry::{Entry, Record};
    use crate::merkle::{NodeId, inclusion_ranges, range_hash};

    const ORIGIN: &str = "shop.example/audit";

    fn key() -> SigningKey {
        SigningKey::from_bytes(&[3; 32])
    }

    fn lines(n: u64) -> Vec<Vec<u8>> {
        (0..n)
            .map(|seq| {
                Entry {
                    seq,
                    record: Record {
                        at: "2026-11-21T08:00:00Z".into(),
                        actor: "agent:a".into(),
                        credential: "jti".into(),
                        principal: None,
                        action: "order.placed".into(),
                        subjects: vec![format!("o_{seq}")],
                        payload: json!({"n": seq}),
                        commitments: BTreeMap::new(),
                    },
                }
                .canonical()
            })
            .collect()
    }

    fn signed_at(lines: &[Vec<u8>], size: usize) -> SignedCheckpoint {
        let mut f = Frontier::new();
        for l in &lines[..size] {
            f.push(leaf_hash(l));
        }
        Checkpoint {
            origin: ORIGIN.into(),
            size: size as u64,
            root: f.root(),
        }
        .sign(&key(), "kid")
    }

    fn verify(lines: &[Vec<u8>], checkpoints: &[SignedCheckpoint]) -> Result<Report, Problem> {
        let mut v = LogVerifier::new(checkpoints, &key().verifying_key(), Some("kid"))?;
        for l in lines {
            v.push(l, None)?;
        }
        v.finish()
    }

    #[test]
    fn an_intact_log_verifies() {
        let log = lines(40);
        let cps = [signed_at(&log, 10), signed_at(&log, 33)];
        let report = verify(&log, &cps).expect("verifies");
        assert_eq!(report.entries, 40);
        assert_eq!(report.checkpoints, [10, 33]);
        assert_eq!(report.unsigned, 7);
    }

    #[test]
    fn every_kind_of_tampering_is_named() {
        let log = lines(40);
        let cps = [signed_at(&log, 10), signed_at(&log, 40)];

        let mut altered = log.clone();
        altered[17] = String::from_utf8(altered[17].clone())
            .expect("utf-8")
            .replace("\"n\":17", "\"n\":18")
            .into_bytes();
        assert_eq!(
            verify(&altered, &cps),
            Err(Problem::RootMismatch {
                size: 40,
                verified: 10
            })
        );
        // With the leaves the ledger stored, the entry itself is named.
        let recorded: Vec<Hash> = log.iter().map(|l| leaf_hash(l)).collect();
        let mut v = LogVerifier::new(&cps, &key().verifying_key(), None).expect("checkpoints");
        let found = altered
            .iter()
            .zip(&recorded)
            .try_for_each(|(l, r)| v.push(l, Some(r)));
        assert_eq!(found, Err(Problem::Altered { seq: 17 }));

        let mut removed = log.clone();
        removed.remove(5);
        assert!(matches!(
            verify(&removed, &cps),
            Err(Problem::Entry { seq: 5, .. })
        ));
        let mut swapped = log.clone();
        swapped.swap(20, 21);
        assert!(matches!(
            verify(&swapped, &cps),
            Err(Problem::Entry { seq: 20, .. })
        ));
        let mut inserted = log.clone();
        inserted.insert(30, log[29].clone());
        assert!(matches!(
            verify(&inserted, &cps),
            Err(Problem::Entry { seq: 30, .. })
        ));
        assert_eq!(
            verify(&log[..38], &cps),
            Err(Problem::Truncated {
                entries: 38,
                size: 40
            })
        );
        let mut spaced = log.clone();
        spaced[3] = String::from_utf8(spaced[3].clone())
            .expect("utf-8")
            .replacen(':', ": ", 1)
            .into_bytes();
        // Another serialization of the same entry is another leaf: caught by the signed root,
        // and named with the recorded leaves.
        assert_eq!(
            verify(&spaced, &cps),
            Err(Problem::RootMismatch {
                size: 10,
                verified: 0
            })
        );
        let mut v = LogVerifier::new(&cps, &key().verifying_key(), None).expect("checkpoints");
        let found = spaced
            .iter()
            .zip(&recorded)
            .try_for_each(|(l, r)| v.push(l, Some(r)));
        assert_eq!(found, Err(Problem::Altered { seq: 3 }));
        let mut forged = signed_at(&log, 10);
        forged.signature = signed_at(&log, 40).signature;
        assert!(matches!(
            verify(&log, &[forged]),
            Err(Problem::Checkpoint { size: 10, .. })
        ));
    }

    fn bundle(log: &[Vec<u8>], seqs: &[u64], size: usize) -> Bundle {
        let mut f = Frontier::new();
        let mut nodes: HashMap<NodeId, Hash> = HashMap::new();
        for l in &log[..size] {
            nodes.extend(f.push(leaf_hash(l)));
        }
        Bundle {
            checkpoint: signed_at(log, size),
            entries: seqs
                .iter()
                .map(|&seq| ProvenEntry {
                    entry: serde_json::from_slice(&log[seq as usize]).expect("json"),
                    proof: inclusion_ranges(seq, size as u64)
                        .expect("in range")
                        .iter()
                        .map(|&(a, b)| {
                            encode_hash(
                                &range_hash(a, b, |id| nodes.get(&id).copied()).expect("node"),
                            )
                        })
                        .collect(),
                })
                .collect(),
        }
    }

    #[test]
    fn a_bundle_verifies_alone_and_fails_when_one_byte_changes() {
        let log = lines(25);
        let b = bundle(&log, &[1, 7, 24], 25);
        let vk = key().verifying_key();
        assert_eq!(verify_bundle(&b, &vk, Some("kid")), Ok(3));

        let text = serde_json::to_string(&b).expect("serializes");
        let mut failures = 0;
        let mut changed = 0;
        for (i, ch) in text.char_indices() {
            // One byte of every value: a digit of a payload, a letter of a subject or a proof.
            if !(ch.is_ascii_alphanumeric()) || i % 7 != 0 {
                continue;
            }
            let other = if ch == 'A' { 'B' } else { 'A' };
            let mut mutated = text.clone();
            mutated.replace_range(i..i + 1, &other.to_string());
            changed += 1;
            // A bundle that no longer reads (an unknown member) is refused as well.
            let Ok(parsed) = serde_json::from_str::<Bundle>(&mutated) else {
                failures += 1;
                continue;
            };
            if verify_bundle(&parsed, &vk, Some("kid")).is_err() {
                failures += 1;
            }
        }
        assert!(changed > 100, "{changed} mutations tried");
        assert_eq!(failures, changed, "every changed bundle fails");
    }
}
