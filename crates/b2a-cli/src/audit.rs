//! `b2a audit`: the auditor's offline checks. They read files only — an export directory or a
//! proof bundle, and the brand's published audit key — and recompute everything from the
//! entries' bytes (`b2a_audit::verify`), so they trust neither the gateway nor its database.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;

use anyhow::{Context, bail};
use b2a_audit::checkpoint::SignedCheckpoint;
use b2a_audit::verify::{Bundle, LogVerifier, decode_hash, encode_hash, verify_bundle};
use ed25519_dalek::VerifyingKey;

use crate::cli::{AuditBundleArgs, AuditCommand, AuditVerifyArgs};

/// The entries of an export: one per line, in order.
const ENTRIES: &str = "entries.jsonl";
/// The signed checkpoints of an export: a JSON array.
const CHECKPOINTS: &str = "checkpoints.json";
/// The leaf hashes the ledger recorded when it appended each entry (base64, one per line, in
/// order): optional; with them, an altered entry is named even where no checkpoint narrows it.
const LEAVES: &str = "leaves.txt";

pub(crate) fn run(cmd: AuditCommand) -> anyhow::Result<()> {
    match cmd {
        AuditCommand::Verify(args) => verify_export(&args),
        AuditCommand::VerifyBundle(args) => verify_bundle_file(&args),
    }
}

/// Reads a JSON file.
fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> anyhow::Result<T> {
    let text = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_slice(&text)
        .with_context(|| format!("{} is not what it should be", path.display()))
}

/// The audit key of the file `path` (a JWK Set or a JWK) with the id `key_id`.
fn audit_key(path: &Path, key_id: Option<&str>) -> anyhow::Result<VerifyingKey> {
    let doc: serde_json::Value = read_json(path)?;
    b2a_audit::jwk::verifying_key(&doc, key_id)
        .with_context(|| format!("the audit key in {}", path.display()))
}

/// The one key id every checkpoint names (the log is checked with one key).
fn key_id(checkpoints: &[SignedCheckpoint]) -> anyhow::Result<Option<&str>> {
    let mut ids = checkpoints.iter().map(|c| c.key_id.as_str());
    let first = ids.next();
    if let Some(other) = ids.find(|id| Some(*id) != first) {
        bail!(
            "the checkpoints are signed by several keys ({} and {other}); verify each key's \
             checkpoints separately",
            first.unwrap_or_default()
        );
    }
    Ok(first)
}

fn verify_export(args: &AuditVerifyArgs) -> anyhow::Result<()> {
    let checkpoints_path = args.dir.join(CHECKPOINTS);
    let checkpoints: Vec<SignedCheckpoint> = if checkpoints_path.exists() {
        read_json(&checkpoints_path)?
    } else {
        Vec::new()
    };
    let key_id = key_id(&checkpoints)?;
    let key = audit_key(&args.key, key_id)?;
    let mut verifier =
        LogVerifier::new(&checkpoints, &key, key_id).context("the log does not verify")?;
    let entries_path = args.dir.join(ENTRIES);
    let mut reader = BufReader::with_capacity(
        1 << 20,
        File::open(&entries_path).with_context(|| format!("reading {}", entries_path.display()))?,
    );
    let leaves_path = args.dir.join(LEAVES);
    let mut leaves = match File::open(&leaves_path) {
        Ok(file) => Some(BufReader::new(file).lines()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(e).with_context(|| format!("reading {}", leaves_path.display())),
    };
    let mut line = Vec::with_capacity(4096);
    let mut seq = 0u64;
    loop {
        line.clear();
        let read = reader
            .read_until(b'\n', &mut line)
            .with_context(|| format!("reading {}", entries_path.display()))?;
        if read == 0 {
            break;
        }
        if line.last() == Some(&b'\n') {
            line.pop();
        }
        let recorded = match leaves.as_mut().and_then(Iterator::next) {
            None => None,
            Some(leaf) => {
                let leaf = leaf.with_context(|| format!("reading {}", leaves_path.display()))?;
                Some(decode_hash(&leaf).with_context(|| {
                    format!(
                        "{} line {}: not a base64 hash",
                        leaves_path.display(),
                        seq + 1
                    )
                })?)
            }
        };
        verifier
            .push(&line, recorded.as_ref())
            .context("the log does not verify")?;
        seq += 1;
    }
    let report = verifier.finish().context("the log does not verify")?;
    let sizes = report
        .checkpoints
        .iter()
        .map(u64::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    #[allow(clippy::print_stdout)]
    {
        println!(
            "verified: {} entries, root {}",
            report.entries,
            encode_hash(&report.root)
        );
        if report.checkpoints.is_empty() {
            println!("no signed checkpoint: nothing vouches for these entries");
        } else {
            println!(
                "checkpoints at sizes {sizes}: signed by key {} and matched by the entries",
                key_id.unwrap_or_default()
            );
        }
        if report.unsigned > 0 {
            println!(
                "{} entries after the last checkpoint are not signed yet",
                report.unsigned
            );
        }
    }
    Ok(())
}

fn verify_bundle_file(args: &AuditBundleArgs) -> anyhow::Result<()> {
    let bundle: Bundle = read_json(&args.bundle)?;
    let key_id = bundle.checkpoint.key_id.as_str();
    let key = audit_key(&args.key, Some(key_id))?;
    let proven =
        verify_bundle(&bundle, &key, Some(key_id)).context("the bundle does not verify")?;
    #[allow(clippy::print_stdout)]
    {
        println!(
            "verified: {proven} entries included in the log {} of {} entries, checkpoint signed by key {key_id}",
            bundle.checkpoint.origin, bundle.checkpoint.size
        );
    }
    Ok(())
}
