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
//!
//! `audit-log ledger DIR N [POSTGRES_URL]`: appends `N` such entries to a real ledger — the
//! SQLite file `DIR/ledger.sqlite` (WAL, `synchronous=FULL`), or PostgreSQL — in durable
//! transactions of 256 (`append_audit_all`: canonical JSON, the entry's number and bytes), and
//! prints the time per entry; then the time per entry of indexing them (`index_audit`: the
//! leaves and the tree's nodes, the filters); then times 10 000 inclusion proofs of random
//! entries against a signed checkpoint of the whole log, as the auditor API serves them (the
//! head, the entry and the proof's nodes read from the ledger), p50 and p99.
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
    let mut rng = Xorshift(0x2545_f491_4f6c_dd1d);
    let mut times = Vec::with_capacity(count);
    for _ in 0..count {
        let index = rng.below(n);
        let started = Instant::now();
        let proof = tree.inclusion_proof(index, n).ok_or("no proof")?;
        times.push(started.elapsed());
        std::hint::black_box(proof);
    }
    let (p50, p99) = quantiles(&mut times);
    println!("{count} inclusion proofs in a tree of {n} entries: p50 {p50:.1} µs, p99 {p99:.1} µs");
    Ok(())
}

/// Entries per transaction of `ledger`.
const APPEND_BATCH: u64 = 256;

/// A pseudo-random sequence (xorshift), the same in every run.
struct Xorshift(u64);

impl Xorshift {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// The p50 and p99 of `times`, in µs.
fn quantiles(times: &mut [std::time::Duration]) -> (f64, f64) {
    times.sort_unstable();
    let at = |q: f64| times[((times.len() as f64 * q) as usize).min(times.len() - 1)];
    (at(0.50).as_secs_f64() * 1e6, at(0.99).as_secs_f64() * 1e6)
}

fn ledger(dir: &Path, n: u64, url: Option<&str>) -> Result<(), Error> {
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        use std::sync::Arc;
        let ledger: Arc<dyn b2a_ledger::Ledger> = match url {
            Some(url) => Arc::new(b2a_ledger::PostgresLedger::connect(url).await?),
            None => {
                std::fs::create_dir_all(dir)?;
                Arc::new(b2a_ledger::SqliteLedger::open(&dir.join("ledger.sqlite")).await?)
            }
        };
        let started = Instant::now();
        let mut seq = 0;
        while seq < n {
            let end = (seq + APPEND_BATCH).min(n);
            let records = (seq..end).map(|s| entry(s).record).collect();
            ledger.append_audit_all(records).await?;
            seq = end;
        }
        let elapsed = started.elapsed();
        println!(
            "appended {n} entries in durable transactions of {APPEND_BATCH}: {:.1} µs per entry ({:.0} entries/s)",
            elapsed.as_secs_f64() * 1e6 / n as f64,
            n as f64 / elapsed.as_secs_f64()
        );
        let started = Instant::now();
        let indexed = ledger.index_audit().await?;
        let elapsed = started.elapsed();
        println!(
            "indexed {indexed} entries (tree nodes, filters) in durable transactions of 4096: {:.1} µs per entry",
            elapsed.as_secs_f64() * 1e6 / indexed.max(1) as f64
        );

        let key = b2a_trust::AuditKey::from_key(SigningKey::from_bytes(&[42; 32]));
        let log = b2a_app::AuditLog::new(ledger.clone(), key, "bench.example/audit");
        let now = time::OffsetDateTime::now_utc();
        let checkpoint = log.make_checkpoint(now).await?;
        let mut rng = Xorshift(0x2545_f491_4f6c_dd1d);
        let mut times = Vec::with_capacity(10_000);
        for _ in 0..10_000 {
            let seq = rng.below(checkpoint.size);
            let started = Instant::now();
            let proof = log.inclusion(seq, None, now).await?;
            times.push(started.elapsed());
            std::hint::black_box(proof);
        }
        let (p50, p99) = quantiles(&mut times);
        println!(
            "10000 inclusion proofs from the ledger in a log of {} entries: p50 {p50:.1} µs, p99 {p99:.1} µs",
            checkpoint.size
        );
        Ok(())
    })
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
        ["ledger", dir, n] => ledger(Path::new(dir), n.parse()?, None),
        ["ledger", dir, n, url] => ledger(Path::new(dir), n.parse()?, Some(url)),
        _ => Err(
            "usage: audit-log write DIR N | audit-log proofs N [COUNT] | audit-log ledger DIR N [POSTGRES_URL]"
                .into(),
        ),
    }
}
