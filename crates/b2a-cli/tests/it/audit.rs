//! `b2a audit verify` and `b2a audit verify-bundle` as an auditor runs them, on an export and on
//! bundles made with the formats of docs/audit.md (entries, tree and checkpoints built with
//! `b2a-audit`); the same bundles checked by independent Python code.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use b2a_audit::checkpoint::{Checkpoint, SignedCheckpoint};
use b2a_audit::entry::{Entry, Record};
use b2a_audit::merkle::{Hash, MemoryTree, leaf_hash};
use b2a_audit::verify::{Bundle, ProvenEntry, encode_hash};
use ed25519_dalek::SigningKey;
use serde_json::json;

use crate::{b2a, run, text};

const ORIGIN: &str = "shop.example/audit";
const KID: &str = "audit-2026";

fn audit_key() -> SigningKey {
    SigningKey::from_bytes(&[7; 32])
}

/// Entries as the ledger writes them: varied actors and payloads, non-ASCII text, amounts.
fn entries(n: u64) -> Vec<Entry> {
    (0..n)
        .map(|seq| Entry {
            seq,
            record: Record {
                at: format!("2026-12-01T08:{:02}:{:02}Z", seq / 60 % 60, seq % 60),
                actor: if seq % 3 == 0 {
                    "operator:ops".into()
                } else {
                    format!("agent:shopper-{}", seq % 4)
                },
                credential: format!("jti-{seq}"),
                principal: (seq % 2 == 0).then(|| format!("p_{seq:04}")),
                action: ["quote.created", "quote.accepted", "order.placed"][seq as usize % 3]
                    .into(),
                subjects: vec![format!("o_{seq}"), format!("q_{seq}")],
                payload: json!({"n": seq, "total": {"amount": 17_900 + seq, "currency": "EUR"},
                                "reason": "fidélité — remise été"}),
                commitments: if seq % 5 == 0 {
                    BTreeMap::from([("ship_to".into(), format!("{seq:064x}"))])
                } else {
                    BTreeMap::new()
                },
            },
        })
        .collect()
}

/// The canonical lines of `entries` and their tree.
fn lines_and_tree(entries: &[Entry]) -> (Vec<Vec<u8>>, MemoryTree) {
    let lines: Vec<Vec<u8>> = entries.iter().map(Entry::canonical).collect();
    let mut tree = MemoryTree::new();
    for line in &lines {
        tree.push(leaf_hash(line));
    }
    (lines, tree)
}

fn checkpoint(tree: &MemoryTree, size: u64) -> SignedCheckpoint {
    Checkpoint {
        origin: ORIGIN.into(),
        size,
        root: tree.root_at(size).expect("a prefix"),
    }
    .sign(&audit_key(), KID)
}

/// The published keys: a token key, then the audit key.
fn write_jwks(dir: &Path) -> PathBuf {
    let token_key = SigningKey::from_bytes(&[9; 32]).verifying_key();
    let jwks = json!({"keys": [
        b2a_audit::jwk::jwk(&token_key, "token-key"),
        b2a_audit::jwk::jwk(&audit_key().verifying_key(), KID),
    ]});
    let path = dir.join("jwks.json");
    std::fs::write(&path, jwks.to_string()).expect("jwks written");
    path
}

/// Writes an export: `lines`, the checkpoints, and the leaves the ledger stored (if any).
fn write_export(
    dir: &Path,
    lines: &[Vec<u8>],
    checkpoints: &[SignedCheckpoint],
    leaves: Option<&[Hash]>,
) {
    std::fs::create_dir_all(dir).expect("export dir");
    let mut body = Vec::new();
    for line in lines {
        body.extend_from_slice(line);
        body.push(b'\n');
    }
    std::fs::write(dir.join("entries.jsonl"), body).expect("entries written");
    std::fs::write(
        dir.join("checkpoints.json"),
        serde_json::to_vec(checkpoints).expect("serializes"),
    )
    .expect("checkpoints written");
    if let Some(leaves) = leaves {
        let text: String = leaves.iter().map(|l| encode_hash(l) + "\n").collect();
        std::fs::write(dir.join("leaves.txt"), text).expect("leaves written");
    }
}

/// A tampered export: its name, its lines, the leaves recorded (if given), what must be named.
type Tampering<'a> = (&'a str, Vec<Vec<u8>>, Option<&'a [Hash]>, &'a str);

/// Runs `b2a audit verify DIR --key KEY`: success, and what it printed.
fn verify(dir: &Path, key: &Path) -> (bool, String) {
    let out = run(b2a()
        .args(["audit", "verify"])
        .arg(dir)
        .arg("--key")
        .arg(key));
    (out.status.success(), text(&out.stdout) + &text(&out.stderr))
}

fn replace(line: &[u8], from: &str, to: &str) -> Vec<u8> {
    text(line).replacen(from, to, 1).into_bytes()
}

#[test]
fn an_export_verifies_and_every_tampering_is_named() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let key = write_jwks(tmp.path());
    let log = entries(40);
    let (lines, tree) = lines_and_tree(&log);
    let recorded: Vec<Hash> = lines.iter().map(|l| leaf_hash(l)).collect();
    let cps = [
        checkpoint(&tree, 10),
        checkpoint(&tree, 33),
        checkpoint(&tree, 40),
    ];

    let intact = tmp.path().join("intact");
    write_export(&intact, &lines, &cps[..2], Some(&recorded));
    let (ok, said) = verify(&intact, &key);
    assert!(ok, "{said}");
    assert!(said.contains("verified: 40 entries"), "{said}");
    assert!(said.contains("checkpoints at sizes 10, 33"), "{said}");
    assert!(
        said.contains("7 entries after the last checkpoint"),
        "{said}"
    );

    // Each tampering, and what the verifier must name.
    let mut altered = lines.clone();
    altered[17] = replace(&altered[17], "\"n\":17", "\"n\":18");
    let mut removed = lines.clone();
    removed.remove(5);
    let mut swapped = lines.clone();
    swapped.swap(20, 21);
    let mut inserted = lines.clone();
    inserted.insert(30, lines[29].clone());
    let cases: [Tampering<'_>; 6] = [
        (
            "altered, leaves recorded",
            altered.clone(),
            Some(&recorded),
            "entry 17 was altered",
        ),
        (
            "altered, no leaves",
            altered,
            None,
            "the first 33 entries do not match the signed checkpoint of that size (the first 10 did)",
        ),
        ("removed", removed, None, "entry 5:"),
        ("swapped", swapped, None, "entry 20:"),
        ("inserted", inserted, None, "entry 30:"),
        (
            "truncated",
            lines[..38].to_vec(),
            None,
            "the log has 38 entries but a checkpoint signs 40",
        ),
    ];
    for (name, tampered, leaves, named) in cases {
        let dir = tmp.path().join(name);
        write_export(&dir, &tampered, &cps, leaves);
        let (ok, said) = verify(&dir, &key);
        assert!(!ok, "{name}: {said}");
        assert!(said.contains(named), "{name}: expected {named:?} in {said}");
    }

    // A checkpoint whose signature does not verify, and another key.
    let mut forged = cps[1].clone();
    forged.body = forged.body.replace("\n33\n", "\n34\n");
    let dir = tmp.path().join("forged");
    write_export(&dir, &lines, &[cps[0].clone(), forged], None);
    let (ok, said) = verify(&dir, &key);
    assert!(!ok && said.contains("checkpoint of size 33"), "{said}");
    let other = tmp.path().join("other.json");
    std::fs::write(
        &other,
        b2a_audit::jwk::jwk(&SigningKey::from_bytes(&[8; 32]).verifying_key(), KID).to_string(),
    )
    .expect("written");
    let (ok, said) = verify(&intact, &other);
    assert!(
        !ok && said.contains("does not verify with the key"),
        "{said}"
    );
}

/// A bundle of the entries `picked` of `log` with their proofs in the tree of its first `size`.
fn bundle(log: &[Entry], tree: &MemoryTree, size: u64, picked: &[u64]) -> Bundle {
    Bundle {
        checkpoint: checkpoint(tree, size),
        entries: picked
            .iter()
            .map(|&seq| ProvenEntry {
                entry: serde_json::to_value(&log[seq as usize]).expect("serializes"),
                proof: tree
                    .inclusion_proof(seq, size)
                    .expect("in the tree")
                    .iter()
                    .map(encode_hash)
                    .collect(),
            })
            .collect(),
    }
}

fn verify_bundle(path: &Path, key: &Path) -> (bool, String) {
    let out = run(b2a()
        .args(["audit", "verify-bundle"])
        .arg(path)
        .arg("--key")
        .arg(key));
    (out.status.success(), text(&out.stdout) + &text(&out.stderr))
}

#[test]
fn a_bundle_verifies_alone_and_fails_when_any_byte_changes() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let key = write_jwks(tmp.path());
    let log = entries(25);
    let (_, tree) = lines_and_tree(&log);
    let good = serde_json::to_vec_pretty(&bundle(&log, &tree, 25, &[3, 11, 24])).expect("json");
    let path = tmp.path().join("bundle.json");
    std::fs::write(&path, &good).expect("written");
    let (ok, said) = verify_bundle(&path, &key);
    assert!(ok, "{said}");
    assert!(said.contains("verified: 3 entries"), "{said}");

    // Every byte that is not layout (whitespace between tokens) matters: changing one is caught.
    let whitespace = |b: u8| b == b' ' || b == b'\n';
    let mut checked = 0;
    for at in (0..good.len()).step_by(7).filter(|&i| !whitespace(good[i])) {
        let mut bad = good.clone();
        bad[at] = if bad[at] == b'1' { b'2' } else { b'1' };
        std::fs::write(&path, &bad).expect("written");
        let (ok, said) = verify_bundle(&path, &key);
        assert!(
            !ok,
            "byte {at} changed and the bundle still verified: {said}"
        );
        checked += 1;
    }
    assert!(checked > 100, "{checked} positions checked");
}

/// The same bundles, checked by independent code: Python's hashlib, `cryptography` and
/// `rfc8785`, following only docs/audit.md (`scripts/python/verify_audit_bundle.py`).
#[test]
fn independent_python_code_accepts_the_bundle_and_refuses_a_changed_one() {
    let Ok(python) = std::env::var("B2A_PYTHON") else {
        eprintln!("skipped: B2A_PYTHON is not set (scripts/test sets it)");
        return;
    };
    let script =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/python/verify_audit_bundle.py");
    let tmp = tempfile::tempdir().expect("tempdir");
    let key = write_jwks(tmp.path());
    let log = entries(300);
    let (_, tree) = lines_and_tree(&log);
    let check = |b: &Bundle| {
        let path = tmp.path().join("bundle.json");
        std::fs::write(&path, serde_json::to_vec(b).expect("json")).expect("written");
        std::process::Command::new(&python)
            .arg(&script)
            .arg(&path)
            .arg(&key)
            .output()
            .expect("python runs")
    };
    for size in [1, 2, 7, 64, 100, 255, 300] {
        let picked: Vec<u64> = [0, size / 2, size - 1].into_iter().collect();
        let good = bundle(&log, &tree, size, &picked);
        let out = check(&good);
        assert!(
            out.status.success(),
            "size {size}: {}",
            text(&out.stdout) + &text(&out.stderr)
        );

        let mut changed = good.clone();
        changed.entries[0].entry["payload"]["total"]["amount"] = json!(1);
        let out = check(&changed);
        assert_eq!(
            out.status.code(),
            Some(1),
            "size {size}: a changed entry was accepted"
        );
    }
}
