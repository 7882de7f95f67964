//! The audit log's offline parts at scale (`scripts/bench-audit`).
//!
//! `audit-log write DIR N`: an export of `N` entries as the ledger writes them (orders and
//! quotes with lines, totals and reasons; ~500 bytes each), signed checkpoints every 100 000
//! entries and at the end, and `DIR/jwks.json` with the audit key — what `b2a audit verify
//! DIR --key DIR/jwks.json` then checks.
//!
//! `audit-log proofs N [COUNT]`: builds the tree of `N` entries in memory and times `COUNT`
//! inclusion proofs of random entries in the whole tree (each from its perfect nodes, as the
//! ledger's node store gives them); prints the p50 and p99.
#![allow(clippy::print_stdout)]

use std::io::{BufWriter, Write};
use std::path::Path;
use std::time::Instant;

use b2a_audit::checkpoint::Checkpoint;
use b2a_audit::entry::{Entry, Record};
use b2a_audit::merkle::{Frontier, MemoryTree, leaf_hash};
use ed25519_dalek::SigningKey;
use serde_json::json;

type Error = Box<dyn std::error::Error>;

const KID: &str = "audit-bench";

fn entry(seq: u64) -> Entry {
    let order = seq % 3 == 2;
    Entry {
        seq,
        record: Record {
            at: format!(
                "2026-12-01T{:02}:{:02}:{:02}Z",
                seq / 3600 % 24,
                seq / 60 % 60,
                seq % 60
            ),
            actor: format!("agent:shopper-{}", seq % 97),
            credential: format!("01JD{seq:022}"),
            principal: Some(format!(
                "p_{:016x}",
                seq.wrapping_mul(0x9e37_79b9_7f4a_7c15)
            )),
            action: if order {
                "order.placed"
            } else {
                "quote.created"
            }
            .into(),
            subjects: vec![format!("o_{seq:012}"), format!("q_{seq:012}")],
            payload: json!({
                "status": if order { "confirmed" } else { "open" },
                "lines": [{"sku": format!("VC-CHMCOAT-{}", seq % 7), "quantity": 1 + seq % 3,
                           "unit_price": {"amount": 17_900 + seq % 1000, "currency": "EUR"},
                           "adjustments": [{"kind": "loyalty", "amount": -500,
                                            "reason": "fidélité: 3rd order in 90 days"}]}],
                "total": {"amount": 17_400 + seq % 1000, "currency": "EUR"},
                "policy_version": 3,
            }),
            commitments: Default::default(),
        },
    }
}

fn write(dir: &Path, n: u64) -> Result<(), Error> {
    std::fs::create_dir_all(dir)?;
    let key = SigningKey::from_bytes(&[42; 32]);
    let mut out =
        BufWriter::with_capacity(1 << 20, std::fs::File::create(dir.join("entries.jsonl"))?);
    let mut frontier = Frontier::new();
    let mut checkpoints = Vec::new();
    for seq in 0..n {
        let line = entry(seq).canonical();
        frontier.push(leaf_hash(&line));
        out.write_all(&line)?;
        out.write_all(b"\n")?;
        let size = seq + 1;
        if size % 100_000 == 0 || size == n {
            checkpoints.push(
                Checkpoint {
                    origin: "bench.example/audit".into(),
                    size,
                    root: frontier.root(),
                }
                .sign(&key, KID),
            );
        }
    }
    out.flush()?;
    std::fs::write(
        dir.join("checkpoints.json"),
        serde_json::to_vec(&checkpoints)?,
    )?;
    let jwks = json!({"keys": [b2a_audit::jwk::jwk(&key.verifying_key(), KID)]});
    std::fs::write(dir.join("jwks.json"), jwks.to_string())?;
    println!(
        "wrote {n} entries and {} checkpoints to {}",
        checkpoints.len(),
        dir.display()
    );
    Ok(())
}

fn proofs(n: u64, count: usize) -> Result<(), Error> {
    let mut tree = MemoryTree::new();
    for seq in 0..n {
        tree.push(leaf_hash(&entry(seq).canonical()));
    }
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let mut times = Vec::with_capacity(count);
    for _ in 0..count {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let index = state % n;
        let started = Instant::now();
        let proof = tree.inclusion_proof(index, n).ok_or("no proof")?;
        times.push(started.elapsed());
        std::hint::black_box(proof);
    }
    times.sort_unstable();
    let at = |q: f64| times[((times.len() as f64 * q) as usize).min(times.len() - 1)];
    println!(
        "{count} inclusion proofs in a tree of {n} entries: p50 {:.1} µs, p99 {:.1} µs",
        at(0.50).as_secs_f64() * 1e6,
        at(0.99).as_secs_f64() * 1e6
    );
    Ok(())
}

fn main() -> Result<(), Error> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["write", dir, n] => write(Path::new(dir), n.parse()?),
        ["proofs", n] => proofs(n.parse()?, 10_000),
        ["proofs", n, count] => proofs(n.parse()?, count.parse()?),
        _ => Err("usage: audit-log write DIR N | audit-log proofs N [COUNT]".into()),
    }
}
